"""A real headless Chromium (Debian's chromium and chromium-driver) driven by Selenium, and the
dashboard served by a real `live dashboard` process."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.builders.cli import LIVE, lab_environment

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def browser() -> Iterator[Any]:
    """A headless Chromium; the test is skipped, and says so, where none is installed."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # An element looked for right after a click may belong to the page that click loads.
    driver.implicitly_wait(20)
    try:
        yield driver
    finally:
        driver.quit()


def serve(
    folder: Path,
    config: str = "lab.toml",
    host: str = "127.0.0.1",
    options: tuple[str, ...] = (),
    **environment: str,
) -> Iterator[str]:
    """`live dashboard` for the lab in `folder` (its `config`) on `host` and a free port, with
    more `options` and `environment` added to the lab's; its base URL (on 127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = folder / "dashboard.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [LIVE, "dashboard", "--config", config, "--host", host, "--port", str(port), *options],
            cwd=folder,
            env=lab_environment(folder, **environment),
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/login", timeout=5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the dashboard did not start: {log.read_text()}") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


def count(driver: Any, css: str) -> int:
    """How many elements of the loaded page match `css`, at once (find_elements would wait
    the implicit wait out to say none)."""
    return int(driver.execute_script("return document.querySelectorAll(arguments[0]).length", css))


def screenshot(driver: Any, path: Path, most: int = 2400) -> None:
    """The whole page (up to `most` pixels high) as a PNG at `path`."""
    width = driver.get_window_size()["width"]
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    # The window's height includes the browser's own frame, about 100 pixels in headless mode.
    driver.set_window_size(width, min(max(height + 150, 600), most))
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(width, 1000)


def click(driver: Any, element: Any) -> None:
    """Click `element` and wait until the page it loads has replaced this one: the old page's
    window carries a mark that the new one does not (checking the old page's elements instead
    meets Chromium's "node does not belong to the document" while it is being replaced)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.gplabLeaving = true")
    element.click()
    WebDriverWait(driver, 60, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return window.gplabLeaving !== true && document.readyState === 'complete'"
        )
    )
