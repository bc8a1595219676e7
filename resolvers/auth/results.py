"""What the sign-in use cases return to the schema."""

from __future__ import annotations

from dataclasses import dataclass

from auth.sessions import IssuedTokens
from models import Account


@dataclass
class SignedIn:
    """A session opened: its tokens and the account it signs in (none for staff)."""

    tokens: IssuedTokens
    account: Account | None = None
    is_new_account: bool = False
    # Signed in with a password that no longer meets the rule: the client asks for a new one.
    must_change_password: bool = False
