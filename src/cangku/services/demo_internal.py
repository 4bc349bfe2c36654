"""The demo's internal operations (issue 14): Shanghai replenishes Shenzhen's finished goods
every Monday on a transfer document (raised by the picker, approved by the manager, dispatched
in Shanghai, received in Shenzhen), now and then with a unit damaged on the way that the
manager scraps; at the end one transfer is on its way (in transit, Shenzhen's task to receive)
and one from Shenzhen back to Shanghai waits for approval.

Each month the manager recomputes Shanghai's ABC classes and the counter counts the places
the cycle-count plan says are due (the most overdue first), finding a few differences that the
manager approves and posts; on the last day a count of the plan is being counted.

The story (``services.demo_story._History``) keeps its own book of the bins: these steps change it
as the goods move (``WH/TRANSIT`` while they travel).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from cangku.db import transfers as transfer_store
from cangku.db.tables import (
    allocations,
    balances,
    count_lines,
    documents,
    items,
    locations,
    lots,
    moves,
)
from cangku.domain.errors import RuleViolation
from cangku.domain.quantities import from_scaled
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
from cangku.services.cycle_counts import recompute_abc
from cangku.services.lots import recall_lot
from cangku.services.transfers.movement import (
    Resolution,
    dispatch_transfer,
    receive_transfer,
    resolve_transfer,
)
from cangku.services.transfers.requests import (
    NewTransfer,
    TransferLineInput,
    approve_transfer,
    create_transfer,
)

if TYPE_CHECKING:
    from cangku.services.demo_catalogue import DemoItem
    from cangku.services.demo_story import _History

__all__ = ["cycle_count", "open_transfer_work", "recall_a_lot", "replenish"]

PICKER = Context("picker")
MANAGER = Context("manager")
COUNTER = Context("counter")
#: the places a monthly count of the plan takes (the most overdue first)
PLACES_A_COUNT = 30
#: one Monday in this many sees a unit damaged on the way
DAMAGE_EVERY = 5
TRANSIT = "SH/TRANSIT"


def _free(
    h: _History, moves: list[tuple[DemoItem, Decimal, str]]
) -> list[tuple[DemoItem, Decimal, str]]:
    """The moves cut to what their bins have free in the database (reservations of open
    requests are not in the story's book)."""
    with h.db.read() as conn:
        ids = dict(conn.execute(select(items.c.code, items.c.id)).all())
        places = dict(conn.execute(select(locations.c.code, locations.c.id)).all())
        keys = {m[0].code: (ids[m[0].code], places[m[2]], 0) for m in moves}
        free = transfer_store.available(conn, keys.values())
    out = []
    for item, qty, source in moves:
        room = from_scaled(free[keys[item.code]])
        if min(qty, room) >= 1:
            out.append((item, min(qty, room).to_integral_value(rounding=ROUND_FLOOR), source))
    return out


def replenish(
    h: _History, wanted: list[tuple[DemoItem, Decimal, str, str]], *, arrive: bool = True
) -> str | None:
    """Send ``wanted`` (item, quantity, Shanghai bin, Shenzhen bin) on one transfer: raised by
    the picker, approved by the manager, dispatched; received in Shenzhen unless ``arrive`` is
    off (it stays in transit). Answers the transfer's number (None: nothing to send)."""
    moves = _free(h, [(item, qty, src) for item, qty, src, _ in wanted])
    targets = {item.code: dst for item, _, _, dst in wanted}
    if not moves:
        return None
    lines = [
        TransferLineInput(item.code, str(qty), src, to_location=targets[item.code])
        for item, qty, src in moves
    ]
    note = "深圳门店补货 Shenzhen replenishment"
    number = h.step(
        lambda: create_transfer(
            h.db, PICKER, NewTransfer("SH", "SZ", lines, note=note, submit=True)
        )
    ).number
    h.step(lambda: approve_transfer(h.db, MANAGER, number))
    h.step(lambda: dispatch_transfer(h.db, PICKER, number))
    for item, qty, src in moves:
        h.change((src, item.code, None), -qty)
        h.change((TRANSIT, item.code, None), qty)
    if not arrive:
        return number
    damaged = h.numbers.get("TR-damage", 0) % DAMAGE_EVERY == DAMAGE_EVERY - 1
    h.numbers["TR-damage"] = h.numbers.get("TR-damage", 0) + 1
    broken = {1: "1"} if damaged and moves[0][1] > 1 else {}
    h.step(lambda: receive_transfer(h.db, MANAGER, number, damaged=broken))
    for index, (item, qty, _) in enumerate(moves, start=1):
        arrived = qty - (1 if index in broken else 0)
        h.change((TRANSIT, item.code, None), -arrived)
        h.change((targets[item.code], item.code, None), arrived)
    if broken:
        item = moves[0][0]
        fix = [Resolution(1, "scrapped", "1")]
        h.step(
            lambda: resolve_transfer(h.db, MANAGER, number, fix, note="运输破损 damaged in transit")
        )
        h.change((TRANSIT, item.code, None), Decimal(-1))
    return number


def open_transfer_work(h: _History, goods: list[DemoItem], bins: list[str]) -> None:
    """The last day: a transfer on its way to Shenzhen (its receipt is Shenzhen's task) and
    one from Shenzhen back to Shanghai waiting for the manager's approval."""
    sending = [
        (item, Decimal(2), item.home, bins[len(item.code) % len(bins)])
        for item in goods
        if h.on_hand(item.home, item.code) >= 4
    ][:2]
    replenish(h, sending, arrive=False)
    back = [
        (item, bin_code)
        for item in goods
        for bin_code in bins
        if h.on_hand(bin_code, item.code) >= 2
    ][:1]
    if back:
        item, bin_code = back[0]
        line = TransferLineInput(item.code, "1", bin_code, to_location=item.home)
        note = "滞销退回上海 slow seller back to Shanghai"
        h.step(
            lambda: create_transfer(
                h.db, PICKER, NewTransfer("SZ", "SH", [line], note=note, submit=True)
            )
        )


def recall_a_lot(h: _History) -> str | None:
    """The supplier of a lot that was sold or used and still has stock recalls it (a quality alert):
    the manager recalls it on the last day, so the recall trace shows where every unit is and
    where the rest went. A lot nobody has reserved, so that no request's reservation changes.
    Answers the lot's code (None: no such lot)."""
    sold = (
        select(moves.c.lot_id)
        .join(locations, locations.c.id == moves.c.to_location_id)
        .where(moves.c.operation == "issue", locations.c.kind.in_(["customer", "production"]))
    )
    stocked = (
        select(balances.c.lot_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(balances.c.on_hand > 0, locations.c.kind.in_(["internal", "receiving", "quality"]))
    )
    reserved = select(allocations.c.lot_id).where(allocations.c.lot_id.is_not(None))
    with h.db.read() as conn:
        found = conn.execute(
            select(items.c.code, lots.c.code)
            .join(items, items.c.id == lots.c.item_id)
            .where(
                lots.c.id.in_(sold),
                lots.c.id.in_(stocked),
                lots.c.id.not_in(reserved),
                lots.c.is_serial.is_(False),
                lots.c.status == "available",
            )
            .order_by(lots.c.code)
            .limit(1)
        ).first()
    if found is None:
        return None
    item, code = str(found[0]), str(found[1])
    reason = "供应商质量通知：密封不良 supplier's quality alert: faulty seal"
    h.step(lambda: recall_lot(h.db, MANAGER, item, code, reason))
    return code


def _count_lines(h: _History, number: str) -> list[tuple[str, str, str | None, Decimal, bool]]:
    """(location, item, lot, expected, whether any of it is reserved) of a count's lines."""
    with h.db.read() as conn:
        rows = conn.execute(
            select(locations.c.code, items.c.code, lots.c.code, count_lines.c.expected)
            .add_columns(balances.c.reserved)
            .join_from(count_lines, documents, documents.c.id == count_lines.c.document_id)
            .join(items, items.c.id == count_lines.c.item_id)
            .join(locations, locations.c.id == count_lines.c.location_id)
            .outerjoin(lots, lots.c.id == count_lines.c.lot_id)
            .outerjoin(
                balances,
                (balances.c.item_id == count_lines.c.item_id)
                & (balances.c.location_id == count_lines.c.location_id)
                & (balances.c.lot_key == count_lines.c.lot_key),
            )
            .where(documents.c.number == number)
            .order_by(count_lines.c.id)
        ).all()
    return [(r[0], r[1], r[2], from_scaled(r[3]), bool(r[4])) for r in rows]


def cycle_count(h: _History, *, finish: bool = True) -> str | None:
    """The month's cycle count in Shanghai: the manager recomputes the ABC classes, the counter
    counts the most overdue places the plan says are due (one in six differs from the books by
    a unit or two; never below what is reserved there), the manager approves and posts the
    differences. With ``finish`` off the count is left being counted (the counter's task).
    Answers the count's number (None: nothing due)."""
    h.step(lambda: recompute_abc(h.db, MANAGER, "SH"))
    plan = NewCount(
        "SH", plan=True, limit=PLACES_A_COUNT, start=True, note="月度循环盘点 monthly cycle count"
    )
    try:
        number = h.step(lambda: create_count(h.db, COUNTER, plan)).number
    except RuleViolation:
        return None
    if not finish:
        return number
    entries, changes = [], []
    for index, (location, item, lot, expected, reserved) in enumerate(_count_lines(h, number)):
        serial = next(i for i in h.catalogue if i.code == item).family.tracking == "serial"
        delta = Decimal(0)
        if index % 6 == 5 and not serial:
            delta = Decimal(1 + h.rng.randint(0, 1)) * (1 if h.rng.random() < 0.4 else -1)
            if delta < 0 and (reserved or expected + delta < 0):
                delta = -delta
        entries.append(CountEntry(location, item, str(expected + delta), lot))
        if delta:
            changes.append(((location, item, lot), delta))
    h.step(lambda: enter_counts(h.db, COUNTER, number, entries))
    h.step(lambda: close_count(h.db, COUNTER, number))
    h.step(lambda: approve_count(h.db, MANAGER, number))
    h.step(lambda: post_count(h.db, MANAGER, number))
    for key, delta in changes:
        h.change(key, delta)
    return number
