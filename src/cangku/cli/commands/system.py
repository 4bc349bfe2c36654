"""Top-level commands: ``init``, ``db upgrade``, ``serve``, ``verify``, ``period close|list``
and ``checkpoint``. They work on the database named by ``CANGKU_DATABASE_URL``.

``init``, ``db upgrade``, ``serve`` and ``verify`` are operator commands: they need no sign-in
(whoever runs them can read the database itself). ``period`` and ``checkpoint`` act as the
signed-in user (``cangku login``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from cangku.cli.common import (
    IdemOpt,
    JsonOpt,
    context,
    database,
    emit,
    handled,
    parse_when,
    reader,
    table,
)
from cangku.cli.credentials import PasswordFileOpt, read_password
from cangku.domain.errors import InvalidInput
from cangku.queries.verify import VerifyReport
from cangku.queries.verify import verify as verify_ledger
from cangku.services import periods as period_service
from cangku.services.setup import admin_needs_password, initialize, upgrade_schema
from cangku.settings import get_settings

#: exit status of ``verify`` when it finds differences
VERIFY_FAILED = 1
#: where ``init`` also takes the administrator's password from (for automated set-ups)
ADMIN_PASSWORD_ENV = "CANGKU_ADMIN_PASSWORD"


def init(
    admin: Annotated[
        str | None,
        typer.Option("--admin", help="User name of the first administrator.", show_default=False),
    ] = None,
    password_file: PasswordFileOpt = None,
    reset_password: Annotated[
        bool, typer.Option("--reset-password", help="Give an existing administrator a new one.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create or upgrade the database and the first administrator.

    Adds the standard units and the administrator (default admin). Repeatable: an existing
    administrator is kept as they are. A new administrator's password comes from
    --password-file, CANGKU_ADMIN_PASSWORD, standard input, or a hidden prompt (asked twice).
    An operator command: it needs no sign-in.
    """
    with handled(as_json):
        db = database()
        username = admin or get_settings().default_user
        password = None
        if admin_needs_password(db, username) or reset_password:
            password = read_password(
                password_file,
                prompt=f"Password for {username}",
                confirm=True,
                environment=ADMIN_PASSWORD_ENV,
            )
        emit(initialize(db, admin_username=username, admin_password=password), as_json)


def upgrade(as_json: JsonOpt = False) -> None:
    """Apply pending schema migrations.

    An operator command: it needs no sign-in."""
    with handled(as_json):
        emit({"revision": upgrade_schema(database())}, as_json)


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port).")
    ] = 8000,
    no_jobs: Annotated[
        bool,
        typer.Option(
            "--no-jobs",
            help="Do not run the background jobs in this process (run cangku jobs worker).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Serve the web pages and the API.

    Prints "cangku serving on URL" (with --json: the URLs) once the server listens, so a
    script may wait for that line. The OpenAPI docs are at /docs. An operator command: it
    needs no sign-in (the pages and the API ask for one). A port already in use exits 6
    (port_in_use), one not permitted exits 8, an address this machine does not have exits 4.
    Beside the app it checks the stock alerts soon after each posting, and, when the jobs'
    queue is a SQLite file (CANGKU_JOBS_URL empty), runs the background jobs (cangku jobs).
    """
    from cangku.cli import serving  # uvicorn only for this command
    from cangku.services.background import start_background

    with handled(as_json):
        sock = serving.listen(host, port)
        background = start_background(get_settings(), jobs=not no_jobs)

    def started(url: str) -> None:
        emit(
            {"url": url, "api": f"{url}/api/v1", "docs": f"{url}/docs"},
            as_json,
            lambda _: typer.echo(f"cangku serving on {url} (API {url}/api/v1, docs {url}/docs)"),
        )

    try:
        serving.run(sock, host, started)
    finally:
        background.stop()


def describe(problem: dict[str, Any]) -> str:
    """One line per difference: the check, then every detail as key=value."""
    details = " ".join(f"{k}={'-' if v is None else v}" for k, v in problem.items() if k != "check")
    return f"{problem['check']}: {details}"


def _render(report: VerifyReport) -> None:
    counts = (
        f"{report.moves_checked} moves, {report.balances_checked} balances, "
        f"{report.items_checked} items checked"
    )
    trail = f"audit trail: {report.audit_entries_checked} entries"
    if report.ok:
        typer.echo(f"verify: OK ({counts}) ({trail})")
        return
    typer.echo(f"verify: {len(report.problems)} difference(s) ({counts}) ({trail})")
    for problem in report.problems:
        typer.echo(describe(problem))
    if report.truncated:
        typer.echo("(more differences not shown)")


def verify(as_json: JsonOpt = False) -> None:
    """Check the ledger against balances, costs and the hash chains.

    Re-folds the ledger and compares; re-hashes the audit trail. Exit status 0 when everything
    agrees; 1 (and each difference printed) when not. An operator command on the database
    itself: no sign-in.
    """
    with handled(as_json):
        with database().read(snapshot=True) as conn:
            report = verify_ledger(conn)
        if as_json:
            emit(
                {
                    "ok": report.ok,
                    "moves_checked": report.moves_checked,
                    "balances_checked": report.balances_checked,
                    "items_checked": report.items_checked,
                    "audit_entries_checked": report.audit_entries_checked,
                    "problems": report.problems,
                    "truncated": report.truncated,
                },
                as_json,
            )
        else:
            _render(report)
    if not report.ok:
        raise typer.Exit(VERIFY_FAILED)


def close(
    through: Annotated[
        str, typer.Argument(help="Last day to close (YYYY-MM-DD).", show_default=False)
    ],
    note: Annotated[str | None, typer.Option("--note", help="Why, or what was checked.")] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close every day up to and including DATE.

    Nothing may be posted on or before it afterwards."""
    with handled(as_json):
        ctx = context(idempotency_key)
        try:
            day = date.fromisoformat(through)
        except ValueError:
            raise InvalidInput(f"not a date: {through!r}", code="invalid_date") from None
        emit(period_service.close_period(database(), ctx, day, note), as_json)


def list_periods(as_json: JsonOpt = False) -> None:
    """Closed periods, latest first."""
    with handled(as_json):
        reader(period_service.PERIOD_VIEW)
        found = period_service.list_periods(database())
        emit(
            {"items": found, "total": len(found)},
            as_json,
            lambda _: table(found, ["closed_through", "closed_at", "user", "note"]),
        )


def checkpoint(
    at: Annotated[
        str | None, typer.Option("--at", help="As of this past time (default now).")
    ] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record exact stock and value as of a time.

    Later "as of" reads start from the nearest checkpoint, so they stay fast."""
    with handled(as_json):
        ctx = context(idempotency_key)
        result = period_service.take_checkpoint(database(), ctx, parse_when(at))
        emit(result, as_json)


def register(app: typer.Typer) -> None:
    """Add the top-level commands and the ``db`` and ``period`` groups to ``app``."""
    app.command("init")(init)
    app.command("serve")(serve)
    app.command("verify")(verify)
    app.command("checkpoint")(checkpoint)
    db_app = typer.Typer(no_args_is_help=True)
    db_app.command("upgrade")(upgrade)
    app.add_typer(db_app, name="db", help="Database schema.")
    period_app = typer.Typer(no_args_is_help=True)
    period_app.command("close")(close)
    period_app.command("list")(list_periods)
    app.add_typer(period_app, name="period", help="Closed periods (the lock date).")
