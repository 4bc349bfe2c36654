"""The item catalogue store: units, categories, items, their unit conversions and barcodes.

Reads return the ``Item`` read model (loaded in batches, never one query per row); writes never
commit (the service that opened the unit of work does).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, String, delete, exists, func, insert, literal, select, update

from cangku.db.lookups import unit_decimals, unit_factor
from cangku.db.tables import (
    categories,
    item_barcodes,
    item_units,
    items,
    locations,
    moves,
    units,
)
from cangku.domain.errors import Conflict, InvalidInput, NotFound
from cangku.domain.quantities import (
    MAX_MAGNITUDE,
    SCALE,
    SCALE_DIGITS,
    check_places,
    from_scaled,
    parse_decimal,
    to_scaled,
)
from cangku.domain.stock import ItemInfo

# ---------------------------------------------------------------- unit conversion


def scaled_base_quantity(
    quantity: Decimal, factor: int, unit: str, unit_places: int, base_unit: str, base_places: int
) -> int:
    """Pure arithmetic: ``quantity`` of ``unit`` (``factor`` scaled base units each) -> scaled base.

    Refuses more decimals than ``unit`` allows, and a result with more decimals than the base
    unit allows (InvalidInput ``too_many_decimals``). Exact: integers only, no rounding.
    """
    check_places(quantity, unit_places, "quantity", unit)
    product = to_scaled(quantity) * factor
    base, remainder = divmod(product, int(SCALE))
    step = 10 ** (SCALE_DIGITS - base_places)
    if remainder or base % step:
        converted = Decimal(product).scaleb(-2 * SCALE_DIGITS).normalize()
        raise InvalidInput(
            f"{quantity} {unit} is {converted} {base_unit}, more decimals than {base_unit!r} "
            f"allows ({base_places})",
            code="too_many_decimals",
            field="quantity",
            unit=base_unit,
            allowed=base_places,
        )
    if abs(base) >= int(MAX_MAGNITUDE) * SCALE:
        raise InvalidInput("quantity is too large", code="number_too_large", field="quantity")
    return int(base)


def to_base_quantity(conn: Connection, item: ItemInfo, quantity: Decimal, unit: str | None) -> int:
    """``quantity`` in ``unit`` (the base unit when None) as a scaled quantity of the base unit.

    Raises NotFound ``unit_not_found`` for an unknown unit, InvalidInput ``unit_not_convertible``
    when the item has no conversion for the unit, ``too_many_decimals`` when the quantity or its
    conversion has more decimals than the unit allows. Reads only.
    """
    quantity = parse_decimal(quantity)
    base_places = unit_decimals(conn, item.base_unit)
    if unit is None or unit == item.base_unit:
        return scaled_base_quantity(
            quantity, SCALE, item.base_unit, base_places, item.base_unit, base_places
        )
    unit_places = unit_decimals(conn, unit)
    factor = unit_factor(conn, item.id, unit)
    if factor is None:
        raise InvalidInput(
            f"item {item.code} has no conversion from {unit!r} to {item.base_unit!r}",
            code="unit_not_convertible",
            item=item.code,
            unit=unit,
        )
    return scaled_base_quantity(quantity, factor, unit, unit_places, item.base_unit, base_places)


# ---------------------------------------------------------------- the read model


@dataclass(frozen=True)
class ItemUnit:
    unit: str
    factor: Decimal  # base units in one of this unit


@dataclass(frozen=True)
class ItemBarcode:
    barcode: str
    unit: str | None


@dataclass(frozen=True)
class Item:
    id: int
    code: str
    name: str
    description: str | None
    item_type: str
    category: str | None
    base_unit: str
    tracking: str
    costing_method: str
    shelf_life_days: int | None
    safety_stock: Decimal | None
    reorder_point: Decimal | None
    max_stock: Decimal | None
    lead_time_days: int | None
    default_location: str | None
    standard_cost: Decimal | None
    units: list[ItemUnit]
    barcodes: list[ItemBarcode]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


def _maybe(value: int | None) -> Decimal | None:
    return None if value is None else from_scaled(value)


ITEM_COLUMNS = (
    items,
    categories.c.code.label("category_code"),
    locations.c.code.label("location_code"),
)


def item_select() -> Any:
    """``SELECT`` of item rows with their category and default location codes."""
    return (
        select(*ITEM_COLUMNS)
        .outerjoin(categories, categories.c.id == items.c.category_id)
        .outerjoin(locations, locations.c.id == items.c.default_location_id)
    )


def load_items(conn: Connection, rows: Sequence[Any]) -> list[Item]:
    """Turn rows of ``item_select()`` into ``Item``s (two more queries for the whole batch)."""
    ids = [row.id for row in rows]
    conversions: dict[int, list[ItemUnit]] = defaultdict(list)
    codes: dict[int, list[ItemBarcode]] = defaultdict(list)
    if ids:
        for u in conn.execute(
            select(item_units).where(item_units.c.item_id.in_(ids)).order_by(item_units.c.unit)
        ):
            conversions[u.item_id].append(ItemUnit(u.unit, from_scaled(u.factor)))
        for b in conn.execute(
            select(item_barcodes)
            .where(item_barcodes.c.item_id.in_(ids))
            .order_by(item_barcodes.c.barcode)
        ):
            codes[b.item_id].append(ItemBarcode(b.barcode, b.unit))
    return [
        Item(
            id=r.id,
            code=r.code,
            name=r.name,
            description=r.description,
            item_type=r.item_type,
            category=r.category_code,
            base_unit=r.base_unit,
            tracking=r.tracking,
            costing_method=r.costing_method,
            shelf_life_days=r.shelf_life_days,
            safety_stock=_maybe(r.safety_stock),
            reorder_point=_maybe(r.reorder_point),
            max_stock=_maybe(r.max_stock),
            lead_time_days=r.lead_time_days,
            default_location=r.location_code,
            standard_cost=_maybe(r.standard_cost),
            units=conversions[r.id],
            barcodes=codes[r.id],
            active=r.active,
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rows
    ]


def load_item(conn: Connection, item_id: int) -> Item:
    row = conn.execute(item_select().where(items.c.id == item_id)).first()
    if row is None:
        raise NotFound("item", item_id)
    return load_items(conn, [row])[0]


def item_id_by_code(conn: Connection, code: str) -> int:
    """The id of the item with this exact code (barcodes are not tried)."""
    found = conn.execute(select(items.c.id).where(items.c.code == code)).scalar()
    if found is None:
        raise NotFound("item", code)
    return int(found)


def item_id_by_barcode(conn: Connection, barcode: str) -> int:
    found = conn.execute(
        select(item_barcodes.c.item_id).where(item_barcodes.c.barcode == barcode)
    ).scalar()
    if found is None:
        raise NotFound("barcode", barcode)
    return int(found)


# ---------------------------------------------------------------- item writes


def code_taken(conn: Connection, code: str) -> bool:
    return conn.execute(select(exists().where(items.c.code == code))).scalar() is True


def barcode_owner(conn: Connection, barcode: str) -> int | None:
    found = conn.execute(
        select(item_barcodes.c.item_id).where(item_barcodes.c.barcode == barcode)
    ).scalar()
    return int(found) if found is not None else None


def has_moves(conn: Connection, item_id: int) -> bool:
    return conn.execute(select(exists().where(moves.c.item_id == item_id))).scalar() is True


def insert_item(conn: Connection, values: dict[str, Any], now: datetime) -> int:
    result = conn.execute(
        insert(items)
        .values(**values, active=True, version=1, created_at=now, updated_at=now)
        .returning(items.c.id)
    )
    return int(result.scalar_one())


def update_item(
    conn: Connection, item_id: int, values: dict[str, Any], version: int | None, now: datetime
) -> None:
    """Change columns of one item and bump its version; Conflict ``version_conflict`` when
    ``version`` is given and is not the stored one (checked in the same statement)."""
    stmt = update(items).where(items.c.id == item_id)
    if version is not None:
        stmt = stmt.where(items.c.version == version)
    done = conn.execute(stmt.values(**values, version=items.c.version + 1, updated_at=now)).rowcount
    if done == 0:
        current = conn.execute(select(items.c.version).where(items.c.id == item_id)).scalar()
        if current is None:
            raise NotFound("item", item_id)
        raise Conflict(
            "the item was changed by someone else; reload and try again",
            code="version_conflict",
            expected=version,
            current=int(current),
        )


def replace_units(conn: Connection, item_id: int, conversions: Sequence[tuple[str, int]]) -> None:
    """Replace the item's conversions with ``(unit, scaled factor)`` pairs."""
    conn.execute(delete(item_units).where(item_units.c.item_id == item_id))
    if conversions:
        conn.execute(
            insert(item_units),
            [{"item_id": item_id, "unit": u, "factor": f} for u, f in conversions],
        )


