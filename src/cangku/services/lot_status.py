"""What a lot's status change writes, inside the change's transaction: the lot's row and its
history row, and, when the lot becomes unusable, the release of its reservations that no pick
list picks yet (so the allocator serves those requests from other lots).

Used by ``cangku.services.lots`` (the plain status change and the hold, quarantine, recall and
release verbs); it declares no action of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection

from cangku.db import documents as doc_store
from cangku.db import lots as store
from cangku.db import outbound as out_store
from cangku.db.lots import Lot
from cangku.db.outbound import AllocationRow
from cangku.domain.enums import LotStatus
from cangku.domain.lots import status_note
from cangku.domain.permissions import Actor
from cangku.domain.quantities import from_scaled

__all__ = ["Released", "apply_status"]


@dataclass(frozen=True)
class Released:
    """Reservations of one request a status change took back."""

    document: str
    quantity: Decimal
    #: the request's state after (an allocated request with nothing left reserved is approved)
    state: str


def apply_status(
    conn: Connection,
    actor: Actor,
    now: datetime,
    lot: Lot,
    new: LotStatus,
    reason: str | None,
) -> list[Released]:
    """Put ``lot`` in status ``new``: the row (with a line appended to its notes), a
    ``lot_events`` row, and for any status but available the release of its unpicked
    reservations, each request getting a "release" timeline event. Answers what was released."""
    notes = status_note(lot.notes, now, actor.username, lot.status, new, reason)
    store.update_lot(conn, lot.id, None, {"status": str(new), "notes": notes}, now)
    store.add_status_events(
        conn, [(lot.id, lot.status, new)], now, user_id=actor.user_id, reason=reason
    )
    if new is LotStatus.AVAILABLE:
        return []
    return _release_reservations(conn, actor, now, lot, new)


def _release_reservations(
    conn: Connection, actor: Actor, now: datetime, lot: Lot, new: LotStatus
) -> list[Released]:
    # Lock order as the allocator's (the request, then its items' advisory locks): a request
    # allocated meanwhile from the lot, still seeing it available, is found on the second
    # read; an allocator starting after this commits sees the new status.
    rows = store.unpicked_reservations(conn, lot.id)
    docs = {d: doc_store.lock_document_id(conn, d) for d in _document_ids(rows)}
    for warehouse_id in store.lot_warehouses(conn, lot.id):
        out_store.lock_items(conn, warehouse_id, [lot.item_id])
    rows = store.unpicked_reservations(conn, lot.id)
    for document_id in _document_ids(rows):
        if document_id not in docs:
            docs[document_id] = doc_store.lock_document_id(conn, document_id)
    if not rows:
        return []
    out_store.remove_allocations(conn, rows)
    still = store.documents_with_reservations(conn, list(docs))
    released: list[Released] = []
    for document_id, doc in sorted(docs.items()):
        quantity = sum(r.quantity for r in rows if r.document_id == document_id)
        if not quantity:
            continue
        state = doc.state
        if (
            state == "allocated"
            and document_id not in still
            and doc_store.set_state(conn, document_id, "allocated", "approved", now)
        ):
            state = "approved"
        amount = from_scaled(quantity)
        doc_store.add_event(
            conn, document_id, now, actor.user_id, "release", doc.state, state,
            note=f"lot {lot.code} {new}",
            data={"lot": lot.code, "item": lot.item, "released": str(amount)},
        )  # fmt: skip
        released.append(Released(doc.number, amount, state))
    return released


def _document_ids(rows: list[AllocationRow]) -> list[int]:
    return sorted({r.document_id for r in rows if r.document_id is not None})
