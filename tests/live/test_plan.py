"""The pure core of live trading: quantities, allocation, books, the order plan, the risk
check and the settled-cash ledger."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from configs import load_config
from live.allocation import allocate
from live.books import Market, update_book
from live.ledger import CashEntry, SettledCashLedger, fill_entries, positions_of, settlement_day
from live.plan import Holdings, client_order_id, plan_orders
from live.quantities import floor_qty, tick_price
from live.risk import RiskCheck
from live.session_plan import Strategies, plan_session

CONFIG = load_config()
LIVE = dataclasses.replace(CONFIG.live, min_order_value=10.0, buy_limit_margin=0.05)
COSTS = dataclasses.replace(CONFIG.backtest, fee_per_order=1.0, fee_per_share=0.0)
DAY = dt.date(2017, 4, 13)
SESSION = dt.date(2017, 4, 17)


def market(
    closes: dict[str, float],
    volume: dict[str, float] | None = None,
    whole: frozenset[str] = frozenset(),
) -> Market:
    symbols = tuple(sorted(closes))
    close = np.array([closes[s] for s in symbols])
    dollars = np.array([(volume or {}).get(s, 1.0) * closes[s] for s in symbols])
    return Market(DAY, symbols, close, np.isfinite(close), dollars, lambda s: s in whole)


# --- quantities and prices ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qty", "whole", "expected"),
    [
        (0.1 + 0.2, False, 0.3),  # float noise never rounds up past 9 decimals
        (1.23456789012, False, 1.23456789),
        (3.99, True, 3.0),
        (0.7, True, 0.0),
        (-1.0, False, 0.0),
        (float("nan"), False, 0.0),
    ],
)
def test_quantities_round_down_to_what_the_broker_accepts(
    qty: float, whole: bool, expected: float
) -> None:
    assert floor_qty(qty, whole) == expected


@pytest.mark.parametrize(
    ("price", "side", "expected"),
    [
        (100.129, "buy", 100.12),  # sub-penny: down for a buy
        (100.121, "sell", 100.13),  # up for a sell
        (0.123456, "buy", 0.1234),  # below $1: four decimals
        (57.75, "buy", 57.75),
    ],
)
def test_prices_go_on_the_tick(price: float, side: str, expected: float) -> None:
    assert tick_price(price, side) == expected


@given(st.floats(min_value=1e-6, max_value=1e7, allow_nan=False))
def test_a_rounded_quantity_never_exceeds_the_request(qty: float) -> None:
    rounded = floor_qty(qty)
    assert 0 <= rounded <= qty
    assert qty - rounded < 1e-9 + 1e-12 * qty
    assert round(rounded, 9) == rounded


def test_client_order_ids_are_deterministic_and_short_enough() -> None:
    first = client_order_id("alpaca-paper", SESSION, "c859a390", 3, "buy", "SPY")
    assert first == "lab-alpaca-paper-20170417-c859a390-003-buy-SPY"
    assert first == client_order_id("alpaca-paper", SESSION, "c859a390", 3, "buy", "SPY")
    with pytest.raises(ValueError, match="128"):
        client_order_id("x" * 120, SESSION, "c859a390", 3, "buy", "SPY")


# --- allocation -----------------------------------------------------------------------------


def test_equal_weights_are_capped_and_the_rest_stays_cash() -> None:
    one = allocate(["a"], "equal", 100_000.0, 0.02, 0.5)
    assert one.weights == {"a": 0.5} and one.capital == {"a": pytest.approx(49_000.0)}
    three = allocate(["a", "b", "c"], "equal", 90_000.0, 0.0, 0.5)
    assert three.capital == {k: pytest.approx(30_000.0) for k in "abc"}


def test_inverse_volatility_weights_and_a_strategy_without_volatility() -> None:
    found = allocate(
        ["calm", "wild", "flat"],
        "inverse_volatility",
        100_000.0,
        0.0,
        0.9,
        {"calm": 0.01, "wild": 0.03, "flat": 0.0},
    )
    assert found.weights["calm"] == pytest.approx(0.75)
    assert found.weights["wild"] == pytest.approx(0.25)
    assert found.weights["flat"] == 0.0
    assert "no volatility" in found.excluded["flat"]


# --- books ----------------------------------------------------------------------------------


def test_a_book_follows_the_backtests_rules() -> None:
    m = market(
        {"AAA": 10.0, "BBB": 20.0, "CCC": 50.0, "DDD": 100.0},
        volume={"AAA": 1e6, "BBB": 3e6, "CCC": 1e6, "DDD": 1e6},
    )
    signal = np.array([True, True, True, True])
    # Held CCC stays at its quantity (no rebalancing); DDD's signal is on too.
    change = update_book({"CCC": 7.0}, signal, m, capital=30_000.0, max_positions=3)
    # Two free slots: BBB first (dollar volume 60e6), then DDD (100e6 beats AAA's 10e6).
    assert change.entered == ("DDD", "BBB")
    assert change.book == {"CCC": 7.0, "DDD": 100.0, "BBB": 500.0}
    off = update_book(change.book, np.array([True, False, True, True]), m, 30_000.0, 3)
    assert off.left == ("BBB",)
    assert off.entered == ("AAA",)


def test_a_book_leaves_a_symbol_without_a_bar_and_buys_whole_shares_where_it_must() -> None:
    m = market({"AAA": 33.0, "BBB": 20.0}, whole=frozenset({"AAA"}))
    gone = dataclasses.replace(m, has_bar=np.array([True, False]))
    change = update_book({"BBB": 5.0}, np.array([True, True]), gone, 1000.0, 2)
    assert change.left == ("BBB",)
    assert change.book == {"AAA": 15.0}  # 500 / 33 = 15.15 -> 15 whole shares


# --- the order plan -------------------------------------------------------------------------


def test_sells_come_first_and_never_go_below_zero() -> None:
    m = market({"AAA": 10.0, "BBB": 20.0, "CCC": 30.0})
    plan = plan_orders(
        "acct",
        SESSION,
        "tag",
        targets={"BBB": 10.0, "CCC": 100.0},
        holdings=Holdings({"AAA": 50.0, "BBB": 25.123456789}, 100_000.0, 100_000.0),
        market=m,
        live=LIVE,
        costs=COSTS,
    )
    sides = [(o.side, o.symbol, o.qty) for o in plan.orders]
    assert sides == [("sell", "AAA", 50.0), ("sell", "BBB", 15.123456789), ("buy", "CCC", 100.0)]
    assert [o.sequence for o in plan.orders] == [1, 2, 3]
    buy = plan.orders[-1]
    assert buy.limit_price == 31.5 and buy.client_order_id.endswith("-003-buy-CCC")
    assert all(o.limit_price is None for o in plan.orders if o.side == "sell")


def test_buys_spend_only_settled_cash_at_their_limit_price_with_fees() -> None:
    m = market({"AAA": 100.0, "BBB": 50.0})
    plan = plan_orders(
        "acct",
        SESSION,
        "tag",
        targets={"AAA": 100.0, "BBB": 10.0},
        holdings=Holdings({}, 5_000.0, 5_000.0),
        market=m,
        live=LIVE,
        costs=COSTS,
    )
    # AAA is the larger want: it takes (5000 - 1 fee) / 105 = 47.609... shares first.
    aaa = plan.orders[0]
    assert aaa.symbol == "AAA" and aaa.qty == floor_qty(4999.0 / 105.0)
    spent = sum(o.qty * o.limit_price + 1.0 for o in plan.orders if o.limit_price)
    assert spent <= 5_000.0
    assert ("BBB", "buy") in {(s, side) for s, side, _ in plan.skipped}


def test_orders_below_the_minimum_value_are_recorded_not_sent() -> None:
    m = market({"AAA": 100.0})
    held = Holdings({"AAA": 10.0}, 1e6, 1e6)
    plan = plan_orders("acct", SESSION, "tag", {"AAA": 10.05}, held, m, LIVE, COSTS)
    assert plan.orders == ()
    assert plan.skipped[0][:2] == ("AAA", "buy")


def test_nothing_is_sent_for_zero_shares_even_without_a_minimum() -> None:
    m = market({"AAA": 100.0, "BBB": 5.0}, whole=frozenset({"AAA"}))
    free = dataclasses.replace(LIVE, min_order_value=0.0)
    cash = Holdings({}, 50.0, 50.0)
    plan = plan_orders("acct", SESSION, "tag", {"AAA": 0.5, "BBB": 1.0}, cash, m, free, COSTS)
    assert [(o.symbol, o.qty) for o in plan.orders] == [("BBB", 1.0)]
    assert plan.skipped[0][:2] == ("AAA", "buy")


def test_no_entry_below_the_minimum_position_value_but_a_top_up_may_be_small() -> None:
    m = market({"AAA": 100.0, "BBB": 100.0})
    free = dataclasses.replace(LIVE, min_order_value=0.0)
    rules = dataclasses.replace(COSTS, fee_per_order=0.0, min_position_value=5.0)
    held = Holdings({"BBB": 1.0}, 4.0, 4.0)  # $4 of settled cash
    plan = plan_orders("acct", SESSION, "tag", {"AAA": 1.0, "BBB": 2.0}, held, m, free, rules)
    # BBB is held: its $4 top-up goes; AAA would be a new position worth $4 < $5: not entered.
    assert [(o.side, o.symbol) for o in plan.orders] == [("buy", "BBB")]
    assert plan.skipped == (("AAA", "buy", "worth 3.81: below min_position_value"),)
    book = update_book({}, np.array([True, True]), m, 800.0, 2, min_value=500.0)
    assert book.book == {} and book.entered == ()  # $400 a slot < $500: nothing entered


# --- the risk check -------------------------------------------------------------------------


def _order(side: str, qty: float, close: float, limit: float | None = None) -> object:
    from live.plan import PlannedOrder

    return PlannedOrder(1, "cid", "AAA", side, qty, limit, close)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("setup", "order", "reason"),
    [
        ({"halted": "by hand"}, ("sell", 1, 10.0, None), "halted"),
        ({}, ("buy", 300, 100.0, 100.0), "symbol cap"),  # 30 % of equity
        ({"traded_value": 199_000.0}, ("sell", 100, 100.0, None), "turnover"),
        ({"orders_sent": 100}, ("sell", 1, 100.0, None), "order count"),
        ({}, ("buy", 1, 100.0, 120.0), "price check"),  # 20 % from the last close
        ({}, ("sell", 1, float("nan"), None), "price check"),
    ],
)
def test_the_risk_check_denies_with_a_reason(setup: dict, order: tuple, reason: str) -> None:
    risk = RiskCheck(LIVE, equity=100_000.0, positions={}, **setup)
    assert reason in (risk.review(_order(*order)) or "")  # type: ignore[arg-type]
    assert risk.denials and reason in risk.denials[0][1]


def test_the_risk_check_passes_a_sound_order_and_counts_it() -> None:
    risk = RiskCheck(LIVE, equity=100_000.0, positions={})
    order = _order("buy", 100, 100.0, 105.0)
    assert risk.review(order) is None  # type: ignore[arg-type]
    risk.sent(order)  # type: ignore[arg-type]
    assert risk.positions == {"AAA": 100} and risk.orders_sent == 1
    assert "symbol cap" in (risk.review(_order("buy", 200, 100.0, 105.0)) or "")  # type: ignore[arg-type]


# --- the settled-cash ledger ----------------------------------------------------------------


SESSIONS = [dt.date(2017, 4, d) for d in (10, 11, 12, 13, 17, 18)]  # Good Friday 14th closed


def test_sale_proceeds_settle_the_next_session_and_purchases_at_once() -> None:
    assert settlement_day(dt.date(2017, 4, 13), SESSIONS, 1) == dt.date(2017, 4, 17)
    assert settlement_day(dt.date(2017, 4, 13), SESSIONS, 0) == dt.date(2017, 4, 13)
    with pytest.raises(ValueError, match="does not reach"):
        settlement_day(dt.date(2017, 4, 18), SESSIONS, 1)
    entries = [
        CashEntry("opening", 1000.0, dt.date(2017, 4, 10)),
        *fill_entries("buy", 2, 100.0, 1.0, dt.date(2017, 4, 12), dt.date(2017, 4, 13)),
        *fill_entries("sell", 1, 150.0, 1.0, dt.date(2017, 4, 13), dt.date(2017, 4, 17)),
    ]
    ledger = SettledCashLedger.of(entries)
    assert ledger.cash == pytest.approx(1000 - 200 - 1 + 150 - 1)
    assert ledger.settled(dt.date(2017, 4, 13)) == pytest.approx(1000 - 200 - 1 - 1)
    assert ledger.unsettled(dt.date(2017, 4, 13)) == pytest.approx(150.0)
    assert ledger.settled(dt.date(2017, 4, 17)) == pytest.approx(ledger.cash)


def test_positions_are_the_sums_of_fills() -> None:
    found = positions_of([("A", 0.1), ("A", 0.2), ("B", 1.0), ("B", -1.0), ("A", -0.3), ("C", 2)])
    assert found == {"C": 2.0}
    assert positions_of([("A", 0.1), ("A", 0.2)]) == {"A": 0.3}


# --- the session plan -------------------------------------------------------------------------


def test_a_session_is_planned_from_its_inputs_alone() -> None:
    # Two strategies at equal weight (capped at 0.5, 2 % cash buffer) on $10,000 of equity:
    # $4,900 each, $2,450 a slot (2 positions). "trend" holds A (entered before) and wants B;
    # "dip" wants B. B's targets net; A is held and kept; C is held without a book: sold.
    found = market({"A": 100.0, "B": 50.0, "C": 20.0})
    signals = {"trend": np.array([True, True, False]), "dip": np.array([False, True, False])}
    holdings = Holdings({"A": 10.0, "C": 50.0}, cash=8_000.0, settled_cash=8_000.0)
    rules = dataclasses.replace(COSTS, max_positions=2, fractional=True)
    strategies = Strategies(signals, books={"trend": {"A": 10.0}})
    plan = plan_session("paper", SESSION, strategies, found, holdings, LIVE, rules)
    assert plan.equity == 8_000.0 + 10 * 100.0 + 50 * 20.0
    assert plan.allocation.capital == {"dip": 4_900.0, "trend": 4_900.0}
    assert plan.books["trend"]["A"] == 10.0
    assert plan.books["trend"]["B"] == pytest.approx(2_450.0 / 50.0)
    assert plan.books["dip"] == {"B": pytest.approx(2_450.0 / 50.0)}  # one of its 2 slots
    assert list(plan.targets) == ["A", "B"]
    assert plan.targets["B"] == pytest.approx(plan.books["trend"]["B"] + plan.books["dip"]["B"])
    sides = [(o.side, o.symbol) for o in plan.orders.orders]
    assert sides == [("sell", "C"), ("buy", "B")]
    reordered = Strategies(dict(reversed(signals.items())), strategies.books)
    again = plan_session("paper", SESSION, reordered, found, holdings, LIVE, rules)
    assert again == plan  # the order the strategies come in changes nothing


def test_an_entry_the_account_cannot_buy_today_is_not_made() -> None:
    # One strategy, two slots of $4,900; the account holds A and has $0.50 of settled cash
    # (a sale's proceeds have not settled): B cannot be bought for $1, so B is not entered and
    # its slot stays free for tomorrow, as in the backtest.
    found = market({"A": 100.0, "B": 50.0})
    holdings = Holdings({"A": 49.0}, cash=5_000.0, settled_cash=0.5)
    rules = dataclasses.replace(COSTS, max_positions=2, fractional=True, fee_per_order=0.0)
    strategies = Strategies({"trend": np.array([True, True])}, {"trend": {"A": 49.0}})
    plan = plan_session("paper", SESSION, strategies, found, holdings, LIVE, rules)
    assert plan.books["trend"] == {"A": 49.0}
    assert plan.targets == {"A": 49.0}
    assert plan.orders.orders == () and plan.orders.skipped[0][:2] == ("B", "buy")


def test_a_strategy_left_out_of_the_allocation_says_why_in_its_own_entry() -> None:
    found = allocate(["calm", "flat"], "inverse_volatility", 10_000.0, 0.0, 1.0, {"calm": 0.01})
    record = found.as_record()
    assert record["calm"] == {"weight": 1.0, "capital": 10_000.0}
    assert set(record["flat"]) == {"weight", "capital", "excluded"}
    assert "excluded" not in record  # no key that is not a strategy
