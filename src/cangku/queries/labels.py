"""Read side of labels: the items, lots and locations to print, by code or by a list's filter,
turned into ``domain.labels.Label``s (set-based: a few queries whatever the number).

A selection by code keeps the order given and refuses an unknown code (NotFound, as the item,
lot and location reads do); a selection by filter is the list's first ``MAX_LABELS`` rows in
the list's order, with the list's total (so the caller can refuse too many).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from sqlalchemy import Connection, select

from cangku.db import catalog, sites
from cangku.db import lots as lot_store
from cangku.db.catalog import Item
from cangku.db.lots import Lot
from cangku.db.sites import Location
from cangku.db.tables import item_barcodes, items, locations, lots
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.labels import (
    MAX_LABELS,
    Label,
    check_count,
    item_label,
    location_label,
    lot_label,
)
from cangku.domain.permissions import Warehouses
from cangku.queries.items import list_items
from cangku.queries.lots import list_lots
from cangku.queries.sites import list_locations

__all__ = ["Found", "item_labels", "location_labels", "lot_labels"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class _Listed(Protocol[T_co]):
    """A list query's page (``queries.common.Page``), read only."""

    @property
    def items(self) -> Sequence[T_co]: ...
    @property
    def total(self) -> int: ...


class _Lot(Protocol):
    """What a lot's label needs (a lot, or a list's view of one)."""

    @property
    def item(self) -> str: ...
    @property
    def item_id(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def expires_on(self) -> date | None: ...
    @property
    def is_serial(self) -> bool: ...


@dataclass(frozen=True)
class Found:
    """The labels selected and how many rows matched (``total`` > ``len(labels)`` when a
    filter matched more than ``MAX_LABELS``)."""

    labels: list[Label]
    total: int


def _select(
    db: Database,
    named: Sequence[object],
    by_name: Callable[[Connection], Sequence[T]],
    listed: Callable[[], _Listed[T]],
) -> tuple[Sequence[T], int]:
    """What ``named`` names (read by ``by_name``), or else the list's first page of
    ``MAX_LABELS`` rows, with how many rows there are. More names than labels allowed are
    refused before anything is read."""
    if len(named) > MAX_LABELS:
        check_count(len(named), 1)
    if named:
        with db.read() as conn:
            chosen = by_name(conn)
        return chosen, len(chosen)
    page = listed()
    return page.items, page.total


def _in_order(codes: Sequence[str], found: Mapping[str, object], kind: str) -> None:
    for code in codes:
        if code not in found:
            raise NotFound(kind, code)


def _barcodes(item: Item) -> list[tuple[str, str | None]]:
    return [(b.barcode, b.unit) for b in item.barcodes]


def _items_by_codes(conn: Connection, codes: Sequence[str]) -> list[Item]:
    """Items by code, or else by barcode (as every item look-up), in the order given."""
    wanted = sorted(set(codes))
    rows = list(conn.execute(catalog.item_select().where(items.c.code.in_(wanted))))
    by_code = {row.code: row for row in rows}
    missing = [code for code in wanted if code not in by_code]
    if missing:
        for row in conn.execute(
            catalog.item_select()
            .add_columns(item_barcodes.c.barcode)
            .join(item_barcodes, item_barcodes.c.item_id == items.c.id)
            .where(item_barcodes.c.barcode.in_(missing))
        ):
            by_code[row.barcode] = row
    _in_order(codes, by_code, "item")
    loaded = {item.id: item for item in catalog.load_items(conn, list(by_code.values()))}
    return [loaded[by_code[code].id] for code in codes]


def item_labels(
    db: Database,
    codes: Sequence[str] = (),
    *,
    q: str | None = None,
    item_type: str | None = None,
    category: str | None = None,
    tracking: str | None = None,
    active: bool | None = None,
) -> Found:
    """Labels of the items ``codes`` (codes or barcodes), or else of the items the filter of
    the items list finds. Raises NotFound ``item_not_found`` (``category_not_found``)."""
    chosen, total = _select(
        db,
        codes,
        lambda conn: _items_by_codes(conn, codes),
        lambda: list_items(
            db,
            q,
            item_type=item_type,
            category=category,
            tracking=tracking,
            active=active,
            limit=MAX_LABELS,
        ),
    )
    return Found([item_label(i.code, i.name, _barcodes(i)) for i in chosen], total)


def _lots_by_codes(conn: Connection, codes: Sequence[str], item: str | None) -> list[Lot]:
    stmt = lot_store.lot_select().where(lots.c.code.in_(sorted(set(codes))))
    if item is not None:
        stmt = stmt.where(lots.c.item_id == _items_by_codes(conn, [item])[0].id)
    by_code: dict[str, Lot] = {}
    for row in conn.execute(stmt.order_by(items.c.code)):
        lot = lot_store.lot_from_row(row)
        if lot.code in by_code:
            raise InvalidInput(
                f"lot {lot.code} exists for several items ({by_code[lot.code].item}, "
                f"{lot.item}, ...): name the item",
                code="lot_ambiguous",
                lot=lot.code,
                items=[by_code[lot.code].item, lot.item],
            )
        by_code[lot.code] = lot
    for code in codes:
        if code not in by_code:
            raise NotFound("lot", f"{item}/{code}" if item else code)
    return [by_code[code] for code in codes]


def _lots_by_ids(conn: Connection, ids: Sequence[int]) -> list[Lot]:
    rows = conn.execute(lot_store.lot_select().where(lots.c.id.in_(sorted(set(ids)))))
    by_id = {row.id: lot_store.lot_from_row(row) for row in rows}
    for lot_id in ids:
        if lot_id not in by_id:
            raise NotFound("lot", lot_id)
    return [by_id[lot_id] for lot_id in ids]


def lot_labels(
    db: Database,
    *,
    ids: Sequence[int] = (),
    codes: Sequence[str] = (),
    item: str | None = None,
    status: str | None = None,
    expiring_before: date | None = None,
    q: str | None = None,
) -> Found:
    """Labels of the lots (and serials) with ``ids``, or with ``codes`` (of ``item``; without
    it a code must name one lot: InvalidInput ``lot_ambiguous``), or else of the lots the
    filter of the lots list finds. Raises NotFound ``lot_not_found`` / ``item_not_found``."""
    chosen: Sequence[_Lot]
    chosen, total = _select(
        db,
        [*ids, *codes],
        lambda conn: _lots_by_ids(conn, ids) if ids else _lots_by_codes(conn, codes, item),
        lambda: list_lots(
            db,
            item=item,
            status=status,
            expiring_before=expiring_before,
            q=q,
            limit=MAX_LABELS,
        ),
    )
    with db.read() as conn:
        item_ids = sorted({lot.item_id for lot in chosen})
        rows = list(conn.execute(catalog.item_select().where(items.c.id.in_(item_ids))))
        by_id = {i.id: i for i in catalog.load_items(conn, rows)}
    labels = [
        lot_label(
            lot.item,
            by_id[lot.item_id].name,
            _barcodes(by_id[lot.item_id]),
            lot.code,
            lot.expires_on,
            serial=lot.is_serial,
        )
        for lot in chosen
    ]
    return Found(labels, total)


def _locations_by_codes(
    conn: Connection, codes: Sequence[str], warehouses: Warehouses
) -> list[Location]:
    stmt = sites.location_select().where(locations.c.code.in_(sorted(set(codes))))
    if warehouses is not None:
        stmt = stmt.where(locations.c.warehouse_id.in_(sorted(warehouses)))
    by_code = {row.code: sites.location_from_row(row) for row in conn.execute(stmt)}
    _in_order(codes, by_code, "location")
    return [by_code[code] for code in codes]


def _paths(conn: Connection, chosen: Sequence[Location]) -> dict[int, list[str]]:
    """Each location's warehouse and the codes of the locations above it, top down."""
    above = {
        loc.id: [int(part) for part in loc.path.strip("/").split("/")[:-1] if part]
        for loc in chosen
    }
    wanted = sorted({i for ids in above.values() for i in ids})
    codes: dict[int, str] = {}
    if wanted:
        rows = conn.execute(
            select(locations.c.id, locations.c.code).where(locations.c.id.in_(wanted))
        )
        codes = {int(row.id): str(row.code) for row in rows}
    return {
        loc.id: [loc.warehouse, *(codes[i] for i in above[loc.id] if i in codes)] for loc in chosen
    }


def location_labels(
    db: Database,
    codes: Sequence[str] = (),
    *,
    q: str | None = None,
    warehouse: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
    warehouses: Warehouses = None,
) -> Found:
    """Labels of the locations ``codes``, or else of the storage locations the filter finds,
    in the warehouses ``warehouses`` (None: all; a location elsewhere is NotFound)."""
    chosen, total = _select(
        db,
        codes,
        lambda conn: _locations_by_codes(conn, codes, warehouses),
        lambda: list_locations(
            db,
            q,
            warehouse=warehouse,
            kind=kind,
            active=active,
            limit=MAX_LABELS,
            warehouses=warehouses,
        ),
    )
    with db.read() as conn:
        paths = _paths(conn, chosen)
    return Found([location_label(loc.code, loc.name, paths[loc.id]) for loc in chosen], total)
