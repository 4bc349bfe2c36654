"""The alerts page (ADR 0030): the open alerts in the warehouses the user sees, newest first,
filtered by kind and optionally with closed ones; acknowledge one, or check the conditions now.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError, NotFound
from cangku.queries.alert_conditions import KINDS
from cangku.queries.alerts import AlertFilter, AlertRow, list_alerts
from cangku.routing import SegmentRouter
from cangku.services.alerts import (
    ALERT_ACKNOWLEDGE,
    ALERT_CHECK,
    ALERT_VIEW,
    acknowledge_alert,
    check_alerts,
)
from cangku.web.access import WebUser, acting, page
from cangku.web.i18n import N_, error_message
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    gettext_for,
    language,
    redirect,
    render,
)

__all__ = ["router"]

router = SegmentRouter(route_class=PageRoute)

#: the page shows at most this many alerts (the newest); the API pages through the rest
SHOWN = 200

#: each kind's label
KIND_LABELS = {
    "low_stock": N_("Low stock"),
    "below_safety_stock": N_("Below safety stock"),
    "stock_out": N_("Stock-out"),
    "overstock": N_("Overstock"),
    "expiring_lot": N_("Lot expiring"),
    "expired_lot": N_("Lot expired"),
    "slow_moving": N_("Slow-moving"),
    "count_due": N_("Count due"),
    "overdue_document": N_("Document overdue"),
    "verify_failed": N_("Ledger verification failed"),
}

#: each kind's figures as one line (the keys are those ``queries.alert_conditions`` writes)
FIGURE_LINES = {
    "low_stock": N_("Available %(available)s, reorder point %(reorder_point)s"),
    "below_safety_stock": N_("Available %(available)s, safety stock %(safety_stock)s"),
    "stock_out": N_("On hand %(on_hand)s, reserved %(reserved)s"),
    "overstock": N_("On hand %(on_hand)s, maximum %(max_stock)s, excess %(excess)s"),
    "expiring_lot": N_("Expires %(expires_on)s, days left: %(days_left)s, on hand %(on_hand)s"),
    "expired_lot": N_("Expired %(expires_on)s, on hand %(on_hand)s"),
    "slow_moving": N_("On hand %(on_hand)s, days idle: %(idle_days)s"),
    "count_due": N_("Places due: %(places_due)s, never counted: %(never_counted)s"),
    "overdue_document": N_("Due %(due_on)s, days overdue: %(days_overdue)s"),
    "verify_failed": N_("Problems found: %(problems)s"),
    # overstock by days of supply alone (ADR 0032): no maximum exceeded
    "overstock_days": N_(
        "On hand %(on_hand)s, %(days_of_supply)s days of supply (over %(supply_days)s)"
    ),
}

CHECKED = N_("Alerts checked: %(opened)s opened, %(closed)s closed, %(still_open)s still open.")
ACKNOWLEDGED = N_("Alert %(id)s acknowledged.")


def figures_line(row: AlertRow, gettext: Any) -> str:
    """The alert's latest figures as one translated line (its raw figures when a key lacks)."""
    by_days = row.kind == "overstock" and row.figures.get("excess") is None
    text = FIGURE_LINES.get("overstock_days" if by_days else row.kind)
    if text is None:
        return ", ".join(f"{k}: {v}" for k, v in sorted(row.figures.items()))
    try:
        line: str = gettext(text) % row.figures
    except (KeyError, TypeError, ValueError):
        return ", ".join(f"{k}: {v}" for k, v in sorted(row.figures.items()))
    return line


def _refusal(request: Request, error: CangkuError) -> HTMLResponse:
    message = error_message(error, language(request))
    return render(request, "error.html", status=error.status, message=message, code=error.code)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, user: Annotated[WebUser, page(ALERT_VIEW)]) -> Response:
    """The alerts the user sees (open ones unless ``closed=1``), of one kind if ``kind``."""
    params = request.query_params
    kind = params.get("kind", "").strip()
    closed = params.get("closed", "") == "1"
    try:
        with db_of(request).read() as conn:
            found = list_alerts(
                conn, AlertFilter(kind or None, None, closed), user.warehouses(ALERT_VIEW), SHOWN
            )
    except CangkuError as error:
        return _refusal(request, error)
    gettext = gettext_for(request)
    return render(
        request,
        "alerts.html",
        user=user,
        alerts=found.items,
        total=found.total,
        kinds=list(KINDS),
        kind=kind,
        closed=closed,
        kind_label=lambda code: gettext(KIND_LABELS[code]) if code in KIND_LABELS else code,
        figures=lambda row: figures_line(row, gettext),
        may_check=user.may(ALERT_CHECK.code),
        may_acknowledge=user.may(ALERT_ACKNOWLEDGE.code),
    )


@router.post("/alerts/check", response_class=HTMLResponse)
def check_now(request: Request, user: Annotated[WebUser, page(ALERT_CHECK)]) -> Response:
    """Check every kind's condition but the ledger's verification, then the page again."""
    try:
        done = check_alerts(db_of(request), acting(request))
    except CangkuError as error:
        return _refusal(request, error)
    text = gettext_for(request)(CHECKED) % {
        "opened": len(done.opened),
        "closed": len(done.closed),
        "still_open": done.still_open,
    }
    return redirect("/alerts", Flash("success", text))


@router.post("/alerts/{alert_id}/acknowledge", response_class=HTMLResponse)
def acknowledge(
    request: Request, alert_id: str, user: Annotated[WebUser, page(ALERT_ACKNOWLEDGE)]
) -> Response:
    """Acknowledge the alert as the user, then the page again; the refusal page on refusal."""
    try:
        if not (alert_id.isascii() and alert_id.isdigit()) or not 1 <= int(alert_id) < 2**63:
            raise NotFound("alert", alert_id)
        acknowledge_alert(db_of(request), acting(request), int(alert_id))
    except CangkuError as error:
        return _refusal(request, error)
    text = gettext_for(request)(ACKNOWLEDGED) % {"id": alert_id}
    return redirect("/alerts", Flash("success", text))
