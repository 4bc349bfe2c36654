"""``cangku categories ...``: the item category tree."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, reader, table
from cangku.queries import items as queries
from cangku.services import categories as service
from cangku.services.items import ITEM_VIEW

NAME = "categories"
HELP = "Item categories (a tree)."
app = typer.Typer(no_args_is_help=True)
INSPECTION_HELP = "Received goods of items in this category (and below) are inspected."


def _print_tree(nodes: list[Any], depth: int = 0) -> None:
    for node in nodes:
        marker = "" if node.active else "  (inactive)"
        typer.echo(f"{'  ' * depth}{node.code}  {node.name}{marker}")
        _print_tree(node.children, depth + 1)


@app.command("list")
def list_(
    q: Annotated[str | None, typer.Option("--q", help="Search code and name.")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
    tree: Annotated[bool, typer.Option("--tree", help="Show the tree instead of a list.")] = False,
    limit: int = 50,
    offset: int = 0,
    as_json: JsonOpt = False,
) -> None:
    """List categories with their paths (or --tree)."""
    with handled(as_json):
        reader(ITEM_VIEW)
        if tree:
            nodes = queries.category_tree(database(), active)
            emit(nodes, as_json, _print_tree)
            return
        page = queries.list_categories(database(), q, active=active, limit=limit, offset=offset)
        if as_json:
            emit(page, True)
        else:
            table(page.items, ["code", "name", "path", "inspection_required", "active"])
            typer.echo(f"({len(page.items)} of {page.total})")


@app.command()
def show(code: str, as_json: JsonOpt = False) -> None:
    """Show one category."""
    with handled(as_json):
        reader(ITEM_VIEW)
        emit(queries.get_category(database(), code), as_json)


@app.command()
def create(
    code: str,
    name: str,
    parent: Annotated[str | None, typer.Option(help="Parent category code.")] = None,
    inspection: Annotated[bool, typer.Option("--inspection", help=INSPECTION_HELP)] = False,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a category."""
    with handled(as_json):
        ctx = context(idempotency_key)
        created = service.create_category(
            database(), ctx, code, name, parent, inspection_required=inspection
        )
        emit(created, as_json)


@app.command()
def update(
    code: str,
    name: Annotated[str | None, typer.Option()] = None,
    parent: Annotated[str | None, typer.Option(help="Move under this category.")] = None,
    root: Annotated[bool, typer.Option("--root", help="Move to the top level.")] = False,
    inspection: Annotated[
        bool | None, typer.Option("--inspection/--no-inspection", help=INSPECTION_HELP)
    ] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rename, move (with its subtree) or mark a category.

    --inspection marks it (and the categories below it) for inspection on receipt."""
    with handled(as_json):
        ctx = context(idempotency_key)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if parent is not None or root:
            changes["parent"] = None if root else parent
        if inspection is not None:
            changes["inspection_required"] = inspection
        emit(service.update_category(database(), ctx, code, changes), as_json)


@app.command()
def deactivate(code: str, idempotency_key: IdemOpt = None, as_json: JsonOpt = False) -> None:
    """Deactivate a category (no new items go in it)."""
    with handled(as_json):
        emit(service.deactivate_category(database(), context(idempotency_key), code), as_json)


@app.command()
def reactivate(code: str, idempotency_key: IdemOpt = None, as_json: JsonOpt = False) -> None:
    """Reactivate a category."""
    with handled(as_json):
        emit(service.reactivate_category(database(), context(idempotency_key), code), as_json)
