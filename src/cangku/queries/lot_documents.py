"""The documents whose lines name a lot: where it came from and what happened to it since (the lot
page's documents table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from cangku.db.tables import document_lines, documents, partners
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled
from cangku.queries.document_summary import origins, visible

__all__ = ["LotOrigin", "documents_of_lot"]


@dataclass(frozen=True)
class LotOrigin:
    """A document line that names a lot: a receipt (with its order), an inspection, a return."""

    number: str
    doc_type: str
    state: str
    line_no: int
    quantity: Decimal
    at: datetime
    partner: str | None
    #: the document it was made from (a receipt's purchase order)
    origin: str | None
    reference: str | None


def documents_of_lot(
    conn: Connection, lot_id: int, warehouses_seen: Warehouses = None
) -> list[LotOrigin]:
    """The documents whose lines name the lot, oldest first: where it came from (the receipt and
    its purchase order, the supplier's delivery note) and what happened to it since."""
    stmt = (
        select(
            documents.c.number,
            documents.c.doc_type,
            documents.c.state,
            document_lines.c.line_no,
            document_lines.c.quantity,
            documents.c.created_at,
            partners.c.code,
            origins.c.number,
            documents.c.reference,
        )
        .join_from(document_lines, documents, documents.c.id == document_lines.c.document_id)
        .outerjoin(partners, partners.c.id == documents.c.partner_id)
        .outerjoin(origins, origins.c.id == documents.c.origin_id)
        .where(document_lines.c.lot_id == lot_id)
        .order_by(documents.c.id, document_lines.c.line_no)
    )
    seen = visible(warehouses_seen)
    if seen is not None:
        stmt = stmt.where(seen)
    return [
        LotOrigin(r[0], r[1], r[2], r[3], from_scaled(r[4]), r[5], r[6], r[7], r[8])
        for r in conn.execute(stmt)
    ]
