"""A sales order of 5,000 lines through every outbound step, FEFO across 50 lots per item, and
a wave of 500 orders x 10 lines allocated in one step (issue 13).

On a fresh database per engine: one warehouse ``WH`` (50 bins ``WH-B00``..``WH-B49`` and a
shipping location ``WH-SHIP``), one customer, N lot-tracked items allocated FEFO, each with
``--lots`` lots of 20 units in as many bins (a lot's expiry a day later per lot number, put in
bins in reverse so that FEFO and the walking route disagree), received through the ledger in
postings of 5,000 lines. Then, through the services, each step timed and its SQL statements
counted (``support.Counter``): create the order (10 units a line: FEFO finds the
earliest-expiring of the item's 50 lots, so one reservation, one pick and one shipped move a
line) and submit it, approve it (an approval rule makes it wait), allocate, make the
pick list (one line per reservation), confirm every pick, ship. The same steps
run on a 50-line order first (after a 5-line warm-up), so both statement counts print side by
side. Last, the wave: 500 orders of 10 lines (on other items' stock), created and approved,
then allocated in one step.

    .venv/bin/python bench/outbound_documents.py [--engine sqlite|postgresql] [--lines 5000]
                                                 [--lots 50] [--wave 500] [--profile STEP]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from cangku.db import lookups
from cangku.db.tables import items, lots
from cangku.db.uow import Database
from cangku.domain.enums import LotStatus, Operation
from cangku.domain.stock import LotInfo, MoveLine
from cangku.services.common import Context
from cangku.services.outbound.allocation import allocate_request, allocate_wave
from cangku.services.outbound.picking import confirm_pick, create_pick_list
from cangku.services.outbound.requests import (
    NewRequest,
    RequestLineInput,
    approve_request,
    create_request,
)
from cangku.services.outbound.rules import ApprovalRuleInput, add_approval_rule
from cangku.services.outbound.shipping import ship_request
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.setup import initialize
from cangku.services.users import create_user
from cangku.services.warehouses import (
    LocationInput,
    WarehouseInput,
    create_location,
    create_warehouse,
)
from support import (
    Counter,
    Figure,
    Steps,
    fresh_database,
    post_in_batches,
    print_grid,
    print_table,
    save,
)

CTX = Context("admin")
SALES = Context("sales")
STEP_TARGET_S = 2.0
WAVE_TARGET_S = 5.0
BINS = 50
UNITS_PER_LOT = 20
STEPS = ("create + submit", "approve", "allocate (FEFO)", "make pick list", "pick", "ship")


def prepare(db: Database, n_items: int, n_lots: int) -> list[str]:
    """The warehouse, bins, customer, users, rule, ``n_items`` items with ``n_lots`` lots each."""
    initialize(db)
    create_warehouse(db, CTX, WarehouseInput("WH", "Bench warehouse"))
    create_location(db, CTX, LocationInput("WH-SHIP", "Shipping", kind="shipping", warehouse="WH"))
    for n in range(BINS):
        create_location(db, CTX, LocationInput(f"WH-B{n:02d}", f"Bin {n}", warehouse="WH"))
    create_partner(db, CTX, PartnerInput("CUST", "Bench customer", is_customer=True))
    create_user(db, CTX, "sales", "Sales", roles=[("purchaser", "WH")])
    add_approval_rule(db, CTX, ApprovalRuleInput("sales_order", min_quantity="1"))
    now = datetime.now(UTC)
    codes = [f"IT-{i:05d}" for i in range(n_items)]
    today = date.today()
    with db.write() as uow:
        conn = uow.conn
        conn.execute(
            insert(items),
            [
                {"code": code, "name": f"Bench item {i}", "item_type": "finished_good",
                 "base_unit": "pcs", "tracking": "lot", "shelf_life_days": 720,
                 "allocation_strategy": "fefo", "costing_method": "fifo", "active": True,
                 "version": 1, "created_at": now, "updated_at": now}
                for i, code in enumerate(codes)
            ],
        )  # fmt: skip
        ids = dict(conn.execute(select(items.c.code, items.c.id)).all())
        conn.execute(
            insert(lots),
            [
                {"item_id": ids[code], "code": f"L{j:02d}", "status": "available",
                 "expires_on": today + timedelta(days=100 + j), "version": 1,
                 "created_at": now, "updated_at": now}
                for code in codes
                for j in range(n_lots)
            ],
        )  # fmt: skip
        uow.commit()
    _receive(db, codes, n_lots)
    return codes


def _receive(db: Database, codes: list[str], n_lots: int) -> None:
    """Every lot into its bin (lot j into bin 49 - j), through the ledger, 5,000 lines a posting."""
    with db.read() as conn:
        places = {
            code: lookups.location_by_code(conn, code)
            for code in ["WH-SHIP"] + [f"WH-B{n:02d}" for n in range(BINS)]
        }
        supplier = next(
            lookups.location_by_id(conn, i)
            for i in range(1, 100)
            if lookups.location_by_id(conn, i).kind == "supplier"
        )
        item_rows = {code: lookups.item_by_code(conn, code) for code in codes}
        lot_rows = {
            (r[0], r[1]): LotInfo(int(r[2]), int(r[0]), r[1], LotStatus.AVAILABLE, expires_on=r[3])
            for r in conn.execute(select(lots.c.item_id, lots.c.code, lots.c.id, lots.c.expires_on))
        }
    lines = [
        MoveLine(
            Operation.RECEIVE,
            item_rows[code],
            supplier,
            places[f"WH-B{(BINS - 1 - j) % BINS:02d}"],
            UNITS_PER_LOT * 10**6,
            lot=lot_rows[(item_rows[code].id, f"L{j:02d}")],
            unit_cost=(1 + j % 7) * 10**6,
        )  # fmt: skip
        for code in codes
        for j in range(n_lots)
    ]
    seconds = post_in_batches(db, lines)
    print(f"received {len(lines):,} lot lines in {seconds:.1f} s")


@dataclass
class Run:
    lines: int
    seconds: dict[str, float]
    statements: dict[str, int]


def walk(db: Database, counter: Counter, codes: list[str], profile: str | None) -> Run:
    step = Steps(counter, profile, f"({len(codes)} lines)")
    lines = [RequestLineInput(code, "10", unit_price="9.5") for code in codes]
    order = step(
        "create + submit",
        lambda: create_request(
            db, SALES, NewRequest("sales_order", "WH", lines, customer="CUST", submit=True)
        ),
    ).number
    step("approve", lambda: approve_request(db, CTX, "sales_order", order))
    step("allocate (FEFO)", lambda: allocate_request(db, CTX, "sales_order", order))
    pick = step("make pick list", lambda: create_pick_list(db, CTX, [order])).number
    step("pick", lambda: confirm_pick(db, CTX, pick))
    shipped = step("ship", lambda: ship_request(db, CTX, "sales_order", order, carrier="SF"))
    assert shipped.state == "shipped", shipped
    return Run(len(codes), step.seconds, step.statements)


def wave(db: Database, codes: list[str], orders: int) -> tuple[float, int]:
    """``orders`` orders of 10 lines each, created and approved, then allocated in one step."""
    numbers = []
    for n in range(orders):
        chosen = [codes[(n * 10 + k) % len(codes)] for k in range(10)]
        lines = [RequestLineInput(code, "1") for code in chosen]
        made = create_request(
            db, SALES, NewRequest("sales_order", "WH", lines, customer="CUST", submit=True)
        )
        approve_request(db, CTX, "sales_order", made.number)
        numbers.append(made.number)
    started = time.perf_counter()
    answer = allocate_wave(db, CTX, "sales_order", numbers)
    elapsed = time.perf_counter() - started
    return elapsed, sum(1 for a in answer.values() if a["state"] == "allocated")


def bench(
    engine: str, n: int, n_lots: int, n_wave: int, profile: str | None, keep: bool = False
) -> list[Figure]:
    figures: list[Figure] = []
    with fresh_database(engine, keep) as url:
        db = Database(url)
        try:
            wave_items = max(10, n_wave * 10 // 5)
            codes = prepare(db, n + 55 + wave_items, n_lots)
            counter = Counter(db)
            walk(db, counter, codes[:5], None)  # warm-up
            small = walk(db, counter, codes[5:55], None)
            large = walk(db, counter, codes[55 : 55 + n], profile)
            print_grid(
                f"{engine}: each step, {small.lines} and {large.lines} order lines",
                ("step", "lines", "seconds", "statements", "lines", "seconds", "statements"),
                [
                    (name, str(small.lines), f"{small.seconds[name]:.3f}",
                     str(small.statements[name]), str(large.lines),
                     f"{large.seconds[name]:.3f}", str(large.statements[name]))
                    for name in STEPS
                ],
            )  # fmt: skip
            for name in STEPS:
                figures.append(
                    Figure(
                        f"{engine} {name}, {large.lines} lines", large.seconds[name], "s",
                        f"< {STEP_TARGET_S:g} s", large.seconds[name] < STEP_TARGET_S,
                    )
                )  # fmt: skip
                figures.append(
                    Figure(
                        f"{engine} {name}: statements at {small.lines} / {large.lines} lines",
                        large.statements[name], f"(vs {small.statements[name]})", "the same",
                        large.statements[name] == small.statements[name],
                    )
                )  # fmt: skip
            seconds, allocated = wave(db, codes[55 + n :], n_wave)
            print(f"\n{engine}: wave of {n_wave} orders x 10 lines, {allocated} allocated")
            figures.append(
                Figure(
                    f"{engine} allocate a wave of {n_wave} orders x 10 lines", seconds, "s",
                    f"< {WAVE_TARGET_S:g} s", seconds < WAVE_TARGET_S,
                )
            )  # fmt: skip
        finally:
            db.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--lots", type=int, default=50)
    parser.add_argument("--wave", type=int, default=500)
    parser.add_argument("--profile", help="cProfile the large run's step whose name has this")
    parser.add_argument("--keep", action="store_true", help="keep the database to inspect")
    args = parser.parse_args()
    figures: list[Figure] = []
    for engine in args.engine or ["sqlite", "postgresql"]:
        figures += bench(engine, args.lines, args.lots, args.wave, args.profile, args.keep)
    print_table("outbound documents (issue 13)", figures)
    save(
        "outbound_documents",
        {"lines": args.lines, "lots": args.lots, "wave": args.wave},
        figures,
    )


if __name__ == "__main__":
    main()
