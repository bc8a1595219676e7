"""Every string, ID and cursor argument of the live schema is covered by the input rules,
and docs/spec/limits.md#input lists the rules the code applies.

The fields are read from the schema itself: a String argument or input field added
later without a rule fails here, as does a rule naming a field that is gone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import strawberry
from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLObjectType,
    get_named_type,
)

from schema import schema
from schema.input_rules import STRING_RULES, Characters, InputRules, Text, check_inputs
from schema.payloads import RefusalsInPayload

DOCS = Path(__file__).resolve().parents[2] / "docs" / "spec" / "limits.md"
GRAPHQL = schema._schema


def string_inputs() -> dict[str, GraphQLArgument | GraphQLInputField]:
    """Every String and ID argument ("Type.field(argument)") and input field
    ("Input.field") of the schema."""
    found: dict[str, GraphQLArgument | GraphQLInputField] = {}
    for name, type_ in GRAPHQL.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(type_, GraphQLObjectType):
            for field_name, field in type_.fields.items():
                for argument_name, argument in field.args.items():
                    if get_named_type(argument.type).name in ("String", "ID"):
                        found[f"{name}.{field_name}({argument_name})"] = argument
        elif isinstance(type_, GraphQLInputObjectType):
            for field_name, input_field in type_.fields.items():
                if get_named_type(input_field.type).name in ("String", "ID"):
                    found[f"{name}.{field_name}"] = input_field
    return found


def test_every_string_argument_and_input_field_has_a_rule_and_every_rule_a_field() -> None:
    strings = {
        key
        for key, value in string_inputs().items()
        if get_named_type(value.type).name == "String" and not key.endswith(("(after)", "(before)"))
    }

    assert sorted(strings - set(STRING_RULES)) == [], "String inputs without a rule"
    assert sorted(set(STRING_RULES) - strings) == [], "rules naming no String input"


def test_every_after_argument_is_a_connections_cursor() -> None:
    for name, type_ in GRAPHQL.type_map.items():
        if not isinstance(type_, GraphQLObjectType) or name.startswith("__"):
            continue
        for field_name, field in type_.fields.items():
            if "after" in field.args:
                assert "first" in field.args, f"{name}.{field_name}"
                assert get_named_type(field.type).name.endswith("Connection"), field_name


def holds_strings(type_: object, seen: frozenset[str] = frozenset()) -> bool:
    """Whether a value of this input type can hold a String or an ID, at any depth."""
    named = get_named_type(type_)  # type: ignore[arg-type]
    if named.name in ("String", "ID"):
        return True
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        return any(
            holds_strings(field.type, seen | {named.name}) for field in named.fields.values()
        )
    return False


def rules_of(field: GraphQLField) -> list[InputRules]:
    definition = (field.extensions or {}).get("strawberry-definition")
    extensions = definition.extensions if definition is not None else []
    return [extension for extension in extensions if isinstance(extension, InputRules)]


def test_every_field_taking_a_string_or_an_id_applies_the_rules() -> None:
    unchecked = [
        f"{name}.{field_name}"
        for name, type_ in GRAPHQL.type_map.items()
        if isinstance(type_, GraphQLObjectType) and not name.startswith("__")
        for field_name, field in type_.fields.items()
        if any(holds_strings(argument.type) for argument in field.args.values())
        and len(rules_of(field)) != 1
    ]

    assert unchecked == []


def test_the_rules_of_root_mutations_answer_in_the_payload_and_run_first() -> None:
    mutation = GRAPHQL.mutation_type
    assert mutation is not None
    for name, field in mutation.fields.items():
        if not any(holds_strings(argument.type) for argument in field.args.values()):
            continue
        [rule] = rules_of(field)
        extensions = field.extensions["strawberry-definition"].extensions
        # Only the extension that turns refusals into the payload wraps the rules.
        answering, checking = extensions[-1], extensions[-2]
        assert isinstance(answering, RefusalsInPayload), f"{name}: refusals are not answered"
        assert checking is rule, f"{name}: the input rules do not run first"
        assert rule.in_payload, f"{name}: broken rules do not answer in the payload"


def _length(rule: Text) -> str:
    length = f"1–{rule.max_length:,}" if rule.required else f"≤ {rule.max_length:,}"
    if rule.max_items is not None:
        return f"≤ {rule.max_items} items of {length}"
    return length


CHARACTERS = {
    Characters.ONE_LINE: "one line",
    Characters.FREE_TEXT: "free text",
    Characters.SECRET: "any but control",
}


def rules_table() -> str:
    rows = [
        "| argument or input field | characters (code points) | takes |",
        "|---|---|---|",
    ]
    rows.extend(
        f"| `{key}` | {_length(rule)} | {CHARACTERS[rule.characters]} |"
        for key, rule in STRING_RULES.items()
    )
    return "\n".join(rows) + "\n"


def test_the_documented_table_is_the_one_the_code_applies() -> None:
    documented = DOCS.read_text(encoding="utf-8")

    assert rules_table() in documented, (
        "docs/spec/limits.md does not hold the input rules the code applies; the table is:\n"
        + rules_table()
    )


@pytest.mark.parametrize(
    ("characters", "value", "refused"),
    [
        (Characters.ONE_LINE, "张三 O'Brien-Smith 👩‍👩‍👧", False),
        (Characters.ONE_LINE, "nul\x00", True),
        (Characters.ONE_LINE, "bell\x07", True),
        (Characters.ONE_LINE, "delete\x7f", True),
        (Characters.ONE_LINE, "c1\x85", True),
        (Characters.ONE_LINE, "tab\t", True),
        (Characters.ONE_LINE, "line\nbreak", True),
        (Characters.ONE_LINE, "line\u2028separator", True),
        (Characters.ONE_LINE, "right-to-left \u202eoverride", True),
        (Characters.ONE_LINE, "isolate \u2067", True),
        (Characters.ONE_LINE, "lone \ud800 surrogate", True),
        (Characters.FREE_TEXT, "two\r\nlines\tand a tab \u2028 \u202e", False),
        (Characters.FREE_TEXT, "nul\x00", True),
        (Characters.FREE_TEXT, "escape\x1b[31m", True),
        (Characters.FREE_TEXT, "lone \udfff surrogate", True),
        (Characters.SECRET, "correct horse \u202e battery 电池", False),
        (Characters.SECRET, "tab\t", True),
        (Characters.SECRET, "nul\x00", True),
    ],
)
def test_characters(characters: Characters, value: str, refused: bool) -> None:
    problems = list(Text(100, characters).problems(value))

    assert bool(problems) is refused


def test_length_counts_code_points() -> None:
    assert list(Text(3).problems("名字很")) == []
    assert list(Text(3).problems("名字很长")) == ["At most 3 characters."]
    assert list(Text(3, required=True).problems("名字很长")) == ["Give 1 to 3 characters."]


@strawberry.type
class Probe:
    @strawberry.field
    def echo(self, note: str) -> str:
        return note


async def test_a_string_field_missing_from_the_table_is_still_checked_strictly() -> None:
    check_inputs([Probe])
    probe = strawberry.Schema(query=Probe)
    query = "query($note: String!) { echo(note: $note) }"

    fits = await probe.execute(query, variable_values={"note": "x" * 256})
    too_long = await probe.execute(query, variable_values={"note": "x" * 257})
    line_break = await probe.execute(query, variable_values={"note": "a\nb"})

    assert fits.data == {"echo": "x" * 256}
    assert [e.message for e in too_long.errors or []] == ["`note`: at most 256 characters."]
    assert [e.message for e in line_break.errors or []] == [
        "`note`: no line breaks or control characters."
    ]
