"""Pure rules of lots and serials: codes, statuses, dates, tracking and the status history note."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cangku.domain.enums import LotStatus, Tracking
from cangku.domain.errors import InvalidInput, RuleViolation
from cangku.domain.stock import ItemInfo

__all__ = [
    "MAX_CODE",
    "ExpiryStatus",
    "check_code",
    "check_dates",
    "check_reason",
    "check_status",
    "check_supplier_lot",
    "check_tracking",
    "default_expiry",
    "expiry_status",
    "status_note",
    "time_zone",
]

MAX_CODE = 100


def check_code(code: str, field: str = "code") -> str:
    """A lot or serial code: 1-100 characters, no surrounding or control whitespace."""
    if (
        not code
        or len(code) > MAX_CODE
        or code != code.strip()
        or any(ch in code for ch in "\t\r\n")
    ):
        raise InvalidInput(
            f"{field} must have 1 to {MAX_CODE} characters without surrounding spaces",
            code="invalid_lot_code",
            field=field,
        )
    return code


def check_status(status: str) -> LotStatus:
    try:
        return LotStatus(status)
    except ValueError:
        raise InvalidInput(
            f"lot status must be one of {', '.join(s.value for s in LotStatus)}",
            code="invalid_lot_status",
            status=str(status)[:40],
        ) from None


def check_supplier_lot(value: str | None) -> str | None:
    if value is not None and len(value) > 100:
        raise InvalidInput("a supplier lot has at most 100 characters", code="invalid_supplier_lot")
    return value


def check_reason(reason: str | None) -> str | None:
    """The reason given for a status change: at most 500 characters."""
    if reason is not None and len(reason) > 500:
        raise InvalidInput("a reason has at most 500 characters", code="invalid_reason")
    return reason


def check_dates(manufactured_on: date | None, expires_on: date | None) -> None:
    if manufactured_on and expires_on and expires_on < manufactured_on:
        raise InvalidInput(
            "the expiry date is before the manufacture date",
            code="expiry_before_manufacture",
            manufactured_on=manufactured_on.isoformat(),
            expires_on=expires_on.isoformat(),
        )


def default_expiry(
    manufactured_on: date | None, expires_on: date | None, shelf_life_days: int | None
) -> date | None:
    """The expiry given, or else manufacture date + shelf life when both are known."""
    if expires_on is None and manufactured_on is not None and shelf_life_days:
        return manufactured_on + timedelta(days=shelf_life_days)
    return expires_on


def check_tracking(item: ItemInfo, is_serial: bool) -> None:
    """A lot needs a lot-tracked item, a serial a serial-tracked one."""
    if item.tracking is Tracking.NONE:
        raise RuleViolation(
            f"item {item.code} is not tracked by lot or serial",
            code="item_not_lot_tracked",
            item=item.code,
        )
    if is_serial and item.tracking is not Tracking.SERIAL:
        raise RuleViolation(
            f"item {item.code} is not tracked by serial number",
            code="item_not_serial_tracked",
            item=item.code,
        )
    if not is_serial and item.tracking is Tracking.SERIAL:
        raise RuleViolation(
            f"item {item.code} is tracked by serial number: create serials, not lots",
            code="item_is_serial_tracked",
            item=item.code,
        )


def status_note(
    notes: str | None,
    when: datetime,
    username: str,
    old: str,
    new: LotStatus,
    reason: str | None,
) -> str:
    """``notes`` with one line appended recording a status change, who made it and why."""
    line = f"{when:%Y-%m-%d %H:%M} UTC {username}: status {old} -> {new}"
    if reason:
        line += f" ({reason})"
    return f"{notes}\n{line}" if notes else line


class ExpiryStatus(StrEnum):
    """Where a lot stands against its expiry date on a given day (computed, never stored)."""

    #: the expiry date is before the day: the goods may not be issued or reserved (unless
    #: the warehouse allows it), only scrapped, adjusted or moved (e.g. to quarantine)
    EXPIRED = "expired"
    #: expires within the company's ``expiring_soon_days`` (the expiry day itself included)
    EXPIRING_SOON = "expiring_soon"
    OK = "ok"
    #: the lot has no expiry date
    NO_EXPIRY = "no_expiry"


def expiry_status(expires_on: date | None, today: date, soon_days: int) -> ExpiryStatus:
    """A lot's expiry status on ``today`` (the company's local day). A lot is usable through
    its expiry date and expired from the day after."""
    if expires_on is None:
        return ExpiryStatus.NO_EXPIRY
    if expires_on < today:
        return ExpiryStatus.EXPIRED
    if expires_on <= today + timedelta(days=soon_days):
        return ExpiryStatus.EXPIRING_SOON
    return ExpiryStatus.OK


def time_zone(name: str | None) -> tzinfo:
    """The zone named ``name`` (IANA); UTC when it is empty or unknown to this machine."""
    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
