"""The background jobs (ADR 0031, 0034): ``GET /api/v1/jobs`` (``job.view``: each job's
schedule, last run and next run) and ``POST /jobs/{name}/run`` (``job.run``: runs it now, in
the request, and answers the run)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path, Request
from pydantic import BaseModel, ConfigDict, Field

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.openapi import problems
from cangku.routing import SegmentRouter
from cangku.services import job_admin as service
from cangku.settings import Settings

router = SegmentRouter(prefix="/jobs", tags=["jobs"])

JobName = Annotated[str, Path(min_length=1, max_length=64)]


class RunOut(BaseModel):
    """A run: when, how long, and its result (ok) or error (code, message)."""

    model_config = ConfigDict(from_attributes=True)

    job: str
    started_at: datetime
    finished_at: datetime
    seconds: Decimal
    ok: bool
    result: dict[str, Any] | None
    error: dict[str, str] | None


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    description: str
    schedule: str = Field(description="cron (minute hour day month weekday), UTC")
    enabled: bool = Field(description="false: it needs a setting it lacks (backup: a folder)")
    last_run: RunOut | None
    next_run: datetime | None = Field(description="null: not enabled")


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get(
    "",
    summary="The background jobs: schedule, last run, next run",
    dependencies=[permit(service.JOB_VIEW)],
)
def list_jobs(request: Request, db: DbDep) -> list[JobOut]:
    settings = _settings(request)
    history = service.queue_of(request.app.state, db, settings)
    return [JobOut.model_validate(job) for job in service.list_jobs(history, settings)]


@router.post(
    "/{name}/run",
    summary="Run a job now, in the request; answers its run (ok false: it failed)",
    dependencies=[permit(service.JOB_RUN)],
    responses=problems({404: "`job_not_found`", 422: "`job_not_configured`"}),
)
def run_job(name: JobName, request: Request, db: DbDep, ctx: ContextDep) -> RunOut:
    """The run is kept as the job's last, as a scheduled run is. A job that fails answers
    200 with ``ok`` false and its error."""
    settings = _settings(request)
    history = service.queue_of(request.app.state, db, settings)
    return RunOut.model_validate(service.run_job_now(db, ctx, name, history, settings))
