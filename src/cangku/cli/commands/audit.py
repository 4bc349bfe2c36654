"""``cangku audit ...``: search and read the audit trail (needs ``audit.view``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from cangku.cli.commands.warehouses import LimitOpt, OffsetOpt
from cangku.cli.common import (
    JsonOpt,
    SortOpt,
    context,
    database,
    emit,
    handled,
    parse_when,
    table,
)
from cangku.domain.errors import InvalidInput
from cangku.queries.common import Page
from cangku.services.audit import AuditFilter, AuditRow, get_audit_entry, search_audit

NAME = "audit"
HELP = "The audit trail: who changed what, when and from where."
app = typer.Typer(no_args_is_help=True)

COLUMNS = ["seq", "at", "user", "action", "target_type", "target", "warehouse", "origin", "changed"]
#: the longest "changed" cell in the table (the whole entry: ``cangku audit show SEQ``)
CHANGED_WIDTH = 60


def _changed(row: AuditRow) -> str:
    """The names of the fields that changed, shortened to fit a table cell."""
    text = ", ".join(row.details.get("changes", {}))
    return text if len(text) <= CHANGED_WIDTH else text[: CHANGED_WIDTH - 1] + "…"


def _render_page(page: Page[AuditRow]) -> None:
    rows = [{**vars(row), "changed": _changed(row)} for row in page.items]
    table(rows, COLUMNS)
    typer.echo(f"({len(page.items)} of {page.total})")


@app.command("list")
def list_(
    user: Annotated[str | None, typer.Option("--user", help="Who acted (user name).")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Exact (item.update) or a prefix (item.*).")
    ] = None,
    target_type: Annotated[
        str | None, typer.Option("--target-type", help="item, partner, warehouse, user, ...")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="The record's code.")] = None,
    warehouse: Annotated[str | None, typer.Option("--warehouse", help="Warehouse code.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="At or after (ISO, UTC).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="At or before (ISO, UTC).")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Text in the target or details.")] = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    sort: SortOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the audit trail, newest first (or in the order --sort names)."""
    with handled(as_json):
        ctx = context()
        f = AuditFilter(
            user, action, target_type, target, warehouse, parse_when(since), parse_when(until), q
        )
        page = search_audit(database(), ctx, f, limit, offset, sort)
        emit(page, as_json, _render_page)


def _render_entry(row: AuditRow) -> None:
    for name in COLUMNS[:-1]:
        value = getattr(row, name)
        typer.echo(f"{name:<12} {'-' if value is None else value}")
    typer.echo(f"{'hash':<12} {row.hash}")
    for field, change in row.details.get("changes", {}).items():
        before, after = (json.dumps(change[k], ensure_ascii=False) for k in ("before", "after"))
        typer.echo(f"  {field}: {before} -> {after}")
    rest: dict[str, Any] = {k: v for k, v in row.details.items() if k != "changes"}
    typer.echo(json.dumps(rest, ensure_ascii=False, indent=2, sort_keys=True))


@app.command("show")
def show(
    seq: Annotated[str, typer.Argument(help="The entry's number.", show_default=False)],
    as_json: JsonOpt = False,
) -> None:
    """One audit entry with every field it changed, before and after.

    Also who made the change, when and from where."""
    with handled(as_json):
        ctx = context()
        if not seq.isdigit() or not 0 < int(seq) < 2**63:
            raise InvalidInput(f"not an entry number: {seq[:40]!r}", code="invalid_seq")
        emit(get_audit_entry(database(), ctx, int(seq)), as_json, _render_entry)
