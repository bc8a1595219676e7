"""Passwords: the rule every new password meets, and Argon2id hashing.

The rule (`password_problem`, the one place it lives) counts characters as code points,
12 to 128, any Unicode, with no composition rules, and refuses a password on the list of
the 100,000 most common passwords of breaches that ships in `auth/data/` (see its
README). The list is compared after NFKC normalization and case folding, so that a
listed password typed in full-width characters (as CJK input methods produce) or with
other capitals is refused too. The password itself is hashed exactly as typed:
normalizing it before hashing would stop existing passwords typed in another form from
verifying.

Hashing and verifying cost tens to hundreds of milliseconds of CPU on purpose, so they
never run on the event loop: they run in a small pool of worker threads (Argon2's C code
releases the GIL), bounded so that a flood of password checks queues there instead of
taking every core from the requests that need none.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import os
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from auth.rate_limits import Limit, RateLimiter
from models.encryption import KeyPurpose, keyed_hash

T = TypeVar("T")

MIN_LENGTH = 12
MAX_LENGTH = 128
BREACHED_PASSWORDS_FILE = Path(__file__).parent / "data" / "breached-passwords.txt.gz"
_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
# A hash to verify against when the login is unknown, so both answers take as long.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone-1")

# One core stays free for the event loop; at least one worker.
HASHING_WORKERS = max(1, (os.cpu_count() or 2) - 1)
_pool = ThreadPoolExecutor(max_workers=HASHING_WORKERS, thread_name_prefix="password-hashing")


def _comparable(password: str) -> str:
    """The form in which a password is compared with the list: NFKC (full-width letters
    and digits, ligatures and composed characters read as their plain forms), then
    case-folded."""
    return unicodedata.normalize("NFKC", password).casefold()


@functools.cache
def breached_passwords() -> frozenset[str]:
    """The shipped list, read once per process, in its comparable form."""
    with gzip.open(BREACHED_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(_comparable(line.rstrip("\n")) for line in lines if line.strip())


def password_problem(password: str) -> str | None:
    """Why a new password is refused (WEAK_PASSWORD), or None when it is acceptable.

    A password set before this rule keeps working: signing in with it only asks for a
    new one (`must_change_password`).
    """
    length = len(password)  # code points: 密码 is two characters, as a person counts them
    if length < MIN_LENGTH:
        return f"The password needs at least {MIN_LENGTH} characters."
    if length > MAX_LENGTH:
        return f"The password may have at most {MAX_LENGTH} characters."
    if _comparable(password) in breached_passwords():
        return "This password is on a list of passwords known from data breaches; choose another."
    return None


def must_change_password(password: str) -> bool:
    """Whether a password that just signed in no longer meets the rule."""
    return password_problem(password) is not None


async def _in_pool(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_pool, work)


async def hash_password(password: str) -> str:
    return await _in_pool(lambda: _hasher.hash(password))


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not there is a hash to check against."""
    return await _in_pool(lambda: _verify(password_hash, password))


# Every check of one holder's password counts here, whatever the mutation: signing in,
# stepping up, changing it. Counted before the check ("hit, then decide").
PASSWORD_TRIES = Limit("password-tries", 5, 15 * 60)


class PasswordCheck(StrEnum):
    RIGHT = "RIGHT"
    WRONG = "WRONG"
    RATE_LIMITED = "RATE_LIMITED"


@dataclass(frozen=True)
class PasswordOutcome:
    check: PasswordCheck
    retry_after_seconds: int = 0


def tries_key(kind: Literal["account", "login"], value: str) -> str:
    """Under which key password tries are counted: a login (a normalized phone or
    address), known or not, so that every login answers alike and a lock on one login
    says nothing about which other logins share its account; an account only when it
    has no login at all."""
    return keyed_hash(KeyPurpose.RATE_LIMIT).digest("rate.password", f"{kind}:{value}").hex()


# Across logins, from one client address: spraying one password over many logins.
# Counted before the check and given back when the password was right.
FAILURES_PER_CLIENT = Limit("password-client", 20, 15 * 60)


async def check_password(
    limiter: RateLimiter,
    key: str | Sequence[str],
    password_hash: str | None,
    password: str,
    *,
    client: str | None = None,
    second_factor: bool = False,
    settle: bool = True,
) -> PasswordOutcome:
    """RIGHT, WRONG, or RATE_LIMITED once `key` had its tries; a right password clears them.

    `key` may be several keys (every login of an account, when a signed-in account's
    password is checked): the try counts against each, and any one refusing refuses.

    The try is counted before the password is checked, so no number of aliases or
    concurrent requests gets more than the limit's checks; it also counts against the
    client address's failures (`client`, a keyed form of the address), given back when
    the password was right. Exactly one Argon2 verification runs unless a limit refuses
    (then none, for known and unknown logins alike). `second_factor`: the caller proved
    a second factor (a code sent to the login's phone or address), so neither limit
    applies: a stranger's wrong guesses never lock the owner out.

    `settle=False`: the password is only the first of two factors that must both be
    right. A right password then clears and gives back nothing; the caller settles the
    tries with :func:`settle_password_tries` once the second factor is right too, so
    that the tries left never tell whether the password alone was right.
    """
    keys = [key] if isinstance(key, str) else list(key)
    counted_client = False
    if not second_factor:
        # The client first: a client stopped for spraying spends no login's tries, so
        # it cannot go on locking logins out once it is stopped.
        if client is not None:
            spraying = await limiter.count(FAILURES_PER_CLIENT, client)
            if not spraying.allowed:
                return PasswordOutcome(PasswordCheck.RATE_LIMITED, spraying.retry_after_seconds)
            counted_client = True
        for each in keys:
            counted = await limiter.hit(PASSWORD_TRIES, each)
            if not counted.allowed:
                if counted_client and client is not None:
                    await limiter.refund(FAILURES_PER_CLIENT, client)  # nothing was checked
                return PasswordOutcome(PasswordCheck.RATE_LIMITED, counted.retry_after_seconds)
    if await verify_password(password_hash, password):
        if settle:
            await settle_password_tries(limiter, keys, client if counted_client else None)
        return PasswordOutcome(PasswordCheck.RIGHT)
    return PasswordOutcome(PasswordCheck.WRONG)


async def settle_password_tries(
    limiter: RateLimiter, key: str | Sequence[str], client: str | None
) -> None:
    """A sign-in proved right: forget the tries of its logins and give back the client's
    counted one (`client`: the key :func:`check_password` counted it under, if any)."""
    for each in [key] if isinstance(key, str) else key:
        await limiter.clear(PASSWORD_TRIES, each)
    if client is not None:
        await limiter.refund(FAILURES_PER_CLIENT, client)
