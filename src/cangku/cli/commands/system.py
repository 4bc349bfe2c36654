"""Top-level commands: ``init``, ``db upgrade``, ``serve``, ``verify``, ``period close|list``
and ``checkpoint``. They work on the database named by ``CANGKU_DATABASE_URL``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from cangku.cli.common import (
    IdemOpt,
    JsonOpt,
    UserOpt,
    context,
    database,
    emit,
    handled,
    parse_when,
    table,
)
from cangku.domain.errors import InvalidInput
from cangku.queries.verify import VerifyReport
from cangku.queries.verify import verify as verify_ledger
from cangku.services import periods as period_service
from cangku.services.setup import initialize, upgrade_schema

#: exit status of ``verify`` when it finds differences
VERIFY_FAILED = 1


def init(
    admin: Annotated[str, typer.Option("--admin", help="Username of the first user.")] = "admin",
    as_json: JsonOpt = False,
) -> None:
    """Create or upgrade the database, add the standard units and the first user (repeatable)."""
    with handled(as_json):
        emit(initialize(database(), admin_username=admin), as_json)


def upgrade(as_json: JsonOpt = False) -> None:
    """Apply pending schema migrations."""
    with handled(as_json):
        emit({"revision": upgrade_schema(database())}, as_json)


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    as_json: JsonOpt = False,
) -> None:
    """Serve the web pages and the API (OpenAPI docs at /docs)."""
    import uvicorn

    url = f"http://{host}:{port}"
    emit(
        {"url": url, "api": f"{url}/api/v1", "docs": f"{url}/docs"},
        as_json,
        lambda _: typer.echo(f"cangku serving on {url} (API {url}/api/v1, docs {url}/docs)"),
    )
    uvicorn.run("cangku.app:asgi", factory=True, host=host, port=port)


def describe(problem: dict[str, Any]) -> str:
    """One line per difference: the check, then every detail as key=value."""
    details = " ".join(f"{k}={'-' if v is None else v}" for k, v in problem.items() if k != "check")
    return f"{problem['check']}: {details}"


def _render(report: VerifyReport) -> None:
    counts = (
        f"{report.moves_checked} moves, {report.balances_checked} balances, "
        f"{report.items_checked} items checked"
    )
    if report.ok:
        typer.echo(f"verify: OK ({counts})")
        return
    typer.echo(f"verify: {len(report.problems)} difference(s) ({counts})")
    for problem in report.problems:
        typer.echo(describe(problem))
    if report.truncated:
        typer.echo("(more differences not shown)")


def verify(as_json: JsonOpt = False) -> None:
    """Re-fold the ledger and compare it with balances, costs and the hash chain.

    Exit status 0 when everything agrees; 1 (and each difference printed) when not.
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
    user: UserOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close every day up to and including DATE: nothing may be posted on or before it."""
    with handled(as_json):
        try:
            day = date.fromisoformat(through)
        except ValueError:
            raise InvalidInput(f"not a date: {through!r}", code="invalid_date") from None
        emit(
            period_service.close_period(database(), context(user, idempotency_key), day, note),
            as_json,
        )


def list_periods(as_json: JsonOpt = False) -> None:
    """Closed periods, latest first."""
    with handled(as_json):
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
    user: UserOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record exact stock and value as of a time, for fast "as of" reads."""
    with handled(as_json):
        result = period_service.take_checkpoint(
            database(), context(user, idempotency_key), parse_when(at)
        )
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
