"""The one cost model: what a fill costs is the same arithmetic wherever it is counted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fitness.costs import (
    affordable_quantity,
    buy_cost,
    buy_price,
    sell_fees,
    sell_price,
    slippage_fraction,
)

money = st.floats(0.01, 1e7)
fee = st.floats(0.0, 10.0)


@given(cash=money, price=st.floats(0.01, 1e5), per_order=fee, per_share=st.floats(0.0, 0.05))
def test_the_affordable_quantity_spends_the_cash_exactly(
    cash: float, price: float, per_order: float, per_share: float
) -> None:
    quantity = affordable_quantity(cash, price, per_order, per_share)
    if quantity > 0:
        assert abs(buy_cost(quantity, price, per_order, per_share) - cash) <= 1e-9 * cash


@given(quantity=st.floats(0.0, 1e6), value=st.floats(0.0, 1e7), per_order=fee, per_share=fee)
def test_a_sale_never_pays_more_fees_than_it_raises(
    quantity: float, value: float, per_order: float, per_share: float
) -> None:
    fees = sell_fees(quantity, value, per_order, per_share)
    assert 0.0 <= fees <= value


def test_slippage_moves_buys_up_and_sells_down_by_the_same_fraction() -> None:
    slip = slippage_fraction(5.0)  # 5 basis points
    assert slip == 0.0005
    assert buy_price(100.0, slip) == 100.05
    assert sell_price(100.0, slip) == 99.95
