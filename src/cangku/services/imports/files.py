"""Spreadsheet files in and out: CSV (UTF-8, with or without BOM) and XLSX (openpyxl).

Reading turns every cell into text (numbers as their shortest exact form, dates as
``YYYY-MM-DD``), so the rules see the same thing whichever format the user chose. Writing keeps
codes as text (a leading zero stays) and exact numbers as numbers where a spreadsheet can hold
them exactly (15 significant digits), as text otherwise.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from cangku.domain.errors import InvalidInput
from cangku.domain.imports import RowError, Sheet, Table, build_table
from cangku.domain.quantities import number_text

__all__ = [
    "FORMATS",
    "errors_file",
    "file_format",
    "read_table",
    "template_file",
    "write_file",
]

FORMATS = ("csv", "xlsx")
_ZIP = b"PK\x03\x04"
#: the media type of each format (answers of the API, downloads of the page)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_format(name: str | None, default: str = "csv") -> str:
    """``csv`` or ``xlsx`` from a file name's extension (``default`` without one)."""
    if name and "." in name:
        suffix = name.rsplit(".", 1)[1].lower()
        if suffix in FORMATS:
            return suffix
        raise InvalidInput(
            f"a file must be .csv or .xlsx, not .{suffix[:10]}", code="import_unsupported_format"
        )
    return default


def _text(value: Any) -> str:
    """One spreadsheet cell as the text the rules read."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # a numeric cell: its shortest repr (0.1 stays 0.1, not the binary expansion), written
        # in the number grammar (positional, no exponent: 1e-07 -> 0.0000001)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return number_text(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _xlsx_cells(data: bytes) -> Iterator[list[str]]:
    try:
        from openpyxl import load_workbook  # loaded when a spreadsheet is read

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InvalidInput(
            f"the file is not a readable XLSX workbook ({type(exc).__name__})",
            code="file_unreadable",
        ) from None
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_text(v) for v in row]
    finally:
        book.close()


def _csv_cells(data: bytes) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "the file is neither UTF-8 text (CSV) nor an XLSX workbook", code="file_not_utf8"
        ) from None
    yield from csv.reader(io.StringIO(text, newline=""))


def read_table(sheet: Sheet, data: bytes) -> Table:
    """The rows of a CSV or XLSX file (told apart by content, not by name) for ``sheet``.

    Raises InvalidInput ``file_not_utf8``, ``file_unreadable``, ``import_empty_file``,
    ``import_unknown_columns``, ``import_duplicate_columns``, ``import_missing_columns``.
    """
    cells = _xlsx_cells(data) if data[:4] == _ZIP else _csv_cells(data)
    return build_table(sheet, cells)


# ---------------------------------------------------------------- writing


def _cell_value(value: Any) -> Any:
    """Text stays text; an exact number a spreadsheet holds exactly becomes a number."""
    if isinstance(value, Decimal):
        digits = value.normalize().as_tuple().digits
        return value if len(digits) <= 15 else str(value)
    if isinstance(value, (bool, int, date)):
        return value if not isinstance(value, int) or abs(value) < 10**15 else str(value)
    return "" if value is None else str(value)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_file(
    fmt: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str = "data",
    notes: Sequence[str] | None = None,
    extra: Sequence[tuple[str, Sequence[Sequence[Any]]]] = (),
) -> bytes:
    """A CSV (UTF-8 with BOM, so spreadsheets read Chinese right) or XLSX file of ``rows``
    under ``headers``; ``notes`` is a comment row (first cell starts with ``#``) under the
    header; ``extra`` adds XLSX sheets (title, rows)."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(headers)
        if notes:
            writer.writerow(notes)
        writer.writerows([_csv_text(v) for v in row] for row in rows)
        return buffer.getvalue().encode("utf-8-sig")
    # openpyxl is loaded when a spreadsheet is made (a tenth of a second a command need not pay)
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    head_font, note_font = Font(bold=True), Font(italic=True, color="808080")
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font, cell.fill = head_font, head_fill
    if notes:
        sheet.append(list(notes))
        for cell in sheet[2]:
            cell.font = note_font
    for row in rows:
        sheet.append([_cell_value(v) for v in row])
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, min(40, len(str(header)) * 2 + 4))
    sheet.freeze_panes = "A2"
    for extra_title, extra_rows in extra:
        more = book.create_sheet(extra_title[:31])
        for row in extra_rows:
            more.append([_cell_value(v) for v in row])
        for cell in more[1]:
            cell.font = head_font
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _describe(sheet: Sheet, lang: str) -> tuple[list[str], list[list[str]]]:
    zh = lang.startswith("zh")
    notes: list[str] = []
    legend: list[list[str]] = [
        [
            "column",
            "列名",
            "required" if not zh else "必填",
            "type" if not zh else "类型",
            "allowed values" if not zh else "可选值",
            "help" if not zh else "说明",
        ]
    ]
    for column in sheet.columns:
        need = ("必填" if zh else "required") if column.required else ("选填" if zh else "optional")
        allowed = " | ".join(column.allowed)
        notes.append(
            "; ".join(part for part in (need, allowed or column.type, column.help) if part)
        )
        legend.append([column.name, column.zh, need, column.type, allowed, column.help])
    notes[0] = f"# {notes[0]}"
    return notes, legend


def template_file(sheet: Sheet, lang: str, fmt: str) -> bytes:
    """The headers of ``sheet`` (English or Chinese), a comment row describing each column
    (skipped on import), and a sample row to replace; XLSX adds an "allowed values" sheet."""
    headers = [c.header(lang) for c in sheet.columns]
    notes, legend = _describe(sheet, lang)
    sample = [c.sample for c in sheet.columns]
    legend_title = "可选值" if lang.startswith("zh") else "allowed values"
    return write_file(
        fmt,
        headers,
        [sample],
        title=sheet.kind,
        notes=notes,
        extra=[(legend_title, legend)],
    )


def errors_file(errors: Sequence[RowError], fmt: str) -> bytes:
    """The error report: one line per problem (row, column, code, message)."""
    rows = [[e.row, e.column, e.code, e.message] for e in errors]
    return write_file(fmt, ["row", "column", "code", "message"], rows, title="errors")
