"""Columns, headers, rows and errors of an import file (pure).

A file is a header row and data rows. Headers may be English (``item_type``, ``Item type``) or
Chinese (``物料类型``): letter case, spaces, ``_`` and ``-`` do not matter. Every cell reaches the
rules as text (the reader turns spreadsheet numbers and dates into text first); an empty cell
is "not given". Cells are trimmed; a ``number`` cell must then follow the one number grammar of
``cangku.domain.quantities`` (``parse_decimal``: ASCII digits, an optional minus, at most one
decimal point with digits on both sides; no ``_``, ``+``, exponent or Unicode digits). A row
whose first cell starts with ``#`` is a comment (the templates use one to describe the columns)
and a row with no text at all is skipped; row numbers stay those of the file (the header is
row 1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cangku.domain.errors import InvalidInput

__all__ = [
    "Column",
    "build_table",
    "ImportRejected",
    "RowError",
    "Sheet",
    "SourceRow",
    "Table",
    "match_headers",
    "normalize_header",
    "parse_bool",
    "parse_date",
    "parse_days",
    "split_list",
    "split_pairs",
]


@dataclass(frozen=True)
class Column:
    """One column of a kind: its canonical (English) name, its Chinese header, whether it is
    required, its type (``text``, ``number``, ``days``, ``date``, ``bool``, ``list``,
    ``choice``), the allowed values of a choice, a sample value and a one-line help."""

    name: str
    zh: str
    required: bool = False
    type: str = "text"
    allowed: tuple[str, ...] = ()
    sample: str = ""
    help: str = ""

    def header(self, lang: str) -> str:
        return self.zh if lang.startswith("zh") else self.name


@dataclass(frozen=True)
class Sheet:
    """A kind of import: its columns and the columns that identify a row (the upsert key)."""

    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    title: str
    title_zh: str

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class RowError:
    """One problem of one row: its row number in the file (1 = the header), the column (the
    header as written in the file; empty for the row as a whole), a stable code and a message."""

    row: int
    column: str
    code: str
    message: str
    #: the error's structured data (for a translated message); not part of the report
    data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class SourceRow:
    """A data row: its number in the file and its non-empty cells by canonical column name."""

    number: int
    values: dict[str, str]

    def get(self, name: str) -> str | None:
        return self.values.get(name) or None


@dataclass
class Table:
    """A parsed file: which columns it has (canonical name -> header as written) and its rows."""

    sheet: Sheet
    headers: dict[str, str]
    rows: list[SourceRow] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.headers

    def header(self, name: str) -> str:
        return self.headers.get(name, name)


class ImportRejected(InvalidInput):
    """The file has rows that break the rules: nothing was written. ``data["errors"]`` holds
    every problem found (row, column, code, message)."""

    code = "import_rows_invalid"

    def __init__(self, kind: str, errors: Sequence[RowError], rows: int) -> None:
        first = errors[0] if errors else None
        where = (
            f" (first: row {first.row}, {first.column or 'row'}: {first.message})" if first else ""
        )
        super().__init__(
            f"{len(errors)} problem(s) in the {kind} file; nothing was imported{where}",
            kind=kind,
            rows=rows,
            error_count=len(errors),
            errors=[e.as_dict() for e in errors],
        )
        self.errors = list(errors)


_SEPARATORS = re.compile(r"[\s_\-]+")


def normalize_header(text: str) -> str:
    """What two headers must share to be the same column: case, spaces, ``_``, ``-`` ignored."""
    return _SEPARATORS.sub("", str(text).casefold())


def match_headers(sheet: Sheet, headers: Sequence[str]) -> dict[int, str]:
    """The canonical column of each header position (English or Chinese headers, mixed).

    Raises InvalidInput ``import_empty_file`` (no header), ``import_unknown_columns``,
    ``import_duplicate_columns`` or ``import_missing_columns`` (a required column is absent).
    """
    known: dict[str, str] = {}
    for column in sheet.columns:
        known[normalize_header(column.name)] = column.name
        known[normalize_header(column.zh)] = column.name
    found: dict[int, str] = {}
    unknown: list[str] = []
    duplicate: list[str] = []
    for position, text in enumerate(headers):
        if not str(text).strip():
            continue
        name = known.get(normalize_header(text))
        if name is None:
            unknown.append(str(text))
        elif name in found.values():
            duplicate.append(str(text))
        else:
            found[position] = name
    if not found and not unknown:
        raise InvalidInput("the file has no header row", code="import_empty_file")
    if unknown:
        raise InvalidInput(
            f"unknown columns: {', '.join(unknown)}; the {sheet.kind} columns are "
            f"{', '.join(sheet.names)}",
            code="import_unknown_columns",
            unknown=unknown,
            allowed=list(sheet.names),
        )
    if duplicate:
        raise InvalidInput(
            f"columns named twice: {', '.join(duplicate)}",
            code="import_duplicate_columns",
            duplicate=duplicate,
        )
    missing = [c.name for c in sheet.columns if c.required and c.name not in found.values()]
    if missing:
        raise InvalidInput(
            f"the file lacks the required columns {', '.join(missing)}",
            code="import_missing_columns",
            missing=missing,
        )
    return found


def build_table(sheet: Sheet, lines: Iterable[Sequence[str]]) -> Table:
    """Headers and rows from the cells of a file (row 1 = the header), comments and blank
    rows skipped."""
    iterator = iter(lines)
    header = next(iterator, None)
    if header is None:
        raise InvalidInput("the file is empty", code="import_empty_file")
    positions = match_headers(sheet, header)
    table = Table(sheet, {name: str(header[p]).strip() for p, name in positions.items()})
    for number, cells in enumerate(iterator, start=2):
        if cells and str(cells[0]).lstrip().startswith("#"):
            continue
        values = {
            name: str(cells[p]).strip()
            for p, name in positions.items()
            if p < len(cells) and str(cells[p]).strip()
        }
        if values:
            table.rows.append(SourceRow(number, values))
    return table


# ---------------------------------------------------------------- cells


_TRUE = {"true", "yes", "y", "1", "是", "x"}
_FALSE = {"false", "no", "n", "0", "否"}


def parse_bool(text: str | None, field_name: str) -> bool:
    """true/false, yes/no, 1/0, 是/否 (empty: false)."""
    if text is None:
        return False
    value = text.strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(
        f"{field_name} must be true or false, not {text[:40]!r}",
        code="invalid_boolean",
        field=field_name,
    )


def parse_date(text: str | None, field_name: str) -> date | None:
    """A date as ``YYYY-MM-DD`` (None stays None)."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{field_name} {text[:40]!r} is not a date (YYYY-MM-DD)",
            code="invalid_date",
            field=field_name,
        ) from None


