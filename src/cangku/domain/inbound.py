"""Inbound: purchase orders, receipts, inspections, put-aways and returns to suppliers.

The document machines (``domain.documents``) and the decisions their steps take, without I/O:
the services load plain values, call these, and write what they answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from cangku.domain.documents import Machine, Step, machine
from cangku.domain.enums import LocationKind
from cangku.domain.errors import InvalidInput, NeedsConfirmation, RuleViolation
from cangku.domain.permissions import (
    PURCHASER,
    QUALITY_INSPECTOR,
    RECEIVING_CLERK,
    WAREHOUSE_MANAGER,
)
from cangku.domain.quantities import from_scaled, scaled_product

__all__ = [
    "INSPECTION",
    "INSPECTION_REASONS",
    "PURCHASE_ORDER",
    "PUTAWAY",
    "RECEIPT",
    "RETURN_REASONS",
    "SUPPLIER_RETURN",
    "InspectionResult",
    "OrderLine",
    "PutawayRule",
    "check_approver",
    "check_inspection",
    "check_over_receipt",
    "check_putaway_target",
    "expected_on",
    "needs_approval",
    "order_state",
    "parse_serials",
    "suggest_bin",
]

# ---------------------------------------------------------------- the machines
PURCHASE_ORDER = machine(
    Machine(
        doc_type="purchase_order",
        prefix="PO",
        states=(
            "draft",
            "awaiting_approval",
            "confirmed",
            "partially_received",
            "received",
            "closed",
            "cancelled",
        ),
        initial="draft",
        steps=(
            Step(
                "confirm", ("draft",), ("confirmed", "awaiting_approval"), "po.confirm", PURCHASER
            ),
            Step(
                "approve", ("awaiting_approval",), ("confirmed",), "po.approve", WAREHOUSE_MANAGER
            ),
            Step("reject", ("awaiting_approval",), ("draft",), "po.approve", WAREHOUSE_MANAGER),
            Step(
                "receive",
                ("confirmed", "partially_received"),
                ("partially_received", "received"),
                "receipt.receive",
                RECEIVING_CLERK,
                automatic=True,
            ),
            Step("close", ("partially_received",), ("closed",), "po.close", PURCHASER, ends=True),
            Step(
                "cancel",
                ("draft", "awaiting_approval", "confirmed"),
                ("cancelled",),
                "po.close",
                PURCHASER,
                ends=True,
            ),
        ),
        tasks={
            "draft": "confirm",
            "awaiting_approval": "approve",
            "confirmed": "receive",
            "partially_received": "receive",
        },
    )
)

RECEIPT = machine(
    Machine(
        doc_type="receipt",
        prefix="GR",
        states=("draft", "received", "registered", "cancelled"),
        initial="draft",
        steps=(
            Step("receive", ("draft",), ("received",), "receipt.receive", RECEIVING_CLERK),
            Step(
                "register",
                ("received",),
                ("registered",),
                "putaway.confirm",
                RECEIVING_CLERK,
                automatic=True,
            ),
            Step(
                "cancel", ("draft",), ("cancelled",), "receipt.receive", RECEIVING_CLERK, ends=True
            ),
        ),
        tasks={"draft": "receive"},
    )
)

INSPECTION = machine(
    Machine(
        doc_type="inspection",
        prefix="QC",
        states=("open", "done"),
        initial="open",
        steps=(
            Step("inspect", ("open",), ("done", "open"), "inspection.record", QUALITY_INSPECTOR),
        ),
        tasks={"open": "inspect"},
    )
)

PUTAWAY = machine(
    Machine(
        doc_type="putaway",
        prefix="PA",
        states=("open", "done"),
        initial="open",
        steps=(Step("put_away", ("open",), ("done", "open"), "putaway.confirm", RECEIVING_CLERK),),
        tasks={"open": "put_away"},
    )
)

SUPPLIER_RETURN = machine(
    Machine(
        doc_type="supplier_return",
        prefix="RS",
        states=("draft", "returned", "cancelled"),
        initial="draft",
        steps=(
            Step("ship", ("draft",), ("returned",), "supplier_return.ship", RECEIVING_CLERK),
            Step(
                "cancel",
                ("draft",),
                ("cancelled",),
                "supplier_return.create",
                PURCHASER,
                ends=True,
            ),
        ),
        tasks={"draft": "ship"},
    )
)

#: why an inspection rejects goods (stable codes; faces translate the labels)
INSPECTION_REASONS: dict[str, str] = {
    "damaged": "damaged in transit or packing",
    "defective": "fails the quality specification",
    "wrong_item": "not the item ordered",
    "short_shelf_life": "expires too soon",
    "expired": "already expired",
    "missing_documents": "certificate or documents missing",
    "other": "other (explain in the note)",
}

#: why goods go back to a supplier
RETURN_REASONS: dict[str, str] = {
    "rejected_in_inspection": "rejected in inspection",
    "damaged": "damaged",
    "defective": "defective",
    "wrong_item": "not the item ordered",
    "over_delivery": "delivered more than ordered",
    "expired": "expired or too short a shelf life",
    "other": "other (explain in the note)",
}


# ---------------------------------------------------------------- purchase orders
def expected_on(today: date, lead_time_days: int | None) -> date | None:
    """The date goods ordered today are expected: today plus the supplier's (or the item's)
    lead time; None when neither knows one."""
    return today + timedelta(days=lead_time_days) if lead_time_days is not None else None


def needs_approval(total_value: int, threshold: int | None) -> bool:
    """An order above the company's approval threshold (scaled money) waits for approval."""
    return threshold is not None and total_value > threshold


