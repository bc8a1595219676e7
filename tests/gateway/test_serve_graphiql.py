"""`xiamo-gateway serve` started from any working directory serves GraphiQL and its
assets, and says where GraphiQL is."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from gateway.graphiql import ASSET_FILES, ASSETS_PATH, graphiql_html
from tests.live_gateway import live_gateway

ASSETS_DIR = Path(__file__).resolve().parents[2] / "node_modules"
HTML = {"Accept": "text/html"}


def gateway_lines(output: str) -> list[str]:
    """The lines of the `gateway` logger, without their time and level columns."""
    return [
        match.group(1)
        for match in re.finditer(r"^\d\d:\d\d:\d\d \w+ +gateway: (.*)$", output, re.MULTILINE)
    ]


def test_started_elsewhere_it_serves_the_page_and_every_asset_and_prints_the_url(
    tmp_path: Path,
) -> None:
    # A service unit's or a container's working directory: nothing of the project in it,
    # and no GATEWAY_GRAPHIQL_ASSETS_DIR.
    with live_gateway(tmp_path, GATEWAY_GRAPHIQL="true") as gateway:
        page = httpx.get(f"{gateway.url}/graphql", headers=HTML, trust_env=False)
        assets = {
            name: httpx.get(f"{gateway.url}{ASSETS_PATH}/{name}", trust_env=False)
            for name in ASSET_FILES
        }
        output = gateway.output()

    assert page.status_code == 200
    assert page.text == graphiql_html()
    for name, response in assets.items():
        assert response.status_code == 200, (name, response.text)
        assert response.content == (ASSETS_DIR / ASSET_FILES[name]).read_bytes()
    assert gateway_lines(output) == [
        f"listening on {gateway.url}; GraphiQL at {gateway.url}/graphql",
    ]
    assert not (tmp_path / "node_modules").exists()


def test_without_graphiql_it_prints_only_where_it_listens(tmp_path: Path) -> None:
    with live_gateway(tmp_path, GATEWAY_GRAPHIQL="false") as gateway:
        page = httpx.get(f"{gateway.url}/graphql", headers=HTML, trust_env=False)
        output = gateway.output()

    assert page.status_code == 404
    assert gateway_lines(output) == [f"listening on {gateway.url}"]


def test_assets_missing_from_the_folder_set_are_reported_at_start(tmp_path: Path) -> None:
    empty = tmp_path / "graphiql"
    empty.mkdir()

    with live_gateway(
        tmp_path, GATEWAY_GRAPHIQL="true", GATEWAY_GRAPHIQL_ASSETS_DIR=str(empty)
    ) as gateway:
        asset = httpx.get(f"{gateway.url}{ASSETS_PATH}/graphiql.min.js", trust_env=False)
        output = gateway.output()

    assert asset.status_code == 503
    assert gateway_lines(output) == [
        f"listening on {gateway.url}; GraphiQL at {gateway.url}/graphql",
        f"GraphiQL's assets are not in {empty}: run `make assets` in the project, or set "
        "GATEWAY_GRAPHIQL_ASSETS_DIR to a folder that holds them",
    ]
