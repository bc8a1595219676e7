"""The WeChat web-login client against a fake WeChat, in-process and over a real socket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from auth.wechat import WechatClient, WechatConfig, WechatError, WechatProfile
from tests.fakes.wechat import (
    APP_ID,
    APP_SECRET,
    TEXT_PLAIN,
    FakeWechat,
    FakeWechatUser,
    running_fake_wechat,
    unused_port,
)

IN_PROCESS_BASE = "http://wechat.test"
AUTHORIZE_URL = "https://open.weixin.qq.com/connect/qrconnect"
TOKEN_PATH = "/sns/oauth2/access_token"
USERINFO_PATH = "/sns/userinfo"

ALICE = FakeWechatUser(
    openid="o-alice-openid",
    unionid="u-alice-unionid",
    nickname="爱丽丝",
    headimgurl="https://thirdwx.qlogo.cn/mmopen/alice/132",
)
BOB = FakeWechatUser(openid="o-bob-openid", unionid=None, nickname="Bob", headimgurl="")
# What the client makes of ALICE's answer, written out.
ALICE_PROFILE = WechatProfile(
    open_id="o-alice-openid",
    union_id="u-alice-unionid",
    nickname="爱丽丝",
    avatar_url="https://thirdwx.qlogo.cn/mmopen/alice/132",
)


def config(api_base: str, *, app_id: str = APP_ID, app_secret: str = APP_SECRET) -> WechatConfig:
    return WechatConfig(
        app_id=app_id, app_secret=app_secret, api_base=api_base, authorize_url=AUTHORIZE_URL
    )


def in_process(fake: FakeWechat, **overrides: str) -> WechatClient:
    return WechatClient(
        config(IN_PROCESS_BASE, **overrides), transport=httpx.ASGITransport(app=fake.app)
    )


@pytest.fixture
def fake() -> FakeWechat:
    return FakeWechat()


@pytest.fixture
def wechat(fake: FakeWechat) -> WechatClient:
    return in_process(fake)


@pytest.fixture
async def served() -> AsyncIterator[tuple[FakeWechat, str]]:
    async with running_fake_wechat() as (fake, base_url):
        yield fake, base_url


def errcode_body(errcode: int, errmsg: str) -> str:
    return json.dumps({"errcode": errcode, "errmsg": errmsg})


# --- authorize URL -------------------------------------------------------------------


def test_authorize_url_has_wechat_parameters_in_order_and_the_fragment(
    wechat: WechatClient,
) -> None:
    url = wechat.authorize_url("https://app.example.com/auth/wechat?next=/me&x=a b", "st-4_te")

    assert url == (
        "https://open.weixin.qq.com/connect/qrconnect"
        "?appid=wx-fake-app-id"
        "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fwechat%3Fnext%3D%2Fme%26x%3Da%20b"
        "&response_type=code&scope=snsapi_login&state=st-4_te#wechat_redirect"
    )


# --- successful logins ---------------------------------------------------------------


async def test_profile_over_a_real_socket_with_a_shared_transport(
    served: tuple[FakeWechat, str],
) -> None:
    fake, base_url = served
    async with httpx.AsyncHTTPTransport() as transport:
        wechat = WechatClient(config(base_url), transport=transport)

        first = await wechat.fetch_profile(fake.issue_code(ALICE))
        # The shared transport outlives each exchange: a second login still works.
        second = await wechat.fetch_profile(fake.issue_code(BOB))

    assert first == ALICE_PROFILE
    assert second == WechatProfile(
        open_id="o-bob-openid", union_id=None, nickname="Bob", avatar_url=None
    )
    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", TOKEN_PATH),
        ("GET", USERINFO_PATH),
        ("GET", TOKEN_PATH),
        ("GET", USERINFO_PATH),
    ]


async def test_profile_over_a_real_socket_with_the_default_transport(
    served: tuple[FakeWechat, str],
) -> None:
    fake, base_url = served

    profile = await WechatClient(config(base_url)).fetch_profile(fake.issue_code(ALICE))

    assert profile.open_id == "o-alice-openid"
    assert profile.union_id == "u-alice-unionid"


async def test_profile_with_unionid(fake: FakeWechat, wechat: WechatClient) -> None:
    profile = await wechat.fetch_profile(fake.issue_code(ALICE))

    assert profile == ALICE_PROFILE


async def test_profile_without_unionid(fake: FakeWechat, wechat: WechatClient) -> None:
    user = FakeWechatUser(
        openid="o-carol", unionid=None, nickname="Carol", headimgurl="https://x/c"
    )

    profile = await wechat.fetch_profile(fake.issue_code(user))

    assert profile == WechatProfile(
        open_id="o-carol", union_id=None, nickname="Carol", avatar_url="https://x/c"
    )


async def test_unionid_from_the_token_answer_when_userinfo_omits_it(
    fake: FakeWechat, wechat: WechatClient
) -> None:
    code = fake.issue_code(ALICE)
    fake.fail_next(
        USERINFO_PATH,
        body=json.dumps({"openid": "o-alice-openid", "nickname": "A", "headimgurl": ""}),
    )

    profile = await wechat.fetch_profile(code)

    assert profile == WechatProfile(
        open_id="o-alice-openid", union_id="u-alice-unionid", nickname="A", avatar_url=None
    )


async def test_token_request_is_a_get_with_appid_and_secret(
    fake: FakeWechat, wechat: WechatClient
) -> None:
    code = fake.issue_code(ALICE)

    await wechat.fetch_profile(code)

    token_request, userinfo_request = fake.requests
    assert token_request.method == "GET"
    assert token_request.path == TOKEN_PATH
    assert token_request.query == {
        "appid": "wx-fake-app-id",
        "secret": "fake-app-secret",
        "code": code,
        "grant_type": "authorization_code",
    }
    assert "authorization" not in token_request.headers
    assert userinfo_request.method == "GET"
    assert userinfo_request.path == USERINFO_PATH
    assert set(userinfo_request.query) == {"access_token", "openid"}
    assert userinfo_request.query["openid"] == "o-alice-openid"
    assert userinfo_request.query["access_token"].startswith("token-")
    assert "authorization" not in userinfo_request.headers


# --- WeChat's errcode answers --------------------------------------------------------


async def test_unknown_code(fake: FakeWechat, wechat: WechatClient) -> None:
    with pytest.raises(WechatError) as caught:
        await wechat.fetch_profile("code-never-issued")

    assert caught.value.errcode == 40029
    assert str(caught.value) == "WeChat token exchange failed: errcode 40029 (invalid code)"
    assert [r.path for r in fake.requests] == [TOKEN_PATH]


async def test_reused_code(fake: FakeWechat, wechat: WechatClient) -> None:
    code = fake.issue_code(ALICE)
    await wechat.fetch_profile(code)

    with pytest.raises(WechatError) as caught:
        await wechat.fetch_profile(code)

    assert caught.value.errcode == 40163
    assert str(caught.value) == "WeChat token exchange failed: errcode 40163 (code already used)"
    assert code not in str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "errcode", "message"),
    [
        ({"app_id": "wx-someone-else"}, 40013, "errcode 40013 (invalid appid)"),
        ({"app_secret": "not-the-secret"}, 40125, "errcode 40125 (invalid appsecret)"),
    ],
    ids=["wrong_appid", "wrong_secret"],
)
async def test_wrong_app_credentials(
    fake: FakeWechat, overrides: dict[str, str], errcode: int, message: str
) -> None:
    wechat = in_process(fake, **overrides)

    with pytest.raises(WechatError) as caught:
        await wechat.fetch_profile(fake.issue_code(ALICE))

    assert caught.value.errcode == errcode
    assert str(caught.value) == f"WeChat token exchange failed: {message}"
    assert "not-the-secret" not in str(caught.value)


async def test_empty_code_is_refused_without_asking_wechat(
    fake: FakeWechat, wechat: WechatClient
) -> None:
    with pytest.raises(WechatError) as caught:
        await wechat.fetch_profile("")

    assert caught.value.errcode == 41008
    assert str(caught.value) == "WeChat token exchange failed: code missing"
    assert fake.requests == []


@pytest.mark.parametrize(
    ("errcode", "errmsg", "message"),
    [
        (40001, "invalid credential", "errcode 40001 (invalid credential)"),
        (40003, "invalid openid", "errcode 40003 (invalid openid)"),
        (42001, "access_token expired", "errcode 42001 (access token expired)"),
        (45011, "api minute-quota reach limit", "errcode 45011 (unknown error)"),
    ],
)
async def test_userinfo_errcodes(
    fake: FakeWechat, wechat: WechatClient, errcode: int, errmsg: str, message: str
) -> None:
    code = fake.issue_code(ALICE)
    fake.fail_next(USERINFO_PATH, body=errcode_body(errcode, f"{errmsg}, rid: 1a2b"))

    with pytest.raises(WechatError) as caught:
        await wechat.fetch_profile(code)

    assert caught.value.errcode == errcode
    assert str(caught.value) == f"WeChat userinfo failed: {message}"


async def test_userinfo_for_another_openid(fake: FakeWechat, wechat: WechatClient) -> None:
    code = fake.issue_code(ALICE)
    fake.fail_next(USERINFO_PATH, body=json.dumps({"openid": "o-mallory", "nickname": "M"}))

    with pytest.raises(WechatError) as caught:
        await wechat.fetch_profile(code)

    assert caught.value.errcode is None
    assert str(caught.value) == "WeChat userinfo failed: openid mismatch"


# --- broken answers and network failures ---------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "body", "message"),
    [
        (TOKEN_PATH, 200, "<html>busy</html>", "WeChat token exchange failed: malformed JSON"),
        (TOKEN_PATH, 200, "[1, 2]", "WeChat token exchange failed: malformed JSON"),
        (TOKEN_PATH, 500, "oops", "WeChat token exchange failed: HTTP 500"),
        (
            TOKEN_PATH,
            200,
            json.dumps({"access_token": "t", "expires_in": 7200}),
            "WeChat token exchange failed: openid missing",
        ),
        (
            TOKEN_PATH,
            200,
            json.dumps({"openid": "o-alice-openid"}),
            "WeChat token exchange failed: access_token missing",
        ),
        (USERINFO_PATH, 200, "{not json", "WeChat userinfo failed: malformed JSON"),
        (USERINFO_PATH, 502, "", "WeChat userinfo failed: HTTP 502"),
        (
            USERINFO_PATH,
            200,
            json.dumps({"nickname": "no openid"}),
            "WeChat userinfo failed: openid missing",
        ),
    ],
)
async def test_broken_answers(
    fake: FakeWechat, wechat: WechatClient, path: str, status: int, body: str, message: str
) -> None:
    code = fake.issue_code(ALICE)
    fake.fail_next(path, status=status, body=body, content_type=TEXT_PLAIN)

    with pytest.raises(WechatError) as caught:
        await wechat.fetch_profile(code)

    assert caught.value.errcode is None
    assert str(caught.value) == message


async def test_connection_refused() -> None:
    wechat = WechatClient(config(f"http://127.0.0.1:{unused_port()}"), timeout=5.0)

    with pytest.raises(WechatError) as caught:
        await wechat.fetch_profile("code-1")

    assert caught.value.errcode is None
    assert str(caught.value) == "WeChat could not be reached"
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_timeout() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    wechat = WechatClient(config(IN_PROCESS_BASE), transport=httpx.MockTransport(hang))

    with pytest.raises(WechatError) as caught:
        await wechat.fetch_profile("code-1")

    assert caught.value.errcode is None
    assert str(caught.value) == "WeChat did not answer in time"


# --- the fake's own checks -----------------------------------------------------------


async def test_fake_userinfo_checks_token_and_openid(fake: FakeWechat) -> None:
    code = fake.issue_code(ALICE)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app), base_url=IN_PROCESS_BASE
    ) as http:
        token_answer = await http.get(
            TOKEN_PATH,
            params={
                "appid": APP_ID,
                "secret": APP_SECRET,
                "code": code,
                "grant_type": "authorization_code",
            },
        )
        token = token_answer.json()["access_token"]

        async def errcode(params: dict[str, str]) -> int:
            answer = await http.get(USERINFO_PATH, params=params)
            assert answer.status_code == 200
            value: int = answer.json()["errcode"]
            return value

        assert token_answer.headers["content-type"] == "text/plain; charset=utf-8"
        assert await errcode({"access_token": "forged", "openid": ALICE.openid}) == 40001
        assert await errcode({"access_token": token, "openid": "o-someone-else"}) == 40003
        fake.expire_tokens()
        assert await errcode({"access_token": token, "openid": ALICE.openid}) == 42001
