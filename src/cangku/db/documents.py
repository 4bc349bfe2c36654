"""The document store: numbers, headers, lines, timelines and the outbox.

Set-based on purpose (DESIGN.md section 8, "load, decide, write"): a step reads its lines in
one statement and writes them back in one batched statement, so a 5,000-line document costs
the statements of a 5-line one plus the rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from cangku.db.statements import upsert
from cangku.db.tables import (
    document_counters,
    document_events,
    document_lines,
    documents,
    outbox,
    warehouses,
)
from cangku.domain.errors import NotFound

__all__ = [
    "DocumentRow",
    "LineRow",
    "add_event",
    "add_outbox",
    "document_by_number",
    "event_data",
    "insert_document",
    "insert_lines",
    "lines_of",
    "lock_document",
    "next_number",
    "set_state",
    "update_lines",
]


@dataclass(frozen=True)
class DocumentRow:
    id: int
    doc_type: str
    number: str
    warehouse_id: int
    warehouse_code: str
    partner_id: int | None
    origin_id: int | None
    state: str
    created_by: int
    assignee_id: int | None
    due_on: date | None
    reference: str | None
    note: str | None
    total_value: int | None
    approved_by: int | None
    version: int
    #: a transfer's destination warehouse (None: every other document)
    to_warehouse_id: int | None = None

    @property
    def destination_id(self) -> int:
        """Where the document's goods arrive: a transfer's destination, else its warehouse."""
        return self.to_warehouse_id if self.to_warehouse_id is not None else self.warehouse_id


_HEADER = select(
    documents.c.id,
    documents.c.doc_type,
    documents.c.number,
    documents.c.warehouse_id,
    warehouses.c.code,
    documents.c.partner_id,
    documents.c.origin_id,
    documents.c.state,
    documents.c.created_by,
    documents.c.assignee_id,
    documents.c.due_on,
    documents.c.reference,
    documents.c.note,
    documents.c.total_value,
    documents.c.approved_by,
    documents.c.version,
    documents.c.to_warehouse_id,
).join_from(documents, warehouses, warehouses.c.id == documents.c.warehouse_id)


def _document(row: Any) -> DocumentRow:
    return DocumentRow(*row)


def document_by_number(conn: Connection, doc_type: str, number: str) -> DocumentRow:
    """Raises NotFound ``<doc_type>_not_found``."""
    row = conn.execute(
        _HEADER.where(documents.c.number == number, documents.c.doc_type == doc_type)
    ).first()
    if row is None:
        raise NotFound(doc_type, number)
    return _document(row)


def document_by_id(conn: Connection, document_id: int) -> DocumentRow:
    row = conn.execute(_HEADER.where(documents.c.id == document_id)).first()
    if row is None:
        raise NotFound("document", document_id)
    return _document(row)


def lock_document(conn: Connection, doc_type: str, number: str) -> DocumentRow:
    """The document's header, its row locked until the transaction ends (PostgreSQL; SQLite's
    writer holds the whole database). Raises NotFound."""
    stmt = _HEADER.where(documents.c.number == number, documents.c.doc_type == doc_type)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=documents)
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound(doc_type, number)
    return _document(row)


def lock_document_id(conn: Connection, document_id: int) -> DocumentRow:
    """``lock_document`` by id (a receipt's order)."""
    stmt = _HEADER.where(documents.c.id == document_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=documents)
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound("document", document_id)
    return _document(row)


def open_children(
    conn: Connection, origin_id: int, doc_types: Sequence[str], open_states: Sequence[str]
) -> list[str]:
    """Numbers of the documents made from ``origin_id`` that are still open."""
    rows = conn.execute(
        select(documents.c.number).where(
            documents.c.origin_id == origin_id,
            documents.c.doc_type.in_(list(doc_types)),
            documents.c.state.in_(list(open_states)),
        )
    )
    return [r[0] for r in rows]


def next_number(conn: Connection, doc_type: str, warehouse_id: int, year: int) -> int:
    """The next number of a document type in a warehouse and year: the counter row is
    incremented in place (its lock orders concurrent creators), never ``max() + 1``."""
    key = (
        (document_counters.c.doc_type == doc_type)
        & (document_counters.c.warehouse_id == warehouse_id)
        & (document_counters.c.year == year)
    )
    bump = (
        update(document_counters)
        .where(key)
        .values(last=document_counters.c.last + 1)
        .returning(document_counters.c.last)
    )
    found = conn.execute(bump).scalar()
    if found is not None:
        return int(found)
    conn.execute(
        upsert(conn)(document_counters)
        .values(doc_type=doc_type, warehouse_id=warehouse_id, year=year, last=0)
        .on_conflict_do_nothing()
    )
    return int(conn.execute(bump).scalar_one())


def insert_document(conn: Connection, values: dict[str, Any]) -> int:
    return int(
        conn.execute(insert(documents).values(**values).returning(documents.c.id)).scalar_one()
    )


def _array_types(conn: Connection, columns: Sequence[str]) -> list[str]:
    """``%s::<type>[]`` for each column: one array parameter per column (PostgreSQL)."""
    return [f"%s::{document_lines.c[c].type.compile(dialect=conn.dialect)}[]" for c in columns]


def insert_lines(conn: Connection, document_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """Insert a document's lines in one batched statement (each row names its ``line_no``).

    On PostgreSQL one ``INSERT ... SELECT FROM unnest(<an array per column>)``: psycopg's
    executemany runs each row as a statement of its own (pipelined), 0.14 s for 5,000 lines
    here, a multi-row VALUES list 0.4 s (binding 55,000 parameters), the arrays 0.06 s."""
    if not rows:
        return
    # one shape for the batch: an executemany takes its columns from the first row
    keys = ["document_id", *sorted({key for row in rows for key in row} - {"document_id"})]
    if conn.dialect.name != "postgresql":
        conn.execute(
            insert(document_lines),
            [{"document_id": document_id, **{k: row.get(k) for k in keys[1:]}} for row in rows],
        )
        return
    sql = (
        f"INSERT INTO document_lines ({', '.join(keys)})"  # noqa: S608 - column names
        f" SELECT * FROM unnest({', '.join(_array_types(conn, keys))})"
    )
    arrays = [[document_id] * len(rows)] + [[row.get(k) for row in rows] for k in keys[1:]]
    conn.exec_driver_sql(sql, tuple(arrays))


@dataclass(frozen=True)
class LineRow:
    id: int
    line_no: int
    item_id: int
    quantity: int
    done: int
    accepted: int
    rejected: int
    unit: str | None
    unit_quantity: int | None
    unit_price: int | None
    base_price: int | None
    expected_on: date | None
    lot_id: int | None
    location_id: int | None
    target_location_id: int | None
    source_line_id: int | None
    move_id: int | None
    reason_code: str | None
    sample_size: int | None
    note: str | None
    disposition: str | None = None
    #: an adjustment line's direction (gain, loss, scrap)
    direction: str | None = None
    #: of a transfer line's discrepancy, what was resolved
    resolved: int = 0


_LINES = select(
    document_lines.c.id,
    document_lines.c.line_no,
    document_lines.c.item_id,
    document_lines.c.quantity,
    document_lines.c.done,
    document_lines.c.accepted,
    document_lines.c.rejected,
    document_lines.c.unit,
    document_lines.c.unit_quantity,
    document_lines.c.unit_price,
    document_lines.c.base_price,
    document_lines.c.expected_on,
    document_lines.c.lot_id,
    document_lines.c.location_id,
    document_lines.c.target_location_id,
    document_lines.c.source_line_id,
    document_lines.c.move_id,
    document_lines.c.reason_code,
    document_lines.c.sample_size,
    document_lines.c.note,
    document_lines.c.disposition,
    document_lines.c.direction,
    document_lines.c.resolved,
)


def lines_of(conn: Connection, document_id: int) -> list[LineRow]:
    """A document's lines in line order, in one statement."""
    rows = conn.execute(
        _LINES.where(document_lines.c.document_id == document_id).order_by(document_lines.c.line_no)
    )
    return [LineRow(*row) for row in rows]  # type: ignore[call-arg]


def lines_of_documents(conn: Connection, document_ids: Sequence[int]) -> dict[int, list[LineRow]]:
    """The lines of several documents (a receipt's inspections), in one statement."""
    found: dict[int, list[LineRow]] = {i: [] for i in document_ids}
    if not document_ids:
        return found
    rows = conn.execute(
        select(document_lines.c.document_id, *_LINES.selected_columns)
        .where(document_lines.c.document_id.in_(list(document_ids)))
        .order_by(document_lines.c.document_id, document_lines.c.line_no)
    )
    for row in rows:
        found[row[0]].append(LineRow(*row[1:]))
    return found


def update_lines(conn: Connection, changes: Sequence[dict[str, Any]]) -> None:
    """Change lines in one batched statement per shape: each change names the ``line_id`` and
    ``add_<column>`` (added to a count: done, accepted, rejected) or ``set_<column>`` keys."""
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        by_shape.setdefault(tuple(sorted(change)), []).append(change)
    if conn.dialect.name == "postgresql":
        for shape, rows in by_shape.items():
            _update_lines_pg(conn, shape, rows)
        return
    for shape, rows in by_shape.items():
        values: dict[str, Any] = {}
        for key in shape:
            if key == "line_id":
                continue
            how, column = key.split("_", 1)
            values[column] = (
                document_lines.c[column] + bindparam(key) if how == "add" else bindparam(key)
            )
        stmt = update(document_lines).where(document_lines.c.id == bindparam("line_id"))
        conn.execute(stmt.values(**values), rows)


def _update_lines_pg(conn: Connection, shape: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """``update_lines`` on PostgreSQL: one ``UPDATE ... FROM unnest(<an array per column>)``
    instead of psycopg's executemany (a statement per row)."""
    keys = ["line_id", *(key for key in shape if key != "line_id")]
    columns = ["id" if key == "line_id" else key.split("_", 1)[1] for key in keys]
    sets = [
        f"{column} = d.{column} + v.{key}" if key.startswith("add_") else f"{column} = v.{key}"
        for key, column in zip(keys[1:], columns[1:], strict=True)
    ]
    if not sets:
        return
    sql = (
        f"UPDATE document_lines AS d SET {', '.join(sets)}"  # noqa: S608 - column names
        f" FROM unnest({', '.join(_array_types(conn, columns))}) AS v ({', '.join(keys)})"
        " WHERE d.id = v.line_id"
    )
    conn.exec_driver_sql(sql, tuple([row[k] for row in rows] for k in keys))


def set_state(
    conn: Connection,
    document_id: int,
    from_state: str,
    to_state: str,
    now: datetime,
    **values: Any,
) -> bool:
    """Move a document from ``from_state`` to ``to_state`` (and set ``values``) if it is still in
    ``from_state``: False when another transaction moved it first."""
    result = conn.execute(
        update(documents)
        .where(documents.c.id == document_id, documents.c.state == from_state)
        .values(state=to_state, updated_at=now, version=documents.c.version + 1, **values)
    )
    return bool(result.rowcount)


def set_fields(conn: Connection, document_id: int, now: datetime, **values: Any) -> None:
    conn.execute(
        update(documents)
        .where(documents.c.id == document_id)
        .values(updated_at=now, version=documents.c.version + 1, **values)
    )


def add_event(
    conn: Connection,
    document_id: int,
    at: datetime,
    user_id: int,
    step: str,
    from_state: str | None,
    to_state: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(document_events).values(
            document_id=document_id,
            at=at,
            user_id=user_id,
            step=step,
            from_state=from_state,
            to_state=to_state,
            note=note,
            data=json.dumps(data, sort_keys=True, default=str) if data else None,
        )
    )


def event_data(conn: Connection, document_id: int, step: str) -> dict[str, Any]:
    """The data of the document's first event of ``step`` ({} when there is none, or it has
    none): the create event's is what the document was raised with beyond its header."""
    raw = conn.execute(
        select(document_events.c.data)
        .where(document_events.c.document_id == document_id, document_events.c.step == step)
        .order_by(document_events.c.id)
        .limit(1)
    ).scalar()
    return dict(json.loads(raw)) if raw else {}


def add_outbox(
    conn: Connection, topic: str, document_id: int | None, payload: dict[str, Any], now: datetime
) -> None:
    conn.execute(
        insert(outbox).values(
            created_at=now,
            topic=topic,
            document_id=document_id,
            payload=json.dumps(payload, sort_keys=True, default=str),
        )
    )
