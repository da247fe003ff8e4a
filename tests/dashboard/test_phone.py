"""Every page on a phone (390 px) and a desktop (1280 px) in a real headless Chromium, served by
a real `live dashboard` on a lab with nights, candidates (one with a long genome), two approved
strategies and two replays: nothing is wider than the screen, each chart is small and readable,
and the Live page is an account statement."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from configs import load_config
from dashboard.charts import MAX_BYTES
from tests.builders.browser import browser, click, serve
from tests.builders.cli import live
from tests.builders.labs import add_candidate
from tests.builders.live_lab import STRATEGIES, approve
from tests.builders.nights import small_nights

PHONE, DESKTOP = 390, 1280
SMALLEST_TEXT_PX = 9.0  # a chart's smallest text as drawn on the phone
LONG_GENOME = "and(" + ", ".join(["gt(ema(close, 20), sma(close, 200))"] * 2) + ")"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lab")
    url = small_nights(folder, 3)
    add_candidate(url, f"and({LONG_GENOME}, lt(rsi(close, 14), 70))")
    approve(url, load_config(), STRATEGIES)
    for days in (5, 20):  # two accounts: sim-1, then sim-2 with more orders than a page
        replay = live(
            "run", "--broker", "sim", "--days", str(days), "--config", "lab.toml", cwd=folder
        )
        assert replay.returncode == 0, replay.stderr
        (folder / f"replay-{days}.txt").write_text(replay.stdout)
    return folder


@pytest.fixture(scope="module")
def site(lab: Path) -> Iterator[str]:
    yield from serve(lab)


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    yield from browser()


def pages(site: str) -> list[str]:
    with urllib.request.urlopen(f"{site}/candidates", timeout=60) as answer:
        listed = sorted(set(re.findall(r'href="(/candidates/\d+)"', answer.read().decode())))
    assert len(listed) >= 4
    return ["/nights", "/candidates", *listed, "/review", "/live", "/live?account=sim-1", "/health"]


def screen(chrome: Any, width: int) -> None:
    """A phone's screen (touch, the page's viewport rules applied) or a desktop's."""
    chrome.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def svg_text_sizes(image: bytes) -> tuple[float, list[float]]:
    """The SVG's width in its own units and the sizes of its texts in those units."""
    text = image.decode()
    view = re.search(r'viewBox="0 0 ([\d.]+) [\d.]+"', text)
    assert view is not None
    sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", text)]
    return float(view.group(1)), sizes


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_every_page_fits_the_screen_and_its_charts_are_small_and_readable(
    site: str, chrome: Any, width: int
) -> None:
    screen(chrome, width)
    try:
        for path in pages(site):
            chrome.get(f"{site}{path}")
            viewport, document = chrome.execute_script(
                "return [document.documentElement.clientWidth,"
                " document.documentElement.scrollWidth]"
            )
            assert (viewport, document) == (viewport, viewport), path
            assert viewport == width or width == DESKTOP, path  # the phone's page is not zoomed out
            # Looked up at once (find_elements would wait the implicit wait out on a page
            # without charts).
            for image in chrome.execute_script(
                "return [...document.querySelectorAll('img.chart')]"
            ):
                drawn = chrome.execute_script(
                    "return arguments[0].complete && arguments[0].naturalWidth > 0"
                    " && arguments[0].getBoundingClientRect().width",
                    image,
                )
                assert drawn, (path, image.get_attribute("src"))
                with urllib.request.urlopen(image.get_attribute("src"), timeout=120) as answer:
                    body = answer.read()
                assert len(body) < MAX_BYTES, (path, len(body))
                units, sizes = svg_text_sizes(body)
                assert sizes, "the chart's text is SVG text"
                assert min(sizes) * drawn / units >= SMALLEST_TEXT_PX, (path, min(sizes), drawn)
    finally:
        chrome.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_a_long_id_shows_its_start_and_copies_whole(site: str, chrome: Any) -> None:
    from selenium.webdriver.common.by import By

    screen(chrome, PHONE)
    try:
        chrome.get(f"{site}/candidates/1")
        shown = chrome.find_element(By.ID, "genome-id")
        whole = shown.get_attribute("title")
        assert len(whole) == 64 and shown.get_attribute("textContent") == whole
        assert (
            chrome.execute_script("return arguments[0].getBoundingClientRect().width", shown) < 160
        )
    finally:
        chrome.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_live_page_is_an_account_statement(site: str, chrome: Any, lab: Path) -> None:
    from selenium.webdriver.common.by import By

    chrome.get(f"{site}/live")
    assert chrome.find_element(By.TAG_NAME, "h2").text  # the page is up
    assert "Account sim-2" in chrome.page_source  # the newest account by default
    listed = chrome.find_elements(By.CSS_SELECTOR, "#accounts a")
    assert [a.text for a in listed] == ["sim-2", "sim-1"]
    # The P&L is the replay's own figure, marked at the same close, and live status's.
    summary = (lab / "replay-20.txt").read_text()
    figure = summary.split("P&L ", 1)[1].split(" ")[0]
    assert chrome.find_element(By.ID, "pnl").text == figure
    status = live("status", "--account", "sim-2", "--config", "lab.toml", cwd=lab)
    assert status.returncode == 0, status.stderr
    assert f"P&L {figure} since the opening cash" in status.stdout
    # Positions: price, value, weight, unrealised P&L and the strategies that hold them.
    rows = chrome.find_elements(By.CSS_SELECTOR, "#positions tbody tr")
    assert rows
    weights = 0.0
    for row in rows:
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        qty, price, value = (float(cells[i].replace(",", "")) for i in (1, 3, 4))
        assert abs(qty * price - value) < 0.01 * max(1.0, value)
        weights += float(cells[5].rstrip("%"))
        assert cells[7].startswith("candidate "), cells
    assert 0 < weights <= 100.5
    image = chrome.find_element(By.ID, "account-equity")
    assert chrome.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image)
    # The history of every session, a page at a time.
    first_page = [
        r.get_attribute("data-order")
        for r in chrome.find_elements(By.CSS_SELECTOR, "#orders tbody tr")
    ]
    assert len(first_page) == 50
    click(chrome, chrome.find_element(By.ID, "older"))
    older = [
        r.get_attribute("data-order")
        for r in chrome.find_elements(By.CSS_SELECTOR, "#orders tbody tr")
    ]
    assert older and max(int(n) for n in older) < min(int(n) for n in first_page)
    assert "Account sim-2" in chrome.page_source
    # The selector shows the other account.
    click(chrome, chrome.find_element(By.LINK_TEXT, "sim-1"))
    assert "Account sim-1" in chrome.page_source
    figure = (lab / "replay-5.txt").read_text().split("P&L ", 1)[1].split(" ")[0]
    assert chrome.find_element(By.ID, "pnl").text == figure