def check_approver(approver_id: int, buyer_id: int, number: str) -> None:
    """The one who approves an order is never the one who raised it."""
    if approver_id == buyer_id:
        raise RuleViolation(
            f"{number} was raised by you: someone else must approve it",
            code="own_document_approval",
            document=number,
        )


def check_minimum_order(item_code: str, base_qty: int, minimum: int | None) -> None:
    if minimum is not None and base_qty < minimum:
        raise InvalidInput(
            f"the supplier's minimum order of {item_code} is {from_scaled(minimum)}",
            code="below_minimum_order",
            item=item_code,
            minimum=str(from_scaled(minimum)),
            quantity=str(from_scaled(base_qty)),
        )


@dataclass(frozen=True)
class OrderLine:
    """An order line as receiving sees it (base units, scaled)."""

    line_no: int
    item_id: int
    item_code: str
    ordered: int
    received: int


def tolerance_limit(ordered: int, tolerance_pct: int) -> int:
    """The most that may be received against ``ordered`` with a tolerance in percent (scaled)."""
    return ordered + scaled_product(ordered, tolerance_pct) // 100


def check_over_receipt(
    lines: Sequence[OrderLine],
    receiving: dict[int, int],
    tolerance_pct: int,
    confirmed: bool,
    number: str,
) -> list[int]:
    """Refuse a receipt that takes an order line past what was ordered unless the user
    confirmed it (``over_receipt``, a NeedsConfirmation naming the lines), and past the
    supplier's tolerance in any case (``over_receipt_beyond_tolerance``). Answers the numbers
    of the lines received over their order."""
    over: list[int] = []
    for line in lines:
        now = receiving.get(line.line_no, 0)
        if now and line.received + now > line.ordered:
            limit = tolerance_limit(line.ordered, tolerance_pct)
            if line.received + now > limit:
                raise RuleViolation(
                    f"{number} line {line.line_no} ({line.item_code}): receiving"
                    f" {from_scaled(now)} would bring it to {from_scaled(line.received + now)}"
                    f" of {from_scaled(line.ordered)} ordered, beyond the supplier's tolerance"
                    f" of {from_scaled(tolerance_pct)} %",
                    code="over_receipt_beyond_tolerance",
                    document=number,
                    line=line.line_no,
                    item=line.item_code,
                    ordered=str(from_scaled(line.ordered)),
                    received=str(from_scaled(line.received)),
                    receiving=str(from_scaled(now)),
                    most=str(from_scaled(limit - line.received)),
                )
            over.append(line.line_no)
    if over and not confirmed:
        raise NeedsConfirmation(
            f"{number}: lines {', '.join(map(str, over))} would be received over the quantity"
            " ordered; confirm the over-receipt to go on",
            code="over_receipt",
            document=number,
            lines=over,
        )
    return over


