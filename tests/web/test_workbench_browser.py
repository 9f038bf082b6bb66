"""The workbench in real headless Chromium (Debian chromium + chromium-driver).

Few tests on one server and one browser (module scope), so they stay fast. Screenshots of each
page go to the test's temporary folder. Skipped with one line without Chromium, except in CI.
"""

from __future__ import annotations

import json
import logging
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


def wait_for(drv, css: str, timeout: float = 20.0, text: str | None = None):
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
    wait_for(drv, ".js-plotly-plot")
    shot(drv, folder, "enterprise")
    drv.get(f"{base}/flows")
    wait_for(drv, "#flows-sankey .sankey")
    assert "t REO entered the chain" in drv.find_element("css selector", "#flows-summary").text
    shot(drv, folder, "flows")
    drv.get(f"{base}/search?q=sh")
    wait_for(drv, "main section")
    links = {a.text for a in drv.find_elements("css selector", "main section a")}
    assert {"SH1", "SH3", "SH9"} <= links
    drv.get(f"{base}/search?q=mine one")
    wait_for(drv, "main section a", text="M1")
    shot(drv, folder, "search")


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
                            ("/flows", "#flows-sankey .sankey"), ("/search?q=L", "main section")):  # fmt: skip
            drv.get(base + path)
            wait_for(drv, ready)
            time.sleep(0.5)
            text = drv.find_element("css selector", "body").text
            assert english_left(text, zh) == [], path
        assert "全国流向" in text
        shot(drv, folder, "lot-zh")
