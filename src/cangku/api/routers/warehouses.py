"""Warehouses and locations: ``/api/v1/warehouses`` and ``/api/v1/locations``.

Location codes may contain ``/`` (the virtual ones are ``WH1/SUPPLIER``), so location routes
take the code as a path; the action routes are declared before the catch-all.

A user sees only the warehouses granted to them (``warehouse.view``): the others, and their
locations, are left out of lists and answer 404 when named, also on the write routes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.filters import LocationKindFilter, LocationSort, WarehouseSort
from cangku.api.schemas_sites import (
    LocationCreate,
    LocationOut,
    LocationPage,
    LocationUpdate,
    PutawayRuleCreate,
    PutawayRuleOut,
    TreeNodeOut,
    WarehouseCreate,
    WarehouseOut,
    WarehousePage,
    WarehouseUpdate,
)
from cangku.api.schemas_stock import MAX_ID
from cangku.db.uow import Database
from cangku.domain.permissions import Actor
from cangku.queries import putaway_rules as rule_queries
from cangku.queries import sites as queries
from cangku.queries.common import Page
from cangku.routing import SegmentRouter
from cangku.services import locations as location_service
from cangku.services import putaway_rules as rule_service
from cangku.services import warehouses as service
from cangku.services.locations import LOCATION_MANAGE
from cangku.services.warehouses import (
    WAREHOUSE_CREATE,
    WAREHOUSE_UPDATE,
    WAREHOUSE_VIEW,
)

router = SegmentRouter()
warehouse_router = SegmentRouter(prefix="/warehouses", tags=["warehouses"])
location_router = SegmentRouter(prefix="/locations", tags=["locations"])

Limit = Annotated[int, Query(description="1 to 500")]
Offset = Annotated[int, Query()]
Viewer = Annotated[Actor, permit(WAREHOUSE_VIEW)]


def _seen_warehouse(db: Database, actor: Actor, code: str) -> None:
    """404 for a warehouse the caller may not see (before a write says 403 about it)."""
    queries.get_warehouse(db, code, warehouses=actor.warehouses(WAREHOUSE_VIEW))


def _seen_location(db: Database, actor: Actor, code: str) -> None:
    queries.get_location(db, code, warehouses=actor.warehouses(WAREHOUSE_VIEW))


# ------------------------------------------------------------------ warehouses


@warehouse_router.get("", response_model=WarehousePage, summary="List warehouses")
def list_warehouses(
    actor: Viewer,
    db: DbDep,
    q: str | None = None,
    active: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    sort: WarehouseSort = None,
) -> WarehousePage:
    page = queries.list_warehouses(
        db,
        q=q,
        active=active,
        limit=limit,
        offset=offset,
        warehouses=actor.warehouses(WAREHOUSE_VIEW),
        sort=sort,
    )
    return WarehousePage(
        items=[WarehouseOut.model_validate(w) for w in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@warehouse_router.post(
    "",
    status_code=201,
    response_model=WarehouseOut,
    summary="Create",
    dependencies=[permit(WAREHOUSE_CREATE)],
)
def create_warehouse(body: WarehouseCreate, db: DbDep, ctx: ContextDep) -> WarehouseOut:
    created = service.create_warehouse(db, ctx, service.WarehouseInput(**body.model_dump()))
    return WarehouseOut.model_validate(created)


@warehouse_router.get("/{code}", response_model=WarehouseOut, summary="One warehouse")
def get_warehouse(actor: Viewer, code: str, db: DbDep) -> WarehouseOut:
    found = queries.get_warehouse(db, code, warehouses=actor.warehouses(WAREHOUSE_VIEW))
    return WarehouseOut.model_validate(found)


@warehouse_router.get(
    "/{code}/tree", response_model=list[TreeNodeOut], summary="Location tree, depth first"
)
def warehouse_tree(
    actor: Viewer,
    code: str,
    db: DbDep,
    include_virtual: bool = False,
    active: bool | None = None,
) -> list[TreeNodeOut]:
    nodes = queries.warehouse_tree(
        db,
        code,
        include_virtual=include_virtual,
        active=active,
        warehouses=actor.warehouses(WAREHOUSE_VIEW),
    )
    return [
        TreeNodeOut(depth=n.depth, location=LocationOut.model_validate(n.location)) for n in nodes
    ]


Updater = Annotated[Actor, permit(WAREHOUSE_UPDATE)]


@warehouse_router.patch("/{code}", response_model=WarehouseOut, summary="Change")
def update_warehouse(
    actor: Updater, code: str, body: WarehouseUpdate, db: DbDep, ctx: ContextDep
) -> WarehouseOut:
    _seen_warehouse(db, actor, code)
    changes = service.WarehouseChanges(**{k: getattr(body, k) for k in body.model_fields_set})
    return WarehouseOut.model_validate(service.update_warehouse(db, ctx, code, changes))


@warehouse_router.post("/{code}/deactivate", response_model=WarehouseOut, summary="Deactivate")
def deactivate_warehouse(actor: Updater, code: str, db: DbDep, ctx: ContextDep) -> WarehouseOut:
    _seen_warehouse(db, actor, code)
    return WarehouseOut.model_validate(service.deactivate_warehouse(db, ctx, code))


@warehouse_router.post("/{code}/reactivate", response_model=WarehouseOut, summary="Reactivate")
def reactivate_warehouse(actor: Updater, code: str, db: DbDep, ctx: ContextDep) -> WarehouseOut:
    _seen_warehouse(db, actor, code)
    return WarehouseOut.model_validate(service.reactivate_warehouse(db, ctx, code))


# ------------------------------------------------------------------- put-away rules

RuleManager = Annotated[Actor, permit(LOCATION_MANAGE)]
RuleId = Annotated[int, Path(ge=1, le=MAX_ID, description="the rule's id")]


@warehouse_router.get(
    "/{code}/putaway-rules",
    response_model=list[PutawayRuleOut],
    summary="Put-away rules, by priority",
)
def list_putaway_rules(actor: Viewer, code: str, db: DbDep) -> list[PutawayRuleOut]:
    """Where received goods are suggested to go: the rules naming the item are tried first,
    then its category (the nearest first), then its item type; within each by priority."""
    rules = rule_queries.list_putaway_rules(db, code, warehouses=actor.warehouses(WAREHOUSE_VIEW))
    return [PutawayRuleOut.model_validate(rule) for rule in rules]


@warehouse_router.post(
    "/{code}/putaway-rules",
    status_code=201,
    response_model=PutawayRuleOut,
    summary="Add a put-away rule",
)
def add_putaway_rule(
    actor: RuleManager, code: str, body: PutawayRuleCreate, db: DbDep, ctx: ContextDep
) -> PutawayRuleOut:
    """Errors (problem+json): 403 ``permission_denied`` (needs ``location.manage`` in the
    warehouse); 404 ``warehouse_not_found``, ``location_not_found``, ``item_not_found``,
    ``category_not_found``; 409 ``putaway_rule_exists``, ``putaway_location_not_storage``,
    ``location_inactive``; 422 ``putaway_rule_subject`` (not exactly one of item, category,
    item type), ``invalid_item_type``, ``invalid_priority``, ``location_not_in_warehouse``."""
    _seen_warehouse(db, actor, code)
    rule = rule_service.add_putaway_rule(
        db,
        ctx,
        code,
        body.location,
        item=body.item,
        category=body.category,
        item_type=body.item_type,
        priority=body.priority,
    )
    return PutawayRuleOut.model_validate(rule)


@warehouse_router.delete(
    "/{code}/putaway-rules/{rule_id}",
    response_model=PutawayRuleOut,
    summary="Remove a put-away rule",
)
def remove_putaway_rule(
    actor: RuleManager, code: str, rule_id: RuleId, db: DbDep, ctx: ContextDep
) -> PutawayRuleOut:
    """Answers the rule removed. Errors: 403 ``permission_denied``; 404
    ``warehouse_not_found``, ``putaway_rule_not_found`` (also a rule of another warehouse)."""
    _seen_warehouse(db, actor, code)
    removed = rule_service.remove_putaway_rule(db, ctx, rule_id, warehouse=code)
    return PutawayRuleOut.model_validate(removed)


# ------------------------------------------------------------------- locations


def _location_page(page: Page[queries.Location]) -> LocationPage:
    return LocationPage(
        items=[LocationOut.model_validate(loc) for loc in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@location_router.get("", response_model=LocationPage, summary="List and search locations")
def list_locations(
    actor: Viewer,
    db: DbDep,
    q: str | None = None,
    warehouse: str | None = None,
    kind: LocationKindFilter = None,
    parent: Annotated[str | None, Query(description="direct children of this code")] = None,
    active: bool | None = None,
    include_virtual: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
    sort: LocationSort = None,
) -> LocationPage:
    page = queries.list_locations(
        db,
        q=q,
        warehouse=warehouse,
        kind=kind,
        parent=parent,
        active=active,
        include_virtual=include_virtual,
        limit=limit,
        offset=offset,
        warehouses=actor.warehouses(WAREHOUSE_VIEW),
        sort=sort,
    )
    return _location_page(page)


Manager = Annotated[Actor, permit(LOCATION_MANAGE)]


@location_router.post("", status_code=201, response_model=LocationOut, summary="Create")
def create_location(
    actor: Manager, body: LocationCreate, db: DbDep, ctx: ContextDep
) -> LocationOut:
    if body.warehouse is not None:
        _seen_warehouse(db, actor, body.warehouse)
    if body.parent is not None:
        _seen_location(db, actor, body.parent)
    created = location_service.create_location(
        db, ctx, location_service.LocationInput(**body.model_dump())
    )
    return LocationOut.model_validate(created)


@location_router.post("/{code:path}/deactivate", response_model=LocationOut, summary="Deactivate")
def deactivate_location(actor: Manager, code: str, db: DbDep, ctx: ContextDep) -> LocationOut:
    _seen_location(db, actor, code)
    return LocationOut.model_validate(location_service.deactivate_location(db, ctx, code))


@location_router.post("/{code:path}/reactivate", response_model=LocationOut, summary="Reactivate")
def reactivate_location(actor: Manager, code: str, db: DbDep, ctx: ContextDep) -> LocationOut:
    _seen_location(db, actor, code)
    return LocationOut.model_validate(location_service.reactivate_location(db, ctx, code))


@location_router.get(
    "/{code:path}/children", response_model=LocationPage, summary="Whole subtree below"
)
def location_children(
    actor: Viewer,
    code: str,
    db: DbDep,
    active: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LocationPage:
    page = queries.location_subtree(
        db,
        code,
        active=active,
        limit=limit,
        offset=offset,
        warehouses=actor.warehouses(WAREHOUSE_VIEW),
    )
    return _location_page(page)


@location_router.get("/{code:path}", response_model=LocationOut, summary="One location")
def get_location(actor: Viewer, code: str, db: DbDep) -> LocationOut:
    found = queries.get_location(db, code, warehouses=actor.warehouses(WAREHOUSE_VIEW))
    return LocationOut.model_validate(found)


@location_router.patch("/{code:path}", response_model=LocationOut, summary="Change or move")
def update_location(
    actor: Manager, code: str, body: LocationUpdate, db: DbDep, ctx: ContextDep
) -> LocationOut:
    _seen_location(db, actor, code)
    if body.parent is not None:
        _seen_location(db, actor, body.parent)
    changes = location_service.LocationChanges(
        **{k: getattr(body, k) for k in body.model_fields_set}
    )
    return LocationOut.model_validate(location_service.update_location(db, ctx, code, changes))


router.include_router(warehouse_router)
router.include_router(location_router)
