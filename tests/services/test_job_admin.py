"""The jobs as the admin page and the API see them (ADR 0034): each job's schedule, last run and
next run time; a job run now by someone holding ``job.run``, audited; refusals writing
nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import audit_log
from cangku.db.uow import Database
from cangku.domain.errors import CangkuError, InvalidInput, NotFound, PermissionDenied
from cangku.services.common import Context
from cangku.services.job_admin import list_jobs, next_run, queue_of, run_job_now
from cangku.services.job_queue import job_queue
from cangku.services.jobs import find_job
from cangku.settings import Settings
from tests.auth import user_with_roles
from tests.factories import CTX, build_company

#: a Friday, 17:58:30 UTC
NOW = datetime(2026, 12, 4, 17, 58, 30, tzinfo=UTC)
KNOWN = ("deliveries", "backup", "alerts")


def settings(backup_dir: str | None = None) -> Settings:
    return Settings(database_url="sqlite://", jobs_url="memory:", backup_dir=backup_dir)


def audits(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


@pytest.mark.parametrize(
    ("name", "after", "expected"),
    [
        ("deliveries", NOW, datetime(2026, 12, 4, 17, 59, tzinfo=UTC)),
        ("alerts", NOW, datetime(2026, 12, 4, 18, 0, tzinfo=UTC)),
        ("backup", NOW, datetime(2026, 12, 4, 18, 0, tzinfo=UTC)),
        (
            "backup",
            datetime(2026, 12, 4, 18, 0, tzinfo=UTC),
            datetime(2026, 12, 5, 18, 0, tzinfo=UTC),
        ),
    ],
)
def test_the_next_run_is_the_first_minute_after_that_the_schedule_takes(
    name: str, after: datetime, expected: datetime
) -> None:
    assert next_run(find_job(name), after) == expected


def test_the_list_has_each_job_with_its_last_and_next_run(db: Database) -> None:
    build_company(db)
    config = settings()
    history = job_queue(db, config)
    run_job_now(db, CTX, "deliveries", history, config)

    found = {job.name: job for job in list_jobs(history, config, NOW)}

    listed = [(found[n].schedule, found[n].enabled, found[n].next_run) for n in KNOWN]
    assert listed == [
        ("* * * * *", True, datetime(2026, 12, 4, 17, 59, tzinfo=UTC)),
        ("0 18 * * *", False, None),
        ("*/15 * * * *", True, datetime(2026, 12, 4, 18, 0, tzinfo=UTC)),
    ]
    last = found["deliveries"].last_run
    assert last is not None
    assert (last.ok, last.result) == (
        True,
        {"created": 0, "attempted": 0, "sent": 0, "pending": 0, "failed": 0, "dead": 0},
    )
    assert found["alerts"].last_run is None


def test_running_a_job_now_is_audited(db: Database) -> None:
    build_company(db)
    config = settings()
    history = job_queue(db, config)

    done = run_job_now(db, CTX, "alerts", history, config)

    assert (done.job, done.ok, done.result) == (
        "alerts",
        True,
        {"opened": 0, "closed": 0, "still_open": 0},
    )
    with db.read() as conn:
        row = conn.execute(
            select(audit_log.c.action, audit_log.c.target_type, audit_log.c.target)
            .order_by(audit_log.c.seq.desc())
            .limit(1)
        ).one()
    assert tuple(row) == ("job.run", "job", "alerts")


@pytest.mark.parametrize(
    ("user", "name", "error", "code"),
    [
        ("admin", "backup", InvalidInput, "job_not_configured"),
        ("admin", "laundry", NotFound, "job_not_found"),
        ("boss", "deliveries", PermissionDenied, "permission_denied"),
    ],
)
def test_a_run_refused_writes_nothing_and_records_no_run(
    db: Database, user: str, name: str, error: type[CangkuError], code: str
) -> None:
    build_company(db)
    user_with_roles(db, "boss", ("warehouse_manager", None))
    config = settings()
    history = job_queue(db, config)
    before = audits(db)

    with pytest.raises(error) as refused:
        run_job_now(db, Context(user), name, history, config)

    assert refused.value.code == code
    assert audits(db) == before
    assert all(job.last_run is None for job in list_jobs(history, config, NOW))


def test_the_queue_is_made_once_per_holder(db: Database) -> None:
    class Holder:
        pass

    holder: Any = Holder()
    first = queue_of(holder, db, settings())

    assert queue_of(holder, db, settings()) is first
