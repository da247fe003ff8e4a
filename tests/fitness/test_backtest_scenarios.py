"""The cash-account rules, pinned by scenarios of a few hand-written bars each.

Each row: what it shows; rule overrides; opens (closes equal opens unless given); the signal
(1 = hold at that close); the expected trades as (symbol, entry day, exit day or None, quantity)
and the final equity. Days are 0-based indices.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from configs import BacktestConfig, load_config
from fitness.backtest import backtest
from tests.builders.panels import make_panel, make_signal

NAN = math.nan
BASE = dataclasses.replace(
    load_config().backtest,
    initial_cash=1000.0,
    max_positions=1,
    fractional=False,
    slippage_bps=0.0,
    fee_per_order=0.0,
    fee_per_share=0.0,
    settlement_days=1,
)

SCENARIOS: list[
    tuple[str, dict[str, Any], dict[str, Any], dict[str, str], list[tuple[Any, ...]], float]
] = [
    (
        # A and B take the settled cash but 3e-9 (fractions are floored to 1e-9 of a share).
        # B sold at open 2, proceeds unsettled: C's entry could buy 3e-9 shares, dust that
        # would hold the slot; below min_position_value it is not made, and C enters at open 3
        # with the settled proceeds.
        "no entry below min_position_value: no dust holds a slot",
        {"fractional": True, "max_positions": 2, "min_position_value": 1.0},
        {"opens": {"A": [3] * 5, "B": [3] * 5, "C": [1] * 5}},
        {"A": "11111", "B": "10000", "C": "01111"},
        [("A", 1, None, 166.666666666), ("B", 1, 2, 166.666666666), ("C", 3, None, 500.0)],
        1000.0,
    ),
    (
        # The same without a minimum: the dust entry is made at open 2 and keeps the slot.
        "without a minimum, dust is entered",
        {"fractional": True, "max_positions": 2, "min_position_value": 0.0},
        {"opens": {"A": [3] * 5, "B": [3] * 5, "C": [1] * 5}},
        {"A": "11111", "B": "10000", "C": "01111"},
        [("A", 1, None, 166.666666666), ("B", 1, 2, 166.666666666), ("C", 2, None, 3e-09)],
        1000.0,
    ),
    (
        # Signal at close 0 -> buy at open 1; signal off at close 2 -> sell at open 3.
        "fills at the next open",
        {},
        {"opens": {"A": [10, 10, 12, 12]}},
        {"A": "1100"},
        [("A", 1, 3, 100)],
        1200.0,
    ),
    (
        # Sell A at open 2 (1100 settles on day 3); B cannot be bought on day 2 with unsettled
        # cash, only on day 3: 1100 / 5 = 220 shares.
        "settlement T+1: proceeds are not spendable until settled",
        {"settlement_days": 1},
        {"opens": {"A": [10, 10, 11, 11, 11], "B": [5] * 5}},
        {"A": "10000", "B": "01111"},
        [("A", 1, 2, 100), ("B", 3, None, 220)],
        1100.0,
    ),
    (
        # Same bars, T+0: the proceeds buy B at the same open they were raised. The entry is
        # sized from equity at the decision close (1000): 200 shares, 100 stays in cash.
        "settlement T+0: proceeds are spendable at once",
        {"settlement_days": 0},
        {"opens": {"A": [10, 10, 11, 11, 11], "B": [5] * 5}},
        {"A": "10000", "B": "01111"},
        [("A", 1, 2, 100), ("B", 2, None, 200)],
        1100.0,
    ),
    (
        # T+2: sold on day 2, settled on day 4.
        "settlement T+2",
        {"settlement_days": 2},
        {"opens": {"A": [10, 10, 11, 11, 11, 11], "B": [5] * 6}},
        {"A": "100000", "B": "011111"},
        [("A", 1, 2, 100), ("B", 4, None, 220)],
        1100.0,
    ),
    (
        # Buy at 100 * 1.001 = 100.1 plus 0.01/share and 1/order: floor(9999 / 100.11) = 99
        # shares for 99 * 100.1 + 1 + 0.99 = 9911.89. Sell at 110 * 0.999 = 109.89:
        # 10879.11 - 1.99 = 10877.12. Equity 10000 - 9911.89 + 10877.12 = 10965.23.
        "slippage and fees",
        {
            "initial_cash": 10000.0,
            "slippage_bps": 10.0,
            "fee_per_order": 1.0,
            "fee_per_share": 0.01,
        },
        {"opens": {"A": [100, 100, 110]}},
        {"A": "100"},
        [("A", 1, 2, 99)],
        10965.23,
    ),
    (
        # 1000 / 30 = 33.33: whole shares buy 33 and leave 10 in cash.
        "whole shares",
        {"fractional": False},
        {"opens": {"A": [30, 30, 30]}},
        {"A": "111"},
        [("A", 1, None, 33)],
        1000.0,
    ),
    (
        # Fractional: 33.333333333 shares (rounded down to 1e-9).
        "fractional shares",
        {"fractional": True},
        {"opens": {"A": [30, 30, 30]}},
        {"A": "111"},
        [("A", 1, None, 33.333333333)],
        1000.0,
    ),
    (
        # Three want in, two slots: most dollar volume at the decision close first (C 3000,
        # A 1000, B 500). Each gets equity / 2 = 500 -> 50 shares at 10.
        "max positions: the most liquid enter first",
        {"max_positions": 2},
        {
            "opens": {"A": [10] * 3, "B": [10] * 3, "C": [10] * 3},
            "volumes": {"A": [100] * 3, "B": [50] * 3, "C": [300] * 3},
        },
        {"A": "111", "B": "111", "C": "111"},
        [("C", 1, None, 50), ("A", 1, None, 50)],
        1000.0,
    ),
    (
        # Equal dollar volume: the earlier column (A) wins.
        "max positions: ties go to the earlier column",
        {"max_positions": 1},
        {"opens": {"A": [10] * 3, "B": [10] * 3}},
        {"A": "111", "B": "111"},
        [("A", 1, None, 100)],
        1000.0,
    ),
    (
        # A's slot frees on day 2 (A sold), but its proceeds settle on day 3 (T+1): B enters
        # on day 3.
        "a held position blocks new entries until it exits",
        {"max_positions": 1},
        {"opens": {"A": [10] * 5, "B": [10] * 5}, "volumes": {"A": [900] * 5, "B": [100] * 5}},
        {"A": "10000", "B": "11111"},
        [("A", 1, 2, 100), ("B", 3, None, 100)],
        1000.0,
    ),
    (
        # A (50 shares for 500) doubles while held: equity 1500. B's slot is 1500 / 2 = 750,
        # but only the 500 of cash is left: 50 shares at 10. A is not trimmed back to half of
        # equity to make room: positions change only when signals change.
        "no rebalancing: a held position keeps its quantity",
        {"max_positions": 2, "settlement_days": 0},
        {
            "opens": {"A": [10, 10, 20, 20, 20], "B": [10] * 5},
            "closes": {"A": [10, 10, 20, 20, 20], "B": [10] * 5},
        },
        {"A": "11111", "B": "00111"},
        [("A", 1, None, 50), ("B", 3, None, 50)],
        1500.0,
    ),
    (
        # No bar for A on day 1: the entry waits for day 2 (signal still on).
        "missing bar on the entry day",
        {},
        {"opens": {"A": [10, NAN, 10, 10]}},
        {"A": "1111"},
        [("A", 2, None, 100)],
        1000.0,
    ),
    (
        # Held A, signal off at close 2, no bar on day 3: sold on day 4. Day 3 is valued at the
        # last close (20).
        "missing bar on the exit day",
        {},
        {"opens": {"A": [10, 10, 20, NAN, 15]}},
        {"A": "11000"},
        [("A", 1, 4, 100)],
        1500.0,
    ),
    (
        # A's data ends after day 2 (close 12): closed on day 3 at 12, whatever the signal.
        "data ending mid-position",
        {},
        {"opens": {"A": [10, 10, 12, NAN, NAN], "B": [1] * 5}},
        {"A": "11111"},
        [("A", 1, 3, 100)],
        1200.0,
    ),
]


@pytest.mark.parametrize(
    ("intent", "overrides", "bars", "signal", "trades", "final"),
    SCENARIOS,
    ids=[s[0] for s in SCENARIOS],
)
def test_scenario(
    intent: str,
    overrides: dict[str, Any],
    bars: dict[str, Any],
    signal: dict[str, str],
    trades: list[tuple[Any, ...]],
    final: float,
) -> None:
    panel = make_panel(**bars)
    rules = dataclasses.replace(BASE, **overrides)
    result = backtest(panel, make_signal(panel, signal), rules)
    got = [
        (
            str(s),
            int(np.searchsorted(panel.dates, e)),
            None if np.isnat(x) else int(np.searchsorted(panel.dates, x)),
            float(q),
        )
        for s, e, x, q in zip(
            result.trades.symbol,
            result.trades.entry_date,
            result.trades.exit_date,
            result.trades.quantity,
            strict=True,
        )
    ]
    assert got == [(s, e, x, pytest.approx(q, abs=1e-9)) for s, e, x, q in trades], intent
    assert result.equity[-1] == pytest.approx(final, abs=1e-6), intent
    assert np.all(result.settled_cash >= 0), intent


def test_unsettled_cash_counts_in_equity_but_cannot_buy() -> None:
    panel = make_panel({"A": [10, 10, 11, 11, 11], "B": [5] * 5})
    result = backtest(panel, make_signal(panel, {"A": "10000", "B": "01111"}), BASE)
    # Day 2: A sold for 1100, unsettled; nothing held; equity is all cash, none of it settled.
    assert result.equity[2] == pytest.approx(1100.0)
    assert result.cash[2] == pytest.approx(1100.0)
    assert result.settled_cash[2] == 0.0
    assert result.settled_cash[3] == 0.0  # settled on day 3, then spent on B at that open
    assert result.exposure[3] == pytest.approx(1.0)


def test_data_ending_closes_at_the_last_close_less_costs() -> None:
    panel = make_panel({"A": [10, 10, 12, NAN, NAN], "B": [1] * 5})
    rules = dataclasses.replace(BASE, slippage_bps=100.0)
    result = backtest(panel, make_signal(panel, {"A": "11111"}), rules)
    assert result.trades.exit_price[0] == pytest.approx(12 * 0.99)
    assert result.equity[3] == result.equity[4]  # nothing moves after the close


def test_warm_up_days_neither_trade_nor_count() -> None:
    panel = make_panel({"A": [10, 10, 20, 20, 20]})
    result = backtest(panel, make_signal(panel, {"A": "11111"}), BASE, start=2)
    # The first fill is at the open of day 2 (signal of close 1): 1000 / 20 = 50 shares.
    assert len(result.returns) == 3
    assert result.trades.quantity.tolist() == [50]
    assert result.returns[0] == 0.0


def test_bad_signal_shapes_are_refused() -> None:
    panel = make_panel({"A": [10, 10, 10]})
    with pytest.raises(ValueError, match="shape"):
        backtest(panel, np.ones((2, 1), dtype=bool), BASE)
    with pytest.raises(ValueError, match="bool"):
        backtest(panel, np.ones((3, 1)), BASE)


def test_rules_are_frozen_config() -> None:
    assert isinstance(BASE, BacktestConfig)
