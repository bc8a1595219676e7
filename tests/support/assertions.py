"""The shapes tests compare responses against: user errors in payloads, refusals at a
path, and errors with their `locations` left out (they only repeat the query)."""

from __future__ import annotations

from typing import Any

USER_ERRORS = "userErrors { field code message }"
STEP_UP_MESSAGE = "Confirm it is you (elevateSession), then try again."


def error(code: str, message: str, *field: str) -> dict[str, Any]:
    """One entry of a payload's userErrors."""
    return {"field": list(field) or None, "code": code, "message": message}


# The profile of an account that never wrote one, as the API answers it.
EMPTY_PROFILE = {"bio": None, "industry": None, "position": None, "companySize": None, "needs": []}


STEP_UP_REQUIRED = error("STEP_UP_REQUIRED", STEP_UP_MESSAGE)


def refusal(code: str, message: str, path: list[str | int]) -> dict[str, Any]:
    """A top-level error of a refused field as the client sees it, `locations` left out."""
    return {"message": message, "path": path, "extensions": {"code": code}}


def refused(code: str, message: str, path: list[str | int]) -> dict[str, Any]:
    """A whole response refused at one field: no data, that one error (`locations` left out)."""
    return {"data": None, "errors": [refusal(code, message, path)]}


def errors_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The response's errors without their `locations`."""
    return [
        {key: value for key, value in error.items() if key != "locations"}
        for error in body.get("errors", [])
    ]


def without_locations(body: dict[str, Any]) -> dict[str, Any]:
    """The response with each error's `locations` left out, to compare with `refusal`s."""
    if "errors" not in body:
        return body
    return {**body, "errors": errors_of(body)}


def data_of(body: dict[str, Any], field: str) -> Any:
    """The root field's data of a response that carries no error."""
    assert "errors" not in body, body
    return body["data"][field]


def succeeded(body: dict[str, Any], field: str) -> dict[str, Any]:
    """The payload of mutation `field`, which must carry neither errors nor userErrors."""
    payload: dict[str, Any] = data_of(body, field)
    assert payload["userErrors"] == [], body
    return payload


def request_error(code: str, message: str) -> dict[str, Any]:
    """An error of a request refused as a whole, before any field ran: no path."""
    return {"message": message, "extensions": {"code": code}}


def validation_failed(message: str) -> dict[str, Any]:
    """The whole response to a document refused by validation (a limit on depth, aliases
    or list items, a field production hides): no data, that one error."""
    return {"data": None, "errors": [request_error("GRAPHQL_VALIDATION_FAILED", message)]}
