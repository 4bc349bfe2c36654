"""Reading adjustments: one with its lines' directions, and the list (``queries.documents``
does the rest: header, lines, timeline, the moves it wrote)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from cangku.db.tables import document_lines, documents
from cangku.domain.adjustments import ADJUSTMENT
from cangku.domain.errors import NotFound
from cangku.domain.permissions import Warehouses
from cangku.queries.common import Page
from cangku.queries.documents import DocumentSummary, DocumentView, get_document, list_documents

__all__ = ["AdjustmentView", "get_adjustment", "list_adjustments"]


@dataclass(frozen=True)
class AdjustmentView:
    document: DocumentView
    #: line number -> gain, loss or scrap
    directions: dict[int, str]


def get_adjustment(
    conn: Connection, number: str, warehouses_seen: Warehouses = None, today: date | None = None
) -> AdjustmentView:
    """One adjustment. NotFound ``adjustment_not_found`` when there is none by that number (or
    it lies in a warehouse the reader may not see)."""
    try:
        view = get_document(conn, number, warehouses_seen, today)
    except NotFound:
        raise NotFound(ADJUSTMENT.doc_type, number) from None
    if view.doc_type != ADJUSTMENT.doc_type:
        raise NotFound(ADJUSTMENT.doc_type, number)
    rows = conn.execute(
        select(document_lines.c.line_no, document_lines.c.direction)
        .join(documents, documents.c.id == document_lines.c.document_id)
        .where(documents.c.number == number)
    )
    return AdjustmentView(view, {int(r[0]): str(r[1] or "") for r in rows})


def list_adjustments(
    conn: Connection,
    *,
    state: str | None = None,
    warehouse: str | None = None,
    item: str | None = None,
    warehouses_seen: Warehouses = None,
    today: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[DocumentSummary]:
    """Adjustments, newest first. InvalidInput ``unknown_state``."""
    return list_documents(
        conn, ADJUSTMENT.doc_type, state=state, warehouse=warehouse, item=item,
        warehouses_seen=warehouses_seen, today=today, limit=limit, offset=offset,
    )  # fmt: skip
