"""The delivery channels pages (ADR 0029, 0034; ``channel.manage``): the channels with their
subscriptions and a form to add one; a channel's page to change it, subscribe it to a topic,
remove a subscription and send a test message. A secret is typed, never shown back."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError, InvalidInput, NotFound
from cangku.queries import deliveries as queries
from cangku.queries.sites import list_warehouses
from cangku.routing import SegmentRouter
from cangku.services.delivery import channels as service
from cangku.services.delivery.manual import send_test
from cangku.web.access import WebUser, acting, page
from cangku.web.alerts import KIND_LABELS
from cangku.web.forms import Fields, FormDep, new_key
from cangku.web.i18n import N_, error_message
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    error_page,
    form_status,
    gettext_for,
    language,
    redirect,
    render,
)

__all__ = ["PATH", "path_id", "router", "topic_label"]

router = SegmentRouter(route_class=PageRoute)

PATH = "/admin/channels"
KIND_NAMES = {
    "email": N_("E-mail"),
    "webhook": N_("Webhook"),
    "wecom": N_("WeCom group robot"),
    "dingtalk": N_("DingTalk robot"),
    "feishu": N_("Feishu bot"),
}
TOPIC_NAMES = {"task": N_("Tasks (document steps)"), "alert": N_("Every alert"), "test": N_("Test")}
ALERT_OF = N_("Alert: %(kind)s")
FIELDS = ("kind", "name", "target", "config", "idempotency_key")


def path_id(kind: str, text: str) -> int:
    """A record's id from the URL. Raises NotFound (``<kind>_not_found``)."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) < 2**63:
        raise NotFound(kind, text)
    return int(text)


def topic_label(topic: str, gettext: Any) -> str:
    if topic in TOPIC_NAMES:
        return str(gettext(TOPIC_NAMES[topic]))
    kind = topic.removeprefix("alert.")
    if kind != topic and kind in KIND_LABELS:
        return str(gettext(ALERT_OF) % {"kind": gettext(KIND_LABELS[kind])})
    return topic


def _config(fields: Fields) -> dict[str, Any] | None:
    """The config typed as JSON (empty: none). Raises InvalidInput ``invalid_channel_config``."""
    text = fields.text("config")
    if not text:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise InvalidInput(
            'the config is a JSON object, e.g. {"host": "smtp.example.com", "port": 25}',
            code="invalid_channel_config",
        )
    return found


def _labels(request: Request) -> dict[str, Any]:
    gettext = gettext_for(request)
    return {
        "kind_name": lambda kind: gettext(KIND_NAMES[kind]) if kind in KIND_NAMES else kind,
        "topic_label": lambda topic: topic_label(topic, gettext),
    }


def _list(
    request: Request, user: WebUser, values: dict[str, str], error: str | None, status: int = 200
) -> Response:
    with db_of(request).read() as conn:
        found = queries.list_channels(conn)
    return render(
        request, "admin_channels.html", status=status, user=user, channels=found,
        kinds=service.KINDS, values=values, error=error, **_labels(request),
    )  # fmt: skip


@router.get(PATH, response_class=HTMLResponse)
def channels_page(
    request: Request, user: Annotated[WebUser, page(service.CHANNEL_MANAGE)]
) -> Response:
    """Every channel with its subscriptions, and the form to add one."""
    return _list(request, user, {"idempotency_key": new_key(), "kind": "webhook"}, None)


@router.post(PATH, response_class=HTMLResponse)
def add_channel_page(
    request: Request, user: Annotated[WebUser, page(service.CHANNEL_MANAGE)], fields: FormDep
) -> Response:
    """Add the channel typed, then its page; a refusal keeps the form as typed (not the
    secret)."""
    values = {name: fields.text(name) for name in FIELDS}
    try:
        made = service.add_channel(
            db_of(request), acting(request, values["idempotency_key"]),
            kind=values["kind"], name=values["name"], target=values["target"],
            secret=fields.raw("secret"), config=_config(fields),
        )  # fmt: skip
    except CangkuError as error:
        message = error_message(error, language(request))
        return _list(request, user, values, message, form_status(error))
    text = gettext_for(request)(N_("Channel %(name)s added.")) % {"name": values["name"]}
    return redirect(f"{PATH}/{made}", Flash("success", text))


