"""Backup and restore: a round trip brings back every row and both hash chains; a backup is one
snapshot while others write; a backup that fails its check (tampered, truncated, wrong key,
newer schema) is refused and the database stays exactly as it was."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db import audit as audit_store
from cangku.db import backup_file
from cangku.db.backup import sqlite_path
from cangku.db.backup import upgrade as upgrade_on
from cangku.db.schema import current_revision, head_revision
from cangku.db.tables import audit_head, audit_log, ledger_heads, metadata, moves, units
from cangku.db.uow import Database
from cangku.domain.audit import AuditEntry
from cangku.domain.backup import Secret, TableSummary, record, row_line
from cangku.domain.errors import CangkuError
from cangku.queries.verify import verify
from cangku.services import backup as backup_service
from cangku.services.backup import check_backup, make_backup, restore_backup
from cangku.services.backup_schedule import backup_to_directory, run_schedule
from cangku.services.periods import close_period, list_periods, take_checkpoint
from cangku.services.stock import issue_stock, receive_stock, reverse_move, transfer_stock
from cangku.services.stock_commands import Issue, Receive, Reverse, Transfer
from tests.databases import ENGINE
from tests.factories import CTX, build_company

NOW = datetime.now(UTC)
PASSPHRASE = Secret(passphrase="correct horse battery staple")
KEY = Secret(key=bytes(range(32)))


def history(db: Database) -> None:
    """A company with moves in both warehouses, a reversal, a closed period, a checkpoint and
    an audit trail."""
    build_company(db)
    long_ago, earlier = NOW - timedelta(days=40), NOW - timedelta(days=39)
    receive_stock(db, CTX, Receive("BOLT", "100", "WH1-A", unit_cost="1.5", effective_at=long_ago))
    receive_stock(
        db, CTX, Receive("FLOUR", "50", "WH1-B", lot="F1", unit_cost="2", effective_at=earlier)
    )
    receive_stock(db, CTX, Receive("GLUE", "4", "WH2-A", lot="G1", unit_cost="3"))
    issue_stock(db, CTX, Issue("BOLT", "30", "WH1-A", effective_at=NOW - timedelta(days=20)))
    transfer_stock(db, CTX, Transfer("FLOUR", "20", "WH1-B", "WH2-A", lot="F1"))
    wrong = receive_stock(db, CTX, Receive("BOLT", "7", "WH1-A", unit_cost="1.5"))
    reverse_move(db, CTX, Reverse(wrong.moves[0].id, note="typo"))
    close_period(db, CTX, (NOW - timedelta(days=30)).date(), note="month end")
    take_checkpoint(db, CTX, NOW - timedelta(days=10))
    with db.write() as uow:
        for action in ("backup.test.one", "backup.test.two"):
            audit_store.append(uow.conn, AuditEntry(at=NOW, action=action, details={"n": 1}))
        uow.commit()


@pytest.fixture
def company(db: Database) -> Database:
    history(db)
    return db


def heads(db: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The ledger's per-warehouse chain heads and the audit chain head, read directly."""
    with db.read() as conn:
        ledger = conn.execute(select(ledger_heads).order_by(ledger_heads.c.warehouse_id)).all()
        audit = conn.execute(select(audit_head)).all()
    return [tuple(r) for r in ledger], [tuple(r) for r in audit]


def count(db: Database, table: Any = moves) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def fingerprint(db: Database, folder: Path) -> list[TableSummary]:
    """Every table's row count and the hash of all its rows (a fresh backup's manifest)."""
    path = folder / f"fingerprint-{os.urandom(4).hex()}.ckb"
    make_backup(db, path)
    tables = check_backup(path).tables
    path.unlink()
    return tables


def wipe(db: Database) -> None:
    """Lose the database: delete the file (SQLite) or drop every table (PostgreSQL)."""
    db.dispose()
    path = sqlite_path(db.url)
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    with db.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table.name}" CASCADE')
        conn.exec_driver_sql("DROP TABLE alembic_version")


