"""Read side of the item catalogue: items, categories, units."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, func, or_

from cangku.db import catalog
from cangku.db.catalog import Category, Item, Unit
from cangku.db.tables import categories, item_barcodes, items
from cangku.db.uow import Database
from cangku.domain.errors import NotFound
from cangku.domain.permissions import Warehouses
from cangku.queries.attention import stock_level_condition
from cangku.queries.common import Page, Sorting, paginate, text_filter

__all__ = [
    "ITEM_SORTING",
    "Category",
    "CategoryNode",
    "Item",
    "Unit",
    "category_tree",
    "get_category",
    "get_item",
    "get_item_by_barcode",
    "list_categories",
    "list_items",
    "list_units",
]


#: the orders the item list may be read in (``sort=``)
ITEM_SORTING = Sorting(
    {
        "code": items.c.code,
        "name": items.c.name,
        "item_type": items.c.item_type,
        "base_unit": items.c.base_unit,
        "tracking": items.c.tracking,
        "costing_method": items.c.costing_method,
        "category": func.coalesce(categories.c.code, ""),
        "active": items.c.active,
    },
    default="code",
    tiebreak=[items.c.id],
)


def get_item(db: Database, code: str) -> Item:
    """The item with this code, or else the item with this barcode; NotFound ``item_not_found``."""
    with db.read() as conn:
        row = conn.execute(catalog.item_select().where(items.c.code == code)).first()
        if row is None:
            row = conn.execute(
                catalog.item_select()
                .join(item_barcodes, item_barcodes.c.item_id == items.c.id)
                .where(item_barcodes.c.barcode == code)
            ).first()
        if row is None:
            raise NotFound("item", code)
        return catalog.load_items(conn, [row])[0]


def get_item_by_barcode(db: Database, barcode: str) -> Item:
    """The item a barcode belongs to; NotFound ``barcode_not_found``."""
    with db.read() as conn:
        return catalog.load_item(conn, catalog.item_id_by_barcode(conn, barcode))


def list_items(
    db: Database,
    q: str | None = None,
    *,
    item_type: str | None = None,
    category: str | None = None,
    tracking: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    sort: str | None = None,
    stock: str | None = None,
    warehouses: Warehouses = None,
) -> Page[Item]:
    """Items in the order ``sort`` names (``ITEM_SORTING``; by code by default). ``q`` searches
    code, name and barcodes; ``category`` includes its sub-categories; ``stock``
    (``below_reorder``) keeps the active items at or below their reorder point in
    ``warehouses`` (``queries.attention``). NotFound ``category_not_found`` for an unknown
    category; InvalidInput ``invalid_sort``, ``invalid_stock_filter``."""
    order = ITEM_SORTING.parse(sort)
    stmt = catalog.item_select().order_by(*ITEM_SORTING.order_by(order))
    needle = text_filter(q, items.c.code, items.c.name)
    in_barcodes = text_filter(q, item_barcodes.c.barcode)
    if needle is not None and in_barcodes is not None:
        stmt = stmt.where(
            or_(needle, exists().where(item_barcodes.c.item_id == items.c.id, in_barcodes))
        )
    if item_type is not None:
        stmt = stmt.where(items.c.item_type == item_type)
    if tracking is not None:
        stmt = stmt.where(items.c.tracking == tracking)
    if active is not None:
        stmt = stmt.where(items.c.active == active)
    if stock:
        stmt = stmt.where(stock_level_condition(stock, warehouses))
    with db.read() as conn:
        if category is not None:
            found = catalog.category_by_code(conn, category)
            stmt = stmt.where(items.c.category_id.in_(catalog.subtree_ids(conn, found.id)))
        rows, total = paginate(conn, stmt, limit, offset)
        return Page(catalog.load_items(conn, rows), total, limit, offset)


def list_units(db: Database) -> list[Unit]:
    with db.read() as conn:
        return catalog.list_units(conn)


def get_category(db: Database, code: str) -> Category:
    with db.read() as conn:
        return catalog.category_by_code(conn, code)


def list_categories(
    db: Database,
    q: str | None = None,
    *,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Category]:
    """Categories in tree order (each parent before its children); ``q`` over code and name."""
    stmt = catalog.category_select().order_by(categories.c.path)
    needle = text_filter(q, categories.c.code, categories.c.name)
    if needle is not None:
        stmt = stmt.where(needle)
    if active is not None:
        stmt = stmt.where(categories.c.active == active)
    with db.read() as conn:
        rows, total = paginate(conn, stmt, limit, offset)
        return Page(catalog.load_categories(conn, rows), total, limit, offset)


@dataclass
class CategoryNode:
    code: str
    name: str
    active: bool
    children: list[CategoryNode] = field(default_factory=list)


def category_tree(db: Database, active: bool | None = None) -> list[CategoryNode]:
    """The whole category tree (roots in code order, children under their parent)."""
    with db.read() as conn:
        stmt = catalog.category_select().order_by(categories.c.code)
        if active is not None:
            stmt = stmt.where(categories.c.active == active)
        rows = list(conn.execute(stmt))
    nodes = {row.code: CategoryNode(row.code, row.name, row.active) for row in rows}
    roots: list[CategoryNode] = []
    for row in rows:
        parent = nodes.get(row.parent_code) if row.parent_code else None
        (parent.children if parent else roots).append(nodes[row.code])
    return roots
