"""Moves from a CSV file, for ``cangku import moves`` (opening balances, data migration).

Columns (header row required; names as below, any order; empty cells mean "not given"):
``item, quantity, from_location, to_location`` (required), ``operation`` (default ``import``),
``lot, lot_expires_on, unit_cost, effective_at, reason_code, document_type, document_id, note``.
Quantities are in the item's base unit; ``unit_cost`` per base unit; both follow the number
grammar of ``cangku.domain.quantities`` once the cell is trimmed (``1_000``, ``+3``, ``5.``,
``1e3`` or full-width digits are refused as ``invalid_number``); times ISO 8601 (UTC when
no zone is given); dates ``YYYY-MM-DD``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any, TextIO

from cangku.domain.errors import InvalidInput
from cangku.services.bulk import BulkMove

REQUIRED = ("item", "quantity", "from_location", "to_location")
OPTIONAL = (
    "operation", "lot", "lot_expires_on", "unit_cost", "effective_at", "reason_code",
    "document_type", "document_id", "note",
)  # fmt: skip


def _when(text: str, row: int) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"row {row}: effective_at {text!r} is not an ISO date-time",
            code="invalid_datetime",
            row=row,
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _day(text: str, row: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"row {row}: lot_expires_on {text!r} is not a date (YYYY-MM-DD)",
            code="invalid_date",
            row=row,
        ) from None


def _rows(reader: csv.DictReader[str]) -> Iterator[dict[str | Any, str | Any]]:
    """The reader's rows; a line the csv module cannot read is refused with its row."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number = reader.reader.line_num  # the DictReader counts only rows it returned
            raise InvalidInput(
                f"row {number}: not readable as CSV ({exc})", code="csv_malformed", row=number
            ) from None
        yield row


def read_moves(lines: Iterable[str]) -> Iterator[BulkMove]:
    """Parse CSV text lines into moves, lazily. Raises InvalidInput naming the row for a missing
    column, an empty required cell or a malformed time or date."""
    reader = csv.DictReader(lines)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise InvalidInput(
            f"row 1: not readable as CSV ({exc})", code="csv_malformed", row=1
        ) from None
    columns = [name.strip() for name in header]
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise InvalidInput(
            f"the CSV header lacks {', '.join(missing)}",
            code="csv_missing_columns",
            missing=missing,
        )
    unknown = sorted(set(columns) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise InvalidInput(
            f"unknown CSV columns: {', '.join(unknown)}",
            code="csv_unknown_columns",
            unknown=unknown,
        )
    for number, raw in enumerate(_rows(reader), start=2):  # row 1 is the header
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        for name in REQUIRED:
            if not row.get(name):
                raise InvalidInput(
                    f"row {number}: {name} is empty",
                    code="csv_empty_cell",
                    row=number,
                    column=name,
                )
        yield BulkMove(
            item=row["item"],
            quantity=row["quantity"],
            from_location=row["from_location"],
            to_location=row["to_location"],
            operation=row.get("operation") or "import",
            lot=row.get("lot") or None,
            lot_expires_on=_day(row["lot_expires_on"], number)
            if row.get("lot_expires_on")
            else None,
            unit_cost=row.get("unit_cost") or None,
            effective_at=_when(row["effective_at"], number) if row.get("effective_at") else None,
            reason_code=row.get("reason_code") or None,
            document_type=row.get("document_type") or None,
            document_id=row.get("document_id") or None,
            note=row.get("note") or None,
            row=number,
        )


class CsvMoves:
    """The moves of a CSV file, read afresh on every iteration: ``post_bulk`` reads them once
    to identify the import (and refuse a malformed row before anything is posted), then again
    to post them. ``open_text`` opens the text (UTF-8, ``newline=""``)."""

    def __init__(self, open_text: Callable[[], TextIO]) -> None:
        self._open = open_text

    @classmethod
    def from_text(cls, text: str) -> CsvMoves:
        return cls(lambda: io.StringIO(text, newline=""))

    def __iter__(self) -> Iterator[BulkMove]:
        with self._open() as stream:
            yield from read_moves(stream)