def replace_barcodes(
    conn: Connection, item_id: int, barcodes: Sequence[tuple[str, str | None]]
) -> None:
    conn.execute(delete(item_barcodes).where(item_barcodes.c.item_id == item_id))
    if barcodes:
        conn.execute(
            insert(item_barcodes),
            [{"item_id": item_id, "barcode": b, "unit": u} for b, u in barcodes],
        )


# ---------------------------------------------------------------- units


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    decimals: int


def list_units(conn: Connection) -> list[Unit]:
    rows = conn.execute(select(units).order_by(units.c.code))
    return [Unit(r.code, r.name, r.decimals) for r in rows]


def unit_by_code(conn: Connection, code: str) -> Unit:
    row = conn.execute(select(units).where(units.c.code == code)).first()
    if row is None:
        raise NotFound("unit", code)
    return Unit(row.code, row.name, row.decimals)


def unit_exists(conn: Connection, code: str) -> bool:
    return conn.execute(select(exists().where(units.c.code == code))).scalar() is True


def insert_unit(conn: Connection, code: str, name: str, decimals: int) -> None:
    conn.execute(insert(units).values(code=code, name=name, decimals=decimals))


# ---------------------------------------------------------------- categories


@dataclass(frozen=True)
class Category:
    id: int
    code: str
    name: str
    parent: str | None
    path: str  # codes from the root, e.g. "tools/hand-tools"
    depth: int  # 0 for a root category
    active: bool
    created_at: datetime
    updated_at: datetime


