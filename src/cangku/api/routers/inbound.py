"""Inbound: purchase orders, receipts, inspections, put-aways and returns to suppliers.

Each write answers the document as ``GET /documents/{number}`` shows it, with what the step
produced in ``result`` (the moves it wrote, the inspection and put-away it opened). A create
answers 201, a step 200. Every write accepts an ``Idempotency-Key``: a repeat with the same
body writes nothing and answers 200 with ``Idempotent-Replay: true``.

A number of another type in the path (``/purchase-orders/GR-...``) answers 404
``<type>_not_found``; a step the document's state does not allow, 409 ``invalid_transition``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response, status

from cangku.api.deps import ContextDep, DbDep, actor_of, permit
from cangku.api.openapi import problems
from cangku.api.routers.documents import document_of
from cangku.api.routers.stock import mark_replay
from cangku.api.schemas_documents import (
    DocumentStepOut,
    InspectionIn,
    NoteIn,
    PurchaseOrderIn,
    PutawayIn,
    ReceiptIn,
    ReceiptReceiveIn,
    StepResultOut,
    SupplierReturnIn,
)
from cangku.db.uow import Database
from cangku.routing import SegmentRouter
from cangku.services.documents import StepResult
from cangku.services.inbound import inspections, orders, putaways, receipts, returns

router = SegmentRouter(tags=["inbound"])

CREATED = status.HTTP_201_CREATED
REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "a replay of an earlier request with the same Idempotency-Key"}
}
STEP_REFUSALS = problems(
    {
        409: "`invalid_transition` (`data.state`: the step cannot be taken in it), a rule of "
        "the step, or `idempotency_key_reused`; nothing written",
    }
)


def answered(
    result: StepResult, db: Database, request: Request, response: Response
) -> DocumentStepOut:
    """The document after the step, with the step's own result."""
    mark_replay(response, result.replayed)
    document = document_of(db, actor_of(request), result.number)
    known = {k: v for k, v in result.data.items() if k in StepResultOut.model_fields}
    outcome = StepResultOut(move_ids=result.move_ids, replayed=result.replayed, **known)
    return DocumentStepOut(**dict(document), result=outcome)


def _note(body: NoteIn | None) -> str | None:
    return body.note if body else None


