"""The workbench in real headless Chromium (Debian chromium + chromium-driver).

Few tests on one server and one browser (module scope), so they stay fast. Screenshots of each
page go to the test's temporary folder. Skipped with one line without Chromium, except in CI.
"""

from __future__ import annotations

import json
import logging
import re
import time
from urllib.parse import urlsplit

import pytest
import webdata
from webserver import browser_missing, chromium, in_ci, serving

from flowgraph.store.local import LocalStore

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    missing = browser_missing()
    if missing:
        if in_ci():
            pytest.fail(f"workbench browser tests need Chromium in CI: {missing}")
        pytest.skip(missing)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    folder = tmp_path_factory.mktemp("workbench")
    store = LocalStore.open(folder / "fg.db")
    webdata.load(store)
    with serving(store) as (base, app), chromium(folder / "profile") as drv:
        yield base, drv, folder, store
    store.close()


def wait_for(drv, css: str, timeout: float = 90.0, text: str | None = None):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(drv, timeout)
    if text is None:
        return wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))
    return wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


def shot(drv, folder, name: str) -> None:
    time.sleep(0.5)  # let graphs finish their layout
    drv.save_screenshot(str(folder / f"{name}.png"))


def requested_hosts(drv) -> set[str]:
    hosts = set()
    for entry in drv.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if url.startswith(("http:", "https:", "ws:", "wss:")):
                hosts.add(urlsplit(url).hostname)
    return hosts


def no_alert(drv) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        text = drv.switch_to.alert.text
    except NoAlertPresentException:
        return
    pytest.fail(f"an alert ran: {text!r}")


def test_lot_page_shows_provenance_and_breaks_and_uploaded_text_as_text(site):
    base, drv, folder, _store = site
    drv.get(f"{base}/lot/L3")
    wait_for(drv, "h1", text="L3")
    wait_for(drv, "#lot-up canvas")
    body = drv.find_element("css selector", "main").text
    assert "Where traceability breaks" in body
    assert "L9" in body  # the unknown lot that breaks traceability, named in the breaks list
    drv.get(f"{base}/lot/L9")
    wait_for(drv, "#lot-rows .ag-row")
    cells = [c.text for c in drv.find_elements("css selector", "#lot-rows .ag-cell")]
    assert webdata.XSS in cells  # the uploaded note, shown as its text
    assert not drv.find_elements("css selector", "img[src='x']")
    no_alert(drv)
    shot(drv, folder, "lot")


def test_enterprise_flows_and_search_pages(site):
    base, drv, folder, _store = site
    drv.get(f"{base}/enterprise/T1")
    wait_for(drv, "h1", text="T1")
    assert webdata.XSS in drv.find_element("css selector", "h1").text  # a registry name
    no_alert(drv)
    drv.get(f"{base}/enterprise/S1")
    wait_for(drv, "#ent-partners canvas")
    wait_for(drv, "#ent-balance .main-svg")
    assert_charts_drawn_by_the_workbench_plotly(drv)
    shot(drv, folder, "enterprise")
    drv.get(f"{base}/flows")
    wait_for(drv, "#flows-sankey .sankey")
    assert_charts_drawn_by_the_workbench_plotly(drv)
    assert "t REO entered the chain" in drv.find_element("css selector", "#flows-summary").text
    shot(drv, folder, "flows")
    drv.get(f"{base}/search?q=sh")
    wait_for(drv, "main section")
    links = {a.text for a in drv.find_elements("css selector", "main section a")}
    assert {"SH1", "SH3", "SH9"} <= links
    drv.get(f"{base}/search?q=mine one")
    wait_for(drv, "main section a", text="M1")
    shot(drv, folder, "search")


def assert_charts_drawn_by_the_workbench_plotly(drv) -> None:
    """Every chart's traces are of a type the workbench's plotly.js build has (an unknown
    type is silently not drawn), and no chart offers "Share chart" (an upload to Plotly's
    cloud)."""
    known = drv.execute_script("return Object.keys(Plotly.PlotSchema.get().traces)")
    assert sorted(known) == ["bar", "sankey", "scatter"]  # the build, not the full plotly.js
    drawn = drv.execute_script(
        "return [...document.querySelectorAll('.js-plotly-plot')]"
        ".flatMap(g => g._fullData.map(t => [t.type, t.visible]))"
    )
    assert drawn and all(kind in known and visible for kind, visible in drawn), drawn
    assert not drv.find_elements("css selector", ".modebar-btn[data-title^='Share']")


