"""What the document commands share (``cangku po``, ``receipt``, ``inspect``, ``putaway``,
``returns``, ``tasks``): the state table in their help, printed from the declared
machine (``domain.documents.Machine``, the single source); ``list`` and ``show``; a step's
answer; lines given as ``ITEM=QTY[:UNIT]`` with per-line options keyed by item or line.

Not a command module itself (it lives outside ``cangku.cli.commands``): the command modules
import it when they are loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import typer

from cangku.cli.common import context, database, emit, table, to_jsonable
from cangku.domain.documents import Machine
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.permissions import Action
from cangku.queries import documents as queries
from cangku.queries.common import paging_fields
from cangku.services.common import Context, load_actor, utcnow
from cangku.services.documents import DOCUMENTS_VIEW, StepResult
from cangku.services.documents import today as company_today

NoteOpt = Annotated[str | None, typer.Option("--note", help="A note for the timeline.")]
LimitOpt = Annotated[int, typer.Option("--limit", help="Rows per page (1-500).")]
OffsetOpt = Annotated[int, typer.Option("--offset", help="Rows to skip.")]
DueOpt = Annotated[
    str | None, typer.Option("--due", help="The date the next step is due (YYYY-MM-DD).")
]
AssigneeOpt = Annotated[
    str | None,
    typer.Option("--assignee", help="Give the next step to this user (default: anyone)."),
]

LIST_COLUMNS = [
    "number",
    "state",
    "warehouse",
    "partner",
    "next_step",
    "assignee",
    "due_on",
    "overdue",
]
#: always shown; the others when some line has a value
LINE_COLUMNS = ["line_no", "item", "quantity", "done", "unit"]
LINE_EXTRAS = [
    "unit_quantity",
    "unit_price",
    "value",
    "expected_on",
    "lot",
    "location",
    "target_location",
    "accepted",
    "rejected",
    "reason_code",
    "sample_size",
]
#: a request's or shipment's header (empty, so not shown, on the other documents)
OUTBOUND_HEADER = [
    "ship_to",
    "department",
    "plan_reference",
    "planned_on",
    "carrier",
    "tracking_number",
    "packages",
]
EVENT_COLUMNS = ["at", "user", "step", "from_state", "to_state", "note"]


# ---------------------------------------------------------------- help from the machine
def machine_help(machine: Machine) -> str:
    """The document's states and steps as the help's closing paragraphs, from its machine."""
    final = machine.final
    states = ", ".join(
        state + (" (first)" if state == machine.initial else " (final)" if state in final else "")
        for state in machine.states
    )
    rows = []
    for source, code, target, permission, role in machine.table():
        by_system = " (taken by the system)" if machine.step(code).automatic else ""
        rows.append(f"{source}: {code} -> {target}; {permission}, {role}{by_system}")
    return (
        f"States ({machine.doc_type}): {states}.\n\n"
        "Steps (from: step -> to; permission, usually done by):\n" + "\n".join(rows)
    )


# ---------------------------------------------------------------- acting, reading
def acting(act: Action, idempotency_key: str | None = None) -> Context:
    """The signed-in user as a Context, refused (exit 8) without ``act`` anywhere: for the
    services that check their input before the permission, so that a user who may not take
    the step is told that first."""
    ctx = context(idempotency_key)
    with database().read() as conn:
        load_actor(conn, ctx).require(act)
    return ctx


def show_document(machine: Machine, number: str, as_json: bool) -> None:
    """Print one document: header, lines, timeline and the steps that may be taken now."""
    ctx = context()
    with database().read() as conn:
        actor = load_actor(conn, ctx)
        actor.require(DOCUMENTS_VIEW)
        today = company_today(conn, utcnow())
        view = queries.get_document(conn, number, actor.warehouses(DOCUMENTS_VIEW), today)
    if view.doc_type != machine.doc_type:
        raise NotFound(machine.doc_type, number)
    steps: list[dict[str, Any]] = [
        {
            "step": step.code,
            "to": list(step.targets),
            "permission": step.action,
            "role": step.role,
        }
        for step in machine.steps_from(view.state)
    ]
    data = to_jsonable(view)
    data["steps"] = steps

    def render(_: Any) -> None:
        header = {
            key: data[key]
            for key in (
                "number",
                "state",
                "warehouse",
                "partner",
                "reference",
                *OUTBOUND_HEADER,
                "created_by",
                "assignee",
                "approved_by",
                "due_on",
                "overdue",
                "total_value",
                "origin",
                "note",
            )
            if data.get(key) not in (None, False)
        }
        emit(header, False)
        typer.echo("\nLines")
        extras = [
            c for c in LINE_EXTRAS if any(ln.get(c) not in (None, "0") for ln in data["lines"])
        ]
        table(data["lines"], LINE_COLUMNS + extras)
        typer.echo("\nTimeline")
        table(data["events"], EVENT_COLUMNS)
        if view.children:
            typer.echo("\nMade from it: " + ", ".join(f"{n} ({s})" for n, _, s in view.children))
        if view.move_ids:
            typer.echo("Moves: " + ", ".join(str(m) for m in view.move_ids))
        now = ", ".join(s["step"] for s in steps) or "none"
        typer.echo(f"\nSteps now: {now}")
        if view.next_step:
            typer.echo(f"Next task: {view.next_step}")

    emit(data, as_json, render)


def list_of(
    machine: Machine,
    as_json: bool,
    *,
    state: str | None = None,
    warehouse: str | None = None,
    partner: str | None = None,
    item: str | None = None,
    q: str | None = None,
    open_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> None:
    """Print a page of documents of one type, newest first."""
    ctx = context()
    with database().read() as conn:
        actor = load_actor(conn, ctx)
        actor.require(DOCUMENTS_VIEW)
        page = queries.list_documents(
            conn,
            machine.doc_type,
            state=state,
            warehouse=warehouse,
            partner=partner,
            item=item,
            q=q,
            open_only=open_only,
            warehouses_seen=actor.warehouses(DOCUMENTS_VIEW),
            today=company_today(conn, utcnow()),
            limit=limit,
            offset=offset,
        )
    data = {"items": page.items, **paging_fields(page)}

    def render(_: Any) -> None:
        table(page.items, LIST_COLUMNS)
        typer.echo(f"({len(page.items)} of {page.total})")

    emit(data, as_json, render)


def show_step(result: StepResult, as_json: bool) -> None:
    """Print a step's answer: the document, its state, the moves written and what followed."""
    data = {
        "number": result.number,
        "state": result.state,
        "move_ids": result.move_ids,
        "replayed": result.replayed,
        **result.data,
    }

    def render(_: Any) -> None:
        typer.echo(f"{result.number}: {result.state}")
        for key, value in result.data.items():
            if value not in (None, [], {}):
                typer.echo(f"  {key}: {value}")
        if result.move_ids:
            typer.echo("  moves: " + ", ".join(str(m) for m in result.move_ids))
        if result.replayed:
            typer.echo("(replayed: this idempotency key was used before; nothing was written)")

    emit(data, as_json, render)


