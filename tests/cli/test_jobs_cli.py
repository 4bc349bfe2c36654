"""``cangku jobs`` (issue 16 point 7, ADR 0031): the list with its last runs (exact JSON),
``jobs run NAME`` (exact output, the run recorded for the next process), a failed run (exit 1,
its error listed), unknown or unconfigured jobs refused with a stable code and exit status,
never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cangku.db.uow import Database
from cangku.services import jobs as jobs_module
from cangku.settings import get_settings
from tests.cli.tree import Invoke
from tests.factories import build_company

#: the clock of every run here: started at NOW, finished half a second later
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

DELIVERIES = {
    "name": "deliveries",
    "description": "Dispatch the outbox to the subscribed channels and send the deliveries due.",
    "schedule": "* * * * *",
    "service": "cangku.services.delivery.dispatch.run_delivery",
    "enabled": True,
}
BACKUP = {
    "name": "backup",
    "description": (
        "Back up the database into the backup folder, keeping the newest CANGKU_BACKUP_KEEP."
    ),
    "schedule": "0 18 * * *",
    "service": "cangku.services.backup_schedule.backup_to_directory",
    "enabled": False,
}
ALERTS = {
    "name": "alerts",
    "description": (
        "Check the stock, lot, slow-moving, count and document alerts: open, refresh, close."
    ),
    "schedule": "*/15 * * * *",
    "service": "cangku.services.alerts.check_alerts",
    "enabled": True,
}
REPLENISHMENT = {
    "name": "replenishment",
    "description": ("Recompute the safety stock, reorder point and max of every item with demand."),
    "schedule": "30 1 * * *",
    "service": "cangku.services.replenishment.levels.recompute_levels",
    "enabled": True,
}
#: nothing in the outbox, no channel: the deliveries job finds nothing to do
IDLE = {"attempted": 0, "created": 0, "dead": 0, "failed": 0, "pending": 0, "sent": 0}


@pytest.fixture(autouse=True)
def jobs_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The jobs' queue and history in a file of this test's own; no backup folder; a clock
    that starts each run at NOW and ends it 0.5 s later."""
    path = tmp_path / "jobs" / "queue.db"
    path.parent.mkdir()
    monkeypatch.setenv("CANGKU_JOBS_URL", f"sqlite:///{path}")
    for name in ("DIR", "KEY_FILE", "PASSPHRASE_FILE", "PASSPHRASE"):
        monkeypatch.delenv(f"CANGKU_BACKUP_{name}", raising=False)
    get_settings.cache_clear()
    ticks: Iterator[datetime] = iter([])

    def clock() -> datetime:
        nonlocal ticks
        found = next(ticks, None)
        if found is None:
            ticks = iter([NOW + timedelta(seconds=0.5)])
            return NOW
        return found

    monkeypatch.setattr(jobs_module, "utcnow", clock)
    return path


def as_json(result: Any) -> Any:
    return json.loads(result.stdout)


def test_jobs_lists_each_job_never_run(cangku: Invoke) -> None:
    result = cangku("jobs", "--json")

    assert result.exit_code == 0, result.output
    assert as_json(result) == {
        "items": [
            {**DELIVERIES, "last_run": None},
            {**BACKUP, "last_run": None},
            {**ALERTS, "last_run": None},
            {**REPLENISHMENT, "last_run": None},
        ]
    }


def test_jobs_run_prints_the_run_and_the_list_shows_it(cangku: Invoke, db: Database) -> None:
    build_company(db)

    ran = cangku("jobs", "run", "deliveries")
    listed = cangku("jobs", "--json")
    shown = cangku("jobs")

    assert ran.exit_code == 0, ran.output
    assert ran.stdout == (
        "job deliveries ran at 2026-12-04T12:00:00+00:00 for 0.500 s: ok "
        '{"attempted": 0, "created": 0, "dead": 0, "failed": 0, "pending": 0, "sent": 0}\n'
    )
    last = {
        "job": "deliveries",
        "started_at": "2026-12-04T12:00:00+00:00",
        "finished_at": "2026-12-04T12:00:00.500000+00:00",
        "seconds": "0.500",
        "ok": True,
        "result": IDLE,
        "error": None,
    }
    assert as_json(listed) == {
        "items": [
            {**DELIVERIES, "last_run": last},
            {**BACKUP, "last_run": None},
            {**ALERTS, "last_run": None},
            {**REPLENISHMENT, "last_run": None},
        ]
    }
    # columns as wide as their widest cell (job 13, schedule 16, last run 25, seconds 7), two
    # spaces apart; the last one padded too, hence rstrip
    assert [line.rstrip() for line in shown.stdout.splitlines()] == [
        "job            schedule (UTC)    last run                   seconds  result",
        "deliveries     * * * * *         2026-12-04T12:00:00+00:00  0.500    ok "
        + json.dumps(IDLE, sort_keys=True),
        "backup         off (0 18 * * *)  -                          -        -",
        "alerts         */15 * * * *      -                          -        -",
        "replenishment  30 1 * * *        -                          -        -",
    ]


def test_jobs_run_json_answers_the_run(cangku: Invoke) -> None:
    result = cangku("jobs", "run", "deliveries", "--json")

    assert result.exit_code == 0, result.output
    assert as_json(result) == {
        "job": "deliveries",
        "started_at": "2026-12-04T12:00:00+00:00",
        "finished_at": "2026-12-04T12:00:00.500000+00:00",
        "seconds": "0.500",
        "ok": True,
        "result": IDLE,
        "error": None,
    }


def test_an_unknown_job_is_a_clear_error_not_a_traceback(cangku: Invoke) -> None:
    as_text = cangku("jobs", "run", "verify")
    in_json = cangku("jobs", "run", "verify", "--json")
    listed = cangku("jobs", "--json")

    assert (as_text.exit_code, in_json.exit_code) == (3, 3)
    assert as_text.stderr == "error [job_not_found]: job verify does not exist\n"
    assert isinstance(as_text.exception, SystemExit)
    assert as_json(in_json) == {
        "error": {
            "code": "job_not_found",
            "message": "job verify does not exist",
            "data": {"key": "verify"},
        }
    }
    assert [job["last_run"] for job in as_json(listed)["items"]] == [None, None, None, None]


def test_the_backup_job_without_a_folder_is_refused(cangku: Invoke) -> None:
    result = cangku("jobs", "run", "backup", "--json")

    assert result.exit_code == 4
    assert as_json(result)["error"] == {
        "code": "job_not_configured",
        "message": "job backup needs CANGKU_BACKUP_DIR",
        "data": {"job": "backup"},
    }


def test_the_backup_job_writes_a_backup_into_the_folder(
    cangku: Invoke, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_company(db)
    folder = tmp_path / "backups"
    monkeypatch.setenv("CANGKU_BACKUP_DIR", str(folder))
    get_settings.cache_clear()

    result = cangku("jobs", "run", "backup", "--json")

    assert result.exit_code == 0, result.output
    run = as_json(result)
    [made] = list(folder.iterdir())
    assert (run["ok"], run["result"]["path"], run["result"]["pruned"]) == (True, str(made), [])
    assert (run["result"]["encrypted"], run["result"]["bytes"]) == (False, made.stat().st_size)
    listed = as_json(cangku("jobs", "--json"))["items"]
    assert [job["enabled"] for job in listed] == [True, True, True, True]


def test_a_failed_run_exits_1_and_is_listed_with_its_error(
    cangku: Invoke, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_company(db)
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("CANGKU_BACKUP_DIR", str(blocker / "backups"))
    get_settings.cache_clear()

    ran = cangku("jobs", "run", "backup")
    listed = cangku("jobs", "--json")

    assert ran.exit_code == 1
    # the folder cannot be made under a file: ENOTDIR, "Not a directory" on Linux
    assert ran.stdout == (
        "job backup ran at 2026-12-04T12:00:00+00:00 for 0.500 s: error [backup_write_failed]: "
        f"cannot write {blocker / 'backups'}: Not a directory\n"
    )
    last = as_json(listed)["items"][1]["last_run"]
    assert (last["ok"], last["result"], last["error"]["code"]) == (
        False,
        None,
        "backup_write_failed",
    )
