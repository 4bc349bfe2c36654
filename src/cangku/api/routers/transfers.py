"""Transfers between bins and between warehouses (issue 14): raise, submit, approve, reject,
revise, cancel, dispatch, receive, resolve; and the stock in transit.

Each write answers the transfer as ``GET /documents/{number}`` shows it, with what the step
produced in ``result``. A create answers 201, a step 200. Every write accepts an
``Idempotency-Key``. Dispatch is the source warehouse's step; receive and resolve are the
destination's (their permission is checked there). A number of another type answers 404
``transfer_not_found``; a step the transfer's state does not allow, 409 ``invalid_transition``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Query, Request, Response, status

from cangku.api.deps import ContextDep, DbDep, actor_of, permit
from cangku.api.routers.documents import document_of
from cangku.api.routers.labels import PROBLEM_RESPONSE
from cangku.api.routers.outbound import refusals
from cangku.api.routers.stock import mark_replay
from cangku.api.schemas_documents import NoteIn
from cangku.api.schemas_transfers import (
    TransferDispatchIn,
    TransferIn,
    TransferReceiveIn,
    TransferResolveIn,
    TransferResultOut,
    TransferStepOut,
    TransitLineOut,
    TransitOut,
)
from cangku.db.uow import Database
from cangku.domain.errors import NotFound
from cangku.domain.permissions import Actor
from cangku.domain.transfers import TRANSFER
from cangku.queries.cost_fields import cost_scope_of
from cangku.queries.sites import warehouse_codes
from cangku.queries.transfers import in_transit
from cangku.routing import SegmentRouter
from cangku.services.documents import DOCUMENTS_VIEW, StepResult, step_action
from cangku.services.stock import VALUATION_VIEW
from cangku.services.transfers import movement
from cangku.services.transfers import requests as transfers

router = SegmentRouter(tags=["transfers"])


def _answer(
    result: StepResult, db: Database, request: Request, response: Response
) -> TransferStepOut:
    mark_replay(response, result.replayed)
    document = document_of(db, actor_of(request), result.number)
    missing = result.data.get("missing")
    outcome = TransferResultOut(
        move_ids=result.move_ids,
        replayed=result.replayed,
        missing={k: Decimal(v) for k, v in missing.items()} if missing is not None else None,
    )
    return TransferStepOut(**dict(document), result=outcome)


def _permit(step: str) -> Any:
    return permit(step_action(TRANSFER.step(step).action))


@router.post(
    "/transfers",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(transfers.TRANSFER_EDIT)],
    responses=refusals(
        "`insufficient_stock` (more than the bin has free), `lot_not_available` (a held, "
        "quarantined, recalled or rejected lot between warehouses), `item_inactive`, "
        "`location_inactive`, `warehouse_inactive`, `lot_required`",
        step=False,
        forbidden="`permission_denied` (`transfer.edit` in the source warehouse)",
        unprocessable="`no_lines`, `from_location_not_in_warehouse`, "
        "`to_location_not_in_warehouse`, `to_location_required`, `same_location`, quantities",
    ),
    summary="Raise a transfer within a warehouse or to another one (a draft, or submitted)",
)
def create_transfer(
    body: TransferIn, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> TransferStepOut:
    fields = body.model_dump(exclude={"lines"})
    lines = [transfers.TransferLineInput(**line.model_dump()) for line in body.lines]
    result = transfers.create_transfer(db, ctx, transfers.NewTransfer(**fields, lines=lines))
    return _answer(result, db, request, response)


#: the steps that take only a note, by name
_NOTE_STEPS: dict[str, Callable[..., StepResult]] = {
    "submit": transfers.submit_transfer,
    "approve": transfers.approve_transfer,
    "revise": transfers.revise_transfer,
    "cancel": transfers.cancel_transfer,
    "reject": transfers.reject_transfer,
}


def _note_step(name: str, summary: str, conflict: str = "", unprocessable: str = "") -> None:
    service = _NOTE_STEPS[name]

    @router.post(
        f"/transfers/{{number}}/{name}",
        dependencies=[_permit(name)],
        responses=refusals(conflict, unprocessable=unprocessable),
        summary=summary,
        operation_id=f"transfer_{name}",
    )
    def step(
        number: str,
        db: DbDep,
        ctx: ContextDep,
        request: Request,
        response: Response,
        body: NoteIn | None = None,
    ) -> TransferStepOut:
        note = body.note if body else None
        if name == "reject":
            return _answer(service(db, ctx, number, note or ""), db, request, response)
        return _answer(service(db, ctx, number, note), db, request, response)

    step.__name__ = f"transfer_{name}"


_note_step("submit", "Submit a draft: approved at once within a warehouse, else it waits")
_note_step(
    "approve",
    "Approve a transfer someone else raised",
    "`own_document_approval` (never the requester)",
)
_note_step(
    "reject",
    "Send a transfer back to its requester, the reason in `note`",
    "`own_document_approval`",
    "`reason_required` (no `note`)",
)
_note_step("revise", "Take a rejected transfer back to draft")
_note_step("cancel", "Cancel a transfer not dispatched yet")


@router.post(
    "/transfers/{number}/dispatch",
    dependencies=[_permit("dispatch")],
    responses=refusals(
        "`dispatched_more_than_requested`, `nothing_to_dispatch`, `insufficient_stock`",
        unprocessable="`unknown_line`, quantities",
    ),
    summary="Dispatch: the goods leave their bins for transit (within a warehouse: their bins)",
)
def dispatch_transfer(
    number: str,
    db: DbDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
    body: TransferDispatchIn | None = None,
) -> TransferStepOut:
    given = body or TransferDispatchIn()
    result = movement.dispatch_transfer(db, ctx, number, given.picked, given.note)
    return _answer(result, db, request, response)


@router.post(
    "/transfers/{number}/receive",
    dependencies=[_permit("receive")],
    responses=refusals(
        "`received_more_than_dispatched`, `location_inactive`",
        forbidden="`permission_denied` (`transfer.receive` in the destination warehouse)",
        unprocessable="`unknown_line`, `to_location_required` (no bin for a line), "
        "`to_location_not_in_warehouse`, quantities",
    ),
    summary="Receive at the destination: what arrived goes to its bin, the rest is a discrepancy",
)
def receive_transfer(
    number: str,
    db: DbDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
    body: TransferReceiveIn | None = None,
) -> TransferStepOut:
    given = body or TransferReceiveIn()
    result = movement.receive_transfer(
        db, ctx, number, given.received, given.damaged, given.bins, given.note
    )
    return _answer(result, db, request, response)


@router.post(
    "/transfers/{number}/resolve",
    dependencies=[_permit("resolve")],
    responses=refusals(
        "`resolved_more_than_missing`, `location_inactive`",
        forbidden="`permission_denied` (`transfer.resolve` in the destination warehouse)",
        unprocessable="`unknown_outcome`, `unknown_line`, `to_location_required`, quantities",
    ),
    summary="Resolve what did not arrive: lost, returned, found or scrapped",
)
def resolve_transfer(
    number: str,
    body: TransferResolveIn,
    db: DbDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
) -> TransferStepOut:
    resolutions = [movement.Resolution(**r.model_dump()) for r in body.resolutions]
    result = movement.resolve_transfer(db, ctx, number, resolutions, body.note)
    return _answer(result, db, request, response)


@router.get(
    "/transfers/in-transit",
    summary="Stock in transit: transfer lines dispatched and not yet received or resolved",
    description=(
        "Oldest dispatch first, with the value of what is in transit (the item's stock value "
        "shared by quantity) where the caller may see values. Only transfers from or to a "
        "warehouse the caller sees."
    ),
    responses={
        404: {**PROBLEM_RESPONSE, "description": "`warehouse_not_found`"},
        422: {**PROBLEM_RESPONSE, "description": "request validation"},
    },
)
def stock_in_transit(
    actor: Annotated[Actor, permit(DOCUMENTS_VIEW)],
    db: DbDep,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
) -> TransitOut:
    if warehouse is not None and warehouse not in set(warehouse_codes(db).values()):
        raise NotFound("warehouse", warehouse)
    costs = cost_scope_of(db, actor.warehouses(VALUATION_VIEW))
    with db.read() as conn:
        rows = in_transit(
            conn, actor.warehouses(DOCUMENTS_VIEW), warehouse=warehouse, costs_seen=costs
        )
    total = None
    if rows and all(r.value is not None for r in rows):
        total = sum((r.value for r in rows if r.value is not None), Decimal(0))
    return TransitOut(items=[TransitLineOut.model_validate(r) for r in rows], total_value=total)
