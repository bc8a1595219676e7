"""How deep a request's JSON nests, measured on its bytes before any parser reads them."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.request_body import is_json_media_type, nests_deeper_than

# Strings full of what could be mistaken for structure.
tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\:,ab é\n'), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=40,
)


def depth(value: Any) -> int:
    """Written apart from the code under test: arrays and objects count, scalars do not."""
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@settings(derandomize=True, max_examples=300, deadline=None)
@given(json_values, st.integers(min_value=0, max_value=8), st.booleans())
def test_the_depth_of_any_json_text_is_measured_exactly(
    value: Any, limit: int, ascii_only: bool
) -> None:
    text = (
        json.dumps(value, ensure_ascii=True).encode()
        if ascii_only
        else orjson.dumps(value)  # non-ASCII characters unescaped
    )

    assert nests_deeper_than(text, limit) is (depth(value) > limit)


@pytest.mark.parametrize(
    ("text", "deeper"),
    [
        (b"[" * 33 + b"]" * 33, True),
        (b"[" * 32 + b"]" * 32, False),
        (b"[" * 5000, True),
        (b"[[[", False),  # not JSON: the parser says so
        (b'"\\\\"' + b"[" * 33 + b"]" * 33, True),  # an escaped backslash ends no string
        (b'"\\"' + b"[" * 33 + b'"', False),  # an escaped quote ends no string
        (b"]" * 40 + b"[" * 40, True),
    ],
)
def test_examples(text: bytes, deeper: bool) -> None:
    assert nests_deeper_than(text, 32) is deeper


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("application/json", True),
        ("application/json;charset=utf-8", True),
        ('APPLICATION/JSON; Charset="UTF-8"', True),
        ("application/json; charset=utf-16", False),
        ("application/graphql-response+json", False),
        ("text/json", False),
        ("", False),
        (None, False),
    ],
)
def test_json_media_types(content_type: str | None, accepted: bool) -> None:
    assert is_json_media_type(content_type) is accepted
