"""Company settings: how money and times are shown and read in, and when a lot counts as
expiring soon (ADR 0014).

They shape display and input only. The ledger keeps exact amounts and UTC times whatever
they say; the API and ``--json`` give exact values and ISO-8601 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cangku.domain.catalog import UNSET, Unset, non_negative
from cangku.domain.errors import InvalidInput

__all__ = [
    "Company",
    "CompanyChanges",
    "check_approval_threshold",
    "MAX_EXPIRING_SOON_DAYS",
    "MAX_UNIT_COST_PLACES",
    "check_expiring_soon_days",
    "check_name",
    "check_time_zone",
    "check_unit_cost_places",
    "time_zones",
]

MAX_UNIT_COST_PLACES = 6
MAX_EXPIRING_SOON_DAYS = 3650
MAX_NAME = 200


@dataclass(frozen=True)
class Company:
    """The one row of company settings."""

    name: str
    #: ISO 4217 code of the currency every stored amount is in
    currency: str
    #: IANA zone times are shown and read in, unless a user chose their own
    time_zone: str
    #: decimals a unit cost is shown with (amounts use the currency's own)
    unit_cost_places: int
    #: a lot expiring within this many days counts as expiring soon
    expiring_soon_days: int
    version: int
    updated_at: datetime | None
    #: purchase orders worth more than this need approval by someone other than the buyer;
    #: None: none do
    po_approval_threshold: Decimal | None = None
    #: adjustments worth more than this need approval by someone other than who raised them;
    #: None: none do
    adjustment_approval_threshold: Decimal | None = None


@dataclass(frozen=True)
class CompanyChanges:
    """What an update changes (``UNSET``: left as it is); ``version`` checks for a concurrent
    change when given."""

    name: str | Unset = UNSET
    currency: str | Unset = UNSET
    time_zone: str | Unset = UNSET
    unit_cost_places: int | Unset = UNSET
    expiring_soon_days: int | Unset = UNSET
    #: money in the company currency; None or "": no approval needed
    po_approval_threshold: Decimal | str | int | None | Unset = UNSET
    #: money in the company currency; None or "": adjustments need no approval
    adjustment_approval_threshold: Decimal | str | int | None | Unset = UNSET
    version: int | None = None


def check_name(name: object) -> str:
    if not isinstance(name, str) or len(name) > MAX_NAME or name != name.strip():
        raise InvalidInput(
            f"a company name has at most {MAX_NAME} characters, no spaces at either end",
            code="invalid_name",
        )
    return name


def check_time_zone(zone: object) -> str:
    """An IANA time zone name the system knows (``Asia/Shanghai``, ``UTC``); InvalidInput
    ``invalid_time_zone`` otherwise."""
    if isinstance(zone, str) and 0 < len(zone) <= 64 and zone in time_zones():
        try:
            ZoneInfo(zone)
            return zone
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise InvalidInput(
        f"{str(zone)[:64]!r} is not a known time zone (an IANA name such as Asia/Shanghai)",
        code="invalid_time_zone",
        time_zone=str(zone)[:64],
    )


def _whole_number(value: object, low: int, high: int, code: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(
            f"{field} is a whole number from {low} to {high}",
            code=code,
            field=field,
            min=low,
            max=high,
        )
    return value


def check_unit_cost_places(value: object) -> int:
    return _whole_number(
        value, 0, MAX_UNIT_COST_PLACES, "invalid_unit_cost_places", "unit_cost_places"
    )


def check_expiring_soon_days(value: object) -> int:
    return _whole_number(
        value, 0, MAX_EXPIRING_SOON_DAYS, "invalid_expiring_soon_days", "expiring_soon_days"
    )


def check_approval_threshold(
    value: object, places: int, currency: str, field: str = "po_approval_threshold"
) -> int | None:
    """An approval threshold (purchases, adjustments) as scaled money: >= 0 with at most the
    currency's decimals; None or empty text: none. InvalidInput ``invalid_number`` /
    ``negative_value`` / ``too_many_decimals`` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else value
    return non_negative(text, field, places, currency)


@cache
def time_zones() -> frozenset[str]:
    """Every IANA zone name of the system's (or the tzdata package's) database."""
    return frozenset(available_timezones()) | {"UTC"}
