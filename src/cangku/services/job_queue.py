"""The jobs' queue and schedule on huey (ADR 0031): a huey instance on the storage that
``CANGKU_JOBS_URL`` names, with one periodic task per enabled job of the registry
(:data:`cangku.services.jobs.JOBS`), each a :func:`~cangku.services.jobs.run_job`.

Storage by URL: empty = a SQLite file beside a SQLite database (``cangku.db`` ->
``cangku-jobs.db``; ``cangku-jobs.db`` in the working directory when the database is not a
SQLite file), ``sqlite:///PATH``, ``memory:`` (tests), ``redis://``/``rediss://`` (needs the
``redis`` client) and ``postgresql://`` (huey's own ``huey_*`` tables, through psycopg).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from huey import MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey, crontab
from huey.exceptions import ConfigurationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput
from cangku.services.jobs import JOBS, Job, enabled, run_job
from cangku.settings import Settings

__all__ = ["QUEUE_NAME", "job_queue", "jobs_file", "run_periodic", "schedule_of"]

QUEUE_NAME = "cangku"
JOBS_FILE = "cangku-jobs.db"


def jobs_file(database_url: str) -> Path:
    """The default jobs file: beside the SQLite database file, else in the working
    directory."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return Path(JOBS_FILE)
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return Path(JOBS_FILE)
    path = Path(name)
    return path.with_name(f"{path.stem}-jobs.db")


def _storage(settings: Settings) -> Any:
    url = settings.jobs_url.strip()
    # results=False: huey's per-task results would pile up; run_job keeps each job's last run
    common: dict[str, Any] = {"results": False, "utc": True}
    if not url:
        return SqliteHuey(QUEUE_NAME, filename=str(jobs_file(settings.database_url)), **common)
    if url == "memory:":
        return MemoryHuey(QUEUE_NAME, **common)
    if url.startswith("sqlite:///"):
        return SqliteHuey(QUEUE_NAME, filename=url.removeprefix("sqlite:///"), **common)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(QUEUE_NAME, url=url, **common)
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        # psycopg takes a libpq URL: without SQLAlchemy's driver name
        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        return PostgresHuey(QUEUE_NAME, dsn=dsn, **common)
    raise InvalidInput(
        "CANGKU_JOBS_URL is empty, memory:, sqlite:///PATH, redis://... or postgresql://...",
        code="jobs_url_invalid",
        url=make_url(url).render_as_string(hide_password=True) if "://" in url else url,
    )


def schedule_of(job: Job) -> Any:
    """Huey's test of a time for the job's cron schedule (minute hour day month weekday)."""
    minute, hour, day, month, weekday = job.schedule.split()
    return crontab(minute, hour, day, month, weekday, strict=True)


def job_queue(db: Database, settings: Settings) -> Any:
    """A huey instance on the configured storage with a periodic task per enabled job, each
    running :func:`~cangku.services.jobs.run_job` on ``db`` and keeping its run in the
    instance's storage. Raises InvalidInput (``jobs_url_invalid``, ``jobs_backend_missing``:
    the URL's client library is not installed)."""
    try:
        queue = _storage(settings)
    except ConfigurationError as exc:
        raise InvalidInput(str(exc), code="jobs_backend_missing") from exc
    for job in JOBS:
        if enabled(job, settings):
            _add_periodic(queue, db, settings, job)
    return queue


def _add_periodic(queue: Any, db: Database, settings: Settings, job: Job) -> None:
    def task() -> None:
        run_job(db, job.name, queue, settings)

    queue.periodic_task(schedule_of(job), name=f"cangku.jobs.{job.name}")(task)


def run_periodic(queue: Any, now: datetime) -> list[str]:
    """Run, here and now, the periodic tasks whose schedule takes the minute of ``now`` (what
    the worker's scheduler would enqueue then). Answers their task names; each keeps its run.
    """
    # huey compares naive UTC times
    stamp = now.astimezone(UTC).replace(tzinfo=None)
    tasks = queue.read_periodic(stamp)
    for task in tasks:
        queue.execute(task, stamp)
    return sorted(str(task.name) for task in tasks)
