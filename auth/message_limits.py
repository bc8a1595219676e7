"""How often the gateway may send a message (an SMS code, an e-mail token) to anyone.

SMS and e-mail share one rule, each channel with limits of its own: at least 60 s
between messages to one recipient for one purpose, at most 10 to a recipient a day,
at most 30 from one client address an hour and, for e-mail, at most 10 asked by one
account a day. Every limit is asked first, so that a refusal by one spends nothing of
the others; each is then hit and decided on in one atomic step, so that aliases and
concurrent requests cannot slip past together.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from auth.rate_limits import Limit, RateDecision, RateLimiter
from models.encryption import KeyPurpose, keyed_hash

Channel = Literal["sms", "email"]
INTERVAL_SECONDS = 60
DAY = 24 * 3600


@dataclass(frozen=True)
class MessageLimits:
    interval: Limit  # per recipient and purpose
    daily: Limit  # per recipient
    per_client_address: Limit
    per_account: Limit | None = None


LIMITS: dict[Channel, MessageLimits] = {
    "sms": MessageLimits(
        interval=Limit("sms-interval", 1, INTERVAL_SECONDS),
        daily=Limit("sms-daily", 10, DAY),
        per_client_address=Limit("sms-address", 30, 3600),
    ),
    "email": MessageLimits(
        interval=Limit("email-interval", 1, INTERVAL_SECONDS),
        daily=Limit("email-daily", 10, DAY),
        per_client_address=Limit("email-address", 30, 3600),
        per_account=Limit("email-account", 10, DAY),
    ),
}


def client_network(address: str) -> str:
    """The part of a client address that names one client: an IPv4 address, or the /64
    of an IPv6 one (a single host holds a whole /64 and may pick any address in it)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an IP (a Unix socket peer): keyed as given
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def address_key(address: str) -> str:
    """A client address as rate limits key it (never in clear in the limiter's store)."""
    return keyed_hash(KeyPurpose.RATE_LIMIT).digest("rate.address", client_network(address)).hex()


def account_key(account_id: object) -> str:
    """The account that asks for messages, as rate limits key it."""
    return keyed_hash(KeyPurpose.RATE_LIMIT).digest("rate.account", str(account_id)).hex()


def recipient_key(channel: Channel, recipient: str) -> str:
    """A phone (E.164) or a normalized e-mail address, as rate limits key it."""
    return keyed_hash(KeyPurpose.RATE_LIMIT).digest(f"rate.{channel}", recipient.lower()).hex()


async def may_send(
    limiter: RateLimiter,
    channel: Channel,
    *,
    recipient: str,
    purpose: str,
    client_address: str | None,
    account_key: str | None = None,
) -> RateDecision:
    """Count one message to `recipient` if every limit lets it go, else how long to wait."""
    limits = LIMITS[channel]
    recipient_id = recipient_key(channel, recipient)
    checks = [
        (limits.interval, f"{recipient_id}:{purpose}"),
        (limits.daily, recipient_id),
    ]
    if client_address:
        checks.append((limits.per_client_address, address_key(client_address)))
    if limits.per_account is not None and account_key is not None:
        checks.append((limits.per_account, account_key))
    for limit, key in checks:
        decision = await limiter.test(limit, key)
        if not decision.allowed:
            return decision
    for limit, key in checks:
        decision = await limiter.hit(limit, key)
        if not decision.allowed:
            return decision
    return RateDecision(allowed=True, retry_after_seconds=limits.interval.per_seconds)
