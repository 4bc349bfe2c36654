"""Outbound: sales orders and material requisitions, pick lists, shipments and customer returns
(the approval rules: ``outbound_approval_rules``).

As inbound: each write answers the document as ``GET /documents/{number}`` shows it, with what
the step produced in ``result`` (the moves it wrote; what allocation reserved and left short;
the shipment and its cost of goods, the latter only with ``valuation.view`` in the document's
warehouse). A create answers 201, a step 200. Every write accepts an ``Idempotency-Key``: a
repeat with the same body writes nothing and answers 200 with ``Idempotent-Replay: true``.

The steps of a request are the same for both kinds and are generated from ``REQUEST_STEPS``;
each route's permission is the one its machine declares for the step. A number of another type
in the path (``/sales-orders/MR-...``) answers 404 ``<type>_not_found``; a step the document's
state does not allow, 409 ``invalid_transition``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request, Response, status

from cangku.api.deps import ContextDep, DbDep, actor_of, permit
from cangku.api.openapi import problems
from cangku.api.routers.documents import document_of
from cangku.api.routers.stock import mark_replay
from cangku.api.schemas_documents import NoteIn
from cangku.api.schemas_outbound import (
    CustomerReturnIn,
    OutboundResultOut,
    OutboundStepOut,
    PickIn,
    PickListIn,
    RequisitionIn,
    SalesOrderIn,
    ShipIn,
)
from cangku.db.uow import Database
from cangku.domain.documents import Machine
from cangku.domain.outbound import (
    CUSTOMER_RETURN,
    PICK_LIST,
    REQUEST_KINDS,
    SHIPMENT,
)
from cangku.queries.cost_fields import cost_scope_of
from cangku.routing import SegmentRouter
from cangku.services.common import Context
from cangku.services.documents import StepResult, step_action
from cangku.services.outbound import allocation, picking, requests, returns, shipping
from cangku.services.stock import VALUATION_VIEW

router = SegmentRouter(tags=["outbound"])

CREATED = status.HTTP_201_CREATED
REPLAY: dict[int | str, dict[str, Any]] = {
    200: {"description": "a replay of an earlier request with the same Idempotency-Key"}
}
#: what every step may answer besides its own refusals
TRANSITION = "`invalid_transition` (`data.state`: the step cannot be taken in it)"
KEY_REUSED = "`idempotency_key_reused`; nothing written"
#: a step's service, the kind bound: (db, ctx, number, note)
StepService = Callable[[Database, Context, str, str | None], StepResult]


def refusals(
    conflict: str = "", *, step: bool = True, forbidden: str = "", unprocessable: str = ""
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a write: the replay, 409 with its own rules (and, for a ``step``,
    ``invalid_transition``), and the 403 and 422 it describes itself."""
    rules = [TRANSITION if step else "", conflict, KEY_REUSED]
    described = {409: ", ".join(filter(None, rules)), 403: forbidden, 422: unprocessable}
    return {**REPLAY, **problems({code: text for code, text in described.items() if text})}


def answered(
    result: StepResult, db: Database, request: Request, response: Response
) -> OutboundStepOut:
    """The document after the step, with the step's own result (its cost of goods only for a
    caller who may see what goods cost in the document's warehouse)."""
    mark_replay(response, result.replayed)
    actor = actor_of(request)
    document = document_of(db, actor, result.number)
    known = {k: v for k, v in result.data.items() if k in OutboundResultOut.model_fields}
    scope = cost_scope_of(db, actor.warehouses(VALUATION_VIEW))
    if scope is not None and document.warehouse not in scope:
        known.pop("cost_of_goods", None)
    outcome = OutboundResultOut(move_ids=result.move_ids, replayed=result.replayed, **known)
    return OutboundStepOut(**dict(document), result=outcome)


def _note(body: NoteIn | None) -> str | None:
    return body.note if body else None


def _permit_step(machine: Machine, name: str) -> Any:
    """The route's permission: the one the machine declares for the step."""
    return permit(step_action(machine.step(name).action))


def note_step(
    path: str,
    machine: Machine,
    name: str,
    service: StepService,
    summary: str,
    conflict: str = "",
    forbidden: str = "",
    unprocessable: str = "",
) -> None:
    """``POST {path}/{number}/{name}`` with an optional note: the step ``name`` of ``machine``."""
    operation = f"{machine.doc_type}_{name}"

    @router.post(
        f"{path}/{{number}}/{name}",
        dependencies=[_permit_step(machine, name)],
        responses=refusals(conflict, forbidden=forbidden, unprocessable=unprocessable),
        summary=summary,
        operation_id=operation,
    )
    def step(
        number: str,
        db: DbDep,
        ctx: ContextDep,
        request: Request,
        response: Response,
        body: NoteIn | None = None,
    ) -> OutboundStepOut:
        return answered(service(db, ctx, number, _note(body)), db, request, response)

    step.__name__ = operation


