"""The login: another address only with a password, whose scrypt hash (never the password) is
kept in the lab's folder; every page asks for it, in a real headless Chromium."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import Any

from tests.builders.browser import LIVE, browser, click, serve
from tests.builders.cli import DEADLINE_SECONDS, init_lab, lab_environment

PASSWORD = "correct horse battery"


def dashboard(folder: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LIVE, "dashboard", "--config", "lab.toml", *args],
        cwd=folder,
        env=lab_environment(folder),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )


def test_another_address_needs_a_password_and_every_page_asks_for_it(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    (tmp_path / "lab.toml").write_text("")
    init_lab(tmp_path)
    refused = dashboard(tmp_path, "--host", "0.0.0.0")
    assert refused.returncode == 2 and "--set-password" in refused.stderr
    short = dashboard(tmp_path, "--set-password", stdin="short\nshort\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert not (tmp_path / "dashboard-password").exists()
    made = dashboard(tmp_path, "--set-password", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert made.returncode == 0, made.stderr
    stored = tmp_path / "dashboard-password"
    assert stored.stat().st_mode & 0o777 == 0o600
    assert stored.read_text().startswith("scrypt$") and PASSWORD not in stored.read_text()
    with (
        contextlib.contextmanager(browser)() as chrome,
        contextlib.contextmanager(serve)(tmp_path, host="0.0.0.0") as site,
    ):
        chrome.get(f"{site}/candidates")
        assert chrome.current_url == f"{site}/login"
        _sign_in(chrome, "not it")
        assert chrome.find_element(By.ID, "error").text == "wrong password"
        chrome.get(f"{site}/live")
        assert chrome.current_url == f"{site}/login"
        _sign_in(chrome, PASSWORD)
        assert chrome.find_element(By.TAG_NAME, "h1").text == "Nights"
        chrome.get(f"{site}/live")
        assert chrome.find_element(By.TAG_NAME, "h1").text == "Live"
        click(chrome, chrome.find_element(By.ID, "logout"))
        assert chrome.find_element(By.TAG_NAME, "h1").text == "Sign in"
        chrome.get(f"{site}/health")
        assert chrome.current_url == f"{site}/login"


def _sign_in(chrome: Any, password: str) -> None:
    from selenium.webdriver.common.by import By

    chrome.find_element(By.ID, "password").send_keys(password)
    click(chrome, chrome.find_element(By.ID, "sign-in"))
