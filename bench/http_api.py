"""The HTTP API through a real server: the side-by-side sequence, its floor, concurrent load.

1. The sequence of issue 11 (``bench/http_sequence.py``) on a fresh database per engine, served
   by ``uvicorn --factory cangku.app:asgi --workers N`` (default 2, on both engines: SQLite's
   WAL file takes one writer at a time from any process, and a second process lets reads and
   the Python work of two requests run on the two cores): create 300 items, 300 receipts,
   1,000 single-unit issues and 1,000 single-unit receipts from one client and from 8 threads,
   100 transfers, 300 reads of stock by location and of item detail, and a race of 160 issues
   from 16 threads against 100 on hand. Each phase prints ops/s (answers with the expected
   status per second), p50, p95, failures and InvenTree's figure for the same phase beside it.
2. The floor (``bench/floor_app.py``): a bare FastAPI endpoint doing one indexed token look-up
   and one INSERT through the same engine, served the same way. Right after cangku's 300
   receipts, 300 single-unit receipts go to cangku and 300 to the floor, alternately, from
   two clients of the same kind; the single receipt's p50 and both ratios come from that pair.
3. PostgreSQL under concurrent load: a fresh database with two warehouses, two locations each,
   20 items with plenty of stock; 16 client threads post single moves for ~20 s (80 %
   ``/stock/transfer`` of 1, 20 % ``/stock/receive`` of 5), back to back; then again paced at
   ``--rate`` requests/s between them (146/s: what the issue measured before, when p99 was
   296 ms), each latency counted from when its request was due. Afterwards ``verify`` must be
   clean and the ledger must hold exactly the moves that were answered 201.

    .venv/bin/python bench/http_api.py [--engine sqlite|postgresql|both] [--workers 2]
        [--clients 16] [--seconds 20] [--rate 146] [--no-load] [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

import cangku
from cangku.db.tables import moves
from cangku.db.uow import Database
from cangku.queries.verify import verify
from cangku.services.auth import create_token
from cangku.services.common import Context
from cangku.services.items import ItemInput, create_item
from cangku.services.setup import initialize
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.warehouses import (
    LocationInput,
    WarehouseInput,
    create_location,
    create_warehouse,
)
from floor_app import create_floor_table
from http_sequence import RACE_ON_HAND, WRITE_TARGET, Counts, Phase, Sequence, run_sequence
from http_sequence import prepare as prepare_sequence
from support import Figure, fresh_database, percentile, print_grid, print_table, save

WAREHOUSES = ("SH", "SZ")
ITEMS = [f"ITEM-{i:02d}" for i in range(20)]
BENCH = Path(__file__).parent
#: single receipt through HTTP, one client: p50 target per engine (ms)
RECEIPT_P50_MS = {"sqlite": 3.0, "postgresql": 5.0}
#: cangku's receipts/s as a share of the floor's
FLOOR_TARGET = 0.5
LOAD_P99_MS = 100.0


def prepare(db: Database) -> str:
    """Build the warehouses and items of the load phase; returns the administrator's API
    token for the clients."""
    ctx = Context()
    initialize(db)
    for warehouse in WAREHOUSES:
        create_warehouse(db, ctx, WarehouseInput(warehouse, f"Warehouse {warehouse}"))
        for bin_code in ("A", "B"):
            code = f"{warehouse}-{bin_code}"
            create_location(db, ctx, LocationInput(code, code, warehouse=warehouse))
    for code in ITEMS:
        create_item(db, ctx, ItemInput(code, f"Item {code}", "finished_good"))
        for warehouse in WAREHOUSES:
            for bin_code in ("A", "B"):
                where = f"{warehouse}-{bin_code}"
                receive_stock(db, ctx, Receive(code, "1000000", where, unit_cost="2.50"))
    return create_token(db, ctx, "bench", days=1).token


def count_moves(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    url: str, port: int, workers: int, app: str = "cangku.app:asgi", health: str = "/api/v1/health"
) -> subprocess.Popen[bytes]:
    """``uvicorn --factory <app>`` on ``port`` (bench/ on its path, for the floor app), once
    ``health`` answers a GET below 500 (the floor's POST route answers 405: it is up)."""
    env = {**os.environ, "CANGKU_DATABASE_URL": url}
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--app-dir", str(BENCH),
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "--log-level", "warning", "--no-access-log"]  # fmt: skip
    server = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{health}", timeout=1).status_code < 500:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"{app} did not answer {health} within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)  # our own session: uvicorn and its workers
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# ------------------------------------------------------------------ the sequence and its floor
def sequence_on(engine: str, workers: int, counts: Counts) -> tuple[list[Figure], dict[str, Any]]:
    """Run the sequence on a fresh ``engine`` database; print its table; return its figures
    and what is saved beside them."""
    with fresh_database(engine) as url:
        db = Database(url)
        token = prepare_sequence(db)
        create_floor_table(url)
        port, floor_port = free_port(), free_port()
        server = start_server(url, port, workers)
        try:
            floor = start_server(url, floor_port, workers, "floor_app:asgi", "/floor/receive")
            try:
                run = run_sequence(
                    f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}", token, counts
                )
            finally:
                stop_server(floor)
        finally:
            stop_server(server)
        with db.read() as conn:
            report = verify(conn)
        db.dispose()
    title = f"HTTP sequence, {engine}, {workers} worker{'s' if workers > 1 else ''}"
    rows = [phase_row(p) for p in [*run.phases, run.paired, run.floor, run.race.phase]]
    print_grid(title, PHASE_HEADS, rows)
    figures = sequence_figures(engine, run, len(report.problems))
    print_table(f"{title}: targets", figures)
    for phase in [*run.phases, run.paired, run.floor]:
        for refusal in phase.refusals:
            print(f"  {phase.name}: unexpected answer {refusal}")
    if not run.race.passed:
        answers, codes = dict(run.race.phase.statuses), dict(run.race.refused_codes)
        print(f"  race: answers {answers}, refusals {codes}")
    if report.problems:
        print(f"  verify problems (first 5): {report.problems[:5]}")
    meta = {"workers": workers, "phases": [p.row() for p in run.phases],
            "paired": run.paired.row(), "floor": run.floor.row(),
            "race": {**run.race.phase.row(), "refused_codes": dict(run.race.refused_codes),
                     "on_hand_after": str(run.race.on_hand_after)}}  # fmt: skip
    return figures, meta


