"""Signing keys named by `kid`: rolled out, used and retired with no token refused early,
and every token that names no known key, or another algorithm, refused with 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwt
from joserfc.jwk import OctKey
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from auth import tokens
from auth.senders import Outbox
from auth.tokens import AccessClaims, InvalidToken, TokenIssuer, key_id
from gateway.app import create_app
from gateway.services import build_services
from models import AuthSession
from models.encryption import MasterKey
from tests.conftest import TEST_SECRETS, Clock, make_settings
from tests.helpers import graphql
from tests.resolvers.auth.helpers import (
    AUTH_PAYLOAD,
    UNAUTHENTICATED_BODY,
    create_password_account,
    login_with_password,
)

T1_KEY, T2_KEY = b"t" * 32, b"2" * 32
T1 = TEST_SECRETS["token_signing_key"]
T2 = "t2:" + base64.urlsafe_b64encode(T2_KEY).decode()
EMAIL = "owner@tokens.example"
VIEWER = "{ viewer { account { id } } }"
REFRESH = f"""
mutation($token: String!) {{ refreshSession(input: {{refreshToken: $token}}) {{ {AUTH_PAYLOAD} }} }}
"""
SESSION_ID = uuid.UUID(int=7)


def header_of(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    header: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return header


def test_an_access_token_names_its_signing_key() -> None:
    issuer = TokenIssuer([MasterKey("t1", T1_KEY), MasterKey("t2", T2_KEY)])

    token, _ = issuer.access_token(SESSION_ID, Clock().now)

    assert header_of(token) == {"alg": "HS256", "kid": "t2", "typ": "JWT"}


def test_a_key_without_a_key_id_is_named_alike_everywhere_and_by_nothing_of_its_own() -> None:
    kid = key_id(MasterKey(None, T1_KEY))

    assert kid == key_id(MasterKey(None, T1_KEY)) != key_id(MasterKey(None, T2_KEY))
    assert kid.startswith("u")
    assert len(kid) == 13
    assert base64.urlsafe_b64encode(T1_KEY).decode()[:8] not in kid


def test_every_configured_key_verifies_what_it_signed_and_nothing_else() -> None:
    clock = Clock()
    old = TokenIssuer([MasterKey("t1", T1_KEY)])
    both = TokenIssuer([MasterKey("t1", T1_KEY), MasterKey("t2", T2_KEY)])
    new = TokenIssuer([MasterKey("t2", T2_KEY)])
    signed_by_old, _ = old.access_token(SESSION_ID, clock.now)
    signed_by_new, _ = both.access_token(SESSION_ID, clock.now)

    assert both.verify_access(signed_by_old, clock.now).session_id == SESSION_ID
    assert new.verify_access(signed_by_new, clock.now).session_id == SESSION_ID
    with pytest.raises(InvalidToken):
        new.verify_access(signed_by_old, clock.now)
    with pytest.raises(InvalidToken):
        old.verify_access(signed_by_new, clock.now)


def test_a_token_verified_before_is_valid_exactly_as_long_as_a_fresh_verification_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The kept claims of a verified token: the same answer as decoding it anew, at
    every moment around its `iat` and its `exp`."""
    issued_at = Clock().now.replace(microsecond=0)
    token, expires_at = TokenIssuer([MasterKey("t1", T1_KEY)]).access_token(SESSION_ID, issued_at)
    keeping = TokenIssuer([MasterKey("t1", T1_KEY)])
    assert keeping.verify_access(token, issued_at).session_id == SESSION_ID
    decodes: list[str] = []
    decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decodes.append("decoded") or decode(*a, **k))
    moments = [
        issued_at - timedelta(seconds=1),
        issued_at,
        expires_at - timedelta(seconds=1),
        expires_at - timedelta(microseconds=1),
        expires_at,
        expires_at + timedelta(hours=1),
    ]

    def answer(issuer: TokenIssuer, now: datetime) -> object:
        try:
            return issuer.verify_access(token, now)
        except InvalidToken:
            return InvalidToken

    kept = [answer(keeping, now) for now in moments]
    # Kept until it expired; then forgotten, and the last moment decoded it again.
    assert decodes == ["decoded"]
    fresh = [answer(TokenIssuer([MasterKey("t1", T1_KEY)]), now) for now in moments]
    assert kept == fresh
    valid = AccessClaims(SESSION_ID, expires_at)
    assert kept == [InvalidToken, valid, valid, valid, InvalidToken, InvalidToken]


