"""Outbound: sales orders and material requisitions, pick lists, shipments and customer returns.

The document machines (``domain.documents``) and the decisions their steps take, without I/O.
A request (sales order or requisition) is approved, allocated (reservation rows, see
``domain.allocation``), picked on a pick list (its stock moves to the warehouse's shipping
location, the reservation with it) and shipped (a shipment document records what left, at
which cost). What is not shipped yet is the backorder: it is allocated and picked again, or the
request is closed without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cangku.domain.documents import Machine, Step, machine
from cangku.domain.errors import InvalidInput, RuleViolation
from cangku.domain.permissions import PICKER_SHIPPER, RECEIVING_CLERK, WAREHOUSE_MANAGER
from cangku.domain.quantities import from_scaled

__all__ = [
    "CUSTOMER_RETURN",
    "DISPOSITIONS",
    "PICK_LIST",
    "REQUEST_KINDS",
    "REQUISITION",
    "RETURN_REASONS",
    "SALES_ORDER",
    "SHIPMENT",
    "SHORT_PICK_REASONS",
    "ApprovalRule",
    "approval_rule",
    "check_pick",
    "check_return",
    "request_state_after_shipping",
]

#: a requester's role is any staff role: sales and production staff raise requests
REQUESTER = "staff"


def _request(doc_type: str, prefix: str, edit: str, approve: str) -> Machine:
    return Machine(
        doc_type=doc_type,
        prefix=prefix,
        states=(
            "draft",
            "submitted",
            "approved",
            "rejected",
            "allocated",
            "picking",
            "partially_shipped",
            "shipped",
            "closed",
            "cancelled",
        ),
        initial="draft",
        steps=(
            Step("submit", ("draft",), ("submitted", "approved"), edit, REQUESTER),
            Step("approve", ("submitted",), ("approved",), approve, WAREHOUSE_MANAGER),
            Step("reject", ("submitted",), ("rejected",), approve, WAREHOUSE_MANAGER),
            Step("revise", ("rejected",), ("draft",), edit, REQUESTER),
            Step(
                "allocate",
                ("approved", "allocated", "picking", "partially_shipped"),
                ("allocated", "picking", "partially_shipped"),
                "outbound.allocate",
                PICKER_SHIPPER,
            ),
            Step(
                "release",
                ("allocated", "picking", "partially_shipped"),
                ("approved", "picking", "partially_shipped"),
                "outbound.allocate",
                PICKER_SHIPPER,
            ),
            Step(
                "pick",
                ("allocated", "picking", "partially_shipped"),
                ("picking",),
                "outbound.allocate",
                PICKER_SHIPPER,
                automatic=True,
            ),
            Step(
                "ship",
                ("picking", "partially_shipped"),
                ("partially_shipped", "shipped"),
                "shipment.ship",
                PICKER_SHIPPER,
            ),
            Step("close", ("partially_shipped",), ("closed",), edit, REQUESTER, ends=True),
            Step(
                "cancel",
                ("draft", "submitted", "approved", "rejected", "allocated"),
                ("cancelled",),
                edit,
                REQUESTER,
                ends=True,
            ),
        ),
        tasks={
            "draft": "submit",
            "submitted": "approve",
            "rejected": "revise",
            "approved": "allocate",
            "allocated": "pick",
            "picking": "ship",
            "partially_shipped": "allocate",
        },
    )


SALES_ORDER = machine(_request("sales_order", "SO", "so.edit", "so.approve"))
REQUISITION = machine(_request("requisition", "MR", "requisition.edit", "requisition.approve"))
#: the request kinds by document type
REQUEST_KINDS: dict[str, Machine] = {m.doc_type: m for m in (SALES_ORDER, REQUISITION)}

PICK_LIST = machine(
    Machine(
        doc_type="pick_list",
        prefix="PK",
        states=("open", "done", "cancelled"),
        initial="open",
        steps=(
            Step("pick", ("open",), ("done", "open"), "pick.confirm", PICKER_SHIPPER),
            Step(
                "cancel", ("open",), ("cancelled",), "outbound.allocate", PICKER_SHIPPER, ends=True
            ),
        ),
        tasks={"open": "pick"},
    )
)

SHIPMENT = machine(
    Machine(
        doc_type="shipment",
        prefix="SH",
        states=("shipped", "delivered"),
        initial="shipped",
        steps=(Step("deliver", ("shipped",), ("delivered",), "shipment.ship", PICKER_SHIPPER),),
    )
)

CUSTOMER_RETURN = machine(
    Machine(
        doc_type="customer_return",
        prefix="RC",
        states=("draft", "received", "cancelled"),
        initial="draft",
        steps=(
            Step("receive", ("draft",), ("received",), "customer_return.receive", RECEIVING_CLERK),
            Step(
                "cancel",
                ("draft",),
                ("cancelled",),
                "customer_return.receive",
                RECEIVING_CLERK,
                ends=True,
            ),
        ),
        tasks={"draft": "receive"},
    )
)

#: why a picker picked less than the pick list asked for
SHORT_PICK_REASONS: dict[str, str] = {
    "not_found": "not at the location",
    "damaged": "damaged",
    "wrong_lot": "the lot at the location is another one",
    "count_difference": "less there than the system says",
    "other": "other (explain in the note)",
}

#: why a customer sends goods back
RETURN_REASONS: dict[str, str] = {
    "damaged": "damaged in transit",
    "defective": "defective",
    "wrong_item": "not the item ordered",
    "not_needed": "no longer needed",
    "over_delivery": "more than ordered",
    "expired": "expired or too short a shelf life",
    "other": "other (explain in the note)",
}

#: where returned goods go: back to stock, to inspection (the quality location), or to scrap
DISPOSITIONS = ("restock", "inspect", "scrap")


# ---------------------------------------------------------------- approval
@dataclass(frozen=True)
class ApprovalRule:
    id: int
    doc_type: str
    warehouse_id: int | None
    min_value: int | None
    min_quantity: int | None
    approver_role: str | None


def approval_rule(
    rules: Sequence[ApprovalRule], doc_type: str, warehouse_id: int, value: int, quantity: int
) -> ApprovalRule | None:
    """The rule that makes a request wait for approval, or None (it approves itself): a rule of
    its kind, for its warehouse or for every warehouse, whose value or quantity threshold the
    request reaches. A warehouse's own rules are tried before the company-wide ones."""
    mine = [r for r in rules if r.doc_type == doc_type]
    ordered = [r for r in mine if r.warehouse_id == warehouse_id] + [
        r for r in mine if r.warehouse_id is None
    ]
    for rule in ordered:
        if rule.min_value is not None and value >= rule.min_value:
            return rule
        if rule.min_quantity is not None and quantity >= rule.min_quantity:
            return rule
    return None


