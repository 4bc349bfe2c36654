"""Replenishment suggestions (issue 16 point 4, ADR 0033), the pure part: which supplier, how
much from a warehouse with excess and how much from the supplier, and what the purchasing
budgets and the destination's free capacity let through.

- **Supplier**: the item's preferred supplier; with none preferred, its only supplier; else
  none (the suggestion says ``no_supplier``).
- **Source**: a transfer first, from the warehouse with the most excess of the item (ties: its
  code), up to that excess and up to the shortfall to the order-up-to level (no pack, no
  minimum: it is our own stock); the rest from the supplier, in packs and at least the minimum
  order (``suggest_quantity`` with the position after the transfer).
- **Ranking** when a constraint binds: ABC class (A, B, C, then none), then days of cover
  (least first, unknown last), then item and warehouse code.
- **Cutting**: in that order each line keeps what fits in every budget that covers it (value
  = quantity x unit price) and in its destination's free capacity, rounded down to its pack;
  a purchase cut below its minimum order is cut to nothing. The reason names the constraint
  that bound (``budget`` or ``capacity``) with the figure left before the line;
  ``below_minimum`` when the max already kept the quantity below the minimum order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from cangku.domain.quantities import from_scaled, scaled_product, to_scaled
from cangku.domain.replenishment import Suggestion, suggest_quantity

__all__ = [
    "Budget",
    "Candidate",
    "Kept",
    "Source",
    "Term",
    "choose_supplier",
    "cut_to_constraints",
    "days_of_cover",
    "rank_key",
    "split_sources",
    "take_from_bins",
]

_CLASS_ORDER = {"A": 0, "B": 1, "C": 2}
_DAY_PLACES = Decimal("0.1")


@dataclass(frozen=True)
class Term:
    """One supplier's terms for an item (per base unit)."""

    supplier: str
    price: Decimal | None
    minimum_order: Decimal | None
    pack_size: Decimal | None
    preferred: bool


def choose_supplier(terms: Sequence[Term]) -> Term | None:
    """The preferred supplier's terms; with none preferred the only supplier's; else None."""
    for term in terms:
        if term.preferred:
            return term
    return terms[0] if len(terms) == 1 else None


def days_of_cover(available: Decimal, demand_per_day: Decimal | None) -> Decimal | None:
    """Available stock over the demand per day, to a tenth of a day (rounded down); None when
    the demand is unknown or zero; 0 when nothing is available."""
    if demand_per_day is None or demand_per_day <= 0:
        return None
    return max(available / demand_per_day, Decimal(0)).quantize(_DAY_PLACES, ROUND_FLOOR)


def rank_key(
    abc_class: str | None, cover: Decimal | None, item: str, warehouse: str
) -> tuple[int, int, Decimal, str, str]:
    """The order suggestions are kept in when a constraint binds (see the module docstring)."""
    return (
        _CLASS_ORDER.get(abc_class or "", 3),
        0 if cover is not None else 1,
        cover if cover is not None else Decimal(0),
        item,
        warehouse,
    )


@dataclass(frozen=True)
class Source:
    """Where a suggestion's quantity comes from: a warehouse with excess (``warehouse``) or the
    supplier (``warehouse`` None)."""

    warehouse: str | None
    quantity: Decimal
    #: the working of the supplier's part (None for a transfer)
    working: Suggestion | None = None


def split_sources(
    *,
    on_hand: Decimal,
    on_order: Decimal,
    in_transit: Decimal,
    reserved: Decimal,
    reorder_point: Decimal,
    order_up_to: Decimal,
    excess: Mapping[str, Decimal],
    term: Term | None,
    decimals: int,
) -> tuple[Suggestion, list[Source]]:
    """The suggestion for the whole need (with the supplier's pack and minimum when there is
    one) and where it comes from: a transfer from the warehouse with the most excess (up to it
    and to the shortfall), then the supplier for the rest (none without a supplier: the caller
    says ``no_supplier``). Nothing when the position is above the reorder point."""
    pack = term.pack_size if term else None
    minimum = (term.minimum_order or Decimal(0)) if term else Decimal(0)
    whole = suggest_quantity(
        on_hand=on_hand, on_order=on_order, in_transit=in_transit, reserved=reserved,
        reorder_point=reorder_point, order_up_to=order_up_to, pack_size=pack,
        minimum_order=minimum, decimals=decimals,
    )  # fmt: skip
    if whole.rule == "above_reorder_point":
        return whole, []
    sources: list[Source] = []
    moved = Decimal(0)
    if excess:
        best = min(excess, key=lambda code: (-excess[code], code))
        moved = min(excess[best], whole.shortfall)
        if moved > 0:
            sources.append(Source(best, moved))
    rest = whole.shortfall - moved
    if moved == 0:
        sources.append(Source(None, whole.quantity, whole))
    elif rest > 0:
        part = suggest_quantity(
            on_hand=on_hand, on_order=on_order, in_transit=in_transit + moved,
            reserved=reserved, reorder_point=order_up_to, order_up_to=order_up_to,
            pack_size=pack, minimum_order=minimum, decimals=decimals,
        )  # fmt: skip
        sources.append(Source(None, part.quantity, part))
    return whole, sources


