"""Background jobs (issue 16 point 7, ADR 0031): the registry of what runs on a schedule, and
one run of a job, timed and recorded in its history.

A job exists only if the service it calls exists: ``deliveries`` (the outbox dispatched and the
due deliveries sent, every minute), ``backup`` (a backup into the configured folder, daily,
only when ``CANGKU_BACKUP_DIR`` is set), ``alerts`` (the alert conditions checked, every 15
minutes, as the system: ADR 0030) and ``replenishment`` (the levels recomputed, daily: ADR
0032). The queue and the schedule are huey's
(:mod:`cangku.services.job_queue`); the history is kept in huey's own storage, one entry per job
(its last run), through the small :class:`History` interface that a huey instance provides.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from cangku.db.uow import Database
from cangku.domain.backup import Secret, parse_key, parse_passphrase
from cangku.domain.errors import CangkuError, InvalidInput, NotFound
from cangku.domain.permissions import Actor
from cangku.queries.alert_conditions import DEFAULT_KINDS
from cangku.services.alerts import ALERT_CHECK, check_alerts
from cangku.services.backup_schedule import backup_to_directory
from cangku.services.common import Context, utcnow
from cangku.services.delivery.dispatch import run_delivery
from cangku.services.replenishment.actions import REPLENISHMENT_MANAGE
from cangku.services.replenishment.levels import recompute_levels
from cangku.settings import Settings

__all__ = [
    "JOBS",
    "History",
    "Job",
    "JobRun",
    "enabled",
    "find_job",
    "last_run",
    "run_job",
]

log = logging.getLogger(__name__)

#: where a job's last run is kept in the history store
KEY_PREFIX = "cangku.jobs.last."

Work = Callable[[Database, Settings, datetime], dict[str, Any]]


class History(Protocol):
    """Where runs are kept: a huey instance (``put`` a value under a key, ``get`` it back,
    ``peek`` leaving it there)."""

    def put(self, key: str, data: Any) -> Any: ...

    def get(self, key: str, peek: bool = False) -> Any: ...


@dataclass(frozen=True)
class Job:
    """A background job: its name, what it does, its schedule (cron: minute hour day month
    weekday, in UTC), the service function it calls and the setting it needs, if any."""

    name: str
    description: str
    schedule: str
    service: str
    work: Work
    needs: str | None = None


@dataclass(frozen=True)
class JobRun:
    """One run of a job: when it started and ended, how long it took (seconds, to the
    millisecond), and its result (ok) or its error (``code``, ``message``)."""

    job: str
    started_at: datetime
    finished_at: datetime
    seconds: Decimal
    ok: bool
    result: dict[str, Any] | None
    error: dict[str, str] | None


def _deliveries(db: Database, settings: Settings, now: datetime) -> dict[str, Any]:
    run = run_delivery(db, now=now)
    statuses = Counter(o.status for o in run.outcomes if o.attempted)
    return {
        "created": run.created,
        "attempted": sum(statuses.values()),
        **{status: statuses[status] for status in ("sent", "pending", "failed", "dead")},
    }


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", code="secret_unreadable") from exc


def backup_secret(settings: Settings) -> Secret | None:
    """The backup secret the settings name (key file, passphrase file, passphrase), or None:
    a scheduled job cannot ask for one. Raises InvalidInput (``secret_unreadable``)."""
    if settings.backup_key_file:
        return Secret(key=parse_key(_read(settings.backup_key_file)))
    if settings.backup_passphrase_file:
        return Secret(passphrase=parse_passphrase(_read(settings.backup_passphrase_file)))
    if settings.backup_passphrase is not None:
        return Secret(passphrase=settings.backup_passphrase.get_secret_value())
    return None


def _backup(db: Database, settings: Settings, now: datetime) -> dict[str, Any]:
    assert settings.backup_dir  # run_job refuses the job without it
    result = backup_to_directory(
        db, Path(settings.backup_dir), settings.backup_keep, backup_secret(settings)
    )
    return {
        "path": result.path,
        "bytes": result.bytes,
        "encrypted": result.encrypted,
        "rows": result.rows,
        "pruned": result.pruned,
    }


#: who a scheduled check acts as: no user, allowed only the check (not audited, no idempotency
#: key: nothing records the user id 0)
SYSTEM = Context("system", origin="job", actor=Actor(0, "system", {ALERT_CHECK.code: None}))


def _alerts(db: Database, settings: Settings, now: datetime) -> dict[str, Any]:
    # every kind but verify_failed, which reads the whole ledger: a nightly job's, not this one
    done = check_alerts(db, SYSTEM, DEFAULT_KINDS, now=now)
    return {"opened": len(done.opened), "closed": len(done.closed), "still_open": done.still_open}


#: who the nightly recompute acts as: no user, allowed only to manage replenishment (its audit
#: entry names the user "system" and no user id)
REPLENISHER = Context(
    "system", origin="job", actor=Actor(0, "system", {REPLENISHMENT_MANAGE.code: None})
)


def _replenishment(db: Database, settings: Settings, now: datetime) -> dict[str, Any]:
    done = recompute_levels(db, REPLENISHER, now=now)
    return {"computed": done.computed, "cleared": done.cleared, "methods": done.methods}


JOBS: tuple[Job, ...] = (
    Job(
        "deliveries",
        "Dispatch the outbox to the subscribed channels and send the deliveries due.",
        "* * * * *",
        "cangku.services.delivery.dispatch.run_delivery",
        _deliveries,
    ),
    # 18:00 UTC is 02:00 in China, the quiet hour for the users cangku is first made for
    Job(
        "backup",
        "Back up the database into the backup folder, keeping the newest CANGKU_BACKUP_KEEP.",
        "0 18 * * *",
        "cangku.services.backup_schedule.backup_to_directory",
        _backup,
        needs="backup_dir",
    ),
    Job(
        "alerts",
        "Check the stock, lot, slow-moving, count and document alerts: open, refresh, close.",
        "*/15 * * * *",
        "cangku.services.alerts.check_alerts",
        _alerts,
    ),
    # 01:30 UTC (09:30 in China): after the night's postings, before the buyers' day
    Job(
        "replenishment",
        "Recompute the safety stock, reorder point and max of every item with demand.",
        "30 1 * * *",
        "cangku.services.replenishment.levels.recompute_levels",
        _replenishment,
    ),
)


def find_job(name: str) -> Job:
    """The job called ``name``. Raises NotFound (``job_not_found``)."""
    for job in JOBS:
        if job.name == name:
            return job
    raise NotFound("job", name)


def enabled(job: Job, settings: Settings) -> bool:
    """Whether the settings give the job what it needs (``backup``: a backup folder)."""
    return job.needs is None or bool(getattr(settings, job.needs))


def _error(exc: Exception) -> dict[str, str]:
    if isinstance(exc, CangkuError):
        return {"code": exc.code, "message": exc.message}
    return {"code": "job_failed", "message": f"{type(exc).__name__}: {exc}"}


def run_job(
    db: Database,
    name: str,
    history: History,
    settings: Settings,
    *,
    clock: Callable[[], datetime] | None = None,
) -> JobRun:
    """Run the job ``name`` now, in this process, and keep the run as its last in
    ``history``. A job that fails is recorded with its error and answered, never raised (the
    scheduler goes on). Raises NotFound (``job_not_found``) and InvalidInput
    (``job_not_configured``: the setting it needs is empty) before running anything. Writes
    what the job writes, and the history entry."""
    job = find_job(name)
    if not enabled(job, settings):
        raise InvalidInput(
            f"job {name} needs CANGKU_{(job.needs or '').upper()}",
            code="job_not_configured",
            job=name,
        )
    clock = clock or utcnow
    started = clock()
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    try:
        result = job.work(db, settings, started)
    except Exception as exc:  # a job's failure is its run's outcome, not the scheduler's
        if not isinstance(exc, CangkuError):
            log.exception("job %s failed", name)
        error = _error(exc)
    finished = clock()
    seconds = Decimal(str((finished - started).total_seconds())).quantize(Decimal("0.001"))
    run = JobRun(name, started, finished, seconds, error is None, result, error)
    history.put(KEY_PREFIX + name, _stored(run))
    return run


def _stored(run: JobRun) -> dict[str, Any]:
    # plain values only: the history outlives this code's classes
    return {
        "job": run.job,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
        "seconds": str(run.seconds),
        "ok": run.ok,
        "result": run.result,
        "error": run.error,
    }


def last_run(history: History, name: str) -> JobRun | None:
    """The job's last run kept in ``history``, or None if it never ran there."""
    found = history.get(KEY_PREFIX + name, peek=True)
    if not isinstance(found, dict):
        return None
    return JobRun(
        found["job"],
        datetime.fromisoformat(found["started_at"]),
        datetime.fromisoformat(found["finished_at"]),
        Decimal(found["seconds"]),
        bool(found["ok"]),
        found["result"],
        found["error"],
    )
