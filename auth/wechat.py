"""WeChat website login ("QR connect"): the authorize URL and the code-for-profile exchange.

WeChat's OAuth 2.0 dialect departs from the RFC in three ways, each handled by a
compliance fix on authlib's httpx client:

- the app authenticates with ``appid`` and ``secret`` query parameters, not with
  ``client_id``/``client_secret`` or HTTP Basic;
- the token endpoint is called with GET and query parameters;
- errors come back as HTTP 200 with ``{"errcode": ..., "errmsg": ...}`` (sometimes
  labelled ``text/plain``), which authlib would otherwise take for a token.

Nothing that identifies the person or the app (code, token, secret, OpenID) ever goes
into an exception message; WeChat's own ``errmsg`` is left out too, since it is free
text that carries request ids.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, urlencode

import httpx

# Importing authlib.deprecate installs authlib's own "always show" filter for its
# deprecation warnings; it has to be in place before the narrower filter below, which
# would otherwise be shadowed by it.
import authlib.deprecate  # noqa: F401  # isort: skip

with warnings.catch_warnings():
    # Recent authlib releases prefer the `httpx2` package and warn once, on import, when
    # they fall back to `httpx`. This project is on `httpx` (its tests hand the client an
    # `httpx` transport), so that one notice is expected and silenced here only.
    warnings.filterwarnings(
        "ignore", message="The httpx module is deprecated", category=DeprecationWarning
    )
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.httpx_client import AsyncOAuth2Client

from auth.provider_tracing import TracedTransport  # noqa: E402

__all__ = ["WechatClient", "WechatConfig", "WechatError", "WechatProfile"]

TOKEN_PATH: Final = "/sns/oauth2/access_token"  # noqa: S105 (a path, not a secret)
USERINFO_PATH: Final = "/sns/userinfo"
SCOPE: Final = "snsapi_login"

# Name under which the appid/secret signer is registered with authlib.
_AUTH_METHOD: Final = "wechat_appid_secret"

# Known errcodes, described in our own words (WeChat's errmsg is not repeated).
_ERRCODE_DESCRIPTIONS: Final[Mapping[int, str]] = {
    -1: "system busy",
    40001: "invalid credential",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40125: "invalid appsecret",
    40163: "code already used",
    41001: "access token missing",
    41008: "code missing",
    41009: "openid missing",
    42001: "access token expired",
    42003: "code expired",
}


@dataclass(frozen=True)
class WechatConfig:
    app_id: str
    app_secret: str
    api_base: str
    authorize_url: str


@dataclass(frozen=True)
class WechatProfile:
    open_id: str
    union_id: str | None
    nickname: str | None
    avatar_url: str | None


class WechatError(Exception):
    """The exchange with WeChat failed; ``errcode`` is WeChat's, or None (HTTP, network, JSON).

    The message names the step and the errcode only, so it is safe to log.
    """

    def __init__(self, message: str, *, errcode: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errcode = errcode


class _SharedTransport(httpx.AsyncBaseTransport):
    """Lends a caller's transport to one short-lived client without letting it close it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """The transport belongs to whoever passed it in."""


def _sign_with_appid_secret(
    auth: Any, method: str, uri: str, headers: Any, body: Any
) -> tuple[str, Any, Any]:
    """authlib client-auth method: put ``appid`` and ``secret`` in the query string."""
    url = httpx.URL(uri).copy_merge_params({"appid": auth.client_id, "secret": auth.client_secret})
    return str(url), headers, body


