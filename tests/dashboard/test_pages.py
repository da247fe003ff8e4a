"""The dashboard's pages in a real headless Chromium, served by a real `live dashboard` on a
lab that has run real nights."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from store import open_database
from store.models import Candidate, GateReport
from tests.builders.browser import browser, click, screenshot, serve
from tests.builders.nights import rows as stored_rows
from tests.builders.nights import small_nights


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lab")
    small_nights(folder, 3, 2)
    return folder


@pytest.fixture(scope="module")
def site(lab: Path) -> Iterator[str]:
    yield from serve(lab)


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    yield from browser()


def test_the_nights_page_lists_every_run_and_draws_the_lineage(
    site: str, chrome: Any, lab: Path
) -> None:
    from selenium.webdriver.common.by import By

    chrome.get(f"{site}/")
    assert chrome.current_url == f"{site}/nights"
    assert chrome.title == "Nights - gplab"
    rows = chrome.find_elements(By.CSS_SELECTOR, "table#nights tbody tr")
    assert [r.get_attribute("data-run") for r in rows] == ["2", "1"]
    cells = [c.text for c in rows[1].find_elements(By.TAG_NAME, "td")]
    assert cells[2].startswith("finished") and cells[4] == "3"
    stored = stored_rows(f"sqlite:///{lab / 'research.db'}", Candidate)
    written = [c.id for c in stored if c.run_id == 1]
    assert written and cells[8] == ", ".join(map(str, written))  # the night's candidates
    assert [c.text for c in rows[0].find_elements(By.TAG_NAME, "td")][4] == "2"
    assert str(lab) in chrome.find_element(By.TAG_NAME, "nav").text
    # The lineage chart is an SVG the browser drew (its natural size is known once loaded).
    image = chrome.find_element(By.ID, "lineage")
    assert (
        chrome.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image)
        > 0
    )
    screenshot(chrome, lab / "nights.png")


def test_the_candidates_pages_show_each_verdict_criterion_by_criterion(
    site: str, chrome: Any, lab: Path
) -> None:
    from selenium.webdriver.common.by import By

    database = open_database(f"sqlite:///{lab / 'research.db'}")
    with database.transaction() as session:
        stored = {c.id: c.status for c in session.scalars(select(Candidate))}
        reports = {r.candidate_id: r for r in session.scalars(select(GateReport))}
        session.expunge_all()
    database.close()
    chrome.get(f"{site}/nights")
    click(chrome, chrome.find_element(By.LINK_TEXT, "Candidates"))
    assert chrome.title == "Candidates - gplab"
    rows = chrome.find_elements(By.CSS_SELECTOR, "table#candidates tbody tr")
    shown = {int(r.get_attribute("data-candidate")): r for r in rows}
    assert {k: r.find_element(By.CLASS_NAME, "status").text for k, r in shown.items()} == stored
    screenshot(chrome, lab / "candidates.png")
    first = min(stored)
    click(chrome, shown[first].find_element(By.LINK_TEXT, str(first)))
    assert chrome.current_url == f"{site}/candidates/{first}"
    report = reports[first]
    assert chrome.find_element(By.ID, "verdict").text == ("passed" if report.passed else "failed")
    criteria = chrome.find_elements(By.CSS_SELECTOR, "table#criteria tbody tr")
    assert [c.get_attribute("data-criterion") for c in criteria] == [
        c["name"] for c in report.criteria
    ]
    assert "validation window" in chrome.find_element(By.ID, "window").text
    assert "slippage" in chrome.find_element(By.ID, "window").text
    assert chrome.find_element(By.ID, "tree").text.strip()
    screenshot(chrome, lab / "candidate.png")
    chrome.get(f"{site}/candidates/99999")
    assert "no such candidate" in chrome.page_source
    for huge in ("99999999999999999999", "9" * 400):  # more than any row id: not found
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{site}/candidates/{huge}")
        assert refused.value.code == 404
        refused.value.close()


def test_the_health_page_shows_storage_backups_data_and_errors(
    site: str, chrome: Any, lab: Path
) -> None:
    from selenium.webdriver.common.by import By

    logs = lab / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "errors.log").write_text(
        "--- 2026-12-01T02:00:00+00:00 evolve nightly\nTraceback (most recent call last):\n"
    )
    chrome.get(f"{site}/nights")
    click(chrome, chrome.find_element(By.LINK_TEXT, "Health"))
    assert chrome.title == "Health - gplab"

    def item(name: str) -> str:
        return chrome.find_element(By.CSS_SELECTOR, f'tr[data-item="{name}"]').text

    assert "MB" in item("disk") and "store.min_free_mb" in item("disk")
    assert "evolve.min_free_memory_mb" in item("memory")
    assert str(lab / "research.db") in item("database")
    # The second night backed up what the first one wrote.
    assert ".db.gz" in item("backup") and "(1 kept)" in item("backup")
    assert "last day 2017-04-13" in item("data") and "bundled" in item("data")
    assert "2026-12-01T02:00:00+00:00 evolve nightly" in item("errors")
    assert item("failed").endswith("none")
    assert item("timer")
    screenshot(chrome, lab / "health.png")