def _detail(
    request: Request, user: WebUser, channel_id: int, error: str | None = None, status: int = 200
) -> Response:
    with db_of(request).read() as conn:
        found = queries.get_channel(conn, channel_id)
    warehouses = list_warehouses(db_of(request), limit=500).items
    config = json.dumps(found.config, ensure_ascii=False, sort_keys=True) if found.config else ""
    return render(
        request, "admin_channel.html", status=status, user=user, channel=found,
        config_text=config,
        topics=service.TOPICS, warehouses=warehouses, error=error, **_labels(request),
    )  # fmt: skip


@router.get(PATH + "/{channel_id}", response_class=HTMLResponse)
def channel_page(
    request: Request, channel_id: str, user: Annotated[WebUser, page(service.CHANNEL_MANAGE)]
) -> Response:
    """One channel: the form to change it, its subscriptions, subscribe, test."""
    try:
        return _detail(request, user, path_id("channel", channel_id))
    except CangkuError as error:
        return error_page(request, error)


def _act(request: Request, user: WebUser, channel_id: str, work: Any) -> Response:
    """Run ``work(id)`` (answering the flash text) and go back to the channel's page; a
    refusal shows the page with the error (the error page when the channel is unknown)."""
    try:
        found = path_id("channel", channel_id)
        text = work(found)
    except CangkuError as error:
        if isinstance(error, NotFound) and error.code == "channel_not_found":
            return error_page(request, error)
        message = error_message(error, language(request))
        return _detail(request, user, int(channel_id), message, form_status(error))
    level = "error" if text.startswith("!") else "success"
    return redirect(f"{PATH}/{channel_id}", Flash(level, text.removeprefix("!")))


@router.post(PATH + "/{channel_id}", response_class=HTMLResponse)
def update_channel_page(
    request: Request,
    channel_id: str,
    user: Annotated[WebUser, page(service.CHANNEL_MANAGE)],
    fields: FormDep,
) -> Response:
    """Save the form: a blank secret keeps the one stored, "clear secret" removes it."""

    def work(found: int) -> str:
        secret = "" if fields.flag("clear_secret") else fields.raw("secret")
        changes = service.ChannelChanges(
            fields.text("name"), fields.text("target"), secret, _config(fields) or {},
            fields.flag("active"),
        )  # fmt: skip
        service.update_channel(db_of(request), acting(request), found, changes)
        return str(gettext_for(request)(N_("Channel saved.")))

    return _act(request, user, channel_id, work)


@router.post(PATH + "/{channel_id}/test", response_class=HTMLResponse)
def test_channel_page(
    request: Request, channel_id: str, user: Annotated[WebUser, page(service.CHANNEL_MANAGE)]
) -> Response:
    """Send a test message now; the page says sent, or failed with the error."""

    def work(found: int) -> str:
        done = send_test(db_of(request), acting(request), found)
        gettext = gettext_for(request)
        if done.status == "sent":
            return str(gettext(N_("Test message sent.")))
        return "!" + gettext(N_("Test message failed: %(error)s")) % {"error": done.error}

    return _act(request, user, channel_id, work)


@router.post(PATH + "/{channel_id}/subscriptions", response_class=HTMLResponse)
def subscribe_page(
    request: Request,
    channel_id: str,
    user: Annotated[WebUser, page(service.CHANNEL_MANAGE)],
    fields: FormDep,
) -> Response:
    """Subscribe the channel to the topic chosen, in the warehouse chosen (or every one)."""

    def work(found: int) -> str:
        chosen = fields.text("warehouse_id")
        place = path_id("warehouse", chosen) if chosen else None
        service.subscribe_channel(
            db_of(request), found, fields.text("topic"), warehouse_id=place, ctx=acting(request)
        )
        return str(gettext_for(request)(N_("Subscribed.")))

    return _act(request, user, channel_id, work)


@router.post(
    PATH + "/{channel_id}/subscriptions/{subscription_id}/delete", response_class=HTMLResponse
)
def unsubscribe_page(
    request: Request,
    channel_id: str,
    subscription_id: str,
    user: Annotated[WebUser, page(service.CHANNEL_MANAGE)],
) -> Response:
    """Remove one of the channel's subscriptions."""

    def work(found: int) -> str:
        sub = path_id("subscription", subscription_id)
        service.unsubscribe_channel(db_of(request), acting(request), sub, channel_id=found)
        return str(gettext_for(request)(N_("Subscription removed.")))

    return _act(request, user, channel_id, work)
