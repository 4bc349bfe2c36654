"""Channels and their subscriptions (ADR 0029, faces in ADR 0034): add, change, deactivate a
channel; subscribe it to a topic in one warehouse or every one, and unsubscribe it. Each write
is an audited ``channel.manage`` action (administrators); a channel's secret never leaves the
service layer in an answer or an audit entry (``has_secret`` instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Connection, select

from cangku.db import deliveries as store
from cangku.db.tables import warehouses
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import Conflict, InvalidInput, NotFound
from cangku.domain.permissions import Actor, action
from cangku.queries.alert_conditions import KINDS as ALERT_KINDS
from cangku.services.common import Context, Subject, refuse_unless_allowed, run_write

__all__ = [
    "CHANNEL_MANAGE",
    "KINDS",
    "TOPICS",
    "ChannelChanges",
    "add_channel",
    "deactivate_channel",
    "shown_target",
    "subscribe_channel",
    "unsubscribe_channel",
    "update_channel",
]

#: channels, their subscriptions, the delivery log, test messages and replays
CHANNEL_MANAGE = action(
    "channel.manage",
    roles=(),
    description="channels, their subscriptions, the delivery log and replays",
)

KINDS = ("email", "webhook", "wecom", "dingtalk", "feishu")
#: what a channel may subscribe to: the outbox's topics, and an alert kind of ``alert``
TOPICS = ("task", "alert", *(f"alert.{kind}" for kind in ALERT_KINDS))
#: the config keys each kind reads (``send`` and ``formats``) and the type of each value
CONFIG_KEYS: dict[str, dict[str, type]] = {
    "email": {"host": str, "port": int, "from": str, "starttls": bool, "username": str},
    "webhook": {},
    "wecom": {"msgtype": str},
    "dingtalk": {"msgtype": str},
    "feishu": {},
}
MAX_NAME = 200
MAX_TARGET = 2000
MAX_SECRET = 500


@dataclass(frozen=True)
class ChannelChanges:
    """What to change in a channel; None leaves a field as it is (``secret`` "" removes it,
    ``config`` {} empties it)."""

    name: str | None = None
    target: str | None = None
    secret: str | None = None
    config: Mapping[str, Any] | None = None
    active: bool | None = None


def _bad(message: str, code: str, **data: Any) -> InvalidInput:
    return InvalidInput(message, code=code, **data)


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise _bad(f"unknown channel kind {kind!r}", "invalid_channel_kind", kind=str(kind)[:20])
    return kind


def _name(name: str) -> str:
    text = name.strip()
    if not text or len(text) > MAX_NAME:
        raise _bad(f"a channel needs a name of 1 to {MAX_NAME} characters", "invalid_channel_name")
    return text


def _target(kind: str, target: str) -> str:
    text = target.strip()
    if len(text) > MAX_TARGET:
        raise _bad(f"a target has at most {MAX_TARGET} characters", "invalid_channel_target")
    if kind == "email":
        if "@" not in text or any(c.isspace() for c in text.replace(", ", ",")):
            raise _bad("an e-mail channel needs an address", "invalid_channel_target")
        return text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _bad("a webhook needs an http(s) URL", "invalid_channel_target")
    return text


def _config(kind: str, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The config with each key the kind reads, of its type (``port`` 1-65535, ``msgtype``
    text or markdown). Raises InvalidInput ``invalid_channel_config``."""
    known = CONFIG_KEYS[kind]
    out: dict[str, Any] = {}
    for key, value in (config or {}).items():
        wanted = known.get(key)
        # bool is an int in Python: a port of True is not a port
        if (
            wanted is None
            or not isinstance(value, wanted)
            or isinstance(value, bool) != (wanted is bool)
        ):
            allowed = ", ".join(known) or "none"
            raise _bad(
                f"{kind} channels read these config keys: {allowed}; {key!r} is not one of "
                f"them or not a {wanted.__name__ if wanted else 'known key'}",
                "invalid_channel_config",
                key=str(key)[:40],
            )
        out[key] = value
    if "port" in out and not 1 <= out["port"] <= 65535:
        raise _bad("port is 1 to 65535", "invalid_channel_config", key="port")
    if out.get("msgtype", "text") not in ("text", "markdown"):
        raise _bad("msgtype is text or markdown", "invalid_channel_config", key="msgtype")
    return out


