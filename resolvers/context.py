"""What every resolver receives for one request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from auth.viewer import Viewer
from resolvers.loaders import Loaders


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RequestContext:
    """One database session, the viewer, fresh dataloaders and a clock per request."""

    session: AsyncSession
    viewer: Viewer | None = None
    clock: Callable[[], datetime] = utc_now
    request_id: str = ""
    client_address: str | None = None
    user_agent: str | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.session)

    def now(self) -> datetime:
        return self.clock()
