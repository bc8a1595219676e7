"""The gateway's executor answers exactly as graphql-core's does.

`GatewayExecutor` resolves direct fields (schema/plain_fields.py) on a short path of its
own; every document here is executed by both executors over the same types, and the
answers (data, error messages, paths and locations) must be equal.
"""

from __future__ import annotations

import asyncio
import enum
import gc
from datetime import date
from typing import Annotated, Any

import pytest
import strawberry
from graphql import GraphQLError, parse
from graphql.execution import executor as executor_module
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.extensions import DocumentCache
from schema import GatewaySchema, execution
from schema.execution import GatewayExecutor
from schema.plain_fields import DIRECT


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class NotAColour(enum.Enum):
    GREEN = "green"


@strawberry.interface
class Named:
    label: str


class Impostor:
    label = "not a Thing"


class Nobody(BasePermission):
    message = "Nobody may read this."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Thing(Named):
    note: str | None = None
    # An attribute field behind an extension: Strawberry's chain, never read directly.
    guarded: str | None = strawberry.field(
        default="kept from view", extensions=[PermissionExtension([Nobody()])]
    )

    @strawberry.field
    def name(self) -> str:
        return self.label

    @strawberry.field
    def missing(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    def maybe(self) -> str | None:
        return None

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError("broken on purpose")

    @strawberry.field
    def broken_required(self) -> str:
        raise ValueError("broken on purpose")

    @strawberry.field
    def colour(self) -> Colour:
        return Colour.BLUE

    @strawberry.field
    def wrong_colour(self) -> Colour | None:
        return NotAColour.GREEN  # type: ignore[return-value]

    @strawberry.field
    def colours(self) -> list[Colour]:
        return [Colour.RED, Colour.BLUE, Colour.RED]

    @strawberry.field
    def colours_with_gaps(self) -> list[Colour | None]:
        return [Colour.RED, None, Colour.BLUE]

    @strawberry.field
    def missing_colours(self) -> list[Colour] | None:
        return [Colour.RED, None]  # type: ignore[list-item]

    @strawberry.field
    def wrong_colours(self) -> list[Colour | None] | None:
        return [Colour.BLUE, NotAColour.GREEN]  # type: ignore[list-item]

    @strawberry.field
    def no_colours(self) -> list[Colour] | None:
        return None

    @strawberry.field
    def impostor(self) -> Thing | None:
        return Impostor()  # type: ignore[return-value]

    @strawberry.field
    def count(self) -> int:
        return len(self.label)

    @strawberry.field
    def tags(self) -> list[str]:
        return [self.label, self.label.upper()]

    @strawberry.field
    def child(self) -> Thing | None:
        return Thing(label=self.label + "!")

    @strawberry.field
    async def later(self) -> str:
        await asyncio.sleep(0)
        return self.label


@strawberry.type
class Gadget(Named):
    """Shares Thing's response names, resolved otherwise."""

    @strawberry.field
    def name(self) -> str:
        return self.label.upper()

    @strawberry.field
    def colour(self) -> Colour:
        return Colour.RED

    @strawberry.field
    def count(self) -> int:
        return 100 + len(self.label)


class Shout(str):
    """A str subclass: output as graphql-core outputs it, not passed through as a str."""

    __slots__ = ()


class Level(enum.IntEnum):
    HIGH = 3


class Tone(enum.StrEnum):
    LOUD = "loud"


@strawberry.type
class Oddity:
    """Values of the wrong kind for the scalar or enum their fields declare."""

    @strawberry.field
    def shout(self) -> str:
        return Shout("hey")

    @strawberry.field
    def yes_as_text(self) -> str:
        return True  # type: ignore[return-value]

    @strawberry.field
    def number_as_id(self) -> strawberry.ID:
        return 12  # type: ignore[return-value]

    @strawberry.field
    def text_as_boolean(self) -> bool | None:
        return "true"  # type: ignore[return-value]

    @strawberry.field
    def number_as_boolean(self) -> bool | None:
        return 1  # type: ignore[return-value]

    @strawberry.field
    def text_as_colour(self) -> Colour | None:
        return "BLUE"  # type: ignore[return-value]

    @strawberry.field
    def value_as_colour(self) -> Colour | None:
        return "blue"  # type: ignore[return-value]

    @strawberry.field
    def level(self) -> int:
        return Level.HIGH

    @strawberry.field
    def tone(self) -> str:
        return Tone.LOUD

    @strawberry.field
    def day(self) -> str | None:
        return date(2024, 2, 29)  # type: ignore[return-value]

    @strawberry.field
    def texts_with_a_null(self) -> list[str] | None:
        return ["a", None]  # type: ignore[list-item]

    @strawberry.field
    def texts_with_a_number(self) -> list[str] | None:
        return ["a", 1]  # type: ignore[list-item]

    @strawberry.field
    def flags_with_text(self) -> list[bool] | None:
        return [True, "false"]  # type: ignore[list-item]

    @strawberry.field
    def colours_with_text(self) -> list[Colour] | None:
        return [Colour.RED, "BLUE"]  # type: ignore[list-item]

    @strawberry.field
    def colours_with_a_twin(self) -> list[Colour] | None:
        return [Colour.RED, NotAColour.GREEN]  # type: ignore[list-item]


Either = Annotated[Thing | Gadget, strawberry.union("Either")]


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [Thing(label="a"), Thing(label="bb", note="n")]

    @strawberry.field
    def mixed(self) -> list[Named]:
        return [Thing(label="a"), Gadget(label="g"), Thing(label="b"), Gadget(label="h")]

    @strawberry.field
    def either(self) -> list[Either]:
        return [Gadget(label="g"), Thing(label="a"), Gadget(label="h")]

    @strawberry.field
    def oddity(self) -> Oddity:
        return Oddity()

    @strawberry.field
    def one(self) -> Thing:
        return Thing(label="c")


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    gateway = GatewaySchema(query=Query)
    assert gateway.execution_context_class is GatewayExecutor
    plain = strawberry.Schema(
        query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    return gateway, plain


def _answer(result: Any) -> tuple[Any, list[dict[str, Any]]]:
    errors: list[GraphQLError] = result.errors or []
    return result.data, sorted(
        (error.formatted for error in errors), key=lambda error: str(error.get("path"))
    )


def test_the_gateway_schema_resolves_plain_fields_directly() -> None:
    gateway, plain = _schemas()
    fields = gateway._schema.type_map["Thing"].fields  # type: ignore[union-attr]
    assert sorted(name for name, field in fields.items() if DIRECT in field.extensions) == [
        "broken",
        "brokenRequired",
        "child",
        "colour",
        "colours",
        "coloursWithGaps",
        "count",
        "impostor",
        "label",
        "maybe",
        "missing",
        "missingColours",
        "name",
        "noColours",
        "note",
        "tags",
        "wrongColour",
        "wrongColours",
    ]
    # `later` is async, and `guarded` is an attribute behind an extension: Strawberry's
    # chain resolves them.
    assert DIRECT not in fields["later"].extensions
    assert DIRECT not in fields["guarded"].extensions
    assert not any(
        DIRECT in field.extensions
        for field in plain._schema.type_map["Thing"].fields.values()  # type: ignore[union-attr]
    )


DOCUMENTS = {
    "leaves": "{ things { label note name count colour colours tags } }",
    "an object its type refuses": "{ one { name impostor { label } } }",
    "lists of enums with gaps, nulls and wrong members": (
        "{ one { coloursWithGaps missingColours wrongColours noColours colours } }"
    ),
    "aliases and nesting": "{ one { a: name b: name child { name child { label } } } }",
    "null in a nullable field": "{ one { maybe note } }",
    "null in a non-null field": "{ things { label missing } }",
    "null in a non-null field nulls its parent": "{ one { name missing } }",
    "an error in a nullable field": "{ things { broken label } }",
    "an error in a non-null field": "{ one { brokenRequired } }",
    "a value the enum cannot output": "{ one { wrongColour colour } }",
    "awaitable sibling": "{ things { later name } }",
    "an attribute behind a permission": "{ things { label guarded } }",
    "skip and include": (
        "query($no: Boolean = true) { one { name @skip(if: $no) count @include(if: $no) } }"
    ),
    "fragments": "{ one { ...F child { ...F } } } fragment F on Thing { name colour }",
    "typename": "{ one { __typename name } }",
    "an interface's types sharing response names": (
        "{ mixed { __typename label ... on Thing { name colour count }"
        " ... on Gadget { name colour count } } }"
    ),
    "an interface's types under one alias each": (
        "{ mixed { x: label ... on Thing { y: name z: colour } ... on Gadget { y: name } } }"
    ),
    "a union's types sharing response names, fragments on both": (
        "{ either { ...T ...G } } fragment T on Thing { __typename n: name c: count }"
        " fragment G on Gadget { __typename n: name c: count }"
    ),
    "one selection set for two lists of different types": (
        "{ a: mixed { ...N } b: things { ...N } c: either { ... on Named { ...N } } }"
        " fragment N on Named { label }"
    ),
    "values of the wrong kind for their scalar": (
        "{ oddity { shout yesAsText numberAsId textAsBoolean numberAsBoolean level tone day } }"
    ),
    "values of the wrong kind for their enum": "{ oddity { textAsColour valueAsColour } }",
    "lists of leaves with a null or a wrong item": (
        "{ oddity { textsWithANull textsWithANumber flagsWithText coloursWithText"
        " coloursWithATwin } }"
    ),
}


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
async def test_both_executors_answer_the_same(document: str) -> None:
    gateway, plain = _schemas()
    ours = await gateway.execute(document)
    theirs = await plain.execute(document)
    assert _answer(ours) == _answer(theirs)


async def test_errors_are_located_at_the_field() -> None:
    gateway, _ = _schemas()
    result = await gateway.execute("{ one { child { missing } wrongColour } }")
    assert result.data == {"one": {"child": None, "wrongColour": None}}
    assert sorted((error.message, tuple(error.path or ())) for error in result.errors or []) == [
        (
            "Cannot return null for non-nullable field Thing.missing.",
            ("one", "child", "missing"),
        ),
        (
            "Enum 'Colour' cannot represent value: <NotAColour instance>",
            ("one", "wrongColour"),
        ),
    ]


# Fields collected once per document (shared by the requests that run it).


def _cached_schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    """The two executors, each parsing a text once: every run of a text gets the same
    document, as the gateway's parse cache gives it."""
    gateway = GatewaySchema(query=Query, extensions=[lambda: DocumentCache(maxsize=16)])
    plain = strawberry.Schema(
        query=Query,
        execution_context_class=StrawberryGraphQLCoreExecutionContext,
        extensions=[lambda: DocumentCache(maxsize=16)],
    )
    return gateway, plain


@pytest.fixture
def collections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The type of every object whose fields graphql-core collects."""
    collected: list[str] = []
    original = executor_module.collect_subfields

    def counting(
        schema: Any, fragments: Any, variables: Any, operation: Any, type_: Any, *rest: Any
    ) -> Any:
        collected.append(type_.name)
        return original(schema, fragments, variables, operation, type_, *rest)

    monkeypatch.setattr(executor_module, "collect_subfields", counting)
    return collected


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
async def test_every_run_of_a_kept_document_answers_as_graphql_core(document: str) -> None:
    """Errors, nulls, abstract types and fragments, answered again from what the first
    run kept."""
    gateway, plain = _cached_schemas()
    for _ in range(3):
        assert _answer(await gateway.execute(document)) == _answer(await plain.execute(document))


async def test_a_document_s_fields_are_collected_by_its_first_run_only(
    collections: list[str],
) -> None:
    gateway, plain = _cached_schemas()
    document = (
        "{ things { label child { name } } mixed { label ... on Thing { name } } one { ...F } }"
        " fragment F on Thing { name colour child { label } }"
    )
    expected = _answer(await plain.execute(document))
    collections.clear()
    assert _answer(await gateway.execute(document)) == expected
    assert sorted(set(collections)) == ["Gadget", "Thing"]
    collections.clear()
    for _ in range(3):
        assert _answer(await gateway.execute(document)) == expected
    assert collections == []


@pytest.mark.parametrize(
    "document",
    [
        "query($no: Boolean!) { one { name @skip(if: $no) count @include(if: $no) } }",
        "query($no: Boolean!) { one { ...F } } fragment F on Thing { name @skip(if: $no) count }",
        "query($no: Boolean!) { things { child @include(if: $no) { name } label } }",
    ],
    ids=["on a field", "in a fragment", "on an object"],
)
async def test_a_document_whose_variables_choose_its_fields_is_collected_per_run(
    document: str, collections: list[str]
) -> None:
    gateway, plain = _cached_schemas()
    for no in (True, False, True, False):
        expected = _answer(await plain.execute(document, variable_values={"no": no}))
        collections.clear()
        assert _answer(await gateway.execute(document, variable_values={"no": no})) == expected
        assert collections  # collected by this run, never taken from an earlier one


async def test_a_directive_without_variables_keeps_its_document_s_fields(
    collections: list[str],
) -> None:
    gateway, plain = _cached_schemas()
    document = "{ one { name @skip(if: true) count @include(if: true) child @include(if: false) { name } } }"
    expected = _answer(await plain.execute(document))
    assert expected[0] == {"one": {"count": 1}}
    assert _answer(await gateway.execute(document)) == expected
    collections.clear()
    assert _answer(await gateway.execute(document)) == expected
    assert collections == []


async def test_what_a_document_kept_goes_with_it() -> None:
    gateway, _ = _schemas()  # no parse cache: every run parses its own document
    await gateway.execute("{ one { name child { label } } }")
    gc.collect()
    before = len(execution._kept)
    for _ in range(20):
        await gateway.execute("{ one { name child { label } } }")
    gc.collect()
    assert len(execution._kept) == before


@pytest.mark.parametrize(
    ("document", "alike"),
    [
        ("{ one { name child { label } } }", True),
        ("{ one { name @skip(if: true) } }", True),
        ("query($n: Int) { one { name } }", True),
        ("query($no: Boolean!) { one { name @skip(if: $no) } }", False),
        (
            "query($no: Boolean!) { ...F } fragment F on Query { one @include(if: $no) { name } }",
            False,
        ),
        ("{ one { ... @defer { name } } }", False),
        ("{ things @stream { name } }", False),
    ],
)
def test_which_documents_collect_alike_in_every_request(document: str, alike: bool) -> None:
    assert execution._collects_alike(parse(document).definitions) is alike
