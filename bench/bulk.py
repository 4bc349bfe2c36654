"""Bulk posting of a year of history, then the reads that matter on that database.

1,000,000 moves over 10,000 items and 500 locations (two warehouses) through
``services.bulk.post_bulk``: receipts from the supplier with a cost, transfers between storage
locations, issues to customers, in chronological order over ~12 months, never issuing more than
is on hand; each month is closed (``services.periods.close_period``, which takes a checkpoint at
the month's end) once its moves are posted. Then: on hand of one item, one item as of a past
date, all items as of a past date (totals per item, from the nearest checkpoint and from the
balances; the detail by location and lot for information), FIFO stock value, verify, and the
peak memory after each step.

    .venv/bin/python bench/bulk.py [--moves 1000000] [--items 10000] [--locations 500]
                                   [--engine sqlite|postgresql] [--profile] [--keep]
    .venv/bin/python bench/bulk.py --raw    # the baseline: a plain sqlite3 loop, same tables
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, String, cast, func, insert, literal, select, update

from cangku.db.tables import items, locations, warehouses
from cangku.db.uow import Database
from cangku.queries.asof import (
    Anchor,
    choose_anchor,
    item_total_as_of,
    quantities_select,
    stock_as_of,
    totals_by_item_as_of,
)
from cangku.queries.stock import StockFilter, totals
from cangku.queries.valuation import stock_value
from cangku.queries.verify import verify
from cangku.services.bulk import BulkMove, post_bulk
from cangku.services.common import Context
from cangku.services.periods import close_period, end_of_day
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
    """Generates the moves and keeps the stock they leave, so no issue exceeds on hand.

    The stock is kept in flat integer arrays (a dense list of (item, bin) keys with stock, their
    quantities, and each key's position in it), about 4 bytes per possible key: the peak
    memory of the run is then cangku's, not the generator's.
    """

    def __init__(self, seed: int, item_codes: list[str], bins: dict[str, list[str]]) -> None:
        self.rng = random.Random(seed)
        self.items = item_codes
        self.bins = [code for codes in bins.values() for code in codes]
        self.warehouse_of = [w for w, codes in bins.items() for _ in codes]
        self.bins_of = {w: [self.bins.index(c) for c in codes] for w, codes in bins.items()}
        self.n_bins = len(self.bins)
        self.position = array("i", [-1]) * (len(item_codes) * self.n_bins)  # key -> index
        self.keys = array("i")  # keys (item * n_bins + bin) with stock
        self.quantities = array("i")  # their quantities
        self.generating = 0.0

    def _add(self, key: int, qty: int) -> None:
        at = self.position[key]
        if at < 0:
            self.position[key] = len(self.keys)
            self.keys.append(key)
            self.quantities.append(qty)
            return
        left = self.quantities[at] + qty
        if left > 0:
            self.quantities[at] = left
            return
        last_key, last_qty = self.keys.pop(), self.quantities.pop()
        self.position[key] = -1
        if at < len(self.keys):
            self.keys[at], self.quantities[at] = last_key, last_qty
            self.position[last_key] = at

    def moves(self, first: int, stop: int, start: datetime, step: timedelta) -> Iterator[BulkMove]:
        rng = self.rng
        for i in range(first, stop):
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
        item = self.rng.randrange(len(self.items))
        where = self.rng.choice(self.bins_of[warehouse])
        qty = self.rng.randint(10, 200)
        self._add(item * self.n_bins + where, qty)
        cost = f"{self.rng.randint(50, 50_000) / 100:.2f}"
        return BulkMove(self.items[item], str(qty), f"{warehouse}/SUPPLIER", self.bins[where],
                        "receive", unit_cost=cost, effective_at=at,
                        document_type="receipt")  # fmt: skip

    def _taken(self) -> tuple[int, int]:
        at = self.rng.randrange(len(self.keys))
        available = self.quantities[at]
        return self.keys[at], self.rng.randint(1, max(1, available // 2)) if available > 1 else 1

    def _transfer(self, at: datetime) -> BulkMove:
        key, qty = self._taken()
        item, src = divmod(key, self.n_bins)
        dst = self.rng.choice(self.bins_of[self.warehouse_of[src]])
        if dst == src:
            return self._issue(at)
        self._add(key, -qty)
        self._add(item * self.n_bins + dst, qty)
        return BulkMove(self.items[item], str(qty), self.bins[src], self.bins[dst], "move",
                        effective_at=at)  # fmt: skip

    def _issue(self, at: datetime) -> BulkMove:
        key, qty = self._taken()
        item, src = divmod(key, self.n_bins)
        self._add(key, -qty)
        return BulkMove(self.items[item], str(qty), self.bins[src],
                        f"{self.warehouse_of[src]}/CUSTOMER", "issue", effective_at=at,
                        document_type="shipment")  # fmt: skip


# ------------------------------------------------------------------ the run
def month_ends(start: datetime, end: datetime) -> list[date]:
    """The last day of every month that ends within (start, end)."""
    days, day = [], start.date().replace(day=1)
    while True:
        day = (day + timedelta(days=32)).replace(day=1)  # first of the next month
        last = day - timedelta(days=1)
        if end_of_day(last) >= end:
            return days
        if end_of_day(last) > start:
            days.append(last)


@dataclass
class Posting:
    seconds: float = 0.0  # inside post_bulk (generation included)
    closing: list[float] = field(default_factory=list)  # each month's close_period


def post(db: Database, history: History, n: int, batch: int, profile: bool) -> Posting:
    """Post ``n`` moves over the last year, month by month, closing each month once its moves
    are posted (a period and a checkpoint at its end), as a company would."""
    end = datetime.now(UTC) - timedelta(days=1)
    start = end - timedelta(days=365)
    step = (end - start) / n
    profiler = cProfile.Profile() if profile else None
    done, result = 0, Posting()
    for last in [*month_ends(start, end), None]:
        stop = n if last is None else min(n, (end_of_day(last) - start) // step + 1)
        if profiler:
            profiler.enable()
        began = time.perf_counter()
        posted = post_bulk(db, CTX, history.moves(done, stop, start, step), batch).posted
        seconds = time.perf_counter() - began
        if profiler:
            profiler.disable()
        assert posted == stop - done, (posted, done, stop)
        result.seconds += seconds
        done = stop
        if last is not None:
            began = time.perf_counter()
            close_period(db, CTX, last)
            result.closing.append(time.perf_counter() - began)
    if profiler:
        show_profile(profiler)
        OUT.mkdir(exist_ok=True)
        profiler.dump_stats(OUT / "bulk.prof")
    return result


def raw_post(db: Database, history: History, n: int, batch: int) -> float:
    """The baseline: the same moves, in the same batches, written by a plain sqlite3 loop into
    the same tables (moves with its indexes and foreign keys; balances, net change per key per
    batch, upserted in key order): no rules, no costs, no hash chain, no chain heads. Returns
    the seconds spent outside the generator. The database is not a valid ledger afterwards."""
    import sqlite3

    from sqlalchemy.engine import make_url

    with db.read() as conn:
        item_id = dict(conn.execute(select(items.c.code, items.c.id)).all())
        place = {
            code: (location_id, warehouse_id)
            for code, location_id, warehouse_id in conn.execute(
                select(locations.c.code, locations.c.id, locations.c.warehouse_id)
            )
        }
    raw = sqlite3.connect(make_url(db.url).database or "", isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        raw.execute(f"PRAGMA {pragma}")
    insert_move = (
        "INSERT INTO moves (warehouse_id, seq, item_id, lot_id, quantity, from_location_id,"  # noqa: S608
        " to_location_id, unit_cost, value, effective_at, recorded_at, operation, reason_code,"
        " document_type, document_id, document_line, user_id, reverses_move_id, note,"
        " prev_hash, hash) VALUES (" + ", ".join(["?"] * 21) + ")"
    )
    upsert = (
        "INSERT INTO balances (item_id, location_id, lot_key, lot_id, warehouse_id, on_hand,"
        " reserved) VALUES (?, ?, 0, NULL, ?, ?, 0) ON CONFLICT (item_id, location_id, lot_key)"
        " DO UPDATE SET on_hand = balances.on_hand + excluded.on_hand"
    )
    end = datetime.now(UTC) - timedelta(days=1)
    start = end - timedelta(days=365)
    step = (end - start) / n
    seqs: dict[int, int] = {}
    user = int(raw.execute("SELECT min(id) FROM users").fetchone()[0])
    began = time.perf_counter()
    moves_iter = history.moves(0, n, start, step)
    while chunk := [m for _, m in zip(range(batch), moves_iter, strict=False)]:
        rows: list[tuple[object, ...]] = []
        deltas: dict[tuple[int, int, int], int] = {}
        for m in chunk:
            item = item_id[m.item]
            (src, src_wh), (dst, dst_wh) = place[m.from_location], place[m.to_location]
            seq = seqs[src_wh] = seqs.get(src_wh, 0) + 1
            qty = int(m.quantity) * 1_000_000
            at = int(m.effective_at.timestamp() * 1_000_000)  # type: ignore[union-attr]
            rows.append((src_wh, seq, item, None, qty, src, dst, 0, 0, at, at, m.operation,
                         None, m.document_type, None, None, user, None, None, "0" * 64,
                         "f" * 64))  # fmt: skip
            deltas[(item, src, src_wh)] = deltas.get((item, src, src_wh), 0) - qty
            deltas[(item, dst, dst_wh)] = deltas.get((item, dst, dst_wh), 0) + qty
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany(insert_move, rows)
        raw.executemany(upsert, [(k[0], k[1], k[2], q) for k, q in sorted(deltas.items())])
        raw.execute("COMMIT")
    raw.close()
    return time.perf_counter() - began - history.generating


def show_profile(profiler: cProfile.Profile) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(30)
        print(f"\n--- cProfile of post_bulk, by {order} ---\n{out.getvalue()}")


def sql_only(conn: Connection, past: datetime, anchor: Anchor) -> float:
    """The detailed as-of query alone: summed in the database, no rows brought to Python."""
    q = quantities_select(conn, past, StockFilter(), anchor).subquery()
    _, seconds = timed(lambda: conn.execute(select(func.count(), func.sum(q.c.on_hand))).one())
    return float(seconds)


def memory(figures: list[Figure], step: str) -> None:
    rss = peak_rss_mb()
    print(f"peak RSS so far: {rss:.0f} MB (after {step})")
    figures.append(Figure(f"  peak memory after {step}", rss, "MB"))


def as_of_reads(conn: Connection, sample: list[str], past: datetime) -> list[Figure]:
    figures = []
    now = datetime.now(UTC)
    anchor = choose_anchor(conn, past, now)
    where = f"checkpoint {anchor.as_of:%Y-%m-%d}" if anchor.as_of else "balances"
    print(f"as of {past:%Y-%m-%d %H:%M}: anchored on {where}")
    ms = median_ms(lambda i: item_total_as_of(conn, sample[i], past, now))
    figures.append(Figure("one item as of a past date (median of 50)", ms, "ms", "< 10 ms",
                          ms < 10))  # fmt: skip
    for use, label in (("auto", f"nearest {where}"), ("balances", "from the balances")):
        count, seconds = timed(lambda: len(totals_by_item_as_of(conn, past, now, use=use)))  # noqa: B023
        figures.append(Figure(f"all items as of a past date, {label} ({count} items)", seconds,
                              "s", "< 1 s", seconds < 1))  # fmt: skip
    memory(figures, "totals per item as of")
    count, seconds = timed(lambda: len(stock_as_of(conn, past, StockFilter(), now)))
    figures.append(Figure(f"  detail by item, location, lot, nearest {where} ({count} rows)",
                          seconds, "s"))  # fmt: skip
    seconds = sql_only(conn, past, anchor)
    figures.append(Figure("  the same detail, SQL only (summed in the database)", seconds, "s"))
    memory(figures, "detailed as of")
    return figures


def reads(db: Database, item_codes: list[str], past: datetime) -> list[Figure]:
    rng = random.Random(7)
    sample = [rng.choice(item_codes) for _ in range(50)]
    figures = []
    with db.read() as conn:
        ms = median_ms(lambda i: totals(conn, StockFilter(item=sample[i])))
        figures.append(Figure("on hand, one item (median of 50)", ms, "ms", "< 2 ms", ms < 2))
        figures += as_of_reads(conn, sample, past)
        value, seconds = timed(lambda: stock_value(conn, datetime.now(UTC)))
        figures.append(Figure(f"FIFO stock value, all items ({len(value.items)} items)", seconds,
                              "s", "< 2 s", seconds < 2))  # fmt: skip
        memory(figures, "stock value")
    with db.read(snapshot=True) as conn:
        report, seconds = timed(lambda: verify(conn))
        label = f"verify ({report.moves_checked} moves, {len(report.problems)} problems)"
        figures.append(Figure(label, seconds, "s", "< 60 s", seconds < 60 and report.ok))
        memory(figures, "verify")
    return figures


def past_date() -> datetime:
    """Noon on the 15th of the month 180 days ago: mid-month, half a month after a checkpoint."""
    day = (datetime.now(UTC) - timedelta(days=180)).date()
    return datetime(day.year, day.month, 15, 12, tzinfo=UTC)


def posting_figures(args: argparse.Namespace, history: History, posting: Posting) -> list[Figure]:
    rate = args.moves / posting.seconds
    posting_rate = args.moves / (posting.seconds - history.generating)
    print(f"posted {args.moves} moves in {posting.seconds:.1f} s ({history.generating:.1f} s "
          f"generating); closed {len(posting.closing)} months in "
          f"{sum(posting.closing):.1f} s")  # fmt: skip
    sqlite = args.engine == "sqlite"
    worst = max(posting.closing, default=0.0)
    mean = sum(posting.closing) / len(posting.closing) if posting.closing else 0.0
    return [
        Figure(f"bulk posting, {args.engine} (incl. generating)", rate, "moves/s",
               ">= 50,000/s" if sqlite else "", rate >= 50_000 if sqlite else None),
        Figure("bulk posting, excluding the generator", posting_rate, "moves/s"),
        Figure(f"close a month (period + checkpoint), mean of {len(posting.closing)}", mean, "s"),
        Figure("close a month, slowest", worst, "s"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--locations", type=int, default=500)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile the bulk posting")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--raw", action="store_true", help="only the baseline: a plain sqlite3 loop, same tables"
    )
    args = parser.parse_args()
    if args.raw:
        with fresh_database("sqlite") as url:
            db = Database(url)
            codes, bins = master_data(db, args.items, args.locations)
            history = History(args.seed, codes, bins)
            seconds = raw_post(db, history, args.moves, args.batch)
            db.dispose()
        rate = Figure("raw sqlite3 loop, same moves and tables (excl. generator)",
                      args.moves / seconds, "moves/s")  # fmt: skip
        print_table(f"bulk baseline: {args.moves:,} moves, batches of {args.batch:,}", [rate])
        return
    with fresh_database(args.engine, keep=args.keep) as url:
        db = Database(url)
        (codes, bins), setup_seconds = timed(lambda: master_data(db, args.items, args.locations))
        print(
            f"master data: {args.items} items, {args.locations} locations in {setup_seconds:.1f} s"
        )
        history = History(args.seed, codes, bins)
        figures = posting_figures(args, history, post(db, history, args.moves, args.batch,
                                                      args.profile))  # fmt: skip
        memory(figures, "posting (the generator's stock arrays included)")
        del history
        figures += reads(db, codes, past_date())
        db.dispose()
    rss = peak_rss_mb()
    figures.append(Figure("peak memory (ru_maxrss), whole run", rss, "MB", "< 500 MB", rss < 500))
    print_table(f"bulk: {args.moves:,} moves, {args.items:,} items, {args.locations} locations, "
                f"{args.engine}", figures)  # fmt: skip
    meta = {k: v for k, v in vars(args).items() if k not in ("profile", "keep")}
    print(f"\nsaved {save(f'bulk-{args.engine}-{args.moves}', meta, figures)}")


if __name__ == "__main__":
    main()
