"""The Live page: the newest account (positions, settled and unsettled cash, the plan of its
newest session, its orders and fills, the last reconciliation), halted or not, and the decay
watch with the paper P&L of every approved or live strategy."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from live.errors import LiveInputError
from live.status import AccountView, account_view
from promotion.lifecycle import genome_texts
from promotion.watch import Watched

__all__ = ["LivePage", "live_page"]


@dataclass(frozen=True)
class LivePage:
    halted: str | None
    halt_file: str
    view: AccountView | None
    missing: str  # why there is no account to show
    # Of the newest plan: genome id, text, weight, capital; and the strategies left out.
    weights: list[tuple[str, str, float, float]]
    excluded: dict[str, str]
    watched: list[Watched]
    watch_problem: str  # why the decay watch could not run (the data cannot be read, ...)

    @property
    def paper_pnl(self) -> float:
        return sum(w.pnl or 0.0 for w in self.watched)


def live_page(
    session: Session,
    halted: str | None,
    halt_file: str,
    watched: list[Watched],
    watch_problem: str,
) -> LivePage:
    try:
        view: AccountView | None = account_view(session, None)
    except LiveInputError as e:
        view, missing = None, str(e)
    else:
        missing = ""
    weights: list[tuple[str, str, float, float]] = []
    excluded: dict[str, str] = {}
    if view is not None and view.plan is not None:
        record = dict(view.plan.weights)
        excluded = dict(record.pop("excluded", {}))
        texts = genome_texts(session, list(record))
        weights = [
            (gid, texts.get(gid, "?"), float(w["weight"]), float(w["capital"]))
            for gid, w in sorted(record.items())
        ]
    return LivePage(halted, halt_file, view, missing, weights, excluded, watched, watch_problem)
