"""The audit trail page: who changed what, when and from where, with filters; each entry shows
the fields it changed (before and after) or, for sign-ins and grants, what was asked.
Reading it needs ``audit.view`` (auditors and administrators)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from operator import attrgetter
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.queries.audit import AuditFilter, AuditRow, list_entries
from cangku.queries.common import Page
from cangku.routing import SegmentRouter
from cangku.services.audit import AUDIT_VIEW
from cangku.web.access import WebUser, page
from cangku.web.codes import (
    audit_action_label,
    fact_value,
    field_label,
    origin_label,
    record_type_label,
)
from cangku.web.display import display_of
from cangku.web.forms import parse_day
from cangku.web.i18n import N_
from cangku.web.listing import Column, Listing, exported
from cangku.web.render import PageRoute, db_of, language, pager, render

router = SegmentRouter(route_class=PageRoute)

#: the filters of the page, as query parameters
FILTERS = ("user", "action", "target_type", "target", "warehouse", "since", "until", "q")
#: the kinds of record entries name, offered in the filter
TARGET_TYPES = (
    "item", "category", "unit", "partner", "warehouse", "location", "lot", "user", "role", "token",
    "company",
)  # fmt: skip
#: the longest value shown in a cell; the API and ``cangku audit show`` give it whole
SHOWN_LENGTH = 200


@dataclass(frozen=True)
class Shown:
    """One entry as the page lists it."""

    entry: AuditRow
    #: (field, before, after) of every changed field
    changes: list[tuple[str, str, str]]
    #: (name, value) of what was asked, when nothing was changed field by field
    facts: list[tuple[str, str]]


def _text(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 1] + "…"


def _shown(entry: AuditRow, lang: str) -> Shown:
    changed = entry.details.get("changes")
    if isinstance(changed, dict) and changed:
        rows = [
            (
                field_label(field, lang),
                _text(fact_value(field, change.get("before"), lang)),
                _text(fact_value(field, change.get("after"), lang)),
            )
            for field, change in changed.items()
            if isinstance(change, dict)
        ]
        return Shown(entry, rows, [])
    asked = entry.details.get("request", entry.details)
    facts = asked if isinstance(asked, dict) else {"request": asked}
    named = [(k, fact_value(k, v, lang)) for k, v in facts.items() if v is not None]
    return Shown(entry, [], [(field_label(k, lang), _text(v)) for k, v in named])


def _changed_text(entry: AuditRow, lang: str) -> str:
    """What the page's last column shows, as one line of text."""
    shown = _shown(entry, lang)
    if shown.changes:
        return "; ".join(f"{field}: {before} → {after}" for field, before, after in shown.changes)
    return "; ".join(f"{name}: {value}" for name, value in shown.facts)


def audit_list(lang: str) -> Listing:
    """The trail as a file, in the reader's language: what the page shows."""
    return Listing(
        "audit",
        [
            Column("#", attrgetter("seq"), "number"),
            Column(N_("Time"), attrgetter("at"), "time"),
            Column(N_("User"), attrgetter("user")),
            Column(N_("Action"), lambda e: audit_action_label(e.action, lang)),
            Column(N_("Record type"), lambda e: record_type_label(e.target_type, lang) or None),
            Column(N_("Record"), attrgetter("target")),
            Column(N_("Warehouse"), attrgetter("warehouse")),
            Column(N_("From where"), lambda e: origin_label(e.origin, lang)),
            Column(N_("What changed"), lambda e: _changed_text(e, lang)),
        ],
    )


def _day_start(text: str, zone: tzinfo) -> datetime | None:
    """The start of a day in the user's zone, as UTC."""
    day = parse_day(text)
    return None if day is None else datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _day_end(text: str, zone: tzinfo) -> datetime | None:
    day = parse_day(text)
    if day is None:
        return None
    following = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return following.astimezone(UTC) - timedelta(microseconds=1)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: Annotated[WebUser, page(AUDIT_VIEW)]) -> Response:
    """Entries matching the filters, newest first; ``since`` and ``until`` are whole days
    in the user's time zone, both included."""
    params = request.query_params
    filters = {name: params.get(name, "").strip() for name in FILTERS}
    zone = display_of(request).zone
    wanted = AuditFilter(
        user=filters["user"] or None,
        action=filters["action"] or None,
        target_type=filters["target_type"] or None,
        target=filters["target"] or None,
        warehouse=filters["warehouse"] or None,
        since=_day_start(filters["since"], zone),
        until=_day_end(filters["until"], zone),
        q=filters["q"] or None,
    )
    pages = pager(request)
    lang = language(request)

    def fetch(limit: int, offset: int, cursor: str | None = None) -> Page[AuditRow]:
        with db_of(request).read() as conn:
            return list_entries(conn, wanted, limit=limit, offset=offset, sort=pages.sort)

    if (file := exported(request, audit_list(lang), fetch)) is not None:
        return file
    found = fetch(pages.size, pages.offset)
    return render(
        request,
        "audit.html",
        user=user,
        entries=[_shown(entry, lang) for entry in found.items],
        pager=replace(pages, total=found.total),
        filters=filters,
        target_types=[(code, record_type_label(code, lang)) for code in TARGET_TYPES],
    )
