"""Helpers of the promotion tests: the bundled bars and calendar, and a user's own genome put
forward as a candidate. (Nights on markets with a known answer are the benchmarks':
`python -m bench --protection`.)"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from configs import IncubationConfig, LabConfig, load_config
from fitness.windows import Window, build_windows
from labkit.lab import put_forward, user_run
from market.bars import read_bars_file
from market.panel import Panel
from market.problems import DataReport
from market.sources import BUNDLED_BARS, load_panel
from promotion.gate import Criterion
from promotion.holdout import open_holdout
from promotion.lifecycle import decide
from store import Database, open_database
from store.data_records import record_data
from store.lifecycle import move_candidate
from store.models import Candidate, Decision, ForwardReturn, GateReport


def bundled_bars() -> pd.DataFrame:
    return read_bars_file(BUNDLED_BARS, DataReport(source="bundled"))


def add_candidate(db_url: str, text: str, run_id: int = 1) -> int:
    """Put the genome `text` forward as a candidate of run `run_id` (as a user would); its
    number."""
    database = open_database(db_url)
    with database.transaction() as session:
        number = put_forward(session, text, run_id).id
    database.close()
    return number


def review_lab(folder: Path) -> tuple[LabConfig, Panel, dict[str, Window], Database]:
    """A research.db in `folder` on the bundled data, with a run (number 1) that genomes are put
    forward under."""
    config = load_config()
    panel, report = load_panel(config.data, config.alpaca)
    windows = build_windows(panel, config.windows, config.backtest)
    database = open_database(f"sqlite:///{folder / 'research.db'}")
    with database.transaction() as session:
        user_run(session, config, panel, report.source, windows)
    return config, panel, windows, database


def gate_report(
    session: Session,
    candidate: Candidate,
    panel: Panel,
    config: LabConfig,
    passed: bool,
    dsr: float,
) -> None:
    """A gate report as the gate writes one for `candidate`, judged on `panel`, with the
    deflated Sharpe ratio `dsr` and a validation Sharpe of 1.5 (the other criteria and figures
    left out), and the gate's move."""
    windows = build_windows(panel, config.windows, config.backtest)
    record_data(session, panel, "bundled", windows, config.backtest)
    report = GateReport(
        candidate_id=candidate.id,
        genome_id=candidate.genome_id,
        run_id=None,
        config_id=config.id,
        code_version="test",
        panel_fingerprint=panel.fingerprint,
        train_window_id=windows["train"].id,
        validation_window_id=windows["validation"].id,
        passed=passed,
        reasons=[],
        criteria=[
            Criterion("dsr", "deflated Sharpe ratio", dsr, ">=", 0.95, True, dsr >= 0.95).as_dict()
        ],
        details={
            "validation": {"sharpe": 1.5},
            "statistics": {"dsr": dsr},
            "costs": dataclasses.asdict(config.backtest),
        },
    )
    session.add(report)
    session.flush()
    action = "gate_pass" if passed else "gate_fail"
    move_candidate(session, candidate, action, "gate", "test", gate_report_id=report.id)


def incubating_lab(folder: Path, sessions: int) -> int:
    """A lab in `folder` (its lab.toml: 5 sessions of incubation at 0.9) whose one strategy was
    gated on the bundled data (to 2017-04-13), approved that evening and has `sessions` strong
    forward sessions since, on weekdays after the data, recorded as a night that had them
    would; its candidate number."""
    (folder / "lab.toml").write_text("[incubation]\nsessions = 5\nconfidence = 0.9\n")
    config = dataclasses.replace(load_config(), incubation=IncubationConfig(5, 0.9))
    panel, report = load_panel(config.data, config.alpaca)
    windows = build_windows(panel, config.windows, config.backtest)
    database = open_database(f"sqlite:///{folder / 'research.db'}")
    with database.transaction() as session:
        run = user_run(session, config, panel, report.source, windows)
        candidate = put_forward(session, "gt(close, sma(close, 50))", run.id)
        made = approved_on_paper(
            session, candidate, config, panel, windows, dt.datetime(2017, 4, 13, 22, 0)
        )
        days = [d.item() for d in np.arange("2017-04-14", "2017-06-30", dtype="datetime64[D]")]
        assert made.gate_report_id is not None
        good_sessions(
            session, candidate, made.gate_report_id, [d for d in days if d.weekday() < 5][:sessions]
        )
        number = candidate.id
    database.close()
    return number


def good_sessions(
    session: Session, candidate: Candidate, report_id: int, days: list[dt.date]
) -> None:
    """Forward sessions on `days` after gate report `report_id`, each a gain of 0.2 to 0.6 %
    (a record whose P(Sharpe > 0) is near 1 within a few sessions), as a night records them."""
    for i, day in enumerate(days):
        session.add(
            ForwardReturn(
                candidate_id=candidate.id,
                day=day,
                gate_report_id=report_id,
                strategy=0.004 + 0.002 * np.sin(i),
                market=0.001 * np.cos(i),
            )
        )
    session.flush()


def approved_on_paper(
    session: Session,
    candidate: Candidate,
    config: LabConfig,
    panel: Panel,
    windows: dict[str, Window],
    when: dt.datetime,
) -> Decision:
    """`candidate` passed the gate on `panel` (DSR 0.97), its holdout opened and approved by
    dana at `when` (naive UTC): the decision (incubating when `config` incubates)."""
    gate_report(session, candidate, panel, config, True, 0.97)
    open_holdout(session, candidate, panel, windows["holdout"], config.backtest, "dana")
    return decide(
        session,
        candidate,
        "approve",
        "dana",
        "on paper first",
        now=when,
        incubation=config.incubation,
    )
