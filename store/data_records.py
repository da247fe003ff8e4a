"""Records of the market data a result was measured on: the panel and its windows, by id."""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from configs import BacktestConfig
from fitness.windows import Window
from market.panel import Panel
from store.models import PanelRecord, WindowRecord
from store.rows import is_stored

__all__ = ["record_data"]


def record_data(
    session: Session,
    panel: Panel,
    source: str,
    windows: dict[str, Window],
    rules: BacktestConfig,
) -> None:
    """Add the panel and its windows (with the account and cost rules they measure with) to
    research.db unless they are there already."""
    if not is_stored(session, PanelRecord, panel.fingerprint):
        session.add(
            PanelRecord(
                fingerprint=panel.fingerprint,
                source=source,
                n_symbols=len(panel.symbols),
                n_days=len(panel.dates),
                first_day=panel.dates[0].item(),
                last_day=panel.dates[-1].item(),
            )
        )
        session.flush()
    for window in windows.values():
        if not is_stored(session, WindowRecord, window.id):
            session.add(
                WindowRecord(
                    id=window.id,
                    name=window.name,
                    panel_fingerprint=panel.fingerprint,
                    first_day=window.first.item(),
                    last_day=window.last.item(),
                    n_days=window.n_days,
                    warmup_days=window.warmup_days,
                    rules=dataclasses.asdict(rules),
                )
            )
    session.flush()
