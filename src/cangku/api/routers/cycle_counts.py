"""The cycle-count plan (``/api/v1/cycle-counts``, issue 14): the places due for counting (or
every place with its last count), the ABC classes the plan uses and their recomputation, the
counting frequencies per class or location, and each posted count's accuracy. A count of the
plan is raised with ``POST /counts`` and ``"plan": true``.

A warehouse the caller may not see answers 404 ``warehouse_not_found``, as one that does not
exist."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Response, status
from sqlalchemy import Connection

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.openapi import problems
from cangku.api.routers.stock import mark_replay
from cangku.api.schemas_cycle_counts import (
    AbcIn,
    AbcOut,
    AbcRunOut,
    AccuracyOut,
    CountAccuracyOut,
    DueListOut,
    FrequenciesIn,
    FrequenciesOut,
    FrequencyOut,
)
from cangku.db.uow import Database
from cangku.domain.errors import NotFound
from cangku.domain.permissions import Actor
from cangku.queries import cycle_counts as plan
from cangku.routing import SegmentRouter
from cangku.services import cycle_counts as service
from cangku.services.counts import COUNT_APPROVE
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.stock import VALUATION_VIEW

router = SegmentRouter(tags=["cycle counts"])

Viewer = Annotated[Actor, permit(DOCUMENTS_VIEW)]
Warehouse = Annotated[str, Query(min_length=1, max_length=64, description="a warehouse code")]
Limit = Annotated[int, Query(ge=1, le=500, description="rows, 1 to 500")]
Offset = Annotated[int, Query(ge=0, le=2**63 - 1, description="rows to skip")]
UNSEEN = problems({404: "`warehouse_not_found` (or not one the caller sees)"})


def _visible(conn: Connection, actor: Actor, warehouse: str) -> int:
    found = plan.warehouse_id_of(conn, warehouse)
    if not actor.may(DOCUMENTS_VIEW, found):
        raise NotFound("warehouse", warehouse)
    return found


@router.get(
    "/cycle-counts/due",
    responses=UNSEEN,
    summary="The places due for counting (or every place holding stock with its last count)",
)
def due(
    actor: Viewer,
    db: DbDep,
    warehouse: Warehouse,
    on: Annotated[date | None, Query(description="the day asked about (default: today)")] = None,
    every_place: Annotated[bool, Query(description="every place, not only the due")] = False,
    limit: Limit = 500,
    offset: Offset = 0,
) -> DueListOut:
    with db.read() as conn:
        _visible(conn, actor, warehouse)
        found = plan.due_list(
            conn,
            warehouse,
            on or plan.company_today(conn),
            every_place=every_place,
            limit=limit,
            offset=offset,
        )
    return DueListOut.model_validate(found)


@router.get(
    "/cycle-counts/abc",
    responses=problems({404: "`warehouse_not_found`, `abc_run_not_found` (none computed)"}),
    summary="The warehouse's latest ABC classes, largest consumption first",
)
def abc(
    actor: Viewer,
    db: DbDep,
    warehouse: Warehouse,
    limit: Limit = 100,
    offset: Offset = 0,
) -> AbcOut:
    with db.read() as conn:
        _visible(conn, actor, warehouse)
        found = plan.abc_view(conn, warehouse, limit=limit, offset=offset)
    if found is None:
        raise NotFound("abc_run", warehouse)
    return AbcOut.model_validate(found)


@router.post(
    "/cycle-counts/abc",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(COUNT_APPROVE)],
    responses=problems(
        {
            403: "`permission_denied` (`count.approve` in the warehouse)",
            404: "`warehouse_not_found`",
            409: "`idempotency_key_reused`",
        }
    ),
    summary="Recompute the warehouse's ABC classes from the last months' consumption value",
)
def recompute_abc(body: AbcIn, db: DbDep, ctx: ContextDep, response: Response) -> AbcRunOut:
    result = service.recompute_abc(db, ctx, body.warehouse, months=body.months, today=body.today)
    mark_replay(response, result.replayed)
    return AbcRunOut.model_validate(result)


def _frequencies(db: Database) -> FrequenciesOut:
    with db.read() as conn:
        found = plan.frequencies_view(conn)
    return FrequenciesOut(
        classes=found.classes,
        set_classes=sorted(found.set_classes),
        locations=[FrequencyOut(location=code, days=days) for code, days in found.locations],
    )


@router.get("/cycle-counts/frequencies", summary="How often each class and location is counted")
def frequencies(_actor: Viewer, db: DbDep) -> FrequenciesOut:
    return _frequencies(db)


@router.put(
    "/cycle-counts/frequencies",
    dependencies=[permit(COUNT_APPROVE)],
    responses=problems(
        {
            403: "`permission_denied` (`company.manage` for a class, `count.approve` in a"
            " location's warehouse)",
            404: "`location_not_found`",
            409: "`idempotency_key_reused`",
            422: "`no_changes` (neither classes nor locations), request validation",
        }
    ),
    summary="Set how often a class or a location (and all under it) is counted",
)
def set_frequencies(body: FrequenciesIn, db: DbDep, ctx: ContextDep) -> FrequenciesOut:
    classes = {str(cls): days for cls, days in body.classes.items()}
    service.set_frequencies(db, ctx, classes=classes, locations=body.locations)
    return _frequencies(db)


@router.get(
    "/cycle-counts/accuracy",
    responses=UNSEEN,
    summary="The last posted counts' accuracy: lines right / lines counted, value variance",
)
def accuracy(
    actor: Viewer,
    db: DbDep,
    warehouse: Warehouse,
    limit: Limit = 12,
    offset: Offset = 0,
) -> AccuracyOut:
    with db.read() as conn:
        found = _visible(conn, actor, warehouse)
        history = plan.accuracy_history(
            conn,
            warehouse,
            limit=limit,
            offset=offset,
            show_value=actor.may(VALUATION_VIEW, found),
        )
    return AccuracyOut(
        warehouse=warehouse, counts=[CountAccuracyOut.model_validate(c) for c in history]
    )
