"""``cangku tasks``: my task inbox (the open documents whose next step I may take in their
warehouse, or that were given to me; overdue first), assigning and taking tasks, counts per
step, and my in-app notifications (``cangku tasks notifications``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, table
from cangku.cli.documents import LimitOpt, OffsetOpt, acting
from cangku.domain.documents import Machine, machines
from cangku.domain.errors import InvalidInput
from cangku.queries.common import paging_fields
from cangku.queries.documents import my_tasks, task_counts
from cangku.services import load_all
from cangku.services import tasks as service
from cangku.services.common import load_actor, utcnow
from cangku.services.documents import DOCUMENTS_ASSIGN, DOCUMENTS_VIEW
from cangku.services.documents import today as company_today

# the inbox offers a step to whoever holds its action, and the inbound (later outbound, ...)
# services declare theirs: this process must know them all, not only those it imported
load_all()

NAME = "tasks"
HELP = (
    "My tasks: documents whose next step waits on me.\n\n"
    "Without a command, lists them: overdue first, then by due date. A task is an open "
    "document whose next step needs a permission you hold in its warehouse and that nobody "
    "else was given, or one given to you."
)
app = typer.Typer(invoke_without_command=True)

TASK_COLUMNS = [
    "number",
    "doc_type",
    "next_step",
    "state",
    "warehouse",
    "partner",
    "assignee",
    "due_on",
    "overdue",
]
NumberArg = Annotated[
    str, typer.Argument(help="The document's number, e.g. PO-WH1-2026-00001.", show_default=False)
]


def _machine(name: str) -> Machine:
    """A document type by its name (purchase_order) or number prefix (PO)."""
    for machine in machines().values():
        if name in (machine.doc_type, machine.prefix) or name.upper() == machine.prefix:
            return machine
    raise InvalidInput(
        f"unknown document type {name!r}",
        code="unknown_document_type",
        allowed=sorted(machines()),
    )


@app.callback()
def inbox(
    ctx: typer.Context,
    doc_type: Annotated[
        str | None,
        typer.Option("--type", help="Only this document type, e.g. purchase_order, receipt or PA."),
    ] = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """My tasks: documents whose next step waits on me."""
    if ctx.invoked_subcommand is not None:
        return
    with handled(as_json):
        user = context()
        kind = _machine(doc_type).doc_type if doc_type else None
        with database().read() as conn:
            actor = load_actor(conn, user)
            actor.require(DOCUMENTS_VIEW)
            page = my_tasks(
                conn, actor, company_today(conn, utcnow()), doc_type=kind, limit=limit,
                offset=offset,
            )  # fmt: skip

        def render(_: Any) -> None:
            table(page.items, TASK_COLUMNS)
            typer.echo(f"({len(page.items)} of {page.total})")

        emit({"items": page.items, **paging_fields(page)}, as_json, render)


@app.command()
def assign(
    number: NumberArg,
    user: Annotated[
        str | None, typer.Argument(help="The user to give it to.", show_default=False)
    ] = None,
    anyone: Annotated[
        bool, typer.Option("--anyone", help="Give it back to anyone who holds the step's role.")
    ] = False,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a document's next step to a user.

    With --anyone, give it back to anyone who holds the step's role."""
    with handled(as_json):
        ctx = acting(DOCUMENTS_ASSIGN, idempotency_key)
        if (user is None) == (not anyone):
            raise InvalidInput("give either a user or --anyone", code="assignee_required")
        emit(service.assign_document(database(), ctx, number, user), as_json)


@app.command()
def take(number: NumberArg, idempotency_key: IdemOpt = None, as_json: JsonOpt = False) -> None:
    """Take a document's next step yourself."""
    with handled(as_json):
        emit(service.take_document(database(), context(idempotency_key), number), as_json)


@app.command()
def counts(as_json: JsonOpt = False) -> None:
    """How many tasks wait on me, per document type and step."""
    with handled(as_json):
        user = context()
        with database().read() as conn:
            actor = load_actor(conn, user)
            actor.require(DOCUMENTS_VIEW)
            found = task_counts(conn, actor, company_today(conn, utcnow()))
        emit(
            {"items": found},
            as_json,
            lambda _: table(found, ["doc_type", "step", "count", "overdue"]),
        )


@app.command()
def notifications(
    unread: Annotated[bool, typer.Option("--unread", help="Only those not read yet.")] = False,
    mark_read: Annotated[
        bool, typer.Option("--mark-read", help="Mark the ones listed as read.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", help="How many, newest first (1-500).")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """My in-app notifications, newest first.

    A notification tells you that a document's step now waits on you (or was given to you)."""
    with handled(as_json):
        ctx = context()
        found = service.notifications_of(database(), ctx, unread_only=unread, limit=limit)
        marked = (
            service.mark_read(database(), ctx, [n.id for n in found]) if mark_read and found else 0
        )
        rows = [
            {
                "id": n.id,
                "created_at": n.created_at,
                "number": n.message.get("number"),
                "step": n.message.get("step"),
                "state": n.message.get("state"),
                "read": n.read,
            }
            for n in found
        ]

        def render(_: Any) -> None:
            table(rows, ["id", "created_at", "number", "step", "state", "read"])
            if mark_read:
                typer.echo(f"({marked} marked read)")

        emit({"items": found, "marked": marked}, as_json, render)
