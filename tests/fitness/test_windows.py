"""Evaluation windows: snapping, warm-up, configuration errors and ids."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from configs import ConfigurationError, WindowsConfig, load_config
from fitness.windows import build_windows
from market.panel import Panel
from market.sources import load_panel

CONFIG = load_config()


@pytest.fixture(scope="module")
def panel() -> Panel:
    return load_panel(CONFIG.data, CONFIG.alpaca)[0]


def windows(**overrides: object) -> WindowsConfig:
    return dataclasses.replace(CONFIG.windows, **overrides)  # type: ignore[arg-type]


def test_default_windows_snap_to_trading_days_and_do_not_overlap(panel: Panel) -> None:
    built = build_windows(panel, CONFIG.windows, CONFIG.backtest)
    train, validation, holdout = built["train"], built["validation"], built["holdout"]
    assert str(train.first) == "2001-01-16" and str(train.last) == "2007-06-29"
    assert train.stop <= validation.start and validation.stop <= holdout.start
    assert train.warmup_days == validation.warmup_days == CONFIG.windows.warmup_days
    assert str(holdout.last) == "2017-04-13"
    # A window's data ends with the window: nothing of validation is visible to train.
    assert train.panel(panel).dates[-1] == train.last
    assert len({w.id for w in built.values()}) == 3


def test_window_dates_on_holidays_snap_inwards(panel: Panel) -> None:
    # 2012-01-01 is a Sunday and 2012-01-02 a holiday: the window starts 2012-01-03.
    built = build_windows(
        panel, windows(validation=(dt.date(2012, 1, 1), dt.date(2014, 6, 29))), CONFIG.backtest
    )
    assert str(built["validation"].first) == "2012-01-03"
    assert str(built["validation"].last) == "2014-06-27"


def test_ids_are_stable_and_follow_content_and_costs(panel: Panel) -> None:
    first = build_windows(panel, CONFIG.windows, CONFIG.backtest)
    again = build_windows(panel, CONFIG.windows, CONFIG.backtest)
    assert {k: w.id for k, w in first.items()} == {k: w.id for k, w in again.items()}
    dearer = dataclasses.replace(CONFIG.backtest, slippage_bps=10.0)
    assert build_windows(panel, CONFIG.windows, dearer)["train"].id != first["train"].id
    close = np.array(panel.close)
    close[first["holdout"].start + 5, 0] *= 1.01  # one price inside the holdout
    changed = dataclasses.replace(panel, close=close)
    rebuilt = build_windows(changed, CONFIG.windows, CONFIG.backtest)
    assert rebuilt["train"].id == first["train"].id
    assert rebuilt["holdout"].id != first["holdout"].id


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"holdout": (dt.date(2015, 1, 2), dt.date(2018, 1, 2))},
            "windows.holdout: 2015-01-02..2018-01-02 is outside the data",
        ),
        (
            {"train": (dt.date(1999, 1, 4), dt.date(2001, 1, 2))},
            "windows.train: 1999-01-04..2001-01-02 is outside the data",
        ),
        (
            {"validation": (dt.date(2012, 1, 3), dt.date(2012, 2, 1))},
            "windows.validation: 2012-01-03..2012-02-01 has 21 sessions, windows.min_days is 120",
        ),
        (
            {"train": (dt.date(2000, 6, 1), dt.date(2003, 1, 2))},
            "windows.train: needs 260 sessions of warm-up before 2000-06-01",
        ),
    ],
)
def test_bad_windows_are_configuration_errors(
    panel: Panel, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build_windows(panel, windows(**overrides), CONFIG.backtest)


def test_rolling_windows_move_with_the_anchor_every_k_sessions(panel: Panel) -> None:
    config = load_config()
    rolling = dataclasses.replace(
        config.windows,
        scheme="rolling",
        train_sessions=500,
        validation_sessions=300,
        holdout_sessions=150,
        reanchor_sessions=20,
    )
    seen = []
    first = build_windows(panel.days(0, 3000), rolling, config.backtest)
    for n in range(3000, 3041):  # the data grows by a session a night
        windows = build_windows(panel.days(0, n), rolling, config.backtest)
        # Windows only move forward: a candidate bred and judged on an earlier night's windows
        # is judged and reviewed later on sessions after those it was bred and judged on.
        assert windows["validation"].start >= first["train"].stop
        assert windows["holdout"].start >= first["validation"].stop
        train, validation, holdout = (windows[k] for k in ("train", "validation", "holdout"))
        assert (train.n_days, validation.n_days, holdout.n_days) == (500, 300, 150)
        assert train.stop == validation.start and validation.stop == holdout.start
        anchor = holdout.stop - 1
        assert anchor % 20 == 0 and n - 20 <= anchor <= n - 1  # never a session ahead of the data
        seen.append((n, anchor, validation.id))
    # The same windows (same ids) between re-anchorings; every window moves 20 sessions at one.
    anchors = sorted({a for _, a, _ in seen})
    assert anchors == [2980, 3000, 3020]
    assert len({v for _, a, v in seen if a == 3000}) == 1
    assert [n for n, a, _ in seen if a == 3020] == list(range(3021, 3041))


def test_rolling_windows_need_the_data_to_hold_them(panel: Panel) -> None:
    config = load_config()
    rolling = dataclasses.replace(config.windows, scheme="rolling")
    with pytest.raises(ConfigurationError, match=r"windows\.scheme: the rolling windows and their"):
        build_windows(panel.days(0, 2000), rolling, config.backtest)
