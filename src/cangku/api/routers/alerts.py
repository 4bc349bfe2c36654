"""Alerts (ADR 0030): ``GET /api/v1/alerts`` (open ones by default, newest first, in the
warehouses the caller sees), ``POST /alerts/check`` (check the conditions now) and
``POST /alerts/{id}/acknowledge``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, Field

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.openapi import one_of, problems
from cangku.api.schemas_stock import MAX_ID
from cangku.domain.permissions import Actor
from cangku.queries import alerts as queries
from cangku.queries.alert_conditions import DEFAULT_KINDS, KINDS
from cangku.queries.common import MAX_LIMIT, MAX_OFFSET, paging_fields
from cangku.routing import SegmentRouter
from cangku.services import alerts as service

router = SegmentRouter(prefix="/alerts", tags=["alerts"])

Kind = Annotated[str, Field(json_schema_extra=one_of(KINDS))]
AlertId = Annotated[int, Path(ge=1, le=MAX_ID)]


class AlertOut(BaseModel):
    """An alert: what it is about, when it opened (and closed), its figures."""

    id: int
    kind: str = Field(examples=["low_stock"])
    title: str = Field(description="in English; a face renders it from kind and figures")
    subject_key: str = Field(examples=["item:7/warehouse:1"])
    item: str | None
    warehouse: str | None
    lot: str | None
    document: str | None = Field(description="the document's number (overdue documents)")
    opened_at: datetime
    closed_at: datetime | None = Field(description="null while the condition holds")
    changed_at: datetime = Field(description="when the figures last changed")
    opened_figures: dict[str, Any] = Field(description="as when it opened")
    figures: dict[str, Any] = Field(description="as last seen; quantities as decimal strings")
    acknowledged_by: str | None
    acknowledged_at: datetime | None


class AlertPage(BaseModel):
    items: list[AlertOut]
    total: int
    limit: int
    offset: int
    total_exact: bool
    next_cursor: str | None
    prev_cursor: str | None


class CheckIn(BaseModel):
    """What to check: the kinds (null: every kind but verify_failed) and the windows."""

    kinds: list[Kind] | None = Field(None, min_length=1, max_length=len(KINDS))
    expiring_days: int = Field(30, ge=0, le=3650, description="lots expiring within (days)")
    idle_days: int = Field(90, ge=1, le=3650, description="slow after this many days unissued")
    supply_days: int = Field(
        180, ge=1, le=3650, description="overstock beyond this many days of computed demand"
    )


class CheckOut(BaseModel):
    """What the check did: how many alerts it opened and closed, and how many stayed open."""

    kinds: list[str]
    opened: int
    closed: int
    still_open: int


@router.get(
    "",
    summary="Alerts in the warehouses I see: open ones by default, newest first",
    responses=problems({404: "`warehouse_not_found`", 422: "`unknown_alert_kind`"}),
)
def list_alerts(
    actor: Annotated[Actor, permit(service.ALERT_VIEW)],
    db: DbDep,
    kind: Annotated[str | None, Query(json_schema_extra=one_of(KINDS))] = None,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    include_closed: Annotated[bool, Query(description="closed alerts too")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AlertPage:
    seen = actor.warehouses(service.ALERT_VIEW)
    f = queries.AlertFilter(kind, warehouse, include_closed)
    with db.read() as conn:
        page = queries.list_alerts(conn, f, seen, limit, offset)
    items = [AlertOut.model_validate(row, from_attributes=True) for row in page.items]
    return AlertPage(items=items, **paging_fields(page))


@router.post(
    "/check",
    dependencies=[permit(service.ALERT_CHECK)],
    responses=problems(
        {
            403: "`permission_denied` (`alert.check`)",
            409: "`idempotency_key_reused`",
            422: "`unknown_alert_kind`, `invalid_alert_days`, request validation",
        }
    ),
    summary="Check the alert conditions now: open, refresh and close alerts",
)
def check(db: DbDep, ctx: ContextDep, body: CheckIn | None = None) -> CheckOut:
    given = body or CheckIn()
    done = service.check_alerts(
        db,
        ctx,
        given.kinds,
        expiring_days=given.expiring_days,
        idle_days=given.idle_days,
        supply_days=given.supply_days,
    )
    chosen = set(given.kinds) if given.kinds else set(DEFAULT_KINDS)
    return CheckOut(
        kinds=[kind for kind in KINDS if kind in chosen],
        opened=len(done.opened),
        closed=len(done.closed),
        still_open=done.still_open,
    )


@router.post(
    "/{alert_id}/acknowledge",
    dependencies=[permit(service.ALERT_ACKNOWLEDGE)],
    responses=problems(
        {
            403: "`permission_denied` (`alert.acknowledge` in the alert's warehouse)",
            404: "`alert_not_found`",
            409: "`alert_already_acknowledged`, `idempotency_key_reused`",
        }
    ),
    summary="Say an alert was seen and is being dealt with",
)
def acknowledge(alert_id: AlertId, db: DbDep, ctx: ContextDep) -> AlertOut:
    service.acknowledge_alert(db, ctx, alert_id)
    # whoever may acknowledge it there may read it back
    with db.read() as conn:
        found = queries.get_alert(conn, alert_id, None)
    return AlertOut.model_validate(found, from_attributes=True)
