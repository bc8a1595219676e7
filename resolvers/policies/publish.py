"""publishPrivacyPolicy and acceptPrivacyPolicy."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from models import (
    Account,
    ConsentPurpose,
    NotificationKind,
    PrivacyPolicy,
    StaffRole,
    queries,
)
from resolvers.accounts.access import (
    require_account,
    require_staff,
    require_staff_step_up,
)
from resolvers.context import RequestContext
from resolvers.errors import Refused, UserError, UserErrorCode, refused, user_error
from resolvers.events.outbox import EventType, record
from resolvers.policies.status import current_policy

VERSION_LIMIT = 32
BODY_LIMIT = 200_000
VERSION_TAKEN = user_error(
    UserErrorCode.ALREADY_EXISTS, "This version was published already.", "version"
)


class NewPolicy(Protocol):
    """A version to publish (publishPrivacyPolicy's input has these fields)."""

    version: str
    effective_on: date
    material: bool
    summary_of_changes: str | None
    body: str
    # A material version: the purposes whose consents must be given again (may be empty,
    # but must be said).
    affected_purposes: list[ConsentPurpose] | None


async def publish_privacy_policy(ctx: RequestContext, new: NewPolicy) -> PrivacyPolicy:
    """A new version (PRIVACY_OFFICER only); a material one notifies every account."""
    officer = await require_staff(ctx, StaffRole.PRIVACY_OFFICER)
    version = new.version.strip()
    errors = []
    if not 1 <= len(version) <= VERSION_LIMIT:
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT, f"Give 1 to {VERSION_LIMIT} characters.", "version"
            )
        )
    if not new.body.strip() or len(new.body) > BODY_LIMIT:
        errors.append(
            user_error(UserErrorCode.INVALID_INPUT, "The body is Markdown text, not empty.", "body")
        )
    errors.extend(_materiality_errors(new))
    if errors:
        raise Refused(*errors)
    # A version reaches every account (a material one asks each to consent again): never
    # left to a stolen staff access token.
    require_staff_step_up(ctx)
    if await queries.policy_by_version(ctx.session, version) is not None:
        raise Refused(VERSION_TAKEN)
    now = ctx.now()
    policy = PrivacyPolicy(
        version=version,
        effective_on=new.effective_on,
        published_at=now,
        material=new.material,
        summary_of_changes=(new.summary_of_changes or "").strip() or None,
        body=new.body,
        published_by_id=officer.id,
        affected_purposes=[p.value for p in dict.fromkeys(new.affected_purposes or ())],
    )
    # The unique version decides, not the look-up above: two officers publishing the same
    # version at once cannot both succeed.
    if not await queries.added_unless_taken(ctx.session, policy):
        raise Refused(VERSION_TAKEN)
    ctx.loaders.policy_versions.forget()
    await record(
        ctx,
        EventType.PRIVACY_POLICY_PUBLISHED,
        {
            "version": version,
            "effectiveOn": new.effective_on.isoformat(),
            "material": new.material,
            "affectedPurposes": policy.affected_purposes,
        },
        account=None,
    )
    if new.material:
        await queries.notify_every_account(
            ctx.session,
            kind=NotificationKind.POLICY_UPDATED,
            title=f"Privacy policy {version}",
            body=(
                f"Version {version} of the privacy policy takes effect on "
                f"{new.effective_on.isoformat()}. Please read and accept it."
                + (
                    f"\n\nWhat changed: {policy.summary_of_changes}"
                    if policy.summary_of_changes
                    else ""
                )
                + (
                    "\n\nFrom then on, consents to these purposes need to be given again: "
                    + ", ".join(policy.affected_purposes)
                    + "."
                    if policy.affected_purposes
                    else ""
                )
            ),
            now=now,
        )
    return policy


def _materiality_errors(new: NewPolicy) -> list[UserError]:
    """A material version says what changed and which consents must be given again; a
    minor one asks for no consent again."""
    errors = []
    if new.material and not (new.summary_of_changes or "").strip():
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT,
                "A material version says what changed.",
                "summaryOfChanges",
            )
        )
    if new.material and new.affected_purposes is None:
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT,
                "A material version names the purposes whose consents must be given again"
                " (an empty list for none).",
                "affectedPurposes",
            )
        )
    if not new.material and new.affected_purposes:
        errors.append(
            user_error(
                UserErrorCode.INVALID_INPUT,
                "Only a material version asks for consents again.",
                "affectedPurposes",
            )
        )
    return errors


async def accept_privacy_policy(ctx: RequestContext, version: str) -> Account:
    """Accept the version in force now; older or future versions cannot be accepted."""
    account = require_account(ctx)
    current = await current_policy(ctx)
    if version != current.version:
        known = await queries.policy_by_version(ctx.session, version)
        raise refused(
            UserErrorCode.NOT_FOUND if known is None else UserErrorCode.INVALID_INPUT,
            f"Accept the version in force, {current.version}.",
            "version",
        )
    account.accepted_policy_version = current.version
    account.accepted_policy_at = ctx.now()
    await ctx.session.flush()
    return account
