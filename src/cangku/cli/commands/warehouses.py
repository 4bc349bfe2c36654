"""``cangku warehouses ...``: list, show, create, change, deactivate and reactivate warehouses."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import (
    IdemOpt,
    JsonOpt,
    SortOpt,
    context,
    database,
    emit,
    handled,
    reader,
    table,
)
from cangku.queries import putaway_rules as rule_queries
from cangku.queries import sites as queries
from cangku.services import putaway_rules as rule_service
from cangku.services import warehouses as service

NAME = "warehouses"
HELP = "Warehouses: each has its virtual locations and ledger chain."
app = typer.Typer(no_args_is_help=True)

ActiveOpt = Annotated[
    bool | None, typer.Option("--active/--inactive", help="Only active or only inactive ones.")
]
QOpt = Annotated[str | None, typer.Option("--q", help="Search code, name and address.")]
LimitOpt = Annotated[int, typer.Option("--limit", help="At most this many (1-500).")]
OffsetOpt = Annotated[int, typer.Option("--offset", help="Skip this many.")]
COLUMNS = ["code", "name", "allow_negative_stock", "allow_expired_issue", "active", "version"]
ExpiredHelp = "Let expired lots be issued and reserved here (scrap and transfer always may)."
LocationHelp = 'Code of a {kind} location of this warehouse; "" for the default ({default}).'
ReceivingOpt = Annotated[
    str | None,
    typer.Option(
        "--receiving-location",
        help=LocationHelp.format(kind="receiving", default="the first active one by code"),
    ),
]
QualityOpt = Annotated[
    str | None,
    typer.Option(
        "--quality-location",
        help=LocationHelp.format(kind="quality", default="the first active one by code"),
    ),
]
RejectionOpt = Annotated[
    str | None,
    typer.Option(
        "--rejection-location",
        help=LocationHelp.format(kind="quality", default="the quality location"),
    ),
]


def emit_page(page: Any, as_json: bool, columns: list[str]) -> None:
    if as_json:
        emit(page, True)
        return
    table(page.items, columns)
    typer.echo(f"({len(page.items)} of {page.total})")


@app.command("list")
def list_(
    q: QOpt = None,
    active: ActiveOpt = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    sort: SortOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List warehouses (by code, or in the order --sort names)."""
    with handled(as_json):
        seen = reader(service.WAREHOUSE_VIEW).warehouses(service.WAREHOUSE_VIEW)
        page = queries.list_warehouses(
            database(),
            q=q,
            active=active,
            limit=limit,
            offset=offset,
            warehouses=seen,
            sort=sort,
        )
        emit_page(page, as_json, COLUMNS)


@app.command()
def show(code: str, as_json: JsonOpt = False) -> None:
    """Show one warehouse."""
    with handled(as_json):
        seen = reader(service.WAREHOUSE_VIEW).warehouses(service.WAREHOUSE_VIEW)
        emit(queries.get_warehouse(database(), code, warehouses=seen), as_json)