def test_pages_request_nothing_outside_127_0_0_1(site):
    base, drv, _folder, _store = site
    drv.get_log("performance")  # drop what earlier tests requested
    for path in ("/enterprise/S1", "/lot/L3", "/flows"):
        drv.get(base + path)
        wait_for(drv, "main h1")
        time.sleep(1.0)
    hosts = requested_hosts(drv)
    assert hosts == {"127.0.0.1"}, hosts


def test_pages_in_chinese_from_the_browser_language(site):
    """A browser asking for zh-CN gets every catalogue label in Chinese (CJK in system fonts)."""
    from test_i18n import english_left

    from flowgraph.i18n import catalogue

    base, _drv, folder, _store = site
    zh = catalogue("zh-CN")
    with chromium(folder / "profile-zh", lang="zh-CN") as drv:
        for path, ready in (("/lot/L3", "#lot-up canvas"), ("/enterprise/S1", ".js-plotly-plot"),
                            ("/flows", "#flows-sankey .sankey"), ("/search?q=L", "main section"), ("/", "#run-detection")):  # fmt: skip
            drv.get(base + path)
            wait_for(drv, ready)
            time.sleep(0.5)
            text = drv.find_element("css selector", "body").text
            assert english_left(text, zh) == [], path
            # plotly.js's own words (toolbar tooltips) from its zh-CN locale
            titles = drv.execute_script(
                "return [...document.querySelectorAll('.modebar-btn')]"
                ".map(b => b.getAttribute('data-title'))"
            )
            english = [t for t in titles if re.search("[A-Za-z]{3}", t.replace("PNG", ""))]
            assert english == [], path
            if path.startswith("/enterprise"):
                assert "自动缩放" in titles  # Autoscale
        assert "全国流向" in text
        shot(drv, folder, "lot-zh")


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def fresh_store(request, tmp_path):
    """The test data on either store, no detection run recorded yet."""
    if request.param == "neo4j":
        store = request.getfixturevalue("neo4j_store")
        uri = store.uri
    else:
        uri = str(tmp_path / "fg.db")
        store = LocalStore.open(uri)
    webdata.load(store)
    yield store, uri
    if request.param != "neo4j":
        store.close()