def refused(code: str, call: Callable[[], object]) -> CangkuError:
    with pytest.raises(CangkuError) as caught:
        call()
    assert caught.value.code == code, caught.value.to_dict()
    return caught.value


def rewrite(
    source: Path,
    target: Path,
    *,
    row: Callable[[str, list[Any]], list[Any]] = lambda _, values: values,
    begin: Callable[[dict[str, Any]], None] = lambda _: None,
    end: Callable[[dict[str, Any]], None] = lambda _: None,
    secret: Secret | None = None,
) -> None:
    """Write a well-formed backup (valid checksum or authentication, per-table hashes
    recomputed) whose content differs from ``source``'s as the callbacks say."""
    with source.open("rb") as stream:
        lines = list(backup_file.lines(backup_file.content(stream, None)))
    out: list[bytes] = []
    summaries: list[dict[str, Any]] = []
    table, rows, digest = "", 0, ""
    hasher = hashlib.sha256()
    for line in lines:
        value = json.loads(line)
        if isinstance(value, list):
            new = row_line(row(table, value))
            hasher.update(new)
            rows += 1
            out.append(new)
            continue
        kind = value.pop("kind")
        if kind == "begin":
            begin(value)
        elif kind == "table":
            table, rows, hasher = value["name"], 0, hashlib.sha256()
        elif kind == "end_table":
            digest = hasher.hexdigest()
            value = {"name": table, "rows": rows, "sha256": digest}
            summaries.append(value)
        elif kind == "end":
            value["tables"] = summaries
            end(value)
        out.append(record(kind, **value))
    with target.open("wb") as stream:
        backup_file.write(stream, out, secret)


# ---------------------------------------------------------------- round trips


def test_backup_wipe_restore_brings_back_every_row_and_both_chains(
    company: Database, tmp_path: Path
) -> None:
    before = fingerprint(company, tmp_path)
    chains = heads(company)
    assert [row[:2] for row in chains[0]] == [(1, 6), (2, 1)]  # two warehouse chains
    assert chains[1][0][1] == count(company, audit_log) >= 2  # and the audit chain
    made = make_backup(company, tmp_path / "full.ckb")
    assert (made.revision, made.dialect, made.tables) == (head_revision(), ENGINE, 58)
    wipe(company)

    restored = restore_backup(company, tmp_path / "full.ckb")

    assert (restored.revision, restored.schema_revision, restored.rows) == (
        head_revision(),
        head_revision(),
        made.rows,
    )
    with company.read() as conn:
        report = verify(conn)
    assert (report.problems, report.moves_checked) == ([], 7)
    assert heads(company) == chains
    assert fingerprint(company, tmp_path) == before
    assert current_revision(company.engine) == head_revision()


def test_restore_takes_the_database_back_and_posting_continues_after_it(
    company: Database, tmp_path: Path
) -> None:
    make_backup(company, tmp_path / "b.ckb")
    before = fingerprint(company, tmp_path)
    receive_stock(company, CTX, Receive("BOLT", "5", "WH1-A", unit_cost="1"))
    assert count(company) == 8

    restore_backup(company, tmp_path / "b.ckb")

    assert fingerprint(company, tmp_path) == before
    assert count(company) == 7
    again = receive_stock(company, CTX, Receive("BOLT", "5", "WH1-A", unit_cost="1"))
    with company.read() as conn:
        top = conn.execute(select(func.max(moves.c.id))).scalar_one()
        assert verify(conn).problems == []
    assert again.moves[0].id == top == 8  # the id sequence continues after the restored rows


@pytest.mark.parametrize("secret", [PASSPHRASE, KEY], ids=["passphrase", "key"])
def test_an_encrypted_backup_restores_with_its_secret(
    company: Database, tmp_path: Path, secret: Secret
) -> None:
    before, chains = fingerprint(company, tmp_path), heads(company)
    made = make_backup(company, tmp_path / "e.ckb", secret)
    assert made.encrypted
    assert b"Hex bolt" not in (tmp_path / "e.ckb").read_bytes()
    assert check_backup(tmp_path / "e.ckb", secret).encrypted
    wipe(company)

    restore_backup(company, tmp_path / "e.ckb", secret)

    assert (fingerprint(company, tmp_path), heads(company)) == (before, chains)


