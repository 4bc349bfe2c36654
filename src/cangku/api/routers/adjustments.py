"""Adjustments (``/api/v1/adjustments``) and the company's reason codes
(``/api/v1/reason-codes``).

An adjustment's lines each gain stock (from the warehouse's adjustment location), lose it (to
that location) or scrap it (to the scrap location), with a reason code of the company's list.
Submitted, it is approved at once unless worth more than the company's adjustment approval
threshold; then someone other than who raised it approves or rejects it. Posting writes the
moves. Each write answers the adjustment as ``GET /adjustments/{number}`` shows it, with what
the step produced in ``result``; a create answers 201, a step 200. Every write accepts an
``Idempotency-Key``. A number of another type answers 404 ``adjustment_not_found``; a step the
state does not allow, 409 ``invalid_transition``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request, Response, status

from cangku.api.deps import ContextDep, DbDep, actor_of, permit
from cangku.api.openapi import one_of, problems
from cangku.api.routers.documents import Limit, Offset, read_document, summaries
from cangku.api.routers.stock import mark_replay
from cangku.api.schemas_adjustments import (
    AdjustmentIn,
    AdjustmentOut,
    ReasonCodeIn,
    ReasonCodeOut,
    ReasonCodesOut,
)
from cangku.api.schemas_documents import DocumentPage, NoteIn, StepResultOut
from cangku.db.uow import Database
from cangku.domain.adjustments import ADJUSTMENT, REASON_KINDS
from cangku.domain.permissions import Actor
from cangku.queries import adjustments as queries
from cangku.routing import SegmentRouter
from cangku.services import adjustments as service
from cangku.services import reason_codes
from cangku.services.common import utcnow
from cangku.services.documents import DOCUMENTS_VIEW, StepResult, today

router = SegmentRouter(tags=["adjustments"])

Viewer = Annotated[Actor, permit(DOCUMENTS_VIEW)]
#: the service refuses another with its own code (``invalid_reason_kind``)
KindPath = Annotated[str, Path(json_schema_extra=one_of(REASON_KINDS))]
REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "a replay of an earlier request with the same Idempotency-Key"}
}
CREATE_REFUSALS = problems(
    {
        404: "`item_not_found`, `location_not_found`, `lot_not_found`, `unit_not_found`, "
        "`warehouse_not_found`; nothing written",
        409: "`reason_code_inactive`, `insufficient_stock` (with `post`), a ledger rule "
        "(`lot_required`, kinds), `idempotency_key_reused`; nothing written",
        422: "`unknown_reason_code`, `reason_required`, `invalid_direction`, "
        "`quantity_not_positive`, `location_not_in_warehouse`, `unit_cost_not_allowed`, "
        "`lot_not_allowed`, `invalid_input`; nothing written",
    }
)
STEP_REFUSALS = problems(
    {
        404: "`adjustment_not_found`",
        409: "`invalid_transition` (`data.state`: the step cannot be taken in it), "
        "`own_document_approval` (approving or rejecting one's own), `insufficient_stock` "
        "(posting a loss larger than available), `idempotency_key_reused`; nothing written",
        422: "`reason_required` (a rejection without a reason)",
    }
)


def _answer(
    db: Database, request: Request, response: Response, result: StepResult
) -> AdjustmentOut:
    mark_replay(response, result.replayed)
    return _read(db, actor_of(request), result.number, StepResultOut(
        move_ids=result.move_ids, replayed=result.replayed
    ))  # fmt: skip


def _read(db: Database, actor: Actor, number: str, result: StepResultOut) -> AdjustmentOut:
    with db.read() as conn:
        seen = actor.warehouses(DOCUMENTS_VIEW)
        found = queries.get_adjustment(conn, number, seen, today(conn, utcnow()))
        document = read_document(conn, actor, number)
    directions = {str(k): v for k, v in found.directions.items()}
    return AdjustmentOut(**dict(document), result=result, directions=directions)


@router.post(
    "/adjustments",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(service.ADJUSTMENT_EDIT)],
    responses={**REPLAY, **CREATE_REFUSALS},
    summary="Raise an adjustment (a draft; submitted with `submit`, posted too with `post`)",
)
def create_adjustment(
    body: AdjustmentIn, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> AdjustmentOut:
    fields: dict[str, Any] = body.model_dump(exclude={"lines"})
    command = service.NewAdjustment(
        **fields, lines=[service.AdjustmentLineInput(**line.model_dump()) for line in body.lines]
    )
    return _answer(db, request, response, service.create_adjustment(db, ctx, command))


@router.get("/adjustments", summary="Adjustments, newest first")
def list_adjustments(
    actor: Viewer,
    db: DbDep,
    state: Annotated[
        str | None, Query(description="a state", json_schema_extra=one_of(ADJUSTMENT.states))
    ] = None,
    warehouse: Annotated[str | None, Query(max_length=200)] = None,
    item: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DocumentPage:
    with db.read() as conn:
        page = queries.list_adjustments(
            conn, state=state, warehouse=warehouse, item=item,
            warehouses_seen=actor.warehouses(DOCUMENTS_VIEW), today=today(conn, utcnow()),
            limit=limit, offset=offset,
        )  # fmt: skip
    return summaries(db, actor, page)


@router.get(
    "/adjustments/{number}",
    responses=problems({404: "`adjustment_not_found`"}),
    summary="One adjustment: lines with their directions, timeline, moves, steps",
)
def get_adjustment(number: str, actor: Viewer, db: DbDep) -> AdjustmentOut:
    return _read(db, actor, number, StepResultOut(move_ids=[], replayed=False))


_STEPS = {
    "submit": (service.submit_adjustment, service.ADJUSTMENT_EDIT,
               "Submit a draft (approved at once unless above the threshold)"),
    "approve": (service.approve_adjustment, service.ADJUSTMENT_APPROVE,
                "Approve an adjustment someone else raised"),
    "reject": (service.reject_adjustment, service.ADJUSTMENT_APPROVE,
               "Reject an adjustment with the reason in `note`"),
    "post": (service.post_adjustment, service.ADJUSTMENT_EDIT,
             "Post an approved adjustment: its moves"),
    "cancel": (service.cancel_adjustment, service.ADJUSTMENT_EDIT,
               "Cancel an adjustment not posted yet"),
}  # fmt: skip


def _step(name: str) -> None:
    run, act, summary = _STEPS[name]

    @router.post(
        f"/adjustments/{{number}}/{name}",
        dependencies=[permit(act)],
        responses={**REPLAY, **STEP_REFUSALS},
        summary=summary,
        operation_id=f"adjustment_{name}",
    )
    def step(
        number: str,
        db: DbDep,
        ctx: ContextDep,
        request: Request,
        response: Response,
        body: NoteIn | None = None,
    ) -> AdjustmentOut:
        return _answer(db, request, response, run(db, ctx, number, body.note if body else None))

    step.__name__ = f"adjustment_{name}"


for _name in _STEPS:
    _step(_name)


# ---------------------------------------------------------------- reason codes
@router.get("/reason-codes", summary="The company's reason codes for adjustments and scrap")
def list_reason_codes(
    _actor: Viewer,
    db: DbDep,
    kind: Annotated[
        str | None, Query(description="the list", json_schema_extra=one_of(REASON_KINDS))
    ] = None,
) -> ReasonCodesOut:
    found = reason_codes.list_reason_codes(db, kind)
    return ReasonCodesOut(items=[ReasonCodeOut.model_validate(c) for c in found])


@router.post(
    "/reason-codes",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(reason_codes.REASON_CODE_MANAGE)],
    responses=problems(
        {
            409: "`reason_code_exists`; nothing written",
            422: "`invalid_reason_code` (1-64 of a-z, 0-9, _), `invalid_reason_kind`, "
            "`label_required`, `invalid_label`; nothing written",
        }
    ),
    summary="Add a company reason code",
)
def add_reason_code(body: ReasonCodeIn, db: DbDep, ctx: ContextDep) -> ReasonCodeOut:
    added = reason_codes.add_reason_code(db, ctx, reason_codes.NewReasonCode(**body.model_dump()))
    return ReasonCodeOut.model_validate(added)


def _activation(name: str, active: bool, summary: str) -> None:
    @router.post(
        f"/reason-codes/{{kind}}/{{code}}/{name}",
        dependencies=[permit(reason_codes.REASON_CODE_MANAGE)],
        responses=problems({404: "`reason_code_not_found`", 422: "`invalid_reason_kind`"}),
        summary=summary,
        operation_id=f"reason_code_{name}",
    )
    def change(kind: KindPath, code: str, db: DbDep, ctx: ContextDep) -> ReasonCodeOut:
        found = reason_codes.set_reason_code_active(db, ctx, kind, code, active)
        return ReasonCodeOut.model_validate(found)

    change.__name__ = f"reason_code_{name}"


_activation("deactivate", False, "Deactivate a reason code (built-in ones too; never deleted)")
_activation("activate", True, "Use a deactivated reason code again")
