"""The workbench's JavaScript delivery (flowgraph/web/scripts.py), without a browser: its own
plotly.js build at the address Dash loads plotly.js from, preloaded by the pages that draw
charts, gzip only when served to other machines."""

from __future__ import annotations

import gzip
import re

import pytest

from flowgraph.store.local import LocalStore
from flowgraph.web import ServeConfig, create_app
from flowgraph.web.scripts import PLOTLY_BUNDLE, plotly_url


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
        "/enterprise/E1": {plotly_url(), graph},  # its short lists are plain tables
        "/lot/L1": {grid},
        "/flows": {plotly_url(), graph, dropdown},
    }
    for path, urls in expected.items():
        assert set(preloaded(client.get(path).get_data(as_text=True))) == urls, path
    for url in {grid, graph, dropdown}:
        response = client.get(url)
        assert response.status_code == 200 and b"webpackChunk" in response.data, url


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
