"""Moving in: import master data and opening stock from CSV or XLSX files.

``import_file(db, ctx, kind, data, dry_run=...)`` reads the file, checks every row with the same
rules as the one-at-a-time services and either answers what it would do (a dry run: counts and
every problem, nothing written) or imports the whole file in one transaction (refusing it all,
with every problem, when any row is wrong). Master data is matched by code: each row is
created, updated or unchanged. One module per kind; ``engine`` holds what they share and
``files`` reads and writes the spreadsheets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cangku.db.uow import Database
from cangku.domain.imports import KINDS, ImportRejected, RowError, sheet_of
from cangku.domain.permissions import Action
from cangku.queries.exports import export_rows
from cangku.services.bulk import STOCK_IMPORT
from cangku.services.common import Context, load_actor
from cangku.services.imports.categories import CATEGORIES, CATEGORY_IMPORT
from cangku.services.imports.engine import (
    Importer,
    ImportSummary,
    Progress,
    check_import,
    run_import,
)
from cangku.services.imports.files import (
    FORMATS,
    MEDIA_TYPES,
    errors_file,
    file_format,
    read_table,
    template_file,
    write_file,
)
from cangku.services.imports.items import ITEM_IMPORT, ITEMS
from cangku.services.imports.lots import LOT_IMPORT, LOTS
from cangku.services.imports.opening_stock import import_opening_stock
from cangku.services.imports.partners import (
    CONTACTS,
    PARTNER_IMPORT,
    PARTNERS,
    SUPPLIER_ITEM_IMPORT,
    SUPPLIER_ITEMS,
)
from cangku.services.imports.sites import LOCATION_IMPORT, LOCATIONS, WAREHOUSE_IMPORT, WAREHOUSES
from cangku.services.items import ITEM_VIEW
from cangku.services.lots import LOT_VIEW
from cangku.services.partners import PARTNER_VIEW
from cangku.services.stock import STOCK_VIEW
from cangku.services.warehouses import WAREHOUSE_VIEW

__all__ = [
    "CATEGORY_IMPORT",
    "LOCATION_IMPORT",
    "LOT_IMPORT",
    "PARTNER_IMPORT",
    "SUPPLIER_ITEM_IMPORT",
    "WAREHOUSE_IMPORT",
    "FORMATS",
    "IMPORTERS",
    "ITEM_IMPORT",
    "KINDS",
    "MEDIA_TYPES",
    "ImportRejected",
    "ImportSummary",
    "RowError",
    "errors_file",
    "file_format",
    "import_file",
    "import_action",
    "template",
]

IMPORTERS: dict[str, Importer] = {
    importer.kind: importer
    for importer in (
        CATEGORIES,
        WAREHOUSES,
        LOCATIONS,
        ITEMS,
        PARTNERS,
        CONTACTS,
        SUPPLIER_ITEMS,
        LOTS,
    )
}
#: opening stock is posted through the ledger (``services.bulk``), not upserted
OPENING_STOCK = "opening_stock"


def _importer(kind: str) -> Importer:
    sheet_of(kind)  # InvalidInput unknown_import_kind
    return IMPORTERS[kind]


def import_action(kind: str) -> Action:
    """The permission an import of ``kind`` needs."""
    sheet_of(kind)
    return STOCK_IMPORT if kind == OPENING_STOCK else IMPORTERS[kind].action


def import_file(
    db: Database,
    ctx: Context,
    kind: str,
    data: bytes,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import (or with ``dry_run``, only check) a CSV or XLSX file of ``kind``.

    Raises InvalidInput for the file as a whole (``unknown_import_kind``, ``file_not_utf8``,
    ``file_unreadable``, ``import_empty_file``, ``import_unknown_columns``,
    ``import_duplicate_columns``, ``import_missing_columns``), PermissionDenied, and (not a dry
    run) ImportRejected ``import_rows_invalid`` with every row's problems in ``data["errors"]``.
    Writes (not a dry run, no problems): the file's rows in one transaction and one audit entry.
    """
    table = read_table(sheet_of(kind), data)
    if kind == OPENING_STOCK:
        return import_opening_stock(db, ctx, table, dry_run, progress)
    importer = _importer(kind)
    if dry_run:
        return check_import(db, ctx, importer, table, progress)
    return run_import(db, ctx, importer, table, data, progress)


def template(kind: str, lang: str = "en", fmt: str = "xlsx") -> bytes:
    """An empty file of ``kind`` to fill in: headers in English or Chinese, a comment row that
    describes each column, a sample row, and (XLSX) a sheet of the allowed values."""
    return template_file(sheet_of(kind), lang, fmt)


def error_report(errors: list[RowError], fmt: str = "csv") -> bytes:
    return errors_file(errors, fmt)


__all__ += ["FORMATS", "error_report"]


# ---------------------------------------------------------------- export

#: the permission that shows the rows of each kind (its export)
EXPORT_VIEWS: dict[str, Action] = {
    "categories": ITEM_VIEW,
    "items": ITEM_VIEW,
    "warehouses": WAREHOUSE_VIEW,
    "locations": WAREHOUSE_VIEW,
    "partners": PARTNER_VIEW,
    "contacts": PARTNER_VIEW,
    "supplier_items": PARTNER_VIEW,
    "lots": LOT_VIEW,
    "opening_stock": STOCK_VIEW,
}


@dataclass(frozen=True)
class Export:
    kind: str
    headers: list[str]
    columns: list[str]
    rows: list[list[Any]]

    def file(self, fmt: str) -> bytes:
        return write_file(fmt, self.headers, self.rows, title=self.kind)


def export_rows_of(db: Database, ctx: Context, kind: str, lang: str = "en") -> Export:
    """Every row of ``kind`` in its import columns (headers in English or Chinese), limited to
    the warehouses the user may see for warehouse-bound kinds.

    Raises InvalidInput ``unknown_import_kind``, PermissionDenied. Reads only.
    """
    sheet = sheet_of(kind)
    view = EXPORT_VIEWS[kind]
    with db.read(snapshot=True) as conn:
        actor = load_actor(conn, ctx)
        actor.require(view)
        rows = export_rows(conn, kind, actor.warehouses(view))
    return Export(kind, [c.header(lang) for c in sheet.columns], list(sheet.names), rows)


__all__ += ["EXPORT_VIEWS", "Export", "export_rows_of"]
