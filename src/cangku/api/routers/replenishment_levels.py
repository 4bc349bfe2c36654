"""Stored replenishment levels (ADR 0032): ``GET /api/v1/replenishment/levels`` (the list),
``GET .../levels/{item}/{warehouse}`` (one with its whole working), ``POST
/replenishment/recompute``, ``PUT`` and ``DELETE .../levels/{item}/{warehouse}/override``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path, Query, Response
from pydantic import BaseModel, Field

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.openapi import problems
from cangku.domain.permissions import Actor
from cangku.queries import replenishment as queries
from cangku.queries.common import MAX_LIMIT, MAX_OFFSET, paging_fields
from cangku.queries.levels import LEVELS
from cangku.routing import SegmentRouter
from cangku.services.replenishment.actions import REPLENISHMENT_MANAGE, REPLENISHMENT_VIEW
from cangku.services.replenishment.levels import DEFAULT_WEEKS, MAX_WEEKS, MIN_WEEKS
from cangku.services.replenishment.levels import recompute_levels as recompute_service
from cangku.services.replenishment.overrides import OverrideInput, clear_override, set_override

router = SegmentRouter(prefix="/replenishment", tags=["replenishment"])

ItemCode = Annotated[str, Path(min_length=1, max_length=64, description="an item's code")]
WarehouseCode = Annotated[str, Path(min_length=1, max_length=64, description="a warehouse's code")]
Level = Annotated[Decimal | None, Field(ge=0, max_digits=18, decimal_places=6)]


class Levels(BaseModel):
    safety_stock: Decimal | None
    reorder_point: Decimal | None
    order_up_to: Decimal | None


class Sources(BaseModel):
    safety_stock: str | None = Field(description="override, computed, item or null")
    reorder_point: str | None
    order_up_to: str | None


class OverrideOut(Levels):
    reason: str | None
    by: str | None
    at: datetime | None


class LevelOut(BaseModel):
    """An item's levels in one warehouse: in force (and from where), computed, overridden."""

    item: str
    item_name: str
    warehouse: str
    in_force: Levels
    source: Sources
    computed: Levels
    override: OverrideOut
    computed_at: datetime | None
    method: str | None = Field(description="the forecast method chosen by the backtest")
    mae: Decimal | None = Field(description="its backtest MAE (per week)")
    mase: Decimal | None
    demand: Decimal | None = Field(description="forecast demand per day")
    demand_sd: Decimal | None
    lead_time: Decimal | None = Field(description="days")
    lead_time_sd: Decimal | None
    lead_time_source: str | None = Field(description="receipts, supplier, item or default")
    lead_time_samples: int | None
    abc_class: str | None
    service_level: Decimal | None
    z: Decimal | None


class LevelDetail(LevelOut):
    working: dict[str, Any] | None = Field(description="the forecast, candidates, lead times")


class LevelPage(BaseModel):
    items: list[LevelOut]
    total: int
    limit: int
    offset: int
    total_exact: bool
    next_cursor: str | None
    prev_cursor: str | None


class RecomputeIn(BaseModel):
    warehouse: str | None = Field(None, max_length=64, description="null: every one I manage")
    item: str | None = Field(None, max_length=64, description="null: every item")
    weeks: int = Field(DEFAULT_WEEKS, ge=MIN_WEEKS, le=MAX_WEEKS, description="of history")


class RecomputeOut(BaseModel):
    computed: int
    cleared: int = Field(description="rows whose demand vanished: computed figures cleared")
    methods: dict[str, int]
    start: date
    end: date


class OverrideIn(BaseModel):
    """The levels to hold (null: not overridden) and why."""

    reason: str = Field(max_length=500)
    safety_stock: Level = None
    reorder_point: Level = None
    order_up_to: Level = None


def _out(row: queries.LevelRow, cls: type[LevelOut] = LevelOut) -> Any:
    data: dict[str, Any] = {
        name: getattr(row, name)
        for name in cls.model_fields
        if name not in ("in_force", "source", "computed", "override")
    }
    data.update(
        in_force=row.in_force,
        source=row.source,
        computed=row.computed,
        override={
            **row.override,
            "reason": row.override_reason,
            "by": row.override_by,
            "at": row.override_at,
        },
    )
    return cls.model_validate(data)


