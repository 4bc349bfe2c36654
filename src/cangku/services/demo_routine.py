"""The demo's routine (``services.demo``): Monday's work (replenishing Shenzhen, counting
a few bins, scrapping damage, fixing a wrong put-away), reordering what fell to its reorder
point, an order that will be late, the expired lots scrapped on the last day and the work left
open then for each role's task inbox.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from cangku.services.demo_catalogue import SZ_BINS, DemoItem, plausible_quantity
from cangku.services.demo_inbound import (
    BUYER,
    INSPECTOR,
    MANAGER,
    _deliver,
    _purchase_quantity,
    _raise_order,
    _receive_order,
    _return_rejected,
)
from cangku.services.demo_internal import open_transfer_work, recall_a_lot, replenish
from cangku.services.demo_master import _lead_time
from cangku.services.demo_outbound import close_backorders, open_outbound_work
from cangku.services.demo_story import _History
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    confirm_order,
    create_purchase_order,
)
from cangku.services.tasks import assign_document


def _take(
    h: _History, item: DemoItem, location: str, wanted: Decimal
) -> list[tuple[str | None, Decimal]]:
    """Portions (lot, quantity) of ``wanted`` at ``location``, earliest expiry first."""
    portions = []
    for lot, available in h.usable(location, item.code):
        if wanted <= 0:
            break
        portion = min(available, wanted)
        portions.append((lot, portion))
        wanted -= portion
    return portions


def _weekly(h: _History) -> None:
    """Monday: replenish Shenzhen (one transfer document), count a few bins, scrap damage, fix
    a wrong put-away."""
    wanted = []
    for item in h.catalogue:
        if item.family.item_type != "finished_good" or item.family.tracking == "serial":
            continue
        target = SZ_BINS[len(item.code) % 3]
        spare = h.on_hand(item.home, item.code) - item.batch
        if h.on_hand(target, item.code) < item.batch and spare >= item.batch:
            wanted.append((item, min(spare, item.batch * 2), item.home, target))
    replenish(h, wanted)
    stocked = [(k, q) for k, q in h.stock.items() if q > 0 and k[0].count("-") == 3]
    for (location, code, lot), qty in h.rng.sample(stocked, min(3, len(stocked))):
        item = next(i for i in h.catalogue if i.code == code)
        if item.family.tracking == "serial":
            continue
        delta = plausible_quantity(item, float(qty) * h.rng.uniform(0.005, 0.03))
        if h.rng.random() < 0.6 and delta < qty:
            delta = -delta
        h.adjust(item, delta, location, lot, "count_difference")
    # what the counts above left (``stocked`` is from before them)
    stocked = [(k, h.stock.get(k, Decimal(0))) for k, _ in stocked]
    goods = [(k, q) for k, q in stocked if k[1].startswith(("FG-", "SF-")) and not k[2]]
    goods = [(k, q) for k, q in goods if q >= 1]
    if goods:
        (location, code, lot), qty = h.rng.choice(goods)
        h.scrap(code, Decimal(1), location, lot, "damaged")
    if stocked:
        (location, code, lot), _ = h.rng.choice(stocked)
        qty = h.stock.get((location, code, lot), Decimal(0))  # after the scrap, too
    if stocked and qty > 0:
        wrong = next(b for b in ("SH-A-01-01", "SH-A-02-01", "SH-B-01-03") if b != location)
        if location.startswith("SH") and not code.startswith(("SP-", "CS-")):
            move = h.transfer(code, qty, location, wrong, lot)
            h.reverse(move, "放错货位 put away to the wrong bin")
            h.change((wrong, code, lot), -qty)
            h.change((location, code, lot), qty)


def _order(h: _History, day: date) -> None:
    """Reorder what fell to its reorder point: a work order any day; purchases on Mondays and
    Thursdays, one order per supplier."""
    wanted: dict[str, list[tuple[DemoItem, Decimal]]] = {}
    buying = day.weekday() in (0, 3)
    for item in h.catalogue:
        if item.code in h.pending or h.on_hand(item.home, item.code) > item.reorder:
            continue
        if item.family.supplier and not buying:
            continue
        if item.family.supplier:
            need = item.maximum - h.on_hand(item.home, item.code)
            wanted.setdefault(item.family.supplier, []).append((item, need))
            h.pending[item.code] = date.max  # until its order is delivered
            continue
        lead = _lead_time(item.family) + h.rng.randint(0, 2)
        h.pending[item.code] = day + timedelta(days=lead)
    for supplier, lines in wanted.items():
        lead = _lead_time(lines[0][0].family) + h.rng.randint(0, 2)
        h.orders.append(_raise_order(h, supplier, lines, day + timedelta(days=lead)))


def _late_order(h: _History, day: date) -> None:
    """An order that will not arrive in time: expected a week from ``day``, its supplier is
    late (the clerk's overdue task at the end)."""
    item = _first_of(h, "SP-BLT")
    _raise_order(h, "S-LYBRG", [(item, item.batch * 3)], day + timedelta(days=7))


def _first_of(h: _History, family: str) -> DemoItem:
    return next(i for i in h.catalogue if i.family.code == family)


def _open_work(h: _History) -> None:
    """The end of the last day: work left for the morning, in each role's task inbox."""
    # the buyer's draft, not yet confirmed
    lines = []
    for item in (_first_of(h, "CS-GLV"), _first_of(h, "CS-MSK")):
        count, unit = _purchase_quantity(item, item.batch * 2)
        lines.append(OrderLineInput(item.code, str(count), unit=unit[0] if unit else None))
    order = NewPurchaseOrder("S-SHMRO", "SH", lines, note="月度劳保补货 monthly PPE")
    h.step(lambda: create_purchase_order(h.db, BUYER, order))
    # three tonnes of steel: above the threshold, waiting for the manager
    steel = _first_of(h, "RM-STCR")
    big = NewPurchaseOrder(
        "S-HDSTEEL", "SH", [OrderLineInput(steel.code, "3", unit="t")], note="备料 stock up"
    )
    number = h.step(lambda: create_purchase_order(h.db, BUYER, big)).number
    h.step(lambda: confirm_order(h.db, BUYER, number))
    today = h.clock.date()
    # resin in quality control, waiting for the inspector
    resin = _first_of(h, "RM-PC")
    order_ = _raise_order(h, "S-JSPOLY", [(resin, resin.batch * 2)], today)
    _receive_order(h, order_, [line.count for line in order_.lines])
    # bearings at the dock, their put-away given to the clerk
    bearing = _first_of(h, "SP-BRG")
    order_ = _raise_order(h, "S-LYBRG", [(bearing, bearing.batch * 3)], today)
    received, _ = _receive_order(h, order_, [line.count for line in order_.lines])
    putaway = received.data["putaway"]
    h.step(lambda: assign_document(h.db, MANAGER, putaway, "clerk"))
    # the week's rejected goods go back; then mechanical seals with a defective one: the
    # inspector's return waits for the clerk
    _return_rejected(h, MANAGER, ship=True)
    seal = _first_of(h, "SP-SEAL")
    _deliver(h, _raise_order(h, "S-LYBRG", [(seal, seal.batch)], today), reject=True)
    _return_rejected(h, INSPECTOR, ship=False)
    close_backorders(h)
    open_outbound_work(h)
    goods = [
        i
        for i in h.catalogue
        if i.family.item_type == "finished_good" and i.family.tracking != "serial"
    ]
    open_transfer_work(h, goods, SZ_BINS)
    recall_a_lot(h)


def _expired(h: _History) -> None:
    """Quality scraps half of the expired lots still on the shelves; the rest wait."""
    expired = [
        (k, q)
        for k, q in h.stock.items()
        if k[2] and q > 0 and not h.fit(k[1], k[2]) and k[0].count("-") == 3
    ]
    for (location, code, lot), qty in expired[::2]:
        h.scrap(code, qty, location, lot, "expired")
