"""``cangku deliveries``: the delivery log (newest first, by channel, status and topic),
``deliveries show ID`` (with its payload) and ``deliveries replay ID`` (ADR 0029, 0034;
``channel.manage``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, reader, table
from cangku.cli.documents import LimitOpt, OffsetOpt
from cangku.queries import deliveries as queries
from cangku.queries.common import paging_fields
from cangku.services.delivery.channels import CHANNEL_MANAGE
from cangku.services.delivery.manual import replay_delivery

NAME = "deliveries"
HELP = (
    "The delivery log: deliveries, retries and replays.\n\n"
    "Without a command, lists the deliveries newest first."
)
app = typer.Typer(invoke_without_command=True)

DeliveryArg = Annotated[int, typer.Argument(help="The delivery's id.", show_default=False)]
COLUMNS = ["id", "channel", "topic", "status", "attempts", "created_at", "sent_at", "last_error"]


@app.callback()
def listing(
    ctx: typer.Context,
    channel: Annotated[
        int | None, typer.Option("--channel", help="Only this channel (id).")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help=f"Only {', '.join(queries.STATUSES)}.")
    ] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Only this topic.")] = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """The delivery log: deliveries, retries and replays."""
    if ctx.invoked_subcommand is not None:
        return
    with handled(as_json):
        reader(CHANNEL_MANAGE)
        with database().read() as conn:
            page = queries.list_deliveries(
                conn, queries.DeliveryFilter(channel, status, topic), limit, offset
            )

        def render(_: Any) -> None:
            table(page.items, COLUMNS)
            typer.echo(f"({len(page.items)} of {page.total})")

        emit({"items": page.items, **paging_fields(page)}, as_json, render)


def _show(delivery_id: int, as_json: bool) -> None:
    with database().read() as conn:
        found = queries.get_delivery(conn, delivery_id)
    emit(found, as_json)


@app.command()
def show(delivery_id: DeliveryArg, as_json: JsonOpt = False) -> None:
    """One delivery with its payload."""
    with handled(as_json):
        reader(CHANNEL_MANAGE)
        _show(delivery_id, as_json)


@app.command()
def replay(
    delivery_id: DeliveryArg, idempotency_key: IdemOpt = None, as_json: JsonOpt = False
) -> None:
    """Send a delivery again.

    A sent, failed or dead delivery is sent as a new delivery naming it."""
    with handled(as_json):
        done = replay_delivery(database(), context(idempotency_key), delivery_id)
        _show(done.delivery_id, as_json)
