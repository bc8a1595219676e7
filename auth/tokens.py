"""Access tokens (signed JWTs, joserfc) and refresh tokens (opaque, stored as HMACs)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

ACCESS_TOKEN_TTL = timedelta(minutes=15)
REFRESH_TOKEN_TTL = timedelta(days=30)
ALGORITHM = "HS256"
ISSUER = "xiamo-gateway"


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


class TokenIssuer:
    def __init__(self, signing_key: bytes) -> None:
        self._key = OctKey.import_key(signing_key)
        self._hmac_key = hashlib.sha256(b"refresh-token:" + signing_key).digest()

    def access_token(self, session_id: uuid.UUID, now: datetime) -> tuple[str, datetime]:
        expires_at = now + ACCESS_TOKEN_TTL
        claims = {
            "iss": ISSUER,
            "sid": session_id.hex,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            "typ": "access",
        }
        return jwt.encode({"alg": ALGORITHM}, claims, self._key), expires_at

    def verify_access(self, token: str, now: datetime) -> AccessClaims:
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            registry = jwt.JWTClaimsRegistry(
                now=int(now.timestamp()),
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
        return AccessClaims(session_id=session_id, expires_at=expires_at)

    def new_refresh_token(self, session_id: uuid.UUID) -> RefreshToken:
        return RefreshToken(session_id=session_id, secret=secrets.token_urlsafe(32))

    def refresh_secret_hash(self, secret: str) -> bytes:
        return hmac.new(self._hmac_key, secret.encode(), hashlib.sha256).digest()

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