def _errcode(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _read_answer(response: httpx.Response, step: str) -> dict[str, Any]:
    """Decode one WeChat answer, turning an HTTP error, bad JSON or an errcode into WechatError."""
    if not response.is_success:
        raise WechatError(f"WeChat {step} failed: HTTP {response.status_code}")
    try:
        # WeChat may label JSON as text/plain, so the content type is not consulted.
        payload = json.loads(response.content)
    except ValueError as exc:
        raise WechatError(f"WeChat {step} failed: malformed JSON") from exc
    if not isinstance(payload, dict):
        raise WechatError(f"WeChat {step} failed: malformed JSON")
    if "errcode" in payload and payload["errcode"] not in (0, "0"):
        code = _errcode(payload["errcode"])
        if code is None:
            raise WechatError(f"WeChat {step} failed: unreadable errcode")
        description = _ERRCODE_DESCRIPTIONS.get(code, "unknown error")
        raise WechatError(f"WeChat {step} failed: errcode {code} ({description})", errcode=code)
    return payload


def _required_str(payload: Mapping[str, Any], key: str, step: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise WechatError(f"WeChat {step} failed: {key} missing")
    return value


def _optional_str(payload: Mapping[str, Any], key: str) -> str | None:
    value = payload.get(key)
    return value if isinstance(value, str) and value else None


def _check_token_answer(response: httpx.Response) -> httpx.Response:
    """authlib ``access_token_response`` hook: raise on WeChat's 200-with-errcode answers."""
    payload = _read_answer(response, "token exchange")
    _required_str(payload, "access_token", "token exchange")
    _required_str(payload, "openid", "token exchange")
    return response


class WechatClient:
    """Talks to WeChat's web-login endpoints for one configured app.

    Each ``fetch_profile`` call uses its own authlib client, because an authlib client
    holds the token of the person being logged in and must not be shared between
    concurrent logins. A ``transport`` passed in is shared by those clients and is never
    closed here.
    """

    def __init__(
        self,
        config: WechatConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._config = config
        self._transport = transport
        self._timeout = timeout
        base = config.api_base.rstrip("/")
        self._token_url = base + TOKEN_PATH
        self._userinfo_url = base + USERINFO_PATH

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """The QR-connect URL, parameters in the order WeChat documents them.

        Built by hand rather than with authlib's ``create_authorization_url``, which would
        send ``client_id`` instead of ``appid`` and order the parameters its own way.
        """
        query = urlencode(
            {
                "appid": self._config.app_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": SCOPE,
                "state": state,
            },
            quote_via=quote,
        )
        separator = "&" if "?" in self._config.authorize_url else "?"
        return f"{self._config.authorize_url}{separator}{query}#wechat_redirect"

    async def fetch_profile(self, code: str) -> WechatProfile:
        """Exchange an authorization code for the person's OpenID, UnionID, nickname and avatar."""
        if not code:
            raise WechatError("WeChat token exchange failed: code missing", errcode=41008)
        async with self._session() as session:
            try:
                token = await session.fetch_token(
                    self._token_url,
                    method="GET",
                    grant_type="authorization_code",
                    code=code,
                    headers={"Accept": "application/json"},
                )
                open_id = _required_str(token, "openid", "token exchange")
                response = await session.get(self._userinfo_url, params={"openid": open_id})
            except WechatError:
                raise
            except httpx.TimeoutException as exc:
                raise WechatError("WeChat did not answer in time") from exc
            except httpx.HTTPError as exc:
                raise WechatError("WeChat could not be reached") from exc
            except (AuthlibBaseError, ValueError) as exc:
                raise WechatError("WeChat login failed: unexpected answer") from exc

        userinfo = _read_answer(response, "userinfo")
        if _required_str(userinfo, "openid", "userinfo") != open_id:
            raise WechatError("WeChat userinfo failed: openid mismatch")
        return WechatProfile(
            open_id=open_id,
            union_id=_optional_str(userinfo, "unionid") or _optional_str(token, "unionid"),
            nickname=_optional_str(userinfo, "nickname"),
            avatar_url=_optional_str(userinfo, "headimgurl"),
        )

    def _session(self) -> Any:
        """A fresh authlib client with WeChat's compliance fixes registered."""
        session = AsyncOAuth2Client(
            client_id=self._config.app_id,
            client_secret=self._config.app_secret,
            token_endpoint_auth_method=_AUTH_METHOD,
            # Userinfo takes the token as ?access_token=, not as a Bearer header.
            token_placement="uri",  # noqa: S106 (a placement, not a secret)
            timeout=self._timeout,
            transport=TracedTransport(
                _SharedTransport(self._transport)
                if self._transport is not None
                else httpx.AsyncHTTPTransport(),
                "wechat",
            ),
        )
        session.register_client_auth_method((_AUTH_METHOD, _sign_with_appid_secret))
        session.register_compliance_hook("access_token_response", _check_token_answer)
        return session
