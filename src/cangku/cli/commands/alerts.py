"""``cangku alerts``: the alerts in the warehouses I see (open ones by default, newest first),
``alerts check`` (check the conditions now) and ``alerts ack ID`` (ADR 0030); my subscriptions:
``alerts subscriptions``, ``alerts subscribe [--kind] [--warehouse]``, ``alerts unsubscribe ID``
(ADR 0034)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, reader, table
from cangku.cli.documents import LimitOpt, OffsetOpt
from cangku.queries import alerts as queries
from cangku.queries import deliveries as subscription_queries
from cangku.queries.alert_conditions import DEFAULT_KINDS, KINDS
from cangku.queries.common import paging_fields
from cangku.queries.stock import warehouse_id
from cangku.services import alert_subscriptions as subscribing
from cangku.services import alerts as service

NAME = "alerts"
HELP = (
    "Alerts on stock levels, lots, counts and documents.\n\n"
    "Without a command, lists the open alerts in the warehouses you see, newest first. An "
    "alert opens once when its condition starts to hold and closes itself when it clears."
)
app = typer.Typer(invoke_without_command=True)

COLUMNS = ["id", "kind", "title", "warehouse", "opened_at", "figures", "acknowledged_by"]
KIND_LIST = ", ".join(KINDS)


@app.callback()
def listing(
    ctx: typer.Context,
    kind: Annotated[
        str | None, typer.Option("--kind", help=f"Only this kind: {KIND_LIST}.")
    ] = None,
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", help="Only this warehouse (its code).")
    ] = None,
    include_closed: Annotated[
        bool, typer.Option("--all", help="Closed alerts too, not only open ones.")
    ] = False,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Alerts on stock levels, lots, counts and documents."""
    if ctx.invoked_subcommand is not None:
        return
    with handled(as_json):
        actor = reader(service.ALERT_VIEW)
        f = queries.AlertFilter(kind, warehouse, include_closed)
        with database().read() as conn:
            page = queries.list_alerts(conn, f, actor.warehouses(service.ALERT_VIEW), limit, offset)

        def render(_: Any) -> None:
            columns = [*COLUMNS, "closed_at"] if include_closed else COLUMNS
            table(page.items, columns)
            typer.echo(f"({len(page.items)} of {page.total})")

        emit({"items": page.items, **paging_fields(page)}, as_json, render)


@app.command()
def check(
    kinds: Annotated[
        list[str] | None,
        typer.Argument(
            help=f"The kinds to check (default: all but verify_failed): {KIND_LIST}.",
            show_default=False,
        ),
    ] = None,
    expiring_days: Annotated[
        int, typer.Option("--expiring-days", help="Lots expiring within this many days (0-3650).")
    ] = 30,
    idle_days: Annotated[
        int, typer.Option("--idle-days", help="Slow after this many days unissued (1-3650).")
    ] = 90,
    supply_days: Annotated[
        int,
        typer.Option(
            "--supply-days", help="Overstock beyond this many days of computed demand (1-3650)."
        ),
    ] = 180,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the alert conditions now.

    Opens, refreshes and closes alerts; answers how many."""
    with handled(as_json):
        done = service.check_alerts(
            database(),
            context(idempotency_key),
            kinds or None,
            expiring_days=expiring_days,
            idle_days=idle_days,
            supply_days=supply_days,
        )
        chosen = set(kinds) if kinds else set(DEFAULT_KINDS)
        emit(
            {
                "kinds": [kind for kind in KINDS if kind in chosen],
                "opened": len(done.opened),
                "closed": len(done.closed),
                "still_open": done.still_open,
            },
            as_json,
        )


@app.command()
def ack(
    alert_id: Annotated[int, typer.Argument(help="The alert's id.", show_default=False)],
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Acknowledge an alert: it is being dealt with.

    Says the alert was seen; who and when are kept with it."""
    with handled(as_json):
        service.acknowledge_alert(database(), context(idempotency_key), alert_id)
        with database().read() as conn:
            found = queries.get_alert(conn, alert_id, None)
        emit(found, as_json, lambda _: table([found], COLUMNS))


def _subscriptions() -> list[dict[str, Any]]:
    actor = reader(service.ALERT_VIEW)
    with database().read() as conn:
        found = subscription_queries.user_subscriptions(conn, actor.user_id)
    return [
        {
            "id": row.id,
            "kind": None if row.topic == service.TOPIC else row.topic.split(".", 1)[1],
            "warehouse": row.warehouse,
            "created_at": row.created_at,
        }
        for row in found
    ]


@app.command()
def subscriptions(as_json: JsonOpt = False) -> None:
    """My alert subscriptions.

    The kinds and warehouses I hear of in the app."""
    with handled(as_json):
        found = _subscriptions()
        emit({"items": found}, as_json, lambda _: table(found, ["id", "kind", "warehouse"]))


@app.command()
def subscribe(
    kind: Annotated[
        str | None, typer.Option("--kind", help=f"Only this kind (default every one): {KIND_LIST}.")
    ] = None,
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", help="Only this warehouse (its code).")
    ] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Subscribe myself to alerts in the app.

    Of one kind or every kind, in one warehouse or every one I see. Once anyone subscribes to
    a kind in a warehouse, only the subscribers hear of it there."""
    with handled(as_json):
        acting = context(idempotency_key)
        place = None
        if warehouse is not None:
            actor = reader(subscribing.ALERT_SUBSCRIBE)
            with database().read() as conn:
                place = warehouse_id(conn, warehouse, actor.warehouses(service.ALERT_VIEW))
        made = subscribing.subscribe_to_alerts(database(), acting, kind=kind, warehouse_id=place)
        found = next(row for row in _subscriptions() if row["id"] == made)
        emit(found, as_json)


@app.command()
def unsubscribe(
    subscription_id: Annotated[int, typer.Argument(help="The subscription's id.")],
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take out one of my alert subscriptions."""
    with handled(as_json):
        subscribing.unsubscribe_alerts(database(), context(idempotency_key), subscription_id)
        emit({"removed": subscription_id}, as_json)