# ---------------------------------------------------------------- sales orders and requisitions
#: the request kinds by their path
KINDS = {"/sales-orders": "sales_order", "/requisitions": "requisition"}
#: the steps of a request, generated for each kind: (step, service, summary, refusals)
REQUEST_STEPS: list[tuple[str, Callable[..., StepResult], str, dict[str, str]]] = [
    (
        "submit",
        requests.submit_request,
        "Submit a draft: approved at once under every approval rule, else it waits",
        {},
    ),
    (
        "approve",
        requests.approve_request,
        "Approve a request someone else raised",
        {
            "conflict": "`own_document_approval` (never the requester)",
            "forbidden": "`permission_denied`, `approver_role_required` (`data.role`: the "
            "approval rule names another role); nothing written",
        },
    ),
    (
        "reject",
        requests.reject_request,
        "Send a request back to its requester, the reason in `note`",
        {
            "conflict": "`own_document_approval`",
            "unprocessable": "`reason_required` (no `note`); nothing written",
        },
    ),
    ("revise", requests.revise_request, "Take a rejected request back to draft", {}),
    (
        "allocate",
        allocation.allocate_request,
        "Reserve stock for what the request still needs (FEFO or FIFO, or its lot or bin)",
        {
            "conflict": "`nothing_to_allocate` (every line is covered), `no_stock_to_allocate` "
            "(nothing at all could be reserved)",
        },
    ),
    (
        "release",
        allocation.release_request,
        "Release the request's reservations that are not on a pick list",
        {"conflict": "`nothing_to_release`"},
    ),
    (
        "cancel",
        requests.cancel_request,
        "Cancel a request nothing was picked for (what was reserved is released)",
        {},
    ),
    (
        "close",
        requests.close_request,
        "Close a partly shipped request (its backorder dropped, its reservations released)",
        {"conflict": "`picked_not_shipped` (picked goods wait to ship)"},
    ),
]


def _bound(service: Callable[..., StepResult], kind: str) -> StepService:
    def call(db: Database, ctx: Context, number: str, note: str | None) -> StepResult:
        return service(db, ctx, kind, number, note)

    return call


def ship_step(path: str, machine: Machine) -> None:
    """``POST {path}/{number}/ship``: what the request has picked leaves, on a shipment."""
    operation = f"{machine.doc_type}_ship"

    @router.post(
        f"{path}/{{number}}/ship",
        dependencies=[_permit_step(machine, "ship")],
        responses=refusals(
            "`nothing_picked` (nothing picked waits to ship)",
            unprocessable="`invalid_packages`, `invalid_carrier`, `invalid_tracking`",
        ),
        summary="Ship what the request has picked (a shipment with its cost of goods)",
        operation_id=operation,
    )
    def ship(
        number: str,
        db: DbDep,
        ctx: ContextDep,
        request: Request,
        response: Response,
        body: ShipIn | None = None,
    ) -> OutboundStepOut:
        given = body or ShipIn()
        result = shipping.ship_request(
            db, ctx, machine.doc_type, number, carrier=given.carrier,
            tracking_number=given.tracking_number, packages=given.packages, note=given.note,
        )  # fmt: skip
        return answered(result, db, request, response)

    ship.__name__ = operation


def _create_request(
    kind: str, body: SalesOrderIn | RequisitionIn, db: Database, ctx: Context
) -> StepResult:
    fields: dict[str, Any] = body.model_dump(exclude={"lines"})
    lines = [requests.RequestLineInput(**line.model_dump()) for line in body.lines]
    return requests.create_request(db, ctx, requests.NewRequest(kind=kind, **fields, lines=lines))


CREATE_REFUSALS = refusals(
    "`item_inactive`, `partner_inactive`, `not_a_customer`, `warehouse_inactive`",
    step=False,
    forbidden="`permission_denied` (the kind's edit permission in the warehouse)",
)


