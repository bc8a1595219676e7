"""WeChat sign-in in API tests: the fake WeChat platform (tests/fakes/wechat.py) served
in-process to the app.

A test module that signs in with WeChat takes its two fixtures from `in_process_wechat`:

    fake, services = in_process_wechat()

`fake` is the platform (register users and codes on it); `services` overrides the
conftest's, with WeChat served by that fake.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from auth.services import AuthServices
from auth.wechat import WechatClient, WechatConfig
from tests.fakes.wechat import APP_ID, APP_SECRET, FakeWechat

API_BASE = "http://wechat.test"
AUTHORIZE_URL = "https://open.weixin.qq.com/connect/qrconnect"
REDIRECT_ALLOWLIST = ("http://localhost",)


def wechat_config(api_base: str = API_BASE) -> WechatConfig:
    """The gateway's WeChat settings for the fake's app, its API at `api_base`."""
    return WechatConfig(
        app_id=APP_ID, app_secret=APP_SECRET, api_base=api_base, authorize_url=AUTHORIZE_URL
    )


def in_process_wechat() -> tuple[Any, Any]:
    """The fixtures `fake` and `services`, for a module to bind under those names."""

    @pytest.fixture(name="fake")
    def fake_wechat() -> FakeWechat:
        return FakeWechat()

    @pytest.fixture(name="services")
    def services_with_wechat(services: AuthServices, fake: FakeWechat) -> AuthServices:
        """The test's services, with WeChat served in-process by the fake."""
        client = WechatClient(wechat_config(), transport=httpx.ASGITransport(app=fake.app))
        return dataclasses.replace(services, wechat=client, redirect_allowlist=REDIRECT_ALLOWLIST)

    return fake_wechat, services_with_wechat
