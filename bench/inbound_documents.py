"""A purchase order of 5,000 lines through every inbound step, and the task inbox of a user with
10,000 open documents (issue 12).

On a fresh database per engine: one warehouse ``WH`` (receiving ``WH-RCV``, quality ``WH-QC``, a
rejection location ``WH-REJ`` of kind quality set as the warehouse's rejection location, 50
bins), N items inserted set-based (every 5th lot-tracked, every 5th marked for inspection, half
of those lot-tracked too, each with a default bin), one supplier. Then, through the services,
each step timed and its SQL statements counted: create the order (N lines), confirm it, receive
every line on one receipt (lots for the lot-tracked items), record the inspection (every 7th
inspected line, the first too, rejects 1 of its 10 with a reason, the rest accepted), put away
the receipt's put-away and the one the inspection opened (each line to its suggested bin). The
same steps run on a 50-line order first (after a 5-line warm-up), so both statement counts print
side by side.

A statement is one call that reaches the database: SQLAlchemy's ``before_cursor_execute`` (an
executemany, and SQLAlchemy's batches of one ``insert().values`` list, count once per
``execute``) and the driver-level calls of the posting path (``cangku.db.driver``: an execute
or an executemany counts once each, also inside a PostgreSQL pipeline).

The inbox: 10,000 open documents (purchase orders, receipts, inspections, put-aways in the
states that make them tasks, a fifth of them overdue, some assigned to others) inserted
set-based with ``db.documents``' tables, then ``queries.documents.my_tasks`` (first page of 50
with its capped count) and ``task_counts`` for a warehouse manager, median of 20.

    .venv/bin/python bench/inbound_documents.py [--engine sqlite|postgresql] [--lines 5000]
                                                [--inbox 10000] [--profile STEP]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select, update

from cangku.db.tables import documents, items, locations, users, warehouses
from cangku.db.uow import Database
from cangku.queries.documents import my_tasks, task_counts
from cangku.services.auth import whoami
from cangku.services.common import Context
from cangku.services.inbound.inspections import InspectionLineInput, record_inspection
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    confirm_order,
    create_purchase_order,
)
from cangku.services.inbound.putaways import put_away
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.setup import initialize
from cangku.services.users import create_user
from cangku.services.warehouses import (
    LocationInput,
    WarehouseInput,
    create_location,
    create_warehouse,
)
from support import Counter, Figure, Steps, fresh_database, print_grid, print_table, save

CTX = Context("admin")
STEP_TARGET_S = 2.0
INBOX_TARGET_MS = 100.0
BINS = 50
STEPS = (
    "create order",
    "confirm",
    "receive (one receipt)",
    "inspect",
    "put away (from receipt)",
    "put away (after inspection)",
)


# ------------------------------------------------------------------ the company
def lot_tracked(i: int) -> bool:
    """Every fifth item is lot-tracked; half of those need inspection too (i % 5 == 1)."""
    return i % 10 in (1, 4)


def prepare(db: Database, n_items: int) -> list[str]:
    """The warehouse, its locations, the supplier and ``n_items`` items."""
    initialize(db)
    create_warehouse(db, CTX, WarehouseInput("WH", "Bench warehouse"))
    for code, kind in (("WH-RCV", "receiving"), ("WH-QC", "quality"), ("WH-REJ", "quality")):
        create_location(db, CTX, LocationInput(code, code, kind=kind, warehouse="WH"))
    for n in range(BINS):
        create_location(db, CTX, LocationInput(f"WH-B{n:02d}", f"Bin {n}", warehouse="WH"))
    create_partner(db, CTX, PartnerInput("SUP", "Bench supplier", is_supplier=True))
    now = datetime.now(UTC)
    codes = [f"IT-{i:05d}" for i in range(n_items)]
    with db.write() as uow:
        conn = uow.conn
        bins = dict(
            conn.execute(
                select(locations.c.code, locations.c.id).where(locations.c.code.like("WH-B%"))
            ).all()
        )
        conn.execute(
            insert(items),
            [
                {"code": code, "name": f"Bench item {i}", "item_type": "raw_material",
                 "base_unit": "pcs", "tracking": "lot" if lot_tracked(i) else "none",
                 "costing_method": "fifo", "active": True, "version": 1,
                 "inspection_required": i % 5 == 1,
                 "default_location_id": bins[f"WH-B{i % BINS:02d}"],
                 "created_at": now, "updated_at": now}
                for i, code in enumerate(codes)
            ],
        )  # fmt: skip
        rejection = conn.execute(
            select(locations.c.id).where(locations.c.code == "WH-REJ")
        ).scalar_one()
        conn.execute(
            update(warehouses)
            .where(warehouses.c.code == "WH")
            .values(rejection_location_id=rejection)
        )
        uow.commit()
    return codes


# ------------------------------------------------------------------ the steps
@dataclass
class Run:
    lines: int
    seconds: dict[str, float]
    statements: dict[str, int]
    sizes: dict[str, int]


def walk(db: Database, counter: Counter, codes: list[str], tag: str, profile: str | None) -> Run:
    step = Steps(counter, profile, f"({len(codes)} lines)")
    sizes: dict[str, int] = {}

    lines = [OrderLineInput(code, "10", unit_price="1.25") for code in codes]
    order = step(
        "create order",
        lambda: create_purchase_order(db, CTX, NewPurchaseOrder("SUP", "WH", lines)),
    ).number
    step("confirm", lambda: confirm_order(db, CTX, order))
    receipt_lines = [
        ReceiptLineInput(
            code, "10", order_line=n, lot=f"{tag}-L{n}" if lot_tracked(int(code[3:])) else None
        )
        for n, code in enumerate(codes, start=1)
    ]
    received = step(
        "receive (one receipt)",
        lambda: create_receipt(db, CTX, NewReceipt(receipt_lines, order=order, delivery_note=tag)),
    )
    inspection, first_putaway = received.data["inspection"], received.data["putaway"]
    inspected = sum(1 for code in codes if int(code[3:]) % 5 == 1)
    results = [
        InspectionLineInput(n, "9", "1", "damaged", sample_size="2")
        if n % 7 == 1
        else InspectionLineInput(n, "10")
        for n in range(1, inspected + 1)
    ]
    done = step("inspect", lambda: record_inspection(db, CTX, inspection, results))
    second_putaway = done.data["putaway"]
    step("put away (from receipt)", lambda: put_away(db, CTX, first_putaway))
    step("put away (after inspection)", lambda: put_away(db, CTX, second_putaway))
    sizes.update(
        {
            "create order": len(codes),
            "confirm": len(codes),
            "receive (one receipt)": len(codes),
            "inspect": inspected,
            "put away (from receipt)": len(codes) - inspected,
            "put away (after inspection)": inspected,
        }
    )
    return Run(len(codes), step.seconds, step.statements, sizes)


# ------------------------------------------------------------------ the inbox
def fill_inbox(db: Database, count: int) -> None:
    """``count`` open documents in the states that make them tasks, set-based."""
    kinds = [
        ("purchase_order", "PO", "draft"),
        ("purchase_order", "PO", "awaiting_approval"),
        ("purchase_order", "PO", "confirmed"),
        ("receipt", "GR", "draft"),
        ("inspection", "QC", "open"),
        ("putaway", "PA", "open"),
    ]
    now = datetime.now(UTC)
    today = now.date()
    with db.write() as uow:
        conn = uow.conn
        wh = conn.execute(select(warehouses.c.id).where(warehouses.c.code == "WH")).scalar_one()
        buyer, other = (
            conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one()
            for name in ("buyer", "other")
        )
        rows = []
        for n in range(count):
            doc_type, prefix, state = kinds[n % len(kinds)]
            rows.append(
                {
                    "doc_type": doc_type, "number": f"{prefix}-WH-BENCH-{n:06d}",
                    "warehouse_id": wh, "state": state, "created_by": buyer,
                    "assignee_id": other if n % 50 == 7 else None,
                    "due_on": today + timedelta(days=(n % 20) - 4),
                    "version": 1, "created_at": now, "updated_at": now,
                }
            )  # fmt: skip
        conn.execute(insert(documents), rows)
        uow.commit()


def inbox(db: Database, runs: int = 20) -> tuple[float, float, int]:
    actor = whoami(db, Context("boss"))
    today = date.today()
    tasks: list[float] = []
    counts: list[float] = []
    total = 0
    for _ in range(runs):
        with db.read() as conn:
            started = time.perf_counter()
            page = my_tasks(conn, actor, today)
            tasks.append((time.perf_counter() - started) * 1000)
            total = page.total
            started = time.perf_counter()
            task_counts(conn, actor, today)
            counts.append((time.perf_counter() - started) * 1000)
    return statistics.median(tasks), statistics.median(counts), total


# ------------------------------------------------------------------ main
def bench(engine: str, n: int, n_inbox: int, profile: str | None) -> list[Figure]:
    figures: list[Figure] = []
    with fresh_database(engine) as url:
        db = Database(url)
        try:
            codes = prepare(db, n)
            counter = Counter(db)
            walk(db, counter, codes[:5], "W", None)  # warm-up: counters, caches, imports
            small = walk(db, counter, codes[:50], "S", None)
            large = walk(db, counter, codes, "L", profile)
            print_grid(
                f"{engine}: each step, {small.lines} and {large.lines} order lines",
                ("step", "lines", "seconds", "statements", "lines", "seconds", "statements"),
                [
                    (
                        name,
                        str(small.sizes[name]),
                        f"{small.seconds[name]:.3f}",
                        str(small.statements[name]),
                        str(large.sizes[name]),
                        f"{large.seconds[name]:.3f}",
                        str(large.statements[name]),
                    )
                    for name in STEPS
                ],
            )
            for name in STEPS:
                figures.append(
                    Figure(
                        f"{engine} {name}, {large.sizes[name]} lines",
                        large.seconds[name],
                        "s",
                        f"< {STEP_TARGET_S:g} s",
                        large.seconds[name] < STEP_TARGET_S,
                    )
                )
                figures.append(
                    Figure(
                        f"{engine} {name}: statements at {small.lines} / {large.lines} lines",
                        large.statements[name],
                        f"(vs {small.statements[name]})",
                        "the same",
                        large.statements[name] == small.statements[name],
                    )
                )
            create_user(db, CTX, "buyer", "Buyer", roles=[("purchaser", "WH")])
            create_user(db, CTX, "other", "Other clerk", roles=[("receiving_clerk", "WH")])
            create_user(db, CTX, "boss", "Boss", roles=[("warehouse_manager", "WH")])
            started = time.perf_counter()
            fill_inbox(db, n_inbox)
            filled = time.perf_counter() - started
            tasks_ms, counts_ms, total = inbox(db)
            print(f"\n{engine}: {n_inbox:,} open documents inserted in {filled:.2f} s;"
                  f" the manager's inbox counts {total:,} (capped)")  # fmt: skip
            figures.append(
                Figure(
                    f"{engine} my_tasks, {n_inbox:,} open documents (first page, median)",
                    tasks_ms,
                    "ms",
                    f"< {INBOX_TARGET_MS:g} ms",
                    tasks_ms < INBOX_TARGET_MS,
                )
            )
            figures.append(
                Figure(
                    f"{engine} task_counts, {n_inbox:,} open documents (median)",
                    counts_ms,
                    "ms",
                    f"< {INBOX_TARGET_MS:g} ms",
                    counts_ms < INBOX_TARGET_MS,
                )
            )
        finally:
            db.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--inbox", type=int, default=10_000)
    parser.add_argument("--profile", help="cProfile the large run's step whose name has this")
    args = parser.parse_args()
    figures: list[Figure] = []
    for engine in args.engine or ["sqlite", "postgresql"]:
        figures += bench(engine, args.lines, args.inbox, args.profile)
    print_table("inbound documents (issue 12)", figures)
    save("inbound_documents", {"lines": args.lines, "inbox": args.inbox}, figures)


if __name__ == "__main__":
    main()
