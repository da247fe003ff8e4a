"""The one cost model: the price an order fills at and the fees it pays.

The backtest kernel (compiled, through `fitness.simulate_nb`), the simulated broker, the
recording of broker fills and the planning of orders all call these functions, so a fill costs
the same wherever it is counted. Plain floats in and out and no imports (none calls another),
so numba compiles them for the kernel and the live code calls them without it. Slippage is a
fraction (`slippage_fraction(slippage_bps)`).

`fitness.reference_backtest` keeps its own copy on purpose: it is the independent oracle the
kernel is tested against.
"""

from __future__ import annotations

__all__ = [
    "affordable_quantity",
    "buy_cost",
    "buy_price",
    "entry_quantity",
    "order_fees",
    "sell_fees",
    "sell_price",
    "slippage_fraction",
]


def slippage_fraction(slippage_bps: float) -> float:
    """Slippage as a fraction of the price."""
    return slippage_bps / 10_000.0


def buy_price(price: float, slippage: float) -> float:
    """What a buy at `price` fills at: the price plus slippage."""
    return price * (1.0 + slippage)


def sell_price(price: float, slippage: float) -> float:
    """What a sell at `price` fills at: the price less slippage."""
    return price * (1.0 - slippage)


def order_fees(quantity: float, fee_per_order: float, fee_per_share: float) -> float:
    """The fees of one order of `quantity` shares."""
    return fee_per_order + fee_per_share * quantity


def sell_fees(quantity: float, value: float, fee_per_order: float, fee_per_share: float) -> float:
    """The fees of a sell, never more than the `value` it raises."""
    return min(fee_per_order + fee_per_share * quantity, value)


def buy_cost(quantity: float, price: float, fee_per_order: float, fee_per_share: float) -> float:
    """Cash a buy of `quantity` at the fill `price` takes, fees included."""
    return quantity * price + fee_per_order + fee_per_share * quantity


def entry_quantity(
    budget: float,
    price: float,
    fee_per_order: float,
    fee_per_share: float,
    fractional: bool,
    min_value: float,
) -> float:
    """The shares an entry buys with `budget` at the fill `price`, fees included, rounded down
    to whole shares or to 1e-9 of a share; 0 when that is worth less than `min_value`."""
    units = (budget - fee_per_order) / (price + fee_per_share)
    if not units > 0.0:
        return 0.0
    units = units - units % 1.0 if not fractional else (units * 1e9 - (units * 1e9) % 1.0) / 1e9
    return units if units > 0.0 and units * price >= min_value else 0.0


def affordable_quantity(
    cash: float, price: float, fee_per_order: float, fee_per_share: float
) -> float:
    """The most shares (unrounded) that `cash` buys at `price`, fees included."""
    return (cash - fee_per_order) / (price + fee_per_share)
