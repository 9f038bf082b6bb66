"""The workbench's JavaScript delivery (flowgraph/web/scripts.py), without a browser: its own
plotly.js build at the address Dash loads plotly.js from, loaded with the scripts of the pages
that draw charts, regenerator-runtime instead of Dash's polyfill, gzip only when served to
other machines."""

from __future__ import annotations

import gzip
import pathlib
import re

import pytest

from flowgraph.store.local import LocalStore
from flowgraph.web import ServeConfig, create_app
from flowgraph.web.scripts import PLOTLY_BUNDLE, REGENERATOR, plotly_url


@pytest.fixture
def client(tmp_path):
    store = LocalStore.open(tmp_path / "fg.db")
    yield create_app(store, ServeConfig()).server.test_client()
    store.close()


def test_plotly_js_is_the_workbench_build_revalidated_by_etag(client):
    from plotly.offline import get_plotlyjs

    first = client.get(plotly_url())
    assert first.status_code == 200
    assert first.data == PLOTLY_BUNDLE.read_bytes()
    assert first.data != get_plotlyjs().encode()  # not the 4.8 MB full plotly.min.js
    assert len(first.data) < 2_000_000
    autoscale_zh = "".join(f"\\u{ord(c):04X}" for c in "自动缩放")  # as esbuild writes it
    assert b"sankey" in first.data and autoscale_zh.encode() in first.data  # trace and locale
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get(plotly_url(), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_pages_with_charts_preload_plotly_js_and_others_do_not(client):
    tag = f'<link rel="preload" as="script" href="{plotly_url()}">'
    for path in ("/enterprise/E1", "/flows", "/flows?year=2024"):
        assert tag in client.get(path).get_data(as_text=True), path
    for path in ("/", "/finding/abc", "/lot/L1", "/search?q=x"):
        assert plotly_url() not in client.get(path).get_data(as_text=True), path


def preloaded(html: str) -> list[str]:
    return re.findall(r'<link rel="preload" as="script" href="([^"]+)">', html)


def test_pages_preload_the_component_chunks_their_first_render_needs(client):
    """AG Grid's grid code and dcc's graph and dropdown are chunks Dash fetches only once the
    page's content has arrived; the pages that draw them name them up front, at addresses the
    server serves."""
    grid = "/_dash-component-suites/dash_ag_grid/async-community.js"
    graph = "/_dash-component-suites/dash/dcc/async-graph.js"
    dropdown = "/_dash-component-suites/dash/dcc/async-dropdown.js"
    expected = {
        "/": {grid, dropdown},
        "/finding/abc": {grid},
        "/enterprise/E1": {plotly_url(), graph, grid},  # a grid past 30 findings around it
        "/lot/L1": {grid},
        "/flows": {plotly_url(), graph, dropdown},
    }
    for path, urls in expected.items():
        assert set(preloaded(client.get(path).get_data(as_text=True))) == urls, path
    for url in {grid, graph, dropdown}:
        response = client.get(url)
        assert response.status_code == 200 and b"webpackChunk" in response.data, url


def script_srcs(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', html)


def test_the_first_render_s_scripts_run_before_dash_starts(client):
    """plotly.js and the chunks are evaluated with the page's scripts (after Dash's own, so
    its libraries' loaders find them; before the renderer's bootstrap asks for the content),
    not only fetched: Dash would evaluate them after the content has arrived."""
    for path in ("/", "/enterprise/E1", "/flows"):
        html = client.get(path).get_data(as_text=True)
        srcs = script_srcs(html)
        wanted = preloaded(html)
        assert wanted and srcs[-len(wanted) :] == wanted, path  # the last scripts, in order
        renderer = next(i for i, s in enumerate(srcs) if "dash_renderer" in s)
        assert renderer < srcs.index(wanted[0]), path
        assert html.index(f'src="{wanted[-1]}"') < html.index("new DashRenderer"), path
    assert plotly_url() not in script_srcs(client.get("/finding/abc").get_data(as_text=True))


def test_dash_s_polyfill_address_serves_regenerator_runtime(client):
    """Dash's bundles need regeneratorRuntime from @babel/polyfill; its core-js part replaced
    the browser's parseFloat, parseInt and trim with slower ones. The page keeps the address,
    the body is regenerator-runtime, cached as Dash's own scripts are revalidated."""
    import dash

    html = client.get("/").get_data(as_text=True)
    src = next(s for s in script_srcs(html) if "/dash/deps/polyfill@" in s)
    first = client.get(src)
    assert first.status_code == 200 and first.mimetype == "text/javascript"
    assert first.data == REGENERATOR.read_bytes()
    assert b"regeneratorRuntime = runtime" in first.data and len(first.data) < 40_000
    polyfill = (pathlib.Path(dash.__file__).parent / "deps" / "polyfill@7.12.1.min.js").read_bytes()
    assert first.data != polyfill
    again = client.get(src, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    react = next(s for s in script_srcs(html) if "/dash/deps/react@" in s)
    assert client.get(react).data != first.data  # only the polyfill is replaced


def test_responses_gzipped_over_a_network_not_on_loopback(tmp_path):
    store = LocalStore.open(tmp_path / "fg.db")
    headers = {"Accept-Encoding": "gzip", "Authorization": "Basic dTpzM2NyZXQ="}  # u:s3cret
    local = create_app(store, ServeConfig()).server.test_client()
    assert "Content-Encoding" not in local.get(plotly_url(), headers=headers).headers
    remote = create_app(store, ServeConfig(host="0.0.0.0", password="s3cret"))
    response = remote.server.test_client().get(
        plotly_url(), headers={**headers, "Host": "10.0.0.5:8050"}
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == PLOTLY_BUNDLE.read_bytes()
    store.close()