def test_a_token_is_kept_no_longer_than_it_verifies() -> None:
    """A bearer token refused as expired is of no more use: the issuer keeps no copy of
    it (nor, with no other token verified, anything else) to answer the next request."""
    issued_at = Clock().now
    issuer = TokenIssuer([MasterKey("t1", T1_KEY)])
    token, expires_at = issuer.access_token(SESSION_ID, issued_at)
    issuer.verify_access(token, issued_at)

    with pytest.raises(InvalidToken):
        issuer.verify_access(token, expires_at)

    assert not issuer._verified


def test_only_the_most_recently_used_tokens_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_KEPT", 2)
    clock = Clock()
    issuer = TokenIssuer([MasterKey("t1", T1_KEY)])
    first, second, third = (issuer.access_token(uuid.UUID(int=n), clock.now)[0] for n in (1, 2, 3))
    decodes: list[str] = []
    decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decodes.append("decoded") or decode(*a, **k))
    for token in (first, second, first, third, first, second):
        issuer.verify_access(token, clock.now)
    # first, second decoded; first kept; third pushes out second; second decoded again.
    assert len(decodes) == 4
    forged = jwt.encode({"alg": "HS256", "kid": "t1"}, claims(clock), OctKey.import_key(T2_KEY))
    for _ in range(2):
        with pytest.raises(InvalidToken):
            issuer.verify_access(forged, clock.now)
    assert len(decodes) == 6


def claims(clock: Clock) -> dict[str, Any]:
    now = int(clock.now.timestamp())
    return {"iss": "xiamo-gateway", "sid": SESSION_ID.hex, "iat": now, "exp": now + 900}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def signed_by_hand(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    """A JWS that joserfc would not write (it refuses a kid that is not a string)."""
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


FORGERIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "no kid": lambda c: jwt.encode({"alg": "HS256"}, c, OctKey.import_key(T1_KEY)),
    "unknown kid": lambda c: jwt.encode(
        {"alg": "HS256", "kid": "t9"}, c, OctKey.import_key(T1_KEY)
    ),
    "kid of another type": lambda c: signed_by_hand({"alg": "HS256", "kid": 1}, c, T1_KEY),
    "HS512 with the right key": lambda c: jwt.encode(
        {"alg": "HS512", "kid": "t1"}, c, OctKey.import_key(T1_KEY), algorithms=["HS512"]
    ),
    "alg none": lambda c: f"{_b64({'alg': 'none', 'kid': 't1'})}.{_b64(c)}.",
    "right kid, another key": lambda c: jwt.encode(
        {"alg": "HS256", "kid": "t1"}, c, OctKey.import_key(T2_KEY)
    ),
}


@pytest.mark.parametrize("kind", FORGERIES)
async def test_a_token_naming_no_known_key_or_another_algorithm_answers_401(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock, kind: str
) -> None:
    await create_password_account(db, email=EMAIL)
    signed_in = await login_with_password(client, EMAIL)
    genuine = claims(clock) | {"typ": "access", "sid": header_sid(signed_in["accessToken"])}

    response = await client.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Authorization": f"Bearer {FORGERIES[kind](genuine)}"},
    )

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED_BODY
    assert (await graphql(client, VIEWER, token=signed_in["accessToken"]))["data"]["viewer"]


def header_sid(token: str) -> str:
    part = token.split(".")[1]
    sid: str = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))["sid"]
    return sid