PHASE_HEADS = ("phase", "ops/s", "p50 ms", "p95 ms", "failures", "InvenTree/s", "xInvenTree")


def phase_row(phase: Phase) -> tuple[str, ...]:
    ratio = phase.times_peer
    return (phase.name, f"{phase.ops:,.1f}", f"{phase.p50_ms:.2f}", f"{phase.p95_ms:.2f}",
            str(phase.failures), f"{phase.peer:.1f}" if phase.peer else "",
            f"{ratio:.1f}x" if ratio is not None else "")  # fmt: skip


def sequence_figures(engine: str, run: Sequence, problems: int) -> list[Figure]:
    """The targets: every write phase >= 30x InvenTree, the single receipt's p50, cangku's
    receipts against the floor, the race and ``verify``."""
    figures = []
    for phase in run.phases:
        if phase.write and phase.peer:
            target = f">= {WRITE_TARGET:.0f}x InvenTree ({WRITE_TARGET * phase.peer:,.0f}/s)"
            passed = phase.ops >= WRITE_TARGET * phase.peer and not phase.failures
            figures.append(Figure(f"{engine}: {phase.name}", phase.ops, "/s", target, passed))
    receipts = run.paired
    limit = RECEIPT_P50_MS[engine]
    p50 = receipts.p50_ms
    floor = run.floor
    due, left = run.race.due, run.race.on_hand_after
    refused = run.race.refused_codes.get("insufficient_stock", 0)
    figures += [
        Figure(f"{engine}: single receipt p50, 1 client (paired)", p50, "ms",
               f"< {limit:.0f} ms", p50 < limit),
        Figure(f"{engine}: cangku receipts, paired", receipts.ops, "/s"),
        Figure(f"{engine}: floor receipts (bare FastAPI), paired", floor.ops, "/s", "",
               None if not floor.failures else False),
        Figure(f"{engine}: floor p50", floor.p50_ms, "ms"),
        Figure(f"{engine}: cangku receipts/s / floor's", 100 * receipts.ops / floor.ops, "%",
               f">= {FLOOR_TARGET:.0%}", receipts.ops >= FLOOR_TARGET * floor.ops),
        Figure(f"{engine}: cangku p50 / floor p50", p50 / floor.p50_ms, "x",
               f"<= {1 / FLOOR_TARGET:.0f}x", p50 <= floor.p50_ms / FLOOR_TARGET),
        Figure(f"{engine}: race 201 / 409 insufficient_stock / on hand after",
               run.race.phase.ok, "answered 201",
               f"{RACE_ON_HAND} / {due} / 0 (got {refused} refused, {left} left)",
               run.race.passed),
        Figure(f"{engine}: verify problems after the sequence", problems, "", "0", problems == 0),
    ]  # fmt: skip
    return figures


# ------------------------------------------------------------------ concurrent load (PostgreSQL)
def request(rng: random.Random) -> tuple[str, dict[str, Any]]:
    item = rng.choice(ITEMS)
    warehouse = rng.choice(WAREHOUSES)
    if rng.random() < 0.2:
        where = f"{warehouse}-{rng.choice('AB')}"
        body = {"item": item, "quantity": "5", "to_location": where, "unit_cost": "2.60"}
        return "/api/v1/stock/receive", body
    src, dst = ("A", "B") if rng.random() < 0.5 else ("B", "A")
    body = {"item": item, "quantity": "1", "from_location": f"{warehouse}-{src}",
            "to_location": f"{warehouse}-{dst}"}  # fmt: skip
    return "/api/v1/stock/transfer", body


