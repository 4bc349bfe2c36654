"""Reading documents' timelines for the supplier and cycle reports: when each document of a
kind reached a state, in a few set-based reads (no read per document)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from cangku.db.tables import document_events, documents
from cangku.queries.reports.common import ReportQuery

__all__ = ["DAY_SECONDS", "days_between", "documents_of", "first_reached", "stats"]

DAY_SECONDS = Decimal(86400)


def documents_of(
    conn: Connection, query: ReportQuery, doc_types: Sequence[str], *, partner: bool = False
) -> list[Any]:
    """(id, doc_type, number, warehouse_id, partner_id, origin_id, state) of the documents of
    ``doc_types`` in the warehouses in view (and of the supplier filtered, when ``partner``)."""
    stmt = select(
        documents.c.id,
        documents.c.doc_type,
        documents.c.number,
        documents.c.warehouse_id,
        documents.c.partner_id,
        documents.c.origin_id,
        documents.c.state,
    ).where(documents.c.doc_type.in_(doc_types))
    if query.scope.warehouses is not None:
        stmt = stmt.where(documents.c.warehouse_id.in_(sorted(query.scope.warehouses)))
    if partner and query.scope.supplier_id is not None:
        stmt = stmt.where(documents.c.partner_id == query.scope.supplier_id)
    return list(conn.execute(stmt))


def first_reached(
    conn: Connection, ids: Iterable[int], *, states: Sequence[str] = (), steps: Sequence[str] = ()
) -> dict[int, datetime]:
    """Per document of ``ids``: when it first reached one of ``states`` (or first took one of
    ``steps``)."""
    wanted = sorted(set(ids))
    found: dict[int, datetime] = {}
    condition = (
        document_events.c.to_state.in_(states) if states else document_events.c.step.in_(steps)
    )
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        stmt = (
            select(document_events.c.document_id, func.min(document_events.c.at))
            .where(document_events.c.document_id.in_(chunk), condition)
            .group_by(document_events.c.document_id)
        )
        found.update({int(doc): at for doc, at in conn.execute(stmt) if at is not None})
    return found


def days_between(start: datetime, end: datetime) -> Decimal:
    """Elapsed days, exact to the second."""
    return Decimal(int((end - start).total_seconds())) / DAY_SECONDS


def stats(values: list[Decimal]) -> tuple[Any, ...]:
    """(count, mean, median, 90th percentile (nearest rank), least, most), in days to one
    place; None figures without values."""
    if not values:
        return (0, None, None, None, None, None)
    ordered = sorted(values)
    n = len(ordered)
    median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    rank = -(-9 * n // 10)  # nearest rank: ceil(0.9 n)
    tenth = Decimal("0.1")
    return (
        n,
        (sum(ordered, Decimal(0)) / n).quantize(tenth),
        median.quantize(tenth),
        ordered[rank - 1].quantize(tenth),
        ordered[0].quantize(tenth),
        ordered[-1].quantize(tenth),
    )
