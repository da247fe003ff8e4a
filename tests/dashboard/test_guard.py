"""The page checks who is asking: a real `live dashboard` asked by raw HTTP as a hostile page in
the user's browser (DNS rebinding, a form posted from another site), a huge body, a password
file that vanished, a password guessed, and a cookie kept after signing out or a password
change."""

from __future__ import annotations

import contextlib
import http.client
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from configs.alerts import ALERT_URLS
from dashboard.guard import MAX_BODY
from dashboard.login import FAILURES
from tests.builders.alerts import Receiver
from tests.builders.browser import LIVE, serve
from tests.builders.cli import DEADLINE_SECONDS, init_lab, lab_environment

PASSWORD = "correct horse battery"
served = contextlib.contextmanager(serve)


class Caller:
    """Raw HTTP to the dashboard at `site`, with the headers a browser would send (a cookie
    jar of one cookie)."""

    def __init__(self, site: str) -> None:
        self.site = site
        self.netloc = urlsplit(site).netloc
        self.cookie = ""

    def ask(
        self, method: str, path: str, body: bytes = b"", **headers: str
    ) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection(self.netloc, timeout=30)
        sent = {"Host": self.netloc} | ({"Cookie": self.cookie} if self.cookie else {})
        sent |= {k.replace("_", "-"): v for k, v in headers.items()}
        connection.request(method, path, body=body or None, headers=sent)
        response = connection.getresponse()
        found = {k.lower(): v for k, v in response.getheaders()}
        text = response.read().decode(errors="replace")
        connection.close()
        if "set-cookie" in found:
            self.cookie = found["set-cookie"].split(";", 1)[0]
        return response.status, found, text

    def form(self, path: str, fields: dict[str, str], **headers: str) -> tuple[int, str]:
        """POST `fields` with this session's token, from the dashboard's own page."""
        _, _, page = self.ask("GET", "/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token is not None
        body = urlencode(fields | {"csrf": token.group(1)}).encode()
        status, _, text = self.ask(
            "POST",
            path,
            body,
            Content_Type="application/x-www-form-urlencoded",
            **({"Origin": self.site} | headers),
        )
        return status, text


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    (tmp_path / "lab.toml").write_text("")
    return init_lab(tmp_path)


def _set_password(folder: Path) -> None:
    done = subprocess.run(
        [LIVE, "dashboard", "--config", "lab.toml", "--set-password"],
        cwd=folder,
        env=lab_environment(folder),
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert done.returncode == 0, done.stderr


def test_only_its_own_names_are_answered(lab: Path) -> None:
    with served(lab) as site:
        caller = Caller(site)
        port = urlsplit(site).port
        assert caller.ask("GET", "/nights")[0] == 200
        assert caller.ask("GET", "/nights", Host=f"localhost:{port}")[0] == 200
        status, _, text = caller.ask("GET", "/nights", Host=f"attacker.example:{port}")
        assert status == 421 and "does not answer to the name" in text
        status, _, _ = caller.ask("GET", "/live", Host="")
        assert status in (400, 421)
    with served(lab, "lab.toml", "127.0.0.1", ("--name", "pi.tailnet.ts.net")) as site:
        assert Caller(site).ask("GET", "/nights", Host="pi.tailnet.ts.net")[0] == 200


def test_a_form_from_another_site_or_without_origin_changes_nothing(lab: Path) -> None:
    with served(lab) as site:
        caller = Caller(site)
        for origin in ("http://attacker.example", "null", ""):  # "": neither Origin nor Referer
            status, text = caller.form("/live/halt", {"reason": "rebinding"}, Origin=origin)
            assert status == 403 and "dashboard's own pages" in text, origin
        assert not (lab / "HALT").exists()
        status, _ = caller.form("/live/halt", {"reason": "mine"}, Origin="", Referer=f"{site}/live")
        assert status == 303 and (lab / "HALT").exists()


def test_a_huge_body_is_refused_before_it_is_read(lab: Path) -> None:
    with served(lab) as site:
        caller = Caller(site)
        started = time.monotonic()
        status, _, text = caller.ask(
            "POST",
            "/live/halt",
            b"x" * (MAX_BODY + 1),
            Origin=site,
            Content_Type="application/x-www-form-urlencoded",
        )
        assert status == 413 and f"at most {MAX_BODY} bytes" in text
        # Announced as a gigabyte but never sent: refused at once, from the header alone.
        netloc = urlsplit(site).netloc
        connection = http.client.HTTPConnection(netloc, timeout=30)
        connection.putrequest("POST", "/live/halt", skip_host=True)
        for name, value in (("Host", netloc), ("Origin", site), ("Content-Length", str(2**30))):
            connection.putheader(name, value)
        connection.endheaders()
        assert connection.getresponse().status == 413
        connection.close()
        assert time.monotonic() - started < 30


def test_beyond_this_machine_a_missing_or_unreadable_password_serves_nobody(lab: Path) -> None:
    _set_password(lab)
    with served(lab, "lab.toml", "0.0.0.0") as site:
        caller = Caller(site)
        assert caller.ask("GET", "/nights")[1]["location"] == "/login"
        (lab / "dashboard-password").unlink()
        status, _, text = caller.ask("GET", "/nights")
        assert status == 503 and "password file is missing" in text
        (lab / "dashboard-password").symlink_to(lab / "gone")
        status, _, text = caller.ask("GET", "/live")
        assert status == 503 and "cannot be read" in text


def test_guessing_is_slowed_and_alerted(lab: Path, receiver: Receiver) -> None:
    _set_password(lab)
    with served(lab, "lab.toml", "127.0.0.1", (), **{ALERT_URLS: receiver.url}) as site:
        caller = Caller(site)
        answers = [caller.form("/login", {"password": f"guess {k}"})[0] for k in range(FAILURES)]
        assert answers == [401] * FAILURES
        # Even the right password waits for the window to pass.
        assert caller.form("/login", {"password": PASSWORD})[0] == 429
        assert receiver.titles(1) == ["gplab: dashboard: repeated wrong passwords"]


def test_a_cookie_kept_after_signing_out_or_a_new_password_signs_nobody_in(lab: Path) -> None:
    _set_password(lab)
    with served(lab) as site:
        caller = Caller(site)
        assert caller.form("/login", {"password": PASSWORD})[0] == 303
        assert caller.ask("GET", "/nights")[0] == 200
        kept = caller.cookie
        assert caller.form("/logout", {})[0] == 303
        caller.cookie = kept  # the old cookie, replayed
        assert caller.ask("GET", "/nights")[1].get("location") == "/login"
        assert caller.form("/login", {"password": PASSWORD})[0] == 303
        assert caller.ask("GET", "/nights")[0] == 200
        _set_password(lab)  # a password change
        assert caller.ask("GET", "/nights")[1].get("location") == "/login"
