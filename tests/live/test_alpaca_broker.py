"""The `alpaca` broker with the real alpaca-py client against the loopback emulator: every fault
of the reference, and the account rules."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from labkit.alpaca_trading import Fault, TradingState
from live.alpaca_broker import RateLimit
from live.broker import OrderRequest
from live.errors import BrokerUnavailable, DuplicateOrder, OrderRejected
from live.latest import trading_moment
from market.panel import Panel
from tests.builders.emulated import broker, emulated, new_york

WINDOW = (dt.time(8, 0), dt.time(9, 25))


def buy(cid: str = "lab-test-1", qty: float = 10.0, limit: float | None = None) -> OrderRequest:
    return OrderRequest(cid, "SPY", "buy", qty, limit)


def posts(state: TradingState) -> list[str]:
    return [r.path for r in state.requests if r.method == "POST"]


def test_the_account_is_set_to_no_margin_and_no_shorting(panel: Panel) -> None:
    with emulated(panel) as (url, state):
        b = broker(url)
        assert "set to no margin" in b.secure_account()
        assert state.config["max_margin_multiplier"] == "1" and state.config["no_shorting"]
        assert "already" in b.secure_account()
        account = b.account()
        assert account.multiplier == 1.0 and account.shorting_enabled is False
        assert account.cash == 100_000.0


def test_clock_and_calendar_in_new_york_time_across_the_dst_change(panel: Panel) -> None:
    with emulated(panel) as (url, state):
        b = broker(url)
        # 08:30 in New York is 13:30 UTC in winter (EST) and 12:30 UTC in summer (EDT).
        for day, utc_hour in ((dt.date(2017, 3, 10), 13), (dt.date(2017, 3, 13), 12)):
            state.now = dt.datetime.combine(day, dt.time(utc_hour, 30), dt.UTC)
            clock = b.clock()
            assert trading_moment(clock, WINDOW) == (day, True)
            session = b.calendar(day, day)[0]
            assert session.open.astimezone(dt.UTC).hour == utc_hour + 1  # 09:30 New York
        state.now = dt.datetime(2017, 3, 13, 11, 30, tzinfo=dt.UTC)  # 07:30 EDT: too early
        assert trading_moment(b.clock(), WINDOW) == (dt.date(2017, 3, 13), False)
        # Friday after the close: the next session is Monday's.
        state.now = new_york(dt.date(2017, 3, 10), 17)
        assert trading_moment(b.clock(), WINDOW) == (dt.date(2017, 3, 13), False)
        # Good Friday, a holiday, at 08:30: no window today; the next session is Monday's.
        state.now = new_york(dt.date(2017, 4, 14), 8, 30)
        assert trading_moment(b.clock(), WINDOW) == (dt.date(2017, 4, 17), False)
        early = b.calendar(dt.date(2017, 7, 3), dt.date(2017, 7, 5))
        assert [s.date.day for s in early] == [3, 5]  # the 4th is a holiday
        assert early[0].close == new_york(dt.date(2017, 7, 3), 13)  # an early close


def test_an_order_answered_504_is_not_sent_again(panel: Panel) -> None:
    with emulated(panel) as (url, state):
        b = broker(url)
        state.faults.append(Fault("POST", "/v2/orders", "504_after"))
        with pytest.raises(BrokerUnavailable, match="504"):
            b.submit(buy())
        assert posts(state) == ["/v2/orders"]  # alpaca-py's replay is off
        assert len(state.orders) == 1
        found = b.order("lab-test-1")
        assert found is not None and found.qty == 10.0
        with pytest.raises(DuplicateOrder):
            b.submit(buy())
        assert len(state.orders) == 1


@pytest.mark.parametrize("kind", ["500_text", "hang", "reset", "429"])
def test_an_order_without_a_usable_answer_is_unavailable_and_sent_once(
    panel: Panel, kind: str
) -> None:
    with emulated(panel) as (url, state):
        b = broker(url, timeout=0.5)
        state.faults.append(Fault("POST", "/v2/orders", kind))
        started = time.monotonic()
        with pytest.raises(BrokerUnavailable) as caught:
            b.submit(buy())
        assert time.monotonic() - started < 10
        assert posts(state) == ["/v2/orders"]
        assert KEY_PARTS.isdisjoint(str(caught.value).split())
        if kind == "500_text":
            assert "Internal Server Error" in str(caught.value)


KEY_PARTS = {"PKEMULATORKEY7QX2", "emulator-secret-3k9v8w7u6t5s4r3q2p1o"}


@pytest.mark.parametrize("kind", ["500_text", "hang", "reset", "429"])
def test_a_read_without_a_usable_answer_is_retried(panel: Panel, kind: str) -> None:
    with emulated(panel) as (url, state):
        b = broker(url, timeout=0.5)
        state.faults.append(Fault("GET", "/v2/account", kind))
        assert b.account().cash == 100_000.0
        assert [r.path for r in state.requests].count("/v2/account") == 2


def test_refusals_are_told_apart(panel: Panel) -> None:
    with emulated(panel) as (url, _):
        b = broker(url)
        b.secure_account()  # 1x buying power
        with pytest.raises(OrderRejected, match="insufficient buying power") as poor:
            b.submit(buy("lab-rich", qty=1000.0, limit=240.0))
        assert poor.value.status == 403 and poor.value.code == 40310000
        with pytest.raises(OrderRejected, match="insufficient qty available") as short:
            b.submit(OrderRequest("lab-short", "SPY", "sell", 1.0, None))
        assert short.value.status == 403
        b.submit(buy("lab-once"))
        with pytest.raises(DuplicateOrder):
            b.submit(buy("lab-once"))
        with pytest.raises(OrderRejected, match="128") as long:
            b.submit(buy("x" * 129))
        assert long.value.status == 422


def test_partial_fills_are_cumulative(panel: Panel) -> None:
    with emulated(panel) as (url, state):
        b = broker(url)
        state.partial_steps = 3
        state.open_market()
        first = b.submit(buy(qty=9.0))
        seen = [(first.status, first.filled_qty)]
        for _ in range(3):
            found = b.order("lab-test-1")
            assert found is not None
            seen.append((found.status, found.filled_qty))
        assert seen == [
            ("partially_filled", 3.0),
            ("partially_filled", 6.0),
            ("filled", 9.0),
            ("filled", 9.0),
        ]
        assert found is not None and found.filled_avg_price is not None
        assert found.filled_avg_price > state.prices["SPY"]


def test_an_order_sent_before_the_open_waits_for_it(panel: Panel) -> None:
    with emulated(panel) as (url, state):
        b = broker(url)
        assert b.submit(buy()).status == "accepted"
        assert [o.status for o in b.open_orders()] == ["accepted"]
        state.open_market()
        found = b.order("lab-test-1")
        assert found is not None and found.status == "filled" and found.filled_qty == 10.0
        assert b.positions()[0].qty == 10.0


def test_every_open_order_is_read_not_just_fifty(panel: Panel) -> None:
    with emulated(panel) as (url, state):
        for i in range(620):
            state.submit(
                {
                    "client_order_id": f"o{i}",
                    "symbol": "SPY",
                    "side": "buy",
                    "qty": 1,
                    "type": "limit",
                    "time_in_force": "day",
                    "limit_price": 1.0,
                }
            )
        found = broker(url).open_orders()
        assert len(found) == 620 and len({o.client_order_id for o in found}) == 620
        pages = [r.params for r in state.requests if r.path == "/v2/orders"]
        assert [p["limit"] for p in pages] == ["500", "500"]


def test_an_answer_alpaca_py_cannot_read_is_unavailable_not_a_crash(panel: Panel) -> None:
    with emulated(panel) as (url, state):
        b = broker(url)
        b.submit(buy())
        state.orders[0]["status"] = "a_status_from_the_future"
        with pytest.raises(BrokerUnavailable, match="could not be read"):
            b.order("lab-test-1")


def test_the_rate_limit_waits_rather_than_exceeds() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limit = RateLimit(3, clock=lambda: now[0], sleep=sleep)
    for moment in (0.0, 1.0, 2.0, 10.0, 61.5):
        now[0] = max(now[0], moment)
        limit()
    assert waits == [50.0]  # the 4th call waits until the 1st is a minute old
    assert len(limit._sent) == 3


class Waited(Exception):
    pass


def test_the_client_waits_before_it_would_exceed_the_brokers_limit(panel: Panel) -> None:
    with emulated(panel) as (url, state):
        state.rate_limit = 5
        b = broker(url, per_minute=5)

        def sleep(seconds: float) -> None:
            raise Waited(seconds)

        b.rate_limit._sleep = sleep
        for _ in range(5):
            b.clock()
        with pytest.raises(Waited) as waited:
            b.clock()
        assert 55 < waited.value.args[0] <= 60
        assert len(state.requests) == 5  # the sixth was held back, not refused by the broker
