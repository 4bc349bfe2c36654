"""Items, categories and units of measure.

Item codes may contain ``/``: the item routes take the rest of the path as the code, so the
routes with a suffix (``/units``, ``/suppliers``, ...) are declared before the bare one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, status

from cangku.api.deps import ContextDep, DbDep, actor_of, permit
from cangku.api.filters import ItemSort
from cangku.api.schemas_items import (
    CategoryCreate,
    CategoryNodeOut,
    CategoryOut,
    CategoryPage,
    CategoryPatch,
    ItemBarcodesPut,
    ItemCreate,
    ItemOut,
    ItemPage,
    ItemPatch,
    ItemUnitsPut,
    SupplierItemOut,
    UnitCreate,
    UnitOut,
    VersionIn,
)
from cangku.queries import items as item_queries
from cangku.queries import partners as partner_queries
from cangku.queries.attention import STOCK_LEVEL_FILTERS
from cangku.routing import SegmentRouter
from cangku.services import categories as category_services
from cangku.services import items as item_services
from cangku.services import units as unit_services
from cangku.services.categories import CATEGORY_MANAGE
from cangku.services.items import ITEM_CREATE, ITEM_DEACTIVATE, ITEM_UPDATE, ITEM_VIEW
from cangku.services.partners import PARTNER_VIEW
from cangku.services.stock import STOCK_VIEW
from cangku.services.units import UNIT_CREATE

router = SegmentRouter(tags=["items"])


def _item_input(body: ItemCreate) -> item_services.ItemInput:
    fields: dict[str, Any] = body.model_dump(exclude={"units", "barcodes"})
    return item_services.ItemInput(
        **fields,
        units=[(u.unit, u.factor) for u in body.units],
        barcodes=[(b.barcode, b.unit) for b in body.barcodes],
    )


#: the item list's stock-level filter (``queries.attention``)
StockLevel = Annotated[
    str | None,
    Query(
        description="below_reorder: at or below the reorder point in your warehouses",
        json_schema_extra={"enum": [*STOCK_LEVEL_FILTERS, None]},
    ),
]


@router.get("/items", dependencies=[permit(ITEM_VIEW)])
def list_items(
    request: Request,
    db: DbDep,
    q: str | None = None,
    item_type: str | None = None,
    category: str | None = None,
    tracking: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    sort: ItemSort = None,
    stock: StockLevel = None,
) -> ItemPage:
    """Items by code (or as ``sort`` says); ``q`` searches code, name and barcodes;
    ``category`` includes its subtree; ``stock=below_reorder`` keeps the active items at or
    below their reorder point, on hand summed over the caller's ``stock.view`` warehouses."""
    actor = actor_of(request)
    if stock is not None:
        actor.require(STOCK_VIEW)
    page = item_queries.list_items(
        db,
        q,
        item_type=item_type,
        category=category,
        tracking=tracking,
        active=active,
        limit=limit,
        offset=offset,
        sort=sort,
        stock=stock,
        warehouses=actor.warehouses(STOCK_VIEW),
    )
    return ItemPage.model_validate(page)


@router.post("/items", status_code=status.HTTP_201_CREATED, dependencies=[permit(ITEM_CREATE)])
def create_item(body: ItemCreate, db: DbDep, ctx: ContextDep) -> ItemOut:
    return ItemOut.model_validate(item_services.create_item(db, ctx, _item_input(body)))


@router.get("/items/by-barcode/{barcode:path}", dependencies=[permit(ITEM_VIEW)])
def item_by_barcode(barcode: str, db: DbDep) -> ItemOut:
    return ItemOut.model_validate(item_queries.get_item_by_barcode(db, barcode))


@router.get("/items/{code:path}/suppliers", dependencies=[permit(PARTNER_VIEW)])
def item_suppliers(code: str, db: DbDep) -> list[SupplierItemOut]:
    """Every supplier's terms for this item."""
    return [SupplierItemOut.model_validate(s) for s in partner_queries.suppliers_of_item(db, code)]


@router.put("/items/{code:path}/units", dependencies=[permit(ITEM_UPDATE)])
def set_units(code: str, body: ItemUnitsPut, db: DbDep, ctx: ContextDep) -> ItemOut:
    """Replace the item's unit conversions (factor = base units in one of that unit)."""
    units = [(u.unit, u.factor) for u in body.units]
    return ItemOut.model_validate(item_services.set_item_units(db, ctx, code, units, body.version))


