"""Start the workbench on a free port in a background thread, and a headless Chromium."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(path)):
            return f"{path} missing (apt-get install chromium chromium-driver)"
    return None


@contextmanager
def serving(store, config=None):
    """The workbench on 127.0.0.1:<free port>; yields (base_url, app)."""
    from flowgraph.web import ServeConfig, create_app
    from flowgraph.web import serving as serve_app

    app = create_app(store, config or ServeConfig(reviewer="tester"))
    with serve_app(app) as base:
        yield base, app


@contextmanager
def chromium(profile: Path, lang: str = "en-US", width: int = 1400, height: int = 1000):
    """Headless Chromium through chromedriver (Debian's, nothing downloaded)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                 f"--lang={lang}", f"--user-data-dir={profile}"):  # fmt: skip
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    drv.set_page_load_timeout(120)
    try:
        yield drv
    finally:
        drv.quit()


def in_ci() -> bool:
    return bool(os.environ.get("CI"))
