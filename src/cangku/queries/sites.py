"""Read side of warehouses and locations: one by code, searchable lists, the location tree.

Every read takes ``warehouses``: the warehouse ids the caller may see (``None`` = all, from
``Actor.warehouses(WAREHOUSE_VIEW)``). Lists leave the others out; asking for another
warehouse (or its location) by code answers NotFound, as for a code that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from cangku.db import sites
from cangku.db.sites import Location, Warehouse
from cangku.db.tables import locations
from cangku.db.tables import warehouses as warehouse_table
from cangku.db.uow import Database
from cangku.domain.enums import STORAGE_KINDS, VIRTUAL_KINDS, LocationKind
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.permissions import Warehouses
from cangku.queries.common import Page, Sorting, paginate, text_filter

__all__ = [
    "LOCATION_SORTING",
    "WAREHOUSE_SORTING",
    "Location",
    "TreeNode",
    "Warehouse",
    "get_location",
    "get_warehouse",
    "list_locations",
    "list_warehouses",
    "location_subtree",
    "warehouse_codes",
    "warehouse_tree",
]


#: the orders the warehouse list may be read in (``sort=``)
WAREHOUSE_SORTING = Sorting(
    {
        "code": warehouse_table.c.code,
        "name": warehouse_table.c.name,
        "address": func.coalesce(warehouse_table.c.address, ""),
        "allow_negative_stock": warehouse_table.c.allow_negative_stock,
        "allow_expired_issue": warehouse_table.c.allow_expired_issue,
        "active": warehouse_table.c.active,
    },
    default="code",
    tiebreak=[warehouse_table.c.id],
)

#: the orders the location list may be read in (``sort=``)
LOCATION_SORTING = Sorting(
    {
        "code": locations.c.code,
        "name": locations.c.name,
        "warehouse": (warehouse_table.c.code, locations.c.code),
        "kind": locations.c.kind,
        "level": func.coalesce(locations.c.level, ""),
        "active": locations.c.active,
    },
    default="code",
    tiebreak=[locations.c.id],
)


@dataclass(frozen=True)
class TreeNode:
    """A location in its warehouse's tree; ``depth`` 0 is a root."""

    location: Location
    depth: int


def _seen_warehouse(conn: Connection, code: str, warehouses: Warehouses) -> Warehouse:
    found = sites.warehouse_by_code(conn, code)
    if warehouses is not None and found.id not in warehouses:
        raise NotFound("warehouse", code)
    return found


def _seen_location(conn: Connection, code: str, warehouses: Warehouses) -> Location:
    found = sites.location_by_code(conn, code)
    if warehouses is not None and found.warehouse_id not in warehouses:
        raise NotFound("location", code)
    return found


def get_warehouse(db: Database, code: str, *, warehouses: Warehouses = None) -> Warehouse:
    """The warehouse ``code``; raises NotFound (``warehouse_not_found``), also for a warehouse
    outside ``warehouses``."""
    with db.read() as conn:
        return _seen_warehouse(conn, code, warehouses)


def list_warehouses(
    db: Database,
    q: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    *,
    warehouses: Warehouses = None,
    sort: str | None = None,
) -> Page[Warehouse]:
    """Warehouses (of ``warehouses``; None: all) in the order ``sort`` names
    (``WAREHOUSE_SORTING``; by code by default); ``q`` searches code, name and address.
    InvalidInput ``invalid_sort`` for an unknown sort."""
    order = WAREHOUSE_SORTING.parse(sort)
    stmt = sites.warehouse_select().order_by(*WAREHOUSE_SORTING.order_by(order))
    found = text_filter(
        q, warehouse_table.c.code, warehouse_table.c.name, warehouse_table.c.address
    )
    if found is not None:
        stmt = stmt.where(found)
    if active is not None:
        stmt = stmt.where(warehouse_table.c.active.is_(active))
    if warehouses is not None:
        stmt = stmt.where(warehouse_table.c.id.in_(sorted(warehouses)))
    with db.read() as conn:
        rows, total = paginate(conn, stmt, limit, offset)
    return Page([sites.warehouse_from_row(r) for r in rows], total, limit, offset)


def warehouse_codes(db: Database) -> dict[int, str]:
    """Every warehouse's code by id (to name the warehouses of a user's permissions)."""
    with db.read() as conn:
        rows = conn.execute(select(warehouse_table.c.id, warehouse_table.c.code))
        return {int(row.id): str(row.code) for row in rows}


