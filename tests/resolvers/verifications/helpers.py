"""What the verification and bank-card tests share: an adult's ID number, the user errors
of a text out of bounds and of sensitive data given without its separate consent, and a
real name verified over the API beforehand (a student and a card holder must match it)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import graphql
from tests.resolvers.settings.helpers import resident_id, years_before
from tests.support.assertions import USER_ERRORS, error
from tests.support.clock import Clock

SUBMIT_REAL_NAME = f"""
mutation($input: SubmitRealNameVerificationInput!) {{
  submitRealNameVerification(input: $input) {{ {USER_ERRORS} }}
}}
"""


def adult_id(clock: Clock) -> str:
    """The ID number of someone 30 years old today."""
    return resident_id(years_before(clock().date(), 30))


def out_of_bounds(field: str, most: int) -> dict[str, Any]:
    """The user error of a text field left blank or longer than `most` characters."""
    return error("INVALID_INPUT", f"Give 1 to {most} characters.", field)


CONSENT_REQUIRED = error(
    "CONSENT_REQUIRED",
    "Sensitive personal information needs your separate consent.",
    "separateConsent",
)


async def verify_real_name(
    client: httpx.AsyncClient, token: str, real_name: str, id_number: str
) -> None:
    """submitRealNameVerification with the separate consent, answered without userErrors
    (verified or not, as the test's verifier decides)."""
    variables = {"input": {"realName": real_name, "idNumber": id_number, "separateConsent": True}}
    body = await graphql(client, SUBMIT_REAL_NAME, variables, token=token)
    assert body == {"data": {"submitRealNameVerification": {"userErrors": []}}}
