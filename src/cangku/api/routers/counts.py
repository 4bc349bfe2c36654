"""Stock counts (issue 14): raise, start, enter counts, close, recount, approve, post, cancel;
and the count with its lines as its counters and reviewer see it.

Each write answers the count as ``GET /counts/{number}`` shows it, with what the step produced
in ``result``. A create answers 201, a step 200. Every write accepts an ``Idempotency-Key``. A
number of another type answers 404 ``count_not_found``; a step the count's state does not
allow, 409 ``invalid_transition``. A blind count shows no expected figures to a caller who may
not approve it; a difference's value only to a caller with ``valuation.view`` there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Request, Response, status
from sqlalchemy import Connection

from cangku.api.deps import ContextDep, DbDep, actor_of, permit
from cangku.api.routers.documents import steps_for
from cangku.api.routers.labels import PROBLEM_RESPONSE
from cangku.api.routers.outbound import refusals
from cangku.api.routers.stock import mark_replay
from cangku.api.schemas_counts import (
    CloseIn,
    CountIn,
    CountOut,
    CountResultOut,
    CountStepOut,
    EntriesIn,
    RecountIn,
)
from cangku.api.schemas_documents import NoteIn
from cangku.db.uow import Database
from cangku.domain.counts import COUNT
from cangku.domain.permissions import Actor
from cangku.queries.cost_fields import cost_scope
from cangku.queries.counts import count_view
from cangku.queries.stock import warehouse_id
from cangku.routing import SegmentRouter
from cangku.services import counts as service
from cangku.services.documents import DOCUMENTS_VIEW, StepResult, step_action
from cangku.services.stock import VALUATION_VIEW

router = SegmentRouter(tags=["counts"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {**PROBLEM_RESPONSE, "description": "`count_not_found`"}
}


def read_count(conn: Connection, actor: Actor, number: str) -> CountOut:
    """The count as the caller sees it (NotFound outside the warehouses they see)."""
    view = count_view(
        conn,
        number,
        actor.warehouses(DOCUMENTS_VIEW),
        lambda where: not actor.may(service.COUNT_APPROVE, where),
        cost_scope(conn, actor.warehouses(VALUATION_VIEW)),
    )
    steps = steps_for(actor, COUNT.doc_type, view.state, warehouse_id(conn, view.warehouse))
    return CountOut.model_validate({**vars(view), "steps": steps}, from_attributes=True)


def _answer(
    number: str, data: dict[str, Any], db: Database, request: Request, response: Response
) -> CountStepOut:
    replayed = bool(data.get("replayed"))
    mark_replay(response, replayed)
    with db.read() as conn:
        count = read_count(conn, actor_of(request), number)
    known = {k: v for k, v in data.items() if k in CountResultOut.model_fields}
    outcome = CountResultOut(**{"move_ids": [], **known, "replayed": replayed})
    return CountStepOut(**dict(count), result=outcome)


def _stepped(
    result: StepResult, db: Database, request: Request, response: Response
) -> CountStepOut:
    data = {**result.data, "move_ids": result.move_ids, "replayed": result.replayed}
    return _answer(result.number, data, db, request, response)


def _permit(step: str) -> Any:
    return permit(step_action(COUNT.step(step).action))


@router.post(
    "/counts",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(service.COUNT_MANAGE)],
    responses={
        **refusals(
            "`warehouse_inactive`, `nothing_due`",
            step=False,
            forbidden="`permission_denied` (`count.manage` in the warehouse)",
            unprocessable="`location_not_in_warehouse`, request validation",
        ),
        404: {
            **PROBLEM_RESPONSE,
            "description": "`warehouse_not_found`, `location_not_found`, `item_not_found`, "
            "`category_not_found`",
        },
    },
    summary="Raise a count of a warehouse, or of zones, locations, items or categories in it,"
    " or of the cycle-count plan's due places",
)
def create_count(
    body: CountIn, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> CountStepOut:
    result = service.create_count(db, ctx, service.NewCount(**body.model_dump()))
    return _stepped(result, db, request, response)


@router.post(
    "/counts/{number}/start",
    dependencies=[_permit("start")],
    responses={**refusals(), **NOT_FOUND},
    summary="Start counting: the snapshot of the scope's balances and the ledger's position",
)
def start_count(
    number: str, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> CountStepOut:
    return _stepped(service.start_count(db, ctx, number), db, request, response)


@router.post(
    "/counts/{number}/entries",
    dependencies=[permit(service.COUNT_MANAGE)],
    responses={
        **refusals(
            "`count_line_out_of_scope`, `recount_by_same_counter`",
            unprocessable="`no_lines`, `negative_count`, `lot_required`, quantities",
        ),
        404: {
            **PROBLEM_RESPONSE,
            "description": "`count_not_found`, `location_not_found`, `item_not_found`",
        },
    },
    summary="Enter what was counted (a place counted again in its round: the latest wins)",
)
def enter_counts(
    number: str,
    body: EntriesIn,
    db: DbDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
) -> CountStepOut:
    entries = [service.CountEntry(**e.model_dump()) for e in body.entries]
    return _answer(number, service.enter_counts(db, ctx, number, entries), db, request, response)


@router.post(
    "/counts/{number}/close",
    dependencies=[_permit("close")],
    responses={**refusals(), **NOT_FOUND},
    summary="Close counting: each line's difference against the books when it was counted",
)
def close_count(
    number: str,
    db: DbDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
    body: CloseIn | None = None,
) -> CountStepOut:
    zero = body.zero_uncounted if body else False
    return _stepped(
        service.close_count(db, ctx, number, zero_uncounted=zero), db, request, response
    )


@router.post(
    "/counts/{number}/recount",
    dependencies=[_permit("recount")],
    responses={**refusals(unprocessable="`unknown_line`, `no_lines`"), **NOT_FOUND},
    summary="Send chosen lines back to be counted again, by another counter",
)
def recount_lines(
    number: str, body: RecountIn, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> CountStepOut:
    result = service.recount_lines(db, ctx, number, body.lines, body.note)
    return _stepped(result, db, request, response)


#: the steps that take only a note, by name
_NOTE_STEPS: dict[str, Callable[..., StepResult]] = {
    "approve": service.approve_count,
    "cancel": service.cancel_count,
}


def _note_step(name: str, summary: str, conflict: str = "") -> None:
    run = _NOTE_STEPS[name]

    @router.post(
        f"/counts/{{number}}/{name}",
        dependencies=[_permit(name)],
        responses={**refusals(conflict), **NOT_FOUND},
        summary=summary,
        operation_id=f"count_{name}",
    )
    def step(
        number: str,
        db: DbDep,
        ctx: ContextDep,
        request: Request,
        response: Response,
        body: NoteIn | None = None,
    ) -> CountStepOut:
        note = body.note if body else None
        return _stepped(run(db, ctx, number, note), db, request, response)

    step.__name__ = f"count_{name}"


_note_step(
    "approve",
    "Approve a closed count (above the threshold, by someone who did not count it)",
    "`counter_cannot_approve`",
)
_note_step("cancel", "Cancel a count not approved yet: nothing is adjusted")


@router.post(
    "/counts/{number}/post",
    dependencies=[_permit("post")],
    responses={**refusals(), **NOT_FOUND},
    summary="Post an approved count: one adjustment per line that differs from the books",
)
def post_count(
    number: str, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> CountStepOut:
    return _stepped(service.post_count(db, ctx, number), db, request, response)


@router.get(
    "/counts/{number}",
    summary="A count: its lines, and from review on their differences and the moves since",
    responses={**NOT_FOUND},
)
def get_count(number: str, actor: Annotated[Actor, permit(DOCUMENTS_VIEW)], db: DbDep) -> CountOut:
    with db.read() as conn:
        return read_count(conn, actor, number)
