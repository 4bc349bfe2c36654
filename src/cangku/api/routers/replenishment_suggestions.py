"""Replenishment suggestions and purchasing budgets (issue 16 point 4, ADR 0033):
``GET /api/v1/replenishment/suggestions`` (``replenishment.view``; what to order or transfer,
what was cut and why), ``POST /replenishment/orders`` (``replenishment.order``: draft purchase
orders and transfers from the suggestions picked, idempotent with ``Idempotency-Key``), and the
budgets: ``GET/POST /replenishment/budgets``, ``PUT/DELETE /replenishment/budgets/{id}``
(``budget.manage`` to change them)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.numbers import NonNegativeIn
from cangku.api.openapi import one_of, problems
from cangku.api.schemas_stock import MAX_ID
from cangku.domain.errors import InvalidInput
from cangku.domain.permissions import Actor
from cangku.queries import budgets as budget_queries
from cangku.queries.cycle_counts import company_today
from cangku.queries.suggestions import SuggestionFilter, suggestions
from cangku.routing import SegmentRouter
from cangku.services.replenishment import budgets as budget_service
from cangku.services.replenishment import suggestions as service
from cangku.services.replenishment.actions import REPLENISHMENT_VIEW

router = SegmentRouter(prefix="/replenishment", tags=["replenishment"])

BudgetId = Annotated[int, Path(ge=1, le=MAX_ID)]
Code = Annotated[str | None, Query(min_length=1, max_length=64)]
REASONS = ("budget", "capacity", "no_supplier", "below_minimum")
RULES = ("to_max", "pack", "moq", "max", "transfer")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SuggestionOut(BaseModel):
    """One line: an item into a warehouse, from its supplier or by transfer from a warehouse
    with excess; its position, levels, what was wanted and what the constraints kept."""

    model_config = ConfigDict(from_attributes=True)

    item: str
    item_name: str
    base_unit: str
    warehouse: str = Field(description="the destination")
    source: str = Field(json_schema_extra=one_of(("supplier", "transfer")))
    supplier: str | None = Field(description="the preferred (or only) supplier; null: none")
    from_warehouse: str | None = Field(description="a transfer's source warehouse")
    on_hand: Decimal
    on_order: Decimal = Field(description="open purchase orders (drafts too) less received")
    in_transit: Decimal = Field(description="transfers from other warehouses, not received")
    reserved: Decimal
    position: Decimal = Field(description="on hand + on order + in transit - reserved")
    reorder_point: Decimal
    order_up_to: Decimal
    wanted: Decimal = Field(description="before the budgets and the capacity")
    quantity: Decimal = Field(description="what is kept: what an order would hold")
    rule: str = Field(json_schema_extra=one_of(RULES), description="what set `wanted`")
    pack_size: Decimal | None
    minimum_order: Decimal | None
    unit_price: Decimal | None
    price_source: str | None = Field(
        json_schema_extra=one_of(("supplier", "standard_cost", "moving_average"))
    )
    value: Decimal | None = Field(description="quantity x unit price")
    days_of_cover: Decimal | None = Field(description="available / demand per day")
    abc_class: str | None
    reason: str | None = Field(
        json_schema_extra=one_of(REASONS), description="why less than wanted is kept"
    )
    budget_left: Decimal | None = Field(description="of the tightest budget, before this line")
    capacity_left: Decimal | None = Field(description="free in the warehouse, before this line")


class BudgetOut(BaseModel):
    """A purchasing budget with what is committed against it (purchase orders raised in its
    period, not cancelled) and what is left."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    period_start: date
    period_end: date
    warehouse: str | None = Field(description="null: every warehouse")
    category: str | None = Field(description="null: every category; else it and those under it")
    amount: Decimal
    committed: Decimal
    left: Decimal
    note: str | None
    updated_by: str
    updated_at: datetime


class SuggestionsOut(BaseModel):
    lines: list[SuggestionOut]
    budgets: list[BudgetOut] = Field(description="the budgets in force today")
    capacity: dict[str, Decimal] = Field(description="free capacity per warehouse (where set)")


class PickIn(_In):
    item: str = Field(min_length=1, max_length=64)
    warehouse: str = Field(min_length=1, max_length=64, description="the destination")
    from_warehouse: str | None = Field(
        None, min_length=1, max_length=64, description="a transfer's source; null: the supplier"
    )


class OrdersIn(_In):
    """The suggestions to order (``suggestions``), or all kept ones (``all``: true), only into
    ``warehouse`` when given."""

    suggestions: list[PickIn] | None = Field(None, min_length=1, max_length=5000)
    all: bool = False
    warehouse: str | None = Field(None, min_length=1, max_length=64)
    note: str | None = Field(None, max_length=2000)


class DocumentOut(BaseModel):
    kind: str = Field(json_schema_extra=one_of(("purchase_order", "transfer")))
    number: str
    warehouse: str
    source: str = Field(description="the supplier (an order) or the source warehouse")
    lines: int


class OrdersOut(BaseModel):
    documents: list[DocumentOut]
    replayed: bool


