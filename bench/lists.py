"""The long lists on a big database, through the app as a client sees them.

Run on the database ``bench/bulk.py --keep`` leaves (1,000,000 moves, 10,000 items, ~320k
balances): the first page of ``/api/v1/stock`` and ``/api/v1/moves``, page 10,000 (limit 50)
by offset and by cursor, sorted pages, ``/api/v1/valuation?limit=50``, the first page of
``/api/v1/stock/as-of``, the web dashboard ``/`` and stock page ``/stock``; each the median of
``--runs`` requests through an in-process client of the app (no network), signed in as an
administrator (an API token; a web session for the pages).

    .venv/bin/python bench/lists.py --url sqlite:////tmp/.../bench.db [--runs 20]
    .venv/bin/python bench/lists.py --url postgresql://postgres@127.0.0.1:5432/cangku_bench_...

The database is migrated to head first (migration 0007 adds the sort indexes) and, on
PostgreSQL, analysed. A page "by cursor" is reached as a client would: the page before it is
read by offset (not timed) and its ``next_cursor`` asked for; where a list is shorter than
10,000 pages of 50 (the stock list: ~6,400), its last page stands in for page 10,000.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from cangku.app import create_app
from cangku.db.tables import balances, locations, moves
from cangku.db.uow import Database
from cangku.domain.enums import VALUED_KINDS
from cangku.services.auth import create_token, sign_in
from cangku.services.common import Context
from cangku.services.setup import initialize
from cangku.settings import Settings
from cangku.web.access import SESSION_COOKIE
from support import Figure, print_table, save

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PASSWORD = "bench horse battery staple"
TARGET_MS = 100.0
LIMIT = 50
PAGE = 10_000


def median_request(
    client: TestClient, url: str, params: dict[str, Any], runs: int
) -> tuple[float, int]:
    """Median wall time (ms) of GET ``url`` and the size of its body."""
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.get(url, params=params)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (url, params, answer.status_code, answer.text[:300])
        size = len(answer.content)
    return statistics.median(times), size


def figure(name: str, ms: float, size: int) -> Figure:
    return Figure(f"{name} ({size / 1024:,.0f} KB)", ms, "ms", f"< {TARGET_MS:.0f} ms",
                  ms < TARGET_MS)  # fmt: skip


def counts(db: Database) -> tuple[int, int]:
    """Rows of the stock list (valued, non-zero) and of the moves list."""
    with db.read() as conn:
        stock = conn.execute(
            select(func.count())
            .select_from(balances)
            .join(locations, locations.c.id == balances.c.location_id)
            .where(
                locations.c.kind.in_([str(k) for k in VALUED_KINDS]),
                (balances.c.on_hand != 0) | (balances.c.reserved != 0),
            )
        ).scalar_one()
        moved = conn.execute(select(func.count()).select_from(moves)).scalar_one()
    return int(stock), int(moved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a database bench/bulk.py --keep left")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    db = Database(args.url)
    started = time.perf_counter()
    initialize(db, admin_password=PASSWORD)  # migrates to head (0007: the sort indexes)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    print(f"migrated{' and analysed' if 'postgres' in args.url else ''} in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    token = create_token(db, Context("admin"), "bench lists").token
    session = sign_in(db, "admin", PASSWORD)
    stock_rows, move_rows = counts(db)
    print(f"{stock_rows:,} stock rows, {move_rows:,} moves")
    app = create_app(Settings(database_url=args.url), db)
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    web = TestClient(app, base_url="https://testserver")
    web.cookies.set(SESSION_COOKIE, session.session_id)
    runs = args.runs
    figures: list[Figure] = []

    def measure(name: str, url: str, **params: Any) -> None:
        ms, size = median_request(api if url.startswith(API) else web, url, params, runs)
        figures.append(figure(name, ms, size))
        print(f"  {name}: {ms:.1f} ms", flush=True)

    def cursor_at(url: str, offset: int, **params: Any) -> str:
        """The next_cursor of the page before ``offset`` (read by offset, not timed)."""
        before = api.get(url, params={**params, "limit": LIMIT, "offset": offset - LIMIT}).json()
        cursor: str = before["next_cursor"]
        return cursor

    for path, rows in ((f"{API}/stock", stock_rows), (f"{API}/moves", move_rows)):
        deep = min((PAGE - 1) * LIMIT, (rows - 1) // LIMIT * LIMIT)
        page_no = deep // LIMIT + 1
        measure(f"{path} first page", path, limit=LIMIT)
        measure(f"{path} page {page_no:,} by offset", path, limit=LIMIT, offset=deep)
        measure(f"{path} page {page_no:,} by cursor", path, limit=LIMIT,
                cursor=cursor_at(path, deep))  # fmt: skip
    sorts: list[tuple[str, str]] = [
        (f"{API}/stock", "-on_hand"),
        (f"{API}/stock", "location"),
        (f"{API}/stock", "available"),
        (f"{API}/stock", "expires_on"),
        (f"{API}/moves", "item"),
        (f"{API}/moves", "-quantity"),
    ]
    for path, sort in sorts:
        measure(f"{path}?sort={sort} first page", path, limit=LIMIT, sort=sort)
        cursor = cursor_at(path, 1_000 * LIMIT, sort=sort)
        measure(f"{path}?sort={sort} page 1,001 by cursor", path, limit=LIMIT, sort=sort,
                cursor=cursor)  # fmt: skip
    measure(f"{API}/valuation?limit=50", f"{API}/valuation", limit=LIMIT)
    deep_value = api.get(f"{API}/valuation", params={"limit": LIMIT, "offset": 9_900}).json()
    measure(f"{API}/valuation?limit=50 items 9,951-10,000 by cursor", f"{API}/valuation",
            limit=LIMIT, cursor=deep_value["next_cursor"] or "")  # fmt: skip
    past = (datetime.now(UTC) - timedelta(days=180)).replace(microsecond=0).isoformat()
    measure(f"{API}/stock/as-of first page (180 days ago)", f"{API}/stock/as-of", at=past,
            limit=LIMIT)  # fmt: skip
    first = api.get(f"{API}/stock/as-of", params={"at": past, "limit": LIMIT}).json()
    measure(f"{API}/stock/as-of next page by cursor", f"{API}/stock/as-of", at=past,
            limit=LIMIT, cursor=first["next_cursor"])  # fmt: skip
    measure("web dashboard /", "/")
    measure("web stock page /stock", "/stock")
    slow: list[tuple[str, Callable[[], Any]]] = [
        (f"{API}/stock/as-of page 2,001 by offset (the slow way, once)",
         lambda: api.get(f"{API}/stock/as-of",
                         params={"at": past, "limit": LIMIT, "offset": 2_000 * LIMIT})),
    ]  # fmt: skip
    for name, work in slow:
        started = time.perf_counter()
        answer = work()
        ms = (time.perf_counter() - started) * 1000
        assert answer.status_code == 200, answer.text[:300]
        figures.append(Figure(f"  {name}", ms, "ms"))
    db.dispose()
    engine = "postgresql" if "postgres" in args.url else "sqlite"
    print_table(f"lists: {stock_rows:,} stock rows, {move_rows:,} moves, {engine}, median of "
                f"{runs} requests", figures)  # fmt: skip
    print(f"\nsaved {save(f'lists-{engine}-{move_rows}', {'url': engine, 'runs': runs}, figures)}")


if __name__ == "__main__":
    main()
