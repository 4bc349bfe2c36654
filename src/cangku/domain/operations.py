"""What each stock operation accepts: the one rule set of the single operations
(``services.stock``) and the bulk import (``services.bulk``).

Both paths call the same three checks, so they cannot drift apart:

- ``check_request`` before anything is looked up: the quantity, the reason code, the unit
  cost's sign and the note, from what the user typed;
- ``may_create_lot`` when the lot is resolved: only goods arriving from outside (a receipt,
  an adjustment gain, an incoming import) may bring a new lot or serial; every other operation
  names one that exists;
- ``check_line`` once the move is built: ``domain.stock.check_move`` (active, location kinds,
  tracking, lot fit for use, item types) plus what a single operation guarantees by
  construction and an imported line must show: a virtual location (supplier, customer,
  adjustment, scrap, production) belongs to the warehouse of the storage side, and a unit cost
  is given only where goods arrive.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, tzinfo
from decimal import Decimal

from cangku.domain.enums import LocationKind, Operation
from cangku.domain.errors import InvalidInput, RuleViolation
from cangku.domain.quantities import parse_decimal, positive_quantity
from cangku.domain.reasons import ADJUSTMENT_REASONS, SCRAP_REASONS, check_reason
from cangku.domain.stock import MoveLine, check_move

__all__ = [
    "BULK_OPERATIONS",
    "IMPORT_REASONS",
    "MAX_NOTE",
    "REASONS",
    "bulk_operation",
    "check_line",
    "check_note",
    "check_reason_of",
    "check_request",
    "is_incoming",
    "may_create_lot",
    "moved_quantity",
    "short_text",
    "unit_cost_value",
]

MAX_NOTE = 2000

#: an ``import`` move (opening balances, data migration) may say why, with either list's codes
IMPORT_REASONS: dict[str, str] = {**SCRAP_REASONS, **ADJUSTMENT_REASONS}

#: operation -> (the reason codes it takes, whether one is required); absent: it takes none.
#: A reversal copies the reason of the move it reverses and is not checked here.
REASONS: dict[Operation, tuple[Mapping[str, str], bool]] = {
    Operation.ADJUST: (ADJUSTMENT_REASONS, True),
    Operation.SCRAP: (SCRAP_REASONS, True),
    Operation.IMPORT: (IMPORT_REASONS, False),
}

#: what a bulk import may name; a reversal needs the move it reverses (``stock reverse``)
BULK_OPERATIONS: dict[str, Operation] = {
    operation.value: operation for operation in Operation if operation is not Operation.REVERSE
}


def bulk_operation(name: str) -> Operation:
    """The operation an imported line names. Raises InvalidInput (``invalid_operation``)."""
    operation = BULK_OPERATIONS.get(name)
    if operation is None:
        hint = "; a reversal is posted one at a time" if name == Operation.REVERSE else ""
        raise InvalidInput(
            f"unknown operation {name!r}{hint}",
            code="invalid_operation",
            operation=name[:40],
            allowed=sorted(BULK_OPERATIONS),
        )
    return operation


def check_reason_of(operation: Operation, code: str | None) -> str | None:
    """The reason code ``operation`` takes: required and from its list for an adjustment or
    scrap, optional for an import, none at all for the others."""
    if operation is Operation.REVERSE:
        return code
    rule = REASONS.get(operation)
    if rule is None:
        if code:
            raise InvalidInput(
                f"a {operation} takes no reason code",
                code="reason_not_allowed",
                operation=str(operation),
            )
        return None
    allowed, required = rule
    return check_reason(code, dict(allowed), required=required)


def moved_quantity(operation: Operation, raw: object) -> Decimal:
    """The quantity a move carries (> 0). A zero adjustment is refused as such (an
    adjustment's sign says its direction; zero says nothing)."""
    if operation is Operation.ADJUST and parse_decimal(raw) == 0:
        raise InvalidInput("an adjustment needs a non-zero quantity", code="quantity_zero")
    return positive_quantity(raw)


def unit_cost_value(raw: Decimal | str | None) -> Decimal | None:
    """A unit cost as typed: a number, not negative, or None when not given."""
    if raw is None or raw == "":
        return None
    cost = parse_decimal(raw, "unit_cost")
    if cost < 0:
        raise InvalidInput("unit cost must not be negative", code="negative_cost")
    return cost


def check_note(note: str | None) -> str | None:
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput(f"a note has at most {MAX_NOTE} characters", code="note_too_long")
    return note or None


def short_text(value: object, name: str, limit: int) -> str | None:
    """A free-text field of at most ``limit`` characters (a reference, a phone number, a
    carrier), trimmed; None when missing or blank.

    Raises InvalidInput ``invalid_<name>`` (details ``field``: ``name``, ``limit``) when it is
    longer, or not text at all (a JSON number where text belongs, say)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise InvalidInput(
            f"{name} has at most {limit} characters",
            code=f"invalid_{name}",
            field=name,
            limit=limit,
        )
    return value.strip() or None


def check_request(
    operation: Operation,
    *,
    reason_code: str | None = None,
    unit_cost: Decimal | str | None = None,
    note: str | None = None,
) -> None:
    """What needs no look-up, checked before anything is read: the reason code, the unit
    cost's sign and the note's length."""
    check_reason_of(operation, reason_code)
    unit_cost_value(unit_cost)
    check_note(note)


def is_incoming(source: LocationKind, dest: LocationKind) -> bool:
    """Goods arrive in the company's stock from outside it (a supplier, a customer, production,
    an adjustment gain)."""
    return dest.is_valued and not source.is_valued


def may_create_lot(operation: Operation, source: LocationKind) -> bool:
    """Whether a lot or serial that does not exist yet may come with this move: a receipt,
    or an adjustment or import that brings goods in. Everything else moves an existing lot."""
    if operation is Operation.RECEIVE:
        return True
    return operation in (Operation.ADJUST, Operation.IMPORT) and not source.is_valued


def check_line(line: MoveLine, today: date, zone: tzinfo = UTC) -> None:
    """All rules of a built move that need no database: ``check_move``, then the virtual
    location's warehouse and where a unit cost may be given. Raises the first one broken.
    ``today`` and ``zone``: the company's local day and time zone (a lot's expiry)."""
    check_move(line, today, zone)
    source, dest = line.source, line.dest
    if source.kind.is_valued != dest.kind.is_valued and source.warehouse_id != dest.warehouse_id:
        virtual, storage = (dest, source) if source.kind.is_valued else (source, dest)
        raise RuleViolation(
            f"{virtual.code} belongs to another warehouse than {storage.code}",
            code="location_warehouse_mismatch",
            location=virtual.code,
            storage_location=storage.code,
        )
    if (
        line.unit_cost is not None
        and line.operation not in (Operation.REVERSE, Operation.RETURN)
        and not is_incoming(source.kind, dest.kind)
    ):
        raise InvalidInput(
            f"a unit cost is given only where goods arrive; a {line.operation} from "
            f"{source.code} to {dest.code} takes the cost of the stock it moves",
            code="unit_cost_not_allowed",
            operation=str(line.operation),
        )
