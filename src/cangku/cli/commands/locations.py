"""``cangku locations ...``: the location tree of each warehouse."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.commands.warehouses import ActiveOpt, LimitOpt, OffsetOpt, emit_page
from cangku.cli.common import (
    IdemOpt,
    JsonOpt,
    SortOpt,
    context,
    database,
    emit,
    handled,
    reader,
)
from cangku.queries import sites as queries
from cangku.services import locations as service
from cangku.services.warehouses import WAREHOUSE_VIEW

NAME = "locations"
HELP = (
    "Locations: the storage tree and the virtual locations.\n\n"
    "The tree holds zones, aisles and bins; each warehouse has its virtual locations."
)
app = typer.Typer(no_args_is_help=True)

COLUMNS = ["code", "name", "kind", "warehouse", "parent", "level", "active"]
TypesOpt = Annotated[
    list[str] | None,
    typer.Option("--allowed-type", help="An item type allowed here (repeat for more)."),
]


@app.command("list")
def list_(
    warehouse: Annotated[str | None, typer.Option(help="Warehouse code.")] = None,
    kind: Annotated[str | None, typer.Option(help="Location kind.")] = None,
    parent: Annotated[str | None, typer.Option(help="Direct children of this location.")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Search code and name.")] = None,
    active: ActiveOpt = None,
    include_virtual: Annotated[bool, typer.Option("--include-virtual")] = False,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    sort: SortOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List and search locations.

    By code, or in the order --sort names. Virtual locations are listed only with
    --include-virtual."""
    with handled(as_json):
        seen = reader(WAREHOUSE_VIEW).warehouses(WAREHOUSE_VIEW)
        page = queries.list_locations(
            database(),
            q=q,
            warehouse=warehouse,
            kind=kind,
            parent=parent,
            active=active,
            include_virtual=include_virtual,
            limit=limit,
            offset=offset,
            warehouses=seen,
            sort=sort,
        )
        emit_page(page, as_json, COLUMNS)


@app.command()
def show(code: str, as_json: JsonOpt = False) -> None:
    """Show one location."""
    with handled(as_json):
        seen = reader(WAREHOUSE_VIEW).warehouses(WAREHOUSE_VIEW)
        emit(queries.get_location(database(), code, warehouses=seen), as_json)


@app.command()
def children(
    code: str, limit: LimitOpt = 50, offset: OffsetOpt = 0, as_json: JsonOpt = False
) -> None:
    """List every location below CODE."""
    with handled(as_json):
        seen = reader(WAREHOUSE_VIEW).warehouses(WAREHOUSE_VIEW)
        page = queries.location_subtree(
            database(), code, limit=limit, offset=offset, warehouses=seen
        )
        emit_page(page, as_json, COLUMNS)


@app.command()
def tree(
    warehouse: str,
    include_virtual: Annotated[bool, typer.Option("--include-virtual")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Print the location tree of a warehouse, indented."""
    with handled(as_json):
        seen = reader(WAREHOUSE_VIEW).warehouses(WAREHOUSE_VIEW)
        nodes = queries.warehouse_tree(
            database(), warehouse, include_virtual=include_virtual, warehouses=seen
        )
        if as_json:
            emit(nodes, True)
            return
        for node in nodes:
            loc = node.location
            flag = "" if loc.active else " (inactive)"
            typer.echo(f"{'  ' * node.depth}{loc.code}  {loc.name}  [{loc.kind}]{flag}")


@app.command()
def create(
    code: Annotated[str, typer.Argument(help="Unique code, e.g. WH1-A-01-03.")],
    name: str,
    warehouse: Annotated[
        str | None, typer.Option(help="Warehouse code (or give --parent).")
    ] = None,
    parent: Annotated[str | None, typer.Option(help="Parent location code.")] = None,
    kind: Annotated[
        str, typer.Option(help="internal, receiving, quality or shipping.")
    ] = "internal",
    level: Annotated[str | None, typer.Option(help="zone, aisle, rack, bin, ...")] = None,
    capacity: Annotated[str | None, typer.Option(help="Capacity in base units.")] = None,
    allowed_types: TypesOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a storage location."""
    with handled(as_json):
        ctx = context(idempotency_key)
        data = service.LocationInput(
            code, name, kind, warehouse, parent, level, capacity, allowed_types or None
        )
        emit(service.create_location(database(), ctx, data), as_json)


@app.command()
def update(
    code: str,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    level: Annotated[str | None, typer.Option(help="New level.")] = None,
    capacity: Annotated[str | None, typer.Option(help="New capacity (base units).")] = None,
    clear_capacity: Annotated[bool, typer.Option("--clear-capacity")] = False,
    allowed_types: TypesOpt = None,
    clear_allowed_types: Annotated[bool, typer.Option("--clear-allowed-types")] = False,
    parent: Annotated[str | None, typer.Option(help="Move under this location.")] = None,
    to_root: Annotated[bool, typer.Option("--to-root", help="Move to the top level.")] = False,
    version: Annotated[int | None, typer.Option(help="Refuse unless this is current.")] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a location, or move it under another parent.

    Its subtree moves with it."""
    changes: dict[str, Any] = {"version": version}
    for field, value in (("name", name), ("level", level)):
        if value is not None:
            changes[field] = value
    if capacity is not None or clear_capacity:
        changes["capacity"] = None if clear_capacity else capacity
    if allowed_types or clear_allowed_types:
        changes["allowed_item_types"] = None if clear_allowed_types else allowed_types
    if parent is not None or to_root:
        changes["parent"] = None if to_root else parent
    with handled(as_json):
        updated = service.update_location(
            database(), context(idempotency_key), code, service.LocationChanges(**changes)
        )
        emit(updated, as_json)


@app.command()
def deactivate(code: str, idempotency_key: IdemOpt = None, as_json: JsonOpt = False) -> None:
    """Deactivate a location that holds no stock.

    Refused while it or its subtree holds stock."""
    with handled(as_json):
        emit(service.deactivate_location(database(), context(idempotency_key), code), as_json)


@app.command()
def reactivate(code: str, idempotency_key: IdemOpt = None, as_json: JsonOpt = False) -> None:
    """Reactivate a location."""
    with handled(as_json):
        emit(service.reactivate_location(database(), context(idempotency_key), code), as_json)