@router.put("/items/{code:path}/barcodes", dependencies=[permit(ITEM_UPDATE)])
def set_barcodes(code: str, body: ItemBarcodesPut, db: DbDep, ctx: ContextDep) -> ItemOut:
    barcodes = [(b.barcode, b.unit) for b in body.barcodes]
    item = item_services.set_item_barcodes(db, ctx, code, barcodes, body.version)
    return ItemOut.model_validate(item)


@router.post("/items/{code:path}/deactivate", dependencies=[permit(ITEM_DEACTIVATE)])
def deactivate_item(
    code: str, db: DbDep, ctx: ContextDep, body: VersionIn | None = None
) -> ItemOut:
    version = body.version if body else None
    return ItemOut.model_validate(item_services.deactivate_item(db, ctx, code, version))


@router.post("/items/{code:path}/reactivate", dependencies=[permit(ITEM_DEACTIVATE)])
def reactivate_item(
    code: str, db: DbDep, ctx: ContextDep, body: VersionIn | None = None
) -> ItemOut:
    version = body.version if body else None
    return ItemOut.model_validate(item_services.reactivate_item(db, ctx, code, version))


@router.get("/items/{code:path}", dependencies=[permit(ITEM_VIEW)])
def get_item(code: str, db: DbDep) -> ItemOut:
    """One item by code (or by one of its barcodes)."""
    return ItemOut.model_validate(item_queries.get_item(db, code))


@router.patch("/items/{code:path}", dependencies=[permit(ITEM_UPDATE)])
def update_item(code: str, body: ItemPatch, db: DbDep, ctx: ContextDep) -> ItemOut:
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    item = item_services.update_item(db, ctx, code, changes, body.version)
    return ItemOut.model_validate(item)


# ---------------------------------------------------------------- categories


@router.get("/categories", tags=["categories"], dependencies=[permit(ITEM_VIEW)])
def list_categories(
    db: DbDep,
    q: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> CategoryPage:
    """Categories in tree order, each with its code path (``HW/FAST/BOLTS``)."""
    page = item_queries.list_categories(db, q, active=active, limit=limit, offset=offset)
    return CategoryPage.model_validate(page)


@router.get("/categories/tree", tags=["categories"], dependencies=[permit(ITEM_VIEW)])
def category_tree(db: DbDep, active: bool | None = None) -> list[CategoryNodeOut]:
    return [CategoryNodeOut.model_validate(n) for n in item_queries.category_tree(db, active)]


@router.post(
    "/categories",
    tags=["categories"],
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(CATEGORY_MANAGE)],
)
def create_category(body: CategoryCreate, db: DbDep, ctx: ContextDep) -> CategoryOut:
    category = category_services.create_category(
        db, ctx, body.code, body.name, body.parent, inspection_required=body.inspection_required
    )
    return CategoryOut.model_validate(category)


@router.get("/categories/{code}", tags=["categories"], dependencies=[permit(ITEM_VIEW)])
def get_category(code: str, db: DbDep) -> CategoryOut:
    return CategoryOut.model_validate(item_queries.get_category(db, code))


@router.patch("/categories/{code}", tags=["categories"], dependencies=[permit(CATEGORY_MANAGE)])
def update_category(code: str, body: CategoryPatch, db: DbDep, ctx: ContextDep) -> CategoryOut:
    changes = body.model_dump(exclude_unset=True)
    return CategoryOut.model_validate(category_services.update_category(db, ctx, code, changes))


@router.post(
    "/categories/{code}/deactivate", tags=["categories"], dependencies=[permit(CATEGORY_MANAGE)]
)
def deactivate_category(code: str, db: DbDep, ctx: ContextDep) -> CategoryOut:
    return CategoryOut.model_validate(category_services.deactivate_category(db, ctx, code))


@router.post(
    "/categories/{code}/reactivate", tags=["categories"], dependencies=[permit(CATEGORY_MANAGE)]
)
def reactivate_category(code: str, db: DbDep, ctx: ContextDep) -> CategoryOut:
    return CategoryOut.model_validate(category_services.reactivate_category(db, ctx, code))


# ---------------------------------------------------------------- units


@router.get("/units", tags=["units"], dependencies=[permit(ITEM_VIEW)])
def list_units(db: DbDep) -> list[UnitOut]:
    return [UnitOut.model_validate(u) for u in item_queries.list_units(db)]


@router.post(
    "/units",
    tags=["units"],
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(UNIT_CREATE)],
)
def create_unit(body: UnitCreate, db: DbDep, ctx: ContextDep) -> UnitOut:
    return UnitOut.model_validate(
        unit_services.create_unit(db, ctx, body.code, body.name, body.decimals)
    )