@dataclass(frozen=True)
class Budget:
    """A purchasing budget in force: what is left of it, and what it covers (None: all)."""

    id: int
    left: Decimal
    warehouse: str | None
    #: the category's id path (``/1/4/``): it covers that category and those under it
    category_path: str | None

    def covers(self, warehouse: str, category_path: str | None) -> bool:
        if self.warehouse is not None and self.warehouse != warehouse:
            return False
        if self.category_path is None:
            return True
        return category_path is not None and category_path.startswith(self.category_path)


@dataclass(frozen=True)
class Candidate:
    """One line to keep or cut: a purchase (``unit_price`` counts against the budgets that cover
    it) or a transfer (``transfer`` True: only the capacity binds)."""

    key: tuple[str, str, str | None]
    item: str
    warehouse: str
    category_path: str | None
    abc_class: str | None
    cover: Decimal | None
    quantity: Decimal
    pack: Decimal
    minimum_order: Decimal
    unit_price: Decimal | None
    transfer: bool


@dataclass(frozen=True)
class Kept:
    """What a candidate keeps: the quantity, the reason it was reduced or cut (None: whole),
    and the figures left before it (None: no such constraint)."""

    quantity: Decimal
    value: Decimal | None
    reason: str | None
    budget_left: Decimal | None
    capacity_left: Decimal | None


def _down(value: Decimal, step: Decimal) -> Decimal:
    if value <= 0:
        return Decimal(0)
    return (value / step).to_integral_value(ROUND_FLOOR) * step


def _value(quantity: Decimal, price: Decimal | None) -> Decimal | None:
    """Quantity x price, exact to the money's six places (half-even), without trailing zeros."""
    if price is None:
        return None
    return from_scaled(scaled_product(to_scaled(quantity), to_scaled(price)))


def cut_to_constraints(
    candidates: Iterable[Candidate],
    budgets: Sequence[Budget],
    capacity_left: Mapping[str, Decimal],
) -> dict[tuple[str, str, str | None], Kept]:
    """Each candidate's kept quantity, in rank order (see the module docstring).
    ``capacity_left``: the free capacity per destination warehouse code (a warehouse missing:
    no capacity set there, nothing binds)."""
    left = {budget.id: budget.left for budget in budgets}
    room = dict(capacity_left)
    out: dict[tuple[str, str, str | None], Kept] = {}
    # a transfer before the purchase of the same need (transfer first)
    ordered = sorted(
        candidates,
        key=lambda c: (
            *rank_key(c.abc_class, c.cover, c.item, c.warehouse),
            not c.transfer,
            c.key[2] or "",
        ),
    )
    for c in ordered:
        quantity, reason = c.quantity, None
        space = room.get(c.warehouse)
        if space is not None and quantity > space:
            quantity, reason = _down(space, c.pack), "capacity"
        covering = (
            [] if c.transfer else [b.id for b in budgets if b.covers(c.warehouse, c.category_path)]
        )
        budget_left = min((left[b] for b in covering), default=None)
        if budget_left is not None and c.unit_price and quantity * c.unit_price > budget_left:
            quantity, reason = _down(budget_left / c.unit_price, c.pack), "budget"
        if quantity < c.minimum_order:
            quantity, reason = Decimal(0), reason or "below_minimum"
        if c.unit_price:
            for b in covering:
                left[b] -= quantity * c.unit_price
        if space is not None:
            room[c.warehouse] = space - quantity
        out[c.key] = Kept(quantity, _value(quantity, c.unit_price), reason, budget_left, space)
    return out


def take_from_bins(
    quantity: Decimal, bins: Sequence[tuple[str, str | None, Decimal]]
) -> list[tuple[str, str | None, Decimal]]:
    """The (location, lot, quantity) a transfer of ``quantity`` takes, bin after bin in the
    order given, each up to its free stock; less than ``quantity`` when the bins hold less."""
    taken = []
    for location, lot, free in bins:
        if quantity <= 0:
            break
        part = min(free, quantity)
        if part > 0:
            taken.append((location, lot, part))
            quantity -= part
    return taken
