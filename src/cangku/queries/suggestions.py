"""Replenishment suggestions (issue 16 point 4, ADR 0033): for every item and warehouse at or
below its reorder point, how much to bring in, from where, and what the budgets and the free
capacity let through.

Read from ``queries.suggestion_inputs`` (what counts in the position, see there), decided by
``domain.suggestions`` (supplier, transfer first, ranking and cutting). The constraints are
worked out over every warehouse the reader sees; the filters (warehouse, item, category,
supplier) only choose which lines are shown, so a filtered page keeps the same figures.

- **Excess** in a warehouse: its stock free to transfer less its order-up-to level in force
  there; a warehouse where the item has no reorder point in force has no excess (what it
  needs is unknown). Several warehouses short of the same item share the excess in rank order.
- **Unit price** of a purchase: the supplier's price, else the item's standard cost, else its
  moving-average cost now (``price_source`` says which); the value is quantity x unit price.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, select

from cangku.db.tables import categories, items, partners, warehouses
from cangku.domain.errors import NotFound
from cangku.domain.permissions import Warehouses
from cangku.domain.replenishment import Suggestion
from cangku.domain.suggestions import (
    Candidate,
    Kept,
    Term,
    choose_supplier,
    cut_to_constraints,
    days_of_cover,
    rank_key,
    split_sources,
)
from cangku.queries import suggestion_inputs as inputs
from cangku.queries.budgets import BudgetRow, budgets_in_force

__all__ = ["Key", "SuggestionFilter", "SuggestionLine", "Suggestions", "suggestions"]

#: (item code, destination warehouse code, source warehouse code or None for the supplier)
Key = tuple[str, str, str | None]


@dataclass(frozen=True)
class SuggestionFilter:
    warehouse: str | None = None
    item: str | None = None
    category: str | None = None
    supplier: str | None = None


@dataclass(frozen=True)
class SuggestionLine:
    item: str
    item_name: str
    base_unit: str
    warehouse: str
    category_path: str | None
    on_hand: Decimal
    on_order: Decimal
    in_transit: Decimal
    reserved: Decimal
    position: Decimal
    reorder_point: Decimal
    order_up_to: Decimal
    days_of_cover: Decimal | None
    abc_class: str | None
    #: ``supplier`` or ``transfer``
    source: str
    supplier: str | None
    from_warehouse: str | None
    #: before the budgets and the capacity
    wanted: Decimal
    #: what the rule of ``suggest_quantity`` set it by (``transfer`` for a transfer)
    rule: str
    pack_size: Decimal | None
    minimum_order: Decimal | None
    unit_price: Decimal | None
    #: ``supplier``, ``standard_cost``, ``moving_average`` or None
    price_source: str | None
    #: what is kept
    quantity: Decimal
    value: Decimal | None
    #: why less than wanted is kept (None: all of it)
    reason: str | None
    budget_left: Decimal | None
    capacity_left: Decimal | None

    @property
    def key(self) -> Key:
        return (self.item, self.warehouse, self.from_warehouse)


@dataclass(frozen=True)
class Suggestions:
    lines: list[SuggestionLine]
    #: the budgets in force today, as they stand before these suggestions
    budgets: list[BudgetRow]
    #: free capacity per warehouse, before these suggestions (only where capacities are set)
    capacity: dict[str, Decimal]

    @property
    def kept(self) -> list[SuggestionLine]:
        return [line for line in self.lines if line.quantity > 0]

    @property
    def cut(self) -> list[SuggestionLine]:
        return [line for line in self.lines if line.reason is not None]


@dataclass
class _Need:
    pair: inputs.Pair
    stock: inputs.Stock
    on_order: Decimal
    in_transit: Decimal
    cover: Decimal | None
    term: Term | None

    def rank(self) -> tuple[int, int, Decimal, str, str]:
        return rank_key(self.pair.abc_class, self.cover, self.pair.item, self.pair.warehouse)


def _needs(conn: Connection, seen: Warehouses) -> tuple[list[_Need], dict[int, dict[str, Decimal]]]:
    """Every pair with its figures, and each item's excess per warehouse."""
    found = inputs.pairs(conn, seen)
    ids = {p.item_id for p in found}
    held, moving = inputs.stock(conn, ids), inputs.flows(conn, ids)
    offered = inputs.terms(conn, ids)
    nothing = inputs.Stock(Decimal(0), Decimal(0), Decimal(0))
    needs: list[_Need] = []
    excess: dict[int, dict[str, Decimal]] = {}
    for p in found:
        key = (p.item_id, p.warehouse_id)
        stock = held.get(key, nothing)
        spare = stock.free - moving.outgoing.get(key, Decimal(0)) - p.order_up_to
        if spare > 0 and p.tracking != "serial":
            excess.setdefault(p.item_id, {})[p.warehouse] = spare
        cover = days_of_cover(stock.on_hand - stock.reserved, p.demand)
        term = choose_supplier(offered.get(p.item_id, []))
        needs.append(
            _Need(p, stock, moving.on_order.get(key, Decimal(0)),
                  moving.incoming.get(key, Decimal(0)), cover, term)
        )  # fmt: skip
    return needs, excess


