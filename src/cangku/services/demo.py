"""``cangku demo``: a believable small manufacturer and distributor, built through the services.

Two warehouses (Shanghai main warehouse, Shenzhen distribution centre) with a zone/aisle/bin
tree, ~200 items of all five types, suppliers and customers, and a few months of history
posted through the real stock services with back-dated effective times: opening balances,
purchase receipts with put-away (some through quality control), production output and
material issues, sales picked to the shipping area and issued, inter-warehouse replenishment,
cycle-count adjustments, scrap, and reversed mistakes. The first month is then closed.

Everything is drawn from ``random.Random(seed)``: the same seed on the same day gives the same
company, move for move.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.sql import ColumnElement

from cangku.db.tables import (
    balances,
    items,
    locations,
    lots,
    moves,
    partners,
    supplier_items,
    warehouses,
)
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, RuleViolation
from cangku.queries.stock import VALUED
from cangku.queries.valuation import stock_value
from cangku.services.common import Context, utcnow
from cangku.services.company import CompanyChanges, update_company
from cangku.services.demo_catalogue import (
    CATEGORIES,
    CUSTOMERS,
    DAYS_PER_MONTH,
    LOCATIONS,
    PARTNERS,
    STORAGE,
    SZ_BINS,
    DemoItem,
    Family,
    draw_catalogue,
    ean13,
)
from cangku.services.demo_users import DemoUser, create_demo_users
from cangku.services.items import ItemInput, create_category, create_item, create_unit
from cangku.services.partners import (
    ContactInput,
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
)
from cangku.services.periods import close_period
from cangku.services.stock import (
    adjust_stock,
    issue_stock,
    receive_stock,
    reverse_move,
    scrap_stock,
    transfer_stock,
)
from cangku.services.stock_commands import (
    Adjust,
    Issue,
    Receive,
    Reference,
    Reverse,
    Scrap,
    Transfer,
)
from cangku.services.warehouses import (
    LocationInput,
    WarehouseInput,
    create_location,
    create_warehouse,
)

__all__ = ["DemoSummary", "build_demo", "ean13", "summarize"]


# ------------------------------------------------------------------ master data
def _refuse_unless_empty(db: Database) -> None:
    with db.read() as conn:
        found = [
            name
            for name, table in (("items", items), ("warehouses", warehouses), ("moves", moves))
            if conn.execute(select(table.c.id).limit(1)).first() is not None
        ]
    if found:
        raise RuleViolation(
            "the demo company needs an empty database; this one already holds " + ", ".join(found),
            code="database_not_empty",
            found=found,
        )


def _build_sites(db: Database, ctx: Context) -> None:
    for code, name, address in (
        ("SH", "上海总仓 Shanghai main warehouse", "上海市嘉定区安亭镇园区路 88 号"),
        ("SZ", "深圳配送中心 Shenzhen distribution centre", "深圳市宝安区福永街道物流园 6 栋"),
    ):
        create_warehouse(db, ctx, WarehouseInput(code, name, address=address))
    for code, name, kind, parent, level, allowed in LOCATIONS:
        create_location(
            db,
            ctx,
            LocationInput(
                code,
                name,
                kind=kind,
                warehouse=None if parent else code[:2],
                parent=parent,
                level=level,
                allowed_item_types=allowed,
            ),
        )


def _build_items(db: Database, ctx: Context, catalogue: list[DemoItem]) -> None:
    create_unit(db, ctx, "bag", "bag (25 kg)", 0)
    for code, zh, en, parent in CATEGORIES:
        create_category(db, ctx, code, f"{zh} {en}", parent)
    for number, item in enumerate(catalogue, start=1):
        family = item.family
        variant = item.code.removeprefix(family.code + "-")
        barcodes: list[tuple[str, str | None]] = []
        if family.item_type in ("finished_good", "consumable", "spare_part"):
            barcodes.append((ean13(f"69231{number:07d}"), None))
            barcodes += [(ean13(f"69232{number:07d}"), u) for u, _ in family.units[:1]]
        create_item(
            db,
            ctx,
            ItemInput(
                code=item.code,
                name=f"{family.zh} {variant} {family.en} {variant}",
                item_type=family.item_type,
                base_unit=family.unit,
                tracking=family.tracking,
                costing_method="moving_average" if family.item_type == "semi_finished" else "fifo",
                category=family.category,
                shelf_life_days=family.shelf_life,
                safety_stock=item.batch,
                reorder_point=item.reorder,
                max_stock=item.maximum,
                lead_time_days=_lead_time(family),
                default_location=item.home,
                standard_cost=item.cost,
                units=[(u, Decimal(f)) for u, f in family.units],
                barcodes=barcodes,
            ),
        )


def _lead_time(family: Family) -> int:
    by_code = {p[0]: p[6] for p in PARTNERS}
    return by_code[family.supplier] if family.supplier else 3


def _build_partners(db: Database, ctx: Context, catalogue: list[DemoItem]) -> None:
    for number, (code, name, supplier, customer, city, contact, _lead) in enumerate(PARTNERS):
        domain = code.lower().removeprefix("s-").removeprefix("c-") + ".example.cn"
        person = contact.split(" ", 1)[1].lower().replace(" ", ".")
        create_partner(
            db,
            ctx,
            PartnerInput(
                code=code,
                name=name,
                is_supplier=supplier,
                is_customer=customer,
                email=f"info@{domain}",
                phone=f"+86 400 820 {3100 + number * 17}",
                address=city,
                contacts=[
                    ContactInput(
                        contact,
                        "销售经理 Sales manager" if supplier else "采购经理 Purchasing manager",
                        f"{person}@{domain}",
                    ),
                    ContactInput("仓库收发 Warehouse desk", "物流 Logistics", f"wh@{domain}"),
                ],
            ),
        )
    for item in catalogue:
        family = item.family
        if family.supplier is None:
            continue
        set_supplier_item(
            db,
            ctx,
            SupplierItemInput(
                partner=family.supplier,
                item=item.code,
                supplier_code=f"{family.supplier[2:5]}-{item.code[3:]}",
                price=item.cost,
                currency="CNY",
                min_order_qty=item.batch,
                lead_time_days=_lead_time(family),
            ),
        )


# ------------------------------------------------------------------ history
Key = tuple[str, str, str | None]  # location, item, lot


@dataclass
class _History:
    """Posts the company's daily life through the stock services, tracking stock as it goes so
    that nothing is ever issued that is not there."""

    db: Database
    ctx: Context
    rng: random.Random
    catalogue: list[DemoItem]
    today: date
    activity: float
    stock: dict[Key, Decimal] = field(default_factory=dict)
    expiry: dict[tuple[str, str], date | None] = field(default_factory=dict)
    pending: dict[str, date] = field(default_factory=dict)
    clock: datetime = datetime.min.replace(tzinfo=UTC)
    numbers: dict[str, int] = field(default_factory=dict)

    # ---------------------------------------------------------- bookkeeping
    def start_day(self, day: date) -> None:
        self.clock = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)

    def tick(self) -> datetime:
        step = timedelta(minutes=self.rng.randint(1, 6), seconds=self.rng.randint(0, 59))
        if self.activity > 1:  # a busier day packs its postings closer (it still ends that day)
            step /= self.activity
        self.clock += step
        return self.clock

    def number(self, prefix: str) -> str:
        self.numbers[prefix] = self.numbers.get(prefix, 0) + 1
        return f"{prefix}-{self.clock:%Y%m}-{self.numbers[prefix]:04d}"

    def change(self, key: Key, quantity: Decimal) -> None:
        left = self.stock.get(key, Decimal(0)) + quantity
        if left:
            self.stock[key] = left
        else:
            self.stock.pop(key, None)

    def usable(self, location: str, item: str) -> list[tuple[str | None, Decimal]]:
        """(lot, quantity) at ``location`` that may still be issued, earliest expiry first."""
        found = [
            (lot, qty)
            for (loc, code, lot), qty in self.stock.items()
            if loc == location and code == item and qty > 0 and self.fit(item, lot)
        ]
        return sorted(found, key=lambda x: (self.expiry.get((item, x[0] or "")) or date.max, x[0]))

    def fit(self, item: str, lot: str | None) -> bool:
        expires = self.expiry.get((item, lot or ""))
        return expires is None or expires >= self.today

    def on_hand(self, location: str, item: str) -> Decimal:
        return sum((q for _, q in self.usable(location, item)), Decimal(0))

    # ---------------------------------------------------------- postings
    def receive(
        self,
        item: DemoItem,
        quantity: Decimal,
        to: str,
        cost: Decimal,
        reference: Reference,
        *,
        unit: tuple[str, int] | None = None,
        lot: tuple[str, date, date] | None = None,
        supplier: str | None = None,
        source: str = "supplier",
    ) -> int:
        """Receive ``quantity`` (in ``unit``, default the base unit) at ``cost`` per that unit;
        ``lot`` is (code, manufactured on, expires on)."""
        result = receive_stock(
            self.db,
            self.ctx,
            Receive(
                item.code,
                str(quantity),
                to,
                unit=unit[0] if unit else None,
                lot=lot[0] if lot else None,
                manufactured_on=lot[1] if lot else None,
                expires_on=lot[2] if lot else None,
                unit_cost=str(cost),
                supplier=supplier,
                effective_at=self.tick(),
                reference=reference,
                source=source,
            ),
        )
        if lot is not None:
            self.expiry[(item.code, lot[0])] = lot[2]
        self.change((to, item.code, lot[0] if lot else None), quantity * (unit[1] if unit else 1))
        return result.moves[0].id

    def transfer(self, item: str, qty: Decimal, src: str, dst: str, lot: str | None) -> int:
        result = transfer_stock(
            self.db, self.ctx, Transfer(item, str(qty), src, dst, lot=lot, effective_at=self.tick())
        )
        self.change((src, item, lot), -qty)
        self.change((dst, item, lot), qty)
        return result.moves[0].id

    def issue(
        self, item: str, qty: Decimal, src: str, lot: str | None, ref: Reference, customer: str
    ) -> None:
        to = "production" if customer == "" else "customer"
        issue_stock(
            self.db,
            self.ctx,
            Issue(
                item,
                str(qty),
                src,
                lot=lot,
                to=to,
                customer=customer or None,
                effective_at=self.tick(),
                reference=ref,
            ),
        )
        self.change((src, item, lot), -qty)

    def adjust(
        self,
        item: DemoItem,
        qty: Decimal,
        location: str,
        lot: str | None,
        reason: str,
        cost: Decimal | None = None,
    ) -> None:
        adjust_stock(
            self.db,
            self.ctx,
            Adjust(
                item.code,
                str(qty),
                location,
                reason,
                lot=lot,
                unit_cost=None if cost is None else str(cost),
                expires_on=self.expiry.get((item.code, lot)) if lot else None,
                effective_at=self.tick(),
            ),
        )
        self.change((location, item.code, lot), qty)

    def scrap(self, item: str, qty: Decimal, location: str, lot: str | None, reason: str) -> None:
        scrap_stock(
            self.db,
            self.ctx,
            Scrap(item, str(qty), location, reason, lot=lot, effective_at=self.tick()),
        )
        self.change((location, item, lot), -qty)

    def reverse(self, move_id: int, note: str) -> None:
        """Reverse a move; the caller undoes its own bookkeeping of the original."""
        reverse_move(self.db, self.ctx, Reverse(move_id, note=note, effective_at=self.tick()))


# ------------------------------------------------------------------ the story
_FRACTIONAL_UNITS = frozenset({"kg", "l", "m", "t"})


def _quantity(item: DemoItem, amount: float) -> Decimal:
    """A plausible quantity: whole units, or one decimal for kg, litres and metres."""
    places = Decimal("0.1") if item.family.unit in _FRACTIONAL_UNITS else Decimal(1)
    return max(places, Decimal(str(amount)).quantize(places, ROUND_HALF_UP))


def _price(h: _History, cost: Decimal, spread: float = 0.04) -> Decimal:
    factor = Decimal(str(round(h.rng.uniform(1 - spread, 1 + spread), 3)))
    return (cost * factor).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _new_lot(h: _History, item: DemoItem, day: date) -> tuple[str, date, date]:
    shelf = item.family.shelf_life or 365
    made = day - timedelta(days=h.rng.randint(5, shelf // 3))
    code = f"L{day:%y%m%d}-{h.number('lot:' + item.code)[-2:]}"
    return code, made, made + timedelta(days=shelf)


def _serial(h: _History, item: DemoItem) -> str:
    return f"SN-{item.code.removeprefix('FG-')}-{h.number('sn:' + item.code)[-4:]}"


def _opening(h: _History, day: date) -> None:
    """Go-live: opening balances counted into the bins (adjustments with reason)."""
    h.start_day(day)
    for item in h.catalogue:
        family = item.family
        if family.tracking == "serial":
            for _ in range(h.rng.randint(1, 3)):
                serial = _serial(h, item)
                h.expiry[(item.code, serial)] = None
                h.adjust(item, Decimal(1), item.home, serial, "opening_balance", item.cost)
            continue
        lots: list[str | None] = [None]
        if family.tracking == "lot":
            lots = []
            for _ in range(h.rng.randint(1, 2)):
                code, _made, expires = _new_lot(h, item, day)
                h.expiry[(item.code, code)] = expires
                lots.append(code)
        for lot in lots:
            qty = _quantity(item, float(item.batch) * h.rng.uniform(1.5, 5) / len(lots))
            h.adjust(item, qty, item.home, lot, "opening_balance", item.cost)
        if family.item_type == "finished_good":
            qty = _quantity(item, float(item.batch) * h.rng.uniform(0.5, 2))
            h.adjust(item, qty, SZ_BINS[len(item.code) % 3], None, "opening_balance", item.cost)


def _purchase(h: _History, item: DemoItem, need: Decimal) -> None:
    """A purchase order arrives: receive at the dock (in the supplier's pack where it fits),
    sometimes through quality control, then put it away."""
    family = item.family
    unit = family.units[0] if family.units else None
    if unit is not None and (need < unit[1] or unit[0] == "t"):
        unit = None  # less than one pack, or steel bought by the kilogram
    factor = unit[1] if unit else 1
    count = _quantity(item, float(need / factor)) if unit is None else Decimal(-(-need // factor))
    lot = _new_lot(h, item, h.clock.date()) if family.tracking == "lot" else None
    ref = Reference("purchase_order", h.number("PO"), 1)
    cost = _price(h, item.cost) * factor

    def receive(quantity: Decimal) -> int:
        dock = "SH-RCV"
        return h.receive(
            item, quantity, dock, cost, ref, unit=unit, lot=lot, supplier=family.supplier
        )

    if h.rng.random() < 0.05:  # a typing mistake at the dock, reversed at once
        wrong = count * 10
        h.reverse(receive(wrong), "数量录入错误 quantity keyed wrong")
        h.change(("SH-RCV", item.code, lot[0] if lot else None), -wrong * factor)
    receive(count)
    received = count * factor
    code = lot[0] if lot else None
    source = "SH-RCV"
    if family.item_type == "raw_material" and lot is None and h.rng.random() < 0.3:
        h.transfer(item.code, received, source, "SH-QC", code)
        source = "SH-QC"
    h.transfer(item.code, received, source, item.home, code)


def _produce(h: _History, item: DemoItem, need: Decimal) -> None:
    """A work order is finished: its output is received into the item's bin."""
    ref = Reference("work_order", h.number("WO"), 1)
    cost = _price(h, item.cost, 0.02)
    if item.family.tracking == "serial":
        for _ in range(int(need)):
            serial = _serial(h, item)
            made = h.clock.date()
            lot = (serial, made, made + timedelta(days=3650))
            h.receive(item, Decimal(1), item.home, cost, ref, lot=lot, source="production")
        return
    h.receive(item, _quantity(item, float(need)), item.home, cost, ref, source="production")


def _arrivals(h: _History, day: date) -> None:
    for code, due in list(h.pending.items()):
        if due > day:
            continue
        del h.pending[code]
        item = next(i for i in h.catalogue if i.code == code)
        need = item.maximum - h.on_hand(item.home, code)
        if need <= 0:
            continue
        if item.family.supplier:
            _purchase(h, item, need)
        else:
            _produce(h, item, need)


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


def _consume(h: _History) -> None:
    """Material requisitions: production and maintenance draw what they need."""
    pool = [i for i in h.catalogue if i.family.item_type != "finished_good"]
    for _ in range(max(1, round(10 * h.activity))):
        item = h.rng.choice(pool)
        wanted = _quantity(item, float(item.batch) * h.rng.uniform(0.3, 1.1))
        ref = Reference("material_requisition", h.number("MR"), 1)
        for lot, qty in _take(h, item, item.home, wanted):
            h.issue(item.code, qty, item.home, lot, ref, "")


def _sell(h: _History) -> None:
    """Sales orders: pick to the shipping area, then ship to the customer."""
    goods = [i for i in h.catalogue if i.family.item_type == "finished_good"]
    for _ in range(max(1, round(7 * h.activity))):
        item = h.rng.choice(goods)
        source, ship = item.home, "SH-SHIP"
        if item.family.tracking != "serial" and h.rng.random() < 0.4:
            source = max(SZ_BINS, key=lambda b: (h.on_hand(b, item.code), b))
            ship = "SZ-SHIP"
        wanted = Decimal(1)
        if item.family.tracking != "serial":
            wanted = _quantity(item, float(item.batch) * h.rng.uniform(0.1, 0.6))
        ref = Reference("sales_order", h.number("SO"), 1)
        customer = h.rng.choice(CUSTOMERS)
        for lot, qty in _take(h, item, source, wanted)[:1]:
            h.transfer(item.code, qty, source, ship, lot)
            h.issue(item.code, qty, ship, lot, ref, customer)


def _weekly(h: _History) -> None:
    """Monday: replenish Shenzhen, count a few bins, scrap damage, fix a wrong put-away."""
    for item in h.catalogue:
        if item.family.item_type != "finished_good" or item.family.tracking == "serial":
            continue
        target = SZ_BINS[len(item.code) % 3]
        spare = h.on_hand(item.home, item.code) - item.batch
        if h.on_hand(target, item.code) < item.batch and spare >= item.batch:
            h.transfer(item.code, min(spare, item.batch * 2), item.home, target, None)
    stocked = [(k, q) for k, q in h.stock.items() if q > 0 and k[0].count("-") == 3]
    for (location, code, lot), qty in h.rng.sample(stocked, min(3, len(stocked))):
        item = next(i for i in h.catalogue if i.code == code)
        if item.family.tracking == "serial":
            continue
        delta = _quantity(item, float(qty) * h.rng.uniform(0.005, 0.03))
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
    """Reorder what fell to its reorder point: buy it, or schedule a work order."""
    for item in h.catalogue:
        if item.code in h.pending or h.on_hand(item.home, item.code) > item.reorder:
            continue
        lead = _lead_time(item.family) + h.rng.randint(0, 2)
        h.pending[item.code] = day + timedelta(days=lead)


def _expired(h: _History) -> None:
    """Quality scraps half of the expired lots still on the shelves; the rest wait."""
    expired = [
        (k, q)
        for k, q in h.stock.items()
        if k[2] and q > 0 and not h.fit(k[1], k[2]) and k[0].count("-") == 3
    ]
    for (location, code, lot), qty in expired[::2]:
        h.scrap(code, qty, location, lot, "expired")


def _simulate(h: _History, start: date, days: int, close_through: date) -> None:
    _opening(h, start)
    for offset in range(1, days):
        day = start + timedelta(days=offset)
        h.start_day(day)
        if day.weekday() < 5:
            _arrivals(h, day)
            _consume(h)
            _sell(h)
            if day.weekday() == 0:
                _weekly(h)
            _order(h, day)
        if offset == days - 1:
            _expired(h)
        if day == close_through:
            close_period(h.db, h.ctx, close_through, note="月结 Month-end close")


# ------------------------------------------------------------------ the summary
@dataclass(frozen=True)
class DemoSummary:
    seed: int
    months: int
    first_day: date
    last_day: date
    closed_through: date
    warehouses: int
    storage_locations: int
    items: int
    items_by_type: dict[str, int]
    lot_tracked_items: int
    serial_tracked_items: int
    lots: int
    serials: int
    expired_lots_in_stock: int
    lots_expiring_within_30_days: int
    partners: int
    supplier_items: int
    moves: int
    moves_by_operation: dict[str, int]
    items_below_reorder_point: int
    total_stock_value: Decimal
    seconds: float
    #: who can sign in, with the demo passwords (administrator first)
    credentials: list[DemoUser] = field(default_factory=list)


def _scalar(conn: Connection, stmt: Select[Any]) -> int:
    return int(conn.execute(stmt).scalar_one())


def _lots_in_stock(conn: Connection, serial: bool, *where: ColumnElement[bool]) -> int:
    held = (
        select(balances.c.lot_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(locations.c.kind.in_(VALUED), balances.c.on_hand > 0)
    )
    return _scalar(
        conn,
        select(func.count())
        .select_from(lots)
        .where(lots.c.is_serial.is_(serial), lots.c.id.in_(held), *where),
    )


def _below_reorder_point(conn: Connection) -> int:
    held = (
        select(balances.c.item_id, func.sum(balances.c.on_hand).label("q"))
        .join(locations, locations.c.id == balances.c.location_id)
        .where(locations.c.kind.in_(VALUED))
        .group_by(balances.c.item_id)
        .subquery()
    )
    return _scalar(
        conn,
        select(func.count())
        .select_from(items.outerjoin(held, held.c.item_id == items.c.id))
        .where(
            items.c.reorder_point.is_not(None),
            func.coalesce(held.c.q, 0) < items.c.reorder_point,
        ),
    )


def _grouped(conn: Connection, column: Any) -> dict[str, int]:
    rows = conn.execute(select(column, func.count()).group_by(column).order_by(column))
    return {str(r[0]): int(r[1]) for r in rows}


def summarize(db: Database, seed: int, months: int, seconds: float = 0.0) -> DemoSummary:
    """What the demo built: counts, the closed period and the total stock value."""
    today = utcnow().date()
    first = today - timedelta(days=months * DAYS_PER_MONTH)
    count = select(func.count())
    with db.read() as conn:
        by_type = _grouped(conn, items.c.item_type)
        tracking = _grouped(conn, items.c.tracking)
        return DemoSummary(
            seed=seed,
            months=months,
            first_day=first,
            last_day=today - timedelta(days=1),
            closed_through=first + timedelta(days=DAYS_PER_MONTH - 1),
            warehouses=_scalar(conn, count.select_from(warehouses)),
            storage_locations=_scalar(
                conn, count.select_from(locations).where(locations.c.kind.in_(STORAGE))
            ),
            items=sum(by_type.values()),
            items_by_type=by_type,
            lot_tracked_items=tracking.get("lot", 0),
            serial_tracked_items=tracking.get("serial", 0),
            lots=_scalar(conn, count.select_from(lots).where(lots.c.is_serial.is_(False))),
            serials=_scalar(conn, count.select_from(lots).where(lots.c.is_serial.is_(True))),
            expired_lots_in_stock=_lots_in_stock(conn, False, lots.c.expires_on < today),
            lots_expiring_within_30_days=_lots_in_stock(
                conn, False, lots.c.expires_on.between(today, today + timedelta(days=30))
            ),
            partners=_scalar(conn, count.select_from(partners)),
            supplier_items=_scalar(conn, count.select_from(supplier_items)),
            moves=_scalar(conn, count.select_from(moves)),
            moves_by_operation=_grouped(conn, moves.c.operation),
            items_below_reorder_point=_below_reorder_point(conn),
            total_stock_value=stock_value(conn, utcnow()).total_value,
            seconds=round(seconds, 2),
        )


# ------------------------------------------------------------------ the use case
def build_demo(
    db: Database, ctx: Context, seed: int = 2024, months: int = 4, activity: float = 1.0
) -> DemoSummary:
    """Build the demo company in an empty, initialised database (``services.setup.initialize``)
    and return what was built. ``months`` of history end yesterday; ``activity`` scales the
    daily number of requisitions and sales orders (tests use less).

    Raises RuleViolation ``database_not_empty`` when items, warehouses or moves exist already,
    InvalidInput ``invalid_months`` / ``invalid_activity``. Writes: warehouses, locations, units,
    categories, items, partners and their supplier items, a few thousand moves with their
    balances, costs and lots, a closed period with its checkpoint; the company settings
    (currency CNY, time zone Asia/Shanghai); one user per built-in role
    with a demo password, and the administrator's demo password if they have none
    (``services.demo_users``).
    """
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 24:
        raise InvalidInput("months must be a whole number from 1 to 24", code="invalid_months")
    if not 0 < activity <= 10:
        raise InvalidInput("activity must be above 0 and at most 10", code="invalid_activity")
    started = time.perf_counter()
    _refuse_unless_empty(db)
    rng = random.Random(seed)
    catalogue = draw_catalogue(rng)
    # the demo is a company in China, shown first in Chinese: yuan and China Standard Time
    update_company(db, ctx, CompanyChanges(currency="CNY", time_zone="Asia/Shanghai"))
    _build_sites(db, ctx)
    _build_items(db, ctx, catalogue)
    _build_partners(db, ctx, catalogue)
    today = utcnow().date()
    start = today - timedelta(days=months * DAYS_PER_MONTH)
    history = _History(db, ctx, rng, catalogue, today, activity)
    _simulate(history, start, months * DAYS_PER_MONTH, start + timedelta(DAYS_PER_MONTH - 1))
    credentials = create_demo_users(db, ctx)
    summary = summarize(db, seed, months, time.perf_counter() - started)
    return replace(summary, credentials=credentials)
