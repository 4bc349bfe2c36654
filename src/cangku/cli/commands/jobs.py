"""``cangku jobs`` (the background jobs, their schedule and last run), ``cangku jobs run NAME``
(one job now, in this process) and ``cangku jobs worker`` (huey's consumer and scheduler in the
foreground). Operator commands: they run as the system on the database named by
``CANGKU_DATABASE_URL``, like ``cangku backup``; the queue and the history are where
``CANGKU_JOBS_URL`` says (ADR 0031).
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

import typer

from cangku.cli.common import JsonOpt, database, emit, handled, table, to_jsonable
from cangku.services import job_queue as queues
from cangku.services import jobs as service
from cangku.settings import get_settings

NAME = "jobs"
HELP = (
    "Background jobs: schedules, last runs, run one now, the worker.\n\n"
    "Jobs run as the system, on huey (CANGKU_JOBS_URL: empty for a SQLite file beside the "
    "database, redis://, postgresql://)."
)

app = typer.Typer(invoke_without_command=True)


def _listed(history: Any) -> list[dict[str, Any]]:
    settings = get_settings()
    return [
        {
            "name": job.name,
            "description": job.description,
            "schedule": job.schedule,
            "service": job.service,
            "enabled": service.enabled(job, settings),
            "last_run": to_jsonable(service.last_run(history, job.name)),
        }
        for job in service.JOBS
    ]


def _outcome(run: dict[str, Any] | None) -> str:
    if run is None:
        return "-"
    if run["ok"]:
        return "ok " + json.dumps(run["result"], ensure_ascii=False, sort_keys=True)
    return f"error [{run['error']['code']}]: {run['error']['message']}"


def _render_list(data: dict[str, Any]) -> None:
    rows = [
        {
            "name": job["name"],
            "schedule": job["schedule"] if job["enabled"] else f"off ({job['schedule']})",
            "last": job["last_run"]["started_at"] if job["last_run"] else None,
            "seconds": job["last_run"]["seconds"] if job["last_run"] else None,
            "result": _outcome(job["last_run"]),
        }
        for job in data["items"]
    ]
    table(
        rows,
        ["name", "schedule", "last", "seconds", "result"],
        ["job", "schedule (UTC)", "last run", "seconds", "result"],
    )


@app.callback()
def jobs(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the background jobs: name, schedule (cron, UTC), last run and its result.

    A job that needs a setting it lacks (backup: CANGKU_BACKUP_DIR) is listed as off and the
    worker does not schedule it."""
    if ctx.invoked_subcommand is not None:
        return
    with handled(as_json):
        history = queues.job_queue(database(), get_settings())
        emit({"items": _listed(history)}, as_json, _render_list)


def _render_run(run: service.JobRun) -> None:
    plain = to_jsonable(run)
    typer.echo(
        f"job {run.job} ran at {plain['started_at']} for {plain['seconds']} s: {_outcome(plain)}"
    )


@app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="The job (see `cangku jobs`).", show_default=False)],
    as_json: JsonOpt = False,
) -> None:
    """Run one job now, in this process, and record the run.

    Exits 1 when the job failed (its error is printed and recorded); an unknown job is
    job_not_found (exit 3)."""
    with handled(as_json):
        settings = get_settings()
        history = queues.job_queue(database(), settings)
        done = service.run_job(database(), name, history, settings)
        emit(done, as_json, _render_run)
    if not done.ok:
        raise typer.Exit(1)


@app.command("worker")
def worker(
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=8, help="Jobs run at the same time.")
    ] = 1,
) -> None:
    """Start the scheduler and the worker in the foreground.

    Runs each enabled job on its schedule until Ctrl-C (or SIGTERM). Run one worker per
    jobs queue: two would run each scheduled job twice."""
    with handled(False):
        settings = get_settings()
        queue = queues.job_queue(database(), settings)
        scheduled = [job.name for job in service.JOBS if service.enabled(job, settings)]
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        typer.echo(f"jobs worker: {', '.join(scheduled)} scheduled; Ctrl-C stops it", err=True)
        queue.create_consumer(workers=workers, periodic=True).run()
