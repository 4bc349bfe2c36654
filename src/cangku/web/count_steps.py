"""A stock count's steps on the document page (``web/documents.py`` adds them to its table):
the service behind each button (start, close with "count what was not counted as empty",
recount the ticked lines, approve, post, cancel), counting itself on the scan screen
(``web/counts.py``), and what the count's page shows beside the generic one: its scope, its
counters, its lines with what the reader may see of them (``queries.counts.count_view``), the
moves since the snapshot and the totals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import Request
from sqlalchemy import Connection, select

from cangku.db.counts import scope_of
from cangku.db.tables import categories, documents, items, locations
from cangku.domain.errors import InvalidInput
from cangku.domain.permissions import Action
from cangku.queries.cost_fields import cost_scope
from cangku.queries.counts import CountView, count_view
from cangku.queries.documents import DocumentView
from cangku.queries.stock import warehouse_id
from cangku.services import counts as service
from cangku.services.documents import DOCUMENTS_VIEW, StepResult
from cangku.services.stock import VALUATION_VIEW
from cangku.web.access import WebUser
from cangku.web.forms import Fields
from cangku.web.i18n import N_
from cangku.web.render import db_of

__all__ = [
    "SCREEN_LINKS",
    "STEP_SCREENS",
    "STEP_SERVICES",
    "TYPES",
    "ScopeNames",
    "document_context",
    "read_count",
]

StepService = Callable[[Any, Any, str, str | None, Fields], StepResult]

#: the document types of this module, in the order of the documents' tabs
TYPES = ("count",)
#: the most line ids a recount form may send (a count's lines shown on one page)
MAX_RECOUNT = 5000


def _start(db: Any, ctx: Any, number: str, _note: str | None, _fields: Fields) -> StepResult:
    return service.start_count(db, ctx, number)


def _close(db: Any, ctx: Any, number: str, _note: str | None, fields: Fields) -> StepResult:
    return service.close_count(db, ctx, number, zero_uncounted=fields.flag("zero_uncounted"))


def recount_ids(fields: Fields) -> list[int]:
    """The ticked lines' ids (``recount_line``); anything but a line id is ``unknown_line``."""
    found = []
    for text in fields.all("recount_line")[:MAX_RECOUNT]:
        if not text.isdigit() or len(text) > 18:
            raise InvalidInput("the count has no such line", code="unknown_line", line=text[:20])
        found.append(int(text))
    return found


def _recount(db: Any, ctx: Any, number: str, note: str | None, fields: Fields) -> StepResult:
    return service.recount_lines(db, ctx, number, recount_ids(fields), note)


def _approve(db: Any, ctx: Any, number: str, note: str | None, _fields: Fields) -> StepResult:
    return service.approve_count(db, ctx, number, note)


def _post(db: Any, ctx: Any, number: str, _note: str | None, _fields: Fields) -> StepResult:
    return service.post_count(db, ctx, number)


def _cancel(db: Any, ctx: Any, number: str, note: str | None, _fields: Fields) -> StepResult:
    return service.cancel_count(db, ctx, number, note)


#: (document type, step) -> the service behind its button
STEP_SERVICES: dict[tuple[str, str], StepService] = {
    ("count", "start"): _start,
    ("count", "close"): _close,
    ("count", "recount"): _recount,
    ("count", "approve"): _approve,
    ("count", "post"): _post,
    ("count", "cancel"): _cancel,
}

#: counting is done on the scan screen: the task of a count being counted opens it
STEP_SCREENS: dict[tuple[str, str], str] = {("count", "close"): "/counts/{number}/scan"}

#: what the screen links say
SCREEN_LINKS: dict[tuple[str, str], str] = {("count", "close"): N_("Count with the scanner")}


@dataclass(frozen=True)
class ScopeNames:
    """What a count covers, by code (empty lists: no limit)."""

    zones: list[str]
    locations: list[str]
    items: list[str]
    categories: list[str]
    #: a count of the cycle-count plan: how many places it was given
    plan_places: int | None = None

    @property
    def whole(self) -> bool:
        limits = (self.zones, self.locations, self.items, self.categories)
        return self.plan_places is None and not any(limits)


def _codes(conn: Connection, column: Any, key: Any, values: tuple[Any, ...]) -> list[str]:
    if not values:
        return []
    return sorted(str(c) for c in conn.execute(select(column).where(key.in_(values))).scalars())


def scope_names(conn: Connection, number: str) -> ScopeNames:
    """The count's scope by the codes of its zones, locations, items and categories."""
    document_id = conn.execute(
        select(documents.c.id).where(documents.c.number == number)
    ).scalar_one()
    scope, _ = scope_of(conn, int(document_id))
    return ScopeNames(
        _codes(conn, locations.c.code, locations.c.path, scope.zones),
        _codes(conn, locations.c.code, locations.c.id, scope.location_ids),
        _codes(conn, items.c.code, items.c.id, scope.item_ids),
        _codes(conn, categories.c.code, categories.c.path, scope.categories),
        len(scope.places) if scope.plan else None,
    )


def read_count(
    conn: Connection, user: WebUser, number: str, seen: Action = DOCUMENTS_VIEW
) -> CountView:
    """The count as the user may see it, in the warehouses where they hold ``seen`` (else
    NotFound): blind to whoever may not approve it there, valued where they see values."""
    actor = user.actor
    return count_view(
        conn,
        number,
        user.warehouses(seen),
        lambda where: not actor.may(service.COUNT_APPROVE, where),
        cost_scope(conn, user.warehouses(VALUATION_VIEW)),
    )


def _accuracy(view: CountView) -> Decimal | None:
    """Lines counted right as a percentage of the lines counted (from review on)."""
    totals = view.totals
    if totals.right is None or not totals.counted:
        return None
    return (Decimal(totals.right) * 100 / totals.counted).quantize(Decimal("0.1"))


def document_context(request: Request, user: WebUser, doc: DocumentView) -> dict[str, Any]:
    """The count's page: the generic one with its scope, counters, lines and totals."""
    if doc.doc_type not in TYPES:
        return {}
    with db_of(request).read() as conn:
        view = read_count(conn, user, doc.number)
        scope = scope_names(conn, doc.number)
        where = warehouse_id(conn, view.warehouse)
    lines = view.lines
    return {
        "template": "count_document.html",
        "count": view,
        "scope": scope,
        "counters": sorted({x.counted_by for x in lines if x.counted_by}),
        # a blind count hides the expected figures from this reader (count_view decided)
        "hidden": view.blind and not user.actor.may(service.COUNT_APPROVE, where),
        "reviewed": view.state in ("review", "approved", "posted"),
        "valued": any(x.value is not None for x in lines) or view.totals.value_variance is not None,
        "moved_lines": [x for x in lines if x.moves],
        "accuracy": _accuracy(view),
    }
