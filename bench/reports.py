"""Every analysis report (issue 15) for the whole company on a large ledger: now, as of a past
date, peak memory, and the report page through the app.

The ledger: ``--moves`` (default 10,000,000) over ``--items`` (50,000) and ``--locations``
(2,000 bins in two warehouses) over the last year, posted through ``services.bulk.post_bulk``
(the real posting path: hash chains, balances, FIFO layers and averages) with each month
closed (a checkpoint at its end), as ``bench/bulk.py`` does. Unlike ``bulk.py`` each item
lives where a warehouse would keep it: a home bin in each warehouse and a reserve bin in the
first, so the balances stay near three per item (a random walk over 2,000 bins would spread
every item everywhere). The moves: receipts from suppliers into the first warehouse (25 %),
replenishment from the reserve or to the second warehouse (15 %), issues to customers (50 %)
and to production (10 %), never more than is on hand.

The reports run in a fresh process on the finished database (``--url``), so its peak memory
is the reports' own, not the generator's; then each report's page through a real server
(uvicorn): the time to its first bytes (the page down to its filters, painted at once; the
results are streamed after it) and to the whole page:

    .venv/bin/python bench/reports.py [--engine sqlite|postgresql] [--moves N] [--items N]
    .venv/bin/python bench/reports.py --url sqlite:////tmp/x.db   # the reports only
    .venv/bin/python bench/reports.py --moves 200000 --items 5000 --keep   # a quick look
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bulk import master_data, post
from cangku.db.uow import Database
from cangku.queries.reports import REPORTS, read_query, run_report
from cangku.services.auth import SESSION_COOKIE, sign_in
from cangku.services.bulk import BulkMove
from cangku.services.common import Context
from cangku.services.users import create_user
from http_api import free_port, start_server, stop_server
from support import Figure, fresh_database, peak_rss_mb, print_table, save, timed

#: reports and the past they are asked about: as of 180 days ago, or the year to 90 days ago
TARGET_SECONDS = 5.0
TARGET_MB = 1024
CTX = Context()


class Warehouse:
    """Generates the moves and keeps the stock they leave (a dict per item and bin)."""

    def __init__(self, seed: int, item_codes: list[str], bins: dict[str, list[str]]) -> None:
        self.rng = random.Random(seed)
        self.items = item_codes
        first, second = list(bins)
        self.first, self.second = first, second
        self.home = [bins[first][i % len(bins[first])] for i in range(len(item_codes))]
        self.away = [bins[second][(7 * i) % len(bins[second])] for i in range(len(item_codes))]
        half = len(bins[first]) // 2
        self.reserve = [
            bins[first][(13 * i + half) % len(bins[first])] for i in range(len(item_codes))
        ]
        self.stock: dict[tuple[int, str], int] = {}
        self.generating = 0.0

    def _take(self, item: int, where: str, wanted: int) -> int:
        held = self.stock.get((item, where), 0)
        qty = min(held, wanted)
        if qty:
            self.stock[(item, where)] = held - qty
        return qty

    def moves(self, first: int, stop: int, start: datetime, step: timedelta) -> Iterator[BulkMove]:
        rng, n = self.rng, len(self.items)
        for i in range(first, stop):
            began = time.perf_counter()
            at = start + step * i
            item = rng.randrange(n)
            roll = rng.random()
            move = None
            if roll < 0.15:
                src, dst = (
                    (self.reserve[item], self.home[item])
                    if roll < 0.08
                    else (self.home[item], self.away[item])
                )
                qty = self._take(item, src, rng.randint(1, 40)) if src != dst else 0
                if qty:
                    self.stock[(item, dst)] = self.stock.get((item, dst), 0) + qty
                    move = BulkMove(self.items[item], str(qty), src, dst, "move", effective_at=at)
            elif roll < 0.75:
                target = "CUSTOMER" if roll < 0.65 else "PRODUCTION"
                where = self.away[item] if rng.random() < 0.3 else self.home[item]
                qty = self._take(item, where, rng.randint(1, 20))
                if qty:
                    warehouse = self.second if where == self.away[item] else self.first
                    move = BulkMove(self.items[item], str(qty), where, f"{warehouse}/{target}",
                                    "issue", effective_at=at,
                                    document_type="shipment")  # fmt: skip
            if move is None:  # a receipt (also when there was nothing to move or issue)
                qty = rng.randint(20, 200)
                where = self.reserve[item] if rng.random() < 0.3 else self.home[item]
                self.stock[(item, where)] = self.stock.get((item, where), 0) + qty
                cost = f"{rng.randint(50, 50_000) / 100:.2f}"
                move = BulkMove(self.items[item], str(qty), f"{self.first}/SUPPLIER", where,
                                "receive", unit_cost=cost, effective_at=at,
                                document_type="receipt")  # fmt: skip
            self.generating += time.perf_counter() - began
            yield move


def build(args: argparse.Namespace, url: str) -> list[Figure]:
    db = Database(url)
    (codes, bins), seconds = timed(lambda: master_data(db, args.items, args.locations))
    print(f"master data: {args.items} items, {args.locations} locations in {seconds:.1f} s")
    history = Warehouse(args.seed, codes, bins)
    posting = post(db, history, args.moves, args.batch, False)  # type: ignore[arg-type]
    db.dispose()
    rate = args.moves / posting.seconds
    print(f"posted {args.moves:,} moves in {posting.seconds:.0f} s ({rate:,.0f}/s), "
          f"{len(posting.closing)} months closed")  # fmt: skip
    return [
        Figure("bulk posting (incl. generating)", rate, "moves/s"),
        Figure(f"close a month, mean of {len(posting.closing)}",
               sum(posting.closing) / max(1, len(posting.closing)), "s"),
    ]  # fmt: skip


def asks(now: datetime) -> list[tuple[str, str, dict[str, str]]]:
    """(report, label, parameters): each report for the whole company now (its default
    grouping and period), and as of a past date (180 days ago; a period: the year to 90 days
    ago), plus the groupings that read the most rows."""
    past = (now - timedelta(days=180)).date().isoformat()
    end = (now - timedelta(days=90)).date()
    period = {"start": (end - timedelta(days=364)).isoformat(), "end": end.isoformat()}
    found: list[tuple[str, str, dict[str, str]]] = []
    for name, spec in REPORTS.items():
        found.append((name, "now", {}))
        found.append((name, "past", {"at": past} if spec.time == "as_of" else dict(period)))
    found += [
        ("stock-value", "by location, now", {"group": "location"}),
        ("stock-value", "by location, past", {"group": "location", "at": past}),
        ("turnover", "by warehouse", {"group": "warehouse"}),
        ("trends", "by week", {"interval": "week"}),
        ("value-movement", "by warehouse, past", {"group": "warehouse", **period}),
        ("abc-xyz", "matrix", {"group": "matrix"}),
    ]
    return found


def pages(url: str, now: datetime) -> list[Figure]:
    """Each report's page through a real server (uvicorn, one worker), signed in as a manager:
    the time to its first bytes (the page down to its filters, which the browser paints) and
    to the whole page (the results streamed after it)."""
    db = Database(url)
    password = "bench-reports-key-1"
    create_user(db, CTX, "reporter", "Reports bench", password, [("warehouse_manager", None)])
    session = sign_in(db, "reporter", password).session_id
    db.dispose()
    port = free_port()
    server = start_server(url, port, 1)
    figures = []
    try:
        cookies = {SESSION_COOKIE: session}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", cookies=cookies,
                          timeout=120) as client:  # fmt: skip
            client.get("/reports")  # warm the worker (templates, catalogues)
            for name in REPORTS:
                began = time.perf_counter()
                with client.stream("GET", f"/reports/{name}") as answer:
                    chunks = answer.iter_bytes()
                    first = next(chunks, b"")
                    painted = time.perf_counter() - began
                    size = len(first) + sum(len(c) for c in chunks)
                whole = time.perf_counter() - began
                assert answer.status_code == 200 and size > 0, (name, answer.status_code)
                figures.append(Figure(f"page {name}: first bytes (whole page {whole:.2f} s)",
                                      painted, "s", "< 1 s", painted < 1))  # fmt: skip
                print(f"  page {name:15} first bytes {painted:6.2f} s, whole {whole:6.2f} s",
                      flush=True)  # fmt: skip
    finally:
        stop_server(server)
    return figures


def run_reports(url: str, engine: str) -> list[Figure]:
    db = Database(url)
    now = datetime.now(UTC)
    figures = []
    for name, label, params in asks(now):
        with db.read() as conn:
            query = read_query(conn, REPORTS[name], params, now)
            found, seconds = timed(lambda: run_report(conn, query))  # noqa: B023
        figures.append(Figure(f"{name} ({label}): {len(found.rows):,} rows", seconds, "s",
                              f"< {TARGET_SECONDS:.0f} s", seconds < TARGET_SECONDS))  # fmt: skip
        print(f"  {name:15} {label:22} {seconds:7.2f} s  {len(found.rows):>7,} rows", flush=True)
    rss = peak_rss_mb()
    figures.append(Figure("peak memory of the reports' process", rss, "MB", "< 1 GB",
                          rss < TARGET_MB))  # fmt: skip
    db.dispose()
    figures += pages(url, now)
    print_table(f"reports on {engine}", figures)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=10_000_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--locations", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--url", help="only run the reports on this database")
    args = parser.parse_args()
    if args.url:
        engine = "postgresql" if args.url.startswith("postgresql") else "sqlite"
        figures = run_reports(args.url, engine)
        print(f"\nsaved {save(f'reports-{engine}', {'url': args.url}, figures)}")
        return
    with fresh_database(args.engine, keep=args.keep) as url:
        figures = build(args, url)
        print_table("the ledger", figures)
        here = Path(__file__).parent
        env = {**os.environ, "PYTHONPATH": str(here.parent / "src")}
        subprocess.run([sys.executable, str(here / "reports.py"), "--url", url], check=True,
                       env=env)  # fmt: skip
    meta = {k: v for k, v in vars(args).items() if k not in ("keep", "url")}
    print(f"\nsaved {save(f'reports-build-{args.engine}-{args.moves}', meta, figures)}")


if __name__ == "__main__":
    main()
