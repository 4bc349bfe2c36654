"""My alert subscriptions page (ADR 0030, 0034): the kinds and warehouses I hear of in the
app, a form to add one (``alert.subscribe``) and a Remove button on each."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError
from cangku.queries.alert_conditions import KINDS
from cangku.queries.deliveries import user_subscriptions
from cangku.queries.sites import list_warehouses
from cangku.routing import SegmentRouter
from cangku.services.alert_subscriptions import (
    ALERT_SUBSCRIBE,
    subscribe_to_alerts,
    unsubscribe_alerts,
)
from cangku.services.alerts import ALERT_VIEW, TOPIC
from cangku.web.access import WebUser, acting, page
from cangku.web.alerts import KIND_LABELS
from cangku.web.channels import path_id
from cangku.web.forms import FormDep
from cangku.web.i18n import N_
from cangku.web.render import Flash, PageRoute, db_of, error_page, gettext_for, redirect, render

__all__ = ["PATH", "router"]

router = SegmentRouter(route_class=PageRoute)

PATH = "/alerts/subscriptions"


@router.get(PATH, response_class=HTMLResponse)
def subscriptions_page(request: Request, user: Annotated[WebUser, page(ALERT_VIEW)]) -> Response:
    """My subscriptions, and the form to add one in a warehouse I see."""
    with db_of(request).read() as conn:
        found = user_subscriptions(conn, user.actor.user_id)
    seen = list_warehouses(db_of(request), limit=500, warehouses=user.warehouses(ALERT_VIEW))
    gettext = gettext_for(request)
    return render(
        request, "alert_subscriptions.html", user=user,
        subscriptions=[(s, None if s.topic == TOPIC else s.topic.split(".", 1)[1]) for s in found],
        kinds=KINDS, warehouses=seen.items, may_subscribe=user.may(ALERT_SUBSCRIBE.code),
        kind_label=lambda code: gettext(KIND_LABELS[code]) if code in KIND_LABELS else code,
    )  # fmt: skip


@router.post(PATH, response_class=HTMLResponse)
def subscribe_page(
    request: Request, user: Annotated[WebUser, page(ALERT_SUBSCRIBE)], fields: FormDep
) -> Response:
    """Subscribe me to the kind (or every kind) in the warehouse (or every one) chosen."""
    try:
        chosen = fields.text("warehouse_id")
        subscribe_to_alerts(
            db_of(request), acting(request), kind=fields.optional("kind"),
            warehouse_id=path_id("warehouse", chosen) if chosen else None,
        )  # fmt: skip
    except CangkuError as error:
        return error_page(request, error)
    return redirect(PATH, Flash("success", gettext_for(request)(N_("Subscribed."))))


@router.post(PATH + "/{subscription_id}/delete", response_class=HTMLResponse)
def unsubscribe_page(
    request: Request, subscription_id: str, user: Annotated[WebUser, page(ALERT_SUBSCRIBE)]
) -> Response:
    """Take out one of my subscriptions."""
    try:
        unsubscribe_alerts(
            db_of(request), acting(request), path_id("subscription", subscription_id)
        )
    except CangkuError as error:
        return error_page(request, error)
    return redirect(PATH, Flash("success", gettext_for(request)(N_("Subscription removed."))))
