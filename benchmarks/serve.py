"""Benchmark: the workbench's time to first render in headless Chromium, scale N.

Loads the cached synthetic year into a fresh embedded store and records a detection run (not
timed), starts the workbench as ``flowgraph serve`` does (the store read before listening:
timed as "server start": the store read, the prepared view and the default Sankey), then opens each page in Chromium and times from the navigation to
the moment the page's main content is drawn (grid rows, graph canvas, Sankey nodes): the
first visit, a second one, and following an in-app link (from the Search page, its scripts
already loaded: what clicking through the workbench costs). A page load includes compiling
~4.5 MB of JavaScript (AG Grid 2.2 MB, Cytoscape, Dash, the workbench's 1.3 MB plotly.js on the
pages with charts), which a starved CPU makes slow; so each figure also gives the CPU time it
took, which a busy machine inflates far less than the wall time: the browser page's main
thread (Chromium's ThreadTime) and the server (thread CPU time of every request the page
made). Target (issue #13): each page < 1.5 s after the server has started.

    python benchmarks/serve.py --scale 100
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from _data import peak_rss_mb, synth_dir

from flowgraph.ingest import load_files, load_registry
from flowgraph.investigations.runs import detect_run, list_findings
from flowgraph.store.local import LocalStore
from flowgraph.web import ServeConfig, create_app, serving

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# (page, path, CSS selectors that must all be visible once the page has rendered)
READY = {
    "findings": ("#findings-grid .ag-row",),
    "case sheet": ("#case-graph canvas", "#case-evidence .ag-row"),
    # its findings: a plain table up to 30 rows, a grid beyond
    "enterprise": (
        "#ent-partners canvas",
        "#ent-balance .main-svg",
        "#ent-findings td, #ent-findings .ag-row",
    ),  # fmt: skip
    "sankey": ("#flows-sankey .sankey-node",),
}


def browser(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={profile}"):  # fmt: skip
        options.add_argument(flag)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    drv.set_page_load_timeout(300)
    return drv


class ServerClock:
    """Thread CPU seconds the server spent on requests since ``reset()`` (hooks on the app),
    and on pages computed ahead of their callback while the browser loads the scripts."""

    def __init__(self, app) -> None:
        import threading

        import flask

        server, self.prefetch = app.server, app.prefetch
        self.lock, self.requests, self.ahead = threading.Lock(), 0.0, 0.0

        @server.before_request
        def start() -> None:
            flask.g.bench_cpu = time.thread_time()

        @server.teardown_request
        def stop(_exc) -> None:
            started = flask.g.get("bench_cpu")
            if started is not None:
                with self.lock:
                    self.requests += time.thread_time() - started

    @property
    def spent(self) -> float:
        with self.lock:
            return self.requests + self.prefetch.cpu_seconds - self.ahead

    def reset(self) -> None:
        with self.lock:
            self.requests, self.ahead = 0.0, self.prefetch.cpu_seconds


def page_cpu(drv) -> float:
    """CPU seconds of the page's main thread so far (the renderer of this document)."""
    metrics = drv.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "ThreadTime")


def first_render(drv, url: str, selectors: tuple[str, ...]) -> tuple[float, float]:
    """Seconds from navigation start to every selector being visible (browser clock), and the
    page's main-thread CPU seconds until then."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    drv.get("about:blank")
    drv.execute_cdp_cmd("Performance.enable", {"timeDomain": "threadTicks"})
    drv.get(url)
    wait = WebDriverWait(drv, 300, poll_frequency=0.02)
    for css in selectors:
        wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))
    return drv.execute_script("return performance.now()") / 1000.0, page_cpu(drv)


def in_app(
    drv, base: str, path: str, selectors: tuple[str, ...], clock=None
) -> tuple[float, float]:
    """Seconds from following an in-app link (from the light Search page, scripts already
    loaded) to every selector being visible: what a user clicking through the workbench
    waits; and the page's main-thread CPU seconds in that time."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    drv.get(base + "/search")
    wait = WebDriverWait(drv, 300, poll_frequency=0.02)
    wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "main h1")))
    time.sleep(0.3)  # the Search page's own callbacks done
    if clock is not None:
        clock.reset()
    cpu = page_cpu(drv)
    started = drv.execute_script(
        "const t = performance.now(); window.history.pushState({}, '', arguments[0]);"
        "window.dispatchEvent(new CustomEvent('_dashprivate_pushstate')); return t;",
        path,
    )
    for css in selectors:
        wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))
    return (drv.execute_script("return performance.now()") - started) / 1000.0, page_cpu(drv) - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        raise SystemExit(f"needs {CHROMIUM} and {CHROMEDRIVER}")
    data = synth_dir(args.scale, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore.open(Path(tmp) / "bench.db")
        load_registry(store, data / "registry")
        load_files(store, [data / "uploads"])
        detect_run(store)
        found = list_findings(store)
        traced = found[found["type"].isin(["TRANSFORM_GAIN", "UNTRACEABLE_EXPORT"])]
        case = str((traced if len(traced) else found)["finding_id"].iloc[0])
        ev = store.events()
        smelter = ev.loc[ev["event_type"] == "produce", "enterprise_id"].value_counts().index[0]
        started = time.perf_counter()
        app = create_app(store, ServeConfig())
        app.workbench.warm()  # what `flowgraph serve` does before it listens
        start_s = time.perf_counter() - started
        paths = {"findings": "/", "case sheet": f"/finding/{case}",
                 "enterprise": f"/enterprise/{smelter}", "sankey": "/flows"}  # fmt: skip
        print(f"machine        {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, load average "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
        print(f"input          {len(ev):,} events, scale {args.scale:g}, {len(found)} findings")
        print(f"server start   {start_s:.2f} s (store read, before listening)")
        clock = ServerClock(app)
        print("(each figure: wall seconds [browser main-thread CPU s + server CPU s])")
        with serving(app) as base:
            drv = browser(Path(tmp) / "profile")
            try:
                for name, path in paths.items():
                    figures = []
                    for how in ("page load", "again", "in-app link"):
                        clock.reset()
                        wall, cpu = (
                            in_app(drv, base, path, READY[name], clock)
                            if how == "in-app link"
                            else first_render(drv, base + path, READY[name])
                        )
                        figures.append(f"{how} {wall:4.2f} s [{cpu:4.2f} + {clock.spent:4.2f}]")
                    print(f"{name:14} {', '.join(figures)}  ({path})")
            finally:
                drv.quit()
        print(f"peak memory    {peak_rss_mb():,.0f} MB (server process)")
        print(f"load average   {', '.join(f'{x:.1f}' for x in os.getloadavg())} (after)")
        store.close()


if __name__ == "__main__":
    main()
