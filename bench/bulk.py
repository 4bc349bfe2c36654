"""Bulk posting of a year of history, then the reads that matter on that database.

1,000,000 moves over 10,000 items and 500 locations (two warehouses) through
``services.bulk.post_bulk``: receipts from the supplier with a cost, transfers between storage
locations, issues to customers, in chronological order over ~12 months, never issuing more than
is on hand. Then: on hand of one item, one item as of a past date, all items as of a past date
(without and with a checkpoint near it), FIFO stock value, verify, and peak memory.

    .venv/bin/python bench/bulk.py [--moves 1000000] [--items 10000] [--locations 500]
                                   [--engine sqlite|postgresql] [--profile] [--keep]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, String, cast, func, insert, literal, select, update

from cangku.db.tables import items, locations, warehouses
from cangku.db.uow import Database
from cangku.queries.asof import (
    Anchor,
    choose_anchor,
    item_total_as_of,
    quantities_select,
    stock_as_of,
)
from cangku.queries.stock import StockFilter, totals
from cangku.queries.valuation import stock_value
from cangku.queries.verify import verify
from cangku.services.bulk import BulkMove, post_bulk
from cangku.services.common import Context
from cangku.services.periods import take_checkpoint
from cangku.services.setup import initialize
from cangku.services.warehouses import WarehouseInput, create_warehouse
from support import OUT, Figure, fresh_database, median_ms, peak_rss_mb, print_table, save, timed

CTX = Context()
WAREHOUSES = ("WH1", "WH2")
TYPES = ("raw_material", "semi_finished", "finished_good", "spare_part", "consumable")


# ------------------------------------------------------------------ master data
def master_data(
    db: Database, n_items: int, n_locations: int
) -> tuple[list[str], dict[str, list[str]]]:
    """Warehouses through the service (ledger heads, virtual locations); items and storage
    locations set-based through SQLAlchemy Core."""
    initialize(db)
    for code in WAREHOUSES:
        create_warehouse(db, CTX, WarehouseInput(code, f"Bench warehouse {code}"))
    now = datetime.now(UTC)
    item_codes = [f"ITEM-{i:06d}" for i in range(n_items)]
    by_warehouse: dict[str, list[str]] = {w: [] for w in WAREHOUSES}
    with db.write() as uow:
        conn = uow.conn
        conn.execute(
            insert(items),
            [
                {"code": code, "name": f"Bench item {i}", "item_type": TYPES[i % 5],
                 "base_unit": "pcs", "tracking": "none",
                 "costing_method": "moving_average" if i % 4 == 3 else "fifo",
                 "active": True, "version": 1, "created_at": now, "updated_at": now}
                for i, code in enumerate(item_codes)
            ],
        )  # fmt: skip
        ids = dict(conn.execute(select(warehouses.c.code, warehouses.c.id)).all())
        rows = []
        for i in range(n_locations):
            warehouse = WAREHOUSES[i % len(WAREHOUSES)]
            code = f"{warehouse}-B{i:04d}"
            by_warehouse[warehouse].append(code)
            rows.append({"warehouse_id": ids[warehouse], "code": code, "name": f"Bin {code}",
                         "kind": "internal", "level": "bin", "path": "/", "active": True,
                         "version": 1, "created_at": now, "updated_at": now})  # fmt: skip
        conn.execute(insert(locations), rows)
        conn.execute(
            update(locations)
            .where(locations.c.path == "/")
            .values(path=literal("/") + cast(locations.c.id, String) + "/")
        )
        uow.commit()
    return item_codes, by_warehouse


# ------------------------------------------------------------------ the moves
class History:
    """Generates the moves and keeps the stock they leave, so no issue exceeds on hand."""

    def __init__(self, seed: int, item_codes: list[str], bins: dict[str, list[str]]) -> None:
        self.rng = random.Random(seed)
        self.items = item_codes
        self.bins = bins
        self.stock: dict[tuple[str, str, str], int] = {}  # (warehouse, item, bin) -> qty
        self.keys: list[tuple[str, str, str]] = []  # keys with stock, for random choice
        self.index: dict[tuple[str, str, str], int] = {}
        self.generating = 0.0

    def _add(self, key: tuple[str, str, str], qty: int) -> None:
        left = self.stock.get(key, 0) + qty
        if left > 0:
            self.stock[key] = left
            if key not in self.index:
                self.index[key] = len(self.keys)
                self.keys.append(key)
            return
        self.stock.pop(key, None)
        position = self.index.pop(key)
        last = self.keys.pop()
        if position < len(self.keys):
            self.keys[position] = last
            self.index[last] = position

    def moves(self, n: int, start: datetime, end: datetime) -> Iterator[BulkMove]:
        step = (end - start) / n
        rng = self.rng
        for i in range(n):
            began = time.perf_counter()
            at = start + step * i
            roll = rng.random()
            if roll < 0.3 or len(self.keys) < 1000:
                move = self._receive(at)
            elif roll < 0.7:
                move = self._transfer(at)
            else:
                move = self._issue(at)
            self.generating += time.perf_counter() - began
            yield move

    def _receive(self, at: datetime) -> BulkMove:
        warehouse = self.rng.choice(WAREHOUSES)
        item = self.rng.choice(self.items)
        where = self.rng.choice(self.bins[warehouse])
        qty = self.rng.randint(10, 200)
        self._add((warehouse, item, where), qty)
        cost = f"{self.rng.randint(50, 50_000) / 100:.2f}"
        return BulkMove(item, str(qty), f"{warehouse}/SUPPLIER", where, "receive", unit_cost=cost,
                        effective_at=at, document_type="receipt")  # fmt: skip

    def _taken(self) -> tuple[tuple[str, str, str], int]:
        key = self.keys[self.rng.randrange(len(self.keys))]
        available = self.stock[key]
        return key, self.rng.randint(1, max(1, available // 2)) if available > 1 else 1

    def _transfer(self, at: datetime) -> BulkMove:
        (warehouse, item, src), qty = self._taken()
        dst = self.rng.choice(self.bins[warehouse])
        if dst == src:
            return self._issue(at)
        self._add((warehouse, item, src), -qty)
        self._add((warehouse, item, dst), qty)
        return BulkMove(item, str(qty), src, dst, "move", effective_at=at)

    def _issue(self, at: datetime) -> BulkMove:
        (warehouse, item, src), qty = self._taken()
        self._add((warehouse, item, src), -qty)
        return BulkMove(item, str(qty), src, f"{warehouse}/CUSTOMER", "issue", effective_at=at,
                        document_type="shipment")  # fmt: skip


# ------------------------------------------------------------------ the run
def post(db: Database, history: History, n: int, batch: int, profile: bool) -> tuple[float, float]:
    """Post ``n`` moves; return (seconds including generation, seconds generating)."""
    end = datetime.now(UTC) - timedelta(days=1)
    start = end - timedelta(days=365)
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    result, seconds = timed(lambda: post_bulk(db, CTX, history.moves(n, start, end), batch))
    if profiler:
        profiler.disable()
        show_profile(profiler)
        OUT.mkdir(exist_ok=True)
        profiler.dump_stats(OUT / "bulk.prof")
    assert result.posted == n, result
    return seconds, history.generating


def show_profile(profiler: cProfile.Profile) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(30)
        print(f"\n--- cProfile of post_bulk, by {order} ---\n{out.getvalue()}")


def sql_only(conn: Connection, past: datetime, anchor: Anchor) -> float:
    """The as-of query alone: summed in the database, no rows brought to Python."""
    q = quantities_select(conn, past, StockFilter(), anchor).subquery()
    _, seconds = timed(lambda: conn.execute(select(func.count(), func.sum(q.c.on_hand))).one())
    return float(seconds)


def reads(db: Database, item_codes: list[str], past: datetime) -> list[Figure]:
    rng = random.Random(7)
    sample = [rng.choice(item_codes) for _ in range(50)]
    figures = []
    with db.read() as conn:
        now = datetime.now(UTC)
        ms = median_ms(lambda i: totals(conn, StockFilter(item=sample[i])))
        figures.append(Figure("on hand, one item (median of 50)", ms, "ms", "< 2 ms", ms < 2))
        ms = median_ms(lambda i: item_total_as_of(conn, sample[i], past, now))
        figures.append(Figure("one item as of a past date (median of 50)", ms, "ms", "< 10 ms",
                              ms < 10))  # fmt: skip
        count, seconds = timed(lambda: len(stock_as_of(conn, past, StockFilter(), now, "balances")))
        figures.append(Figure(f"all items as of a past date, no checkpoint ({count} rows)",
                              seconds, "s", "< 1 s", seconds < 1))  # fmt: skip
        seconds = sql_only(conn, past, Anchor(None, None))
        figures.append(Figure("  the same, SQL only (summed in the database)", seconds, "s"))
        print(f"peak RSS so far: {peak_rss_mb():.0f} MB ({figures[-2].metric})")
    _, seconds = timed(lambda: take_checkpoint(db, CTX, as_of=past - timedelta(hours=12)))
    figures.append(Figure("take a checkpoint 12 h before that date", seconds, "s"))
    with db.read() as conn:
        now = datetime.now(UTC)
        count, seconds = timed(lambda: len(stock_as_of(conn, past, StockFilter(), now, "auto")))
        figures.append(Figure(f"all items as of a past date, with checkpoint ({count} rows)",
                              seconds, "s", "< 1 s", seconds < 1))  # fmt: skip
        seconds = sql_only(conn, past, choose_anchor(conn, past, now, "checkpoint"))
        figures.append(Figure("  the same, SQL only (summed in the database)", seconds, "s"))
        print(f"peak RSS so far: {peak_rss_mb():.0f} MB ({figures[-2].metric})")
        value, seconds = timed(lambda: stock_value(conn, now))
        figures.append(Figure(f"FIFO stock value, all items ({len(value.items)} items)", seconds,
                              "s", "< 2 s", seconds < 2))  # fmt: skip
        report, seconds = timed(lambda: verify(conn))
        print(f"peak RSS so far: {peak_rss_mb():.0f} MB (stock value)")
        label = f"verify ({report.moves_checked} moves, {len(report.problems)} problems)"
        figures.append(Figure(label, seconds, "s", "< 60 s", seconds < 60 and report.ok))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--locations", type=int, default=500)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile the bulk posting")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    with fresh_database(args.engine, keep=args.keep) as url:
        db = Database(url)
        (codes, bins), setup_seconds = timed(lambda: master_data(db, args.items, args.locations))
        print(
            f"master data: {args.items} items, {args.locations} locations in {setup_seconds:.1f} s"
        )
        history = History(args.seed, codes, bins)
        seconds, generating = post(db, history, args.moves, args.batch, args.profile)
        rate, posting_rate = args.moves / seconds, args.moves / (seconds - generating)
        print(f"posted {args.moves} moves in {seconds:.1f} s ({generating:.1f} s generating)")
        target = args.engine != "sqlite" or rate >= 50_000
        figures = [
            Figure(f"bulk posting, {args.engine} (incl. generating)", rate, "moves/s",
                   ">= 50,000/s" if args.engine == "sqlite" else "", target),
            Figure("bulk posting, excluding the generator", posting_rate, "moves/s"),
        ]  # fmt: skip
        posting_rss = peak_rss_mb()
        figures.append(Figure("peak memory after posting (incl. the generator)", posting_rss, "MB"))
        del history  # the generator's stock map is the benchmark's, not cangku's
        past = datetime.now(UTC) - timedelta(days=180)
        figures += reads(db, codes, past)
        db.dispose()
    rss = peak_rss_mb()
    print(f"peak RSS so far: {rss:.0f} MB (verify)")
    figures.append(Figure("peak memory (ru_maxrss), whole run", rss, "MB", "< 500 MB", rss < 500))
    print_table(f"bulk: {args.moves:,} moves, {args.items:,} items, {args.locations} locations, "
                f"{args.engine}", figures)  # fmt: skip
    meta = {k: v for k, v in vars(args).items() if k not in ("profile", "keep")}
    print(f"\nsaved {save(f'bulk-{args.engine}-{args.moves}', meta, figures)}")


if __name__ == "__main__":
    main()