def _lines_of(
    need: _Need, excess: dict[str, Decimal], costs: dict[int, Decimal]
) -> list[tuple[SuggestionLine, Candidate]]:
    """The lines of one need (nothing above its reorder point), before the constraints."""
    p, s = need.pair, need.stock
    others = {code: qty for code, qty in excess.items() if code != p.warehouse}
    whole, sources = split_sources(
        on_hand=s.on_hand, on_order=need.on_order, in_transit=need.in_transit,
        reserved=s.reserved, reorder_point=p.reorder_point, order_up_to=p.order_up_to,
        excess=others, term=need.term, decimals=p.decimals,
    )  # fmt: skip
    out = []
    for source in sources:
        if source.warehouse is not None:
            excess[source.warehouse] -= source.quantity
        out.append(_line(need, whole, source.warehouse, source.quantity, source.working, costs))
    return out


def _price(need: _Need, costs: dict[int, Decimal]) -> tuple[Decimal | None, str | None]:
    if need.term is not None and need.term.price is not None:
        return need.term.price, "supplier"
    if need.pair.standard_cost is not None:
        return need.pair.standard_cost, "standard_cost"
    if need.pair.item_id in costs:
        return costs[need.pair.item_id], "moving_average"
    return None, None


def _line(
    need: _Need,
    whole: Suggestion,
    from_warehouse: str | None,
    quantity: Decimal,
    working: Suggestion | None,
    costs: dict[int, Decimal],
) -> tuple[SuggestionLine, Candidate]:
    p, term = need.pair, need.term
    transfer = from_warehouse is not None
    price, price_source = (None, None) if transfer else _price(need, costs)
    step = Decimal(1).scaleb(-p.decimals)
    pack = step if transfer or term is None or term.pack_size is None else term.pack_size
    minimum = Decimal(0) if transfer or term is None else term.minimum_order or Decimal(0)
    line = SuggestionLine(
        p.item, p.item_name, p.base_unit, p.warehouse, p.category_path, whole.on_hand,
        whole.on_order, whole.in_transit, whole.reserved, whole.position, whole.reorder_point,
        whole.order_up_to, need.cover, p.abc_class, "transfer" if transfer else "supplier",
        None if transfer or term is None else term.supplier, from_warehouse, quantity,
        "transfer" if working is None else working.rule,
        None if transfer or term is None else term.pack_size,
        None if transfer or term is None else term.minimum_order,
        price, price_source, quantity, None, None, None, None,
    )  # fmt: skip
    candidate = Candidate(
        line.key, p.item, p.warehouse, p.category_path, p.abc_class, need.cover, quantity,
        pack, minimum, price, transfer,
    )  # fmt: skip
    return line, candidate


def _kept(line: SuggestionLine, kept: Kept | None) -> SuggestionLine:
    if line.source == "supplier" and line.supplier is None:
        return replace(line, quantity=Decimal(0), reason="no_supplier")
    assert kept is not None
    return replace(
        line,
        quantity=kept.quantity,
        value=kept.value,
        reason=kept.reason,
        budget_left=kept.budget_left,
        capacity_left=kept.capacity_left,
    )


def suggestions(
    conn: Connection,
    today: date,
    seen: Warehouses = None,
    shown: SuggestionFilter | None = None,
) -> Suggestions:
    """The suggestions now in the warehouses the reader sees (``seen``), the most urgent need
    first (ABC class, then days of cover); ``shown`` picks the lines answered."""
    needs, excess = _needs(conn, seen)
    needs.sort(key=_Need.rank)
    costs = inputs.unit_costs(conn, {n.pair.item_id for n in needs if n.pair.standard_cost is None})
    made: list[tuple[SuggestionLine, Candidate]] = []
    for need in needs:
        made.extend(_lines_of(need, excess.get(need.pair.item_id, {}), costs))
    budgets = budgets_in_force(conn, today)
    capacity = inputs.capacity_left(conn)
    priced = [c for line, c in made if line.source == "transfer" or line.supplier is not None]
    kept = cut_to_constraints(priced, [b.as_budget() for b in budgets], capacity)
    lines = [_kept(line, kept.get(line.key)) for line, _ in made]
    return Suggestions(_shown(conn, lines, shown), budgets, capacity)


def _shown(
    conn: Connection, lines: list[SuggestionLine], shown: SuggestionFilter | None
) -> list[SuggestionLine]:
    """The lines the filter picks. Raises NotFound for a code that names nothing."""
    if shown is None:
        return lines
    for kind, table, code in (
        ("warehouse", warehouses, shown.warehouse), ("item", items, shown.item),
        ("category", categories, shown.category), ("partner", partners, shown.supplier),
    ):  # fmt: skip
        if (
            code is not None
            and conn.execute(select(table.c.id).where(table.c.code == code)).first() is None
        ):
            raise NotFound(kind, code)
    path = None
    if shown.category is not None:
        path = conn.execute(
            select(categories.c.path).where(categories.c.code == shown.category)
        ).scalar()
    return [
        line
        for line in lines
        if (shown.warehouse is None or line.warehouse == shown.warehouse)
        and (shown.item is None or line.item == shown.item)
        and (shown.supplier is None or line.supplier == shown.supplier)
        and (path is None or (line.category_path or "").startswith(path))
    ]
