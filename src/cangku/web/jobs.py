"""The background jobs page (ADR 0031, 0034): each job with its schedule, last run and next
run (``job.view``), and Run now (``job.run``: the job runs in the request, the page says how
it went)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError
from cangku.routing import SegmentRouter
from cangku.services.job_admin import JOB_RUN, JOB_VIEW, list_jobs, queue_of, run_job_now
from cangku.services.jobs import History
from cangku.web.access import WebUser, acting, page
from cangku.web.i18n import N_
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    error_page,
    gettext_for,
    redirect,
    render,
    settings_of,
)

__all__ = ["PATH", "router"]

router = SegmentRouter(route_class=PageRoute)

PATH = "/admin/jobs"
#: each job's description on the page (the registry's is English; a job without one here shows it)
DESCRIPTIONS = {
    "deliveries": N_("Dispatch the outbox to the subscribed channels and send the deliveries due."),
    "backup": N_(
        "Back up the database into the backup folder, keeping the newest CANGKU_BACKUP_KEEP."
    ),
    "alerts": N_(
        "Check the stock, lot, slow-moving, count and document alerts: open, refresh, close."
    ),
    "replenishment": N_(
        "Recompute the safety stock, reorder point and max of every item with demand."
    ),
}
RAN = N_("Job %(job)s ran in %(seconds)s s: %(result)s")
FAILED = N_("Job %(job)s failed: %(error)s")


def _history(request: Request) -> History:
    found: History = queue_of(request.app.state, db_of(request), settings_of(request))
    return found


@router.get(PATH, response_class=HTMLResponse)
def jobs_page(request: Request, user: Annotated[WebUser, page(JOB_VIEW)]) -> Response:
    """Every job: what it does, its schedule (UTC), whether it is on, its last and next run."""
    jobs = list_jobs(_history(request), settings_of(request))
    return render(
        request,
        "admin_jobs.html",
        user=user,
        jobs=jobs,
        may_run=user.may(JOB_RUN.code),
        job_descriptions={name: gettext_for(request)(text) for name, text in DESCRIPTIONS.items()},
        result_text=lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True),
    )


@router.post(PATH + "/{name}/run", response_class=HTMLResponse)
def run_now(request: Request, name: str, user: Annotated[WebUser, page(JOB_RUN)]) -> Response:
    """Run the job now, then the page again with its outcome; the error page on a refusal."""
    try:
        done = run_job_now(
            db_of(request), acting(request), name, _history(request), settings_of(request)
        )
    except CangkuError as error:
        return error_page(request, error)
    gettext = gettext_for(request)
    if done.ok:
        result = json.dumps(done.result, ensure_ascii=False, sort_keys=True)
        text = gettext(RAN) % {"job": name, "seconds": done.seconds, "result": result}
        return redirect(PATH, Flash("success", text))
    failure = done.error or {}
    shown = f"[{failure.get('code')}] {failure.get('message')}"
    return redirect(PATH, Flash("error", gettext(FAILED) % {"job": name, "error": shown}))
