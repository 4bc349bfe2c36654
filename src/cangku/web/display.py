"""How the pages show money, unit costs, units of measure and times, and read times typed in
(ADR 0014).

- **Money**: the company currency with Babel's ``format_currency`` in the page's language,
  rounded to the currency's own places (CNY: 2, JPY: 0): ``¥1,311,817.39`` in Chinese,
  ``CN¥1,311,817.39`` in English. **Unit costs** the same, with the company's
  ``unit_cost_places`` decimals. The ledger, the API and ``--json`` keep exact values.
- **Units**: a litre's ``l`` reads as ``|`` or ``1`` in most fonts, so its symbol is shown as
  ``L`` (``ml`` as ``mL``, SI allows both); the code stays ``l`` in forms, files and the API.
- **Times**: stored in UTC, shown in the user's zone (their own, else the company's) as
  ``yyyy-MM-dd HH:mm`` (the ISO 8601 order, the same in both languages, which fits table cells)
  through Babel's ``format_datetime``; date-times typed into forms are read in that zone.

The request's settings are read once per request (``display_of``) and put in a context
variable while a page renders, so every filter, also in imported macros, sees them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_currency
from fastapi import Request

from cangku.services.company import get_display
from cangku.web.access import optional_user

__all__ = [
    "Shown",
    "display_of",
    "money",
    "showing",
    "stamp",
    "unit_cost",
    "unit_symbol",
    "when",
    "zone_label",
]

#: a date and time in a list (minutes) and on a record's own page (seconds)
SHORT = "yyyy-MM-dd HH:mm"
FULL = "yyyy-MM-dd HH:mm:ss"
#: unit codes whose letter ``l`` (litre) is shown as ``L``
LITRE_SYMBOLS = {"l": "L", "ml": "mL", "cl": "cL", "dl": "dL", "hl": "hL"}
#: an ISO 8601 date-time with a zone, as the audit trail stores them
#: (``2026-03-01T02:30:00+00:00``)
ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)")


@dataclass(frozen=True)
class Shown:
    """What one request's pages are shown with."""

    currency: str = "CNY"
    zone_name: str = "UTC"
    unit_cost_places: int = 4

    @property
    def zone(self) -> tzinfo:
        return _zone(self.zone_name)


@cache
def _zone(name: str) -> tzinfo:
    return UTC if name == "UTC" else ZoneInfo(name)


_CURRENT: ContextVar[Shown | None] = ContextVar("cangku_shown", default=None)
#: outside a page (never in practice): the defaults of a fresh installation
_DEFAULT = Shown()


def display_of(request: Request) -> Shown:
    """The signed-in user's (or, signed out, the company's) settings; read once a request."""
    cached = getattr(request.state, "shown", None)
    if isinstance(cached, Shown):
        return cached
    user = optional_user(request)
    found = get_display(request.app.state.db, user.username if user else None)
    shown = Shown(found.company.currency, found.time_zone, found.company.unit_cost_places)
    request.state.shown = shown
    return shown


@contextmanager
def showing(shown: Shown) -> Iterator[None]:
    """Render with ``shown`` as the settings the filters use."""
    token = _CURRENT.set(shown)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> Shown:
    return _CURRENT.get() or _DEFAULT


# ------------------------------------------------------------------ money


def money(value: Decimal | int | None, lang: str) -> str:
    """An amount in the company currency, rounded to the currency's places."""
    if value is None:
        return ""
    return format_currency(value, current().currency, locale=lang)


@cache
def _cost_pattern(lang: str, places: int) -> str:
    standard = Locale.parse(lang).currency_formats["standard"].pattern
    return re.sub(r"\.0+", "." + "0" * places if places else "", standard)


def unit_cost(value: Decimal | int | None, lang: str, currency: str | None = None) -> str:
    """A cost or price per unit in ``currency`` (None: the company's), to the company's
    ``unit_cost_places``."""
    if value is None:
        return ""
    shown = current()
    pattern = _cost_pattern(lang, shown.unit_cost_places)
    return format_currency(
        value, currency or shown.currency, pattern, locale=lang, currency_digits=False
    )


# ------------------------------------------------------------------ units


def unit_symbol(code: str | None) -> str:
    """The symbol a unit code is shown with (``l`` → ``L``)."""
    if code is None:
        return ""
    return LITRE_SYMBOLS.get(code, code)


# ------------------------------------------------------------------ times


def when(
    value: datetime | date | None, lang: str, pattern: str = SHORT, shown: Shown | None = None
) -> str:
    """A date-time in the user's zone (``yyyy-MM-dd HH:mm``); a calendar date as it is."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        zone = (shown or current()).zone
        return format_datetime(moment, pattern, tzinfo=zone, locale=lang)
    return value.isoformat()


def stamp(value: object, lang: str, shown: Shown | None = None) -> object:
    """A stored ISO 8601 date-time (an audit entry's value, an error's data) in the user's
    zone, to the second; anything else unchanged."""
    if isinstance(value, str) and ISO_MOMENT.fullmatch(value):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return when(moment, lang, FULL, shown)
    if isinstance(value, datetime):
        return when(value, lang, FULL, shown)
    return value


def zone_label(shown: Shown | None = None) -> str:
    """``Asia/Shanghai (UTC+08:00)``: the zone times are shown in, with its offset now."""
    shown = shown or current()
    offset = datetime.now(shown.zone).strftime("%z") or "+0000"
    return f"{shown.zone_name} (UTC{offset[:3]}:{offset[3:]})"
