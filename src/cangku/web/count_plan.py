"""The cycle-count plan page (循环盘点, issue 14): for one warehouse, the places due for
counting (or every place with its last count and the day it falls due), a button that raises
and starts a count of the due places, the ABC classes the plan uses with their recomputation,
the frequencies per class and location, and the last posted counts' accuracy.

As the other pages: every form works without JavaScript and carries an idempotency key made
when it is shown; a refusal shows the page again with the message in the user's language,
writing nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError, InvalidInput
from cangku.queries import cycle_counts as plan
from cangku.queries.sites import list_warehouses
from cangku.routing import SegmentRouter
from cangku.services.counts import COUNT_APPROVE, COUNT_MANAGE, NewCount, create_count
from cangku.services.cycle_counts import recompute_abc, set_frequencies
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.stock import VALUATION_VIEW
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import FormDep, new_key
from cangku.web.i18n import N_
from cangku.web.outbound_codes import refusal
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    form_status,
    gettext_for,
    language,
    path_part,
    redirect,
    render,
)

router = SegmentRouter(route_class=PageRoute)

PLAN = "/counts/plan"
ROWS = 200


def _warehouses(request: Request, user: WebUser) -> list[Any]:
    seen = user.warehouses(DOCUMENTS_VIEW)
    every = list_warehouses(db_of(request), active=True, limit=500).items
    return [w for w in every if seen is None or w.id in seen]


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"not a date: {text!r}", code="invalid_date", field="on") from None


def _plan_page(
    request: Request,
    user: WebUser,
    warehouse: str,
    *,
    error: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    params = request.query_params
    choices = _warehouses(request, user)
    codes = [w.code for w in choices]
    chosen = warehouse if warehouse in codes else (codes[0] if codes else "")
    every_place = params.get("all") == "1"
    db = db_of(request)
    context: dict[str, Any] = {"due": None, "abc": None, "history": []}
    with db.read() as conn:
        if chosen:
            warehouse_id = plan.warehouse_id_of(conn, chosen)
            try:
                on = _day(params.get("on", "").strip()[:10]) or plan.company_today(conn)
            except InvalidInput as refused:
                error, status, on = refusal(refused, language(request)), 422, None
            on = on or plan.company_today(conn)
            context = {
                "due": plan.due_list(conn, chosen, on, every_place=every_place, limit=ROWS),
                "abc": plan.abc_view(conn, chosen, limit=10),
                "history": plan.accuracy_history(
                    conn, chosen, show_value=user.actor.may(VALUATION_VIEW, warehouse_id)
                ),
                "may_count": user.actor.may(COUNT_MANAGE, warehouse_id),
                "may_plan": user.actor.may(COUNT_APPROVE, warehouse_id),
            }
        frequencies = plan.frequencies_view(conn)
    return render(
        request,
        "count_plan.html",
        status=status,
        error=error,
        warehouse=chosen,
        warehouses=choices,
        every_place=every_place,
        frequencies=frequencies,
        values=values or {"idempotency_key": new_key(), "months": "12", "limit": ""},
        rows=ROWS,
        **context,
    )


@router.get(PLAN, response_class=HTMLResponse)
def plan_page(request: Request, user: Annotated[WebUser, page(DOCUMENTS_VIEW)]) -> Response:
    """The plan of one warehouse (``?warehouse=``, else the first the user sees; ``?on=`` a
    day, ``?all=1`` every place)."""
    return _plan_page(request, user, request.query_params.get("warehouse", "")[:64])


def _refused(
    request: Request, user: WebUser, warehouse: str, error: CangkuError, values: dict[str, str]
) -> Response:
    message = refusal(error, language(request))
    return _plan_page(
        request, user, warehouse, error=message, status=form_status(error), values=values
    )


def _values(fields: FormDep) -> dict[str, str]:
    return {
        "idempotency_key": fields.text("idempotency_key") or new_key(),
        "months": fields.text("months") or "12",
        "limit": fields.text("limit"),
    }


def _back(warehouse: str) -> str:
    return f"{PLAN}?warehouse={path_part(warehouse)}"


@router.post(f"{PLAN}/count", response_class=HTMLResponse)
def count_due_page(
    request: Request, user: Annotated[WebUser, page(COUNT_MANAGE)], fields: FormDep
) -> Response:
    """Raise and start a count of the places due today (the most overdue ``limit``)."""
    warehouse, values = fields.text("warehouse"), _values(fields)
    try:
        limit = fields.integer("limit") if values["limit"] else None
        command = NewCount(
            warehouse, blind=fields.flag("blind"), start=True, plan=True, limit=limit
        )
        result = create_count(db_of(request), acting(request, values["idempotency_key"]), command)
    except CangkuError as error:
        return _refused(request, user, warehouse, error, values)
    text = gettext_for(request)(N_("%(number)s was raised and started: %(lines)s places to count."))
    shown = {"number": result.number, "lines": result.data.get("snapshot_lines", 0)}
    return redirect(f"/documents/{path_part(result.number)}", Flash("success", text % shown))


@router.post(f"{PLAN}/abc", response_class=HTMLResponse)
def recompute_abc_page(
    request: Request, user: Annotated[WebUser, page(COUNT_APPROVE)], fields: FormDep
) -> Response:
    """Recompute the warehouse's ABC classes from the last ``months`` of consumption."""
    warehouse, values = fields.text("warehouse"), _values(fields)
    try:
        months = fields.integer("months")
        if months is None:
            raise InvalidInput("give the months", code="invalid_months", months=None)
        ctx = acting(request, values["idempotency_key"])
        result = recompute_abc(db_of(request), ctx, warehouse, months=months)
    except CangkuError as error:
        return _refused(request, user, warehouse, error, values)
    text = gettext_for(request)(
        N_("The ABC classes were computed: %(a)s A, %(b)s B and %(c)s C items.")
    ) % {"a": result.items["A"], "b": result.items["B"], "c": result.items["C"]}
    return redirect(_back(warehouse), Flash("success", text))


@router.post(f"{PLAN}/frequencies", response_class=HTMLResponse)
def set_frequencies_page(
    request: Request, user: Annotated[WebUser, page(COUNT_APPROVE)], fields: FormDep
) -> Response:
    """Set the frequencies typed: a class's days (empty: the default), a location's days
    (``location`` and ``location_days``; empty days: removed)."""
    warehouse, values = fields.text("warehouse"), _values(fields)
    with db_of(request).read() as conn:
        current = plan.frequencies_view(conn)
    try:
        classes: dict[str, int | None] = {}
        for cls, days in current.classes.items():
            # a class left as shown (its own days, or empty for the default) is not changed
            wanted = fields.integer(f"class_{cls}")
            if wanted != (days if cls in current.set_classes else None):
                classes[cls] = wanted
        locations: dict[str, int | None] = {}
        if fields.text("location"):
            locations[fields.text("location")] = fields.integer("location_days")
        set_frequencies(
            db_of(request),
            acting(request, values["idempotency_key"]),
            classes=classes,
            locations=locations,
        )
    except CangkuError as error:
        return _refused(request, user, warehouse, error, values)
    text = gettext_for(request)(N_("The counting frequencies were saved."))
    return redirect(_back(warehouse), Flash("success", text))
