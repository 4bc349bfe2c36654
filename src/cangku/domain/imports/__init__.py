"""Importing master data and opening stock from spreadsheets: the columns of each kind, the
headers (English or Chinese) that name them, cell parsing and the per-row error record.

Pure: the services read the file, load what exists, and call the domain's own rules (the same
as the one-at-a-time services) on each row; this package only says what the columns are and
turns cells into plain values.
"""

from __future__ import annotations

from cangku.domain.imports.columns import (
    Column,
    ImportRejected,
    RowError,
    Sheet,
    SourceRow,
    Table,
    build_table,
    match_headers,
    normalize_header,
)
from cangku.domain.imports.specs import KINDS, sheet_of

__all__ = [
    "KINDS",
    "Column",
    "ImportRejected",
    "RowError",
    "Sheet",
    "SourceRow",
    "Table",
    "build_table",
    "match_headers",
    "normalize_header",
    "sheet_of",
]