def _secret(secret: str | None) -> str | None:
    if secret is not None and len(secret) > MAX_SECRET:
        raise _bad(f"a secret has at most {MAX_SECRET} characters", "invalid_channel_secret")
    return secret or None


def shown_target(target: str) -> str:
    """The target with the values of its query hidden (a robot's URL carries its key there):
    what the audit trail keeps."""
    parts = urlsplit(target)
    if not parts.query:
        return target
    hidden = "&".join(f"{pair.split('=', 1)[0]}=***" for pair in parts.query.split("&"))
    return urlunsplit(parts._replace(query=hidden))


def _audited(fields: dict[str, Any]) -> dict[str, Any]:
    """A channel's fields as the audit trail keeps them: no secret, the target's query hidden."""
    out = {k: v for k, v in fields.items() if k != "secret"}
    if "secret" in fields:
        out["secret_set"] = bool(fields["secret"])
    if isinstance(out.get("target"), str):
        out["target"] = shown_target(out["target"])
    return out


def _read(channel_id: int) -> Any:
    def read(conn: Connection) -> dict[str, Any] | None:
        found = store.channel_of(conn, channel_id)
        return None if found is None else _audited(asdict(found))

    return read


def _taken(conn: Connection, name: str, channel_id: int | None) -> None:
    found = store.channel_named(conn, name)
    if found is not None and found != channel_id:
        raise Conflict(f"a channel called {name!r} exists", code="channel_exists", name=name)


def _context(ctx: Context | None) -> Context:
    # setup scripts and tests add channels as the built-in administrator
    return ctx if ctx is not None else Context(origin="library")


