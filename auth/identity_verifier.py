"""Real-name and student verification against an outside provider
(docs/spec/settings.md#the-identity-verifier).

The gateway checks the format of what it submits (ID number, verification code) itself;
the verifier answers whether the person and the document match. Two verifiers share one
interface:

- :class:`BuiltInVerifier` (development and tests) verifies every request.
- :class:`HttpVerifier` (production) asks a verification provider over HTTP.

Requests carry a name and an ID number, so nothing here logs them, and the text of every
:class:`VerificationUnavailable` names the kind of check and the cause only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import httpx

from auth.provider_client import ProviderClient, ProviderUnreachable

VerificationKind = Literal["REAL_NAME", "STUDENT"]

# A provider's reason is stored with the verification; longer text is cut to the size
# of that column.
MAX_REASON_LENGTH = 200


@dataclass(frozen=True)
class VerificationRequest:
    """What a person submitted, already validated by the gateway.

    ``school`` and ``verification_code`` are given for student verification only.
    """

    kind: VerificationKind
    real_name: str
    id_number: str
    school: str | None = None
    verification_code: str | None = None

    def __repr__(self) -> str:
        # Keep the name, ID number and code out of tracebacks and debug output.
        return f"{type(self).__name__}(kind={self.kind!r}, <personal data hidden>)"


@dataclass(frozen=True)
class VerificationOutcome:
    """The provider's answer: ``rejection_reason`` is ``None`` when ``verified``."""

    verified: bool
    rejection_reason: str | None


class VerificationUnavailable(Exception):
    """The provider could not give an answer; the submission should be retried later.

    Its text names the kind of verification and the cause only, never the name, ID
    number, school or code submitted, so it is safe to log.
    """


class IdentityVerifier(Protocol):
    async def verify(self, request: VerificationRequest) -> VerificationOutcome:
        """Check ``request`` with the provider or raise :class:`VerificationUnavailable`."""
        ...


class BuiltInVerifier(IdentityVerifier):
    """Verifies every request: the gateway has validated the format already."""

    async def verify(self, request: VerificationRequest) -> VerificationOutcome:
        return VerificationOutcome(verified=True, rejection_reason=None)


class HttpVerifier(ProviderClient, IdentityVerifier):
    """Posts each request as JSON to a verification provider's endpoint.

    The body is ``{"kind", "realName", "idNumber", "school", "verificationCode"}`` (the
    last two ``null`` for real-name verification), with ``Authorization: Bearer
    <token>`` when a token is configured. The provider answers
    ``{"verified": true|false, "reason": "..."|null}``; ``reason`` may be left out and is
    kept only for a rejection, cut to :data:`MAX_REASON_LENGTH` characters.

    Any answer outside 2xx (redirects included: they are not followed), an answer of
    another shape, a network error or a timeout raise :class:`VerificationUnavailable`.

    The verifier keeps one connection pool for its lifetime; close it with :meth:`aclose`
    (or ``async with``) at shutdown. ``transport`` lets tests replace the network.
    """

    PROVIDER = "id_verification"

    async def verify(self, request: VerificationRequest) -> VerificationOutcome:
        payload = {
            "kind": request.kind,
            "realName": request.real_name,
            "idNumber": request.id_number,
            "school": request.school,
            "verificationCode": request.verification_code,
        }
        try:
            response = await self.post(payload)
        except ProviderUnreachable as exc:
            raise VerificationUnavailable(
                f"{request.kind} verification unavailable: {exc}"
            ) from exc
        return _outcome(request.kind, response)


def _outcome(kind: VerificationKind, response: httpx.Response) -> VerificationOutcome:
    """The outcome in a provider's 2xx answer, or :class:`VerificationUnavailable`.

    The answer's text is never quoted in the error: a provider may echo what it was sent.
    """
    malformed = VerificationUnavailable(
        f"{kind} verification unavailable: the provider's answer is malformed"
    )
    try:
        answer = response.json()
    except ValueError:  # not JSON, or not text in the declared encoding
        raise malformed from None
    if not isinstance(answer, dict):
        raise malformed
    verified = answer.get("verified")
    reason = answer.get("reason")
    # ``bool`` exactly: 0, 1 or "true" would be a provider speaking another protocol.
    if not isinstance(verified, bool) or not (reason is None or isinstance(reason, str)):
        raise malformed
    if verified:
        return VerificationOutcome(verified=True, rejection_reason=None)
    return VerificationOutcome(
        verified=False, rejection_reason=reason[:MAX_REASON_LENGTH] if reason else None
    )
