"""Quantities and prices the broker accepts.

- Quantities: at most 9 decimals (Alpaca), always rounded down, so a buy never costs more
  than planned and a sell never exceeds the position; whole shares where fractions are not
  allowed. Computed in decimal, so float noise (0.1 + 0.2) cannot round up.
- Prices: $1 and above in cents, below $1 in 1/100 of a cent (Alpaca's sub-penny rule); a
  buy's limit is rounded down, a sell's up (both stay on the cautious side of the plan).
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

__all__ = ["floor_qty", "tick_price"]

_NANO = Decimal("1e-9")


def floor_qty(qty: float, whole: bool = False) -> float:
    """`qty` rounded down to what may be ordered (0 for anything not positive or finite)."""
    if not math.isfinite(qty) or qty <= 0:
        return 0.0
    step = Decimal(1) if whole else _NANO
    return float(Decimal(repr(qty)).quantize(step, rounding=ROUND_FLOOR))


def tick_price(price: float, side: str) -> float:
    """`price` on the broker's tick: down for a buy, up for a sell."""
    if not math.isfinite(price) or price <= 0:
        raise ValueError(f"price must be positive and finite, got {price}")
    tick = Decimal("0.01") if price >= 1 else Decimal("0.0001")
    rounding = ROUND_FLOOR if side == "buy" else ROUND_CEILING
    return float(Decimal(repr(price)).quantize(tick, rounding=rounding))