def add_channel(
    db: Database,
    ctx: Context | None = None,
    *,
    kind: str,
    name: str,
    target: str,
    secret: str | None = None,
    config: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> int:
    """Add an active channel; answers its id. The secret is stored as given (ADR 0029).
    ``ctx`` None: as the built-in administrator. Raises InvalidInput
    (``invalid_channel_kind``, ``invalid_channel_name``, ``invalid_channel_target``,
    ``invalid_channel_config``, ``invalid_channel_secret``), Conflict ``channel_exists``,
    PermissionDenied (``channel.manage``, before the input is looked at). Writes the channel
    and an audit entry."""
    refuse_unless_allowed(db, _context(ctx), CHANNEL_MANAGE)
    check_kind(kind)
    values: dict[str, Any] = {
        "kind": kind,
        "name": _name(name),
        "target": _target(kind, target),
        "secret": _secret(secret),
        "config": _config(kind, config),
    }

    def work(uow: UnitOfWork, actor: Actor, clock: datetime) -> int:
        _taken(uow.conn, values["name"], None)
        return store.insert_channel(uow.conn, **values, now=now or clock)

    result, _ = run_write(
        db, _context(ctx), CHANNEL_MANAGE, _audited(values), work,
        subject=Subject("channel", values["name"]),
    )  # fmt: skip
    return int(result)


def update_channel(db: Database, ctx: Context, channel_id: int, changes: ChannelChanges) -> None:
    """Change a channel's name, target, secret, config or whether it is active (an inactive
    channel gets no new deliveries; those pending fail at their next attempt). Raises NotFound
    ``channel_not_found``, InvalidInput (as ``add_channel``), Conflict ``channel_exists``,
    PermissionDenied. Writes the channel and an audit entry with what changed."""
    refuse_unless_allowed(db, ctx, CHANNEL_MANAGE)
    given = {k: v for k, v in asdict(changes).items() if v is not None}
    if "name" in given:
        given["name"] = _name(given["name"])
    if "secret" in given:
        given["secret"] = _secret(given["secret"])

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        found = store.channel_of(uow.conn, channel_id)
        if found is None:
            raise NotFound("channel", channel_id)
        if "target" in given:
            given["target"] = _target(found.kind, given["target"])
        if "config" in given:
            given["config"] = _config(found.kind, given["config"])
        if "name" in given:
            _taken(uow.conn, given["name"], channel_id)
        if given:
            store.update_channel(uow.conn, channel_id, given)
        return {"channel": channel_id}

    run_write(
        db, ctx, CHANNEL_MANAGE, {"channel": channel_id, **_audited(given)}, work,
        subject=Subject("channel", str(channel_id), _read(channel_id)),
    )  # fmt: skip


def deactivate_channel(db: Database, ctx: Context, channel_id: int) -> None:
    """Stop a channel (``update_channel`` with active false): its subscriptions and log stay."""
    update_channel(db, ctx, channel_id, ChannelChanges(active=False))


def check_topic(topic: str) -> str:
    text = topic.strip()
    if text not in TOPICS:
        raise _bad(f"unknown topic {text!r}", "unknown_topic", topic=text[:64], allowed=TOPICS)
    return text


def _warehouse_exists(conn: Connection, warehouse_id: int | None) -> None:
    if warehouse_id is None:
        return
    stmt = select(warehouses.c.id).where(warehouses.c.id == warehouse_id)
    if conn.execute(stmt).first() is None:
        raise NotFound("warehouse", warehouse_id)


def subscribe_channel(
    db: Database,
    channel_id: int,
    topic: str,
    *,
    warehouse_id: int | None = None,
    now: datetime | None = None,
    ctx: Context | None = None,
) -> int:
    """Subscribe a channel to a topic (``TOPICS``: an outbox topic, or ``alert.<kind>``), in
    one warehouse or every one; outbox rows written from ``now`` on are delivered to it.
    Answers the subscription's id. ``ctx`` None: as the built-in administrator. Raises
    InvalidInput ``unknown_topic``, NotFound (``channel_not_found``, ``warehouse_not_found``),
    PermissionDenied (before the input is looked at). Writes the subscription and an audit
    entry."""
    refuse_unless_allowed(db, _context(ctx), CHANNEL_MANAGE)
    chosen = check_topic(topic)

    def work(uow: UnitOfWork, actor: Actor, clock: datetime) -> int:
        if store.channel_of(uow.conn, channel_id) is None:
            raise NotFound("channel", channel_id)
        _warehouse_exists(uow.conn, warehouse_id)
        return store.insert_subscription(
            uow.conn,
            topic=chosen,
            channel_id=channel_id,
            warehouse_id=warehouse_id,
            now=now or clock,
        )

    payload = {"channel": channel_id, "topic": chosen, "warehouse_id": warehouse_id}
    result, _ = run_write(
        db, _context(ctx), CHANNEL_MANAGE, payload, work, target_type="subscription"
    )
    return int(result)


def unsubscribe_channel(
    db: Database, ctx: Context, subscription_id: int, *, channel_id: int | None = None
) -> None:
    """Remove a channel's subscription (of the channel ``channel_id`` when given; what it was
    delivered stays in the log). Raises NotFound ``subscription_not_found`` (also for a user's
    subscription, or another channel's), PermissionDenied. Writes the removal and an audit
    entry."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        found = store.subscription_of(uow.conn, subscription_id)
        if found is None or found.channel_id is None or channel_id not in (None, found.channel_id):
            raise NotFound("subscription", subscription_id)
        store.delete_subscription(uow.conn, subscription_id)
        return {"channel": int(found.channel_id), "topic": found.topic}

    run_write(
        db, ctx, CHANNEL_MANAGE, {"subscription": subscription_id}, work,
        target_type="subscription", target=str(subscription_id),
    )  # fmt: skip
