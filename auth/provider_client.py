"""JSON over HTTP to one outside provider's endpoint (SMS, e-mail, identity checks)."""

from __future__ import annotations

from typing import Any, Self

import httpx

from auth.provider_tracing import TracedTransport


class ProviderUnreachable(Exception):
    """The provider could not be reached or did not answer 2xx.

    The text names the cause only (an exception type or an HTTP status), never the URL,
    the token or what was sent, so callers may put it into their own safe errors.
    """


class ProviderClient:
    """One connection pool to one endpoint, with a bearer token when one is configured.

    Redirects are not followed. Close it with :meth:`aclose` (or ``async with``) at
    shutdown; ``transport`` lets tests replace the network. Every call is traced under
    ``provider`` (auth/provider_tracing.py).
    """

    PROVIDER = "provider"

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        provider: str | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(timeout),
            transport=TracedTransport(
                transport or httpx.AsyncHTTPTransport(), provider or self.PROVIDER
            ),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        # Never show the token; the URL may carry a key in its query string, too.
        return f"{type(self).__name__}(url=<hidden>)"

    async def post(self, payload: dict[str, Any]) -> httpx.Response:
        """The provider's 2xx answer to `payload`, or ProviderUnreachable."""
        try:
            response = await self._client.post(self.url, json=payload)
        except httpx.HTTPError as exc:
            raise ProviderUnreachable(f"{type(exc).__name__} while reaching the provider") from exc
        if not response.is_success:
            raise ProviderUnreachable(f"the provider answered HTTP {response.status_code}")
        return response

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
