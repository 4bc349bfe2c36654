"""What is on order: base units ordered on purchase orders and not received yet (what the stock
pages show beside on hand)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, case, func, select

from cangku.db.tables import document_lines, documents, items
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled

__all__ = ["on_order", "on_order_of"]


def on_order(
    conn: Connection, item_ids: list[int] | None = None, warehouse_id: int | None = None
) -> dict[tuple[int, int], Decimal]:
    """(item id, warehouse id) -> base units ordered and not received yet, over confirmed and
    partly received purchase orders (what the stock pages show beside on hand)."""
    open_qty = func.sum(
        case(
            (
                document_lines.c.quantity > document_lines.c.done,
                document_lines.c.quantity - document_lines.c.done,
            ),
            else_=0,
        )
    )
    stmt = (
        select(document_lines.c.item_id, documents.c.warehouse_id, open_qty)
        .join(documents, documents.c.id == document_lines.c.document_id)
        .where(
            documents.c.doc_type == "purchase_order",
            documents.c.state.in_(["confirmed", "partially_received"]),
        )
        .group_by(document_lines.c.item_id, documents.c.warehouse_id)
    )
    if item_ids is not None:
        stmt = stmt.where(document_lines.c.item_id.in_(item_ids))
    if warehouse_id is not None:
        stmt = stmt.where(documents.c.warehouse_id == warehouse_id)
    return {(int(r[0]), int(r[1])): from_scaled(r[2]) for r in conn.execute(stmt) if r[2]}


def on_order_of(conn: Connection, item_code: str, warehouses_seen: Warehouses = None) -> Decimal:
    """Base units of one item on order, over the warehouses the reader sees."""
    item_id = conn.execute(select(items.c.id).where(items.c.code == item_code)).scalar()
    if item_id is None:
        return Decimal(0)
    found = on_order(conn, [int(item_id)])
    return sum(
        (qty for (_, wh), qty in found.items() if warehouses_seen is None or wh in warehouses_seen),
        start=Decimal(0),
    )
