"""Adjustments as documents: a stock gain or loss, or scrap, with a reason code, approved by
someone other than who raised it when it is worth more than the company's threshold.

The machine and the decisions its steps take, without I/O: the services load plain values,
call these, and write what they answer. The manual ``stock adjust`` and ``stock scrap`` are
one-line adjustments raised and posted in one transaction when no approval is needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cangku.domain.documents import Machine, Step, machine
from cangku.domain.enums import LocationKind, Operation
from cangku.domain.errors import InvalidInput, RuleViolation
from cangku.domain.permissions import STOCK_COUNTER, WAREHOUSE_MANAGER
from cangku.domain.quantities import scaled_product, scaled_ratio
from cangku.domain.stock import ItemInfo, LocationInfo, LotInfo, MoveLine

__all__ = [
    "ADJUSTMENT",
    "DIRECTIONS",
    "REASON_KINDS",
    "AdjustmentLine",
    "adjustment_moves",
    "approval_decision",
    "check_approver",
    "check_direction",
    "check_gain_cost",
    "check_place",
    "check_reason_code",
    "check_reason_code_format",
    "location_kind",
    "reason_kind",
    "unit_cost_now",
    "value_of",
]

ADJUSTMENT = machine(
    Machine(
        doc_type="adjustment",
        prefix="ADJ",
        states=("draft", "submitted", "approved", "posted", "rejected", "cancelled"),
        initial="draft",
        steps=(
            Step("submit", ("draft",), ("submitted", "approved"), "adjustment.edit", STOCK_COUNTER),
            Step(
                "approve",
                ("submitted",),
                ("approved",),
                "adjustment.approve",
                WAREHOUSE_MANAGER,
            ),
            Step("reject", ("submitted",), ("rejected",), "adjustment.approve", WAREHOUSE_MANAGER),
            Step("post", ("approved",), ("posted",), "adjustment.edit", STOCK_COUNTER),
            Step(
                "cancel",
                ("draft", "submitted", "approved"),
                ("cancelled",),
                "adjustment.edit",
                STOCK_COUNTER,
                ends=True,
            ),
        ),
        tasks={"draft": "submit", "submitted": "approve", "approved": "post"},
    )
)

#: a line's direction -> (the operation its move is, the reason-code list it takes)
DIRECTIONS: dict[str, tuple[Operation, str]] = {
    "gain": (Operation.ADJUST, "adjustment"),
    "loss": (Operation.ADJUST, "adjustment"),
    "scrap": (Operation.SCRAP, "scrap"),
}

#: the reason-code lists a company keeps
REASON_KINDS = ("adjustment", "scrap")
_CODE = re.compile(r"[a-z0-9_]{1,64}")


@dataclass(frozen=True)
class AdjustmentLine:
    """A line as stored: its direction, its quantity (scaled, base units) and, for a gain, the
    unit cost it was given (scaled per base unit; None: the item's cost now)."""

    direction: str
    quantity: int
    item_id: int
    unit_cost: int | None = None
    id: int = 0
    line_no: int = 0
    location_id: int = 0
    lot_id: int | None = None
    reason_code: str | None = None
    note: str | None = None


def check_direction(direction: object) -> str:
    """``gain``, ``loss`` or ``scrap``; InvalidInput ``invalid_direction`` otherwise."""
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise InvalidInput(
            f"a line's direction is one of {', '.join(DIRECTIONS)}",
            code="invalid_direction",
            direction=str(direction)[:20],
            allowed=list(DIRECTIONS),
        )
    return direction


def reason_kind(direction: str) -> str:
    """The reason-code list a direction takes (``adjustment`` or ``scrap``)."""
    return DIRECTIONS[check_direction(direction)][1]


def location_kind(direction: str) -> LocationKind:
    """The virtual location a direction's move touches."""
    return LocationKind.SCRAP if direction == "scrap" else LocationKind.ADJUSTMENT


def adjustment_moves(
    lines: Iterable[AdjustmentLine],
    items: Mapping[int, ItemInfo],
    places: Mapping[int, LocationInfo],
    lots: Mapping[int, LotInfo],
    virtual: Mapping[LocationKind, int],
) -> list[MoveLine]:
    """The moves that post ``lines``, one each (``document_line`` set): a gain from the
    warehouse's adjustment location into the bin at the cost it was given (else the item's
    cost), a loss from the bin to it, scrap from the bin to the scrap location."""
    out: list[MoveLine] = []
    for line in lines:
        storage = places[line.location_id]
        other = places[virtual[location_kind(line.direction)]]
        gain = line.direction == "gain"
        move = MoveLine(
            DIRECTIONS[line.direction][0],
            items[line.item_id],
            other if gain else storage,
            storage if gain else other,
            line.quantity,
            lot=lots[line.lot_id] if line.lot_id is not None else None,
            unit_cost=line.unit_cost if gain else None,
            reason_code=line.reason_code,
            note=line.note,
        )
        move.document_line = line.line_no
        out.append(move)
    return out


def check_place(code: str, warehouse_id: int, document_warehouse: int, warehouse: str) -> None:
    """Every line of an adjustment lies in its warehouse."""
    if warehouse_id != document_warehouse:
        raise InvalidInput(
            f"location {code} is not in warehouse {warehouse}",
            code="location_not_in_warehouse",
            location=code,
        )


def check_gain_cost(direction: str, has_cost: bool) -> None:
    """Only a gain is given a unit cost: a loss or scrap leaves at the cost of the stock."""
    if has_cost and direction != "gain":
        raise InvalidInput(
            "a unit cost is given only for a gain; a loss or scrap takes the cost of the stock "
            "it moves",
            code="unit_cost_not_allowed",
        )


def check_reason_code_format(code: object) -> str:
    """A reason code a company adds: 1-64 of ``a-z 0-9 _``; InvalidInput
    ``invalid_reason_code`` otherwise."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InvalidInput(
            "a reason code is 1 to 64 lower-case letters, digits or _",
            code="invalid_reason_code",
            reason=str(code)[:64],
        )
    return code


def check_reason_code(code: str | None, kind: str, codes: Mapping[str, bool]) -> str:
    """``code`` if the company's list of ``kind`` holds it active (``codes``: code -> active).

    Raises InvalidInput ``reason_required``, ``unknown_reason_code`` (with the active codes),
    RuleViolation ``reason_code_inactive``."""
    active = sorted(c for c, on in codes.items() if on)
    if not code:
        raise InvalidInput("a reason code is required", code="reason_required", allowed=active)
    if code not in codes:
        raise InvalidInput(
            f"unknown reason code {code[:64]!r}; the reason codes are {', '.join(active)}",
            code="unknown_reason_code",
            reason=code[:64],
            allowed=active,
        )
    if not codes[code]:
        raise RuleViolation(
            f"the {kind} reason code {code!r} is no longer in use",
            code="reason_code_inactive",
            reason=code,
            kind=kind,
            allowed=active,
        )
    return code


def unit_cost_now(quantity: int, value: int, last_cost: int) -> int:
    """An item's unit cost now (scaled per base unit): its average while it has stock, else its
    last cost; what the ledger books a gain at when none is given (``db.costs``)."""
    average = scaled_ratio(value, quantity) if quantity > 0 else 0
    return average or last_cost


def value_of(lines: Iterable[AdjustmentLine], costs: Mapping[int, int]) -> int:
    """An adjustment's value (scaled money): the sum of each line's quantity at its cost, gains
    and losses together (a loss does not offset a gain). A gain given a unit cost is valued at
    it (the ledger books it there); every other line at the item's cost now (``costs``)."""
    total = 0
    for line in lines:
        cost = line.unit_cost
        if cost is None or line.direction != "gain":
            cost = costs.get(line.item_id, 0)
        total += scaled_product(line.quantity, cost)
    return total


def approval_decision(value: int, threshold: int | None) -> tuple[str, dict[str, object]]:
    """The state a submitted adjustment goes to and what its timeline says: approved at once
    unless a threshold is set and the value is above it."""
    if threshold is not None and value > threshold:
        return "submitted", {"value": value, "threshold": threshold}
    why = "no approval threshold set" if threshold is None else "not above the approval threshold"
    return "approved", {"approved": "automatically", "why": why, "value": value}


def check_approver(approver_id: int, raiser_id: int, number: str) -> None:
    """The one who approves (or rejects) an adjustment is never the one who raised it."""
    if approver_id == raiser_id:
        raise RuleViolation(
            f"{number} was raised by you: someone else must approve it",
            code="own_document_approval",
            document=number,
        )
