"""What the outbound command groups share (``cangku so``, ``requisition``, ``pick``, ``ship``,
``so return``): their ``list`` and ``show`` and the steps that take only a number and a note,
each made for a document type from its machine, so that five groups do not repeat them.

Not a command module itself (it lives outside ``cangku.cli.commands``), like
``cangku.cli.documents`` on which it builds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from cangku.cli.common import IdemOpt, JsonOpt, handled
from cangku.cli.documents import (
    LimitOpt,
    NoteOpt,
    OffsetOpt,
    acting,
    list_of,
    machine_help,
    show_document,
    step_command,
)
from cangku.domain.documents import Machine
from cangku.domain.permissions import Action
from cangku.services.documents import StepResult

PER_LINE = "ITEM=VALUE, #LINE=VALUE or VALUE for every line"
StateOpt = Annotated[str | None, typer.Option("--state", help="Only this state.")]
WarehouseFilter = Annotated[str | None, typer.Option("--warehouse", help="Only this one.")]
ItemFilter = Annotated[str | None, typer.Option("--item", help="Only those with this item.")]
SearchFilter = Annotated[str | None, typer.Option("--q", help="Number or reference.")]
OpenFilter = Annotated[bool, typer.Option("--open", help="Only those still open.")]


@dataclass(frozen=True)
class Step:
    """A step that takes a document's number and a note: ``run(db, ctx, number, note=)``."""

    name: str
    run: Callable[..., StepResult]
    summary: str
    details: str = ""
    #: the service checks its input before the permission: check this one first, so that a
    #: user who may not take the step is told that (exit 8)
    permission: Action | None = None


def help_text(summary: str, details: str = "") -> str:
    """A command's help: the one-sentence summary its group lists, then the details."""
    return f"{summary}\n\n{details}" if details else summary


def number_help(machine: Machine, noun: str) -> str:
    return f"The {noun}'s number, e.g. {machine.prefix}-WH1-2026-00001."


def add_list_and_show(
    app: typer.Typer, machine: Machine, noun: str, *, partner: str | None = None
) -> None:
    """``list`` (newest first; ``partner`` names the partner filter, e.g. ``--customer``) and
    ``show`` of one document type on ``app``."""
    states = machine_help(machine)

    @app.command("list", epilog=states, help=f"List {noun}s, newest first.")
    def list_(
        state: StateOpt = None,
        warehouse: WarehouseFilter = None,
        partner_code: str | None = typer.Option(
            None, partner or "--partner", help="Only this partner's.", hidden=partner is None
        ),
        item: ItemFilter = None,
        q: SearchFilter = None,
        open_only: OpenFilter = False,
        limit: LimitOpt = 50,
        offset: OffsetOpt = 0,
        as_json: JsonOpt = False,
    ) -> None:
        with handled(as_json):
            list_of(
                machine, as_json, state=state, warehouse=warehouse, partner=partner_code,
                item=item, q=q, open_only=open_only, limit=limit, offset=offset,
            )  # fmt: skip

    @app.command("show", epilog=states, help=f"Show a {noun}: lines, timeline, steps now.")
    def show(
        number: str = typer.Argument(..., help=number_help(machine, noun), show_default=False),
        as_json: JsonOpt = False,
    ) -> None:
        with handled(as_json):
            show_document(machine, number, as_json)


def add_steps(app: typer.Typer, machine: Machine, noun: str, steps: Iterable[Step]) -> None:
    """One command per step on ``app``: ``NAME NUMBER [--note] [--idempotency-key] [--json]``."""
    states = machine_help(machine)
    for step in steps:
        app.command(step.name, epilog=states, help=help_text(step.summary, step.details))(
            _step_command(step, number_help(machine, noun))
        )


def _step_command(step: Step, number_text: str) -> Callable[..., None]:
    def command(
        number: str = typer.Argument(..., help=number_text, show_default=False),
        note: NoteOpt = None,
        idempotency_key: IdemOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        with handled(as_json):
            if step.permission is not None:
                acting(step.permission)
            step_command(step.run, number, idempotency_key, as_json, note=note)

    return command


def for_kind(run: Callable[..., StepResult], kind: str) -> Callable[..., StepResult]:
    """A request service ``run(db, ctx, kind, number, ...)`` as a step's
    ``run(db, ctx, number, ...)`` for one request kind."""

    def bound(db: Any, ctx: Any, number: str, **extra: Any) -> StepResult:
        return run(db, ctx, kind, number, **extra)

    return bound
