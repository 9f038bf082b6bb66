"""The HTML reports in real headless Chromium (Debian chromium + chromium-driver, no download).

Skipped with one line when /usr/bin/chromium is missing, unless CI is set: then it fails.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from reports_fixtures import XSS_NAME, hand_events, hand_registry, hand_shares, with_shares

from flowgraph.reports.flows import flow_table
from flowgraph.reports.sankey import drawn_flows, link_parts, write_sankey_html

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(path)):
            return f"{path} missing (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture
def driver(tmp_path):
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser test needs Chromium in CI: {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()


def _open(drv, path: Path) -> None:
    drv.get(path.resolve().as_uri())


def _no_alert(drv) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        text = drv.switch_to.alert.text
    except NoAlertPresentException:
        return
    pytest.fail(f"an alert ran: {text!r}")


def _errors(drv) -> list[dict]:
    return [e for e in drv.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def _wait_for(drv, css: str, count: int, timeout: float = 30) -> list:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, timeout).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, css)) >= count)
    return drv.find_elements(By.CSS_SELECTOR, css)


def _shown(nodes: list) -> list:
    """The nodes a reader sees: not the off-screen spacer (empty label, see sankeyplace)."""
    return [n for n in nodes if n.text.strip()]


def test_sankey_renders_offline_with_every_node_and_link(driver, tmp_path):
    from selenium.webdriver.common.by import By

    registry = hand_registry(smelter_name=XSS_NAME)
    table = flow_table(with_shares(hand_events(), registry, hand_shares()), by="enterprise")
    page = write_sankey_html(
        table, tmp_path / "sankey.html", title=f"Flows of {XSS_NAME}", period="2024-03", uploads=5
    )
    _open(driver, page)
    drawn = drawn_flows(table)
    nodes_expected = len(set(drawn.source) | set(drawn.target))
    links_expected = len(link_parts(drawn))
    nodes = _shown(_wait_for(driver, "g.sankey-node", nodes_expected))
    links = driver.find_elements(By.CSS_SELECTOR, "path.sankey-link")
    assert len(nodes) == nodes_expected
    assert len(links) - links_expected in (0, 1)  # 1: the off-screen spacer (sankeyplace)
    _no_alert(driver)
    assert _errors(driver) == []
    labels = ["".join(n.text.split()) for n in nodes]
    assert "".join(XSS_NAME.split()) in labels  # shown literally, not run
    assert XSS_NAME in driver.find_element(By.TAG_NAME, "h1").text
    assert driver.find_element(By.ID, "uploads").text == "5"
    shot = tmp_path / "sankey.png"
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_sankey_with_a_cycle_between_nodes_draws_every_link(driver, tmp_path):
    from selenium.webdriver.common.by import By

    from flowgraph.model import events_frame

    events = hand_events()
    back = events[events.event_id == "P1-20"].assign(
        event_id="P1-99", counterparty_id="S1", shipment_id="SH99", mass_kg=50.0
    )
    recv = back.assign(
        event_id="S1-99", event_type="receive", enterprise_id="S1", counterparty_id="P1"
    )
    events = events_frame(
        pd.concat([events, back, recv]).drop(columns=["period", "upload_id", "source_row"])
    )
    table = flow_table(with_shares(events, hand_registry(), hand_shares()))
    assert {("processor", "smelter-separator"), ("smelter-separator", "processor")} <= set(
        zip(table.source, table.target, strict=True)
    )
    page = write_sankey_html(table, tmp_path / "cycle.html", period="2024-03", uploads=5)
    _open(driver, page)
    # issue 14: the way back is drawn through two labelled return nodes, left to right.
    drawn = drawn_flows(table)
    nodes = _shown(_wait_for(driver, "g.sankey-node", len(set(drawn.source) | set(drawn.target))))
    assert len(nodes) == len(set(drawn.source) | set(drawn.target))
    drawn_links = len(driver.find_elements(By.CSS_SELECTOR, "path.sankey-link"))
    assert drawn_links - len(link_parts(drawn)) in (0, 1)
    assert _errors(driver) == []
    at = {"".join(n.text.split()): n.rect["x"] for n in nodes}  # wrapped labels: lines joined

    def left(name: str) -> float:
        return at["".join(name.split())]

    assert left("returns from processor / trader") < left("smelter-separator")
    assert left("processor") < left("returns to smelter-separator")
    assert left("smelter-separator") < left("processor")
    shot = tmp_path / "cycle.png"
    assert driver.save_screenshot(str(shot))


def test_findings_page_escapes_names_and_sorts(driver, tmp_path):
    from selenium.webdriver.common.by import By

    from flowgraph.analysis import run_detectors
    from flowgraph.reports.findings import write_findings_html

    registry = hand_registry(smelter_name=XSS_NAME)
    events = hand_events()
    events.loc[events.event_id == "S1-17", "note"] = "<img src=x onerror=alert(2)>"
    found = run_detectors(events, registry)
    page = write_findings_html(
        tmp_path / "findings.html", found, with_shares(events, registry, hand_shares()), registry
    )
    _open(driver, page)
    _wait_for(driver, "#quota g.trace", 1)
    _no_alert(driver)
    assert _errors(driver) == []
    assert driver.find_elements(By.CSS_SELECTOR, "img") == []  # the note stayed text
    enterprises = driver.find_element(By.ID, "enterprises").text
    assert XSS_NAME in enterprises  # the name is shown literally
    rows = driver.find_elements(By.CSS_SELECTOR, "#findings > tbody > tr:first-child")
    assert len(rows) == len(found)  # one group per finding: its row, then its evidence row

    def column(i):
        cells = driver.find_elements(
            By.CSS_SELECTOR, f"#findings > tbody > tr:first-child > td:nth-child({i})"
        )
        return [c.get_attribute("data-sort") or c.text for c in cells]

    # columns: #, finding_id, status, type, family, period, enterprise, key, REO kg, ...
    reo_header = driver.find_element(By.CSS_SELECTOR, "#findings > thead th:nth-child(9)")
    assert reo_header.text == "REO kg"
    reo_header.click()
    ascending = [float(v) for v in column(9)]
    assert ascending == sorted(ascending)
    reo_header.click()
    assert [float(v) for v in column(9)] == sorted(ascending, reverse=True)
    driver.find_element(By.CSS_SELECTOR, "#findings > thead th:nth-child(4)").click()
    types = column(4)
    assert types == sorted(types, key=str.lower)
    # Evidence opens and shows the escaped note literally.
    for details in driver.find_elements(By.CSS_SELECTOR, "#findings details"):
        details.find_element(By.TAG_NAME, "summary").click()
    assert "<img src=x onerror=alert(2)>" in driver.find_element(By.ID, "findings").text
    _no_alert(driver)
    # issue 14: the opened evidence spans the table's width under its finding (it sat inside
    # the narrow last column, ~1,200 px of sideways scrolling away), and sorting keeps each
    # finding's evidence under it.
    table = driver.find_element(By.ID, "findings")
    for group in driver.find_elements(By.CSS_SELECTOR, "#findings > tbody"):
        finding, evidence_row = group.find_elements(By.CSS_SELECTOR, ":scope > tr")
        assert "evidence-row" in evidence_row.get_attribute("class")
        assert evidence_row.location["y"] >= finding.location["y"] + finding.size["height"] - 1
        cell = evidence_row.find_element(By.TAG_NAME, "td")
        assert cell.size["width"] >= 0.95 * table.size["width"]
    summaries = [s.text for s in driver.find_elements(By.CSS_SELECTOR, "#findings summary")]
    assert summaries and all(re.fullmatch(r"evidence: 1 event row|evidence: \d[\d,]* event rows", t)
                             for t in summaries), summaries  # fmt: skip
    driver.execute_script("window.scrollTo(0, 0)")
    shot = tmp_path / "findings.png"
    assert driver.save_screenshot(str(shot))


def test_findings_page_in_chinese_renders_and_sorts(driver, tmp_path):
    """The zh-CN page in the browser: chart texts drawn in Chinese, sorting on a Chinese
    heading, no script error (CJK in the system's fonts: see the screenshot)."""
    from selenium.webdriver.common.by import By

    from flowgraph.analysis import run_detectors
    from flowgraph.reports.findings import write_findings_html

    registry, events = hand_registry(), hand_events()
    found = run_detectors(events, registry)
    page = write_findings_html(tmp_path / "zh.html", found, events, registry, lang="zh-CN")
    _open(driver, page)
    _wait_for(driver, "#quota g.trace", 1)
    assert _errors(driver) == []
    assert driver.find_element(By.TAG_NAME, "h1").text == "稀土可追溯性发现"
    chart = driver.find_element(By.ID, "quota").text
    assert "指标内已用" in chart and "吨 REO" in chart and "开采" in chart
    header = driver.find_element(By.CSS_SELECTOR, "#findings > thead th:nth-child(9)")
    assert header.text == "REO（千克）"
    header.click()
    cells = driver.find_elements(
        By.CSS_SELECTOR, "#findings > tbody > tr:first-child > td:nth-child(9)"
    )
    values = [float(c.get_attribute("data-sort")) for c in cells]
    assert values == sorted(values) and len(values) == len(found)
    summary = driver.find_element(By.CSS_SELECTOR, "#findings summary")
    summary.click()
    assert re.fullmatch(r"证据：\d+ 条事件记录", summary.text)
    assert driver.save_screenshot(str(tmp_path / "findings-zh.png"))


_BOXES_JS = """
const svg = document.querySelector('#sankey svg.main-svg').getBoundingClientRect();
const out = [];
document.querySelectorAll('g.sankey-node').forEach((g, i) => {
  const label = g.querySelector('text.node-label');
  const rect = g.querySelector('rect.node-rect');
  const text = label ? label.textContent : '';
  const b = label ? label.getBoundingClientRect() : null;
  const r = rect.getBoundingClientRect();
  out.push({text: text, label: b && text ? [b.left, b.top, b.right, b.bottom] : null,
            rect: [r.left, r.top, r.right, r.bottom]});
});
return {svg: [svg.left, svg.top, svg.right, svg.bottom], nodes: out};
"""


def test_sankey_labels_of_a_national_year_overlap_nothing_in_chromium(driver, tmp_path):
    """What the reader sees (issue 14, item 16): in the page Chromium draws, no node label's
    box overlaps another label or another node's bar, and none leaves the figure."""
    from flowgraph.synth import build
    from flowgraph.synth.writer import events_view

    built = build(seed=5, scale=0.5)
    events = events_view(built.table).reset_index(drop=True)
    for by, lang in (("enterprise", "en"), ("province", "zh-CN")):
        table = flow_table(events, built.registry, by=by, year=2024)
        page = write_sankey_html(table, tmp_path / f"{by}.html", period="2024", lang=lang)
        driver.set_window_size(1600, 1200)
        _open(driver, page)
        _wait_for(driver, "g.sankey-node", 10)
        got = driver.execute_script(_BOXES_JS)
        left, top, right, bottom = got["svg"]
        shown = [n for n in got["nodes"] if n["label"]]
        assert len(shown) >= 20
        for n in shown:
            x0, y0, x1, y1 = n["label"]
            assert left <= x0 and x1 <= right and top <= y0 and y1 <= bottom, n["text"]
        spacer = [n for n in got["nodes"] if not n["text"]]
        assert all(n["rect"][1] >= bottom for n in spacer)  # drawn below what is shown

        def overlap(a, b, slack=1.0):
            return (
                a[0] < b[2] - slack
                and b[0] < a[2] - slack
                and a[1] < b[3] - slack
                and b[1] < a[3] - slack
            )

        for i, a in enumerate(shown):
            for b in shown[i + 1 :]:
                assert not overlap(a["label"], b["label"]), (a["text"], b["text"])
                assert not overlap(a["label"], b["rect"]), (a["text"], b["text"])
                assert not overlap(b["label"], a["rect"]), (b["text"], a["text"])
        assert _errors(driver) == []
