"""Telling an account's holder that a way to sign in changed.

Every change of a sign-in method (phone, e-mail, password, WeChat) sends a notice to
each phone and address that was bound before it, and leaves an in-app notification:
whoever changed it, the holder hears of it where a thief cannot silence it.
"""

from __future__ import annotations

from dataclasses import dataclass

from auth.senders import Channel, OutgoingMessage, Sender
from models import Account, Notification, NotificationKind
from resolvers.context import RequestContext, log_security

NOTICE = (
    "The {what} of your account was changed on {when:%Y-%m-%d %H:%M} UTC. If this was "
    "not you, sign in and end your other sessions, or contact us."
)


@dataclass(frozen=True)
class BoundBefore:
    """The account's phone and address before a change."""

    phone: str | None
    email: str | None

    @classmethod
    def of(cls, account: Account) -> BoundBefore:
        return cls(phone=account.phone, email=account.email)


async def sign_in_method_changed(
    ctx: RequestContext, account: Account, what: str, before: BoundBefore
) -> None:
    now = ctx.now()
    body = NOTICE.format(what=what, when=now)
    contacts: tuple[tuple[str | None, Channel, Sender], ...] = (
        (before.phone, "sms", ctx.auth.sms),
        (before.email, "email", ctx.auth.email),
    )
    for to, channel, sender in contacts:
        if to is not None:
            await sender.send(
                OutgoingMessage(
                    to=to,
                    channel=channel,
                    purpose="SECURITY_NOTICE",
                    code=None,
                    body=body,
                    sent_at=now,
                )
            )
    ctx.session.add(
        Notification(
            account_id=account.id,
            kind=NotificationKind.SIGN_IN_METHOD_CHANGED,
            title=f"Your {what} changed",
            body=body,
            created_at=now,
        )
    )
    log_security(ctx, "sign_in_method_changed", "success", method=what, account_id=str(account.id))