# ---------------------------------------------------------------- lines on the command line
@dataclass(frozen=True)
class GivenLine:
    """``--line ITEM=QTY[:UNIT][@PRICE]`` as typed."""

    item: str
    quantity: str
    unit: str | None
    price: str | None


LINE_SYNTAX = "ITEM=QTY[:UNIT]"


def parse_line(text: str, *, with_price: bool = False) -> GivenLine:
    """``BOLT=20``, ``BOLT=20:box``, with ``with_price`` also ``BOLT=20:box@6``. Raises
    InvalidInput ``invalid_line``."""
    item, sep, rest = text.rpartition("=")
    price = None
    if with_price and "@" in rest:
        rest, _, price = rest.partition("@")
    quantity, _, unit = rest.partition(":")
    if not sep or not item.strip() or not quantity.strip() or (with_price and price == ""):
        shape = LINE_SYNTAX + ("[@PRICE]" if with_price else "")
        raise InvalidInput(
            f"a line is {shape}, e.g. BOLT=20:box; not {text!r}", code="invalid_line", line=text
        )
    return GivenLine(item.strip(), quantity.strip(), unit.strip() or None, price)


def keyed(values: list[str] | None, option: str, items: list[str]) -> dict[int, str]:
    """Per-line values of a repeated option: ``ITEM=VALUE`` for every line of that item,
    ``#N=VALUE`` for line N, a bare ``VALUE`` for every line; a later value wins. Answers
    line index (0-based) -> value. Raises InvalidInput ``unknown_line``."""
    found: dict[int, str] = {}
    for text in values or []:
        key, sep, value = text.partition("=")
        if not sep:
            found.update(dict.fromkeys(range(len(items)), text))
            continue
        if key.startswith("#") and key[1:].isdigit() and 1 <= int(key[1:]) <= len(items):
            found[int(key[1:]) - 1] = value
            continue
        lines = [index for index, item in enumerate(items) if item == key]
        if not lines:
            raise InvalidInput(
                f"{option} {text!r}: no line of item {key!r} (give ITEM=VALUE, #LINE=VALUE"
                " or a value for every line)",
                code="unknown_line",
                option=option,
                key=key,
            )
        found.update(dict.fromkeys(lines, value))
    return found


def parse_day(value: str | None, field: str) -> date | None:
    """An ISO date (``2027-01-31``) or None. Raises InvalidInput ``invalid_date``."""
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{field} is not a date (YYYY-MM-DD): {value!r}", code="invalid_date", field=field
        ) from None


def step_command(
    run: Callable[..., StepResult], number: str, key: str | None, as_json: bool, **extra: Any
) -> None:
    """Take one step on a document through its service and print the answer."""
    ctx = context(key)
    show_step(run(database(), ctx, number, **extra), as_json)
