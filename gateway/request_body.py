"""What a GraphQL request's JSON must be before it is parsed: UTF-8, an object, shallow.

A body that is valid JSON but not an object (`"hello"`, `12`, `null`), that is not
UTF-8, or that nests arrays and objects deeper than `MAX_JSON_DEPTH` is refused with a
400 before the parser builds anything from it: the depth is measured on the raw bytes,
so no parser recurses into a body nested thousands deep.
"""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import HTTPException

MAX_JSON_DEPTH = 32
_BRACKETS = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")


def nests_deeper_than(data: bytes, limit: int) -> bool:
    """Whether the JSON text `data` nests arrays and objects more than `limit` deep.

    Only the brackets outside strings count. Each round removes every innermost pair,
    so a text `limit` deep is empty after `limit` rounds; what is left then is deeper,
    or unbalanced with more than `limit` brackets open.
    """
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(unescaped.split(b'"')[::2])
    brackets = outside_strings.translate(_BRACKETS, _NOT_BRACKETS)
    for _ in range(limit):
        inner_removed = brackets.replace(b"()", b"")
        if inner_removed == brackets:
            break
        brackets = inner_removed
    return b"()" in brackets or brackets.count(b"(") > limit


def read_json_object(data: bytes | str) -> dict[str, Any]:
    """The JSON object of a request body (or of a GET request's `variables` or
    `extensions`), or a 400 saying what is wrong with it."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(400, "The request body is not UTF-8.") from exc
    if nests_deeper_than(data, MAX_JSON_DEPTH):
        raise HTTPException(400, f"The request's JSON nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(400, "The request is not valid JSON.") from exc
    if not isinstance(value, dict):
        raise HTTPException(400, "The request's JSON is not an object.")
    return value


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json`, with no charset or UTF-8."""
    if content_type is None:
        return False
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    if media_type != "application/json":
        return False
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            return False
    return True
