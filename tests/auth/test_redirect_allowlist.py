"""The WeChat redirect allow-list compares parsed URLs, never prefixes of text."""

from __future__ import annotations

import pytest

from auth.oauth_states import redirect_allowed

ALLOWLIST = ("https://app.xiamo.example/auth", "http://localhost", "https://admin.example:8443")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://app.xiamo.example/auth", True),
        ("https://app.xiamo.example/auth/", True),
        ("https://app.xiamo.example/auth/wechat?next=/home", True),
        ("https://APP.Xiamo.example/auth/wechat", True),  # hosts compare case-insensitively
        ("https://app.xiamo.example:8443/auth", True),  # no port in the entry: any port
        ("https://app.xiamo.example/authx", False),  # the path at a segment boundary only
        ("https://app.xiamo.example/", False),
        ("http://app.xiamo.example/auth", False),
        ("https://app.xiamo.example:@evil.example/auth", False),
        ("https://app.xiamo.example@evil.example/auth", False),
        ("https://user:pw@app.xiamo.example/auth", False),
        ("https://app.xiamo.example\\@evil.example/auth", False),
        ("https://app.xiamo.example/auth/%2e%2e/evil", False),
        ("https://app.xiamo.example/auth/\t", False),
        ("https://app.xiamo.example/auth\r\nLocation: x", False),
        ("https://app.xiamo.example.evil.example/auth", False),
        ("http://localhost:5173/callback", True),
        ("http://localhost", True),
        ("https://admin.example:8443/x", True),
        ("https://admin.example/x", False),  # the entry names a port: exactly that one
        ("https://admin.example:443/x", False),
        ("https://admin.example:8443", True),
        ("javascript:alert(1)//app.xiamo.example/auth", False),
        ("//app.xiamo.example/auth", False),
        ("", False),
    ],
)
def test_redirects_are_allowed_by_scheme_host_port_and_path(url: str, allowed: bool) -> None:
    assert redirect_allowed(url, ALLOWLIST) is allowed


def test_an_entry_that_is_not_a_url_allows_nothing() -> None:
    assert redirect_allowed("https://app.example/", ("app.example",)) is False
