"""How the workbench's JavaScript reaches the browser quickly.

- plotly.js: Dash would load the full ``plotly.min.js`` (4.8 MB, every trace type, all of it
  compiled on a first visit: 1-2 s of the enterprise page on this machine). The workbench
  draws bar and scatter charts (enterprise page) and a Sankey (national flows), so it serves
  ``vendor/plotly-flowgraph.min.js`` instead, at the address Dash asks for: plotly.js's own
  modules for those three trace types and its zh-CN locale (1.3 MB), built by
  ``scripts/build-plotly-bundle.sh`` from the plotly.js version the plotly package ships.
- Pages that draw a chart name plotly.js in a ``<link rel="preload">`` of their HTML, so the
  browser fetches (and compiles) it while the page's content is computed on the server,
  instead of after (Dash loads it only when the first chart is rendered); likewise the
  component libraries' chunks a page draws with (AG Grid's grid, dcc's graph and dropdown),
  which Dash would fetch only once the page's content has arrived.
- Responses are compressed (gzip, Dash's ``compress``) when the workbench is served to other
  machines (``--host``); on a loopback address compressing only costs time.
"""

from __future__ import annotations

from pathlib import Path

import flask

VENDOR = Path(__file__).parent / "vendor"
PLOTLY_BUNDLE = VENDOR / "plotly-flowgraph.min.js"
# where dash-renderer loads plotly.js from when serving locally (window._dashPlotlyJSURL)
DASH_PLOTLY_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"
# first path segment of the pages that draw a Plotly chart on their first render
CHART_PAGES = frozenset({"enterprise", "flows"})
# The component libraries' chunks that Dash loads only once a component needs them (AG Grid's
# grid code, dcc's graph and dropdown), by the first path segment of the pages whose first
# render needs them ("" is the findings page): named in a preload so they are fetched with the
# page's scripts instead of in a round trip after its content has arrived.
ASYNC_CHUNKS = {
    # not the enterprise page: its lists are plain tables up to 30 rows (a grid beyond loads it)
    "_dash-component-suites/dash_ag_grid/async-community.js": frozenset(
        {"", "findings", "finding", "lot", "batch", "search"}
    ),
    "_dash-component-suites/dash/dcc/async-graph.js": CHART_PAGES,
    "_dash-component-suites/dash/dcc/async-dropdown.js": frozenset({"", "findings", "flows"}),
}


def plotly_url(prefix: str = "/") -> str:
    """The address the workbench's plotly.js is served at (the one Dash's graphs load).

    >>> plotly_url("/")
    '/_dash-component-suites/plotly/package_data/plotly.min.js'
    """
    return prefix + DASH_PLOTLY_PATH


def draws_chart(path: str) -> bool:
    """Does the page at ``path`` draw a Plotly chart on its first render?

    >>> draws_chart("/enterprise/E1"), draws_chart("/flows"), draws_chart("/finding/f1")
    (True, True, False)
    """
    return path.strip("/").split("/")[0] in CHART_PAGES


def preload_urls(path: str, prefix: str = "/") -> list[str]:
    """The scripts the page at ``path`` needs on its first render beyond the ones its HTML
    names: plotly.js on a page with charts, the component libraries' chunks it draws with.

    >>> preload_urls("/finding/f1")
    ['/_dash-component-suites/dash_ag_grid/async-community.js']
    """
    page = path.strip("/").split("/")[0]
    urls = [plotly_url(prefix)] if draws_chart(path) else []
    return urls + [prefix + chunk for chunk, pages in ASYNC_CHUNKS.items() if page in pages]


def preload_tags(path: str, prefix: str = "/") -> str:
    """The ``<link rel="preload">`` tags of the page at ``path``."""
    return "".join(
        f'<link rel="preload" as="script" href="{url}">' for url in preload_urls(path, prefix)
    )


def install(server: flask.Flask, prefix: str) -> None:
    """Serve the workbench's plotly.js at the address Dash's graphs load it from."""
    import hashlib

    url = plotly_url(prefix)
    body = PLOTLY_BUNDLE.read_bytes()
    etag = hashlib.sha256(body).hexdigest()[:32]

    @server.before_request
    def plotly_bundle() -> flask.Response | None:
        if flask.request.path != url:
            return None
        # revalidated by its ETag (Dash's address has no version in it): a 304 once cached
        response = flask.Response(body, mimetype="text/javascript")
        response.set_etag(etag)
        response.cache_control.no_cache = True
        return response.make_conditional(flask.request)
