"""``cangku channels``: the delivery channels (e-mail, signed webhooks, WeCom, DingTalk and
Feishu robots) and their subscriptions; add, update, deactivate, subscribe, unsubscribe and
send a test message (ADR 0029, 0034). Administrators (``channel.manage``); a channel's secret
is written, never printed (``has_secret``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, reader, table
from cangku.domain.errors import InvalidInput
from cangku.queries import deliveries as queries
from cangku.queries.stock import warehouse_id
from cangku.services.delivery import channels as service
from cangku.services.delivery.manual import send_test

NAME = "channels"
HELP = (
    "Delivery channels: e-mail, webhooks and group robots.\n\n"
    "Without a command, lists every channel with its subscriptions. Outbox rows of the topics "
    "a channel subscribes to are delivered to it by the deliveries job."
)
app = typer.Typer(invoke_without_command=True)

ChannelArg = Annotated[int, typer.Argument(help="The channel's id.", show_default=False)]
ConfigOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--config",
        help="KEY=VALUE the kind reads (email: host, port, from, starttls, username; wecom and "
        "dingtalk: msgtype); repeat it.",
    ),
]
SecretOpt = Annotated[
    str | None,
    typer.Option("--secret", help="The HMAC key, robot signing secret or SMTP password."),
]
COLUMNS = ["id", "kind", "name", "target", "has_secret", "active", "subscriptions"]


def _value(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return int(text) if text.isascii() and text.isdigit() else text


def parse_config(pairs: list[str] | None) -> dict[str, Any] | None:
    """``KEY=VALUE`` pairs as a dict (digits as a number, true/false as a flag). Raises
    InvalidInput ``invalid_channel_config``."""
    if pairs is None:
        return None
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(
                f"--config takes KEY=VALUE, not {pair!r}", code="invalid_channel_config"
            )
        out[key.strip()] = _value(value.strip())
    return out


def _plain(row: queries.ChannelRow) -> dict[str, Any]:
    shown = [f"{s.topic}@{s.warehouse or '*'}#{s.id}" for s in row.subscriptions]
    return {**vars(row), "subscriptions": shown}


def _show(channel_id: int, as_json: bool) -> None:
    with database().read() as conn:
        found = queries.get_channel(conn, channel_id)
    emit(found, as_json, lambda _: table([_plain(found)], COLUMNS))


@app.callback()
def listing(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Delivery channels: e-mail, webhooks and group robots."""
    if ctx.invoked_subcommand is not None:
        return
    with handled(as_json):
        reader(service.CHANNEL_MANAGE)
        with database().read() as conn:
            found = queries.list_channels(conn)
        emit({"items": found}, as_json, lambda _: table([_plain(c) for c in found], COLUMNS))


@app.command()
def add(
    kind: Annotated[str, typer.Argument(help=f"One of {', '.join(service.KINDS)}.")],
    name: Annotated[str, typer.Argument(help="A name of your own, unique.")],
    target: Annotated[str, typer.Argument(help="E-mail addresses (a, b) or the URL.")],
    secret: SecretOpt = None,
    config: ConfigOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a channel, active.

    It gets nothing until it subscribes to a topic."""
    with handled(as_json):
        acting = context(idempotency_key)
        made = service.add_channel(
            database(), acting, kind=kind, name=name, target=target, secret=secret,
            config=parse_config(config),
        )  # fmt: skip
        _show(made, as_json)


@app.command()
def update(
    channel_id: ChannelArg,
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="New addresses or URL.")] = None,
    secret: SecretOpt = None,
    clear_secret: Annotated[
        bool, typer.Option("--clear-secret", help="Remove the secret.")
    ] = False,
    config: ConfigOpt = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Deliver to it or not.")
    ] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a channel's name, target, secret, config or active.

    What is not given stays as it is; --config replaces the whole config."""
    with handled(as_json):
        acting = context(idempotency_key)
        changes = service.ChannelChanges(
            name, target, "" if clear_secret else secret, parse_config(config), active
        )
        service.update_channel(database(), acting, channel_id, changes)
        _show(channel_id, as_json)


@app.command()
def deactivate(
    channel_id: ChannelArg, idempotency_key: IdemOpt = None, as_json: JsonOpt = False
) -> None:
    """Stop a channel: no new deliveries.

    Its subscriptions and its delivery log stay."""
    with handled(as_json):
        service.deactivate_channel(database(), context(idempotency_key), channel_id)
        _show(channel_id, as_json)


@app.command()
def subscribe(
    channel_id: ChannelArg,
    topic: Annotated[str, typer.Argument(help=f"One of {', '.join(service.TOPICS[:3])}, ...")],
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", help="Only this warehouse (its code).")
    ] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Subscribe a channel to a topic.

    Topics: task, alert, alert.KIND; in one warehouse or (without --warehouse) all."""
    with handled(as_json):
        acting = context(idempotency_key)
        place = None
        if warehouse is not None:
            with database().read() as conn:
                place = warehouse_id(conn, warehouse, None)
        made = service.subscribe_channel(
            database(), channel_id, topic, warehouse_id=place, ctx=acting
        )
        emit({"subscription": made, "channel": channel_id, "topic": topic.strip()}, as_json)


@app.command()
def unsubscribe(
    subscription_id: Annotated[int, typer.Argument(help="The subscription's id.")],
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a channel's subscription.

    What it was delivered stays in the log."""
    with handled(as_json):
        service.unsubscribe_channel(database(), context(idempotency_key), subscription_id)
        emit({"removed": subscription_id}, as_json)


@app.command()
def test(channel_id: ChannelArg, idempotency_key: IdemOpt = None, as_json: JsonOpt = False) -> None:
    """Send a test message now.

    One attempt, kept in the delivery log; exits 1 when it failed."""
    with handled(as_json):
        done = send_test(database(), context(idempotency_key), channel_id)
        emit({"delivery_id": done.delivery_id, "status": done.status, "error": done.error}, as_json)
    if done.status != "sent":
        raise typer.Exit(1)
