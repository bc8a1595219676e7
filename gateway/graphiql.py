"""GraphiQL served entirely by the gateway: the page and its scripts and styles.

Strawberry's own GraphiQL page loads React and GraphiQL from a CDN, so it stays blank
without outside network. This page references only files under ``ASSETS_PATH``, which
the gateway serves from the assets directory (``GATEWAY_GRAPHIQL_ASSETS_DIR``; by default
the project's ``node_modules``, installed by ``make assets`` from the versions pinned in
``package-lock.json``). A Content-Security-Policy in the page keeps it that
way: the browser refuses any script, style, font or request from another origin.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from pathlib import Path
from string import Template

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

ASSETS_PATH = "/graphiql/assets"

# Public file name -> path inside node_modules. Only these files are ever served.
ASSET_FILES: dict[str, str] = {
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql.min.css": "graphiql/graphiql.min.css",
}

# The versions pinned in package.json. They go into the asset URLs because the assets
# are cached as immutable: a new version must get a new URL, or browsers would keep
# the old file for a year.
_PACKAGE_VERSIONS: dict[str, str] = {
    "react": "18.3.1",
    "react-dom": "18.3.1",
    "graphiql": "3.8.3",
}

_MEDIA_TYPES: dict[str, str] = {
    ".js": "application/javascript",
    ".css": "text/css",
}

_NOT_INSTALLED = "GraphiQL assets are not installed: run `make assets`"

_DEFAULT_QUERY = """\
# GraphiQL for the accounts and privacy gateway.
#
# Run a query with Ctrl-Enter or the run button. Without a token you are anonymous.
# To act as an account, sign in (loginWithSms, loginWithPassword), copy the
# accessToken it returns and put it in place of <accessToken> in the Headers tab
# below. While the placeholder is left as it is, no Authorization header is sent.
# Headers are not saved in this browser.

{
  __typename
}
"""

_AUTHORIZATION_PLACEHOLDER = "Bearer <accessToken>"

# The headers editor starts with an example to edit. The fetcher drops an Authorization
# header that still holds the placeholder: sent as is, the gateway would answer 401 and
# even `{ __typename }` would fail for someone who has not signed in yet.
_BOOTSTRAP_SCRIPT = Template("""
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  if (typeof GraphiQL === "undefined" || typeof ReactDOM === "undefined") {
    root.textContent = $not_installed;
    return;
  }
  var placeholder = $placeholder;
  var baseFetcher = GraphiQL.createFetcher({
    url: window.location.origin + window.location.pathname,
  });
  function fetcher(params, options) {
    var headers = {};
    var given = (options && options.headers) || {};
    Object.keys(given).forEach(function (name) {
      var value = given[name];
      var isPlaceholder =
        name.toLowerCase() === "authorization" &&
        typeof value === "string" &&
        value.trim() === placeholder;
      if (!isPlaceholder) {
        headers[name] = value;
      }
    });
    return baseFetcher(params, Object.assign({}, options, { headers: headers }));
  }
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: $default_query,
      defaultHeaders: $default_headers,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    })
  );
})();
""")

_STYLE = """
html, body { height: 100%; margin: 0; }
#graphiql { height: 100vh; }
"""


def _js_string(value: str) -> str:
    """A JavaScript string literal that is also safe inside an HTML <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _attribute(value: str) -> str:
    """A value for a double-quoted HTML attribute (single quotes, as in CSP, stay legible)."""
    return html.escape(value, quote=False).replace('"', "&quot;")


def _asset_url(name: str) -> str:
    package = ASSET_FILES[name].split("/", 1)[0]
    return _attribute(f"{ASSETS_PATH}/{name}?v={_PACKAGE_VERSIONS[package]}")


def _bootstrap_script() -> str:
    default_headers = json.dumps({"Authorization": _AUTHORIZATION_PLACEHOLDER}, indent=2)
    return _BOOTSTRAP_SCRIPT.substitute(
        not_installed=_js_string(_NOT_INSTALLED),
        placeholder=_js_string(_AUTHORIZATION_PLACEHOLDER),
        default_query=_js_string(_DEFAULT_QUERY),
        default_headers=_js_string(default_headers),
    )


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _content_security_policy(script: str) -> str:
    # Styles allow 'unsafe-inline' (and so carry no hash, which would turn it off):
    # GraphiQL's dialogs inject <style> elements. The fonts are data: URLs inside
    # graphiql.min.css.
    directives = [
        "default-src 'none'",
        f"script-src 'self' {_csp_hash(script)}",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
    return "; ".join(directives)


def _render_page() -> str:
    script = _bootstrap_script()
    csp = _attribute(_content_security_policy(script))
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta http-equiv="Content-Security-Policy" content="{csp}">
    <title>GraphiQL</title>
    <link rel="stylesheet" href="{_asset_url("graphiql.min.css")}">
    <style>{_STYLE}</style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script src="{_asset_url("react.production.min.js")}"></script>
    <script src="{_asset_url("react-dom.production.min.js")}"></script>
    <script src="{_asset_url("graphiql.min.js")}"></script>
    <script>{script}</script>
  </body>
</html>
"""


_PAGE = _render_page()


def graphiql_html() -> str:
    """The GraphiQL page; every URL in it is a same-origin path under ``ASSETS_PATH``."""
    return _PAGE


def missing_assets(assets_dir: Path) -> list[str]:
    """The public names of the assets that `assets_dir` does not hold."""
    return [name for name, relative in ASSET_FILES.items() if not (assets_dir / relative).is_file()]


def graphiql_assets_mount(assets_dir: Path) -> Route:
    """The route serving ``GET {ASSETS_PATH}/{name}`` for the names in ``ASSET_FILES``.

    The name is only ever a key of the allow-list, never part of a file path, so no
    request reaches another file. The files are served as immutable: their URLs
    carry the package version.
    """

    async def serve_asset(request: Request) -> Response:
        relative = ASSET_FILES.get(request.path_params["name"])
        if relative is None:
            return PlainTextResponse("Not Found", status_code=404)
        path = assets_dir / relative
        if not await anyio.Path(path).is_file():
            return PlainTextResponse(_NOT_INSTALLED, status_code=503)
        return FileResponse(
            path,
            media_type=_MEDIA_TYPES[path.suffix],
            headers={
                "Cache-Control": "public, max-age=31536000, immutable",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return Route(f"{ASSETS_PATH}/{{name}}", serve_asset, methods=["GET"], name="graphiql_asset")
