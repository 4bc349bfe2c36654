"""What came into and went out of the stock in view over a period, by what was on the other
side of the move: one grouped read of the moves effective in (opening, closing], each at the
value the ledger posted it with (never re-costed).

A move counts where it crosses the edge of the stock in view: into a valued location in view
from anywhere else, or out of one to anywhere else. For the whole company a transfer between
warehouses crosses nothing; in view of one warehouse it is a transfer in or out.

Kinds of flow (``FLOW_KINDS``): ``received`` (from a supplier), ``produced`` (output of
production: from the production location, other than a return or a reversal),
``supplier_return`` (back to
one), ``issued`` (to customers and production), ``returned`` (back from them), ``adjusted_in``
and ``adjusted_out`` (to and from the adjustment and scrap locations), ``transfer_in`` and
``transfer_out`` (from and to another warehouse's stock).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from cangku.db.checkpoints import RETURN_DOC
from cangku.domain.enums import LocationKind
from cangku.domain.permissions import Warehouses
from cangku.queries.reports.crossings import crossings, item_in
from cangku.queries.stock import VALUED

__all__ = [
    "FLOW_KINDS",
    "RETURN_DOC",
    "Flow",
    "company_crossing",
    "demand",
    "flows",
    "sum_flows",
]

FLOW_KINDS = (
    "received",
    "produced",
    "supplier_return",
    "issued",
    "returned",
    "adjusted_in",
    "adjusted_out",
    "transfer_in",
    "transfer_out",
)
_IN = {
    LocationKind.SUPPLIER: "received",
    LocationKind.CUSTOMER: "returned",
    LocationKind.PRODUCTION: "returned",
    LocationKind.ADJUSTMENT: "adjusted_in",
    LocationKind.SCRAP: "adjusted_in",
}
_OUT = {
    LocationKind.SUPPLIER: "supplier_return",
    LocationKind.CUSTOMER: "issued",
    LocationKind.PRODUCTION: "issued",
    LocationKind.ADJUSTMENT: "adjusted_out",
    LocationKind.SCRAP: "adjusted_out",
}
#: up to this many items the read names them; more, and it reads all and keeps the wanted
FEW = 500


@dataclass(frozen=True, slots=True)
class Flow:
    """Grouped moves of one item in one interval (``k``; 0 without intervals) that crossed
    into (``warehouse`` the side in view) or out of the stock in view."""

    item: int
    k: int
    kind: str
    warehouse: int
    quantity: int
    value: int


def flows(
    conn: Connection,
    opening: datetime,
    closing: datetime,
    wanted: set[int],
    warehouses: Warehouses,
    *,
    bounds: Sequence[datetime] = (),
    by_warehouse: bool = False,
    per_item: bool = True,
    among: Any = None,
) -> Iterator[Flow]:
    """The flows of the items ``wanted`` over (``opening``, ``closing``], in view of
    ``warehouses`` (None: all), per interval (the index of the first of ``bounds`` at or after
    the move: interval k ends at bounds[k]; none: all in 0). ``by_warehouse``: a transfer
    between two warehouses both in view is a flow out of one and into the other.
    ``per_item`` False sums the items together (``Flow.item`` 0): the read then restricts the
    items in SQL, by ``among`` (a select of their ids; None: every item) unless they are few."""
    inner_ok = warehouses is not None or by_warehouse
    items: Any = None
    if len(wanted) <= FEW:
        items = item_in(sorted(wanted))
    elif not per_item and among is not None:
        items = item_in(among)
    rows = crossings(
        conn, opening, bounds, through=closing, items=items,
        crossing=None if inner_ok else company_crossing,
    )  # fmt: skip
    keys: list[Any] = [rows.c.from_kind, rows.c.to_kind]
    keys += [rows.c.from_warehouse_id, rows.c.to_warehouse_id, rows.c.back]
    if bounds:
        keys.append(rows.c.k)
    stmt = select(
        *keys, func.sum(rows.c.quantity).label("q"), func.sum(rows.c.value).label("v")
    ).group_by(*keys)
    if per_item:
        stmt = stmt.add_columns(rows.c.item_id.label("item")).group_by(rows.c.item_id)

    def inside(kind: str, warehouse: int) -> bool:
        return kind in VALUED and (warehouses is None or warehouse in warehouses)

    seen: dict[tuple[Any, ...], tuple[tuple[str, int], ...]] = {}

    def sides(sk: str, dk: str, sw: int, dw: int, back: bool) -> tuple[tuple[str, int], ...]:
        """(kind of flow, warehouse in view) for each side of the stock in view it crosses."""
        key = (sk, dk, sw, dw, back)
        if key not in seen:
            into, out = inside(dk, dw), inside(sk, sw)
            found: list[tuple[str, int]] = []
            if not (into and out and (sw == dw or not by_warehouse)):
                if into:
                    kind = "transfer_in" if sk in VALUED else _IN[LocationKind(sk)]
                    if sk == LocationKind.PRODUCTION and not back:
                        kind = "produced"
                    found.append((kind, dw))
                if out:
                    kind = "transfer_out" if dk in VALUED else _OUT[LocationKind(dk)]
                    found.append((kind, sw))
            seen[key] = tuple(found)
        return seen[key]

    # columns: sk, dk, sw, dw, back, [k], q, v, [item] (plain tuples: a million rows are read)
    timed = bool(bounds)
    last = -1 if per_item else len(keys) + 2
    for row in conn.execute(stmt):
        item = int(row[-1]) if per_item else 0
        if per_item and item not in wanted:
            continue
        crossed = sides(row[0], row[1], int(row[2]), int(row[3]), bool(row[4]))
        if not crossed:
            continue
        interval = int(row[5]) if timed else 0
        q, v = int(row[last - 2] or 0), int(row[last - 1] or 0)
        for kind, warehouse in crossed:
            yield Flow(item, interval, kind, warehouse, q, v)


def demand(
    conn: Connection,
    opening: datetime,
    closing: datetime,
    wanted: set[int],
    warehouses: Warehouses,
    *,
    bounds: Sequence[datetime] = (),
) -> dict[tuple[int, int], tuple[int, int]]:
    """Per (item, interval as in ``flows``): the quantity and value ``issued`` less
    ``returned`` over (``opening``, ``closing``], in view of ``warehouses``: the same figures
    as ``flows`` gives, classified and summed in SQL (a year of weekly demand is millions of
    flows)."""
    rows = crossings(conn, opening, bounds, through=closing,
                     items=item_in(sorted(wanted)) if len(wanted) <= FEW else None)  # fmt: skip

    def in_view(kind: Any, warehouse: Any) -> Any:
        inside = kind.in_(VALUED)
        return inside if warehouses is None else and_(inside, warehouse.in_(sorted(warehouses)))

    consumers = (str(LocationKind.CUSTOMER), str(LocationKind.PRODUCTION))
    came_back = or_(
        rows.c.from_kind == str(LocationKind.CUSTOMER),
        and_(rows.c.from_kind == str(LocationKind.PRODUCTION), rows.c.back.is_(True)),
    )
    sign = case(
        (and_(rows.c.to_kind.in_(consumers), in_view(rows.c.from_kind,
                                                      rows.c.from_warehouse_id)), 1),
        (and_(came_back, in_view(rows.c.to_kind, rows.c.to_warehouse_id)), -1),
        else_=0,
    )  # fmt: skip
    stmt = (
        select(
            rows.c.item_id,
            rows.c.k,
            func.sum(sign * rows.c.quantity),
            func.sum(sign * rows.c.value),
        )  # fmt: skip
        .where(sign != 0)
        .group_by(rows.c.item_id, rows.c.k)
    )
    return {
        (int(item), int(k)): (int(q or 0), int(v or 0))
        for item, k, q, v in conn.execute(stmt)
        if int(item) in wanted
    }


def company_crossing(sk: Any, dk: Any, _sw: Any, _dw: Any) -> Any:
    """Into or out of the company's valued stock (a transfer between warehouses is not)."""
    return ~and_(sk.in_(VALUED), dk.in_(VALUED))


def sum_flows(
    found: Iterator[Flow], group_of: Callable[[Flow], Hashable | None]
) -> dict[Hashable, dict[str, list[int]]]:
    """Per group, per kind of flow: [quantity, value]."""
    sums: defaultdict[Hashable, dict[str, list[int]]] = defaultdict(
        lambda: {kind: [0, 0] for kind in FLOW_KINDS}
    )
    for flow in found:
        group = group_of(flow)
        if group is None:
            continue
        figures = sums[group][flow.kind]
        figures[0] += flow.quantity
        figures[1] += flow.value
    return sums
