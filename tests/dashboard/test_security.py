"""The dashboard's password and session key files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.security import (
    PASSWORD_FILE,
    has_password,
    session_secret,
    set_password,
    verify_password,
)


def test_a_password_is_kept_as_a_salted_hash_and_checked(tmp_path: Path) -> None:
    assert not has_password(tmp_path) and not verify_password(tmp_path, "anything")
    set_password(tmp_path, "a long password")
    first = (tmp_path / PASSWORD_FILE).read_text()
    assert verify_password(tmp_path, "a long password")
    assert not verify_password(tmp_path, "a long passwore") and not verify_password(tmp_path, "")
    set_password(tmp_path, "a long password")  # the same password, a new salt
    assert (tmp_path / PASSWORD_FILE).read_text() != first
    with pytest.raises(ValueError, match="at least 8"):
        set_password(tmp_path, "short")
    assert verify_password(tmp_path, "a long password")  # the refused one changed nothing


def test_a_damaged_password_file_lets_nobody_in(tmp_path: Path) -> None:
    for text in ("", "scrypt$1$2", "md5$1$1$1$00$00", "scrypt$x$8$1$zz$00"):
        (tmp_path / PASSWORD_FILE).write_text(text)
        assert has_password(tmp_path) and not verify_password(tmp_path, "")


def test_the_session_key_is_made_once_and_private(tmp_path: Path) -> None:
    key = session_secret(tmp_path)
    assert len(key) == 64 and session_secret(tmp_path) == key
    assert (tmp_path / "dashboard-secret").stat().st_mode & 0o777 == 0o600
