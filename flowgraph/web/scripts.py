"""How the workbench's JavaScript reaches the browser quickly.

- plotly.js: Dash would load the full ``plotly.min.js`` (4.8 MB, every trace type, all of it
  compiled on a first visit: 1-2 s of the enterprise page on this machine). The workbench
  draws bar and scatter charts (enterprise page) and a Sankey (national flows), so it serves
  ``vendor/plotly-flowgraph.min.js`` instead, at the address Dash asks for: plotly.js's own
  modules for those three trace types and its zh-CN locale (1.3 MB), built by
  ``scripts/build-plotly-bundle.sh`` from the plotly.js version the plotly package ships.
- Pages that draw a chart load plotly.js with their other scripts (a ``<link rel="preload">``
  in the head and a ``<script>`` after Dash's own), so the browser fetches and evaluates it
  while the page's content is computed on the server, instead of after it has arrived (Dash
  loads it only when the first chart is rendered: 60-90 ms of main thread between the content
  and the drawn page); likewise the component libraries' chunks a page draws with (AG Grid's
  grid, dcc's graph and dropdown), which Dash would fetch and evaluate only once the content
  has arrived. A chunk run ahead only registers its modules with its library's loader
  (webpack), which then finds it loaded; dcc's graph uses ``window.Plotly`` when it is there.
- Dash's first script is ``@babel/polyfill`` 7.12.1 (core-js 2 and regenerator-runtime, for
  browsers without ES2015+). In today's browsers it only costs: 30-60 ms to evaluate on every
  first visit, and it replaces the browser's own ``parseFloat``, ``parseInt`` and
  ``String.prototype.trim`` with slower JavaScript ones (core-js 2's test for them fails on a
  modern engine), which plotly.js and AG Grid call in their drawing loops. Dash's bundles need
  only ``regeneratorRuntime`` from it, so the workbench serves regenerator-runtime 0.13.11
  (the version that polyfill bundles; MIT, ``vendor/regenerator-runtime.js`` as published on
  npm, ``npm pack regenerator-runtime@0.13.11``) at the polyfill's address. The workbench needs
  a browser of this decade (React 18, which Dash ships, supports no older one either).
- Responses are compressed (gzip, Dash's ``compress``) when the workbench is served to other
  machines (``--host``); on a loopback address compressing only costs time.
"""

from __future__ import annotations

from pathlib import Path

import flask

VENDOR = Path(__file__).parent / "vendor"
PLOTLY_BUNDLE = VENDOR / "plotly-flowgraph.min.js"
REGENERATOR = VENDOR / "regenerator-runtime.js"
# the polyfill Dash names first among its scripts (dash._dash_renderer), in its package
DASH_POLYFILL = "deps/polyfill@7.12.1.min.js"
# where dash-renderer loads plotly.js from when serving locally (window._dashPlotlyJSURL)
DASH_PLOTLY_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"
# first path segment of the pages that draw a Plotly chart on their first render
CHART_PAGES = frozenset({"enterprise", "flows"})
# The component libraries' chunks that Dash loads only once a component needs them (AG Grid's
# grid code, dcc's graph and dropdown), by the first path segment of the pages whose first
# render needs them ("" is the findings page): named in a preload so they are fetched with the
# page's scripts instead of in a round trip after its content has arrived.
ASYNC_CHUNKS = {
    # the enterprise page too: its lists are plain tables up to 30 rows, but the enterprises
    # an investigator opens most (a smelter, a trader) have more findings around them than that
    "_dash-component-suites/dash_ag_grid/async-community.js": frozenset(
        {"", "findings", "finding", "enterprise", "lot", "batch", "search"}
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
    """The ``<link rel="preload">`` tags of the page at ``path`` (fetched from the start)."""
    return "".join(
        f'<link rel="preload" as="script" href="{url}">' for url in preload_urls(path, prefix)
    )


def script_tags(path: str, prefix: str = "/") -> str:
    """The same scripts as ``<script>`` tags, placed after Dash's own scripts and before its
    renderer starts: evaluated before the page's content arrives (see the module docstring).

    >>> script_tags("/finding/f1")
    '<script src="/_dash-component-suites/dash_ag_grid/async-community.js"></script>'
    """
    return "".join(f'<script src="{url}"></script>' for url in preload_urls(path, prefix))


def is_dash_polyfill(request_path: str, prefix: str = "/") -> bool:
    """Is ``request_path`` Dash's address of its ``@babel/polyfill`` (fingerprinted or not)?

    >>> is_dash_polyfill("/_dash-component-suites/dash/deps/polyfill@7.v4_4_1m17.12.1.min.js")
    True
    >>> is_dash_polyfill("/_dash-component-suites/dash/deps/react@18.v4_4_1m17.3.1.min.js")
    False
    """
    from dash.fingerprint import check_fingerprint

    base = f"{prefix}_dash-component-suites/dash/"
    if not request_path.startswith(base):
        return False
    return check_fingerprint(request_path[len(base) :])[0] == DASH_POLYFILL


def _revalidated(body: bytes, etag: str) -> flask.Response:
    # revalidated by its ETag (a 304 once cached): the address may stay when the file changes
    response = flask.Response(body, mimetype="text/javascript")
    response.set_etag(etag)
    response.cache_control.no_cache = True
    return response.make_conditional(flask.request)


def install(server: flask.Flask, prefix: str) -> None:
    """Serve the workbench's plotly.js at the address Dash's graphs load it from, and
    regenerator-runtime at the address of Dash's polyfill."""
    import hashlib

    url = plotly_url(prefix)
    plotly_body, regenerator = PLOTLY_BUNDLE.read_bytes(), REGENERATOR.read_bytes()
    plotly_etag = hashlib.sha256(plotly_body).hexdigest()[:32]
    regenerator_etag = hashlib.sha256(regenerator).hexdigest()[:32]

    @server.before_request
    def vendored_scripts() -> flask.Response | None:
        path = flask.request.path
        if path == url:
            return _revalidated(plotly_body, plotly_etag)
        if is_dash_polyfill(path, prefix):
            return _revalidated(regenerator, regenerator_etag)
        return None