def get_location(db: Database, code: str, *, warehouses: Warehouses = None) -> Location:
    """The location ``code`` (virtual ones too); raises NotFound (``location_not_found``), also
    for a location outside ``warehouses``."""
    with db.read() as conn:
        return _seen_location(conn, code, warehouses)


def _kind(kind: str) -> LocationKind:
    try:
        return LocationKind(kind)
    except ValueError:
        raise InvalidInput(
            f"kind must be one of {', '.join(k.value for k in LocationKind)}",
            code="invalid_location_kind",
            kind=str(kind)[:40],
        ) from None


def list_locations(
    db: Database,
    q: str | None = None,
    warehouse: str | None = None,
    kind: str | None = None,
    parent: str | None = None,
    active: bool | None = None,
    include_virtual: bool = False,
    limit: int = 50,
    offset: int = 0,
    *,
    warehouses: Warehouses = None,
    sort: str | None = None,
) -> Page[Location]:
    """Locations (of ``warehouses``; None: all) in the order ``sort`` names
    (``LOCATION_SORTING``; by code by default). ``parent`` gives its direct children; virtual
    locations are left out unless ``include_virtual`` (or ``kind`` names a virtual kind). ``q``
    searches code and name. Raises NotFound for an unknown (or unseen) warehouse or parent,
    InvalidInput for an unknown kind or sort (``invalid_sort``).
    """
    order = LOCATION_SORTING.parse(sort)
    stmt = sites.location_select().order_by(*LOCATION_SORTING.order_by(order))
    found = text_filter(q, locations.c.code, locations.c.name)
    if found is not None:
        stmt = stmt.where(found)
    if kind is not None:
        parsed = _kind(kind)
        stmt = stmt.where(locations.c.kind == str(parsed))
        include_virtual = include_virtual or parsed in VIRTUAL_KINDS
    if not include_virtual:
        stmt = stmt.where(locations.c.kind.in_([str(k) for k in STORAGE_KINDS]))
    if active is not None:
        stmt = stmt.where(locations.c.active.is_(active))
    if warehouses is not None:
        stmt = stmt.where(locations.c.warehouse_id.in_(sorted(warehouses)))
    with db.read() as conn:
        if warehouse is not None:
            stmt = stmt.where(
                locations.c.warehouse_id == _seen_warehouse(conn, warehouse, warehouses).id
            )
        if parent is not None:
            stmt = stmt.where(locations.c.parent_id == _seen_location(conn, parent, warehouses).id)
        rows, total = paginate(conn, stmt, limit, offset)
    return Page([sites.location_from_row(r) for r in rows], total, limit, offset)


def location_subtree(
    db: Database,
    code: str,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    *,
    warehouses: Warehouses = None,
) -> Page[Location]:
    """Every location below ``code`` (not itself), by code. Raises NotFound (also for a
    location outside ``warehouses``)."""
    with db.read() as conn:
        top = _seen_location(conn, code, warehouses)
        stmt = (
            sites.location_select()
            .where(
                locations.c.path.startswith(top.path, autoescape=True),
                locations.c.id != top.id,
            )
            .order_by(locations.c.code, locations.c.id)
        )
        if active is not None:
            stmt = stmt.where(locations.c.active.is_(active))
        rows, total = paginate(conn, stmt, limit, offset)
    return Page([sites.location_from_row(r) for r in rows], total, limit, offset)


def warehouse_tree(
    db: Database,
    code: str,
    include_virtual: bool = False,
    active: bool | None = None,
    *,
    warehouses: Warehouses = None,
) -> list[TreeNode]:
    """The warehouse's locations in tree order (depth first, siblings by code).

    Virtual locations, when included, come last as roots. Raises NotFound (also for a
    warehouse outside ``warehouses``).
    """
    with db.read() as conn:
        warehouse = _seen_warehouse(conn, code, warehouses)
        stmt = sites.location_select().where(locations.c.warehouse_id == warehouse.id)
        if active is not None:
            stmt = stmt.where(locations.c.active.is_(active))
        everything = [sites.location_from_row(r) for r in conn.execute(stmt)]
    children: dict[int | None, list[Location]] = {}
    present = {loc.id for loc in everything}
    for loc in everything:
        if loc.is_virtual and not include_virtual:
            continue
        parent = loc.parent_id if loc.parent_id in present else None
        children.setdefault(parent, []).append(loc)
    for group in children.values():
        group.sort(key=lambda loc: (loc.is_virtual, loc.code))
    nodes: list[TreeNode] = []
    stack = [(loc, 0) for loc in reversed(children.get(None, []))]
    while stack:
        loc, depth = stack.pop()
        nodes.append(TreeNode(loc, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(loc.id, [])))
    return nodes
