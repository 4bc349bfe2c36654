"""Inventory valuation maths on scaled integers (quantities and money at 1e-6).

FIFO: each receipt into valued stock opens a layer (quantity, value); issues consume the oldest
layers first. A layer keeps its remaining *value* as well as its remaining quantity, so the
rounding of partial issues is absorbed when the layer empties and values never drift.

Moving average: one (quantity, value) pair per item; an issue takes value at the current average,
and the last unit out takes exactly what is left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cangku.domain.quantities import scaled_product, scaled_ratio


@dataclass
class Layer:
    id: int | None
    remaining_qty: int
    remaining_value: int
    unit_cost: int
    source_move: int | None = None
    changed: bool = False


@dataclass
class Consumption:
    value: int
    #: (layer, quantity taken, value taken) for each layer touched
    taken: list[tuple[Layer, int, int]] = field(default_factory=list)
    #: quantity that found no layer (only where negative stock is allowed)
    uncovered: int = 0


def take(layer: Layer, qty: int) -> int:
    """Take ``qty`` from one layer and return the value taken."""
    if qty >= layer.remaining_qty:
        value = layer.remaining_value
        layer.remaining_qty = 0
        layer.remaining_value = 0
    else:
        value = scaled_product(qty, layer.unit_cost)
        value = min(value, layer.remaining_value)
        layer.remaining_qty -= qty
        layer.remaining_value -= value
    layer.changed = True
    return value


def consume_fifo(
    layers: list[Layer], qty: int, fallback_cost: int, prefer: Layer | None = None
) -> Consumption:
    """Consume ``qty`` from ``layers`` (oldest first, ``prefer`` first if given).

    Emptied layers are dropped from the front of ``layers`` (the caller keeps its own list of
    touched layers). What no layer covers (negative stock) is valued at ``fallback_cost``.
    """
    result = Consumption(value=0)
    remaining = qty
    if prefer is not None and prefer.remaining_qty > 0:
        remaining = _take_into(result, prefer, remaining)
    for layer in layers:
        if remaining == 0:
            break
        if layer.remaining_qty > 0:
            remaining = _take_into(result, layer, remaining)
    empty = 0
    while empty < len(layers) and layers[empty].remaining_qty == 0:
        empty += 1
    if empty:
        del layers[:empty]
    if remaining:
        result.uncovered = remaining
        result.value += scaled_product(remaining, fallback_cost)
    return result


def _take_into(result: Consumption, layer: Layer, wanted: int) -> int:
    portion = min(wanted, layer.remaining_qty)
    value = take(layer, portion)
    result.taken.append((layer, portion, value))
    result.value += value
    return wanted - portion


def average_issue_value(on_hand_qty: int, on_hand_value: int, qty: int) -> int:
    """Value of issuing ``qty`` at the moving average of (on_hand_qty, on_hand_value)."""
    if on_hand_qty <= 0:
        return 0
    if qty >= on_hand_qty:
        if qty == on_hand_qty:
            return on_hand_value
        return on_hand_value + scaled_product(
            qty - on_hand_qty, scaled_ratio(on_hand_value, on_hand_qty)
        )
    return scaled_product(qty, scaled_ratio(on_hand_value, on_hand_qty))


def average_cost(on_hand_qty: int, on_hand_value: int) -> int:
    return scaled_ratio(on_hand_value, on_hand_qty) if on_hand_qty > 0 else 0


@dataclass(frozen=True)
class Receipt:
    """What a receipt of ``quantity`` at ``unit_cost`` does to an item's (quantity, value).

    Negative stock is settled first, at the receipt's cost (ADR 0012): the issues that took the
    item below zero were valued at the cost known then (the last or average cost); once real
    goods arrive they cost what these cost. The receipt adds to the stock value only what makes
    the stock after it worth its quantity at its cost; ``correction`` (what the goods cost minus
    what they added to stock) is the cost of goods that the negative issues lacked (negative
    when they were charged too much).
    """

    value: int  # what the receipt adds to the stock value (the move's value)
    settled: int  # negative quantity it covered
    correction: int  # quantity x cost - value
    layer_qty: int  # what is left in stock from it (a FIFO layer of this size)
    layer_value: int


def receive_into(on_hand_qty: int, on_hand_value: int, qty: int, unit_cost: int) -> Receipt:
    """Receive ``qty`` at ``unit_cost`` into stock of (``on_hand_qty``, ``on_hand_value``)."""
    bought = scaled_product(qty, unit_cost)
    if on_hand_qty >= 0:
        return Receipt(bought, 0, 0, qty, bought)
    settled = min(qty, -on_hand_qty)
    left = qty - settled
    after_qty = on_hand_qty + qty
    if left > 0:  # the whole negative quantity is settled; the rest is stock at this cost
        after_value = scaled_product(left, unit_cost)
    elif after_qty == 0:
        after_value = 0
    else:  # still negative: the part not yet settled keeps its value per unit
        after_value = _rounded(on_hand_value * after_qty, on_hand_qty)
    moved = after_value - on_hand_value
    return Receipt(moved, settled, bought - moved, left, after_value if left > 0 else 0)


def _rounded(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (``denominator`` != 0) rounded half-even, exactly."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient
