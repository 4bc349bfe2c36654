"""Background jobs (issue 16 point 7, ADR 0031): the registry, a run of ``deliveries`` that
sends a due delivery to a local HTTP receiver and is recorded, failures recorded and never
raised into the scheduler, each job scheduled by huey as the registry says, the history kept
in huey's storage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cangku.db.tables import alerts, audit_log
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, NotFound
from cangku.services import jobs as jobs_module
from cangku.services.job_queue import job_queue, jobs_file, run_periodic
from cangku.services.jobs import JOBS, Job, JobRun, enabled, find_job, last_run, run_job
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.settings import Settings
from tests.factories import CTX, build_company
from tests.services.test_alerts import company  # noqa: F401 (a fixture: NUT with levels)
from tests.services.test_delivery import (  # the local HTTP receiver and its helpers
    TASK,
    Receiver,
    receiver,  # noqa: F401 (a fixture)
    webhook,
    write_outbox,
)

#: huey's names of the jobs' periodic tasks
EVERY_MINUTE, DAILY = "cangku.jobs.deliveries", "cangku.jobs.backup"
QUARTERLY = "cangku.jobs.alerts"  # every 15 minutes
#: a fixed instant, as in the delivery tests (12:00 UTC: the minute deliveries runs, not backup)
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def settings(backup_dir: str | None = None) -> Settings:
    """Jobs on huey's memory storage; a backup folder when given."""
    return Settings(database_url="sqlite://", jobs_url="memory:", backup_dir=backup_dir)


def ticking(*times: datetime) -> Callable[[], datetime]:
    """A clock that answers ``times`` in turn."""
    left: Iterator[datetime] = iter(times)
    return lambda: next(left)


def test_the_registry_names_each_job_with_its_schedule_and_service() -> None:
    assert [(job.name, job.schedule, job.service, job.needs) for job in JOBS] == [
        ("deliveries", "* * * * *", "cangku.services.delivery.dispatch.run_delivery", None),
        (
            "backup",
            "0 18 * * *",
            "cangku.services.backup_schedule.backup_to_directory",
            "backup_dir",
        ),
        ("alerts", "*/15 * * * *", "cangku.services.alerts.check_alerts", None),
        (
            "replenishment",
            "30 1 * * *",
            "cangku.services.replenishment.levels.recompute_levels",
            None,
        ),
    ]
    assert find_job("backup") is JOBS[1]
    with pytest.raises(NotFound) as refused:
        find_job("verify")  # a nightly verify check is not a job yet
    assert (refused.value.code, refused.value.data) == ("job_not_found", {"key": "verify"})


def test_the_backup_job_is_enabled_only_when_a_folder_is_configured(tmp_path: Path) -> None:
    backup = find_job("backup")

    assert enabled(backup, settings()) is False
    assert enabled(backup, settings(backup_dir=str(tmp_path))) is True
    assert enabled(find_job("deliveries"), settings()) is True


def test_running_deliveries_sends_a_due_delivery_and_records_the_run(
    db: Database,
    receiver: Receiver,  # noqa: F811
) -> None:
    build_company(db)
    webhook(db, receiver)
    write_outbox(db, "task", TASK, NOW)
    history = job_queue(db, settings())

    run = run_job(
        db, "deliveries", history, settings(), clock=ticking(NOW, NOW + timedelta(seconds=0.25))
    )

    # one outbox row, one channel subscribed to its topic: one delivery made and sent
    assert [got.path for got in receiver.got] == ["/hook"]
    expected = JobRun(
        "deliveries",
        NOW,
        NOW + timedelta(seconds=0.25),
        Decimal("0.250"),
        True,
        {"created": 1, "attempted": 1, "sent": 1, "pending": 0, "failed": 0, "dead": 0},
        None,
    )
    assert run == expected
    assert last_run(history, "deliveries") == expected
    assert last_run(history, "backup") is None


def test_running_alerts_opens_the_alerts_that_hold_as_the_system_and_records_the_run(
    company: Database,  # noqa: F811
) -> None:
    # NUT (reorder point 10, safety stock 5): 3 received in WH1, nothing issued. 3 <= 10 is
    # low, 3 < 5 is below safety, 3 > 0 is no stock-out, no maximum passed; WH1's bins were
    # never counted, so its counts are due (one alert per warehouse): three alerts
    receive_stock(company, CTX, Receive("NUT", "3", "WH1-A", unit_cost="1"))
    history = job_queue(company, settings())

    run = run_job(company, "alerts", history, settings(), clock=ticking(NOW, NOW))
    again = run_job(company, "alerts", history, settings(), clock=ticking(NOW, NOW))

    with company.read() as conn:
        rows = conn.execute(
            select(alerts.c.kind, alerts.c.title, alerts.c.opened_at).order_by(alerts.c.kind)
        )
        found = [tuple(r) for r in rows]
        audited = conn.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.action == "alert.check")
        ).scalar_one()
    assert found == [
        ("below_safety_stock", "Below safety stock: NUT in WH1", NOW),
        ("count_due", "Counts due in WH1", NOW),
        ("low_stock", "Low stock: NUT in WH1", NOW),
    ]
    assert (run.ok, run.result) == (True, {"opened": 3, "closed": 0, "still_open": 0})
    assert (again.ok, again.result) == (True, {"opened": 0, "closed": 0, "still_open": 3})
    assert audited == 0  # the check is not audited: nothing records the system's user id 0
    assert last_run(history, "alerts") == again


def test_a_job_that_fails_on_a_rule_records_its_error_and_does_not_raise(
    db: Database, tmp_path: Path
) -> None:
    build_company(db)
    (tmp_path / "place").mkdir()
    blocker = tmp_path / "place" / "not-a-folder"
    blocker.write_text("a file where the backup folder should be", encoding="utf-8")
    configured = settings(backup_dir=str(blocker / "backups"))
    history = job_queue(db, configured)

    run = run_job(db, "backup", history, configured, clock=ticking(NOW, NOW))

    assert (run.ok, run.result, run.seconds) == (False, None, Decimal("0.000"))
    assert run.error is not None and run.error["code"] == "backup_write_failed"
    assert last_run(history, "backup") == run
    assert [p.name for p in (tmp_path / "place").iterdir()] == ["not-a-folder"]


def test_a_job_that_crashes_records_the_exception_and_does_not_raise(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_: object) -> dict[str, object]:
        raise RuntimeError("the disk is on fire")

    broken = Job("deliveries", "broken", "* * * * *", "nothing", crash)
    monkeypatch.setattr(jobs_module, "JOBS", (broken,))
    history = job_queue(db, settings())

    run = run_job(db, "deliveries", history, settings(), clock=ticking(NOW, NOW))

    assert (run.ok, run.result, run.error) == (
        False,
        None,
        {"code": "job_failed", "message": "RuntimeError: the disk is on fire"},
    )
    assert last_run(history, "deliveries") == run


def test_an_unknown_or_unconfigured_job_is_refused_before_anything_runs(db: Database) -> None:
    history = job_queue(db, settings())

    with pytest.raises(NotFound) as unknown:
        run_job(db, "nothing", history, settings())
    with pytest.raises(InvalidInput) as unconfigured:
        run_job(db, "backup", history, settings())

    assert (unknown.value.code, unconfigured.value.code) == ("job_not_found", "job_not_configured")
    assert (last_run(history, "nothing"), last_run(history, "backup")) == (None, None)


@pytest.mark.parametrize(
    ("at", "due"),
    [
        (datetime(2026, 12, 4, 12, 0, tzinfo=UTC), [QUARTERLY, EVERY_MINUTE]),
        (datetime(2026, 12, 4, 12, 14, tzinfo=UTC), [EVERY_MINUTE]),
        (datetime(2026, 12, 4, 12, 45, tzinfo=UTC), [QUARTERLY, EVERY_MINUTE]),
        (datetime(2026, 12, 4, 17, 59, tzinfo=UTC), [EVERY_MINUTE]),
        (datetime(2026, 12, 4, 18, 0, tzinfo=UTC), [QUARTERLY, DAILY, EVERY_MINUTE]),
        (datetime(2026, 12, 4, 18, 1, tzinfo=UTC), [EVERY_MINUTE]),
        # 02:00 in Shanghai is 18:00 UTC the day before: huey compares UTC
        (datetime(2026, 12, 6, 2, 0, tzinfo=UTC), [QUARTERLY, EVERY_MINUTE]),
    ],
    ids=["noon", "12:14", "12:45", "17:59", "18:00", "18:01", "02:00"],
)
def test_huey_schedules_each_job_as_the_registry_says(
    db: Database, tmp_path: Path, at: datetime, due: list[str]
) -> None:
    # deliveries: "* * * * *" (every minute); backup: "0 18 * * *" (minute 0 of hour 18 only);
    # alerts: "*/15 * * * *" (minutes 0, 15, 30 and 45 of every hour)
    queue = job_queue(db, settings(backup_dir=str(tmp_path)))

    stamp = at.replace(tzinfo=None)
    assert sorted(task.name for task in queue.read_periodic(stamp)) == due


