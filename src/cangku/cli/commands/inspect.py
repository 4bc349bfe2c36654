"""``cangku inspect ...``: inspections (QC) of received goods: per line the sample taken and
the quantities accepted and rejected (with a reason); rejected goods go to the rejection
location, accepted ones to a put-away."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from cangku.cli.common import IdemOpt, JsonOpt, database, handled
from cangku.cli.documents import (
    LimitOpt,
    NoteOpt,
    OffsetOpt,
    acting,
    list_of,
    machine_help,
    show_document,
    show_step,
)
from cangku.domain.errors import InvalidInput
from cangku.domain.inbound import INSPECTION, INSPECTION_REASONS
from cangku.services.inbound import inspections as service

MACHINE = INSPECTION
STATES = machine_help(MACHINE)
REASONS = ", ".join(sorted(INSPECTION_REASONS))
NAME = "inspect"
HELP = f"Inspections (QC) of received goods.\n\n{STATES}"
app = typer.Typer(no_args_is_help=True)

NumberArg = Annotated[
    str,
    typer.Argument(help="The inspection's number, e.g. QC-WH1-2026-00001.", show_default=False),
]

#: the options that describe one line, each after the --line it belongs to
LINE_FIELDS = {
    "--line": "line",
    "--accepted": "accepted",
    "--rejected": "rejected",
    "--reason": "reason",
    "--sample": "sample_size",
    "--line-note": "note",
}


class LineGroups(TyperCommand):
    """Keeps the words as typed (``ctx.meta["words"]``): which --accepted belongs to which
    --line is their order, which the parsed options no longer show."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta["words"] = list(args)
        return super().parse_args(ctx, args)


def line_groups(words: list[str]) -> list[dict[str, str]]:
    """One dict per ``--line``, with the line options that follow it. Raises InvalidInput
    ``invalid_line`` for a line option before the first --line."""
    groups: list[dict[str, str]] = []
    rest = iter(words)
    for word in rest:
        if word == "--":
            break
        name, eq, value = word.partition("=")
        field = LINE_FIELDS.get(name)
        if field is None:
            continue
        if not eq:
            value = next(rest, "")
        if field == "line":
            groups.append({"line": value})
        elif not groups:
            raise InvalidInput(f"give --line before {name}", code="invalid_line", option=name)
        else:
            groups[-1][field] = value
    return groups


@app.command("list", epilog=STATES)
def list_(
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    warehouse: Annotated[str | None, typer.Option("--warehouse", help="Only this one.")] = None,
    item: Annotated[str | None, typer.Option("--item", help="Inspections of this item.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open inspections.")] = False,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """List inspections, newest first."""
    with handled(as_json):
        list_of(
            MACHINE, as_json, state=state, warehouse=warehouse, item=item,
            open_only=open_only, limit=limit, offset=offset,
        )  # fmt: skip


@app.command(epilog=STATES)
def show(number: NumberArg, as_json: JsonOpt = False) -> None:
    """Show an inspection: lines, timeline, steps now."""
    with handled(as_json):
        show_document(MACHINE, number, as_json)


@app.command(cls=LineGroups, epilog=STATES)
def record(
    ctx: typer.Context,
    number: NumberArg,
    line: Annotated[
        list[int] | None,
        typer.Option("--line", help="The line decided; the options after it describe it."),
    ] = None,
    accepted: Annotated[
        list[str] | None, typer.Option("--accepted", help="Quantity accepted, in base units.")
    ] = None,
    rejected: Annotated[
        list[str] | None, typer.Option("--rejected", help="Quantity rejected, in base units.")
    ] = None,
    reason: Annotated[
        list[str] | None,
        typer.Option("--reason", help=f"Why it was rejected: {REASONS}."),
    ] = None,
    sample: Annotated[
        list[str] | None, typer.Option("--sample", help="The sample size inspected.")
    ] = None,
    line_note: Annotated[
        list[str] | None, typer.Option("--line-note", help="A note on the line.")
    ] = None,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record inspection results per line.

    Give each --line followed by the options that describe it, for example: --line 1
    --accepted 45 --rejected 5 --reason damaged --sample 5 --line 2 --accepted 10. Lines not
    named wait for a later call; the inspection is done when every line is decided."""
    with handled(as_json):
        user = acting(service.INSPECTION_RECORD, idempotency_key)
        lines = [
            service.InspectionLineInput(
                int(group["line"]),
                group.get("accepted", "0"),
                group.get("rejected", "0"),
                group.get("reason"),
                group.get("sample_size"),
                group.get("note"),
            )
            for group in line_groups(ctx.meta["words"])
        ]
        show_step(service.record_inspection(database(), user, number, lines, note), as_json)