def choose(drv, css: str, value: str) -> None:
    """Pick ``value`` in the Dash dropdown at ``css``: open it, search, tick the option."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    drv.find_element("css selector", css).click()
    search = wait_for(drv, "input.dash-dropdown-search")
    search.send_keys(value)

    def option(d):
        hits = [e for e in d.find_elements("css selector", "[role='option']") if e.text == value]
        return hits[0] if hits else False

    WebDriverWait(drv, 90).until(option).click()
    search.send_keys(Keys.ESCAPE)


def grid_rows(drv, css: str):
    return drv.find_elements("css selector", f"{css} .ag-center-cols-container .ag-row")


def test_findings_run_filter_open_dismiss_and_see_it_in_the_cli(site, fresh_store, monkeypatch):
    """Run detection from the page (on Neo4j: the Cypher detectors on the server), filter to
    one type, open the finding, see its provenance graph, dismiss it with a note (that is
    markup: shown as text), see the status change, and find the same review in `flowgraph
    findings`."""
    from click.testing import CliRunner
    from selenium.webdriver.support.ui import WebDriverWait

    from flowgraph.cli.main import cli

    _base, drv, folder, _store = site
    store, uri = fresh_store
    in_database = []  # the server's detectors, called through (a spy, not a stand-in)
    if "://" in uri:
        server_detect = store.detect_in_database
        monkeypatch.setattr(
            store, "detect_in_database", lambda **o: in_database.append(o) or server_detect(**o)
        )
    with serving(store) as (base, _app):
        drv.get(base + "/")
        wait_for(drv, "#run-detection").click()
        wait_for(drv, "#findings-grid .ag-row")
        assert len(in_database) == (1 if "://" in uri else 0)
        choose(drv, ".findings-filter-type", "TRANSFORM_GAIN")
        wait_for(drv, "#findings-counts", text="new 1")  # the other four are filtered out
        WebDriverWait(drv, 90).until(lambda d: len(grid_rows(d, "#findings-grid")) == 1)
        rows = grid_rows(drv, "#findings-grid")
        shot(drv, folder, f"findings-{'neo4j' if '://' in uri else 'embedded'}")
        rows[0].find_element("css selector", "[col-id='type']").click()
        wait_for(drv, "h1", text="Finding")
        wait_for(drv, "#case-graph canvas")
        assert "B1" in drv.find_element("css selector", "main").text
        shot(drv, folder, "finding")
        drv.find_element("css selector", "#case-note").send_keys(webdata.XSS)
        drv.find_element("css selector", "#case-dismiss").click()
        wait_for(drv, "#case-message", text="status now dismissed")
        table = drv.find_element("css selector", "#case-review-table").text
        assert webdata.XSS in table and "tester" in table
        assert not drv.find_elements("css selector", "img[src='x']")
        no_alert(drv)
        drv.get(base + "/")
        wait_for(drv, "#findings-counts", text="dismissed 1")
    result = CliRunner().invoke(cli, ["--store", uri, "findings", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    listed = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    gain = [f for f in listed if f["type"] == "TRANSFORM_GAIN"]
    assert [(f["status"], f["reviewed_by"], f["review_note"]) for f in gain] == [
        ("dismissed", "tester", webdata.XSS)
    ]


def test_finding_details_read_in_chinese_in_the_browser(site, tmp_path):
    """A zh-CN browser sees each finding's stored English detail as a Chinese sentence, in the
    findings grid and on the case sheet; the English browser the stored text."""
    from flowgraph.investigations.runs import detect_run, list_findings
    from flowgraph.reports.detailwords import localise_detail

    store = LocalStore.open(tmp_path / "fg.db")
    try:
        webdata.load(store)
        detect_run(store)
        gain = list_findings(store).query("type == 'TRANSFORM_GAIN'").iloc[0]
        chinese = localise_detail("TRANSFORM_GAIN", gain["detail"], "zh-CN")
        assert chinese != gain["detail"]
        _base, english_drv, folder, _store = site
        with serving(store) as (base, _app), chromium(tmp_path / "profile", lang="zh-CN") as drv:
            drv.get(base + "/")
            wait_for(drv, "#findings-grid .ag-row")
            time.sleep(0.5)
            text = drv.find_element("css selector", "body").text
            assert chinese in text and gain["detail"] not in text
            drv.get(base + f"/finding/{gain['finding_id']}")
            wait_for(drv, "#case-graph canvas")
            assert chinese in drv.find_element("css selector", "main").text
            shot(drv, folder, "finding-zh")
            english_drv.get(base + f"/finding/{gain['finding_id']}")
            wait_for(english_drv, "#case-graph canvas")
            assert gain["detail"] in english_drv.find_element("css selector", "main").text
    finally:
        store.close()


GRAPH_BOXES = """
const el = document.getElementById(arguments[0]);
if (!el || !el._cyreg) return null;
const cy = el._cyreg.cy;
const box = (b) => [b.x1, b.y1, b.x2, b.y2];
return {
  nodes: cy.nodes().map(n => [n.id(), box(n.boundingBox({includeLabels: true,
                                                         includeOverlays: false}))]),
  labels: cy.edges().filter(e => e.data("label"))
            .map(e => [e.id(), box(e.boundingBox({includeNodes: false, includeEdges: false,
                                                  includeLabels: true, includeOverlays: false}))]),
};
"""


def overlapping(drv, graph_id: str) -> list[tuple[str, str]]:
    """Pairs (edge or node, node) whose drawn label boxes overlap in a Cytoscape graph."""
    from selenium.webdriver.support.ui import WebDriverWait

    boxes = WebDriverWait(drv, 60).until(lambda d: d.execute_script(GRAPH_BOXES, graph_id))

    def meet(a, b):
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    nodes = boxes["nodes"]
    pairs = [(e, n) for e, eb in boxes["labels"] for n, nb in nodes if meet(eb, nb)]
    pairs += [(a, b) for i, (a, ab) in enumerate(nodes) for b, bb in nodes[i + 1 :] if meet(ab, bb)]
    return pairs


def test_graph_labels_do_not_overlap(site):
    """The share on an edge and every node's label each stand clear (a fixed-height box had
    squeezed a deep trace until each edge's share sat on the node labels above and below)."""
    from flowgraph.investigations.runs import detect_run, list_findings

    base, drv, folder, store = site
    detect_run(store)
    found = list_findings(store)
    gain = found.loc[found["type"] == "TRANSFORM_GAIN", "finding_id"].iloc[0]
    for path, graph_id in ((f"/finding/{gain}", "case-graph"), ("/lot/L3", "lot-up")):
        drv.get(base + path)
        wait_for(drv, f"#{graph_id} canvas")
        time.sleep(0.5)  # the layout runs after the canvas appears
        assert overlapping(drv, graph_id) == [], path
    shot(drv, folder, "lot-graph")
