"""What guards the dashboard: a signed session cookie, a CSRF token on every form, and a login
with a password whose scrypt hash lives in the lab's folder.

    secret    <home>/dashboard-secret    random, made once (mode 600): signs the session cookie
    password  <home>/dashboard-password  "scrypt$n$r$p$salt$hash" (mode 600), set by
                                         `live dashboard --set-password`
    sessions  <home>/dashboard-sessions  the signed-in sessions (mode 600): signing out removes
                                         one, setting a password removes them all

Without a password file the dashboard serves this machine only (127.0.0.1); with one, every page
asks for the password first, whatever the address. A dashboard that listens beyond this machine
serves nothing while its password file is missing or cannot be read: it never falls open. A
signed cookie alone does not sign anyone in: its session must still be listed, so a cookie kept
after signing out, or from before a password change, is worth nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

from starlette.requests import Request

__all__ = [
    "PASSWORD_FILE",
    "SECRET_FILE",
    "SESSIONS_FILE",
    "Sessions",
    "csrf_token",
    "has_password",
    "password_state",
    "same_token",
    "session_secret",
    "set_password",
    "verify_password",
]

SECRET_FILE = "dashboard-secret"
PASSWORD_FILE = "dashboard-password"
SESSIONS_FILE = "dashboard-sessions"
# scrypt's cost: 2^14 x 8 x 128 bytes = 16 MiB, about 45 ms a check on a 2-core EPYC (more on a Pi).
_N, _R, _P = 2**14, 8, 1


def session_secret(home: Path) -> str:
    """The key that signs session cookies, made on first use."""
    path = home / SECRET_FILE
    if not path.exists():
        _write_private(path, secrets.token_hex(32))
    return path.read_text().strip()


def set_password(home: Path, password: str) -> Path:
    """Store the scrypt hash of `password` in the lab home (owner-only); its path."""
    if len(password) < 8:
        raise ValueError("the password must have at least 8 characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    path = home / PASSWORD_FILE
    _write_private(path, f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}")
    Sessions(home).clear()  # a new password signs everyone out
    return path


def has_password(home: Path) -> bool:
    """Whether the page asks for a password: anything at the password file's path, a link to
    nothing included (one that cannot be read lets nobody in)."""
    return os.path.lexists(home / PASSWORD_FILE)


def password_state(home: Path) -> str:
    """The password file's state: "none", "set" (a password that can be checked) or "unreadable"."""
    path = home / PASSWORD_FILE
    if not os.path.lexists(path):
        return "none"
    try:
        kind, *_ = path.read_text().strip().split("$")
    except (OSError, ValueError):
        return "unreadable"
    return "set" if kind == "scrypt" else "unreadable"


class Sessions:
    """The signed-in sessions of the lab's dashboard, by id, with when each expires."""

    def __init__(self, home: Path) -> None:
        self.path = home / SESSIONS_FILE

    def start(self, hours: float) -> str:
        """A new signed-in session; its id (kept in the signed cookie)."""
        sid = secrets.token_urlsafe(24)
        now = time.time()
        live = {k: v for k, v in self._read().items() if v > now}
        self._write(live | {sid: now + hours * 3600})
        return sid

    def valid(self, sid: object) -> bool:
        """Whether `sid` is a session that is signed in and not expired."""
        return isinstance(sid, str) and self._read().get(sid, 0.0) > time.time()

    def end(self, sid: object) -> None:
        """Sign session `sid` out."""
        found = self._read()
        if isinstance(sid, str) and found.pop(sid, None) is not None:
            self._write(found)

    def clear(self) -> None:
        """Sign every session out."""
        self._write({})

    def _read(self) -> dict[str, float]:
        try:
            found = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(found, dict):
            return {}
        return {str(k): float(v) for k, v in found.items() if isinstance(v, int | float)}

    def _write(self, sessions: dict[str, float]) -> None:
        _write_private(self.path, json.dumps(sessions))


def verify_password(home: Path, password: str) -> bool:
    """Whether `password` is the one set; False also when none is set or the file is damaged."""
    try:
        kind, n, r, p, salt, digest = (home / PASSWORD_FILE).read_text().strip().split("$")
        if kind != "scrypt":
            return False
        found = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
    except (OSError, ValueError):
        return False
    return hmac.compare_digest(found.hex(), digest)


def csrf_token(request: Request) -> str:
    """This session's CSRF token (every form carries it back)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def same_token(request: Request, sent: object) -> bool:
    """Whether `sent` is the form token of the request's session (compared in constant time)."""
    expected = request.session.get("csrf")
    return (
        isinstance(expected, str) and isinstance(sent, str) and hmac.compare_digest(expected, sent)
    )


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as f:
        f.write(text + "\n")
    os.replace(partial, path)