def parse_days(text: str | None, field_name: str) -> int | None:
    """A whole number of days as text; the range is the domain's ``check_days``."""
    if text is None:
        return None
    value = text.strip()
    if not re.fullmatch(r"[+-]?\d{1,9}", value):
        raise InvalidInput(
            f"{field_name} must be a whole number of days from 0 to 36500",
            code="invalid_days",
            field=field_name,
        )
    return int(value)


def split_list(text: str | None) -> list[str]:
    """``a; b; c`` (``;``, ``,``, ``；``, ``，`` or line breaks) as a list, blanks dropped."""
    if text is None:
        return []
    return [part.strip() for part in re.split(r"[;,；，\n]", text) if part.strip()]


def split_pairs(
    text: str | None, field_name: str, *, value_required: bool
) -> list[tuple[str, str]]:
    """``box=12; carton=144`` as [("box", "12"), ("carton", "144")]; without ``=`` the value is
    empty (refused when ``value_required``)."""
    pairs: list[tuple[str, str]] = []
    for part in split_list(text):
        name, sign, value = part.partition("=")
        if not name.strip() or (value_required and not (sign and value.strip())):
            raise InvalidInput(
                f"{field_name}: {part[:40]!r} is not of the form name=value",
                code="invalid_list",
                field=field_name,
            )
        pairs.append((name.strip(), value.strip()))
    return pairs
