"""A fake WeChat open platform: the two web-login endpoints, with WeChat's error habits.

Like the real one, it answers every refusal as HTTP 200 with ``errcode``/``errmsg`` and
labels the token answer ``text/plain``. Use ``fake.app`` in-process through
``httpx.ASGITransport``, or ``running_fake_wechat()`` to serve it over a real socket.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

APP_ID = "wx-fake-app-id"
APP_SECRET = "fake-app-secret"

# The content type WeChat uses for its token endpoint.
TEXT_PLAIN = "text/plain"
JSON = "application/json; charset=utf-8"


@dataclass(frozen=True)
class FakeWechatUser:
    openid: str
    unionid: str | None = None
    nickname: str = "微信用户"
    headimgurl: str = "https://thirdwx.qlogo.cn/mmopen/fake/132"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass(frozen=True)
class _Fault:
    status: int
    body: str
    content_type: str


@dataclass
class _Token:
    openid: str
    expired: bool = False


@dataclass
class FakeWechat:
    """WeChat's state: users, outstanding codes, issued tokens, and what was asked of it."""

    app_id: str = APP_ID
    app_secret: str = APP_SECRET
    users: dict[str, FakeWechatUser] = field(default_factory=dict, init=False)
    requests: list[RecordedRequest] = field(default_factory=list, init=False)
    _codes: dict[str, str] = field(default_factory=dict, init=False)
    _used_codes: set[str] = field(default_factory=set, init=False)
    _tokens: dict[str, _Token] = field(default_factory=dict, init=False)
    _faults: dict[str, _Fault] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/sns/oauth2/access_token", self._access_token, methods=["GET"]),
                Route("/sns/userinfo", self._userinfo, methods=["GET"]),
            ]
        )

    def add_user(self, user: FakeWechatUser) -> FakeWechatUser:
        self.users[user.openid] = user
        return user

    def issue_code(self, user: FakeWechatUser) -> str:
        """A one-time code, as WeChat would append it to the redirect after a QR scan."""
        self.add_user(user)
        code = "code-" + secrets.token_urlsafe(12)
        self._codes[code] = user.openid
        return code

    def expire_tokens(self) -> None:
        for token in self._tokens.values():
            token.expired = True

    def fail_next(
        self, path: str, *, status: int = 200, body: str = "", content_type: str = JSON
    ) -> None:
        """Answer the next request to ``path`` with this raw response instead of the protocol."""
        self._faults[path] = _Fault(status, body, content_type)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path == path]

    # --- endpoints -------------------------------------------------------------------

    def _record(self, request: Request) -> Response | None:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.url.path,
                query=dict(request.query_params),
                headers={key.lower(): value for key, value in request.headers.items()},
            )
        )
        fault = self._faults.pop(request.url.path, None)
        if fault is None:
            return None
        return Response(fault.body, status_code=fault.status, media_type=fault.content_type)

    async def _access_token(self, request: Request) -> Response:
        if (fault := self._record(request)) is not None:
            return fault
        query = request.query_params
        if query.get("appid") != self.app_id:
            return _error(40013, "invalid appid")
        if query.get("secret") != self.app_secret:
            return _error(40125, "invalid appsecret")
        if query.get("grant_type") != "authorization_code":
            return _error(40002, "invalid grant_type")
        code = query.get("code")
        if not code:
            return _error(41008, "missing code")
        if code in self._used_codes:
            return _error(40163, "code been used")
        openid = self._codes.pop(code, None)
        if openid is None:
            return _error(40029, "invalid code")
        self._used_codes.add(code)
        access_token = "token-" + secrets.token_urlsafe(16)
        self._tokens[access_token] = _Token(openid)
        user = self.users[openid]
        answer: dict[str, Any] = {
            "access_token": access_token,
            "expires_in": 7200,
            "refresh_token": "refresh-" + secrets.token_urlsafe(16),
            "openid": openid,
            "scope": "snsapi_login",
        }
        if user.unionid is not None:
            answer["unionid"] = user.unionid
        return _answer(answer, TEXT_PLAIN)

    async def _userinfo(self, request: Request) -> Response:
        if (fault := self._record(request)) is not None:
            return fault
        query = request.query_params
        access_token = query.get("access_token")
        if not access_token:
            return _error(41001, "access_token missing")
        token = self._tokens.get(access_token)
        if token is None:
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        if token.expired:
            return _error(42001, "access_token expired")
        openid = query.get("openid")
        if not openid:
            return _error(41009, "missing openid")
        if openid != token.openid:
            return _error(40003, "invalid openid")
        user = self.users[openid]
        answer: dict[str, Any] = {
            "openid": user.openid,
            "nickname": user.nickname,
            "sex": 0,
            "province": "",
            "city": "",
            "country": "CN",
            "headimgurl": user.headimgurl,
            "privilege": [],
        }
        if user.unionid is not None:
            answer["unionid"] = user.unionid
        return _answer(answer, JSON)


def _answer(payload: dict[str, Any], content_type: str) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), media_type=content_type)


def _error(errcode: int, errmsg: str) -> Response:
    rid = secrets.token_hex(4)
    return _answer({"errcode": errcode, "errmsg": f"{errmsg}, rid: {rid}"}, JSON)


def unused_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def running_fake_wechat(
    fake: FakeWechat | None = None,
) -> AsyncIterator[tuple[FakeWechat, str]]:
    """Serve a fake WeChat with uvicorn on a free 127.0.0.1 port; yields it and its base URL."""
    fake = fake if fake is not None else FakeWechat()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        fake.app, lifespan="off", ws="none", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("the fake WeChat server stopped while starting")
                await asyncio.sleep(0.01)
        yield fake, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