@router.post(
    "/sales-orders",
    status_code=CREATED,
    dependencies=[permit(requests.SO_EDIT)],
    responses=CREATE_REFUSALS,
    summary="Raise a sales order (a draft, or submitted at once)",
)
def create_sales_order(
    body: SalesOrderIn, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> OutboundStepOut:
    return answered(_create_request("sales_order", body, db, ctx), db, request, response)


@router.post(
    "/requisitions",
    status_code=CREATED,
    dependencies=[permit(requests.REQUISITION_EDIT)],
    responses=CREATE_REFUSALS,
    summary="Raise a material requisition (a draft, or submitted at once)",
)
def create_requisition(
    body: RequisitionIn, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> OutboundStepOut:
    return answered(_create_request("requisition", body, db, ctx), db, request, response)


def _request_routes() -> None:
    """Each kind's steps, from ``REQUEST_STEPS``, and its ship route."""
    for path, kind in KINDS.items():
        machine = REQUEST_KINDS[kind]
        for name, service, summary, refused in REQUEST_STEPS:
            note_step(path, machine, name, _bound(service, kind), summary, **refused)
        ship_step(path, machine)


_request_routes()


# ---------------------------------------------------------------- pick lists
@router.post(
    "/pick-lists",
    status_code=CREATED,
    dependencies=[permit(requests.OUTBOUND_ALLOCATE)],
    responses=refusals(
        "`requests_in_several_warehouses`",
        unprocessable="`no_lines` (nothing allocated waits to be picked)",
    ),
    summary="Make a pick list of the reservations of one or more requests (a wave)",
)
def create_pick_list(
    body: PickListIn, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> OutboundStepOut:
    result = picking.create_pick_list(
        db, ctx, body.requests, body.kind, assignee=body.assignee, note=body.note
    )
    return answered(result, db, request, response)


@router.post(
    "/pick-lists/{number}/pick",
    dependencies=[_permit_step(PICK_LIST, "pick")],
    responses=refusals(
        "`wrong_location` (another bin scanned), `lot_not_allocated` (another lot scanned: "
        "allocate it first), `pick_exceeds_allocation`, `line_already_picked`",
        unprocessable="`short_pick_reason_required`, `unknown_line`, `unknown_reason_code`",
    ),
    summary="Confirm picks (the lines given, or every open line in full)",
)
def confirm_pick(
    number: str,
    db: DbDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
    body: PickIn | None = None,
) -> OutboundStepOut:
    given = body or PickIn()
    lines = (
        [picking.PickLineInput(**line.model_dump()) for line in given.lines]
        if given.lines is not None
        else None
    )
    result = picking.confirm_pick(db, ctx, number, lines, given.note)
    return answered(result, db, request, response)


#: the steps of the other outbound documents that take only a note
note_step(
    "/pick-lists", PICK_LIST, "cancel", picking.cancel_pick_list,
    "Cancel an open pick list (its unpicked reservations stay with their requests)",
)  # fmt: skip
note_step(
    "/shipments", SHIPMENT, "deliver", shipping.deliver_shipment,
    "Record that a shipment arrived (the proof of delivery in `note`)",
)  # fmt: skip


# ---------------------------------------------------------------- customer returns
@router.post(
    "/customer-returns",
    status_code=CREATED,
    dependencies=[permit(returns.CUSTOMER_RETURN_RECEIVE)],
    responses=refusals(
        "`return_exceeds_shipped` (`data.returnable`), `not_shipped` (the item or lot was not "
        "on the shipment), `return_location_not_storage`, `no_quality_location`",
        step=False,
        unprocessable="`location_required` (restocked goods name their bin), "
        "`unknown_reason_code`, `unknown_disposition`",
    ),
    summary="Register goods a customer sends back (received at once unless `receive` is false)",
)
def create_customer_return(
    body: CustomerReturnIn, db: DbDep, ctx: ContextDep, request: Request, response: Response
) -> OutboundStepOut:
    fields: dict[str, Any] = body.model_dump(exclude={"lines"})
    lines = [returns.CustomerReturnLineInput(**line.model_dump()) for line in body.lines]
    command = returns.NewCustomerReturn(**fields, lines=lines)
    return answered(returns.create_customer_return(db, ctx, command), db, request, response)


note_step(
    "/customer-returns", CUSTOMER_RETURN, "receive", returns.receive_customer_return,
    "Receive a draft customer return (back at the cost the goods left with)",
)  # fmt: skip
note_step(
    "/customer-returns", CUSTOMER_RETURN, "cancel", returns.cancel_customer_return,
    "Cancel a draft customer return",
)  # fmt: skip
