"""GraphiQL at GET /graphql, with every script and style served by the gateway itself."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.graphiql import _DEFAULT_QUERY, ASSET_FILES, ASSETS_PATH, graphiql_html
from tests.conftest import make_settings
from tests.support.apps import client_of
from tests.support.processes import run_successfully

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSETS_DIR = REPO_ROOT / "node_modules"
HTML = {"Accept": "text/html"}
NODE = shutil.which("node")
BOOTSTRAP_HARNESS = Path(__file__).with_name("graphiql_bootstrap.mjs")
needs_node = pytest.mark.skipif(
    NODE is None, reason="node is not installed: it runs the page's bootstrap script"
)


class PageParser(HTMLParser):
    """Collects every src/href URL, the CSP meta content and the inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.csp: str | None = None
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls.extend(
            value for name, value in attrs if name in ("src", "href") and value is not None
        )
        if tag == "meta" and values.get("http-equiv") == "Content-Security-Policy":
            self.csp = values.get("content")
        if tag == "script" and "src" not in values:
            self._in_inline_script = True
            self.inline_scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts[-1] += data


def parse_page(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


def pinned_versions() -> dict[str, str]:
    package: dict[str, Any] = json.loads((REPO_ROOT / "package.json").read_text())
    dependencies: dict[str, str] = package["dependencies"]
    return dependencies


def app_client(
    settings_overrides: dict[str, Any],
    db_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
) -> httpx.AsyncClient:
    settings = make_settings(db_url, **settings_overrides)
    app = create_app(settings, engine=engine, session_factory=session_factory)
    return client_of(app)


@pytest.fixture
async def graphiql_client(
    db_url: str, engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    overrides = {"graphiql": True, "graphiql_assets_dir": ASSETS_DIR}
    async with app_client(overrides, db_url, engine, session_factory) as client:
        yield client


async def test_get_graphql_as_html_returns_the_graphiql_page(
    graphiql_client: httpx.AsyncClient,
) -> None:
    response = await graphiql_client.get("/graphql", headers=HTML)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == graphiql_html()


async def test_every_url_in_the_page_is_a_same_origin_path_under_the_assets_path(
    graphiql_client: httpx.AsyncClient,
) -> None:
    page = (await graphiql_client.get("/graphql", headers=HTML)).text
    versions = pinned_versions()

    urls = parse_page(page).urls

    assert urls == [
        f"{ASSETS_PATH}/graphiql.min.css?v={versions['graphiql']}",
        f"{ASSETS_PATH}/react.production.min.js?v={versions['react']}",
        f"{ASSETS_PATH}/react-dom.production.min.js?v={versions['react-dom']}",
        f"{ASSETS_PATH}/graphiql.min.js?v={versions['graphiql']}",
    ]
    for url in urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", "")
        assert parts.path.startswith(ASSETS_PATH + "/")


async def test_the_page_holds_no_absolute_or_protocol_relative_url(
    graphiql_client: httpx.AsyncClient,
) -> None:
    page = (await graphiql_client.get("/graphql", headers=HTML)).text

    assert "http:" not in page
    assert "https:" not in page
    assert "//" not in page


async def test_every_asset_of_the_page_is_served_with_its_content_type(
    graphiql_client: httpx.AsyncClient,
) -> None:
    page = (await graphiql_client.get("/graphql", headers=HTML)).text
    expected_types = {".js": "application/javascript", ".css": "text/css; charset=utf-8"}

    for url in parse_page(page).urls:
        name = urlsplit(url).path.removeprefix(ASSETS_PATH + "/")
        response = await graphiql_client.get(url)

        assert response.status_code == 200, (url, response.text)
        assert response.headers["content-type"] == expected_types[Path(name).suffix]
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content == (ASSETS_DIR / ASSET_FILES[name]).read_bytes()


def test_the_page_references_every_allowed_asset() -> None:
    names = {
        urlsplit(url).path.removeprefix(ASSETS_PATH + "/")
        for url in parse_page(graphiql_html()).urls
    }

    assert names == set(ASSET_FILES)


def test_asset_urls_carry_the_versions_pinned_and_installed() -> None:
    versions = pinned_versions()

    for url in parse_page(graphiql_html()).urls:
        parts = urlsplit(url)
        package = ASSET_FILES[parts.path.removeprefix(ASSETS_PATH + "/")].split("/")[0]
        installed = json.loads((ASSETS_DIR / package / "package.json").read_text())["version"]

        assert parse_qs(parts.query) == {"v": [versions[package]]}
        assert installed == versions[package]


def test_the_page_policy_allows_only_its_own_inline_script() -> None:
    parsed = parse_page(graphiql_html())
    (script,) = parsed.inline_scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()

    assert parsed.csp is not None
    directives = dict(directive.strip().split(" ", 1) for directive in parsed.csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == f"'self' 'sha256-{digest}'"
    assert directives["connect-src"] == "'self'"


def run_bootstrap(headers: list[dict[str, str]], *flags: str) -> dict[str, Any]:
    """The page's bootstrap script run by node against stand-ins of the browser, React
    and GraphiQL (tests/gateway/graphiql_bootstrap.mjs): what it rendered, and the
    headers its fetcher passed on for each of `headers`."""
    (script,) = parse_page(graphiql_html()).inline_scripts
    # Node running a script of this repository.
    run = run_successfully(
        [str(NODE), str(BOOTSTRAP_HARNESS), json.dumps(headers), *flags], input=script, timeout=60
    )
    seen: dict[str, Any] = json.loads(run.stdout)
    return seen


@needs_node
def test_graphiql_is_rendered_with_headers_kept_out_of_local_storage() -> None:
    seen = run_bootstrap([])

    assert seen["rootText"] is None
    assert seen["fetcherUrl"] == "http://127.0.0.1:8000/graphql"
    assert seen["props"] == {
        "defaultQuery": _DEFAULT_QUERY,
        "defaultHeaders": '{\n  "Authorization": "Bearer <accessToken>"\n}',
        "defaultEditorToolsVisibility": "headers",
        "isHeadersEditorEnabled": True,
        "shouldPersistHeaders": False,
    }


@needs_node
def test_the_fetcher_drops_the_placeholder_authorization_and_keeps_a_real_one() -> None:
    seen = run_bootstrap(
        [
            {"Authorization": "Bearer <accessToken>", "X-Request-ID": "r1"},
            {"authorization": "  Bearer <accessToken> "},
            {"Authorization": "Bearer eyJ.real.token"},
            {},
        ]
    )

    assert seen["forwarded"] == [
        {"X-Request-ID": "r1"},
        {},
        {"Authorization": "Bearer eyJ.real.token"},
        {},
    ]


@needs_node
def test_without_the_assets_the_page_says_how_to_install_them() -> None:
    seen = run_bootstrap([], "without-graphiql")

    assert seen == {
        "rootText": "GraphiQL assets are not installed: run `make assets`",
        "props": None,
        "fetcherUrl": None,
        "forwarded": [],
    }


async def test_an_unknown_asset_name_answers_404(graphiql_client: httpx.AsyncClient) -> None:
    # graphiql.js is in node_modules but not on the allow-list.
    for name in ("graphiql.js", "package.json", "graphiql.min.js.map", ""):
        response = await graphiql_client.get(f"{ASSETS_PATH}/{name}")

        assert response.status_code == 404, name
        assert response.text == "Not Found"


@pytest.mark.parametrize(
    "raw_path",
    [
        b"/graphiql/assets/..%2F..%2Fpackage.json",
        b"/graphiql/assets/%2e%2e%2f%2e%2e%2fpackage.json",
        b"/graphiql/assets/..%2fgraphiql%2fgraphiql.min.js",
        b"/graphiql/assets/graphiql%2Fgraphiql.min.js",
        b"/graphiql/assets/react/umd/react.production.min.js",
        b"/graphiql/assets/..%5C..%5Cpackage.json",
    ],
)
async def test_path_traversal_answers_404(
    graphiql_client: httpx.AsyncClient, raw_path: bytes
) -> None:
    # Encoded dot segments and slashes reach the router as sent; clients (httpx included)
    # resolve literal `../` before sending, so those never arrive.
    url = httpx.URL("http://testserver").copy_with(raw_path=raw_path)

    response = await graphiql_client.get(url)

    assert response.status_code == 404
    assert response.text == "Not Found"


async def test_a_missing_asset_file_answers_503_saying_how_to_install_it(
    tmp_path: Path,
    db_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    overrides = {"graphiql": True, "graphiql_assets_dir": tmp_path}
    async with app_client(overrides, db_url, engine, session_factory) as client:
        response = await client.get(f"{ASSETS_PATH}/graphiql.min.js")

    assert response.status_code == 503
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "GraphiQL assets are not installed: run `make assets`"


async def test_graphiql_disabled_answers_404_to_a_browser(
    db_url: str, engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    overrides = {"graphiql": False, "graphiql_assets_dir": ASSETS_DIR}
    async with app_client(overrides, db_url, engine, session_factory) as client:
        response = await client.get("/graphql", headers=HTML)

    assert response.status_code == 404
    assert "<html" not in response.text


async def test_the_assets_are_served_whatever_the_working_directory(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    db_url: str,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # As a service unit or a container starts it: from a directory with no node_modules.
    monkeypatch.delenv("GATEWAY_GRAPHIQL_ASSETS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)

    async with app_client({"graphiql": True}, db_url, engine, session_factory) as client:
        responses = {name: await client.get(f"{ASSETS_PATH}/{name}") for name in ASSET_FILES}

    for name, response in responses.items():
        assert response.status_code == 200, (name, response.text)
        assert response.content == (ASSETS_DIR / ASSET_FILES[name]).read_bytes()


def test_the_assets_directory_setting_overrides_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str
) -> None:
    monkeypatch.setenv("GATEWAY_GRAPHIQL_ASSETS_DIR", str(tmp_path / "graphiql"))

    assert make_settings(db_url).graphiql_assets_dir == tmp_path / "graphiql"


def test_the_default_assets_directory_is_the_projects_node_modules(
    monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    monkeypatch.delenv("GATEWAY_GRAPHIQL_ASSETS_DIR", raising=False)

    assert make_settings(db_url).graphiql_assets_dir == ASSETS_DIR