def order_state(lines: Iterable[OrderLine]) -> str:
    """``received`` when every line has all it ordered, else ``partially_received``."""
    return (
        "received" if all(line.received >= line.ordered for line in lines) else "partially_received"
    )


# ---------------------------------------------------------------- receipts
_SERIAL_RANGE = re.compile(r"^(?P<prefix>.*?)(?P<start>\d+)-(?P=prefix)(?P<end>\d+)$")
#: the most serial numbers one range may name
MAX_SERIALS = 10_000


def parse_serials(text: str) -> list[str]:
    """Serial numbers from ``SN100-SN149, SN200`` (ranges keep their zero padding:
    ``A007-A010`` is A007, A008, A009, A010). Raises InvalidInput ``invalid_serial_range``
    and ``duplicate_serial``."""
    found: list[str] = []
    for part in (p.strip() for p in re.split(r"[,\s;]+", text)):
        if not part:
            continue
        match = _SERIAL_RANGE.match(part)
        if match is None:
            found.append(part)
            continue
        start, end = match["start"], match["end"]
        first, last = int(start), int(end)
        padded = start.startswith("0") and len(start) > 1
        if last < first or last - first + 1 > MAX_SERIALS or (padded and len(start) != len(end)):
            raise InvalidInput(
                f"{part!r} is not a serial range (same prefix and width, at most"
                f" {MAX_SERIALS} numbers, the first not after the last)",
                code="invalid_serial_range",
                range=part,
            )
        found.extend(f"{match['prefix']}{n:0{len(start)}d}" for n in range(first, last + 1))
    seen: set[str] = set()
    for serial in found:
        if serial in seen:
            raise InvalidInput(
                f"serial number {serial} is given twice", code="duplicate_serial", serial=serial
            )
        seen.add(serial)
    if len(found) > MAX_SERIALS:
        raise InvalidInput(
            f"at most {MAX_SERIALS} serial numbers per line", code="invalid_serial_range"
        )
    return found


def check_lot_dates(manufactured_on: date | None, expires_on: date | None, lot: str) -> None:
    if manufactured_on is not None and expires_on is not None and expires_on < manufactured_on:
        raise InvalidInput(
            f"lot {lot}: the expiry date {expires_on.isoformat()} is before the manufacture"
            f" date {manufactured_on.isoformat()}",
            code="expiry_before_manufacture",
            lot=lot,
        )


def needs_inspection(item_flag: bool, category_flag: bool, supplier_flag: bool) -> bool:
    """Goods are inspected when their item, its category (or a parent category) or the
    supplier is marked for inspection."""
    return item_flag or category_flag or supplier_flag


# ---------------------------------------------------------------- inspection
@dataclass(frozen=True)
class InspectionResult:
    line_no: int
    accepted: int
    rejected: int
    reason_code: str | None = None
    sample_size: int | None = None
    note: str | None = None


