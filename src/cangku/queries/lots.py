"""Read side of lots and serial numbers."""

from __future__ import annotations

from datetime import date

from cangku.db import lots as store
from cangku.db.lookups import item_by_code
from cangku.db.lots import Lot
from cangku.db.tables import items, lots
from cangku.db.uow import Database
from cangku.queries.common import Page, paginate, text_filter

__all__ = ["Lot", "get_lot", "get_lot_by_id", "list_lots", "list_serials"]


def get_lot(db: Database, item: str, code: str) -> Lot:
    """The lot (or serial) ``code`` of item ``item`` (code or barcode).

    Raises NotFound (``item_not_found``, ``lot_not_found``).
    """
    with db.read() as conn:
        info = item_by_code(conn, item)
        return store.lot_for_item(conn, info.id, info.code, code)


def get_lot_by_id(db: Database, lot_id: int) -> Lot:
    """The lot with id ``lot_id``; raises NotFound (``lot_not_found``)."""
    with db.read() as conn:
        return store.lot_by_id(conn, lot_id)


def list_lots(
    db: Database,
    item: str | None = None,
    status: str | None = None,
    expiring_before: date | None = None,
    q: str | None = None,
    is_serial: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Lot]:
    """Lots by item code and lot code.

    ``expiring_before`` keeps lots whose expiry date is before that date; ``q`` searches the
    lot code, the supplier lot and the item code. Raises NotFound for an unknown item,
    InvalidInput (``invalid_lot_status``) for an unknown status.
    """
    stmt = store.lot_select().order_by(items.c.code, lots.c.code, lots.c.id)
    found = text_filter(q, lots.c.code, lots.c.supplier_lot, items.c.code)
    if found is not None:
        stmt = stmt.where(found)
    if status is not None:
        stmt = stmt.where(lots.c.status == str(store.check_status(status)))
    if expiring_before is not None:
        stmt = stmt.where(lots.c.expires_on < expiring_before)
    if is_serial is not None:
        stmt = stmt.where(lots.c.is_serial.is_(is_serial))
    with db.read() as conn:
        if item is not None:
            stmt = stmt.where(lots.c.item_id == item_by_code(conn, item).id)
        rows, total = paginate(conn, stmt, limit, offset)
    return Page([store.lot_from_row(r) for r in rows], total, limit, offset)


def list_serials(
    db: Database,
    item: str | None = None,
    status: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Lot]:
    """Serial numbers (lots with ``is_serial``), filtered like ``list_lots``."""
    return list_lots(db, item=item, status=status, q=q, is_serial=True, limit=limit, offset=offset)
