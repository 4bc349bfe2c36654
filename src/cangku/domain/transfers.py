"""Transfers: goods moved between bins of one warehouse, or between warehouses through transit.

A transfer is requested (its lines name the item, the bin and lot it leaves from, the quantity,
and the bin it goes to), approved (by someone other than the requester, between warehouses; at
once within one), dispatched by the picker (between warehouses the goods move to the source
warehouse's ``transit`` location and stay ours, valued; within one they go straight to their
bins), and received at the destination by scanning. What did not arrive, or arrived damaged,
is a discrepancy: it stays in transit until a manager resolves it (lost in transit, returned
to the source bin, found later and put in its bin, or scrapped). The cost travels with the
goods: moves between our own locations carry no value of their own, so the item's FIFO layers
and average are untouched until the goods leave the company.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cangku.domain.documents import Machine, Step, machine
from cangku.domain.errors import InvalidInput, RuleViolation
from cangku.domain.permissions import (
    PICKER_SHIPPER,
    RECEIVING_CLERK,
    WAREHOUSE_MANAGER,
)
from cangku.domain.quantities import from_scaled

__all__ = [
    "TRANSFER",
    "Outcome",
    "TransferLine",
    "check_dispatch",
    "check_receipt",
    "check_resolution",
    "open_in_transit",
]

#: transfers are raised by any staff member
REQUESTER = "staff"

TRANSFER = machine(
    Machine(
        doc_type="transfer",
        prefix="TR",
        states=(
            "draft",
            "submitted",
            "approved",
            "rejected",
            "in_transit",
            "discrepancy",
            "received",
            "cancelled",
        ),
        initial="draft",
        steps=(
            # within one warehouse a transfer needs no approval
            Step("submit", ("draft",), ("submitted", "approved"), "transfer.edit", REQUESTER),
            Step("approve", ("submitted",), ("approved",), "transfer.approve", WAREHOUSE_MANAGER),
            Step("reject", ("submitted",), ("rejected",), "transfer.approve", WAREHOUSE_MANAGER),
            Step("revise", ("rejected",), ("draft",), "transfer.edit", REQUESTER),
            # within one warehouse the goods arrive in their bins at once
            Step(
                "dispatch",
                ("approved",),
                ("in_transit", "received"),
                "transfer.dispatch",
                PICKER_SHIPPER,
            ),
            Step(
                "receive",
                ("in_transit",),
                ("received", "discrepancy"),
                "transfer.receive",
                RECEIVING_CLERK,
                at_destination=True,
            ),
            Step(
                "resolve",
                ("discrepancy",),
                ("received", "discrepancy"),
                "transfer.resolve",
                WAREHOUSE_MANAGER,
                at_destination=True,
            ),
            Step(
                "cancel",
                ("draft", "submitted", "approved", "rejected"),
                ("cancelled",),
                "transfer.edit",
                REQUESTER,
                ends=True,
            ),
        ),
        tasks={
            "draft": "submit",
            "submitted": "approve",
            "rejected": "revise",
            "approved": "dispatch",
            "in_transit": "receive",
            "discrepancy": "resolve",
        },
    )
)


class Outcome(StrEnum):
    """How a manager resolves what of a transfer did not arrive (or arrived damaged)."""

    #: lost on the way: written off from transit (an adjustment, reason ``lost``)
    LOST = "lost"
    #: sent back: from transit to the bin it left
    RETURNED = "returned"
    #: found after all: from transit to its destination bin
    FOUND = "found"
    #: damaged beyond use: from transit to scrap (reason ``damaged``)
    SCRAPPED = "scrapped"


@dataclass(frozen=True)
class TransferLine:
    """What a step needs of a line (base units, scaled)."""

    line_no: int
    item: str
    #: requested
    quantity: int
    #: dispatched
    done: int
    #: received in good order
    accepted: int
    #: reported damaged on arrival (part of the discrepancy)
    rejected: int
    #: of the discrepancy, resolved
    resolved: int

    @property
    def missing(self) -> int:
        """Dispatched and not yet received nor resolved: in transit."""
        return self.done - self.accepted - self.resolved


def _line(lines: Mapping[int, TransferLine], line_no: int) -> TransferLine:
    found = lines.get(line_no)
    if found is None:
        raise InvalidInput(f"the transfer has no line {line_no}", code="unknown_line", line=line_no)
    return found


def check_dispatch(lines: Mapping[int, TransferLine], picked: Mapping[int, int]) -> dict[int, int]:
    """What each line dispatches: the quantity ``picked`` names (a line not named goes in
    full; 0 leaves it behind), never more than requested. Raises InvalidInput
    ``unknown_line``, ``invalid_quantity``, RuleViolation ``dispatched_more_than_requested``,
    ``nothing_to_dispatch``."""
    for line_no in picked:
        _line(lines, line_no)
    out: dict[int, int] = {}
    for line_no, line in lines.items():
        quantity = picked.get(line_no, line.quantity)
        if quantity < 0:
            raise InvalidInput("a quantity is not negative", code="invalid_quantity")
        if quantity > line.quantity:
            raise RuleViolation(
                f"line {line_no}: {from_scaled(quantity)} is more than the"
                f" {from_scaled(line.quantity)} requested",
                code="dispatched_more_than_requested",
                line=line_no,
                item=line.item,
                requested=str(from_scaled(line.quantity)),
                dispatched=str(from_scaled(quantity)),
            )
        if quantity:
            out[line_no] = quantity
    if not out:
        raise RuleViolation("nothing to dispatch", code="nothing_to_dispatch")
    return out


def check_receipt(
    lines: Mapping[int, TransferLine],
    received: Mapping[int, int],
    damaged: Mapping[int, int],
) -> tuple[dict[int, int], str]:
    """What arrives in good order per line (a line not named arrives in full, unless damage is
    reported on it) and the state it leaves: ``received`` when everything dispatched arrived
    in good order, else ``discrepancy`` (the rest stays in transit for a manager). Raises
    InvalidInput ``unknown_line``, ``invalid_quantity``, RuleViolation
    ``received_more_than_dispatched``."""
    for line_no in (*received, *damaged):
        _line(lines, line_no)
    good: dict[int, int] = {}
    complete = True
    for line_no, line in lines.items():
        broken = damaged.get(line_no, 0)
        arrived = received.get(line_no, line.done - broken)
        if arrived < 0 or broken < 0:
            raise InvalidInput("a quantity is not negative", code="invalid_quantity")
        if arrived + broken > line.done:
            raise RuleViolation(
                f"line {line_no}: {from_scaled(arrived + broken)} received, but"
                f" {from_scaled(line.done)} was dispatched; record what is missing as a"
                " discrepancy instead",
                code="received_more_than_dispatched",
                line=line_no,
                item=line.item,
                dispatched=str(from_scaled(line.done)),
                received=str(from_scaled(arrived + broken)),
            )
        if arrived:
            good[line_no] = arrived
        complete = complete and arrived == line.done
    return good, "received" if complete else "discrepancy"


def check_resolution(
    lines: Mapping[int, TransferLine], resolutions: Sequence[tuple[int, Outcome, int]]
) -> str:
    """A manager's resolutions (line, outcome, quantity): each at most what is still missing
    on its line. Answers the state after: ``received`` when nothing is missing any more.
    Raises InvalidInput ``unknown_line``, ``invalid_quantity``, ``no_resolutions``,
    RuleViolation ``resolved_more_than_missing``."""
    if not resolutions:
        raise InvalidInput("name at least one line to resolve", code="no_resolutions")
    taken: dict[int, int] = {}
    for line_no, _, quantity in resolutions:
        line = _line(lines, line_no)
        if quantity <= 0:
            raise InvalidInput("a quantity is greater than zero", code="invalid_quantity")
        taken[line_no] = taken.get(line_no, 0) + quantity
        if taken[line_no] > line.missing:
            raise RuleViolation(
                f"line {line_no}: {from_scaled(taken[line_no])} resolved, but only"
                f" {from_scaled(line.missing)} is missing",
                code="resolved_more_than_missing",
                line=line_no,
                item=line.item,
                missing=str(from_scaled(line.missing)),
            )
    left = sum(line.missing for line in lines.values()) - sum(taken.values())
    return "received" if left == 0 else "discrepancy"


def open_in_transit(lines: Sequence[TransferLine]) -> int:
    """What of a transfer is still in transit (base units, scaled)."""
    return sum(line.missing for line in lines)


def check_outcome(value: str) -> Outcome:
    try:
        return Outcome(value)
    except ValueError:
        raise InvalidInput(
            f"unknown outcome {value!r}; the outcomes are {', '.join(o.value for o in Outcome)}",
            code="unknown_outcome",
            allowed=[o.value for o in Outcome],
        ) from None
