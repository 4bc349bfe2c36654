"""Single-move posting through the service layer, next to a raw-driver baseline.

Each service posting is one transaction through ``services.stock.receive_stock`` or
``transfer_stock`` (fresh Context, no idempotency key). The baseline does, per transaction
and with the plain driver (sqlite3 / psycopg): BEGIN; INSERT one row into a table shaped like
``moves`` (same columns and indexes); upsert one balance row; COMMIT. Same database, same run.

    .venv/bin/python bench/posting.py [--engines sqlite,postgresql] [--n 2000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url

from cangku.db.uow import Database
from cangku.services.common import Context
from cangku.services.items import ItemInput, create_item
from cangku.services.setup import initialize
from cangku.services.stock import receive_stock, transfer_stock
from cangku.services.stock_commands import Receive, Transfer
from cangku.services.warehouses import (
    LocationInput,
    WarehouseInput,
    create_location,
    create_warehouse,
)
from support import Figure, fresh_database, percentile, pg_connect, print_table, save

TARGET_RATIO = 0.5
RAW_COLUMNS = (
    "warehouse_id, seq, item_id, lot_id, quantity, from_location_id, to_location_id, unit_cost, "
    "value, effective_at, recorded_at, operation, reason_code, document_type, document_id, "
    "document_line, user_id, reverses_move_id, note, prev_hash, hash"
)


def prepare(db: Database) -> None:
    ctx = Context()
    initialize(db)
    create_warehouse(db, ctx, WarehouseInput("WH1", "Bench warehouse"))
    for code in ("WH1-A", "WH1-B"):
        create_location(db, ctx, LocationInput(code, code, warehouse="WH1"))
    create_item(db, ctx, ItemInput("BOLT", "Hex bolt M8", "spare_part"))


def run_service(db: Database, n: int, operation: str) -> list[float]:
    """Post ``n`` single-move transactions; return each one's latency in seconds."""
    latencies = []
    for i in range(n):
        started = time.perf_counter()
        if operation == "receive":
            receive_stock(db, Context(), Receive("BOLT", "5", "WH1-A", unit_cost="1.25"))
        else:
            src, dst = ("WH1-A", "WH1-B") if i % 2 == 0 else ("WH1-B", "WH1-A")
            transfer_stock(db, Context(), Transfer("BOLT", "1", src, dst))
        latencies.append(time.perf_counter() - started)
    return latencies


# ------------------------------------------------------------------ raw baseline
def _ddl(integer_key: str, timestamp: str) -> list[str]:
    return [
        f"""CREATE TABLE raw_moves (id {integer_key}, warehouse_id BIGINT NOT NULL,
        seq BIGINT NOT NULL, item_id BIGINT NOT NULL, lot_id BIGINT, quantity BIGINT NOT NULL,
        from_location_id BIGINT NOT NULL, to_location_id BIGINT NOT NULL,
        unit_cost BIGINT NOT NULL, value BIGINT NOT NULL, effective_at {timestamp} NOT NULL,
        recorded_at {timestamp} NOT NULL, operation VARCHAR(20) NOT NULL,
        reason_code VARCHAR(64), document_type VARCHAR(40), document_id VARCHAR(64),
        document_line INTEGER, user_id BIGINT NOT NULL, reverses_move_id BIGINT, note TEXT,
        prev_hash VARCHAR(64) NOT NULL, hash VARCHAR(64) NOT NULL, UNIQUE (warehouse_id, seq))""",
        "CREATE INDEX ix_raw_item ON raw_moves (item_id, effective_at)",
        "CREATE INDEX ix_raw_eff ON raw_moves (effective_at)",
        "CREATE INDEX ix_raw_from ON raw_moves (from_location_id, effective_at)",
        "CREATE INDEX ix_raw_to ON raw_moves (to_location_id, effective_at)",
        """CREATE TABLE raw_balances (item_id BIGINT NOT NULL, location_id BIGINT NOT NULL,
        lot_key BIGINT NOT NULL, on_hand BIGINT NOT NULL,
        PRIMARY KEY (item_id, location_id, lot_key))""",
    ]


_UPSERT = (
    "INSERT INTO raw_balances (item_id, location_id, lot_key, on_hand) VALUES ({p}, {p}, 0, {p}) "
    "ON CONFLICT (item_id, location_id, lot_key) "
    "DO UPDATE SET on_hand = raw_balances.on_hand + excluded.on_hand"
)
_INSERT = "INSERT INTO raw_moves (" + RAW_COLUMNS + ") VALUES ({marks})"  # noqa: S608


def _row(seq: int, now: Any) -> tuple[Any, ...]:
    return (1, seq, 1, None, 5_000_000, 1, 7, 1_250_000, 6_250_000, now, now, "receive",
            None, None, None, None, 1, None, None, "0" * 64, "f" * 64)  # fmt: skip


