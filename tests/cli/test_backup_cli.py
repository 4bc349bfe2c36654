"""``cangku backup`` (file, directory with retention, schedule, check, prune, keygen) and
``cangku restore``: round trips, secrets from files, the environment or a prompt, and refusals
with a stable code, a non-zero exit and an unchanged database."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from cangku.cli.common import database
from cangku.cli.main import app
from cangku.db.schema import head_revision
from cangku.db.tables import ledger_heads, moves
from cangku.db.uow import Database
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.settings import get_settings
from tests.factories import CTX, build_company

Invoke = Callable[..., Result]
NOW = datetime.now(UTC)
PASSPHRASE = "a long passphrase for the tests"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    for name in ("PASSPHRASE", "PASSPHRASE_FILE", "KEY_FILE", "DIR", "KEEP", "INTERVAL"):
        monkeypatch.delenv(f"CANGKU_BACKUP_{name}", raising=False)
    monkeypatch.setenv("CANGKU_DATABASE_URL", database_url)
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
        get_settings.cache_clear()
        database.cache_clear()
        with monkeypatch.context() as patch:
            for key, value in (env or {}).items():
                patch.setenv(key, value)
            result = runner.invoke(app, list(args), input=stdin)
            database().dispose()
        get_settings.cache_clear()
        database.cache_clear()
        return result

    yield invoke


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    for days in (5, 4, 3):
        receive_stock(
            db,
            CTX,
            Receive("BOLT", "10", "WH1-A", unit_cost="1", effective_at=NOW - timedelta(days=days)),
        )
    return db


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def failed(result: Result, exit_code: int, code: str) -> dict[str, Any]:
    assert result.exit_code == exit_code, result.output
    error: dict[str, Any] = json.loads(result.stdout)["error"]
    assert error["code"] == code, error
    return error


def state(db: Database) -> tuple[int, list[tuple[Any, ...]]]:
    with db.read() as conn:
        count = conn.execute(select(func.count()).select_from(moves)).scalar_one()
        heads = conn.execute(select(ledger_heads).order_by(ledger_heads.c.warehouse_id)).all()
    return int(count), [tuple(h) for h in heads]


def post_one_more(db: Database) -> None:
    receive_stock(db, CTX, Receive("BOLT", "1", "WH1-A", unit_cost="1"))


def test_backup_restore_verify_round_trip(cli: Invoke, company: Database, tmp_path: Path) -> None:
    before = state(company)
    made = ok(cli("backup", "--output", str(tmp_path / "b.ckb"), "--json"))
    assert (made["encrypted"], made["revision"], made["tables"]) == (False, head_revision(), 58)
    post_one_more(company)

    restored = ok(cli("restore", str(tmp_path / "b.ckb"), "--yes", "--json"))

    assert (restored["rows"], restored["revision"]) == (made["rows"], head_revision())
    assert restored["heads"] == made["heads"]
    assert state(company) == before
    result = cli("verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("verify: OK (3 moves")


def test_backup_and_restore_print_a_line_without_json(
    cli: Invoke, company: Database, tmp_path: Path
) -> None:
    out = cli("backup", "-o", str(tmp_path / "b.ckb"))
    assert out.exit_code == 0 and out.stdout.startswith(f"backup written: {tmp_path / 'b.ckb'} (")
    back = cli("restore", str(tmp_path / "b.ckb"), "-y")
    assert back.exit_code == 0 and back.stdout.startswith("restored ")
    check = cli("backup", "check", str(tmp_path / "b.ckb"))
    assert check.exit_code == 0 and check.stdout.startswith(f"backup OK: {tmp_path / 'b.ckb'}")
    assert "  moves                        3  sha256 " in check.stdout


def test_restore_without_yes_asks_and_a_script_gets_exit_7(
    cli: Invoke, company: Database, tmp_path: Path
) -> None:
    ok(cli("backup", "-o", str(tmp_path / "b.ckb"), "--json"))
    post_one_more(company)
    before = state(company)

    failed(cli("restore", str(tmp_path / "b.ckb"), "--json"), 7, "restore_not_confirmed")

    assert state(company) == before


def test_an_encrypted_backup_with_a_passphrase_file(
    cli: Invoke, company: Database, tmp_path: Path
) -> None:
    (tmp_path / "pass").write_text(PASSPHRASE + "\n")
    (tmp_path / "wrong").write_text("not it\n")
    before = state(company)
    pass_file, wrong_file = str(tmp_path / "pass"), str(tmp_path / "wrong")
    made = ok(
        cli("backup", "-o", str(tmp_path / "e.ckb"), "--passphrase-file", pass_file, "--json")
    )
    assert made["encrypted"] is True
    post_one_more(company)
    changed = state(company)

    wrong = cli("restore", str(tmp_path / "e.ckb"), "-y", "--passphrase-file", wrong_file, "--json")
    failed(wrong, 4, "backup_wrong_key")
    assert state(company) == changed
    no_input = cli("backup", "check", str(tmp_path / "e.ckb"), "--json", stdin="")
    failed(no_input, 4, "backup_key_required")

    env = {"CANGKU_BACKUP_PASSPHRASE": PASSPHRASE}
    ok(cli("restore", str(tmp_path / "e.ckb"), "-y", "--json", env=env))
    assert state(company) == before


def test_the_passphrase_can_be_typed_at_a_prompt(
    cli: Invoke, company: Database, tmp_path: Path
) -> None:
    typed = f"{PASSPHRASE}\n{PASSPHRASE}\n"
    made = cli("backup", "-o", str(tmp_path / "e.ckb"), "--encrypt", "--json", stdin=typed)
    assert made.exit_code == 0, made.output
    assert PASSPHRASE not in made.output
    summary = cli("backup", "check", str(tmp_path / "e.ckb"), "--json", stdin=f"{PASSPHRASE}\n")
    assert summary.exit_code == 0, summary.output
    assert json.loads(summary.stdout[summary.stdout.index("{") :])["encrypted"] is True


def test_keygen_makes_a_private_key_file_that_encrypts_and_restores(
    cli: Invoke, company: Database, tmp_path: Path
) -> None:
    key = tmp_path / "backup.key"
    assert ok(cli("backup", "keygen", str(key), "--json")) == {"key_file": str(key)}
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) == 64
    failed(cli("backup", "keygen", str(key), "--json"), 4, "file_exists")
    env = {"CANGKU_BACKUP_KEY_FILE": str(key)}
    assert ok(cli("backup", "-o", str(tmp_path / "k.ckb"), "--json", env=env))["encrypted"] is True
    before = state(company)
    post_one_more(company)

    ok(cli("restore", str(tmp_path / "k.ckb"), "-y", "--key-file", str(key), "--json"))

    assert state(company) == before


def test_a_tampered_backup_exits_4_and_changes_nothing(
    cli: Invoke, company: Database, tmp_path: Path
) -> None:
    ok(cli("backup", "-o", str(tmp_path / "b.ckb"), "--json"))
    data = bytearray((tmp_path / "b.ckb").read_bytes())
    data[len(data) // 2] ^= 0x40
    (tmp_path / "bad.ckb").write_bytes(bytes(data))
    (tmp_path / "cut.ckb").write_bytes(bytes(data[: len(data) // 2]))
    post_one_more(company)
    before = state(company)

    for name in ("bad.ckb", "cut.ckb"):
        failed(cli("restore", str(tmp_path / name), "-y", "--json"), 4, "backup_corrupt")
        failed(cli("backup", "check", str(tmp_path / name), "--json"), 4, "backup_corrupt")
    text = cli("restore", str(tmp_path / "bad.ckb"), "-y")
    assert text.exit_code == 4
    assert text.stderr.startswith("error [backup_corrupt]: the backup fails its integrity check")
    failed(cli("restore", str(tmp_path / "nope.ckb"), "-y", "--json"), 3, "backup_not_found")

    assert state(company) == before


def test_backup_to_a_directory_keeps_the_newest(
    cli: Invoke, company: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    made = [ok(cli("backup", "--dir", str(folder), "--keep", "2", "--json")) for _ in range(3)]
    assert [len(m["pruned"]) for m in made] == [0, 0, 1]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        Path(m["path"]).name for m in made[1:]
    )
    env = {"CANGKU_BACKUP_DIR": str(folder), "CANGKU_BACKUP_KEEP": "1"}
    assert ok(cli("backup", "prune", "--json", env=env))["pruned"] == [Path(made[1]["path"]).name]
    failed(cli("backup", "--json"), 4, "backup_target_missing")


def test_schedule_runs_and_reports_one_json_line_per_run(
    cli: Invoke, company: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "s"
    result = cli(
        "backup", "schedule", "--dir", str(folder), "--every", "6h", "--runs", "1", "--json"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["path"] == str(next(folder.iterdir()))
    bad = cli("backup", "schedule", "--dir", str(folder), "--every", "often", "--json")
    failed(bad, 4, "invalid_interval")


def test_conflicting_options_are_refused(cli: Invoke, company: Database, tmp_path: Path) -> None:
    (tmp_path / "pass").write_text(PASSPHRASE)
    out = str(tmp_path / "b.ckb")
    pass_file = str(tmp_path / "pass")
    both = cli("backup", "-o", out, "--no-encrypt", "--passphrase-file", pass_file, "--json")
    failed(both, 4, "invalid_option")
    failed(cli("backup", "-o", out, "--dir", str(tmp_path), "--json"), 4, "invalid_option")
    failed(cli("backup", "-o", out, "--key-file", pass_file, "--json"), 4, "backup_key_invalid")
    assert not (tmp_path / "b.ckb").exists()
