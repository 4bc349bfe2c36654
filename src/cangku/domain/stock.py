"""The rules a move must satisfy before it reaches the ledger.

The service resolves codes to these small snapshots; the rules here decide, without I/O,
whether a move may be posted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from cangku.domain.enums import (
    STORAGE_KINDS,
    VALUED_KINDS,
    LocationKind,
    LotStatus,
    Operation,
    Tracking,
)
from cangku.domain.errors import InvalidInput, LotRequired, PeriodClosed, RuleViolation
from cangku.domain.quantities import SCALE


@dataclass(frozen=True)
class ItemInfo:
    id: int
    code: str
    item_type: str
    tracking: Tracking
    costing_method: str
    base_unit: str
    active: bool = True
    #: decimals the base unit allows, when the look-up read them with the item
    base_places: int | None = None
    #: the item's name, when the look-up read it (a posting answers with it)
    name: str | None = None


@dataclass(frozen=True)
class LocationInfo:
    id: int
    code: str
    kind: LocationKind
    warehouse_id: int
    allow_negative: bool = False
    active: bool = True
    allowed_item_types: frozenset[str] = frozenset()
    capacity: int | None = None
    #: the warehouse's code, when the look-up read it (a posting answers with it)
    warehouse_code: str | None = None
    #: the warehouse lets expired lots be issued and reserved (ADR 0016)
    allow_expired_issue: bool = False


@dataclass(frozen=True)
class LotInfo:
    id: int
    item_id: int
    code: str
    status: LotStatus
    is_serial: bool = False
    expires_on: date | None = None


@dataclass
class MoveLine:
    """One move as the service asks for it; quantities are scaled integers (base unit)."""

    operation: Operation
    item: ItemInfo
    source: LocationInfo
    dest: LocationInfo
    quantity: int
    lot: LotInfo | None = None
    unit_cost: int | None = None
    effective_at: datetime | None = None
    reason_code: str | None = None
    note: str | None = None
    document_type: str | None = None
    document_id: str | None = None
    document_line: int | None = None
    reverses_move_id: int | None = None
    #: for a reversal of an incoming move: consume the layer it opened first
    prefer_layer_of_move: int | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def chain_warehouse_id(self) -> int:
        """The warehouse whose hash chain records this move: the storage side's warehouse."""
        return self.source.warehouse_id if self.source.kind.is_valued else self.dest.warehouse_id


_K = LocationKind
#: operation -> (allowed source kinds, allowed destination kinds)
ALLOWED_KINDS: dict[Operation, tuple[frozenset[LocationKind], frozenset[LocationKind]]] = {
    Operation.RECEIVE: (frozenset({_K.SUPPLIER, _K.CUSTOMER, _K.PRODUCTION}), STORAGE_KINDS),
    Operation.ISSUE: (STORAGE_KINDS, frozenset({_K.CUSTOMER, _K.PRODUCTION})),
    Operation.MOVE: (VALUED_KINDS, VALUED_KINDS),
    Operation.SCRAP: (VALUED_KINDS, frozenset({_K.SCRAP})),
    Operation.RETURN: (STORAGE_KINDS, frozenset({_K.SUPPLIER})),
}
#: operations that hand goods to someone else need a lot fit for use: available and, unless
#: the warehouse allows it, not expired (ADR 0016). Scrap, adjustments, transfers (to a
#: quarantine location, say), reversals and imports may move an expired lot: that is how
#: expired goods leave the books.
RELEASING = frozenset({Operation.ISSUE})


def check_kinds(line: MoveLine) -> None:
    if line.source.id == line.dest.id:
        raise RuleViolation(
            "source and destination are the same location",
            code="same_location",
            location=line.source.code,
        )
    if line.operation is Operation.ADJUST:
        adjustment = {line.source.kind, line.dest.kind} & {_K.ADJUSTMENT}
        other = line.dest if line.source.kind is _K.ADJUSTMENT else line.source
        if adjustment and other.kind in VALUED_KINDS:
            return
    elif line.operation in ALLOWED_KINDS:
        sources, dests = ALLOWED_KINDS[line.operation]
        if line.source.kind in sources and line.dest.kind in dests:
            return
    elif line.source.kind.is_valued or line.dest.kind.is_valued:
        return  # reversals and imports: any pair with one real side
    raise RuleViolation(
        f"a {line.operation} cannot go from a {line.source.kind} location "
        f"to a {line.dest.kind} location",
        code="location_kind_not_allowed",
        operation=str(line.operation),
        source=line.source.code,
        source_kind=str(line.source.kind),
        destination=line.dest.code,
        destination_kind=str(line.dest.kind),
    )


