"""A real headless Chromium loads GraphiQL from a real gateway and runs a query offline.

Needs Chromium and its driver (Debian: `apt-get install chromium chromium-driver`) and
the `browser` extra (`pip install -e ".[browser]"`); without them the test is skipped.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from tests.live_gateway import live_gateway

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSETS_DIR = REPO_ROOT / "node_modules"
CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else shutil.which("chromium")
CHROMEDRIVER = (
    "/usr/bin/chromedriver"
    if Path("/usr/bin/chromedriver").is_file()
    else shutil.which("chromedriver")
)
RESULT_SECONDS = 20.0

# Checked before any fixture runs, so that a machine without them starts no gateway.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="Chromium or chromedriver is missing: apt-get install chromium chromium-driver",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("selenium") is None,
        reason='selenium is not installed: pip install -e ".[browser]"',
    ),
]

QUERY_EDITOR_VALUE = """
return document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue();
"""
SET_QUERY = """
document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(arguments[0]);
"""
RESPONSE_VALUE = """
const editor = document.querySelector('.graphiql-response .CodeMirror');
return editor ? editor.CodeMirror.getValue() : '';
"""
HEADERS_VALUE = """
const tools = document.querySelector('.graphiql-editor-tool');
const editor = tools.querySelector('.graphiql-editor:not(.hidden) .CodeMirror');
return editor ? editor.CodeMirror.getValue() : null;
"""
RESOURCE_URLS = "return performance.getEntriesByType('resource').map((entry) => entry.name);"


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`xiamo-gateway db upgrade`, then `xiamo-gateway serve` on a free loopback port."""
    if not (ASSETS_DIR / "graphiql" / "graphiql.min.js").is_file():
        pytest.fail("GraphiQL assets are not installed: run `make assets`")
    workdir = tmp_path_factory.mktemp("gateway")
    with live_gateway(
        workdir, GATEWAY_GRAPHIQL="true", GATEWAY_GRAPHIQL_ASSETS_DIR=str(ASSETS_DIR)
    ) as gateway:
        yield gateway.url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-proxy-server",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    # With the driver's path given, Selenium Manager (which would download one) stays out.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def sent_requests(driver: WebDriver) -> list[dict[str, Any]]:
    """Every request the page asked the network for, from the DevTools performance log."""
    requests = []
    for entry in driver.get_log("performance"):
        message: dict[str, Any] = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"])
    return requests


def test_graphiql_runs_an_anonymous_query_with_no_outside_network(
    gateway_url: str, browser: WebDriver
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{gateway_url}/graphql")
    WebDriverWait(browser, RESULT_SECONDS).until(
        expected_conditions.presence_of_element_located(
            (By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror")
        )
    )
    # The header example is shown, and left as it is it must not make the query fail.
    assert json.loads(browser.execute_script(HEADERS_VALUE)) == {
        "Authorization": "Bearer <accessToken>"
    }

    browser.execute_script(SET_QUERY, "{ __typename }")
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    WebDriverWait(browser, RESULT_SECONDS).until(
        lambda driver: '"__typename": "Query"' in driver.execute_script(RESPONSE_VALUE)
    )

    assert browser.execute_script(QUERY_EDITOR_VALUE) == "{ __typename }"
    assert json.loads(browser.execute_script(RESPONSE_VALUE)) == {"data": {"__typename": "Query"}}
    # chrome://, chrome-untrusted:// (the start page) and data: URLs reach no host.
    requests = [
        request
        for request in sent_requests(browser)
        if urlsplit(request["url"]).scheme in ("http", "https", "ws", "wss")
    ]
    urls = [request["url"] for request in requests]
    assert [url for url in urls if not url.startswith(f"{gateway_url}/")] == []
    graphiql_version = json.loads((REPO_ROOT / "package.json").read_text())["dependencies"][
        "graphiql"
    ]
    assert f"{gateway_url}/graphiql/assets/graphiql.min.js?v={graphiql_version}" in urls
    graphql_posts = [request for request in requests if request["method"] == "POST"]
    # The schema's introspection, then the query; the untouched example header stays home.
    assert [request["url"] for request in graphql_posts] == [f"{gateway_url}/graphql"] * 2
    for request in graphql_posts:
        assert "authorization" not in {name.lower() for name in request["headers"]}
    resources = browser.execute_script(RESOURCE_URLS)
    assert [url for url in resources if not url.startswith(f"{gateway_url}/")] == []
    policy_violations = [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
    assert policy_violations == []
