"""The demo's internal operations (issue 14): Shanghai replenishes Shenzhen's finished goods
every Monday on a transfer document (raised by the picker, approved by the manager, dispatched
in Shanghai, received in Shenzhen), now and then with a unit damaged on the way that the
manager scraps; at the end one transfer is on its way (in transit, Shenzhen's task to receive)
and one from Shenzhen back to Shanghai waits for approval.

The story (``services.demo._History``) keeps its own book of the bins: these steps change it
as the goods move (``WH/TRANSIT`` while they travel).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from cangku.db import transfers as transfer_store
from cangku.db.tables import allocations, balances, items, locations, lots, moves
from cangku.domain.quantities import from_scaled
from cangku.services.common import Context
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
    from cangku.services.demo import _History
    from cangku.services.demo_catalogue import DemoItem

__all__ = ["open_transfer_work", "recall_a_lot", "replenish"]

PICKER = Context("picker")
MANAGER = Context("manager")
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
