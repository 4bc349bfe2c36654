"""``cangku count ...``: stock counts (盘点): raise a count of a warehouse or part of it, start
it (the snapshot), enter what was found (on the command line or from a CSV file), close it,
send lines back for a recount, approve and post the differences; show a count with its
differences and the moves behind them."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer

from cangku.cli import count_plan
from cangku.cli.common import (
    IdemOpt,
    JsonOpt,
    database,
    emit,
    handled,
    reader,
    table,
)
from cangku.cli.count_plan import whole_number
from cangku.cli.documents import (
    LimitOpt,
    NoteOpt,
    OffsetOpt,
    acting,
    list_of,
    machine_help,
    show_step,
)
from cangku.cli.outbound import StateOpt, Step, WarehouseFilter, add_steps
from cangku.domain.counts import COUNT
from cangku.domain.errors import InvalidInput
from cangku.queries.cost_fields import cost_scope
from cangku.queries.counts import CountView, count_view
from cangku.services import counts as service
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.stock import VALUATION_VIEW

NAME = "count"
STATES = machine_help(COUNT)
HELP = f"Stock counts: snapshot, count, review, recount, approve, post.\n\n{STATES}"
app = typer.Typer(no_args_is_help=True)

CountArg = Annotated[
    str, typer.Argument(help="The count's number, e.g. CNT-WH1-2026-00001.", show_default=False)
]
ENTRY_SYNTAX = "LOCATION:ITEM[:LOT]=QTY"
FILE_COLUMNS = ("location", "item", "lot", "quantity")


@app.command("create", epilog=STATES)
def create(
    warehouse: Annotated[str, typer.Option("--warehouse", help="The warehouse counted.")],
    zone: Annotated[
        list[str] | None, typer.Option("--zone", help="A location and all under it (repeatable).")
    ] = None,
    location: Annotated[
        list[str] | None, typer.Option("--location", help="A location (repeatable).")
    ] = None,
    item: Annotated[list[str] | None, typer.Option("--item", help="An item (repeatable).")] = None,
    category: Annotated[
        list[str] | None,
        typer.Option("--category", help="A category and those under it (repeatable)."),
    ] = None,
    blind: Annotated[
        bool, typer.Option("--blind", help="Counters who may not approve see no expected figures.")
    ] = False,
    start: Annotated[bool, typer.Option("--start", help="Start at once (the snapshot).")] = False,
    plan: Annotated[
        bool, typer.Option("--plan", help="Count what the cycle-count plan says is due today.")
    ] = False,
    limit: Annotated[
        str | None, typer.Option("--limit", help="With --plan: the most overdue places only.")
    ] = None,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Raise a count of a warehouse or of part of it.

    Its scope: zones, locations, items or categories in the warehouse (all of it: none given);
    with --plan, only the places due for counting within them (see `cangku count due`).
    Nothing is counted until it starts: starting takes the snapshot of what the books hold in
    its scope."""
    with handled(as_json):
        ctx = acting(service.COUNT_MANAGE, idempotency_key)
        most = None if limit is None else whole_number(limit, "limit")
        command = service.NewCount(
            warehouse, zone or [], location or [], item or [], category or [], blind, note, start,
            plan, most,
        )  # fmt: skip
        show_step(service.create_count(database(), ctx, command), as_json)


@app.command("start", epilog=STATES)
def start(number: CountArg, idempotency_key: IdemOpt = None, as_json: JsonOpt = False) -> None:
    """Start counting: the snapshot of the books.

    The scope's balances and the ledger's position, taken together."""
    with handled(as_json):
        ctx = acting(service.COUNT_MANAGE, idempotency_key)
        show_step(service.start_count(database(), ctx, number), as_json)


def parse_entry(text: str) -> service.CountEntry:
    """``LOCATION:ITEM[:LOT]=QTY``. Raises InvalidInput ``invalid_line``."""
    place, sep, quantity = text.rpartition("=")
    parts = place.split(":")
    if not sep or not quantity.strip() or len(parts) not in (2, 3) or not all(parts[:2]):
        raise InvalidInput(
            f"--line takes {ENTRY_SYNTAX}, e.g. WH1-A:BOLT=94; not {text!r}",
            code="invalid_line",
            line=text,
        )
    lot = parts[2] if len(parts) == 3 and parts[2] else None
    return service.CountEntry(parts[0], parts[1], quantity.strip(), lot)


