"""Stock in transit: the lines of transfers dispatched and not yet received or resolved, with
their value (the item's stock value shared by quantity, as the valuation report does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from cangku.db.tables import (
    document_events,
    document_lines,
    documents,
    item_costs,
    items,
    locations,
    lots,
    warehouses,
)
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled
from cangku.queries.valuation import value_share

__all__ = ["TransitLine", "in_transit"]

_source = aliased(warehouses, name="source")
_dest = aliased(warehouses, name="dest")
_from = aliased(locations, name="from_bin")
_to = aliased(locations, name="to_bin")


@dataclass(frozen=True)
class TransitLine:
    number: str
    state: str
    from_warehouse: str
    to_warehouse: str
    #: when it was dispatched
    dispatched_at: datetime | None
    line_no: int
    item: str
    item_name: str
    base_unit: str
    lot: str | None
    from_location: str | None
    to_location: str | None
    dispatched: Decimal
    quantity: Decimal
    #: None where the reader may not see costs
    value: Decimal | None


def in_transit(
    conn: Connection,
    seen: Warehouses = None,
    *,
    warehouse: str | None = None,
    costs_seen: frozenset[str] | None = None,
) -> list[TransitLine]:
    """Every transfer line with goods in transit (dispatched - received - resolved > 0), the
    oldest dispatch first; ``seen``: the warehouses the reader sees (either end), ``warehouse``:
    only transfers from or to it, ``costs_seen``: the codes of the warehouses where the reader
    sees values (None: everywhere)."""
    dl = document_lines
    missing = dl.c.done - dl.c.accepted - dl.c.resolved
    dispatched = (
        select(func.max(document_events.c.at))
        .where(
            document_events.c.document_id == documents.c.id,
            document_events.c.step == "dispatch",
        )
        .scalar_subquery()
    )
    stmt = (
        select(
            documents.c.number,
            documents.c.state,
            _source.c.code,
            _dest.c.code,
            dispatched,
            dl.c.line_no,
            items.c.code,
            items.c.name,
            items.c.base_unit,
            lots.c.code,
            _from.c.code,
            _to.c.code,
            dl.c.done,
            missing,
            item_costs.c.quantity,
            item_costs.c.value,
        )
        .join_from(dl, documents, documents.c.id == dl.c.document_id)
        .join(_source, _source.c.id == documents.c.warehouse_id)
        .join(_dest, _dest.c.id == documents.c.to_warehouse_id)
        .join(items, items.c.id == dl.c.item_id)
        .outerjoin(lots, lots.c.id == dl.c.lot_id)
        .outerjoin(_from, _from.c.id == dl.c.location_id)
        .outerjoin(_to, _to.c.id == dl.c.target_location_id)
        .outerjoin(item_costs, item_costs.c.item_id == dl.c.item_id)
        .where(
            documents.c.doc_type == "transfer",
            documents.c.state.in_(["in_transit", "discrepancy"]),
            missing > 0,
        )
        .order_by(dispatched, documents.c.id, dl.c.line_no)
    )
    if seen is not None:
        ids = sorted(seen)
        stmt = stmt.where(documents.c.warehouse_id.in_(ids) | documents.c.to_warehouse_id.in_(ids))
    if warehouse is not None:
        stmt = stmt.where((_source.c.code == warehouse) | (_dest.c.code == warehouse))
    out = []
    for r in conn.execute(stmt):
        shown = costs_seen is None or r[2] in costs_seen
        value = value_share(int(r[15] or 0), int(r[13]), int(r[14] or 0)) if shown else None
        out.append(
            TransitLine(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                from_scaled(r[12]),
                from_scaled(r[13]),
                from_scaled(value) if value is not None else None,
            )  # fmt: skip
        )
    return out