def check_inspection(result: InspectionResult, pending: int, item_code: str, number: str) -> None:
    """An inspection decides at most what is still waiting on the line; a rejection names
    its reason; the sample is not larger than what was received."""
    if result.accepted < 0 or result.rejected < 0 or result.accepted + result.rejected == 0:
        raise InvalidInput(
            f"{number} line {result.line_no}: give a quantity accepted or rejected",
            code="quantity_not_positive",
            line=result.line_no,
        )
    if result.accepted + result.rejected > pending:
        raise RuleViolation(
            f"{number} line {result.line_no} ({item_code}): {from_scaled(pending)} wait for"
            f" inspection; {from_scaled(result.accepted + result.rejected)} were inspected",
            code="inspect_more_than_received",
            document=number,
            line=result.line_no,
            pending=str(from_scaled(pending)),
        )
    if result.rejected and not result.reason_code:
        raise InvalidInput(
            f"{number} line {result.line_no}: a rejection needs a reason",
            code="reason_required",
            allowed=sorted(INSPECTION_REASONS),
        )
    if result.reason_code and result.reason_code not in INSPECTION_REASONS:
        raise InvalidInput(
            f"unknown reason code {result.reason_code!r}; the reason codes are"
            f" {', '.join(sorted(INSPECTION_REASONS))}",
            code="unknown_reason_code",
            reason=result.reason_code,
            allowed=sorted(INSPECTION_REASONS),
        )
    if result.sample_size is not None and result.sample_size <= 0:
        raise InvalidInput(
            f"{number} line {result.line_no}: the sample size must be greater than zero",
            code="invalid_sample_size",
            line=result.line_no,
        )


# ---------------------------------------------------------------- put-away
@dataclass(frozen=True)
class PutawayRule:
    """Store an item, a category or an item type in a location, first by priority."""

    location_id: int
    priority: int
    item_id: int | None = None
    category_path: str | None = None
    item_type: str | None = None


@dataclass(frozen=True)
class BinInfo:
    id: int
    code: str
    kind: LocationKind
    active: bool
    allowed_item_types: frozenset[str]
    #: free capacity (scaled) or None when the location has no capacity
    free: int | None
    warehouse_id: int = 0


def suggest_bin(
    item_id: int,
    category_path: str | None,
    item_type: str,
    quantity: int,
    rules: Sequence[PutawayRule],
    bins: dict[int, BinInfo],
    default_location_id: int | None,
) -> int | None:
    """The bin to suggest: the first rule that names the item, then its category (the
    nearest first), then its type, whose location is an active storage bin that takes the
    item type and has room for ``quantity``; the item's default location last."""

    def rank(rule: PutawayRule) -> tuple[int, int, int] | None:
        if rule.item_id is not None:
            return (0, 0, rule.priority) if rule.item_id == item_id else None
        if rule.category_path is not None:
            if category_path and category_path.startswith(rule.category_path):
                return (1, -len(rule.category_path), rule.priority)
            return None
        if rule.item_type is not None:
            return (2, 0, rule.priority) if rule.item_type == item_type else None
        return None

    def fits(location_id: int) -> bool:
        found = bins.get(location_id)
        return (
            found is not None
            and found.active
            and found.kind is LocationKind.INTERNAL
            and (not found.allowed_item_types or item_type in found.allowed_item_types)
            and (found.free is None or found.free >= quantity)
        )

    ranked = sorted(
        ((key, rule) for rule in rules if (key := rank(rule)) is not None), key=lambda x: x[0]
    )
    for _, rule in ranked:
        if fits(rule.location_id):
            return rule.location_id
    if default_location_id is not None and fits(default_location_id):
        return default_location_id
    return None


def check_putaway_target(target: BinInfo, item_type: str) -> None:
    """Goods are put away into an active internal (storage) location that takes their type;
    the ledger checks its capacity with the balances."""
    if target.kind is not LocationKind.INTERNAL:
        raise RuleViolation(
            f"location {target.code} is a {target.kind} location, not a storage bin",
            code="putaway_location_not_storage",
            location=target.code,
            kind=str(target.kind),
        )
    if not target.active:
        raise RuleViolation(f"location {target.code} is deactivated", code="location_inactive")
    if target.allowed_item_types and item_type not in target.allowed_item_types:
        raise RuleViolation(
            f"location {target.code} does not take {item_type} items",
            code="item_type_not_allowed",
            location=target.code,
            item_type=item_type,
        )
