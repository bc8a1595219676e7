"""A Python client, `gql` over httpx, drives a running gateway as a service or a script
would: sign-in by SMS through the development outbox, the SPA's home query, a mutation,
a step-up refusal, and an expired access token refreshed by the client's own error
handling (`refreshSession` after UNAUTHENTICATED, then the same request again)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from joserfc import jwt
from joserfc.jwk import OctKey

from auth.tokens import ACCESS_TOKEN_TTL, TokenIssuer
from models.encryption import MasterKey
from tests.conftest import TEST_SECRETS
from tests.live_gateway import LiveGateway, live_gateway
from tests.support.assertions import EMPTY_PROFILE

DEMO_PHONE = "13800138000"

REQUEST_CODE = gql("""
mutation RequestCode($input: RequestSmsCodeInput!) {
  requestSmsCode(input: $input) { sent userErrors { field code message } }
}
""")
LOGIN = gql("""
mutation Login($input: LoginWithSmsInput!) {
  loginWithSms(input: $input) {
    accessToken refreshToken
    account { __typename id }
    userErrors { field code message }
  }
}
""")
REFRESH = gql("""
mutation Refresh($input: RefreshSessionInput!) {
  refreshSession(input: $input) { accessToken refreshToken userErrors { field code message } }
}
""")
HOME = gql("""
query Home {
  viewer {
    account {
      __typename
      id
      kind
      displayName
      phone
      email
      profile { bio industry position companySize needs }
      security { hasPassword phoneBound emailBound emailVerified passwordChangedAt }
      verifications {
        realName { status realName idNumber }
        student { status }
      }
      bankCards { __typename bankName branch location cardNumber last4 holderName cardType }
      consents { purpose granted separate policyVersion }
    }
  }
}
""")
UPDATE_PROFILE = gql("""
mutation UpdateProfile($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    account { id displayName profile { bio industry } }
    userErrors { field code message }
  }
}
""")
REVEAL_PHONE = gql("query RevealPhone { viewer { account { id phone(reveal: true) } } }")


def expired_copy(access_token: str) -> str:
    """The same session's access token as the gateway issued it a quarter of an hour
    ago, signed with its key: expired now, like a token an SPA kept overnight."""
    (kid, _, key) = TEST_SECRETS["token_signing_key"].partition(":")
    secret = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    claims = jwt.decode(access_token, OctKey.import_key(secret)).claims
    issued_at = datetime.now(UTC) - ACCESS_TOKEN_TTL - timedelta(minutes=1)
    token, _ = TokenIssuer([MasterKey(kid, secret)]).access_token(
        uuid.UUID(hex=claims["sid"]), issued_at
    )
    return token


@dataclass
class GatewayClient:
    """The client side of a signed-in person: `gql` over httpx, with the tokens it holds
    and the error handling an application writes once: on UNAUTHENTICATED, trade the
    refresh token for new tokens and send the same request again."""

    url: str
    access_token: str | None = None
    refresh_token: str | None = None
    refreshes: int = 0
    sent_tokens: list[str | None] = field(default_factory=list)

    async def execute(self, request: GraphQLRequest, **variables: Any) -> dict[str, Any]:
        try:
            return await self._send(request, variables)
        except TransportQueryError as error:
            if not _is_unauthenticated(error) or self.refresh_token is None:
                raise
        await self._refresh()
        return await self._send(request, variables)

    async def _send(self, request: GraphQLRequest, variables: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}
        self.sent_tokens.append(self.access_token)
        transport = HTTPXAsyncTransport(url=self.url, headers=headers, trust_env=False)
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            result: dict[str, Any] = await session.execute(
                GraphQLRequest(request.document, variable_values=variables or None)
            )
            return result

    async def _refresh(self) -> None:
        token, self.access_token = self.refresh_token, None
        refreshed = await self._send(REFRESH, {"input": {"refreshToken": token}})
        payload = refreshed["refreshSession"]
        assert payload["userErrors"] == []
        self.access_token, self.refresh_token = payload["accessToken"], payload["refreshToken"]
        self.refreshes += 1


def _is_unauthenticated(error: TransportQueryError) -> bool:
    return any(
        (item.get("extensions") or {}).get("code") == "UNAUTHENTICATED"
        for item in error.errors or []
    )


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """The installed gateway with the demo data, started by `serve`."""
    with live_gateway(tmp_path_factory.mktemp("gql-gateway"), seed_demo=True) as running:
        yield running


@pytest.fixture(scope="module")
async def signed_in(gateway: LiveGateway) -> GatewayClient:
    """The demo individual, signed in once by SMS (a new code is refused for a minute):
    requestSmsCode, the code from the development outbox, loginWithSms."""
    client = GatewayClient(f"{gateway.url}/graphql")
    requested = await client.execute(REQUEST_CODE, input={"phone": DEMO_PHONE, "purpose": "LOGIN"})
    assert requested == {"requestSmsCode": {"sent": True, "userErrors": []}}
    async with httpx.AsyncClient(base_url=gateway.url, trust_env=False) as http:
        outbox = (await http.get("/dev/outbox", params={"to": DEMO_PHONE})).json()
    code = outbox[0]["code"]
    assert outbox[0]["purpose"] == "LOGIN"

    login = await client.execute(LOGIN, input={"phone": DEMO_PHONE, "code": code})

    payload = login["loginWithSms"]
    assert payload["userErrors"] == []
    assert payload["account"]["__typename"] == "IndividualAccount"
    client.access_token, client.refresh_token = payload["accessToken"], payload["refreshToken"]
    return client


async def test_the_spa_home_query_reads_the_whole_account_masked(
    signed_in: GatewayClient,
) -> None:
    home = await signed_in.execute(HOME)

    account = home["viewer"]["account"]
    assert account == {
        "__typename": "IndividualAccount",
        "id": account["id"],
        "kind": "INDIVIDUAL",
        "displayName": "Demo Individual",
        "phone": "138****8000",
        "email": None,
        "profile": EMPTY_PROFILE,
        "security": {
            "hasPassword": False,
            "phoneBound": True,
            "emailBound": False,
            "emailVerified": False,
            "passwordChangedAt": None,
        },
        "verifications": {
            "realName": {"status": "VERIFIED", "realName": "*三", "idNumber": "1****************X"},
            "student": None,
        },
        "bankCards": [
            {
                "__typename": "BankCard",
                "bankName": "中国工商银行",
                "branch": "Beijing Haidian Branch",
                "location": "Beijing",
                "cardNumber": "***************5679",
                "last4": "5679",
                "holderName": "*三",
                "cardType": "DEBIT",
            }
        ],
        "consents": account["consents"],
    }
    granted = {
        item["purpose"]: (item["separate"], item["policyVersion"])
        for item in account["consents"]
        if item["granted"]
    }
    assert granted == {
        "SENSITIVE_REAL_NAME": (True, "1.0"),
        "SENSITIVE_BANK_CARD": (True, "1.0"),
        "SEARCH_HISTORY": (False, "1.0"),
        "PERSONALIZED_RECOMMENDATIONS": (False, "1.0"),
    }
    assert signed_in.refreshes == 0


async def test_a_mutation_changes_the_profile(signed_in: GatewayClient) -> None:
    changed = await signed_in.execute(
        UPDATE_PROFILE, input={"bio": "Designs posters", "industry": "Printing"}
    )
    home = await signed_in.execute(HOME)

    payload = changed["updateProfile"]
    assert payload["userErrors"] == []
    assert payload["account"]["profile"] == {"bio": "Designs posters", "industry": "Printing"}
    assert home["viewer"]["account"]["profile"]["bio"] == "Designs posters"


async def test_a_reveal_without_step_up_is_refused_with_step_up_required(
    signed_in: GatewayClient,
) -> None:
    with pytest.raises(TransportQueryError) as refused:
        await signed_in.execute(REVEAL_PHONE)

    assert refused.value.data is not None
    assert refused.value.data["viewer"]["account"]["phone"] is None
    assert [(error["path"], error["extensions"]) for error in refused.value.errors or []] == [
        (["viewer", "account", "phone"], {"code": "STEP_UP_REQUIRED"})
    ]
    assert signed_in.refreshes == 0


async def test_an_expired_token_is_refreshed_by_the_client_and_the_request_sent_again(
    signed_in: GatewayClient, gateway: LiveGateway
) -> None:
    original_refresh = signed_in.refresh_token
    expired = expired_copy(str(signed_in.access_token))
    signed_in.access_token = expired

    home = await signed_in.execute(HOME)

    assert home["viewer"]["account"]["phone"] == "138****8000"
    assert signed_in.refreshes == 1
    # Sent with the expired token, refused; the refresh, sent with none; the retry.
    assert signed_in.sent_tokens[-3:] == [expired, None, signed_in.access_token]
    assert signed_in.access_token != expired
    assert signed_in.refresh_token != original_refresh


async def test_the_refusal_of_an_expired_token_is_a_401_with_unauthenticated(
    signed_in: GatewayClient, gateway: LiveGateway
) -> None:
    expired = expired_copy(str(signed_in.access_token))
    async with httpx.AsyncClient(base_url=gateway.url, trust_env=False) as http:
        response = await http.post(
            "/graphql",
            json={"query": "{ viewer { account { id } } }"},
            headers={"Authorization": f"Bearer {expired}"},
        )

    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {
                "message": "The bearer token is malformed, expired or revoked.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
    with pytest.raises(TransportQueryError) as refused:
        await GatewayClient(f"{gateway.url}/graphql", access_token=expired).execute(HOME)
    assert refused.value.errors == response.json()["errors"]