@app.command()
def create(
    code: Annotated[str, typer.Argument(help="1-32 letters, digits, '-' or '_'.")],
    name: str,
    address: Annotated[str | None, typer.Option(help="Postal address.")] = None,
    allow_negative: Annotated[
        bool, typer.Option("--allow-negative", help="Let stock go below zero here.")
    ] = False,
    allow_expired: Annotated[bool, typer.Option("--allow-expired", help=ExpiredHelp)] = False,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a warehouse with its virtual locations."""
    with handled(as_json):
        ctx = context(idempotency_key)
        data = service.WarehouseInput(code, name, address, allow_negative, allow_expired)
        emit(service.create_warehouse(database(), ctx, data), as_json)


@app.command()
def update(
    code: str,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    address: Annotated[str | None, typer.Option(help="New address.")] = None,
    clear_address: Annotated[bool, typer.Option("--clear-address")] = False,
    allow_negative: Annotated[
        bool | None, typer.Option("--allow-negative/--no-allow-negative")
    ] = None,
    allow_expired: Annotated[
        bool | None, typer.Option("--allow-expired/--no-allow-expired", help=ExpiredHelp)
    ] = None,
    receiving_location: ReceivingOpt = None,
    quality_location: QualityOpt = None,
    rejection_location: RejectionOpt = None,
    version: Annotated[int | None, typer.Option(help="Refuse unless this is current.")] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a warehouse's name, address, policies or locations.

    The policies: negative stock and issuing expired lots. The inbound locations: where
    receipts land, where goods to inspect wait and where rejected goods go."""
    changes: dict[str, Any] = {"version": version}
    if name is not None:
        changes["name"] = name
    if address is not None or clear_address:
        changes["address"] = None if clear_address else address
    if allow_negative is not None:
        changes["allow_negative_stock"] = allow_negative
    if allow_expired is not None:
        changes["allow_expired_issue"] = allow_expired
    for field, chosen in (
        ("receiving_location", receiving_location),
        ("quality_location", quality_location),
        ("rejection_location", rejection_location),
    ):
        if chosen is not None:
            changes[field] = chosen or None
    with handled(as_json):
        updated = service.update_warehouse(
            database(), context(idempotency_key), code, service.WarehouseChanges(**changes)
        )
        emit(updated, as_json)


@app.command()
def deactivate(code: str, idempotency_key: IdemOpt = None, as_json: JsonOpt = False) -> None:
    """Deactivate a warehouse (refused while it holds stock)."""
    with handled(as_json):
        emit(service.deactivate_warehouse(database(), context(idempotency_key), code), as_json)


@app.command()
def reactivate(code: str, idempotency_key: IdemOpt = None, as_json: JsonOpt = False) -> None:
    """Reactivate a warehouse."""
    with handled(as_json):
        emit(service.reactivate_warehouse(database(), context(idempotency_key), code), as_json)


rules_app = typer.Typer(no_args_is_help=True, help="Put-away rules: where received goods go.")
app.add_typer(rules_app, name="putaway-rules")
RULE_COLUMNS = ["id", "location", "item", "category", "item_type", "priority"]


@rules_app.command("list")
def list_rules(
    warehouse: Annotated[str, typer.Argument(help="Warehouse code.")], as_json: JsonOpt = False
) -> None:
    """List a warehouse's put-away rules by priority.

    Rules for the item are tried first, then for its category, then for its type."""
    with handled(as_json):
        seen = reader(service.WAREHOUSE_VIEW).warehouses(service.WAREHOUSE_VIEW)
        rules = rule_queries.list_putaway_rules(database(), warehouse, warehouses=seen)
        if as_json:
            emit(rules, True)
        else:
            table(rules, RULE_COLUMNS)


@rules_app.command("add")
def add_rule(
    warehouse: Annotated[str, typer.Argument(help="Warehouse code.")],
    location: Annotated[str, typer.Argument(help="A storage location of the warehouse.")],
    item: Annotated[str | None, typer.Option(help="For this item.")] = None,
    category: Annotated[
        str | None, typer.Option(help="For items of this category (and below).")
    ] = None,
    item_type: Annotated[
        str | None, typer.Option("--item-type", help="For items of this type.")
    ] = None,
    priority: Annotated[int, typer.Option(help="0-1000000; lower is tried first.")] = 100,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a put-away rule for an item, a category or an item type.

    Give exactly one of --item, --category, --item-type."""
    with handled(as_json):
        rule = rule_service.add_putaway_rule(
            database(),
            context(idempotency_key),
            warehouse,
            location,
            item=item,
            category=category,
            item_type=item_type,
            priority=priority,
        )
        emit(rule, as_json)


@rules_app.command("remove")
def remove_rule(
    warehouse: Annotated[str, typer.Argument(help="Warehouse code.")],
    rule_id: Annotated[int, typer.Argument(help="The rule's id (see list).")],
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a put-away rule."""
    with handled(as_json):
        removed = rule_service.remove_putaway_rule(
            database(), context(idempotency_key), rule_id, warehouse=warehouse
        )
        emit(removed, as_json)
