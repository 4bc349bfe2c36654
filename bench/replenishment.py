"""The replenishment recompute (issue 16, ADR 0032) on a ledger: N items x 2 warehouses with two
years of daily demand written as real ledger rows (issues from a bin to the warehouse's customer
location), then ``services.replenishment.levels.recompute_levels`` for every warehouse, timed,
with the process's peak memory; on SQLite and PostgreSQL.

The moves are inserted straight into ``moves`` (executemany on SQLite, COPY on PostgreSQL),
without balances, costs or a valid hash chain: the recompute reads only the moves, the
documents (no purchase orders here: every lead time falls back to the default) and the ABC
runs. Per series, at random: a day has an issue with chance ``--density`` (default 0.1, a long
tail of slow movers), of 1 + Poisson(mean 1-20) pieces.

    .venv/bin/python bench/replenishment.py [--engine sqlite|postgresql|both] [--items 50000]
                                           [--density 0.1] [--seed 16]
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select

from bulk import WAREHOUSES, master_data
from cangku.db.tables import items, locations, warehouses
from cangku.db.types import to_micros
from cangku.db.uow import Database
from cangku.services.common import Context
from cangku.services.replenishment.levels import recompute_levels
from support import Figure, fresh_database, peak_rss_mb, pg_connect, print_table, save

DAYS = 728
COLUMNS = (
    "warehouse_id", "seq", "item_id", "quantity", "from_location_id", "to_location_id",
    "unit_cost", "value", "effective_at", "recorded_at", "operation", "user_id", "prev_hash",
    "hash",
)  # fmt: skip


def places(db: Database) -> dict[int, tuple[int, int]]:
    """Per warehouse id: (its first bin, its customer location)."""
    with db.read() as conn:
        rows = conn.execute(select(locations.c.warehouse_id, locations.c.id, locations.c.kind))
        found: dict[int, dict[str, int]] = {}
        for warehouse_id, location_id, kind in rows:
            found.setdefault(int(warehouse_id), {}).setdefault(kind, int(location_id))
    return {w: (k["internal"], k["customer"]) for w, k in found.items()}


def demand_rows(
    item_ids: list[int], warehouse_places: dict[int, tuple[int, int]], density: float, seed: int
) -> Iterator[list[tuple[Any, ...]]]:
    """The issue rows, a block of items at a time (each item in every warehouse)."""
    rng = np.random.default_rng(seed)
    zone = ZoneInfo("Asia/Shanghai")
    today = datetime.now(UTC).astimezone(zone).date()
    days = [
        datetime.combine(today - timedelta(days=DAYS - n), clock(12), zone).astimezone(UTC)
        for n in range(DAYS)
    ]
    seq = dict.fromkeys(warehouse_places, 0)
    recorded = datetime.now(UTC)
    for start in range(0, len(item_ids), 500):
        block = item_ids[start : start + 500]
        rows: list[tuple[Any, ...]] = []
        for warehouse_id, (bin_id, customer_id) in warehouse_places.items():
            means = rng.uniform(1, 20, len(block))[:, None]
            sold = rng.random((len(block), DAYS)) < density
            sizes = 1 + rng.poisson(np.broadcast_to(means, (len(block), DAYS)))
            for row, day in zip(*np.nonzero(sold), strict=True):
                seq[warehouse_id] += 1
                quantity = int(sizes[row, day]) * 10**6
                rows.append((
                    warehouse_id, seq[warehouse_id], block[row], quantity, bin_id, customer_id,
                    0, 0, days[day], recorded, "issue", 1, "", "",
                ))  # fmt: skip
        yield rows


def insert_sqlite(url: str, blocks: Iterator[list[tuple[Any, ...]]]) -> int:
    path = url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    marks = ", ".join("?" * len(COLUMNS))
    sql = f"INSERT INTO moves ({', '.join(COLUMNS)}) VALUES ({marks})"  # noqa: S608 (constants)
    count = 0
    for rows in blocks:
        conn.executemany(sql, [(*r[:8], to_micros(r[8]), to_micros(r[9]), *r[10:]) for r in rows])
        count += len(rows)
    conn.commit()
    conn.close()
    return count


def insert_postgresql(url: str, blocks: Iterator[list[tuple[Any, ...]]]) -> int:
    count = 0
    with pg_connect(url) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY moves ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for rows in blocks:
                for row in rows:
                    copy.write_row(row)
                count += len(rows)
        conn.execute("ANALYZE moves")
        conn.commit()
    return count


def run(engine: str, args: argparse.Namespace) -> list[Figure]:
    figures: list[Figure] = []
    with fresh_database(engine) as url:
        db = Database(url)
        began = time.perf_counter()
        master_data(db, args.items, len(WAREHOUSES))
        with db.read() as conn:
            item_ids = [
                int(i) for i in conn.execute(select(items.c.id).order_by(items.c.id)).scalars()
            ]
            assert len(conn.execute(select(warehouses.c.id)).all()) == len(WAREHOUSES)
        blocks = demand_rows(item_ids, places(db), args.density, args.seed)
        insert = insert_sqlite if engine == "sqlite" else insert_postgresql
        moves = insert(url, blocks)
        built = time.perf_counter() - began
        figures.append(Figure(f"{engine}: ledger built ({moves:,} moves)", built, "s"))
        db = Database(url)  # a fresh pool after the direct inserts
        began = time.perf_counter()
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            done = profiler.runcall(recompute_levels, db, Context("admin"))
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        else:
            done = recompute_levels(db, Context("admin"))
        seconds = time.perf_counter() - began
        figures.append(
            Figure(
                f"{engine}: recompute {args.items} items x {len(WAREHOUSES)} warehouses "
                f"({done.computed} rows, methods {done.methods})",
                seconds,
                "s",
                "< 60 s",
                seconds < 60,
            )  # fmt: skip
        )
        figures.append(Figure(f"{engine}: peak memory", peak_rss_mb(), "MB"))
        db.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--density", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--profile", action="store_true", help="cProfile of the recompute")
    args = parser.parse_args()
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    figures = [f for engine in engines for f in run(engine, args)]
    print_table("replenishment recompute", figures)
    save("replenishment", vars(args), figures)


if __name__ == "__main__":
    main()
