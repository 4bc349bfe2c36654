"""The delivery log pages (ADR 0029, 0034; ``channel.manage``): deliveries newest first,
filtered by channel, status and topic, a page at a time; one delivery with its payload and a
Replay button (a new delivery naming it, attempted at once)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError
from cangku.queries import deliveries as queries
from cangku.routing import SegmentRouter
from cangku.services.delivery.channels import CHANNEL_MANAGE
from cangku.services.delivery.manual import replay_delivery
from cangku.web.access import WebUser, acting, page
from cangku.web.channels import path_id, topic_label
from cangku.web.i18n import N_
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    error_page,
    gettext_for,
    pager,
    redirect,
    render,
)

__all__ = ["PATH", "router"]

router = SegmentRouter(route_class=PageRoute)

PATH = "/admin/deliveries"
STATUS_NAMES = {
    "pending": N_("Pending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "dead": N_("Dead"),
}
REPLAYED = N_("Delivery %(old)s replayed as %(new)s: %(status)s.")


def _labels(request: Request) -> dict[str, Any]:
    gettext = gettext_for(request)
    return {
        "status_name": lambda code: gettext(STATUS_NAMES[code]) if code in STATUS_NAMES else code,
        "topic_label": lambda topic: topic_label(topic, gettext),
    }


@router.get(PATH, response_class=HTMLResponse)
def deliveries_page(request: Request, user: Annotated[WebUser, page(CHANNEL_MANAGE)]) -> Response:
    """The log, newest first: ``channel`` (id), ``status`` and ``topic`` filter it."""
    params = request.query_params
    filters = {name: params.get(name, "").strip() for name in ("channel", "status", "topic")}
    channel = filters["channel"]
    pages = pager(request)
    try:
        wanted = queries.DeliveryFilter(
            path_id("channel", channel) if channel else None,
            filters["status"] or None,
            filters["topic"] or None,
        )
        with db_of(request).read() as conn:
            found = queries.list_deliveries(conn, wanted, pages.size, pages.offset)
            channels = queries.list_channels(conn)
    except CangkuError as error:
        return error_page(request, error)
    return render(
        request, "admin_deliveries.html", user=user, deliveries=found.items,
        pager=replace(pages, total=found.total), filters=filters, channels=channels,
        statuses=queries.STATUSES, **_labels(request),
    )  # fmt: skip


@router.get(PATH + "/{delivery_id}", response_class=HTMLResponse)
def delivery_page(
    request: Request, delivery_id: str, user: Annotated[WebUser, page(CHANNEL_MANAGE)]
) -> Response:
    """One delivery: its attempts, last error and payload; Replay when it is not pending."""
    try:
        with db_of(request).read() as conn:
            found = queries.get_delivery(conn, path_id("delivery", delivery_id))
    except CangkuError as error:
        return error_page(request, error)
    payload = json.dumps(found.payload, ensure_ascii=False, indent=2, sort_keys=True)
    return render(
        request, "admin_delivery.html", user=user, delivery=found, payload=payload,
        **_labels(request),
    )  # fmt: skip


@router.post(PATH + "/{delivery_id}/replay", response_class=HTMLResponse)
def replay_page(
    request: Request, delivery_id: str, user: Annotated[WebUser, page(CHANNEL_MANAGE)]
) -> Response:
    """Replay the delivery, then the new delivery's page; the error page on a refusal."""
    try:
        old = path_id("delivery", delivery_id)
        done = replay_delivery(db_of(request), acting(request), old)
    except CangkuError as error:
        return error_page(request, error)
    gettext = gettext_for(request)
    status = gettext(STATUS_NAMES.get(done.status, done.status))
    text = gettext(REPLAYED) % {"old": old, "new": done.delivery_id, "status": status}
    level = "success" if done.status == "sent" else "error"
    return redirect(f"{PATH}/{done.delivery_id}", Flash(level, text))