def client(
    port: int, token: str, seed: int, until: float, every: float, out: list[tuple[int, float]]
) -> None:
    """Post moves until ``until``: back to back (``every`` 0), or one each ``every`` seconds on
    a fixed schedule, the latency then counted from when the request was due (a late answer
    delays the next request, and that wait is the server's too)."""
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    due = time.perf_counter() + rng.random() * every  # the clients' schedules spread out
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, headers=headers) as http:
        while time.monotonic() < until:
            path, body = request(rng)
            if every:
                time.sleep(max(0.0, due - time.perf_counter()))
            started = due if every else time.perf_counter()
            try:
                status = http.post(path, json=body).status_code
            except httpx.HTTPError:
                status = 0  # connection error or timeout
            out.append((status, time.perf_counter() - started))
            due += every


def load(
    port: int, token: str, clients: int, seconds: float, rate: float = 0.0
) -> tuple[list[tuple[int, float]], float]:
    """``clients`` threads for ``seconds``, as fast as they are answered (``rate`` 0) or
    ``rate`` requests per second between them all."""
    results: list[list[tuple[int, float]]] = [[] for _ in range(clients)]
    started = time.monotonic()
    until = started + seconds
    every = clients / rate if rate else 0.0
    threads = [
        threading.Thread(target=client, args=(port, token, i, until, every, results[i]))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for rs in results for r in rs], time.monotonic() - started


def concurrent_load(
    clients: int, seconds: float, workers: int, rate: float = 0.0
) -> tuple[list[Figure], Any]:
    """16 clients (``clients``) on PostgreSQL for ``seconds``, as fast as they can or at
    ``rate`` requests per second; print and return the figures."""
    label = f"load at {rate:.0f}/s" if rate else "load"
    with fresh_database("postgresql") as url:
        db = Database(url)
        token = prepare(db)
        before = count_moves(db)
        port = free_port()
        server = start_server(url, port, workers)
        try:
            results, elapsed = load(port, token, clients, seconds, rate)
        finally:
            stop_server(server)
        with db.read() as conn:
            report = verify(conn)
        posted = count_moves(db) - before
        db.dispose()
    statuses = Counter(status for status, _ in results)
    latencies = [seconds for _, seconds in results]
    ok = [seconds for status, seconds in results if status == 201]
    errors = {str(k): v for k, v in sorted(statuses.items()) if k != 201}
    p99 = percentile(latencies, 0.99) * 1000
    figures = [
        Figure(f"{label}: requests/s (all answers)", len(results) / elapsed, "/s"),
        Figure(f"{label}: moves posted/s (201)", len(ok) / elapsed, "/s"),
        Figure(f"{label}: latency p50", percentile(latencies, 0.5) * 1000, "ms"),
        Figure(f"{label}: latency p95", percentile(latencies, 0.95) * 1000, "ms"),
        Figure(f"{label}: latency p99", p99, "ms", f"< {LOAD_P99_MS:.0f} ms", p99 < LOAD_P99_MS),
        Figure(f"{label}: answers other than 201", sum(errors.values()), "", "0", not errors),
        Figure(f"{label}: ledger == 201s", posted, "moves", str(len(ok)), posted == len(ok)),
        Figure(f"{label}: verify problems", len(report.problems), "", "0", report.ok),
    ]
    pace = f"paced at {rate:.0f} requests/s" if rate else "back to back"
    title = f"HTTP API: {clients} clients ({pace}), {workers} workers, {elapsed:.1f} s, PostgreSQL"
    print_table(title, figures)
    print(f"\nanswers by status: {dict(sorted(statuses.items()))}")
    if report.problems:
        print(f"verify problems (first 5): {report.problems[:5]}")
    return figures, {str(k): v for k, v in statuses.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, default=2, help="app processes, both engines")
    parser.add_argument("--clients", type=int, default=16, help="of the load phase")
    parser.add_argument("--seconds", type=float, default=20, help="of the load phase")
    parser.add_argument("--no-load", action="store_true", help="the sequence only")
    parser.add_argument(
        "--rate", type=float, default=146.0,
        help="a second load phase paced at this many requests/s (the issue's 'before'; 0: none)",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="a fifth of the counts, 5 s load")
    args = parser.parse_args()
    counts = Counts.quick() if args.quick else Counts()
    seconds = min(args.seconds, 5.0) if args.quick else args.seconds
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    figures: list[Figure] = []
    meta: dict[str, Any] = {**vars(args), "counts": counts.__dict__, "cangku": cangku.__file__}
    print(f"cangku from {Path(cangku.__file__).parent}")  # PYTHONPATH may point at another tree
    meta["load_average_before"] = os.getloadavg()
    for engine in engines:
        workers = args.workers
        engine_figures, meta[engine] = sequence_on(engine, workers, counts)
        figures += engine_figures
    if not args.no_load and "postgresql" in engines:
        load_figures, meta["load_statuses"] = concurrent_load(args.clients, seconds, args.workers)
        figures += load_figures
        if args.rate:
            paced, meta["paced_statuses"] = concurrent_load(
                args.clients, seconds, args.workers, args.rate
            )
            figures += paced
    meta["load_average_after"] = os.getloadavg()
    before, after = meta["load_average_before"][0], meta["load_average_after"][0]
    print(f"\nload average (1 min) before / after: {before:.2f} / {after:.2f}")
    print(f"saved {save('http', meta, figures)}")


if __name__ == "__main__":
    main()
