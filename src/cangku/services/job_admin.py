"""The background jobs as the admin page, the API and their permissions see them (ADR 0034):
each job with its schedule, whether it is enabled, its last run and its next run time; and a
job run now, in the caller's process, by someone who holds ``job.run``.

The operator's ``cangku jobs`` (no sign-in) stays as it is; this is the signed-in face.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import InvalidInput
from cangku.domain.permissions import AUDITOR, WAREHOUSE_MANAGER, Actor, action
from cangku.services.common import Context, run_write, utcnow
from cangku.services.job_queue import job_queue, schedule_of
from cangku.services.jobs import JOBS, History, Job, JobRun, enabled, find_job, last_run, run_job
from cangku.settings import Settings

__all__ = [
    "JOB_RUN",
    "JOB_VIEW",
    "JobView",
    "list_jobs",
    "next_run",
    "queue_of",
    "run_job_now",
]

#: see the background jobs, their schedules and last runs
JOB_VIEW = action("job.view", roles={WAREHOUSE_MANAGER, AUDITOR})
#: run a background job now
JOB_RUN = action("job.run", roles=())

#: how far ahead ``next_run`` looks (the registry's schedules are at most daily)
HORIZON = timedelta(days=8)


@dataclass(frozen=True)
class JobView:
    """A job as listed: its registry entry, whether the settings enable it, its last run
    (None: never here) and the next time its schedule takes (None: off, or beyond a week)."""

    name: str
    description: str
    schedule: str
    enabled: bool
    last_run: JobRun | None
    next_run: datetime | None


def next_run(job: Job, after: datetime) -> datetime | None:
    """The first whole minute after ``after`` that the job's cron schedule takes (UTC), within
    ``HORIZON``; None beyond it."""
    test = schedule_of(job)
    moment = after.astimezone(UTC).replace(second=0, microsecond=0, tzinfo=None)
    for _ in range(int(HORIZON.total_seconds() // 60)):
        moment += timedelta(minutes=1)
        if test(moment):
            return moment.replace(tzinfo=UTC)
    return None


def list_jobs(history: History, settings: Settings, now: datetime | None = None) -> list[JobView]:
    """Every job of the registry in its order, with its last and next run (read; the caller
    checks ``job.view``)."""
    now = now or utcnow()
    out = []
    for job in JOBS:
        on = enabled(job, settings)
        out.append(
            JobView(
                job.name,
                job.description,
                job.schedule,
                on,
                last_run(history, job.name),
                next_run(job, now) if on else None,
            )
        )
    return out


def run_job_now(
    db: Database, ctx: Context, name: str, history: History, settings: Settings
) -> JobRun:
    """Run the job ``name`` now, in this process, and keep the run as its last (the request
    waits for it: the jobs take seconds; ADR 0034). A job that fails answers its error, like a
    scheduled run. Raises NotFound ``job_not_found``, InvalidInput ``job_not_configured``,
    PermissionDenied (``job.run``) before running anything. Writes an audit entry (the
    request), then what the job writes and its history entry."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        job = find_job(name)
        if not enabled(job, settings):
            raise InvalidInput(
                f"job {name} needs CANGKU_{(job.needs or '').upper()}",
                code="job_not_configured",
                job=name,
            )
        return {"job": job.name}

    run_write(db, ctx, JOB_RUN, {"job": name}, work, target_type="job", target=name)
    return run_job(db, name, history, settings)


def queue_of(holder: Any, db: Database, settings: Settings) -> Any:
    """The jobs' queue (huey, the history's storage) kept on ``holder`` (an app's state) so a
    process opens it once; made on first use."""
    found = getattr(holder, "job_queue", None)
    if found is None:
        found = job_queue(db, settings)
        holder.job_queue = found
    return found