def raw_sqlite(url: str, n: int) -> list[float]:
    conn = sqlite3.connect(make_url(url).database or "", isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    for statement in _ddl("INTEGER PRIMARY KEY", "TEXT"):
        conn.execute(statement)
    insert = _INSERT.format(marks=", ".join(["?"] * 21))
    upsert = _UPSERT.format(p="?")
    latencies = []
    for seq in range(1, n + 1):
        started = time.perf_counter()
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(insert, _row(seq, now))
        conn.execute(upsert, (1, 1, 5_000_000))
        conn.execute("COMMIT")
        latencies.append(time.perf_counter() - started)
    conn.close()
    return latencies


def raw_postgresql(url: str, n: int) -> list[float]:
    with pg_connect(url) as conn:
        for statement in _ddl("BIGSERIAL PRIMARY KEY", "TIMESTAMPTZ"):
            conn.execute(statement)
        conn.commit()
        insert = _INSERT.format(marks=", ".join(["%s"] * 21))
        upsert = _UPSERT.format(p="%s")
        latencies = []
        for seq in range(1, n + 1):
            started = time.perf_counter()
            now = datetime.now(UTC)
            with conn.cursor() as cur:  # psycopg opens the transaction on the first statement
                cur.execute(insert, _row(seq, now))
                cur.execute(upsert, (1, 1, 5_000_000))
            conn.commit()
            latencies.append(time.perf_counter() - started)
    return latencies


# ------------------------------------------------------------------ the run
def figures_for(engine: str, name: str, latencies: list[float]) -> list[Figure]:
    total = sum(latencies)
    return [
        Figure(f"{engine} {name} moves/s", len(latencies) / total, "/s"),
        Figure(f"{engine} {name} p50", percentile(latencies, 0.5) * 1000, "ms"),
        Figure(f"{engine} {name} p95", percentile(latencies, 0.95) * 1000, "ms"),
    ]


def bench_engine(engine: str, n: int, profile: bool) -> list[Figure]:
    with fresh_database(engine) as url:
        db = Database(url)
        prepare(db)
        run_service(db, 50, "receive")  # warm up: imports, statement caches, pool
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        received = run_service(db, n, "receive")
        moved = run_service(db, n, "transfer")
        if profiler:
            profiler.disable()
            show_profile(profiler, engine)
        floor = (driver_seconds if engine == "sqlite" else wait_seconds)(engine, db, n // 2)
        db.dispose()
        raw: Callable[[str, int], list[float]] = (
            raw_sqlite if engine == "sqlite" else raw_postgresql
        )
        baseline = raw(url, n)
    figures = (
        figures_for(engine, "service receive", received)
        + figures_for(engine, "service transfer", moved)
        + figures_for(engine, "raw driver", baseline)
    )
    raw_rate = n / sum(baseline)
    for name, latencies in (("receive", received), ("transfer", moved)):
        ratio = n / sum(latencies) / raw_rate
        figures.append(
            Figure(f"{engine} {name} / raw", ratio * 100, "%", ">= 50 %", ratio >= TARGET_RATIO)
        )
    # the ceiling: a posting's statements alone, none of our Python around them
    figures.append(Figure(f"{engine} inside the driver per posting", floor * 1000, "ms"))
    figures.append(
        Figure(f"{engine} ceiling: raw / driver-only posting", 100 / (floor * raw_rate), "%")
    )
    return figures


#: the driver's own calls: time spent in them is the database's work plus the round trips
_DRIVER_CALLS = {
    "sqlite": ("sqlite3.Connection", "sqlite3.Cursor"),
}


def driver_seconds(engine: str, db: Database, n: int) -> float:
    """Seconds per posting spent inside sqlite3 (statements, BEGIN and COMMIT): what a posting
    would cost with no Python of ours at all. Measured with cProfile on ``n`` receipts and ``n``
    transfers (top-level driver calls only; sqlite3 is C, so the profiler adds little to it).
    Not for psycopg (most of it is Python, which the profiler slows): see ``wait_seconds``."""
    profiler = cProfile.Profile()
    profiler.enable()
    run_service(db, n, "receive")
    run_service(db, n, "transfer")
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = 0.0
    for (path, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        callers = row[4]
        where = f"{path}:{name}" if path != "~" else name
        if not any(mark in where for mark in _DRIVER_CALLS[engine]):
            continue
        # count a driver call only where our code or SQLAlchemy called it (not driver -> driver)
        outside = sum(
            timing[3]
            for caller, timing in callers.items()
            if not any(mark in f"{caller[0]}:{caller[2]}" for mark in _DRIVER_CALLS[engine])
        )
        total += outside
    return total / (2 * n)


def wait_seconds(_engine: str, db: Database, n: int) -> float:
    """Seconds per posting that psycopg spends waiting for the server (sending, the server's
    work, the network, receiving: ``Connection.wait``), over ``n`` receipts and ``n``
    transfers: a posting cannot be faster than that, however little Python runs around it."""
    import psycopg

    original = psycopg.Connection.wait
    spent = [0.0]

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    psycopg.Connection.wait = timed  # type: ignore[method-assign]
    try:
        run_service(db, n, "receive")
        run_service(db, n, "transfer")
    finally:
        psycopg.Connection.wait = original  # type: ignore[method-assign]
    return spent[0] / (2 * n)


def show_profile(profiler: cProfile.Profile, engine: str) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(45)
    print(f"\n--- cProfile, {engine}, service receive + transfer (cumulative) ---")
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--n", type=int, default=2000, help="transactions per measurement")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the service")
    args = parser.parse_args()
    figures: list[Figure] = []
    for engine in args.engines.split(","):
        figures += bench_engine(engine.strip(), args.n, args.profile)
    print_table(f"single-move posting, N={args.n}", figures)
    path = save("posting", {"n": args.n, "engines": args.engines}, figures)
    print(f"\nsaved {path}")


if __name__ == "__main__":
    main()
