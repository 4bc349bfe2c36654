"""The cycle-count plan (循环盘点), without I/O: which places (item, location) are due for
counting, from how often each is counted and when it last was.

How often: a location may carry its own frequency (it and everything under it; the nearest
such location wins), otherwise the item's ABC class in the warehouse decides (A monthly, B
quarterly, C yearly unless the company says otherwise; an item without a class is C). A place
is due when it was never counted in a posted count, or when its last count plus its frequency
is today or earlier. The most overdue come first: never counted, then the oldest due date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from math import isqrt

from cangku.domain.counts import DEFAULT_FREQUENCY_DAYS, under
from cangku.domain.errors import InvalidInput

__all__ = [
    "ABC_CLASSES",
    "XYZ_CLASSES",
    "XYZ_LIMITS",
    "DuePlace",
    "Place",
    "check_days",
    "due_places",
    "frequency_of",
    "xyz_class",
]

ABC_CLASSES = ("A", "B", "C")
XYZ_CLASSES = ("X", "Y", "Z")
#: the coefficient of variation of weekly demand up to which an item is X, then Y (above: Z)
XYZ_LIMITS = (Fraction(1, 2), Fraction(1))
#: the scale a coefficient of variation is kept at (six decimals)
_CV_SCALE = 10**6


@dataclass(frozen=True)
class Place:
    """A place that holds stock now: the item, the location (its path), the item's ABC
    class in the warehouse, and the day it was last counted (None: never)."""

    item_id: int
    location_id: int
    location_path: str
    abc_class: str
    last_counted: date | None


@dataclass(frozen=True)
class DuePlace:
    place: Place
    #: the frequency that applies, in days, and where it comes from ("A", "B", "C" or the
    #: path of the location that sets it)
    days: int
    source: str
    #: the day it fell due (None: never counted, due at once)
    due_on: date | None


def check_days(days: int, *, what: str) -> int:
    """A frequency is 1 to 3,650 days. Raises InvalidInput ``invalid_frequency``."""
    if not 1 <= days <= 3650:
        raise InvalidInput(
            f"the counting frequency of {what} is 1 to 3650 days, not {days}",
            code="invalid_frequency",
            field=what,
            days=days,
        )
    return days


def frequency_of(
    location_path: str,
    abc_class: str,
    class_days: Mapping[str, int],
    location_days: Mapping[str, int],
) -> tuple[int, str]:
    """(days, source): the nearest location above (or at) the place that sets a frequency,
    else the class's (the company's setting, else the default)."""
    nearest = max(
        (path for path in location_days if under(location_path, path)), key=len, default=None
    )
    if nearest is not None:
        return location_days[nearest], nearest
    days = class_days.get(abc_class, DEFAULT_FREQUENCY_DAYS.get(abc_class, 365))
    return days, abc_class


def due_places(
    places: Iterable[Place],
    today: date,
    class_days: Mapping[str, int],
    location_days: Mapping[str, int],
) -> list[DuePlace]:
    """The places due for counting today, most overdue first (never counted, then by the
    day they fell due; ties by item and location id, so the order is reproducible)."""
    due: list[DuePlace] = []
    for place in places:
        days, source = frequency_of(place.location_path, place.abc_class, class_days, location_days)
        if place.last_counted is None:
            due.append(DuePlace(place, days, source, None))
            continue
        due_on = place.last_counted + timedelta(days=days)
        if due_on <= today:
            due.append(DuePlace(place, days, source, due_on))
    due.sort(
        key=lambda d: (
            d.due_on is not None,
            d.due_on or today,
            d.place.item_id,
            d.place.location_id,
        )
    )
    return due


def xyz_class(weekly: Sequence[int]) -> tuple[str, int | None]:
    """(class, coefficient of variation scaled by 10**6) of a demand series (one figure a
    week): the population standard deviation over the mean. X up to 0.5, Y up to 1.0, Z above,
    and Z with no demand (no mean to compare with: the CV is None). The class is decided on
    exact fractions (variance / mean² against the limits squared); the CV kept is rounded
    down to six decimals."""
    total = sum(weekly)
    if not weekly or total <= 0:
        return "Z", None
    n = len(weekly)
    # CV² = variance / mean² = (n·Σx² − (Σx)²) / (Σx)², all in integers
    spread = n * sum(w * w for w in weekly) - total * total
    square = total * total
    x_limit, y_limit = XYZ_LIMITS
    cls = (
        "X"
        if spread * x_limit.denominator**2 <= square * x_limit.numerator**2
        else "Y"
        if spread * y_limit.denominator**2 <= square * y_limit.numerator**2
        else "Z"
    )
    return cls, isqrt(spread * _CV_SCALE * _CV_SCALE // square)
