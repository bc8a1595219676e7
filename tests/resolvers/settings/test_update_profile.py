"""updateProfile over HTTP, and reading the profile back.

The rules: docs/spec/settings.md#profile and
docs/spec/masking-and-viewers.md#reading-account-fields.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers import graphql
from tests.resolvers.settings.helpers import (
    USER_ERRORS,
    error,
    forbidden_for_staff,
    reloaded,
    unauthenticated,
)
from tests.support.viewers import KINDS, Viewers

ACCOUNT = "__typename displayName avatarUrl profile { bio industry position companySize needs }"
UPDATE_PROFILE = f"""
mutation($input: UpdateProfileInput!) {{
  updateProfile(input: $input) {{ account {{ {ACCOUNT} }} {USER_ERRORS} }}
}}
"""
READ_BACK = f"{{ viewer {{ account {{ {ACCOUNT} }} }} }}"
TYPENAMES = {
    "individual": "IndividualAccount",
    "business": "BusinessAccount",
    "enterprise": "EnterpriseAccount",
    "sub_account": "SubAccount",
}
FULL_INPUT = {
    "displayName": "  Zhang Wei  ",
    "avatarUrl": "https://cdn.example.com/avatars/zw.png",
    "bio": "Designs posters.",
    "industry": "Advertising",
    "position": "Art director",
    "companySize": "50-200",
    "needs": [" templates ", "stock photos"],
}
FULL_ACCOUNT = {
    "displayName": "Zhang Wei",
    "avatarUrl": "https://cdn.example.com/avatars/zw.png",
    "profile": {
        "bio": "Designs posters.",
        "industry": "Advertising",
        "position": "Art director",
        "companySize": "50-200",
        "needs": ["templates", "stock photos"],
    },
}
NAME_ERROR = error("INVALID_INPUT", "Give 1 to 30 characters.", "displayName")
URL_ERROR = error("INVALID_INPUT", "Give an http(s) URL.", "avatarUrl")
NEEDS_ERROR = error("INVALID_INPUT", "Give 1 to 50 characters.", "needs")
ONE_LINE_CHARACTERS = "No line breaks or control characters."
FREE_TEXT_CHARACTERS = "No control characters other than line breaks and tabs."


async def update_profile(
    client: httpx.AsyncClient, token: str | None, **values: Any
) -> dict[str, Any]:
    return await graphql(client, UPDATE_PROFILE, {"input": values}, token=token)


async def read_back(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    body = await graphql(client, READ_BACK, token=token)
    assert "errors" not in body, body
    account: dict[str, Any] = body["data"]["viewer"]["account"]
    return account


def refused(*user_errors: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"updateProfile": {"account": None, "userErrors": list(user_errors)}}}


async def test_anonymous_callers_must_sign_in(client: httpx.AsyncClient) -> None:
    body = await update_profile(client, None, displayName="Someone")

    assert body == unauthenticated(UPDATE_PROFILE, "updateProfile")


async def test_staff_have_no_profile_to_update(client: httpx.AsyncClient, viewers: Viewers) -> None:
    staff = await viewers.staff()

    body = await update_profile(client, staff.token, displayName="Support")

    assert body == forbidden_for_staff(UPDATE_PROFILE, "updateProfile")


@pytest.mark.parametrize("kind", KINDS)
async def test_every_kind_of_account_updates_its_profile_and_reads_it_back(
    client: httpx.AsyncClient, viewers: Viewers, kind: str
) -> None:
    viewer = await viewers.of_kind(kind)
    expected = {"__typename": TYPENAMES[kind], **FULL_ACCOUNT}

    body = await update_profile(client, viewer.token, **FULL_INPUT)

    assert body == {"data": {"updateProfile": {"account": expected, "userErrors": []}}}
    assert await read_back(client, viewer.token) == expected


async def test_only_the_fields_given_change_and_empty_text_clears_a_field(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    viewer = await viewers.individual()
    await update_profile(client, viewer.token, **FULL_INPUT)

    body = await update_profile(client, viewer.token, avatarUrl="", bio="", needs=[])

    assert body["data"]["updateProfile"]["userErrors"] == []
    assert await read_back(client, viewer.token) == {
        "__typename": "IndividualAccount",
        "displayName": "Zhang Wei",
        "avatarUrl": None,
        "profile": {
            "bio": None,
            "industry": "Advertising",
            "position": "Art director",
            "companySize": "50-200",
            "needs": [],
        },
    }


async def test_the_longest_values_allowed_are_stored(
    client: httpx.AsyncClient, viewers: Viewers
) -> None:
    viewer = await viewers.individual()
    longest = {
        "displayName": "名" * 30,
        "avatarUrl": "http://cdn.example.com/" + "a" * 477,
        "bio": "b" * 500,
        "industry": "i" * 100,
        "position": "p" * 100,
        "companySize": "c" * 50,
        "needs": ["n" * 50] * 20,
    }

    body = await update_profile(client, viewer.token, **longest)

    assert body["data"]["updateProfile"]["userErrors"] == []
    assert await read_back(client, viewer.token) == {
        "__typename": "IndividualAccount",
        "displayName": longest["displayName"],
        "avatarUrl": longest["avatarUrl"],
        "profile": {
            "bio": longest["bio"],
            "industry": longest["industry"],
            "position": longest["position"],
            "companySize": longest["companySize"],
            "needs": longest["needs"],
        },
    }


@pytest.mark.parametrize(
    ("values", "user_error"),
    [
        ({"displayName": ""}, NAME_ERROR),
        ({"displayName": "   "}, NAME_ERROR),
        ({"displayName": "x" * 31}, NAME_ERROR),
        ({"avatarUrl": "ftp://cdn.example.com/a.png"}, URL_ERROR),
        ({"avatarUrl": "javascript:alert(1)"}, URL_ERROR),
        ({"avatarUrl": "https://"}, URL_ERROR),
        ({"avatarUrl": "cdn.example.com/a.png"}, URL_ERROR),
        ({"avatarUrl": "http://[::1"}, URL_ERROR),
        ({"avatarUrl": "https://cdn.example.com:port/a.png"}, URL_ERROR),
        (
            {"avatarUrl": "https://cdn.example.com/" + "a" * 477},
            error("INVALID_INPUT", "At most 500 characters.", "avatarUrl"),
        ),
        ({"bio": "b" * 501}, error("INVALID_INPUT", "At most 500 characters.", "bio")),
        ({"industry": "i" * 101}, error("INVALID_INPUT", "At most 100 characters.", "industry")),
        ({"position": "p" * 101}, error("INVALID_INPUT", "At most 100 characters.", "position")),
        (
            {"companySize": "c" * 51},
            error("INVALID_INPUT", "At most 50 characters.", "companySize"),
        ),
        ({"needs": ["n"] * 21}, error("INVALID_INPUT", "At most 20 items.", "needs")),
        ({"needs": ["templates", " "]}, NEEDS_ERROR),
        ({"bio": "line\x00"}, error("INVALID_INPUT", FREE_TEXT_CHARACTERS, "bio")),
        ({"industry": "two\nlines"}, error("INVALID_INPUT", ONE_LINE_CHARACTERS, "industry")),
        ({"displayName": "\u202eevil"}, error("INVALID_INPUT", ONE_LINE_CHARACTERS, "displayName")),
        ({"needs": ["n" * 51]}, NEEDS_ERROR),
    ],
)
async def test_invalid_values_are_refused_and_nothing_changes(
    client: httpx.AsyncClient,
    db: AsyncSession,
    viewers: Viewers,
    values: dict[str, Any],
    user_error: dict[str, Any],
) -> None:
    viewer = await viewers.individual(display_name="Before", bio="Old bio", needs=["old"])

    # A valid change beside the invalid one is not applied either.
    changes = {"displayName": "After", "bio": "New bio", "needs": ["new"], **values}
    body = await update_profile(client, viewer.token, **changes)

    assert body == refused(user_error)
    account = await reloaded(db, viewer.me)
    assert (account.display_name, account.bio, account.needs, account.avatar_url) == (
        "Before",
        "Old bio",
        ["old"],
        None,
    )


@pytest.mark.parametrize(
    ("values", "user_errors"),
    [
        pytest.param(
            {
                "displayName": "x" * 31,
                "avatarUrl": "https://cdn.example.com/\x00",
                "bio": "b" * 501,
                "industry": "i" * 101,
                "position": "p" * 101,
                "companySize": "c" * 51,
                "needs": ["n" * 51],
            },
            [
                error("INVALID_INPUT", "Give 1 to 30 characters.", "displayName"),
                error("INVALID_INPUT", ONE_LINE_CHARACTERS, "avatarUrl"),
                error("INVALID_INPUT", "At most 500 characters.", "bio"),
                error("INVALID_INPUT", "At most 100 characters.", "industry"),
                error("INVALID_INPUT", "At most 100 characters.", "position"),
                error("INVALID_INPUT", "At most 50 characters.", "companySize"),
                NEEDS_ERROR,
            ],
            id="too-long-or-with-refused-characters",
        ),
        pytest.param(
            {"displayName": "", "avatarUrl": "mailto:a@example.com", "needs": [""]},
            [NAME_ERROR, URL_ERROR, NEEDS_ERROR],
            id="meaning-nothing",
        ),
    ],
)
async def test_every_problem_is_reported_at_once(
    client: httpx.AsyncClient,
    viewers: Viewers,
    values: dict[str, Any],
    user_errors: list[dict[str, Any]],
) -> None:
    viewer = await viewers.business()

    body = await update_profile(client, viewer.token, **values)

    assert body == refused(*user_errors)