def test_a_backup_file_is_readable_by_its_owner_only(company: Database, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    make_backup(company, folder / "b.ckb")
    assert stat.S_IMODE((folder / "b.ckb").stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["b.ckb"]  # no temporary file left


def test_a_backup_at_an_older_schema_is_restored_and_migrated(db: Database, tmp_path: Path) -> None:
    wipe(db)
    with db.engine.begin() as conn:
        upgrade_on(conn, "0001")
        conn.execute(units.insert().values(code="pcs", name="piece", decimals=0))
    made = make_backup(db, tmp_path / "old.ckb")
    assert (made.revision, made.tables) == ("0001", 22)
    assert "audit_head" not in made.heads
    wipe(db)

    restored = restore_backup(db, tmp_path / "old.ckb")

    assert (restored.revision, restored.schema_revision) == ("0001", head_revision())
    assert current_revision(db.engine) == head_revision()
    with db.read() as conn:
        assert conn.execute(select(units.c.code, units.c.name)).all() == [("pcs", "piece")]
    assert heads(db) == ([], [(1, 0, "0" * 64)])  # the audit chain starts with 0002


# ---------------------------------------------------------------- consistency


def test_a_backup_is_one_snapshot_while_another_connection_writes(
    company: Database, tmp_path: Path
) -> None:
    before, chains = fingerprint(company, tmp_path), heads(company)
    writer = Database(company.url)
    written: list[str] = []

    def write_between_tables(table: str, _rows: int) -> None:
        if not written:  # after the first table, before ledger heads, balances and moves
            receive_stock(writer, CTX, Receive("BOLT", "9", "WH1-A", unit_cost="1"))
            written.append(table)

    make_backup(company, tmp_path / "during.ckb", progress=write_between_tables)
    writer.dispose()
    assert written == ["audit_head"] and count(company) == 8

    restore_backup(company, tmp_path / "during.ckb")

    assert (fingerprint(company, tmp_path), heads(company), count(company)) == (before, chains, 7)
    with company.read() as conn:
        assert verify(conn).problems == []


@pytest.mark.skipif(ENGINE != "sqlite", reason="PostgreSQL waits for the reader's locks")
def test_a_connection_open_during_a_sqlite_restore_sees_the_restored_database_next(
    company: Database, tmp_path: Path
) -> None:
    make_backup(company, tmp_path / "b.ckb")
    receive_stock(company, CTX, Receive("BOLT", "5", "WH1-A", unit_cost="1"))
    app = Database(company.url)
    with app.engine.connect() as conn:
        conn.begin()
        assert conn.execute(select(func.count()).select_from(moves)).scalar_one() == 8

        restore_backup(company, tmp_path / "b.ckb")

        assert conn.execute(select(func.count()).select_from(moves)).scalar_one() == 8
        conn.rollback()
        assert conn.execute(select(func.count()).select_from(moves)).scalar_one() == 7
    app.dispose()
    with company.read() as conn:
        assert verify(conn).problems == []


@pytest.mark.postgres_only
def test_a_postgresql_restore_blocked_by_an_open_transaction_gives_up_unchanged(
    company: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_backup(company, tmp_path / "b.ckb")
    receive_stock(company, CTX, Receive("BOLT", "5", "WH1-A", unit_cost="1"))
    expected = fingerprint(company, tmp_path)
    monkeypatch.setattr(backup_service, "LOCK_TIMEOUT_SECONDS", 1)
    app = Database(company.url)
    with app.engine.connect() as conn:
        conn.begin()
        conn.execute(select(func.count()).select_from(moves)).scalar_one()

        refused("concurrent_update", lambda: restore_backup(company, tmp_path / "b.ckb"))

        conn.rollback()
    app.dispose()
    assert (fingerprint(company, tmp_path), count(company)) == (expected, 8)


# ---------------------------------------------------------------- refusals


@pytest.fixture
def changed(company: Database, tmp_path: Path) -> Iterator[tuple[Database, list[TableSummary]]]:
    """A company backed up to plain.ckb (and, encrypted, to sealed.ckb) that changed since:
    a restore would be visible."""
    make_backup(company, tmp_path / "plain.ckb")
    make_backup(company, tmp_path / "sealed.ckb", PASSPHRASE)
    receive_stock(company, CTX, Receive("BOLT", "5", "WH1-A", unit_cost="1"))
    yield company, fingerprint(company, tmp_path)


def unchanged(db: Database, folder: Path, expected: list[TableSummary]) -> None:
    assert fingerprint(db, folder) == expected
    assert count(db) == 8
    if ENGINE == "sqlite":  # no file left beside the database
        assert [p.name for p in folder.iterdir() if "restore" in p.name] == []


@pytest.mark.parametrize("name", ["plain.ckb", "sealed.ckb"])
@pytest.mark.parametrize("where", [0.1, 0.5, 0.97], ids=["start", "middle", "end"])
def test_a_tampered_backup_is_refused_and_nothing_changes(
    changed: tuple[Database, list[TableSummary]], tmp_path: Path, name: str, where: float
) -> None:
    db, expected = changed
    data = bytearray((tmp_path / name).read_bytes())
    data[int(len(data) * where)] ^= 0x01
    (tmp_path / "tampered.ckb").write_bytes(bytes(data))
    secret = PASSPHRASE if name == "sealed.ckb" else None

    refused("backup_corrupt", lambda: restore_backup(db, tmp_path / "tampered.ckb", secret))

    unchanged(db, tmp_path, expected)


@pytest.mark.parametrize("name", ["plain.ckb", "sealed.ckb"])
@pytest.mark.parametrize("keep", [0.0, 0.5, -1], ids=["empty", "half", "last-byte-cut"])
def test_a_truncated_backup_is_refused_and_nothing_changes(
    changed: tuple[Database, list[TableSummary]], tmp_path: Path, name: str, keep: float
) -> None:
    db, expected = changed
    data = (tmp_path / name).read_bytes()
    cut = len(data) - 1 if keep == -1 else int(len(data) * keep)
    (tmp_path / "cut.ckb").write_bytes(data[:cut])
    secret = PASSPHRASE if name == "sealed.ckb" else None

    refused("backup_corrupt", lambda: restore_backup(db, tmp_path / "cut.ckb", secret))

    unchanged(db, tmp_path, expected)


def test_a_backup_with_data_appended_is_refused(
    changed: tuple[Database, list[TableSummary]], tmp_path: Path
) -> None:
    db, expected = changed
    (tmp_path / "long.ckb").write_bytes((tmp_path / "sealed.ckb").read_bytes() + b"\0")
    refused("backup_corrupt", lambda: restore_backup(db, tmp_path / "long.ckb", PASSPHRASE))
    unchanged(db, tmp_path, expected)


@pytest.mark.parametrize(
    "secret",
    [Secret(passphrase="wrong horse"), KEY, None],
    ids=["wrong-passphrase", "key-instead-of-passphrase", "none"],
)
def test_an_encrypted_backup_without_its_secret_is_refused(
    changed: tuple[Database, list[TableSummary]], tmp_path: Path, secret: Secret | None
) -> None:
    db, expected = changed
    code = "backup_key_required" if secret is None else "backup_wrong_key"
    refused(code, lambda: restore_backup(db, tmp_path / "sealed.ckb", secret))
    refused(code, lambda: check_backup(tmp_path / "sealed.ckb", secret))
    unchanged(db, tmp_path, expected)


def test_a_key_file_backup_refuses_another_key(company: Database, tmp_path: Path) -> None:
    make_backup(company, tmp_path / "k.ckb", KEY)
    other = Secret(key=bytes(32))
    refused("backup_wrong_key", lambda: check_backup(tmp_path / "k.ckb", other))
    refused("backup_wrong_key", lambda: check_backup(tmp_path / "k.ckb", PASSPHRASE))


def test_a_backup_from_a_newer_schema_is_refused_and_nothing_changes(
    changed: tuple[Database, list[TableSummary]], tmp_path: Path
) -> None:
    db, expected = changed
    rewrite(
        tmp_path / "plain.ckb",
        tmp_path / "newer.ckb",
        begin=lambda b: b.update(revision="9999"),
        secret=PASSPHRASE,
    )
    error = refused(
        "backup_newer_schema", lambda: restore_backup(db, tmp_path / "newer.ckb", PASSPHRASE)
    )
    assert error.data == {"revision": "9999"}
    unchanged(db, tmp_path, expected)


def test_rows_that_do_not_match_their_table_hash_are_refused(
    changed: tuple[Database, list[TableSummary]], tmp_path: Path
) -> None:
    db, expected = changed
    data = (tmp_path / "plain.ckb").open("rb")
    with data:
        lines = list(backup_file.lines(backup_file.content(data, None)))
    edited = [
        line.replace(b'"Hex bolt M8"', b'"Hex bolt M9"') if line.startswith(b"[") else line
        for line in lines
    ]
    assert edited != lines
    with (tmp_path / "edited.ckb").open("wb") as out:  # a valid checksum over edited rows
        backup_file.write(out, edited, None)

    error = refused("backup_corrupt", lambda: restore_backup(db, tmp_path / "edited.ckb"))

    assert error.data == {"table": "items"}
    unchanged(db, tmp_path, expected)


def test_a_manifest_whose_chain_heads_differ_from_the_data_is_refused(
    changed: tuple[Database, list[TableSummary]], tmp_path: Path
) -> None:
    db, expected = changed

    def forge(end: dict[str, Any]) -> None:
        end["heads"]["ledger_heads"][0]["last_hash"] = "f" * 64

    rewrite(tmp_path / "plain.ckb", tmp_path / "forged.ckb", end=forge)
    refused("backup_corrupt", lambda: restore_backup(db, tmp_path / "forged.ckb"))
    unchanged(db, tmp_path, expected)


def test_rows_the_schema_refuses_roll_the_whole_restore_back(
    changed: tuple[Database, list[TableSummary]], tmp_path: Path
) -> None:
    """Consistent hashes, but a move names an item that does not exist: the restore fails
    while inserting (after the old tables were dropped, on PostgreSQL) and is rolled back."""
    db, expected = changed

    def dangling(table: str, values: list[Any]) -> list[Any]:
        if table == "moves" and values[0] == 7:
            values[3] = 999
        return values

    rewrite(tmp_path / "plain.ckb", tmp_path / "dangling.ckb", row=dangling)
    check_backup(tmp_path / "dangling.ckb")  # passes its own checks

    refused("backup_corrupt", lambda: restore_backup(db, tmp_path / "dangling.ckb"))

    unchanged(db, tmp_path, expected)


def test_a_file_that_is_not_a_backup_is_refused(
    changed: tuple[Database, list[TableSummary]], tmp_path: Path
) -> None:
    db, expected = changed
    (tmp_path / "notes.txt").write_text("hello")
    refused("backup_corrupt", lambda: restore_backup(db, tmp_path / "notes.txt"))
    refused("backup_not_found", lambda: restore_backup(db, tmp_path / "missing.ckb"))
    unchanged(db, tmp_path, expected)


def test_a_restore_the_operator_does_not_confirm_changes_nothing(
    changed: tuple[Database, list[TableSummary]], tmp_path: Path
) -> None:
    db, expected = changed
    seen: list[int] = []

    def decline(summary: Any) -> bool:
        seen.append(summary.rows)
        return False

    refused(
        "restore_not_confirmed",
        lambda: restore_backup(db, tmp_path / "plain.ckb", confirm=decline),
    )
    assert seen == [check_backup(tmp_path / "plain.ckb").rows]
    unchanged(db, tmp_path, expected)


def test_a_database_without_a_schema_is_not_backed_up(db: Database, tmp_path: Path) -> None:
    wipe(db)
    refused("backup_no_schema", lambda: make_backup(db, tmp_path / "none.ckb"))
    assert [p.name for p in tmp_path.iterdir() if p.suffix in (".ckb", ".partial")] == []


# ---------------------------------------------------------------- across engines


@pytest.mark.postgres_only
def test_a_sqlite_backup_restores_into_postgresql_and_back(
    company: Database, tmp_path: Path
) -> None:
    before, chains = fingerprint(company, tmp_path), heads(company)
    make_backup(company, tmp_path / "pg.ckb")
    lite = Database(f"sqlite:///{tmp_path / 'lite.db'}")
    restore_backup(lite, tmp_path / "pg.ckb")
    assert (fingerprint(lite, tmp_path), heads(lite)) == (before, chains)
    with lite.read() as conn:
        assert verify(conn).problems == []
    make_backup(lite, tmp_path / "lite.ckb")
    lite.dispose()
    wipe(company)

    restored = restore_backup(company, tmp_path / "lite.ckb")

    assert (restored.backup_dialect, restored.dialect) == ("sqlite", "postgresql")
    assert (fingerprint(company, tmp_path), heads(company)) == (before, chains)
    with company.read() as conn:
        assert verify(conn).problems == []


# ---------------------------------------------------------------- retention and schedule


def test_backups_in_a_directory_are_named_by_time_and_pruned_to_keep(
    company: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup")
    results = [backup_to_directory(company, folder, keep=2) for _ in range(3)]

    names = sorted(p.name for p in folder.iterdir())
    made = [Path(r.path).name for r in results]
    assert names == sorted(made[1:]) + ["notes.txt"]
    assert [r.pruned for r in results] == [[], [], [made[0]]]
    assert all(n.startswith("cangku-") and n.endswith("Z.ckb") for n in made)
    assert made == sorted(made)


def test_the_schedule_backs_up_at_every_interval_and_keeps_the_newest(
    company: Database, tmp_path: Path
) -> None:
    slept: list[float] = []
    outcomes: list[Any] = []
    runs = run_schedule(
        company,
        tmp_path / "s",
        2,
        timedelta(hours=6),
        KEY,
        runs=3,
        report=outcomes.append,
        sleep=slept.append,
    )
    assert (runs, slept) == (3, [21600.0, 21600.0])
    assert [type(o).__name__ for o in outcomes] == ["BackupResult"] * 3
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        Path(o.path).name for o in outcomes[1:]
    ]
    assert check_backup(Path(outcomes[-1].path), KEY).rows == outcomes[-1].rows


def test_a_failed_scheduled_run_is_reported_and_the_schedule_goes_on(
    db: Database, tmp_path: Path
) -> None:
    wipe(db)
    outcomes: list[Any] = []
    run_schedule(
        db, tmp_path / "s", 2, timedelta(minutes=1), runs=2, report=outcomes.append, sleep=print
    )
    assert [getattr(o, "code", None) for o in outcomes] == ["backup_no_schema"] * 2


def test_an_empty_table_and_a_date_survive_the_round_trip(db: Database, tmp_path: Path) -> None:
    build_company(db)
    close_period(db, CTX, date(2020, 1, 31))
    make_backup(db, tmp_path / "d.ckb")
    summary = check_backup(tmp_path / "d.ckb")
    assert {t.name: t.rows for t in summary.tables}["moves"] == 0
    wipe(db)
    restore_backup(db, tmp_path / "d.ckb")
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(moves)).scalar_one() == 0
    assert [p.closed_through for p in list_periods(db)] == [date(2020, 1, 31)]
