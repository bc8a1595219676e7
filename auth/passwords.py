"""Passwords: the policy of RULES.md section 4, stored with Argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 128
_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
# A hash to verify against when the login is unknown, so both answers take as long.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone-1")


def password_problem(password: str) -> str | None:
    """Why a new password is too weak, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"The password needs at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"The password may have at most {MAX_LENGTH} characters."
    if password.isdigit():
        return "The password may not be digits only."
    if password.isalpha():
        return "The password may not be letters only."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not there is a hash to check against."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
