"""What follows a receipt: the inspection of what needs one, the put-away of the rest (with
suggested bins), and the receipt's registration once everything is stored."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.domain.inbound import INSPECTION, PUTAWAY, RECEIPT, suggest_bin
from cangku.domain.permissions import Actor
from cangku.services.documents import advance, create_document

__all__ = ["ToStore", "open_followups", "open_putaway", "register_if_done"]


@dataclass(frozen=True)
class ToStore:
    item_id: int
    lot_id: int | None
    quantity: int
    location_id: int
    #: the receipt line the goods came in on
    receipt_line_id: int


def open_putaway(
    conn: Connection,
    receipt: store.DocumentRow,
    goods: list[ToStore],
    actor: Actor,
    now: datetime,
    items: dict[object, loads.InboundItem] | None = None,
) -> str | None:
    """A put-away (PA) for goods waiting in receiving or quality, each line with a suggested
    bin by the warehouse's put-away rules (item, then category, then type; room and item type
    respected) and the item's default location last. ``items``: the goods' items if the
    caller loaded them already."""
    if not goods:
        return None
    if items is None:
        items = loads.inbound_items(conn, ids=[g.item_id for g in goods])
    rules = loads.putaway_rules_of(conn, receipt.warehouse_id)
    defaults = [
        i.default_location_id
        for i in items.values()
        if isinstance(i, loads.InboundItem) and i.default_location_id
    ]
    bins = loads.bins(conn, ids=[r.location_id for r in rules] + defaults)
    free = {key: b for key, b in bins.items() if isinstance(key, int)}
    rows: list[dict[str, Any]] = []
    for line_no, entry in enumerate(goods, start=1):
        item = items[entry.item_id]
        assert isinstance(item, loads.InboundItem)
        target = suggest_bin(
            item.id,
            item.category_path,
            item.item_type,
            entry.quantity,
            rules,
            free,
            item.default_location_id,
        )
        if target is not None and free[target].free is not None:
            free[target] = replace(free[target], free=free[target].free - entry.quantity)  # type: ignore[operator]
        rows.append(
            {
                "line_no": line_no,
                "item_id": entry.item_id,
                "lot_id": entry.lot_id,
                "quantity": entry.quantity,
                "location_id": entry.location_id,
                "target_location_id": target,
                "source_line_id": entry.receipt_line_id,
            }
        )
    _, putaway = create_document(
        conn, PUTAWAY, actor, now,
        warehouse_id=receipt.warehouse_id, warehouse_code=receipt.warehouse_code,
        lines=rows, origin_id=receipt.id, partner_id=receipt.partner_id,
        due_on=receipt.due_on,
    )  # fmt: skip
    return putaway


def open_followups(
    conn: Connection,
    receipt: store.DocumentRow,
    lines: list[store.LineRow],
    inspect: dict[int, bool],
    actor: Actor,
    now: datetime,
    items: dict[object, loads.InboundItem] | None = None,
) -> dict[str, Any]:
    """After a receipt is received: an inspection (QC) of the lines that need one, a put-away
    (PA) of the others."""
    to_inspect = [line for line in lines if inspect[line.id]]
    inspection = None
    if to_inspect:
        _, inspection = create_document(
            conn, INSPECTION, actor, now,
            warehouse_id=receipt.warehouse_id, warehouse_code=receipt.warehouse_code,
            lines=[
                {
                    "line_no": number, "item_id": line.item_id, "lot_id": line.lot_id,
                    "quantity": line.quantity, "location_id": line.location_id,
                    "source_line_id": line.id,
                }
                for number, line in enumerate(to_inspect, start=1)
            ],
            origin_id=receipt.id, partner_id=receipt.partner_id, due_on=receipt.due_on,
        )  # fmt: skip
    putaway = open_putaway(
        conn,
        receipt,
        [
            ToStore(line.item_id, line.lot_id, line.quantity, line.location_id, line.id)  # type: ignore[arg-type]
            for line in lines
            if not inspect[line.id]
        ],
        actor,
        now,
        items,
    )
    return {"inspection": inspection, "putaway": putaway}


def register_if_done(
    conn: Connection, receipt_id: int, actor: Actor, now: datetime, closing: str | None = None
) -> bool:
    """Register (入库完成) a received receipt once no inspection or put-away made from it is
    still open (``closing``: the one whose step is finishing it now). Answers whether it did."""
    receipt = store.lock_document_id(conn, receipt_id)
    if receipt.state != "received":
        return False
    children = [INSPECTION.doc_type, PUTAWAY.doc_type]
    if [n for n in store.open_children(conn, receipt.id, children, ["open"]) if n != closing]:
        return False
    advance(conn, RECEIPT, receipt, "register", actor, now)
    return True
