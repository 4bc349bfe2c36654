"""The alert check after a posting (issue 16, ADR 0035): what it adds to a posting, and how
long the asynchronous check itself takes.

A posting only sets the alert watch's flag after it commits; the watch checks the stock and
lot alerts on its own thread. Measured per engine, on one warehouse with ``--items`` items
that each have levels (reorder point 10, safety stock 5, max 100) and 5 on hand (so each has
two open alerts once checked):

- the listener's own cost (``AlertWatch.posted``, called a million times);
- ``--n`` single receipts through ``services.stock.receive_stock`` without the watch, then
  ``--n`` with it running (as the server runs it: a check a second after a posting, at most
  one every 5 s), the mean and p50/p99 latency of each;
- one check of the posting kinds (``check_alerts`` as the system), first (opening every alert)
  and again (nothing changes).

    .venv/bin/python bench/alert_check.py [--engines sqlite,postgresql] [--items 2000] [--n 3000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from cangku.db.uow import Database
from cangku.services.alerts import check_alerts
from cangku.services.background import POSTING_KINDS, AlertWatch
from cangku.services.common import Context
from cangku.services.items import ItemInput, create_item
from cangku.services.jobs import SYSTEM
from cangku.services.setup import initialize
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.warehouses import (
    LocationInput,
    WarehouseInput,
    create_location,
    create_warehouse,
)
from support import Figure, fresh_database, percentile, print_table, save


def prepare(db: Database, items: int) -> None:
    ctx = Context()
    initialize(db)
    create_warehouse(db, ctx, WarehouseInput("WH1", "Bench warehouse"))
    create_location(db, ctx, LocationInput("WH1-A", "WH1-A", warehouse="WH1"))
    for n in range(items):
        code = f"I{n:05d}"
        levels = {"reorder_point": 10, "safety_stock": 5, "max_stock": 100}
        create_item(db, ctx, ItemInput(code, code, "spare_part", **levels))  # type: ignore[arg-type]
        receive_stock(db, ctx, Receive(code, "5", "WH1-A", unit_cost="1"))


def receipts(db: Database, n: int) -> list[float]:
    latencies = []
    for _ in range(n):
        started = time.perf_counter()
        receive_stock(db, Context(), Receive("I00000", "1", "WH1-A", unit_cost="1"))
        latencies.append(time.perf_counter() - started)
    return latencies


def listener_cost(db: Database) -> float:
    """Microseconds per call of the posting listener."""
    watch = AlertWatch(db)
    calls = 1_000_000
    started = time.perf_counter()
    for _ in range(calls):
        watch.posted()
    return (time.perf_counter() - started) / calls * 1e6


def timed_check(db: Database) -> float:
    started = time.perf_counter()
    check_alerts(db, SYSTEM, POSTING_KINDS)
    return time.perf_counter() - started


def run(engine: str, items: int, n: int) -> list[Figure]:
    with fresh_database(engine) as url:
        db = Database(url)
        prepare(db, items)
        first = timed_check(db)
        again = timed_check(db)
        plain = receipts(db, n)
        watch = AlertWatch(db).start()
        try:
            watched = receipts(db, n)
        finally:
            watch.stop()
        checks = watch.checks
        cost = listener_cost(db)
        db.dispose()
    mean_plain, mean_watched = statistics.mean(plain) * 1e3, statistics.mean(watched) * 1e3
    return [
        Figure(f"{engine}: listener per posting", cost, "µs", "< 1000 µs", cost < 1000),
        Figure(f"{engine}: receipt mean, no watch", mean_plain, "ms"),
        Figure(f"{engine}: receipt p50, no watch", percentile(plain, 0.5) * 1e3, "ms"),
        Figure(f"{engine}: receipt p99, no watch", percentile(plain, 0.99) * 1e3, "ms"),
        Figure(f"{engine}: receipt mean, watch running", mean_watched, "ms"),
        Figure(f"{engine}: receipt p50, watch running", percentile(watched, 0.5) * 1e3, "ms"),
        Figure(f"{engine}: receipt p99, watch running", percentile(watched, 0.99) * 1e3, "ms"),
        Figure(f"{engine}: checks while posting", checks, "checks"),
        Figure(f"{engine}: check, opening {2 * items} alerts", first, "s"),
        Figure(f"{engine}: check, nothing changed", again, "s"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    figures: list[Figure] = []
    for engine in args.engines.split(","):
        figures += run(engine, args.items, args.n)
    print_table("alert check after posting", figures)
    save("alert_check", vars(args), figures)


if __name__ == "__main__":
    main()
