"""The resolver `Info` type every schema module uses."""

from __future__ import annotations

from typing import Any, TypeAlias

import strawberry

from resolvers.context import RequestContext

Info: TypeAlias = strawberry.Info[RequestContext, Any]
