"""The review from the page, in a real headless Chromium against a real `live dashboard`: the
record it leaves is the one `promote review` leaves on a twin of the same lab, the second clone
of an approved strategy is warned about (page and command line), and a form without the
session's CSRF token changes nothing."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labkit import LENIENT_GATE_PATH
from store.models import Candidate, HoldoutResult
from tests.builders.browser import browser, click, count, screenshot, serve
from tests.builders.cli import evolve, lab_folder, promote
from tests.builders.labs import add_candidate
from tests.builders.nights import reviewer_decisions, rows

# Two near clones: a 200-day and a 252-day trend filter.
CLONES = ("gt(close, sma(close, 200))", "gt(close, sma(close, 252))")
DECISION = ("candidate_id", "action", "from_status", "to_status", "reviewer", "note", "override")
HOLDOUT = ("window_id", "sharpe", "n_trades", "metrics", "buy_and_hold", "costs", "returns")


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two copies of one lab after a night, with the two clones passed by a lenient gate: one
    for the page, one for `promote review`."""
    root = tmp_path_factory.mktemp("review")
    page = lab_folder(root, "page")
    night = evolve("nightly", "--discovery", "--generations", "2", "--config", "lab.toml", cwd=page)
    assert night.returncode == 0, night.stderr
    (page / "lenient.toml").write_text(
        (page / "lab.toml").read_text() + LENIENT_GATE_PATH.read_text()
    )
    for text in CLONES:
        add_candidate(f"sqlite:///{page / 'research.db'}", text)
    gated = promote("gate", "--config", "lenient.toml", cwd=page)
    assert gated.returncode == 0 and "2 passed" in gated.stdout, gated.stdout + gated.stderr
    twin = root / "twin"
    twin.mkdir()
    for name in ("lab.toml", "lenient.toml", "research.db"):
        shutil.copy(page / name, twin / name)
    return page, twin


@pytest.fixture(scope="module")
def site(labs: tuple[Path, Path]) -> Iterator[str]:
    yield from serve(labs[0], "lenient.toml", USER="dana", LOGNAME="dana")


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    yield from browser()


def _waiting(folder: Path) -> list[int]:
    return [
        c.id
        for c in rows(f"sqlite:///{folder / 'research.db'}", Candidate)
        if c.status == "gate_passed"
    ]


def test_a_decision_in_the_page_is_the_record_promote_review_makes(
    labs: tuple[Path, Path], site: str, chrome: Any
) -> None:
    from selenium.webdriver.common.by import By

    page, twin = labs
    first, second = _waiting(page)
    # The command line on the twin: approve the first, then see the second and skip it.
    review = promote(
        "review", "--config", "lenient.toml", cwd=twin, stdin="a\nsmall size first\ns\n"
    )
    assert review.returncode == 0, review.stderr
    later = review.stdout.split("=== 2 of 2")[1]
    assert f"WARNING: candidate {first}, approved" in later
    assert "approving both doubles one bet" in later
    # The page: the waiting candidate, its chart, the sealed holdout opened once, the decision.
    chrome.get(f"{site}/review")
    assert chrome.current_url == f"{site}/candidates/{first}"
    image = chrome.find_element(By.ID, "equity")
    assert chrome.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image)
    assert "nothing was approved or live" in chrome.find_element(By.ID, "correlations").text
    assert count(chrome, "#decide") == 0  # no decision before the holdout
    click(chrome, chrome.find_element(By.ID, "open-holdout-button"))
    assert "opened now, for the first and only time" in chrome.find_element(By.ID, "flash").text
    assert "by dana" in chrome.find_element(By.ID, "holdout").text
    chrome.find_element(By.ID, "note").send_keys("small size first")
    click(chrome, chrome.find_element(By.ID, "approve"))
    assert (
        chrome.find_element(By.ID, "flash").text
        == f"recorded: candidate {first} incubating by dana"
    )
    assert chrome.find_element(By.ID, "status").text == "incubating"
    screenshot(chrome, page / "review.png")
    made = {
        folder: (
            reviewer_decisions(f"sqlite:///{folder / 'research.db'}"),
            {h.candidate_id: h for h in rows(f"sqlite:///{folder / 'research.db'}", HoldoutResult)},
        )
        for folder in (page, twin)
    }
    (in_page, page_holdouts), (in_cli, cli_holdouts) = made[page], made[twin]
    assert [[getattr(d, f) for f in DECISION] for d in in_page] == [
        [getattr(d, f) for f in DECISION] for d in in_cli
    ]
    assert in_page[0].gate_report_id == in_cli[0].gate_report_id is not None
    assert [getattr(page_holdouts[first], f) for f in HOLDOUT] == [
        getattr(cli_holdouts[first], f) for f in HOLDOUT
    ]
    assert page_holdouts[first].opened_by == cli_holdouts[first].opened_by == "dana"
    # The second clone now carries the warning on its page too; skip moves on.
    click(chrome, chrome.find_element(By.ID, "next"))
    assert chrome.current_url == f"{site}/candidates/{second}"
    warnings = chrome.find_elements(By.CSS_SELECTOR, "[data-warning=sitting]")
    assert len(warnings) == 1 and f"candidate {first}, approved" in warnings[0].text
    screenshot(chrome, page / "candidate-warning.png")
    click(chrome, chrome.find_element(By.ID, "open-holdout-button"))
    click(chrome, chrome.find_element(By.ID, "skip"))
    assert chrome.current_url == f"{site}/review?after={second}"
    assert (
        "Still waiting (skipped): " + str(second) in chrome.find_element(By.ID, "review-done").text
    )
    assert (
        chrome.find_element(By.ID, "flash").text == f"skipped: candidate {second} stays gate_passed"
    )
    assert _waiting(page) == [second]