def test_without_a_backup_folder_huey_schedules_no_backup(db: Database) -> None:
    queue = job_queue(db, settings())

    assert sorted(task.name for task in queue.read_periodic(datetime(2026, 12, 4, 18, 0))) == [
        "cangku.jobs.alerts",
        "cangku.jobs.deliveries",
    ]


def test_a_periodic_run_through_huey_sends_and_records_without_raising(
    db: Database,
    receiver: Receiver,  # noqa: F811
    tmp_path: Path,
) -> None:
    # the periodic task runs on the clock: the outbox row is written a minute before it
    build_company(db)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    webhook(db, receiver)
    write_outbox(db, "task", TASK, now - timedelta(minutes=1))
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    queue = job_queue(db, settings(backup_dir=str(blocker / "backups")))

    ran = run_periodic(queue, now.replace(hour=18, minute=0))

    # all three ran at 18:00; the backup failed (its folder is under a file) and was recorded
    assert ran == ["cangku.jobs.alerts", "cangku.jobs.backup", "cangku.jobs.deliveries"]
    assert len(receiver.got) == 1
    deliveries, backup = last_run(queue, "deliveries"), last_run(queue, "backup")
    assert deliveries is not None and deliveries.result is not None
    assert (deliveries.ok, deliveries.result["sent"]) == (True, 1)
    assert backup is not None and backup.error is not None
    assert (backup.ok, backup.error["code"]) == (False, "backup_write_failed")


def test_the_history_outlives_the_process_in_the_sqlite_file(db: Database, tmp_path: Path) -> None:
    configured = Settings(database_url="sqlite://", jobs_url=f"sqlite:///{tmp_path / 'jobs.db'}")
    run = run_job(db, "deliveries", job_queue(db, configured), configured, clock=ticking(NOW, NOW))

    again = job_queue(db, configured)  # as another process would open it

    assert last_run(again, "deliveries") == run
    assert (tmp_path / "jobs.db").is_file()


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("sqlite:///data/cangku.db", Path("data/cangku-jobs.db")),
        ("sqlite:////srv/wh/main.db", Path("/srv/wh/main-jobs.db")),
        ("sqlite://", Path("cangku-jobs.db")),
        ("postgresql+psycopg://u@db/cangku", Path("cangku-jobs.db")),
    ],
    ids=["relative", "absolute", "memory", "postgresql"],
)
def test_the_default_jobs_file_sits_beside_a_sqlite_database(
    database_url: str, expected: Path
) -> None:
    assert jobs_file(database_url) == expected


def test_a_jobs_url_of_no_known_kind_is_refused(db: Database) -> None:
    odd = Settings(database_url="sqlite://", jobs_url="amqp://guest:secret@mq/")

    with pytest.raises(InvalidInput) as refused:
        job_queue(db, odd)

    # the password is not repeated back
    assert (refused.value.code, refused.value.data) == (
        "jobs_url_invalid",
        {"url": "amqp://guest:***@mq/"},
    )


def test_the_replenishment_job_recomputes_the_levels_as_the_system(db: Database) -> None:
    from cangku.queries.replenishment import level_rows
    from tests.replenishment_factory import build_levelled_bolt

    build_company(db)
    build_levelled_bolt(db)
    history = job_queue(db, settings())

    run = run_job(db, "replenishment", history, settings())

    # 104 weeks: the 17 of the hand-worked ledger and 87 without demand before them
    assert (run.ok, run.result) == (
        True, {"computed": 1, "cleared": 0, "methods": {"moving_average": 1}}
    )  # fmt: skip
    with db.read() as conn:
        (row,), _ = level_rows(conn, readable=None)
        entry = conn.execute(
            select(audit_log.c.user_id, audit_log.c.username).where(
                audit_log.c.action == "replenishment.manage"
            )
        ).one()
    assert (row.item, row.warehouse, row.lead_time, row.demand) == ("BOLT", "WH1", 7, 2)
    assert tuple(entry) == (None, "system")