def category_select() -> Any:
    parent = categories.alias("parent")
    return select(categories, parent.c.code.label("parent_code")).outerjoin(
        parent, parent.c.id == categories.c.parent_id
    )


def load_categories(conn: Connection, rows: Sequence[Any]) -> list[Category]:
    """Rows of ``category_select()`` as ``Category``s, their code paths in one more query."""
    chains = {row.id: [int(p) for p in row.path.strip("/").split("/") if p] for row in rows}
    wanted = {i for chain in chains.values() for i in chain}
    codes: dict[int, str] = {}
    if wanted:
        stmt = select(categories.c.id, categories.c.code).where(categories.c.id.in_(wanted))
        codes = {row.id: row.code for row in conn.execute(stmt)}
    return [
        Category(
            id=r.id,
            code=r.code,
            name=r.name,
            parent=r.parent_code,
            path="/".join(codes.get(i, "?") for i in chains[r.id]),
            depth=max(len(chains[r.id]) - 1, 0),
            active=r.active,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rows
    ]


def category_by_code(conn: Connection, code: str) -> Category:
    row = conn.execute(category_select().where(categories.c.code == code)).first()
    if row is None:
        raise NotFound("category", code)
    return load_categories(conn, [row])[0]


def category_id_path(conn: Connection, category_id: int) -> str:
    """The stored id path ("/1/4/") used for subtree queries."""
    return str(
        conn.execute(select(categories.c.path).where(categories.c.id == category_id)).scalar_one()
    )


def category_code_taken(conn: Connection, code: str) -> bool:
    return conn.execute(select(exists().where(categories.c.code == code))).scalar() is True


def insert_category(
    conn: Connection, code: str, name: str, parent_id: int | None, now: datetime
) -> int:
    new_id = conn.execute(
        insert(categories)
        .values(
            code=code,
            name=name,
            parent_id=parent_id,
            path="/",
            active=True,
            created_at=now,
            updated_at=now,
        )
        .returning(categories.c.id)
    ).scalar_one()
    prefix = category_id_path(conn, parent_id) if parent_id is not None else "/"
    conn.execute(
        update(categories).where(categories.c.id == new_id).values(path=f"{prefix}{new_id}/")
    )
    return int(new_id)


def update_category(
    conn: Connection, category_id: int, values: dict[str, Any], now: datetime
) -> None:
    conn.execute(
        update(categories).where(categories.c.id == category_id).values(**values, updated_at=now)
    )


def move_category(conn: Connection, category_id: int, parent_id: int | None, now: datetime) -> None:
    """Re-parent a category and rewrite the paths of its whole subtree (one statement)."""
    old = category_id_path(conn, category_id)
    prefix = category_id_path(conn, parent_id) if parent_id is not None else "/"
    new_path = f"{prefix}{category_id}/"
    conn.execute(
        update(categories)
        .where(categories.c.id == category_id)
        .values(parent_id=parent_id, updated_at=now)
    )
    conn.execute(
        update(categories)
        .where(categories.c.path.startswith(old, autoescape=True))
        .values(path=literal(new_path, String).concat(func.substr(categories.c.path, len(old) + 1)))
    )


def subtree_ids(conn: Connection, category_id: int) -> Any:
    """A sub-select of the ids of the category and all its descendants."""
    path = category_id_path(conn, category_id)
    return select(categories.c.id).where(categories.c.path.startswith(path, autoescape=True))
