"""A full count of a warehouse with 50,000 balance rows while other postings continue (issue 14).

On a fresh database per engine: a warehouse ``WH`` with 10 bins and 5,000 items, 100 units of
each item in each bin (50,000 balance rows; every 10th item lot-tracked, its bins holding lots
``L0`` and ``L1`` in turn), received through the ledger in postings of 5,000 lines; a small
warehouse ``WS`` (50 items x 10 bins = 500 rows) for the statement counts at another size.
Another process (``Poster``; ``--poster thread``: a thread) keeps posting single receipts
(2 units) and issues (1 unit) at random places of ``WH`` through the services from before the
first count starts until the last is posted, ``--rate`` a second (0: as fast as it can).

Then, through the services, each step timed and its statements counted (``support.Counter``,
this thread only): create + start (the snapshot), enter what was found in batches of
``--batch`` entries (the counter reads the places' balances just before each batch, outside
the timing, and enters them; ``--differ`` of the places, 5 % by default, are entered 1 to 3
off), close (each line's moves since and unit cost), the review read (``count_view`` of every
line, as a manager reads it: it does not page), approve, post (the adjustments). ``WS`` runs
first (batches of a tenth of ``--batch``), so both statement counts print side by side.

At the end, with the poster stopped: ``verify`` is clean, and per line of the large count the
posted adjustment equals counted - (snapshot + the moves since the snapshot at that place up
to its count), computed here from the moves themselves, and its balance now equals counted +
the moves after its count.

    .venv/bin/python bench/counts.py [--engine sqlite|postgresql] [--items 5000] [--batch 1000]
                                     [--rate 20] [--differ 0.05] [--profile STEP] [--keep]
                                     [--poster process|thread]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import insert, select

from cangku.db import lookups
from cangku.db.inbound import virtual_location
from cangku.db.tables import balances, count_heads, count_lines, documents, items, lots, moves
from cangku.db.uow import Database
from cangku.domain.enums import LocationKind, LotStatus, Operation
from cangku.domain.errors import CangkuError
from cangku.domain.stock import LotInfo, MoveLine
from cangku.queries.counts import count_view
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.counts import (
    CountEntry,
    NewCount,
    approve_count,
    close_count,
    create_count,
    enter_counts,
    post_count,
)
from cangku.services.setup import initialize
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
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
BINS = 10
ON_HAND = 100
TARGETS = {"create + start": 2.0, "review (count_view)": 2.0, "post": 5.0}
STEPS = ("create + start", "enter (all batches)", "close", "review (count_view)", "approve", "post")


def lot_of(i: int, b: int) -> str | None:
    """Every 10th item is lot-tracked: its bins hold lots L0 and L1 in turn."""
    return f"L{b % 2}" if i % 10 == 3 else None


def prepare(
    db: Database, warehouse: str, n_items: int, first: int
) -> list[tuple[str, str, str | None]]:
    """The warehouse, its bins, ``n_items`` items numbered from ``first``, ON_HAND of each in
    each bin: answers the places (bin, item, lot)."""
    create_warehouse(db, CTX, WarehouseInput(warehouse, f"Bench {warehouse}"))
    bins = [f"{warehouse}-B{b:02d}" for b in range(BINS)]
    for code in bins:
        create_location(db, CTX, LocationInput(code, code, warehouse=warehouse))
    now = datetime.now(UTC)
    numbers = range(first, first + n_items)
    with db.write() as uow:
        conn = uow.conn
        conn.execute(
            insert(items),
            [
                {"code": f"IT-{i:05d}", "name": f"Bench item {i}", "item_type": "raw_material",
                 "base_unit": "pcs", "tracking": "lot" if lot_of(i, 0) else "none",
                 "costing_method": "fifo", "active": True, "version": 1,
                 "created_at": now, "updated_at": now}
                for i in numbers
            ],
        )  # fmt: skip
        ids = dict(conn.execute(select(items.c.code, items.c.id)).all())
        conn.execute(
            insert(lots),
            [
                {"item_id": ids[f"IT-{i:05d}"], "code": f"L{j}", "status": "available",
                 "version": 1, "created_at": now, "updated_at": now}
                for i in numbers if lot_of(i, 0)
                for j in range(2)
            ],
        )  # fmt: skip
        uow.commit()
    places = [(bins[b], f"IT-{i:05d}", lot_of(i, b)) for b in range(BINS) for i in numbers]
    _receive(db, warehouse, places)
    return places


def _receive(db: Database, warehouse: str, places: list[tuple[str, str, str | None]]) -> None:
    with db.read() as conn:
        wh = lookups.location_by_code(conn, f"{warehouse}-B00").warehouse_id
        supplier = lookups.location_by_id(conn, virtual_location(conn, wh, LocationKind.SUPPLIER))
        where = lookups.locations_by_codes(conn, sorted({p[0] for p in places}))
        found = lookups.items_by_codes(conn, sorted({p[1] for p in places}))
        lot_rows = {
            (int(r[0]), r[1]): LotInfo(int(r[2]), int(r[0]), r[1], LotStatus.AVAILABLE)
            for r in conn.execute(select(lots.c.item_id, lots.c.code, lots.c.id))
        }
    lines = [
        MoveLine(
            Operation.RECEIVE,
            found[item],
            supplier,
            where[bin_],
            ON_HAND * 10**6,
            lot=lot_rows[(found[item].id, lot)] if lot else None,
            unit_cost=2 * 10**6,
        )  # fmt: skip
        for bin_, item, lot in places
    ]
    seconds = post_in_batches(db, lines)
    print(f"{warehouse}: received {len(lines):,} places in {seconds:.1f} s")


class Poster:
    """Receipts and issues at random places, ``rate`` a second, until stopped: in a process of
    its own (``--poster thread``: a thread of this one), as other users' postings come from
    other server workers. A thread would share this process's interpreter lock with the steps
    being timed."""

    def __init__(
        self, url: str, places: list[tuple[str, str, str | None]], rate: float, kind: str
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.stop = context.Event() if kind == "process" else threading.Event()
        self.ready = context.Event() if kind == "process" else threading.Event()
        self._posted = context.Value("q", 0)
        self._refused = context.Value("q", 0)
        self._failed = context.Value("q", 0)
        args = (url, places, rate, self.stop, self.ready, self._posted, self._refused, self._failed)
        self.worker: Any = (
            context.Process(target=_post, args=args, daemon=True)
            if kind == "process"
            else threading.Thread(target=_post, args=args, daemon=True)
        )

    def start(self) -> None:
        """Start, and wait until the first posting is done (a process imports for a while)."""
        self.worker.start()
        if not self.ready.wait(120):
            raise RuntimeError("the poster did not start posting within 120 s")

    def finish(self) -> tuple[int, int, int]:
        """Stop; answers (posted, refused, failed)."""
        self.stop.set()
        self.worker.join()
        return self._posted.value, self._refused.value, self._failed.value


def _post(
    url: str, places: list[tuple[str, str, str | None]], rate: float, stop: Any, ready: Any,
    posted: Any, refused: Any, failed: Any,
) -> None:  # fmt: skip
    db = Database(url)
    pick = random.Random(14)
    started = time.perf_counter()
    while not stop.is_set():
        where, item, lot = pick.choice(places)
        try:
            if posted.value % 2:
                issue_stock(db, CTX, Issue(item, "1", where, lot=lot))
            else:
                receive_stock(db, CTX, Receive(item, "2", where, lot=lot, unit_cost="2"))
            posted.value += 1
        except CangkuError:
            refused.value += 1
        except Exception as exc:  # counted and shown, the bench goes on
            failed.value += 1
            print(f"  poster failure: {exc!r}", file=sys.stderr)
        ready.set()
        if rate:
            time.sleep(max(0.0, started + posted.value / rate - time.perf_counter()))
    db.dispose()


@dataclass
class Run:
    lines: int
    steps: Steps
    batches: list[float]
    batch_statements: list[int]
    number: str


def _on_hand(db: Database, chunk: list[tuple[str, str, str | None]]) -> dict[Any, int]:
    """What is on the shelves of ``chunk`` now (what the counter finds)."""
    with db.read() as conn:
        where = lookups.locations_by_codes(conn, sorted({p[0] for p in chunk}))
        found = lookups.items_by_codes(conn, sorted({p[1] for p in chunk}))
        rows = conn.execute(
            select(balances.c.location_id, balances.c.item_id, lots.c.code, balances.c.on_hand)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .where(
                balances.c.item_id.in_([found[p[1]].id for p in chunk]),
                balances.c.location_id.in_([loc.id for loc in where.values()]),
            )
        )
        on_hand = {(r[0], r[1], r[2]): int(r[3]) for r in rows}
    return {p: on_hand.get((where[p[0]].id, found[p[1]].id, p[2]), 0) for p in chunk}


def walk(
    db: Database, counter: Counter, warehouse: str, places: list[Any], batch: int,
    differ: float, profile: str | None,
) -> Run:  # fmt: skip
    step = Steps(counter, profile, f"({len(places):,} lines)")
    pick = random.Random(len(places))
    made = step("create + start", lambda: create_count(db, CTX, NewCount(warehouse, start=True)))
    number = made.number
    assert made.data["snapshot_lines"] == len(places), made.data
    batches, statements, cpu = [], [], 0.0
    order = sorted(places, key=lambda p: (p[0], p[1]))  # the counter walks bin by bin
    for start in range(0, len(order), batch):
        found = _on_hand(db, order[start : start + batch])
        entries = []
        for (where, item, lot), quantity in found.items():
            units = quantity // 10**6
            if pick.random() < differ:
                units = max(0, units + pick.choice((-3, -2, -1, 1, 2, 3)))
            entries.append(CountEntry(where, item, str(units), lot))
        step("enter batch", partial(enter_counts, db, CTX, number, entries))
        batches.append(step.seconds["enter batch"])
        cpu += step.cpu["enter batch"]
        statements.append(step.statements["enter batch"])
    step.seconds["enter (all batches)"] = sum(batches)
    step.cpu["enter (all batches)"] = cpu
    step.statements["enter (all batches)"] = max(statements)
    step("close", lambda: close_count(db, CTX, number))

    def review() -> Any:
        with db.read() as conn:
            return count_view(conn, number, None, lambda _: False)

    view = step("review (count_view)", review)
    assert len(view.lines) >= len(places)
    step("approve", lambda: approve_count(db, CTX, number))
    step("post", lambda: post_count(db, CTX, number))
    return Run(len(places), step, batches, statements, number)


def check_exact(db: Database, number: str) -> tuple[int, int]:
    """Each line's posted adjustment is counted - (snapshot + the moves since, until its count),
    and its balance now is counted + the moves after its count; answers (lines checked, lines
    adjusted). Raises AssertionError naming the first line that is not."""
    with db.read() as conn:
        doc = conn.execute(select(documents.c.id).where(documents.c.number == number)).scalar_one()
        heads = dict(
            conn.execute(
                select(count_heads.c.warehouse_id, count_heads.c.last_seq).where(
                    count_heads.c.document_id == doc
                )
            ).all()
        )
        lines = conn.execute(
            select(count_lines.c.item_id, count_lines.c.location_id, count_lines.c.lot_key,
                   count_lines.c.expected, count_lines.c.counted, count_lines.c.counted_at)
            .where(count_lines.c.document_id == doc)
        ).all()  # fmt: skip
        since = conn.execute(
            select(moves.c.warehouse_id, moves.c.seq, moves.c.item_id, moves.c.lot_id,
                   moves.c.from_location_id, moves.c.to_location_id, moves.c.quantity,
                   moves.c.recorded_at, moves.c.document_type, moves.c.document_id)
            .where(moves.c.seq > min(heads.values(), default=0))
        ).all()  # fmt: skip
        now = {
            (r[0], r[1], r[2]): int(r[3])
            for r in conn.execute(
                select(balances.c.item_id, balances.c.location_id, balances.c.lot_key,
                       balances.c.on_hand)
            )
        }  # fmt: skip
    before: dict[tuple[int, int, int], list[tuple[datetime, int]]] = {}
    posted: dict[tuple[int, int, int], int] = {}
    for m in since:
        if m.seq <= heads.get(m.warehouse_id, 0):
            continue
        for place, sign in (((m.item_id, m.to_location_id, m.lot_id or 0), 1),
                            ((m.item_id, m.from_location_id, m.lot_id or 0), -1)):  # fmt: skip
            if m.document_type == "count" and m.document_id == number:
                posted[place] = posted.get(place, 0) + sign * m.quantity
            else:
                before.setdefault(place, []).append((m.recorded_at, sign * m.quantity))
    adjusted = 0
    for item_id, location_id, lot_key, expected, counted, counted_at in lines:
        place = (item_id, location_id, lot_key)
        if counted is None:
            assert place not in posted, place
            continue
        touched = before.get(place, [])
        moved = sum(q for at, q in touched if at <= counted_at)
        after = sum(q for at, q in touched if at > counted_at)
        want = counted - (expected + moved)
        assert posted.get(place, 0) == want, (place, posted.get(place), want)
        assert now.get(place, 0) == counted + after, (place, now.get(place), counted, after)
        adjusted += want != 0
    return len(lines), adjusted


def bench(
    engine: str, n_items: int, batch: int, rate: float, differ: float, profile: str | None,
    keep: bool, poster_kind: str,
) -> list[Figure]:  # fmt: skip
    figures: list[Figure] = []
    with fresh_database(engine, keep) as url:
        db = Database(url)
        try:
            initialize(db)
            small_places = prepare(db, "WS", 50, 0)
            large_places = prepare(db, "WH", n_items, 100)
            counter = Counter(db)
            poster = Poster(url, large_places, rate, poster_kind)
            poster.start()
            started = time.perf_counter()
            small = walk(db, counter, "WS", small_places, max(1, batch // 10), differ, None)
            large = walk(db, counter, "WH", large_places, batch, differ, profile)
            posted, refused, failed = poster.finish()
            elapsed = time.perf_counter() - started
            with db.read() as conn:
                problems = verify(conn).problems
            checked, adjusted = check_exact(db, large.number)
            _print(engine, small, large)
            print(
                f"\n{engine}: the poster ({poster_kind}) made {posted:,} postings in"
                f" {elapsed:.1f} s (refused {refused}, failed {failed}); verify:"
                f" {len(problems)} problems; {checked:,} lines exact, {adjusted:,} adjusted"
            )
            figures += _figures(engine, small, large)
            figures.append(
                Figure(f"{engine} postings meanwhile", posted, "", "> 0, none failed",
                       posted > 0 and not failed)
            )  # fmt: skip
            figures.append(
                Figure(f"{engine} verify problems", len(problems), "", "0", not problems)
            )
        finally:
            db.dispose()
    return figures


def _print(engine: str, small: Run, large: Run) -> None:
    def cells(run: Run, name: str) -> tuple[str, str]:
        return f"{run.steps.seconds[name]:.3f}", str(run.steps.statements[name])

    print_grid(
        f"{engine}: each step, {small.lines:,} and {large.lines:,} lines (enter: all batches,"
        " statements per batch at most; cpu: this thread's)",
        ("step", "seconds", "statements", "seconds", "cpu", "statements"),
        [
            (name, *cells(small, name), f"{large.steps.seconds[name]:.3f}",
             f"{large.steps.cpu[name]:.3f}", str(large.steps.statements[name]))
            for name in STEPS
        ],
    )  # fmt: skip
    size = large.lines // len(large.batches)
    print(
        f"{engine}: {len(large.batches)} batches of {size:,}: slowest {max(large.batches):.3f} s,"
        f" first {large.batches[0]:.3f} s, last {large.batches[-1]:.3f} s"
    )


def _figures(engine: str, small: Run, large: Run) -> list[Figure]:
    out = []
    for name in STEPS:
        seconds = large.steps.seconds[name]
        target = TARGETS.get(name)
        out.append(
            Figure(
                f"{engine} {name}, {large.lines:,} lines", seconds, "s",
                f"< {target:g} s" if target else "", None if target is None else seconds < target,
            )
        )  # fmt: skip
        out.append(
            Figure(
                f"{engine} {name}: statements at {small.lines:,} / {large.lines:,} lines",
                large.steps.statements[name], f"(vs {small.steps.statements[name]})", "the same",
                large.steps.statements[name] == small.steps.statements[name],
            )
        )  # fmt: skip
    out.append(Figure(f"{engine} slowest enter batch", max(large.batches), "s"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--items", type=int, default=5000, help="items in WH (x 10 bins)")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20, help="postings a second meanwhile")
    parser.add_argument("--differ", type=float, default=0.05)
    parser.add_argument("--profile", help="cProfile the large run's step whose name has this")
    parser.add_argument("--keep", action="store_true", help="keep the database to inspect")
    parser.add_argument("--poster", choices=["process", "thread"], default="process")
    args = parser.parse_args()
    figures: list[Figure] = []
    for engine in args.engine or ["sqlite", "postgresql"]:
        figures += bench(
            engine,
            args.items,
            args.batch,
            args.rate,
            args.differ,
            args.profile,
            args.keep,
            args.poster,
        )
    print_table("stock counts (issue 14)", figures)
    save("counts", vars(args) | {"engine": args.engine}, figures)


if __name__ == "__main__":
    main()