def test_a_decision_needs_a_note_and_the_sessions_token(
    labs: tuple[Path, Path], site: str, chrome: Any
) -> None:
    from selenium.webdriver.common.by import By

    page = labs[0]
    (second,) = _waiting(page)
    before = len(reviewer_decisions(f"sqlite:///{page / 'research.db'}"))
    chrome.get(f"{site}/candidates/{second}")
    click(chrome, chrome.find_element(By.ID, "reject"))  # no note
    assert "a note is required to reject" in chrome.find_element(By.ID, "error").text
    # A form posted from elsewhere (no token of this session) is refused and changes nothing.
    body = urllib.parse.urlencode({"action": "reject", "by": "mallory", "note": "x"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{site}/candidates/{second}/decision", data=body, timeout=30)
    assert refused.value.code == 403
    refused.value.close()
    assert len(reviewer_decisions(f"sqlite:///{page / 'research.db'}")) == before
    assert _waiting(page) == [second]
    # Gated again now that its clone trades, the page shows the correlation with it.
    regated = promote("gate", str(second), "--config", "lenient.toml", cwd=page)
    assert regated.returncode == 0, regated.stderr
    approved = next(
        c for c in rows(f"sqlite:///{page / 'research.db'}", Candidate) if c.status == "incubating"
    )
    chrome.get(f"{site}/candidates/{second}")
    shown = chrome.find_element(By.ID, "correlations").text
    prefix, value = shown.split(" (")[0].split(": ")
    assert prefix == approved.genome_id and float(value) > 0.7  # shown short, copied whole
    limit = chrome.find_element(By.CSS_SELECTOR, "tr[data-criterion=live_correlation]").text
    assert "FAIL" in limit and chrome.find_element(By.ID, "status").text == "gate_failed"


def _section(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def test_the_page_shows_everything_promote_show_shows(
    labs: tuple[Path, Path], site: str, chrome: Any
) -> None:
    from selenium.webdriver.common.by import By

    page = labs[0]
    opened = [h.candidate_id for h in rows(f"sqlite:///{page / 'research.db'}", HoldoutResult)]
    bred = [c.id for c in rows(f"sqlite:///{page / 'research.db'}", Candidate) if c.run_id == 1]
    assert opened and bred
    # Each with a gate report and a lineage (the bred ones with parents), some with a holdout.
    depth: dict[int, int] = {}
    for number in [*bred, *opened]:
        shown = promote("show", str(number), "--config", "lenient.toml", cwd=page)
        assert shown.returncode == 0, shown.stderr
        cli = shown.stdout
        chrome.get(f"{site}/candidates/{number}")

        def on_page(element: str) -> str:
            return str(chrome.find_element(By.ID, element).get_attribute("textContent"))

        # Metrics per window: train, validation and the opened holdout, each figure.
        windows = _section(cli, "metrics per window (after costs):\n", "\n\n")
        for name in ("train", "validation", "holdout")[: 3 if number in opened else 2]:
            row = chrome.find_element(By.CSS_SELECTOR, f"#windows tr[data-window={name}]")
            line = windows.split(f"  {name} ", 1)[1].split("\n")[1]
            if "not measured" in line:  # a genome put forward by hand: no train evaluation
                assert "not measured" in row.get_attribute("textContent")
                continue
            for figure in ("Sharpe", "CAGR", "max drawdown", "trades", "exposure"):
                value = line.split(f"{figure} ", 1)[1].split()[0]
                assert value in row.get_attribute("textContent"), (name, figure, value)
        # The gate's statistics: PSR, MinTRL, the DSR, Sharpe per year, the weakest variants.
        statistics = on_page("statistics")
        assert cli.split("PSR(0) ")[1].split(",")[0] in statistics
        assert cli.split("MinTRL ")[1].split(" days")[0] + " days" in statistics
        years = cli.split("Sharpe per year: ")[1].split("\n")[0].split(", ")
        table = on_page("years")
        assert years and all(y.split()[0] in table and y.split()[1] in table for y in years)
        # What it is a bet on: each beta and t the command line shows, on the page.
        bets = cli.split("beta and t): ")[1].split("; R squared")[0].split("), ")
        for bet in bets:
            name, beta, _, t = bet.rstrip(")").rsplit(" ", 3)
            row = chrome.find_element(By.CSS_SELECTOR, f'#exposures tr[data-exposure="{name}"]')
            cells = [c.get_attribute("textContent") for c in row.find_elements(By.TAG_NAME, "td")]
            assert cells == [name, beta, t]
        assert len(bets) == 4
        slots = cli.split("in the account's 10 slots (validation, same costs): Sharpe ")[1]
        assert slots.split(",")[0] in on_page("statistics")
        weakest = cli.split("weakest variants: ")[1].split("\n")[0].split("; ")
        assert weakest and all(w in on_page("weakest") for w in weakest)
        # The lineage, every ancestor the command line names.
        ancestors = [line.split()[0] for line in _section(cli, "lineage:\n", "\n\n").splitlines()]
        listed = [
            e.get_attribute("data-genome")[:12]
            for e in chrome.find_elements(By.CSS_SELECTOR, "#lineage li")
        ]
        assert ancestors and listed == ancestors
        depth[number] = len(ancestors)
        if number not in opened:
            assert "sealed" in on_page("windows")
            continue
        # The holdout chart, drawn from the returns stored when it was opened.
        image = chrome.find_element(By.ID, "holdout-equity")
        assert chrome.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", image
        )
    assert max(depth[n] for n in bred) > 1  # a bred candidate's parents are listed too


def test_the_reviewers_name_is_kept_for_the_sitting(
    labs: tuple[Path, Path], site: str, chrome: Any
) -> None:
    from selenium.webdriver.common.by import By

    page = labs[0]
    number = add_candidate(f"sqlite:///{page / 'research.db'}", "lt(rsi(close, 14), 30)")
    gated = promote("gate", str(number), "--config", "lenient.toml", cwd=page)
    assert gated.returncode == 0 and "1 passed" in gated.stdout, gated.stdout + gated.stderr
    chrome.get(f"{site}/candidates/{number}")
    name = chrome.find_element(By.CSS_SELECTOR, "#open-holdout input[name=by]")
    name.clear()
    name.send_keys("erin")
    click(chrome, chrome.find_element(By.ID, "open-holdout-button"))
    assert "by erin" in chrome.find_element(By.ID, "holdout").text
    assert chrome.find_element(By.ID, "by").get_attribute("value") == "erin"
    chrome.find_element(By.ID, "note").send_keys("rehearsal")
    click(chrome, chrome.find_element(By.ID, "reject"))
    assert chrome.find_element(By.ID, "flash").text.endswith("rejected by erin")
    holdout = next(
        h
        for h in rows(f"sqlite:///{page / 'research.db'}", HoldoutResult)
        if h.candidate_id == number
    )
    made = reviewer_decisions(f"sqlite:///{page / 'research.db'}")[-1]
    assert (holdout.opened_by, made.reviewer, made.candidate_id) == ("erin", "erin", number)