# ---------------------------------------------------------------- purchase orders
@router.post(
    "/purchase-orders",
    status_code=CREATED,
    dependencies=[permit(orders.PO_EDIT)],
    responses=REPLAY,
    summary="Raise a purchase order (a draft)",
)
def create_purchase_order(
    body: PurchaseOrderIn, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> DocumentStepOut:
    fields: dict[str, Any] = body.model_dump(exclude={"lines"})
    command = orders.NewPurchaseOrder(
        **fields, lines=[orders.OrderLineInput(**line.model_dump()) for line in body.lines]
    )
    return answered(orders.create_purchase_order(db, ctx, command), db, request, response)


def _order_step(name: str, service: Any, act: Any, summary: str) -> None:
    @router.post(
        f"/purchase-orders/{{number}}/{name}",
        dependencies=[permit(act)],
        responses={**REPLAY, **STEP_REFUSALS},
        summary=summary,
        operation_id=f"purchase_order_{name}",
    )
    def step(
        number: str,
        db: DbDep,
        ctx: ContextDep,
        request: Request,
        response: Response,
        body: NoteIn | None = None,
    ) -> DocumentStepOut:
        return answered(service(db, ctx, number, _note(body)), db, request, response)

    step.__name__ = f"purchase_order_{name}"


_order_step("confirm", orders.confirm_order, orders.PO_CONFIRM, "Confirm a draft order")
_order_step(
    "approve", orders.approve_order, orders.PO_APPROVE, "Approve an order someone else raised"
)
_order_step("reject", orders.reject_order, orders.PO_APPROVE, "Send an order back to draft")
_order_step("cancel", orders.cancel_order, orders.PO_CLOSE, "Cancel an order nothing came on")
_order_step("close", orders.close_order, orders.PO_CLOSE, "Close a partly received order")


# ---------------------------------------------------------------- receipts
@router.post(
    "/receipts",
    status_code=CREATED,
    dependencies=[permit(receipts.RECEIPT_RECEIVE)],
    responses={
        **REPLAY,
        **problems(
            {
                409: "`over_receipt` (more than ordered: send `confirm_over_receipt`), "
                "`over_receipt_beyond_tolerance`, `item_not_on_order`, `invalid_transition` "
                "(the order is not open), `idempotency_key_reused`; nothing written",
            }
        ),
    },
    summary="Record a receipt and (by default) receive it",
)
def create_receipt(
    body: ReceiptIn, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> DocumentStepOut:
    fields: dict[str, Any] = body.model_dump(exclude={"lines"})
    command = receipts.NewReceipt(
        **fields, lines=[receipts.ReceiptLineInput(**line.model_dump()) for line in body.lines]
    )
    return answered(receipts.create_receipt(db, ctx, command), db, request, response)


@router.post(
    "/receipts/{number}/receive",
    dependencies=[permit(receipts.RECEIPT_RECEIVE)],
    responses={**REPLAY, **STEP_REFUSALS},
    summary="Receive a draft receipt",
)
def receive_receipt(
    number: str,
    db: DbDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
    body: ReceiptReceiveIn | None = None,
) -> DocumentStepOut:
    given = body or ReceiptReceiveIn()
    result = receipts.receive_receipt(
        db, ctx, number, confirm_over_receipt=given.confirm_over_receipt, note=given.note
    )
    return answered(result, db, request, response)


@router.post(
    "/receipts/{number}/cancel",
    dependencies=[permit(receipts.RECEIPT_RECEIVE)],
    responses={**REPLAY, **STEP_REFUSALS},
    summary="Cancel a draft receipt",
)
def cancel_receipt(
    number: str,
    db: DbDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
    body: NoteIn | None = None,
) -> DocumentStepOut:
    result = receipts.cancel_receipt(db, ctx, number, _note(body))
    return answered(result, db, request, response)


# ---------------------------------------------------------------- inspections and put-aways
@router.post(
    "/inspections/{number}/record",
    dependencies=[permit(inspections.INSPECTION_RECORD)],
    responses={**REPLAY, **STEP_REFUSALS},
    summary="Record inspection results: accepted, rejected with a reason",
)
def record_inspection(
    number: str,
    body: InspectionIn,
    db: DbDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
) -> DocumentStepOut:
    lines = [inspections.InspectionLineInput(**line.model_dump()) for line in body.lines]
    result = inspections.record_inspection(db, ctx, number, lines, body.note)
    return answered(result, db, request, response)


@router.post(
    "/putaways/{number}/confirm",
    dependencies=[permit(putaways.PUTAWAY_CONFIRM)],
    responses={**REPLAY, **STEP_REFUSALS},
    summary="Store goods in bins (the lines given, or everything as suggested)",
)
def confirm_putaway(
    number: str,
    db: DbDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
    body: PutawayIn | None = None,
) -> DocumentStepOut:
    given = body or PutawayIn()
    lines = (
        [putaways.PutawayLineInput(**line.model_dump()) for line in given.lines]
        if given.lines is not None
        else None
    )
    result = putaways.put_away(db, ctx, number, lines, given.note)
    return answered(result, db, request, response)


# ---------------------------------------------------------------- returns to suppliers
@router.post(
    "/supplier-returns",
    status_code=CREATED,
    dependencies=[permit(returns.RETURN_CREATE)],
    responses=REPLAY,
    summary="Return goods to a supplier (sent at once unless `ship` is false)",
)
def create_supplier_return(
    body: SupplierReturnIn, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> DocumentStepOut:
    fields: dict[str, Any] = body.model_dump(exclude={"lines"})
    command = returns.NewSupplierReturn(
        **fields, lines=[returns.ReturnLineInput(**line.model_dump()) for line in body.lines]
    )
    return answered(returns.create_supplier_return(db, ctx, command), db, request, response)


@router.post(
    "/supplier-returns/{number}/ship",
    dependencies=[permit(returns.RETURN_SHIP)],
    responses={**REPLAY, **STEP_REFUSALS},
    summary="Send a draft return's goods back",
)
def ship_supplier_return(
    number: str,
    db: DbDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
    body: NoteIn | None = None,
) -> DocumentStepOut:
    result = returns.ship_supplier_return(db, ctx, number, _note(body))
    return answered(result, db, request, response)


@router.post(
    "/supplier-returns/{number}/cancel",
    dependencies=[permit(returns.RETURN_CREATE)],
    responses={**REPLAY, **STEP_REFUSALS},
    summary="Cancel a draft return",
)
def cancel_supplier_return(
    number: str,
    db: DbDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
    body: NoteIn | None = None,
) -> DocumentStepOut:
    result = returns.cancel_supplier_return(db, ctx, number, _note(body))
    return answered(result, db, request, response)