@router.get(
    "/levels",
    summary="Stored replenishment levels in the warehouses I see",
    responses=problems(
        {
            403: "`permission_denied` (`replenishment.view` in the warehouse)",
            404: "`warehouse_not_found`, `item_not_found`, `category_not_found`",
        }
    ),
)
def list_levels(
    actor: Annotated[Actor, permit(REPLENISHMENT_VIEW)],
    db: DbDep,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    item: Annotated[str | None, Query(max_length=64)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    only_with_override: Annotated[bool, Query(description="overridden rows only")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> LevelPage:
    f = queries.LevelFilter(warehouse, item, category, only_with_override)
    with db.read() as conn:
        page = queries.list_levels(conn, f, actor.warehouses(REPLENISHMENT_VIEW), limit, offset)
    return LevelPage(items=[_out(row) for row in page.items], **paging_fields(page))


@router.get(
    "/levels/{item}/{warehouse}",
    summary="One item's levels in one warehouse with the whole working",
    responses=problems(
        {
            403: "`permission_denied` (`replenishment.view` in the warehouse)",
            404: "`warehouse_not_found`, `item_not_found`, `replenishment_levels_not_found`",
        }
    ),
)
def show_level(
    actor: Annotated[Actor, permit(REPLENISHMENT_VIEW)],
    db: DbDep,
    item: ItemCode,
    warehouse: WarehouseCode,
) -> LevelDetail:
    with db.read() as conn:
        row = queries.find_level(conn, item, warehouse, actor.warehouses(REPLENISHMENT_VIEW))
    out: LevelDetail = _out(row, LevelDetail)
    return out


@router.post(
    "/recompute",
    dependencies=[permit(REPLENISHMENT_MANAGE)],
    summary="Recompute the levels from the demand, the receipts and the ABC classes",
    responses=problems(
        {
            403: "`permission_denied` (`replenishment.manage` in the warehouse)",
            404: "`warehouse_not_found`, `item_not_found`",
            422: "`invalid_weeks`, request validation",
        }
    ),
)
def recompute(db: DbDep, ctx: ContextDep, body: RecomputeIn | None = None) -> RecomputeOut:
    given = body or RecomputeIn()
    done = recompute_service(db, ctx, warehouse=given.warehouse, item=given.item, weeks=given.weeks)
    return RecomputeOut(
        computed=done.computed,
        cleared=done.cleared,
        methods=done.methods,
        start=done.start,
        end=done.end,
    )


_OVERRIDE_REFUSALS = (
    "`reason_required`, `reason_too_long`, `no_override_levels`, `negative_level`, "
    "`too_many_decimals`, `reorder_point_below_safety_stock`, `max_below_reorder_point`, "
    "request validation"
)


@router.put(
    "/levels/{item}/{warehouse}/override",
    dependencies=[permit(REPLENISHMENT_MANAGE)],
    summary="Hold these levels instead of the computed ones, saying why",
    responses=problems(
        {
            403: "`permission_denied` (`replenishment.manage` in the warehouse)",
            404: "`warehouse_not_found`, `item_not_found`",
            409: "`idempotency_key_reused`",
            422: _OVERRIDE_REFUSALS,
        }
    ),
)
def put_override(
    db: DbDep, ctx: ContextDep, item: ItemCode, warehouse: WarehouseCode, body: OverrideIn
) -> Levels:
    levels = {level: getattr(body, level) for level in LEVELS}
    after = set_override(db, ctx, item, warehouse, OverrideInput(body.reason, **levels))
    return Levels.model_validate(after)


@router.delete(
    "/levels/{item}/{warehouse}/override",
    dependencies=[permit(REPLENISHMENT_MANAGE)],
    status_code=204,
    summary="Clear the override: the computed (or the item's own) levels apply again",
    responses=problems(
        {
            403: "`permission_denied` (`replenishment.manage` in the warehouse)",
            404: "`warehouse_not_found`, `item_not_found`, `override_not_found`",
            409: "`idempotency_key_reused`",
        }
    ),
)
def delete_override(
    db: DbDep, ctx: ContextDep, item: ItemCode, warehouse: WarehouseCode
) -> Response:
    clear_override(db, ctx, item, warehouse)
    return Response(status_code=204)
