"""Valuation maths: exact, no drift, whatever the order of receipts and issues."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cangku.domain.costing import Layer, average_issue_value, consume_fifo
from cangku.domain.quantities import SCALE, scaled_product, scaled_ratio

quantities = st.integers(min_value=1, max_value=10_000).map(lambda q: q * SCALE)
costs = st.integers(min_value=0, max_value=100_000_000)  # up to 100.000000 per unit


def test_fifo_takes_the_oldest_layers_first() -> None:
    layers = [Layer(1, 10 * SCALE, 10 * SCALE, SCALE), Layer(2, 10 * SCALE, 20 * SCALE, 2 * SCALE)]
    taken = consume_fifo(layers, 15 * SCALE, fallback_cost=0)
    assert taken.value == 20 * SCALE
    assert [(layer.id, q) for layer, q, _ in taken.taken] == [(1, 10 * SCALE), (2, 5 * SCALE)]
    assert [layer.id for layer in layers] == [2]  # the emptied layer is dropped
    assert (layers[0].remaining_qty, layers[0].remaining_value) == (5 * SCALE, 10 * SCALE)


def test_fifo_prefers_the_given_layer() -> None:
    old = Layer(1, 10 * SCALE, 10 * SCALE, SCALE)
    new = Layer(2, 10 * SCALE, 30 * SCALE, 3 * SCALE)
    taken = consume_fifo([old, new], 4 * SCALE, fallback_cost=0, prefer=new)
    assert taken.value == 12 * SCALE


def test_uncovered_quantity_is_valued_at_the_fallback_cost() -> None:
    taken = consume_fifo(
        [Layer(1, SCALE, 2 * SCALE, 2 * SCALE)], 3 * SCALE, fallback_cost=5 * SCALE
    )
    assert (taken.value, taken.uncovered) == (12 * SCALE, 2 * SCALE)


def _split(total: int, data: st.DataObject) -> list[int]:
    """``total`` cut into up to six positive parts at drawn points."""
    cuts = (
        data.draw(st.lists(st.integers(min_value=1, max_value=total - 1), max_size=5))
        if total > 1
        else []
    )
    points = [0, *sorted(set(cuts)), total]
    return [b - a for a, b in zip(points, points[1:], strict=False)]


@given(st.lists(st.tuples(quantities, costs), min_size=1, max_size=8), st.data())
def test_fifo_issues_never_create_or_lose_value(
    receipts: list[tuple[int, int]], data: st.DataObject
) -> None:
    layers = [Layer(i, q, scaled_product(q, c), c) for i, (q, c) in enumerate(receipts)]
    total_qty = sum(q for q, _ in receipts)
    total_value = sum(layer.remaining_value for layer in layers)
    issued_value = 0
    for qty in _split(total_qty, data):
        issued_value += consume_fifo(layers, qty, fallback_cost=0).value
    assert issued_value == total_value
    assert layers == []


@given(quantities, st.integers(min_value=0, max_value=10**12), st.data())
def test_moving_average_issues_sum_to_the_stock_value(
    qty: int, value: int, data: st.DataObject
) -> None:
    issued = 0
    on_hand, left = qty, value
    for take in _split(qty, data):
        moved = average_issue_value(on_hand, left, take)
        issued += moved
        on_hand, left = on_hand - take, left - moved
    assert issued == value
    assert left == 0


@given(quantities, costs)
def test_ratio_undoes_product_within_rounding(qty: int, cost: int) -> None:
    value = scaled_product(qty, cost)
    assert abs(scaled_ratio(value, qty) - cost) <= 1


def test_rounding_is_half_even() -> None:
    assert scaled_product(SCALE // 2, 1) == 0  # 0.5 x 0.000001 = 0.0000005 -> 0
    assert scaled_product(3 * SCALE // 2, 1) == 2  # 1.5 x 0.000001 -> 0.000002
