"""A mutation declared with `use_case_mutation`: its field, the use case's call, and the
payload of a success or of a refusal."""

from __future__ import annotations

import sys
from typing import Any

import pytest
import strawberry

from resolvers.errors import UserErrorCode, refused
from schema.common import payload
from schema.payloads import answer_refusals_in_payloads, use_case_mutation

CONTEXT = object()
calls: list[tuple[Any, Any]] = []


@strawberry.input
class RenameInput:
    name: str


@payload
class RenamePayload:
    name: str | None = None

    @classmethod
    def of(cls, name: str) -> RenamePayload:
        return cls(name=name)


async def rename(context: Any, given: RenameInput) -> str:
    calls.append((context, given))
    if not given.name.strip():
        raise refused(UserErrorCode.INVALID_INPUT, "A name is required.", "name")
    return given.name.strip()


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Mutation:
    rename = use_case_mutation(RenameInput, rename, RenamePayload.of, description="Rename.")


answer_refusals_in_payloads(Mutation)
SCHEMA = strawberry.Schema(query=Query, mutation=Mutation)
RENAME = """
    mutation($name: String!) {
      rename(input: { name: $name }) { name userErrors { field code message } }
    }
"""


def test_the_field_takes_one_input_and_answers_the_payload() -> None:
    assert '  """Rename."""\n  rename(input: RenameInput!): RenamePayload!' in SCHEMA.as_str()


async def test_the_use_case_gets_the_context_and_the_input_and_its_result_the_payload() -> None:
    calls.clear()

    result = await SCHEMA.execute(RENAME, {"name": " Ada "}, context_value=CONTEXT)

    assert result.errors is None
    assert result.data == {"rename": {"name": "Ada", "userErrors": []}}
    [(context, given)] = calls
    assert context is CONTEXT
    assert isinstance(given, RenameInput)
    assert given.name == " Ada "


async def test_a_refusal_of_the_use_case_is_the_payloads_user_errors() -> None:
    result = await SCHEMA.execute(RENAME, {"name": " "}, context_value=CONTEXT)

    assert result.errors is None
    assert result.data == {
        "rename": {
            "name": None,
            "userErrors": [
                {"field": ["name"], "code": "INVALID_INPUT", "message": "A name is required."}
            ],
        }
    }


async def test_the_use_case_is_the_one_its_module_holds_at_each_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def shout(context: Any, given: RenameInput) -> str:
        return given.name.upper()

    monkeypatch.setattr(sys.modules[__name__], "rename", shout)

    result = await SCHEMA.execute(RENAME, {"name": "ada"}, context_value=CONTEXT)

    assert result.data == {"rename": {"name": "ADA", "userErrors": []}}


def test_a_use_case_must_be_a_function_of_its_module() -> None:
    with pytest.raises(TypeError, match="is not a function of its module"):
        use_case_mutation(RenameInput, lambda context, given: rename(context, given), str)
