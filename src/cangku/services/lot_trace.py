"""The recall trace of a lot for the faces: read it by item and lot code, write it as a file."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from cangku.db.lookups import item_by_code
from cangku.db.lots import lot_for_item
from cangku.db.tables import items, lots
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.permissions import Warehouses
from cangku.queries.lot_trace import TRACE_HEADERS, LotTrace, lot_trace, trace_rows
from cangku.services.imports.files import MEDIA_TYPES, write_file

__all__ = ["MEDIA_TYPES", "TRACE_FORMATS", "check_format", "file_name", "trace_file", "trace_lot"]

TRACE_FORMATS = ("csv", "xlsx")


def trace_lot(
    db: Database, item: str | None, code: str, warehouses_seen: Warehouses = None
) -> LotTrace:
    """The trace of lot ``code`` of item ``item`` (code or barcode) in the warehouses seen;
    without ``item``, of the one item that has a lot of that code.

    Raises NotFound (``item_not_found``, ``lot_not_found``), InvalidInput ``lot_ambiguous``
    (several items have a lot of that code: name the item)."""
    with db.read() as conn:
        if item is None:
            item = _only_item_with(conn, code)
        info = item_by_code(conn, item)
        lot = lot_for_item(conn, info.id, info.code, code)
        return lot_trace(conn, lot.id, warehouses_seen)


def _only_item_with(conn: Connection, code: str) -> str:
    found = sorted(
        conn.execute(
            select(items.c.code).join(lots, lots.c.item_id == items.c.id).where(lots.c.code == code)
        ).scalars()
    )
    if not found:
        raise NotFound("lot", code)
    if len(found) > 1:
        raise InvalidInput(
            f"items {', '.join(found[:10])} each have a lot {code}: name the item",
            code="lot_ambiguous",
            lot=code,
            items=found[:10],
        )
    return str(found[0])


def check_format(fmt: str) -> str:
    if fmt not in TRACE_FORMATS:
        raise InvalidInput(
            "the file format is csv or xlsx",
            code="invalid_export_format",
            format=str(fmt)[:20],
            allowed=list(TRACE_FORMATS),
        )
    return fmt


def _cell(value: Any) -> Any:
    # spreadsheets hold no time zones: times are written as UTC
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def trace_file(
    trace: LotTrace, fmt: str, headers: tuple[str, ...] | list[str] = TRACE_HEADERS
) -> bytes:
    """The trace as a CSV or XLSX file, one row per move in, place, move out and total
    (``queries.lot_trace.trace_rows``); ``headers`` translated by the face if it likes."""
    rows = [[_cell(v) for v in row] for row in trace_rows(trace)]
    return write_file(check_format(fmt), list(headers), rows, title="trace")


def file_name(trace: LotTrace, fmt: str) -> str:
    """``trace-GLUE-L7.csv``: the codes with anything but letters, digits, ``.-_`` as ``_``."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", f"{trace.item}-{trace.lot}")
    return f"trace-{safe}.{fmt}"
