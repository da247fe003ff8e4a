"""The dashboard's one memo: bounded, least recently used first out, each key made once."""

from __future__ import annotations

import threading

import pytest

from dashboard.memo import Memo


def test_a_memo_keeps_its_newest_keys_and_makes_each_once() -> None:
    made: list[str] = []
    memo: Memo[str] = Memo(2)

    def make(key: str) -> str:
        made.append(key)
        return key.upper()

    assert memo.get("a", lambda: make("a")) == "A"
    assert memo.get("b", lambda: make("b")) == "B"
    assert memo.get("a", lambda: make("a")) == "A"  # held: "a" is now the newest
    assert memo.get("c", lambda: make("c")) == "C"  # "b", the least recently used, goes
    assert memo.get("a", lambda: make("a")) == "A"
    assert memo.get("b", lambda: make("b")) == "B"
    assert made == ["a", "b", "c", "b"]


def test_a_failed_make_keeps_nothing() -> None:
    memo: Memo[int] = Memo(1)
    with pytest.raises(ZeroDivisionError):
        memo.get("x", lambda: 1 // 0)
    assert memo.get("x", lambda: 7) == 7


def test_concurrent_requests_make_a_key_once() -> None:
    calls: list[int] = []
    memo: Memo[int] = Memo(1)
    start = threading.Barrier(8)

    def make() -> int:
        calls.append(1)
        return 42

    def ask() -> None:
        start.wait()
        memo.get("k", make)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1


def test_a_memo_holds_at_least_one_value() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Memo(0)