def check_tracking(line: MoveLine) -> None:
    item, lot = line.item, line.lot
    if item.tracking is Tracking.NONE:
        if lot is not None:
            raise InvalidInput(
                f"item {item.code} is not lot- or serial-tracked; leave the lot out",
                code="lot_not_allowed",
                item=item.code,
            )
        return
    if lot is None:
        word = "serial number" if item.tracking is Tracking.SERIAL else "lot"
        raise LotRequired(
            f"item {item.code} is {item.tracking}-tracked: a {word} is required",
            code="lot_required" if item.tracking is Tracking.LOT else "serial_required",
            item=item.code,
        )
    if lot.item_id != item.id:
        raise InvalidInput(
            f"lot {lot.code} belongs to another item", code="lot_item_mismatch", lot=lot.code
        )
    if item.tracking is Tracking.SERIAL:
        if not lot.is_serial:
            raise InvalidInput(f"{lot.code} is a lot, not a serial number", code="serial_required")
        if line.quantity != SCALE:
            raise InvalidInput(
                "a serial number moves exactly one unit",
                code="serial_quantity_not_one",
                serial=lot.code,
            )
    elif lot.is_serial:
        raise InvalidInput(f"{lot.code} is a serial number, not a lot", code="lot_required")


def check_lot_not_expired(lot: LotInfo, item_code: str, day: date, location: LocationInfo) -> None:
    """An expired lot (expiry date before ``day``, the company's local day) may not be issued
    or reserved unless the location's warehouse allows it (``allow_expired_issue``).
    Raises RuleViolation ``lot_expired``."""
    if location.allow_expired_issue or lot.expires_on is None or lot.expires_on >= day:
        return
    raise RuleViolation(
        f"lot {lot.code} of item {item_code} expired on {lot.expires_on.isoformat()}"
        f"; warehouse {location.warehouse_code or location.warehouse_id} does not allow"
        " issuing expired lots",
        code="lot_expired",
        lot=lot.code,
        item=item_code,
        expires_on=lot.expires_on.isoformat(),
        warehouse=location.warehouse_code or str(location.warehouse_id),
    )


def check_not_under_inspection(line: MoveLine) -> None:
    """Goods in a quality location (waiting for inspection, or rejected) are not issued."""
    if line.operation in RELEASING and line.source.kind is _K.QUALITY:
        raise RuleViolation(
            f"{line.item.code} at {line.source.code} is under inspection and cannot be issued",
            code="stock_under_inspection",
            item=line.item.code,
            location=line.source.code,
        )


def check_lot_fit_for_use(line: MoveLine, today: date, zone: tzinfo = UTC) -> None:
    lot = line.lot
    if lot is None or line.operation not in RELEASING:
        return
    if lot.status is not LotStatus.AVAILABLE:
        raise RuleViolation(
            f"lot {lot.code} is {lot.status} and cannot be issued",
            code="lot_not_available",
            lot=lot.code,
            status=str(lot.status),
        )
    # fit for use on the day the goods moved (the company's local day): a back-dated issue
    # of a lot that was valid then is allowed even if the lot has expired since
    day = line.effective_at.astimezone(zone).date() if line.effective_at is not None else today
    check_lot_not_expired(lot, line.item.code, day, line.source)


def check_active(line: MoveLine) -> None:
    if not line.item.active:
        raise RuleViolation(f"item {line.item.code} is deactivated", code="item_inactive")
    for location in (line.source, line.dest):
        if not location.active:
            raise RuleViolation(
                f"location {location.code} is deactivated", code="location_inactive"
            )


def check_item_allowed(line: MoveLine) -> None:
    allowed = line.dest.allowed_item_types
    if allowed and line.item.item_type not in allowed:
        raise RuleViolation(
            f"location {line.dest.code} does not take {line.item.item_type} items",
            code="item_type_not_allowed",
            location=line.dest.code,
            item_type=line.item.item_type,
        )


#: how far in the future a business time may lie (clock skew between machines)
FUTURE_TOLERANCE = timedelta(minutes=5)


def check_effective_time(
    effective_at: datetime, now: datetime, closed_through: date | None
) -> None:
    if effective_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(
            "the effective time lies in the future",
            code="effective_in_future",
            effective_at=effective_at.isoformat(),
        )
    if closed_through is not None and effective_at.date() <= closed_through:
        raise PeriodClosed(
            f"the period up to {closed_through.isoformat()} is closed",
            closed_through=closed_through.isoformat(),
            effective_at=effective_at.isoformat(),
        )


def check_move(line: MoveLine, today: date, zone: tzinfo = UTC) -> None:
    """All rules that need no database: raises the first one broken. ``today`` and ``zone``
    are the company's local day and time zone (expiry is judged by local days)."""
    check_active(line)
    check_kinds(line)
    check_tracking(line)
    check_not_under_inspection(line)
    check_lot_fit_for_use(line, today, zone)
    check_item_allowed(line)
