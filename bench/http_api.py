"""The HTTP API under concurrent load: PostgreSQL, two app processes, 16 clients.

A fresh PostgreSQL database is prepared with a small company (two warehouses, two storage
locations each, 20 items with plenty of stock), then ``uvicorn --workers 2 --factory
cangku.app:asgi`` serves it while 16 client threads post single moves for ~20 s
(``POST /api/v1/stock/transfer``, and some ``/stock/receive``). Afterwards ``verify`` must be
clean and the ledger must hold exactly the moves that were answered 201.

    .venv/bin/python bench/http_api.py [--clients 16] [--seconds 20] [--workers 2]
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
from typing import Any

import httpx
from sqlalchemy import func, select

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
from support import Figure, fresh_database, percentile, print_table, save

WAREHOUSES = ("SH", "SZ")
ITEMS = [f"ITEM-{i:02d}" for i in range(20)]


def prepare(db: Database) -> str:
    """Build the warehouses and items; returns the administrator's API token for the clients."""
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


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CANGKU_DATABASE_URL": url}
    command = [sys.executable, "-m", "uvicorn", "cangku.app:asgi", "--factory", "--host",
               "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level",
               "warning", "--no-access-log"]  # fmt: skip
    server = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit("the server did not answer /api/v1/health within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)  # our own session: uvicorn and its workers
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


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


def client(port: int, token: str, seed: int, until: float, out: list[tuple[int, float]]) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, headers=headers) as http:
        while time.monotonic() < until:
            path, body = request(rng)
            started = time.perf_counter()
            try:
                status = http.post(path, json=body).status_code
            except httpx.HTTPError:
                status = 0  # connection error or timeout
            out.append((status, time.perf_counter() - started))


def load(
    port: int, token: str, clients: int, seconds: float
) -> tuple[list[tuple[int, float]], float]:
    results: list[list[tuple[int, float]]] = [[] for _ in range(clients)]
    started = time.monotonic()
    until = started + seconds
    threads = [
        threading.Thread(target=client, args=(port, token, i, until, results[i]))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for rs in results for r in rs], time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with fresh_database("postgresql") as url:
        db = Database(url)
        token = prepare(db)
        before = count_moves(db)
        port = free_port()
        server = start_server(url, port, args.workers)
        try:
            results, elapsed = load(port, token, args.clients, args.seconds)
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
    figures = [
        Figure("requests/s (all answers)", len(results) / elapsed, "/s"),
        Figure("moves posted/s (201)", len(ok) / elapsed, "/s"),
        Figure("latency p50", percentile(latencies, 0.5) * 1000, "ms"),
        Figure("latency p95", percentile(latencies, 0.95) * 1000, "ms"),
        Figure("latency p99", percentile(latencies, 0.99) * 1000, "ms"),
        Figure("answers other than 201", sum(errors.values()), "", "0", not errors),
        Figure("ledger moves == 201 answers", posted, "moves", str(len(ok)), posted == len(ok)),
        Figure("verify problems", len(report.problems), "", "0", report.ok),
    ]
    title = f"HTTP API: {args.clients} clients, {args.workers} workers, {elapsed:.1f} s, PostgreSQL"
    print_table(title, figures)
    print(f"\nanswers by status: {dict(sorted(statuses.items()))}")
    if report.problems:
        print(f"verify problems (first 5): {report.problems[:5]}")
    meta = {**vars(args), "statuses": {str(k): v for k, v in statuses.items()}}
    print(f"saved {save('http', meta, figures)}")


if __name__ == "__main__":
    main()
