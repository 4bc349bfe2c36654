"""Lists on pages: sortable columns, a page size, filters kept in the URL, and the list as it
is filtered and sorted exported to CSV or XLSX.

A list page declares its ``Listing`` (the columns a file gets, each with how it is read from a
row and how it is written) and answers ``?export=csv`` or ``?export=xlsx`` with
``export_response``; everything else the URL carries (filters, ``sort``, ``size``) applies to
the file as it does to the page, except the page number: a file holds every row.

Values in files: numbers exact (a quantity is never rounded), money rounded to the currency's
places (as on the page), times in the reader's zone (named in the column's title), codes as
codes and enumerations in the page's language. CSV is streamed a page of rows at a time; text
cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) are
prefixed with ``'`` (OWASP's advice for CSV injection). XLSX is written by openpyxl in its
write-only mode (rows go to a temporary file, not memory), numbers as numbers and times as
dates.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, TypeVar

from babel.numbers import get_currency_precision
from fastapi import Request
from fastapi.responses import FileResponse, StreamingResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from starlette.background import BackgroundTask

from cangku.domain.errors import InvalidInput
from cangku.queries.common import MAX_LIMIT, Page
from cangku.web.display import Shown, display_of, when
from cangku.web.i18n import label
from cangku.web.render import gettext_for, language

__all__ = [
    "Fetch",
    "Column",
    "Listing",
    "export_format",
    "all_rows",
    "export_response",
    "exported",
    "pages_of",
]

#: formats a list exports to
FORMATS = ("csv", "xlsx")
#: what a text cell may not start with in a file (a spreadsheet would evaluate it)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
T = TypeVar("T")


@dataclass(frozen=True)
class Column:
    """One column of a list's file: its title (a message id), how its value is read from a
    row, and its kind: ``text``, ``number`` (exact), ``money`` (rounded to the currency),
    ``time`` (in the reader's zone), ``date`` or ``label`` (a code shown in the language)."""

    title: str
    value: Callable[[Any], Any]
    kind: str = "text"


@dataclass(frozen=True)
class Listing:
    """What a list page exports: the file's name and its columns."""

    name: str
    columns: Sequence[Column]


def export_format(request: Request) -> str | None:
    """``csv`` or ``xlsx`` when the list is asked for as a file. Raises InvalidInput
    ``invalid_export_format`` for any other value."""
    raw = request.query_params.get("export")
    if raw is None or raw == "":
        return None
    if raw not in FORMATS:
        raise InvalidInput(
            f"cannot export as {raw!r}: export as one of {', '.join(FORMATS)}",
            code="invalid_export_format",
            format=raw,
            allowed=list(FORMATS),
        )
    return raw


def exported(
    request: Request, listing: Listing, fetch: Fetch
) -> StreamingResponse | FileResponse | None:
    """The list as a file when the URL asks for one (``?export=csv|xlsx``), else None (the
    page). ``fetch`` reads one page of the list with the page's filters and sort."""
    fmt = export_format(request)
    if fmt is None:
        return None
    rows = all_rows(fetch)
    return export_response(request, fmt, listing, rows, gettext_for(request), language(request))


# ------------------------------------------------------------------ rows


#: reads one page of a list with the page's filters and sort: ``fetch(limit, offset, cursor)``
#: (a list that pages by cursor follows ``cursor`` when one is given, any other ``offset``)
Fetch = Callable[[int, int, str | None], Page[Any]]


def all_rows(fetch: Fetch) -> Iterator[Any]:
    """Every row of a list, read a page (``MAX_LIMIT`` rows) at a time: ``fetch`` is the same
    query the page runs, walked by cursor where the list hands one out (a page deep into a
    long list by offset would read every row before it). The first page is read at once, so
    a refusal (a bad filter or sort) is raised here, before any byte of the file is sent."""
    first = fetch(MAX_LIMIT, 0, None)

    def rest() -> Iterator[Any]:
        page, offset = first, 0
        while True:
            yield from page.items
            if len(page.items) < MAX_LIMIT:
                return
            offset += MAX_LIMIT
            page = fetch(MAX_LIMIT, offset, page.next_cursor)

    return rest()


def pages_of(rows: Sequence[T]) -> Callable[[int, int, str | None], Page[T]]:
    """A short list read whole already (users, roles), handed out a page at a time like
    ``fetch`` for ``exported``."""

    def fetch(limit: int, offset: int, _cursor: str | None) -> Page[T]:
        return Page(list(rows[offset : offset + limit]), len(rows), limit, offset)

    return fetch


class _Cells:
    """A row's values as they go into a file, for one reader (language, currency, zone)."""

    def __init__(self, lang: str, shown: Shown) -> None:
        self.lang = lang
        self.shown = shown
        self.money_step = Decimal(1).scaleb(-get_currency_precision(shown.currency))

    def title(self, column: Column, gettext: Callable[[str], str]) -> str:
        title = gettext(column.title)
        if column.kind == "money":
            return f"{title} ({self.shown.currency})"
        if column.kind == "time":
            return f"{title} ({self.shown.zone_name})"
        return title

    def value(self, column: Column, row: Any) -> Any:
        """The value for XLSX: numbers as Decimal, times as naive local datetimes."""
        raw = column.value(row)
        if raw is None:
            return None
        if column.kind == "money":
            return Decimal(raw).quantize(self.money_step, ROUND_HALF_EVEN)
        if column.kind == "number":
            return Decimal(raw)
        if column.kind == "time" and isinstance(raw, datetime):
            return raw.astimezone(self.shown.zone).replace(tzinfo=None)
        if column.kind == "label":
            return label(str(raw), self.lang)
        if isinstance(raw, date | bool | int):
            return raw
        return str(raw)

    def text(self, column: Column, row: Any) -> str:
        """The value for CSV: exact numbers in plain notation, times to the second."""
        value = self.value(column, row)
        if value is None:
            return ""
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, datetime):
            return when(column.value(row), self.lang, "yyyy-MM-dd HH:mm:ss", self.shown)
        if isinstance(value, date):
            return value.isoformat()
        text = str(value)
        return "'" + text if text.startswith(FORMULA_START) else text