@pytest.fixture
def gateway_with(
    db_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    clock: Clock,
) -> Callable[[str], Any]:
    """A gateway instance whose GATEWAY_TOKEN_SIGNING_KEY is `setting`, on the test's data."""

    @asynccontextmanager
    async def gateway(setting: str) -> AsyncIterator[httpx.AsyncClient]:
        settings = make_settings(db_url, token_signing_key=setting)
        services = build_services(settings, outbox)
        app = create_app(
            settings,
            engine=engine,
            session_factory=session_factory,  # type: ignore[arg-type]
            services=services,
            outbox=outbox,
            clock=clock,
        )
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield c
        finally:
            await services.limiter.close()

    return gateway


async def status_of_viewer(client: httpx.AsyncClient, token: str) -> int:
    response = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


async def test_a_signing_key_rotates_with_no_token_refused_before_it_expires(
    db: AsyncSession, gateway_with: Callable[[str], Any], clock: Clock
) -> None:
    await create_password_account(db, email=EMAIL)
    async with (
        gateway_with(T1) as old,
        gateway_with(f"{T2},{T1}") as step1,
        gateway_with(f"{T1},{T2}") as step2,
        gateway_with(T2) as step3,
    ):
        by_old = (await login_with_password(old, EMAIL))["accessToken"]
        by_step1 = (await login_with_password(step1, EMAIL))["accessToken"]
        by_step2 = (await login_with_password(step2, EMAIL))["accessToken"]

        # Until step 2 the old key signs; from step 2 on the new one does.
        assert [header_of(t)["kid"] for t in (by_old, by_step1, by_step2)] == ["t1", "t1", "t2"]
        # Step 1 is rolled out before step 2: while both run, every token is accepted.
        for instance in (step1, step2):
            assert [await status_of_viewer(instance, t) for t in (by_old, by_step2)] == [200, 200]
        # Once the old key's tokens have expired (15 minutes), it is dropped.
        assert await status_of_viewer(step3, by_step2) == 200
        assert await status_of_viewer(step3, by_old) == 401
        clock.advance(minutes=15)
        assert await status_of_viewer(step2, by_old) == 401


def refresh_hash(secret: str) -> bytes:
    """How a refresh-token secret is stored now: under the refresh-token key derived from
    the blind-index master key (the test's b1), whatever the signing key."""
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"xiamo-gateway/refresh-token"
    ).derive(b"b" * 32)
    return hmac.new(key, b"refresh-token\x00" + secret.encode(), hashlib.sha256).digest()


def earlier_refresh_hash(signing_key: bytes, secret: str) -> bytes:
    """How earlier releases stored a refresh-token secret: under a hash of the signing key."""
    key = hashlib.sha256(b"refresh-token:" + signing_key).digest()
    return hmac.new(key, secret.encode(), hashlib.sha256).digest()


async def test_a_session_refreshed_by_an_earlier_release_refreshes_once_more_and_moves_on(
    db: AsyncSession, gateway_with: Callable[[str], Any]
) -> None:
    bare = base64.urlsafe_b64encode(T1_KEY).decode()
    await create_password_account(db, email=EMAIL)
    async with gateway_with(bare) as gateway:
        signed_in = await login_with_password(gateway, EMAIL)
        session_id, _, secret = signed_in["refreshToken"].partition(".")
        row = await db.get(AuthSession, uuid.UUID(hex=session_id))
        assert row is not None
        row.refresh_secret_hash = earlier_refresh_hash(T1_KEY, secret)
        await db.commit()

        refreshed = await graphql(gateway, REFRESH, {"token": signed_in["refreshToken"]})

        payload = refreshed["data"]["refreshSession"]
        assert payload["userErrors"] == []
        assert header_of(payload["accessToken"])["kid"] == key_id(MasterKey(None, T1_KEY))
        await db.refresh(row)
        new_secret = payload["refreshToken"].partition(".")[2]
        assert row.refresh_secret_hash == refresh_hash(new_secret)
    # A versioned signing key no longer vouches for the earlier form.
    async with gateway_with(T1) as gateway:
        row.refresh_secret_hash = earlier_refresh_hash(T1_KEY, new_secret)
        await db.commit()
        again = await graphql(gateway, REFRESH, {"token": payload["refreshToken"]})
        assert again["data"]["refreshSession"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
