"""Access tokens (signed JWTs, joserfc) and refresh tokens (opaque, stored as HMACs).

Access tokens are HS256 JWTs whose header names the signing key (`kid`). The signing
keys come from `GATEWAY_TOKEN_SIGNING_KEY`, oldest first: the last signs, and every one
verifies the tokens signed with it, so that a new key can be rolled out, and an old one
retired, while every token in circulation stays valid until it expires. A token that
names no key, names a key that is not configured or is signed with another algorithm
is refused.

Refresh-token secrets are stored as HMACs under a key of their own
(`KeyPurpose.REFRESH_TOKEN`, derived from the blind-index master keys), never under a
key that also signs tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import GuestProtocol, OctKey

from models.encryption import KeyPurpose, MasterKey, derive_key, keyed_hash

ACCESS_TOKEN_TTL = timedelta(minutes=15)
REFRESH_TOKEN_TTL = timedelta(days=30)
ALGORITHM = "HS256"
ISSUER = "xiamo-gateway"
# The kid of a signing key written without a key id (the form of earlier releases):
# derived from the key, so that every instance names it alike, and revealing nothing of it.
UNVERSIONED_KID_LABEL = "xiamo-gateway/token-signing-key-id"
REFRESH_DOMAIN = "refresh-token"
# Access tokens verified recently, kept with their claims (the most recently used).
VERIFIED_KEPT = 4096


class InvalidToken(Exception):
    """Malformed, forged, expired or of the wrong kind."""


@dataclass(frozen=True)
class AccessClaims:
    session_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True)
class RefreshToken:
    session_id: uuid.UUID
    secret: str

    def __str__(self) -> str:
        return f"{self.session_id.hex}.{self.secret}"


def key_id(master: MasterKey) -> str:
    """The `kid` under which a signing key signs: its version, or for a key without one a
    name derived from the key."""
    if master.version is not None:
        return master.version
    digest = derive_key(master.secret, UNVERSIONED_KID_LABEL)[:9]
    return "u" + base64.urlsafe_b64encode(digest).decode()


class TokenIssuer:
    def __init__(self, signing_keys: Sequence[MasterKey]) -> None:
        if not signing_keys:
            raise ValueError("no token signing key")
        self._keys = {key_id(master): OctKey.import_key(master.secret) for master in signing_keys}
        self._kid = key_id(signing_keys[-1])
        # Verified access tokens by their digest: their claims, and the moments they are
        # valid between.
        self._verified: OrderedDict[bytes, tuple[AccessClaims, float, float]] = OrderedDict()
        # Earlier releases stored refresh-token HMACs under a hash of the signing key; a
        # signing key in that form still verifies them, so that no session ends on upgrade.
        # Every refresh stores the new secret under the refresh-token key instead.
        self._earlier_refresh_keys = tuple(
            hashlib.sha256(b"refresh-token:" + master.secret).digest()
            for master in signing_keys
            if master.version is None
        )

    @property
    def current_kid(self) -> str:
        return self._kid

    def access_token(self, session_id: uuid.UUID, now: datetime) -> tuple[str, datetime]:
        expires_at = now + ACCESS_TOKEN_TTL
        claims = {
            "iss": ISSUER,
            "sid": session_id.hex,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            "typ": "access",
        }
        header = {"alg": ALGORITHM, "kid": self._kid}
        return jwt.encode(header, claims, self._keys[self._kid]), expires_at

    def _verifying_key(self, token: GuestProtocol) -> OctKey:
        """The key the token's header names; none for another algorithm or no known kid."""
        header = token.headers()
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str) or kid not in self._keys:
            raise InvalidToken
        return self._keys[kid]

    def verify_access(self, token: str, now: datetime) -> AccessClaims:
        """The claims of a well-signed access token valid at `now`; InvalidToken otherwise.

        A token verified before is not decoded again (a client sends the same one with
        every request): its claims are kept, under the token's SHA-256 digest (no bearer
        token is held in clear), with the moments it is valid between, checked anew as
        the claims registry checks them (refused before its `iat` or `nbf`, and from its
        `exp` on, when it is forgotten). A refused token is never kept.
        """
        at = int(now.timestamp())
        key = hashlib.sha256(token.encode()).digest()
        verified = self._verified.get(key)
        if verified is not None:
            claims, valid_from, valid_until = verified
            if at >= valid_until:
                del self._verified[key]  # expired: never valid again
                raise InvalidToken
            if at < valid_from:
                raise InvalidToken
            self._verified.move_to_end(key)
            return claims
        try:
            decoded = jwt.decode(token, self._verifying_key, algorithms=[ALGORITHM])
            registry = jwt.JWTClaimsRegistry(
                now=at,
                leeway=0,
                iss={"essential": True, "value": ISSUER},
                exp={"essential": True},
                sid={"essential": True},
                typ={"essential": True, "value": "access"},
            )
            registry.validate(decoded.claims)
            session_id = uuid.UUID(hex=str(decoded.claims["sid"]))
            expires_at = datetime.fromtimestamp(int(decoded.claims["exp"]), now.tzinfo)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise InvalidToken from exc
        claims = AccessClaims(session_id=session_id, expires_at=expires_at)
        moments = [decoded.claims.get(name) for name in ("iat", "nbf")]
        valid_from = max((m for m in moments if m is not None), default=float("-inf"))
        self._verified[key] = (claims, valid_from, decoded.claims["exp"])
        if len(self._verified) > VERIFIED_KEPT:
            self._verified.popitem(last=False)
        return claims

    def new_refresh_token(self, session_id: uuid.UUID) -> RefreshToken:
        return RefreshToken(session_id=session_id, secret=secrets.token_urlsafe(32))

    def refresh_secret_hash(self, secret: str) -> bytes:
        """What is stored of a new refresh-token secret: its HMAC under the current key."""
        return keyed_hash(KeyPurpose.REFRESH_TOKEN).digest(REFRESH_DOMAIN, secret)

    def refresh_secret_matches(self, stored: bytes, secret: str) -> bool:
        """Whether `stored` is the HMAC of `secret` under any configured refresh-token key
        (or, for a session last refreshed by an earlier release, its earlier HMAC)."""
        found = keyed_hash(KeyPurpose.REFRESH_TOKEN).matches(stored, REFRESH_DOMAIN, secret)
        for key in self._earlier_refresh_keys:
            earlier = hmac.new(key, secret.encode(), hashlib.sha256).digest()
            found |= hmac.compare_digest(stored, earlier)
        return found

    @staticmethod
    def parse_refresh_token(value: str) -> RefreshToken:
        session_hex, sep, secret = value.partition(".")
        try:
            session_id = uuid.UUID(hex=session_hex)
        except ValueError as exc:
            raise InvalidToken from exc
        if not sep or not secret:
            raise InvalidToken
        return RefreshToken(session_id=session_id, secret=secret)