# ---------------------------------------------------------------- picking and returns
def check_pick(number: str, line_no: int, allocated: int, picked: int, reason: str | None) -> None:
    """A pick line's confirmed quantity: never more than was allocated to it; less needs a
    reason (the rest is re-allocated elsewhere or backordered)."""
    if picked < 0:
        raise InvalidInput("a picked quantity cannot be negative", code="invalid_quantity")
    if picked > allocated:
        raise RuleViolation(
            f"{number} line {line_no}: {from_scaled(picked)} is more than the"
            f" {from_scaled(allocated)} allocated",
            code="pick_exceeds_allocation",
            document=number,
            line=line_no,
            allocated=str(from_scaled(allocated)),
        )
    if picked < allocated and not reason:
        raise InvalidInput(
            f"{number} line {line_no}: a short pick needs a reason",
            code="short_pick_reason_required",
            document=number,
            line=line_no,
            allowed=sorted(SHORT_PICK_REASONS),
        )


def check_return(item_code: str, returned: int, shipped: int, already: int) -> None:
    """A customer returns at most what was shipped on the line, less what came back before."""
    if returned > shipped - already:
        raise RuleViolation(
            f"{item_code}: {from_scaled(returned)} is more than the"
            f" {from_scaled(shipped - already)} shipped and not yet returned",
            code="return_exceeds_shipped",
            item=item_code,
            returnable=str(from_scaled(shipped - already)),
        )


def request_state_after_shipping(ordered: dict[int, int], shipped: dict[int, int]) -> str:
    """``shipped`` once every line has left in full, else ``partially_shipped``."""
    done = all(shipped.get(line, 0) >= quantity for line, quantity in ordered.items())
    return "shipped" if done else "partially_shipped"
