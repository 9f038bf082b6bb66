"""Every page's layout rendered server-side on both stores (no browser): the library calls
behind them work on the embedded store and on real Neo4j (Cypher queries there)."""

from __future__ import annotations

import json

import pytest
import webdata
from plotly.utils import PlotlyJSONEncoder

from flowgraph.investigations.runs import detect_run, list_findings
from flowgraph.store.local import LocalStore
from flowgraph.web import ServeConfig, create_app
from flowgraph.web.shell import render


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def app(request, tmp_path):
    if request.param == "neo4j":
        store = request.getfixturevalue("neo4j_store")
    else:
        store = LocalStore.open(tmp_path / "fg.db")
    webdata.load(store)
    detect_run(store)
    yield create_app(store, ServeConfig(reviewer="tester"))
    if request.param != "neo4j":
        store.close()


def text(app, path: str, search: str = "") -> str:
    """The page at ``path`` as JSON text (what the browser receives)."""
    with app.server.test_request_context(path, headers={"Accept-Language": "en"}):
        return json.dumps(render(app.workbench, ServeConfig(), path, search),
                          cls=PlotlyJSONEncoder, ensure_ascii=False)  # fmt: skip


def test_every_page_renders_on_both_stores(app):
    store = app.workbench.store
    found = list_findings(store)
    gain = found.loc[found["type"] == "TRANSFORM_GAIN", "finding_id"].iloc[0]
    page = text(app, "/")
    assert "TRANSFORM_GAIN" in page and gain in page
    page = text(app, f"/finding/{gain[:6]}")  # a unique prefix is enough
    assert "S1-2024-03.csv" in page and '"l:L3"' in page  # evidence FILE and the lot's graph
    page = text(app, "/enterprise/S1")
    assert "Smelter One" in page and "S1-2024-03.csv" in page
    assert "TRANSFORM_GAIN" in page  # findings around it (Cypher on Neo4j, twin otherwise)
    page = text(app, "/enterprise/M1")
    assert "mining: used" in page and "mining: quota" in page  # the quota burn-down chart
    page = text(app, "/lot/L3")
    assert "L9" in page and "never created" in page
    page = text(app, "/batch/S1/B1")
    assert "consume" in page and "produce" in page
    page = text(app, "/search", "?q=sh")
    assert "SH1" in page and "SH9" in page
    page = text(app, "/search/shipment/SH9")
    assert "U9" in page
    page = text(app, "/finding/ffffffffffff")
    assert "no finding of any recorded run" in page  # one clear line, no traceback
    page = text(app, "/nowhere")
    assert "No such page." in page
