"""What every resolver receives for one request."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import inspect
from sqlalchemy.exc import InvalidRequestError

from auth.errors import Unauthenticated
from auth.relations import Relation, relation_to
from auth.security_log import security_event
from auth.services import AuthServices
from auth.sessions import is_live_account
from auth.viewer import Viewer
from models import Account, ServiceCredential
from models.database import SerializedSession
from models.unit_of_work import RequestScope
from resolvers.config import GatewayLimits
from resolvers.loaders import Loaders
from resolvers.privacy.inventory import Inventory, shipped_inventory


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RequestContext:
    """The request's scope (its session and units of work), the viewer, fresh
    dataloaders and a clock."""

    scope: RequestScope
    viewer: Viewer | None = None
    viewer_account: Account | None = None
    # A platform service signed in with its credential; it is no viewer of any account.
    service: ServiceCredential | None = None
    services: AuthServices | None = None
    limits: GatewayLimits = field(default_factory=GatewayLimits)
    inventory: Inventory = field(default_factory=shipped_inventory)
    clock: Callable[[], datetime] = utc_now
    request_id: str = ""
    client_address: str | None = None
    user_agent: str | None = None
    loaders: Loaders = field(init=False)
    # Staff reads of masked values already logged in this request: one entry each.
    logged_staff_reads: set[tuple[object, ...]] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self._fresh_loaders()
        self.scope.on_rollback(self._after_rollback)

    def _fresh_loaders(self) -> None:
        self.loaders = Loaders(self.session)
        if self.viewer_account is not None:
            self.loaders.account_by_id.prime(self.viewer_account.id, self.viewer_account)

    async def _after_rollback(self) -> None:
        """A rolled-back unit of work expired every loaded object: reload the viewer's
        account (the next root field may act as it) and forget what loaders cached."""
        if self.viewer_account is not None:
            try:
                await self.session.refresh(self.viewer_account)
            except InvalidRequestError:
                self.viewer_account = None
        self._fresh_loaders()

    async def take_viewer_account(self) -> None:
        """The viewer's account as an instance of the session, for an operation that
        may change it: the view reads it for display, before it knows the operation's
        type. Read again here, it must still be live: an account disabled, cancelled or
        deleted since by another request refuses the operation (UNAUTHENTICATED), as its
        token is refused from then on."""
        shown = self.viewer_account
        if shown is None or inspect(shown, raiseerr=False) is not None:
            return
        account = await self.session.get(Account, shown.id)
        if not is_live_account(account):
            self.viewer_account = None
            raise Unauthenticated("The account is no longer active.")
        self.viewer_account = account
        self._fresh_loaders()

    @property
    def session(self) -> SerializedSession:
        return self.scope.session

    @property
    def auth(self) -> AuthServices:
        if self.services is None:
            raise RuntimeError("this context was built without auth services")
        return self.services

    def now(self) -> datetime:
        return self.clock()

    def relation_to(self, account: Account) -> Relation:
        """The viewer's relation to `account`, found once per loaded row while the
        request reads (a page asks it of every row for several fields)."""
        derived = self.scope.derived
        if derived is None:
            return relation_to(self.viewer, account)
        # By the row's identity; the entry holds the row, so no other takes its id.
        key = (Relation, id(account))
        known = derived.get(key)
        if known is not None and known[0] is account and known[1] is self.viewer:
            return known[2]  # type: ignore[no-any-return]
        relation = relation_to(self.viewer, account)
        derived[key] = (account, self.viewer, relation)
        return relation


def log_security(
    ctx: RequestContext,
    event: str,
    outcome: str,
    *,
    actor_kind: str | None = None,
    actor_id: object = None,
    session_id: uuid.UUID | None = None,
    **details: str | int | None,
) -> None:
    """A security event of this request (auth/security_log.py). Its actor is the viewer,
    or, for an anonymous request (a sign-in), the one named, with the session it opened."""
    viewer = ctx.viewer
    if viewer is not None:
        session_id = viewer.session_id
        if viewer.staff_id is not None:
            actor_kind, actor_id = "staff", viewer.staff_id
        else:
            actor_kind, actor_id = "account", viewer.account_id
    security_event(
        event,
        outcome,
        actor_kind=actor_kind,
        actor_id=str(actor_id) if actor_id is not None else None,
        session_id=session_id,
        client_address=ctx.client_address,
        **details,
    )
