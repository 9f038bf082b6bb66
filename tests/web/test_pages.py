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


def text(app, path: str, search: str = "", lang: str = "en") -> str:
    """The page at ``path`` as JSON text (what the browser receives)."""
    with app.server.test_request_context(path, headers={"Accept-Language": lang}):
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
    assert '"headerName": "Ran at"' in page and '"headerName": "ran_at"' not in page  # runs
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


def test_finding_details_in_chinese_on_every_page_that_shows_them(tmp_path):
    """The stored English detail of a finding reads in Chinese in the grid, the case sheet (and
    its runs) and the enterprise's findings; in English it is the stored text."""
    from flowgraph.reports.detailwords import localise_detail

    store = LocalStore.open(tmp_path / "fg.db")
    try:
        webdata.load(store)
        detect_run(store)
        app = create_app(store, ServeConfig(reviewer="tester"))
        found = list_findings(store)
        gain = found.loc[found["type"] == "TRANSFORM_GAIN"].iloc[0]
        english = gain["detail"]
        chinese = localise_detail("TRANSFORM_GAIN", english, "zh-CN")
        assert chinese.startswith("批次产出的 REO 为其 REO 投入的")
        for path in ("/", f"/finding/{gain['finding_id']}", "/enterprise/S1"):
            page = text(app, path, lang="zh-CN")
            assert json.dumps(chinese, ensure_ascii=False) in page and english not in page, path
            assert json.dumps(english) in text(app, path), path
        case = text(app, f"/finding/{gain['finding_id']}", lang="zh-CN")
        assert case.count(json.dumps(chinese, ensure_ascii=False)) >= 2  # sheet and its runs
    finally:
        store.close()


def test_enterprise_lists_link_what_each_finding_is_about(tmp_path):
    """Short lists on the enterprise page are plain tables whose "about" cells open the
    batch, shipment, lot or partner the finding is about."""
    store = LocalStore.open(tmp_path / "fg.db")
    try:
        webdata.load(store)
        detect_run(store)
        page = text(create_app(store, ServeConfig(reviewer="tester")), "/enterprise/S1")
        assert (
            '"id": "ent-findings"' in page and "ag-theme" not in page.split("ent-findings")[1][:200]
        )
        for target in ('"/batch/S1/B1"', '"/search/shipment/SH9"', '"/enterprise/M1"'):
            assert target in page, target
    finally:
        store.close()