def _csv_lines(
    listing: Listing, rows: Iterator[Any], cells: _Cells, gettext: Callable[[str], str]
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # a byte-order mark, so spreadsheet programs read the file as UTF-8 (Chinese names)
    writer.writerow([cells.title(c, gettext) for c in listing.columns])
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cells.text(c, row) for c in listing.columns])
        yield buffer.getvalue()


_FORMATS = {"money": "#,##0.00", "time": "yyyy-mm-dd hh:mm:ss", "date": "yyyy-mm-dd"}


def _xlsx_file(
    listing: Listing, rows: Iterator[Any], cells: _Cells, gettext: Callable[[str], str]
) -> str:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(listing.name[:31])
    sheet.append([cells.title(c, gettext) for c in listing.columns])
    places = "0" * get_currency_precision(cells.shown.currency)
    formats = {**_FORMATS, "money": f"#,##0.{places}" if places else "#,##0"}
    for row in rows:
        out: list[Any] = []
        for column in listing.columns:
            cell = WriteOnlyCell(sheet, cells.value(column, row))
            if column.kind in formats and cell.value is not None:
                cell.number_format = formats[column.kind]
            out.append(cell)
        sheet.append(out)
    handle = tempfile.NamedTemporaryFile(prefix="cangku-", suffix=".xlsx", delete=False)
    with handle:
        book.save(handle)
    return handle.name


def export_response(
    request: Request,
    fmt: str,
    listing: Listing,
    rows: Iterator[Any],
    gettext: Callable[[str], str],
    lang: str,
) -> StreamingResponse | FileResponse:
    """The list as a file named ``<listing.name>.<fmt>``."""
    cells = _Cells(lang, display_of(request))
    # a name from a code may hold anything: the header gets letters, digits, . _ - only
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", listing.name) + f".{fmt}"
    if fmt == "csv":
        return StreamingResponse(
            _csv_lines(listing, rows, cells, gettext),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    path = _xlsx_file(listing, rows, cells, gettext)
    return FileResponse(
        path,
        media_type=XLSX_TYPE,
        filename=filename,
        background=BackgroundTask(_remove, path),
    )


def _remove(path: str) -> None:
    os.unlink(path)
