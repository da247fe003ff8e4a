"""Capital across the strategies that trade: equal weights or inverse volatility, each capped.

    raw_s     = 1                      (equal)
              = 1 / volatility_s       (inverse_volatility; validation-window daily returns)
    weight_s  = min(cap, raw_s / sum(raw))
    capital_s = weight_s x equity x (1 - cash_buffer)

What a cap takes off is not given to the others: it stays cash. A strategy without a usable
volatility (no trade on the validation window, or it failed to evaluate) gets weight 0 and a
reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Allocation", "allocate"]


@dataclass(frozen=True)
class Allocation:
    """Weight and capital of each strategy (by genome id); `excluded` says why one got 0."""

    weights: dict[str, float]
    capital: dict[str, float]
    excluded: dict[str, str]

    def as_record(self) -> dict[str, dict[str, object]]:
        """Genome id -> weight, capital and, for one that got 0, why (`LivePlan.weights`)."""
        record: dict[str, dict[str, object]] = {}
        for gid in sorted(self.weights):
            entry: dict[str, object] = {"weight": self.weights[gid], "capital": self.capital[gid]}
            if gid in self.excluded:
                entry["excluded"] = self.excluded[gid]
            record[gid] = entry
        return record


def allocate(
    strategies: list[str],
    method: str,
    equity: float,
    cash_buffer: float,
    cap: float,
    volatility: dict[str, float] | None = None,
) -> Allocation:
    """Weights and capital of `strategies` (genome ids) out of `equity`."""
    excluded: dict[str, str] = {}
    raw: dict[str, float] = {}
    for gid in strategies:
        if method == "equal":
            raw[gid] = 1.0
            continue
        sigma = (volatility or {}).get(gid, math.nan)
        if not math.isfinite(sigma) or sigma <= 0:
            excluded[gid] = "no volatility on the validation window (no trades, or no returns)"
        else:
            raw[gid] = 1.0 / sigma
    total = sum(raw.values())
    weights = {gid: min(cap, value / total) for gid, value in raw.items()}
    weights |= {gid: 0.0 for gid in excluded}
    deployable = max(equity, 0.0) * (1.0 - cash_buffer)
    capital = {gid: w * deployable for gid, w in weights.items()}
    return Allocation(weights, capital, excluded)
