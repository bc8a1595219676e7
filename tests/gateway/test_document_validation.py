"""A document is validated once per schema, and the kept results are bounded."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry

from gateway import extensions
from gateway.extensions import DOCUMENT_CACHE_SIZE, GENERIC_VALIDATION_MESSAGE, request_extensions
from schema import GatewaySchema


@strawberry.type
class Query:
    @strawberry.field
    def greeting(self) -> str:
        return "hello"


open_schema = GatewaySchema(query=Query, extensions=request_extensions(introspection=True))
closed_schema = GatewaySchema(query=Query, extensions=request_extensions(introspection=False))


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every document graphql-core validates."""
    validated: list[str] = []
    original = extensions.validate_document

    def counting(schema: Any, document: Any, rules: Any) -> Any:
        source = document.loc.source.body if document.loc else "?"
        validated.append(source)
        return original(schema, document, rules)

    monkeypatch.setattr(extensions, "validate_document", counting)
    monkeypatch.setattr(extensions, "_validated", type(extensions._validated)())
    return validated


async def test_a_text_is_validated_by_its_first_request_only(validations: list[str]) -> None:
    for _ in range(3):
        result = await open_schema.execute("{ greeting }")
        assert (result.data, result.errors) == ({"greeting": "hello"}, None)
    assert validations == ["{ greeting }"]

    await open_schema.execute("{ a: greeting }")
    assert validations == ["{ greeting }", "{ a: greeting }"]


async def test_an_invalid_text_is_refused_every_time_and_validated_once(
    validations: list[str],
) -> None:
    messages = []
    for _ in range(2):
        result = await open_schema.execute("{ greting }")
        assert result.data is None
        messages.append([error.message for error in result.errors or []])
    assert (
        messages == [["Cannot query field 'greting' on type 'Query'. Did you mean 'greeting'?"]] * 2
    )
    assert validations == ["{ greting }"]


async def test_the_same_document_is_validated_again_for_another_schema(
    validations: list[str],
) -> None:
    """The parse cache gives both schemas the same document: introspection, allowed by
    one, must still be refused by the other."""
    text = "{ __schema { queryType { name } } }"
    opened = await open_schema.execute(text)
    closed = await closed_schema.execute(text)
    again = await open_schema.execute(text)

    assert (opened.data, opened.errors) == ({"__schema": {"queryType": {"name": "Query"}}}, None)
    assert again.data == opened.data
    assert closed.data is None
    assert [error.message for error in closed.errors or []] == [GENERIC_VALIDATION_MESSAGE]
    assert validations == [text, text]


async def test_only_the_newest_documents_are_kept(validations: list[str]) -> None:
    texts = [f"{{ a{n}: greeting }}" for n in range(DOCUMENT_CACHE_SIZE + 1)]
    for text in texts:
        await open_schema.execute(text)
    assert len(extensions._validated) == DOCUMENT_CACHE_SIZE
    await open_schema.execute(texts[-1])  # still kept
    await open_schema.execute(texts[1])  # still kept, now the newest
    await open_schema.execute(texts[0])  # the oldest, no longer kept
    assert validations == [*texts, texts[0]]
    assert len(extensions._validated) == DOCUMENT_CACHE_SIZE
