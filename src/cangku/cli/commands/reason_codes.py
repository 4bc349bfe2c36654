"""``cangku reasons ...``: the company's reason codes of adjustments and scrap.

The group is ``reasons``, not ``reason-codes``: ``cangku --help`` lists its commands in columns
that fit the longest name beside the longest summary (tests/cli/test_help_texts_cli.py), and a
name longer than 11 letters would cut the summaries listed today."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import JsonOpt, context, database, emit, handled, reader, table
from cangku.services import reason_codes as service

NAME = "reasons"
HELP = "Reason codes of adjustments and scrap: the company's lists."
app = typer.Typer(no_args_is_help=True)

KindArg = Annotated[str, typer.Argument(help="adjustment or scrap.", show_default=False)]
CodeArg = Annotated[str, typer.Argument(help="The code, e.g. damaged.", show_default=False)]
COLUMNS = ["kind", "code", "label", "label_zh", "active", "builtin"]


def _show(code: service.ReasonCode, as_json: bool) -> None:
    emit(code, as_json, lambda _: table([code], COLUMNS))


@app.command("list")
def list_(
    kind: Annotated[
        str | None, typer.Option("--kind", help="adjustment or scrap (default: both).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the reason codes, active or not, in list order."""
    with handled(as_json):
        reader()  # signed in: every business command acts as someone
        found = service.list_reason_codes(database(), kind)

        def render(_: Any) -> None:
            table(found, COLUMNS)

        emit({"items": found}, as_json, render)


@app.command()
def add(
    kind: KindArg,
    code: CodeArg,
    label: Annotated[str, typer.Option("--label", help="What it means, in English.")],
    label_zh: Annotated[str | None, typer.Option("--label-zh", help="In Chinese.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a company reason code (1-64 of a-z, 0-9 and _)."""
    with handled(as_json):
        new = service.NewReasonCode(kind, code, label, label_zh)
        _show(service.add_reason_code(database(), context(), new), as_json)


@app.command()
def deactivate(kind: KindArg, code: CodeArg, as_json: JsonOpt = False) -> None:
    """Stop giving a reason code (built-in ones too; none is deleted)."""
    with handled(as_json):
        found = service.set_reason_code_active(database(), context(), kind, code, False)
        _show(found, as_json)


@app.command()
def activate(kind: KindArg, code: CodeArg, as_json: JsonOpt = False) -> None:
    """Let a deactivated reason code be given again."""
    with handled(as_json):
        found = service.set_reason_code_active(database(), context(), kind, code, True)
        _show(found, as_json)
