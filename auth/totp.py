"""Staff's second factor: time-based one-time passwords (RFC 6238, `pyotp`).

Codes are 6 digits over 30-second steps; the step before and after the current one
are accepted for clock drift. A code works once: the last step accepted is stored,
and only a later one is accepted after it. Tries are limited like codes: 5 wrong in
15 minutes per staff member, counted before the code is checked.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

from auth.rate_limits import Limit

ISSUER = "xiamo-gateway"
TOTP_TRIES = Limit("totp-tries", 5, 15 * 60)
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The `otpauth://` URI an authenticator app reads (as text or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def current_code(secret: str, now: datetime) -> str:
    return pyotp.TOTP(secret).at(now)


def accepted_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to, if it is right, near now and newer than the last
    one accepted; None otherwise."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code.strip()):
            return step
    return None
