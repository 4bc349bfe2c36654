"""Moving a real retailer in: the UCI "Online Retail" file, items and all moves, end to end.

The file (``../shared/data/online_retail.csv.gz``, 541,909 invoice lines of a UK gift-ware
wholesaler, 2010-12 to 2011-12) is the sell side only. The mapping (items, one warehouse ``UK``,
sales as issues, ``C`` invoices as returns, write-offs and found goods as adjustments, receipts
synthesised where stock would go negative) lives in ``tests/retail.py``, shared with the report
test ``tests/scenarios/test_retail_reports.py``; its docstring says what becomes what.

The result is checked against an independent fold of the same moves in plain Python: on hand
of every item, and ``verify``.

Prints the time of each phase (parse and map, items import, moves import) and the total.
Target (issue 9): items plus all moves in under 30 s on SQLite on this machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from cangku.db.tables import balances, items, locations
from cangku.db.uow import Database
from cangku.domain.quantities import from_scaled
from cangku.queries.verify import verify
from cangku.services.bulk import post_bulk
from cangku.services.common import Context
from cangku.services.imports import import_file
from cangku.services.locations import LocationInput, create_location
from cangku.services.setup import initialize
from cangku.services.warehouses import WarehouseInput, create_warehouse
from support import fresh_database

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.retail
from tests.retail import DATA, item_master, items_csv, map_moves, read_lines

CTX = Context(username="admin")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--file", type=Path, default=DATA)
    args = parser.parse_args()
    if not args.file.exists():
        sys.exit(f"{args.file} not found")
    with fresh_database(args.engine) as url:
        db = Database(url)
        initialize(db)
        create_warehouse(db, CTX, WarehouseInput("UK", "UK warehouse"))
        create_location(db, CTX, LocationInput("UK-STOCK", "Stock", warehouse="UK"))
        started = time.perf_counter()
        lines = read_lines(args.file)
        master = item_master(lines)
        moves, expected, synthesised = map_moves(lines, master)
        parsed = time.perf_counter()
        summary = import_file(db, CTX, "items", items_csv(master))
        items_done = time.perf_counter()
        result = post_bulk(db, CTX, moves, args.batch)
        posted = time.perf_counter()
        with db.read() as conn:
            rows = conn.execute(
                select(items.c.code, balances.c.on_hand)
                .join(items, items.c.id == balances.c.item_id)
                .join(locations, locations.c.id == balances.c.location_id)
                .where(locations.c.code == "UK-STOCK", balances.c.on_hand != 0)
            ).all()
            found = {code: from_scaled(int(qty)) for code, qty in rows}
            report = verify(conn)
        db.dispose()
    wanted = {code: Decimal(q) for code, q in expected.items() if q}
    print(
        f"engine {args.engine}; {len(lines):,} file lines -> {len(master):,} items, "
        f"{len(moves):,} moves ({synthesised:,} receipts synthesised)"
    )
    print(f"  parse and map      {parsed - started:7.2f} s")
    print(f"  items import       {items_done - parsed:7.2f} s  ({summary.created:,} created)")
    print(
        f"  moves import       {posted - items_done:7.2f} s  "
        f"({result.posted:,} moves, {result.posted / (posted - items_done):,.0f} moves/s)"
    )
    print(f"  total              {posted - started:7.2f} s  (target < 30 s on SQLite)")
    print(
        f"  on hand matches an independent fold: {found == wanted} ({len(wanted):,} items "
        f"with stock); verify: {'clean' if report.ok else report.problems[:3]}"
    )
    if found != wanted or not report.ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