def read_entries(path: Path) -> list[service.CountEntry]:
    """A CSV file with the columns location, item, lot, quantity (lot may be empty). Raises
    InvalidInput ``invalid_file``."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", code="invalid_file") from exc
    if rows and not set(FILE_COLUMNS) - {"lot"} <= set(rows[0]):
        raise InvalidInput(
            f"{path} needs the columns {', '.join(FILE_COLUMNS)}", code="invalid_file"
        )
    return [
        service.CountEntry(
            (r["location"] or "").strip(), (r["item"] or "").strip(),
            (r["quantity"] or "").strip(), (r.get("lot") or "").strip() or None,
        )
        for r in rows
    ]  # fmt: skip


@app.command("enter", epilog=STATES)
def enter(
    number: CountArg,
    line: Annotated[
        list[str] | None, typer.Option("--line", help=f"{ENTRY_SYNTAX} counted (repeatable).")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="A CSV file: location,item,lot,quantity (a batch)."),
    ] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Enter what was counted, in base units: 0 when the place is empty.

    A place the snapshot did not expect is added; a lot not known yet is created. A place
    entered again in its round: the latest count wins."""
    with handled(as_json):
        ctx = acting(service.COUNT_MANAGE, idempotency_key)
        entries = [parse_entry(text) for text in line or []]
        if file is not None:
            entries += read_entries(file)
        done = service.enter_counts(database(), ctx, number, entries)
        emit(
            done,
            as_json,
            lambda d: typer.echo(f"{number}: {d['entered']} counted, {d['new_lines']} new"),
        )


@app.command("close", epilog=STATES)
def close(
    number: CountArg,
    zero_uncounted: Annotated[
        bool,
        typer.Option("--zero-uncounted", help="A place not counted was found empty."),
    ] = False,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close counting: each line's difference against the books.

    The books when the place was counted: the snapshot plus the moves since until then. A
    place expected and not counted is left as the books say, unless --zero-uncounted."""
    with handled(as_json):
        ctx = acting(service.COUNT_MANAGE, idempotency_key)
        result = service.close_count(database(), ctx, number, zero_uncounted=zero_uncounted)
        show_step(result, as_json)


@app.command("recount", epilog=STATES)
def recount(
    number: CountArg,
    line: Annotated[
        list[str], typer.Option("--line", help="A line id (see `count show`), repeatable.")
    ],
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send chosen lines back to be counted again.

    By someone who did not count them before."""
    with handled(as_json):
        ctx = acting(service.COUNT_APPROVE, idempotency_key)
        if not all(text.strip().isdigit() for text in line):
            raise InvalidInput(
                "--line takes a line id (a whole number, see `count show`)", code="invalid_line"
            )
        ids = [int(text) for text in line]
        show_step(service.recount_lines(database(), ctx, number, ids, note), as_json)


add_steps(
    app,
    COUNT,
    "count",
    [
        Step(
            "approve",
            service.approve_count,
            "Approve a closed count.",
            "Above the company's adjustment threshold, by someone who did not count it.",
            permission=service.COUNT_APPROVE,
        ),
        Step("cancel", service.cancel_count, "Cancel a count not approved yet."),
    ],
)


@app.command("post", epilog=STATES)
def post(number: CountArg, idempotency_key: IdemOpt = None, as_json: JsonOpt = False) -> None:
    """Post an approved count: the differences as adjustments.

    One adjustment per line whose count differs from the books when it was counted."""
    with handled(as_json):
        ctx = acting(service.COUNT_APPROVE, idempotency_key)
        show_step(service.post_count(database(), ctx, number), as_json)


@app.command("list", epilog=STATES)
def list_(
    state: StateOpt = None,
    warehouse: WarehouseFilter = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """List counts, newest first."""
    with handled(as_json):
        list_of(COUNT, as_json, state=state, warehouse=warehouse, limit=limit, offset=offset)


LINE_COLUMNS = ["id", "location", "item", "lot", "expected", "counted", "counted_by", "round"]
REVIEW_COLUMNS = ["moved", "book", "difference", "value"]


@app.command("show", epilog=STATES)
def show(number: CountArg, as_json: JsonOpt = False) -> None:
    """Show a count: its lines, differences and the moves since.

    The differences and the moves since the snapshot are shown from review on. A blind count
    shows no expected figures to whoever may not approve it."""
    with handled(as_json):
        actor = reader(DOCUMENTS_VIEW)
        with database().read() as conn:
            view = count_view(
                conn,
                number,
                actor.warehouses(DOCUMENTS_VIEW),
                lambda where: not actor.may(service.COUNT_APPROVE, where),
                cost_scope(conn, actor.warehouses(VALUATION_VIEW)),
            )
        emit(view, as_json, lambda _: _render(view))


def _render(view: CountView) -> None:
    blind = ", blind" if view.blind else ""
    typer.echo(f"{view.number}  {view.warehouse}  {view.state}{blind}")
    reviewed = any(line.difference is not None for line in view.lines)
    columns = LINE_COLUMNS + (REVIEW_COLUMNS if reviewed else [])
    table(list(view.lines), columns)
    totals: dict[str, Any] = {k: v for k, v in vars(view.totals).items() if v is not None}
    typer.echo("  ".join(f"{k}: {v}" for k, v in totals.items()))


count_plan.register(app)