class BudgetIn(_In):
    period_start: date
    period_end: date
    amount: NonNegativeIn
    warehouse: str | None = Field(None, min_length=1, max_length=64)
    category: str | None = Field(None, min_length=1, max_length=64)
    note: str | None = Field(None, max_length=2000)


@router.get(
    "/suggestions",
    summary="What to order or transfer now, in the warehouses I see; what was cut and why",
    responses=problems(
        {404: "`warehouse_not_found`, `item_not_found`, `category_not_found`, `partner_not_found`"}
    ),
)
def list_suggestions(
    actor: Annotated[Actor, permit(REPLENISHMENT_VIEW)],
    db: DbDep,
    warehouse: Code = None,
    item: Code = None,
    category: Code = None,
    supplier: Code = None,
) -> SuggestionsOut:
    seen = actor.warehouses(REPLENISHMENT_VIEW)
    shown = SuggestionFilter(warehouse, item, category, supplier)
    with db.read() as conn:
        found = suggestions(conn, company_today(conn), seen, shown)
    return SuggestionsOut(
        lines=[SuggestionOut.model_validate(line) for line in found.lines],
        budgets=[BudgetOut.model_validate(b) for b in found.budgets],
        capacity=found.capacity,
    )


@router.post(
    "/orders",
    dependencies=[permit(service.REPLENISHMENT_ORDER)],
    status_code=201,
    summary="Draft purchase orders (per supplier and warehouse) and transfers from suggestions",
    responses=problems(
        {
            403: "`permission_denied` (`replenishment.order`, `po.edit` in the destination, "
            "`transfer.edit` in the source)",
            409: "`suggestion_gone`, `nothing_to_order`, `idempotency_key_reused`",
            422: "`choose_suggestions`, `note_too_long`, request validation",
        }
    ),
)
def order(body: OrdersIn, db: DbDep, ctx: ContextDep) -> OrdersOut:
    picked = None
    if body.suggestions is not None:
        picked = [(p.item, p.warehouse, p.from_warehouse) for p in body.suggestions]
    elif not body.all:
        raise InvalidInput("name the suggestions to order, or all: true", code="choose_suggestions")
    made = service.order_suggestions(
        db, ctx, service.OrderSuggestions(picked, body.warehouse, body.note)
    )
    return OrdersOut(
        documents=[DocumentOut(**vars(doc)) for doc in made.documents], replayed=made.replayed
    )


@router.get("/budgets", summary="Purchasing budgets with what is committed and left")
def list_budgets(actor: Annotated[Actor, permit(REPLENISHMENT_VIEW)], db: DbDep) -> list[BudgetOut]:
    with db.read() as conn:
        found = budget_queries.budget_rows(conn, actor.warehouses(REPLENISHMENT_VIEW))
    return [BudgetOut.model_validate(b) for b in found]


BUDGET_ERRORS = {
    403: "`permission_denied` (`budget.manage` in the warehouse, or everywhere)",
    404: "`warehouse_not_found`, `category_not_found`",
    409: "`idempotency_key_reused`",
    422: "`invalid_budget_period`, `negative_value`, `too_many_decimals`, request validation",
}


def _budget(db: Any, budget_id: int) -> BudgetOut:
    with db.read() as conn:
        return BudgetOut.model_validate(budget_queries.find_budget(conn, budget_id))


def _input(body: BudgetIn) -> budget_service.BudgetInput:
    return budget_service.BudgetInput(
        body.period_start, body.period_end, body.amount, body.warehouse, body.category, body.note
    )


@router.post(
    "/budgets",
    dependencies=[permit(budget_service.BUDGET_MANAGE)],
    status_code=201,
    summary="Set a purchasing budget for a period (every warehouse, one, or a category)",
    responses=problems(BUDGET_ERRORS),
)
def create_budget(body: BudgetIn, db: DbDep, ctx: ContextDep) -> BudgetOut:
    return _budget(db, budget_service.save_budget(db, ctx, _input(body)))


@router.put(
    "/budgets/{budget_id}",
    dependencies=[permit(budget_service.BUDGET_MANAGE)],
    summary="Replace a budget's period, scope, amount and note",
    responses=problems({**BUDGET_ERRORS, 404: "`budget_not_found`, " + BUDGET_ERRORS[404]}),
)
def update_budget(budget_id: BudgetId, body: BudgetIn, db: DbDep, ctx: ContextDep) -> BudgetOut:
    return _budget(db, budget_service.save_budget(db, ctx, _input(body), budget_id))


@router.delete(
    "/budgets/{budget_id}",
    dependencies=[permit(budget_service.BUDGET_MANAGE)],
    status_code=204,
    summary="Delete a budget",
    responses=problems(
        {403: BUDGET_ERRORS[403], 404: "`budget_not_found`", 409: "`idempotency_key_reused`"}
    ),
)
def delete_budget(budget_id: BudgetId, db: DbDep, ctx: ContextDep) -> None:
    budget_service.delete_budget(db, ctx, budget_id)
