"""``cangku demo``: a believable small manufacturer and distributor, built through the services.

Two warehouses (Shanghai main warehouse, Shenzhen distribution centre) with a zone/aisle/bin
tree, ~200 items of all five types, suppliers and customers, and a few months of history
posted through the real services with back-dated effective times: opening balances,
production output, inter-warehouse replenishment, cycle-count adjustments, scrap, and reversed
mistakes. The first month is then closed. Purchasing goes through the inbound documents:
purchase orders (those above the approval threshold approved by the manager), receipts with
lots and serial numbers (short deliveries closed, steel over-delivered within the supplier's
tolerance), inspections with some rejections, put-aways, and the rejected goods returned to
their supplier. Sales orders and material requisitions go through the outbound documents
(``services.demo_outbound``): approval rules, allocation, pick lists in waves, shipments with
carriers, short picks with backorders, customer returns. The last day leaves work open for
each role's task inbox: a draft purchase order, one waiting for approval, an overdue delivery,
an inspection, a put-away and a return to ship; a draft sales order, a requisition waiting
for approval, a rejected sales order, requests to allocate, to pick and to ship, an open pick
list and a backorder.

Everything is drawn from ``random.Random(seed)``: the same seed on the same day gives the same
company, move for move and document for document.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.sql import ColumnElement

from cangku.db.tables import (
    balances,
    documents,
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
from cangku.services import common as service_clock
from cangku.services.common import Context, utcnow
from cangku.services.company import CompanyChanges, update_company
from cangku.services.demo_catalogue import (
    CATEGORIES,
    DAYS_PER_MONTH,
    FRACTIONAL_UNITS,
    INSPECTED_SUPPLIERS,
    LOCATIONS,
    OVER_RECEIPT_TOLERANCE,
    PARTNERS,
    PO_APPROVAL_THRESHOLD,
    REJECTION_LOCATIONS,
    STORAGE,
    SZ_BINS,
    DemoItem,
    Family,
    draw_catalogue,
    ean13,
    plausible_quantity,
)
from cangku.services.demo_internal import (
    cycle_count,
    open_transfer_work,
    recall_a_lot,
    replenish,
)
from cangku.services.demo_outbound import (
    OutboundBook,
    add_outbound_rules,
    close_backorders,
    customer_returns,
    open_outbound_work,
    requisitions,
    sales,
)
from cangku.services.demo_users import DemoUser, create_demo_users
from cangku.services.documents import StepResult
from cangku.services.inbound.inspections import InspectionLineInput, record_inspection
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    approve_order,
    close_order,
    confirm_order,
    create_purchase_order,
)
from cangku.services.inbound.putaways import PutawayLineInput, put_away
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.inbound.returns import (
    NewSupplierReturn,
    ReturnLineInput,
    create_supplier_return,
)
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
    receive_stock,
    reverse_move,
    scrap_stock,
    transfer_stock,
)
from cangku.services.stock_commands import (
    Adjust,
    Receive,
    Reference,
    Reverse,
    Scrap,
    Transfer,
)
from cangku.services.tasks import assign_document
from cangku.services.warehouses import (
    LocationInput,
    WarehouseChanges,
    WarehouseInput,
    create_location,
    create_warehouse,
    update_warehouse,
)

__all__ = ["DemoSummary", "build_demo", "ean13", "summarize"]

T = TypeVar("T")

#: the demo users who do the inbound work (``services.demo_users``)
BUYER = Context("buyer")
MANAGER = Context("manager")
CLERK = Context("clerk")
INSPECTOR = Context("inspector")


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
    for warehouse, location in REJECTION_LOCATIONS.items():
        update_warehouse(db, ctx, warehouse, WarehouseChanges(rejection_location=location))


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
                inspection_required=family.inspect,
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
                inspection_required=code in INSPECTED_SUPPLIERS,
                over_receipt_tolerance=OVER_RECEIPT_TOLERANCE.get(code, "0"),
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


@contextmanager
def _services_clock(moment: datetime) -> Iterator[None]:
    """Run services as of ``moment``. The demo's history is back-dated: the stock operations
    take an effective time, but a document step takes its time from the services' clock
    (``services.common.utcnow``), so the story's steps run with that clock set to the story's
    moment (timeline, moves, due and expected dates of that day). Only ``build_demo`` does this,
    in its own process, on a database nobody uses yet."""
    real = service_clock.utcnow
    service_clock.utcnow = lambda: moment
    try:
        yield
    finally:
        service_clock.utcnow = real


@dataclass(frozen=True)
class _Line:
    """A purchase order line: ``count`` of ``unit`` (None: the base unit)."""

    item: DemoItem
    count: Decimal
    unit: tuple[str, int] | None


@dataclass(frozen=True)
class _Order:
    """A purchase order on its way."""

    number: str
    due: date
    lines: list[_Line]


#: what came in on a receipt line (one per lot or serial number): item, lot, base units
_Goods = tuple[DemoItem, str | None, Decimal]


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
    #: the lots held per (location, item): the keys of ``stock``, found without a scan
    lots_at: dict[tuple[str, str], dict[str | None, None]] = field(default_factory=dict)
    expiry: dict[tuple[str, str], date | None] = field(default_factory=dict)
    pending: dict[str, date] = field(default_factory=dict)
    clock: datetime = datetime.min.replace(tzinfo=UTC)
    numbers: dict[str, int] = field(default_factory=dict)
    #: the purchase orders on their way
    orders: list[_Order] = field(default_factory=list)
    #: goods rejected in inspection, to go back: (receipt, item, lot, quantity)
    rejected: list[tuple[str, str, str | None, Decimal]] = field(default_factory=list)
    #: the outbound story's memory (``services.demo_outbound``)
    outbound: OutboundBook = field(default_factory=OutboundBook)

    def step(self, call: Callable[[], T]) -> T:
        """Take a document step at the story's next moment."""
        with _services_clock(self.tick()):
            return call()

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
        held = self.lots_at.setdefault(key[:2], {})
        if left:
            self.stock[key] = left
            held[key[2]] = None
        else:
            self.stock.pop(key, None)
            held.pop(key[2], None)

    def usable(self, location: str, item: str) -> list[tuple[str | None, Decimal]]:
        """(lot, quantity) at ``location`` that may still be issued, earliest expiry first."""
        found = [
            (lot, qty)
            for lot in self.lots_at.get((location, item), {})
            if (qty := self.stock[(location, item, lot)]) > 0 and self.fit(item, lot)
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
            qty = plausible_quantity(item, float(item.batch) * h.rng.uniform(1.5, 5) / len(lots))
            h.adjust(item, qty, item.home, lot, "opening_balance", item.cost)
        if family.item_type == "finished_good":
            qty = plausible_quantity(item, float(item.batch) * h.rng.uniform(0.5, 2))
            h.adjust(item, qty, SZ_BINS[len(item.code) % 3], None, "opening_balance", item.cost)


def _purchase_quantity(item: DemoItem, need: Decimal) -> tuple[Decimal, tuple[str, int] | None]:
    """How much to order for ``need`` base units: whole supplier packs where one fits (steel by
    the kilogram, not the tonne), else the base unit."""
    unit = item.family.units[0] if item.family.units else None
    if unit is not None and (need < unit[1] or unit[0] == "t"):
        unit = None
    if unit is None:
        return plausible_quantity(item, float(need)), None
    return Decimal(-(-need // unit[1])), unit


def _raise_order(
    h: _History, supplier: str, wanted: list[tuple[DemoItem, Decimal]], expected: date
) -> _Order:
    """The buyer orders ``wanted`` (item, base units needed) from a supplier and confirms the
    order; the manager approves it when it is above the company's threshold."""
    lines = [_Line(item, *_purchase_quantity(item, need)) for item, need in wanted]
    inputs = [
        OrderLineInput(
            line.item.code, str(line.count), unit=line.unit[0] if line.unit else None,
            unit_price=str(_price(h, line.item.cost) * (line.unit[1] if line.unit else 1)),
            expected_on=expected,
        )
        for line in lines
    ]  # fmt: skip
    reference = f"{supplier[2:]}-{h.clock:%y%m%d}-{h.number('Q:' + supplier)[-2:]}"
    order = NewPurchaseOrder(supplier, "SH", inputs, reference=reference)
    number = h.step(lambda: create_purchase_order(h.db, BUYER, order)).number
    state = h.step(lambda: confirm_order(h.db, BUYER, number)).state
    if state == "awaiting_approval":
        h.step(lambda: approve_order(h.db, MANAGER, number, note="同意采购 approved"))
    return _Order(number, expected, lines)


def _inspected(item: DemoItem) -> bool:
    return item.family.inspect or item.family.supplier in INSPECTED_SUPPLIERS


def _receive_order(
    h: _History, order: _Order, counts: list[Decimal], over: bool = False
) -> tuple[StepResult, list[_Goods]]:
    """The clerk receives ``counts`` (of each line's unit) against the order, each line with a
    new lot or serial numbers; answers the receipt and what came in, per receipt line."""
    lines: list[ReceiptLineInput] = []
    goods: list[_Goods] = []
    for number, (ordered, count) in enumerate(zip(order.lines, counts, strict=True), start=1):
        item, unit = ordered.item, ordered.unit
        base = count * (unit[1] if unit else 1)
        line = ReceiptLineInput(
            item.code, str(count), unit=unit[0] if unit else None, order_line=number
        )
        if item.family.tracking == "lot":
            code, made, expires = _new_lot(h, item, h.clock.date())
            h.expiry[(item.code, code)] = expires
            supplier_lot = f"{(item.family.supplier or '')[2:5]}{made:%y%m%d}"
            line = replace(
                line, lot=code, manufactured_on=made, expires_on=expires, supplier_lot=supplier_lot
            )
            goods.append((item, code, base))
        elif item.family.tracking == "serial":
            serials = [_serial(h, item) for _ in range(int(base))]
            for serial in serials:
                h.expiry[(item.code, serial)] = None
            line = replace(line, serials=f"{serials[0]}-{serials[-1]}" if base > 1 else serials[0])
            goods.extend((item, serial, Decimal(1)) for serial in serials)
        else:
            goods.append((item, None, base))
        lines.append(line)
    note = f"DN{h.clock:%y%m%d}{h.number('DN')[-3:]}"
    receipt = NewReceipt(lines, order=order.number, delivery_note=note, confirm_over_receipt=over)
    result = h.step(lambda: create_receipt(h.db, CLERK, receipt))
    for item, lot, quantity in goods:
        h.change(("SH-QC" if _inspected(item) else "SH-RCV", item.code, lot), quantity)
    return result, goods


_REJECTION_REASONS = ("damaged", "defective", "missing_documents", "short_shelf_life")


def _inspect(
    h: _History, receipt: StepResult, goods: list[_Goods], reject: bool = False
) -> tuple[str | None, list[_Goods]]:
    """The inspector samples each inspected line and rejects part of some (``reject``: the
    first line for certain); rejected goods go to the rejection location. Answers the put-away
    the inspection opened and what it accepted, in its lines' order."""
    results: list[InspectionLineInput] = []
    accepted: list[_Goods] = []
    for number, (item, lot, quantity) in enumerate((g for g in goods if _inspected(g[0])), start=1):
        bad = Decimal(0)
        if (reject and number == 1) or h.rng.random() < 0.2:
            bad = quantity if quantity == 1 else plausible_quantity(item, float(quantity) * 0.08)
        sample = min(quantity, plausible_quantity(item, max(1.0, float(quantity) * 0.1)))
        reason = h.rng.choice(_REJECTION_REASONS) if bad else None
        results.append(
            InspectionLineInput(number, str(quantity - bad), str(bad), reason, str(sample))
        )
        if bad:
            h.change(("SH-QC", item.code, lot), -bad)
            h.change(("SH-QC-REJ", item.code, lot), bad)
            h.rejected.append((receipt.number, item.code, lot, bad))
        if bad < quantity:
            accepted.append((item, lot, quantity - bad))
    inspection = receipt.data["inspection"]
    done = h.step(lambda: record_inspection(h.db, INSPECTOR, inspection, results))
    return done.data.get("putaway"), accepted


def _store(h: _History, putaway: str, source: str, goods: list[_Goods]) -> None:
    """The clerk stores every line of a put-away in its item's bin (scanned)."""
    lines = [PutawayLineInput(n, item.home) for n, (item, _, _) in enumerate(goods, start=1)]
    h.step(lambda: put_away(h.db, CLERK, putaway, lines))
    for item, lot, quantity in goods:
        h.change((source, item.code, lot), -quantity)
        h.change((item.home, item.code, lot), quantity)


def _deliver(h: _History, order: _Order, *, reject: bool = False) -> StepResult:
    """A purchase order arrives: received at the dock (a line short now and then, the rest
    then cancelled; steel and aluminium sometimes a little over, within the tolerance),
    inspected where the item or the supplier needs it, and put away."""
    counts = [line.count for line in order.lines]
    over = False
    for n, line in enumerate(order.lines):
        chance = h.rng.random()
        fractional = line.unit is None and line.item.family.unit in FRACTIONAL_UNITS
        short = (line.count * Decimal("0.8")).quantize(
            Decimal("0.1") if fractional else Decimal(1), ROUND_FLOOR
        )
        if chance < 0.05 and 0 < short < line.count:
            counts[n] = short
        elif chance < 0.3 and line.item.family.supplier in OVER_RECEIPT_TOLERANCE and fractional:
            counts[n], over = plausible_quantity(line.item, float(line.count) * 1.02), True
    received, goods = _receive_order(h, order, counts, over)
    if any(c < line.count for c, line in zip(counts, order.lines, strict=True)):
        h.step(lambda: close_order(h.db, BUYER, order.number, note="余量取消 rest cancelled"))
    if received.data.get("inspection"):
        putaway, accepted = _inspect(h, received, goods, reject)
        if putaway:
            _store(h, putaway, "SH-QC", accepted)
    if received.data.get("putaway"):
        _store(h, received.data["putaway"], "SH-RCV", [g for g in goods if not _inspected(g[0])])
    return received


def _return_rejected(h: _History, ctx: Context, *, ship: bool) -> None:
    """Rejected goods go back to their supplier, one return per receipt (at its cost)."""
    by_receipt: dict[str, list[ReturnLineInput]] = {}
    for receipt, code, lot, quantity in h.rejected:
        by_receipt.setdefault(receipt, []).append(
            ReturnLineInput(code, str(quantity), "SH-QC-REJ", lot, reason="rejected_in_inspection")
        )
        if ship:
            h.change(("SH-QC-REJ", code, lot), -quantity)
    h.rejected = [] if ship else h.rejected
    for receipt, lines in by_receipt.items():
        command = NewSupplierReturn(
            lines, receipt=receipt, note="退回不合格品 rejected goods back", ship=ship
        )
        h.step(lambda command=command: create_supplier_return(h.db, ctx, command))  # type: ignore[misc]


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
    h.receive(
        item, plausible_quantity(item, float(need)), item.home, cost, ref, source="production"
    )


def _arrivals(h: _History, day: date) -> None:
    for order in [o for o in h.orders if o.due <= day]:
        h.orders.remove(order)
        # the first delivery with goods to inspect brings damaged ones (a return follows)
        first = "inspected" not in h.numbers and any(_inspected(x.item) for x in order.lines)
        if first:
            h.number("inspected")
        _deliver(h, order, reject=first)
        for line in order.lines:
            h.pending.pop(line.item.code, None)
    for code, due in list(h.pending.items()):
        if due > day:
            continue
        del h.pending[code]
        item = next(i for i in h.catalogue if i.code == code)
        need = item.maximum - h.on_hand(item.home, code)
        if need > 0:
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


def _simulate(h: _History, start: date, days: int, close_through: date) -> None:
    _opening(h, start)
    for offset in range(1, days):
        day = start + timedelta(days=offset)
        h.start_day(day)
        if day.weekday() < 5:
            _arrivals(h, day)
            requisitions(h)
            # a Wednesday every third week, a Shanghai bin holds less than the books say
            sales(h, short=day.weekday() == 2 and offset // 7 % 3 == 1)
            if offset >= days - 12 and h.outbound.returns == 0:
                customer_returns(h, "restock")
            if offset >= days - 6 and h.outbound.returns == 1:
                customer_returns(h, "inspect")
            if day.weekday() == 0:
                _weekly(h)
                _return_rejected(h, MANAGER, ship=True)
            if day.weekday() == 1 and day.day <= 7:  # the month's first Tuesday
                cycle_count(h)
            _order(h, day)
        if offset == days - 10:
            _late_order(h, day)
        if offset == days - 1:
            _expired(h)
            _open_work(h)
            cycle_count(h, finish=False)
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
    #: the documents, by type (purchase_order, receipt, sales_order, pick_list, shipment...)
    documents_by_type: dict[str, int] = field(default_factory=dict)
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
            documents_by_type=_grouped(conn, documents.c.doc_type),
        )


# ------------------------------------------------------------------ the use case
def build_demo(
    db: Database, ctx: Context, seed: int = 2024, months: int = 4, activity: float = 1.0
) -> DemoSummary:
    """Build the demo company in an empty, initialised database (``services.setup.initialize``)
    and return what was built. ``months`` of history end yesterday; ``activity`` scales the
    daily number of requisitions and sales orders (tests use less).

    Raises RuleViolation ``database_not_empty`` when items, warehouses or moves exist already,
    InvalidInput ``invalid_months`` / ``invalid_activity``. Writes: warehouses (with their
    rejection locations), locations, units, categories, items (some marked for inspection),
    partners (a supplier marked for inspection, over-receipt tolerances) and their supplier
    items, purchase orders, receipts, inspections, put-aways and supplier returns, sales
    orders, requisitions, pick lists, shipments and customer returns with their timelines and
    notifications, reservations of the requests left open, a few thousand moves with their
    balances, costs and lots, a closed period with its checkpoint; the company settings
    (currency CNY, time zone Asia/Shanghai, purchase approval above 10,000) and the outbound
    approval rules (requisitions above 10,000, sales orders above 20,000); one user per built-in
    role and the sales and planner users with their custom roles, with a demo password, and the
    administrator's demo password if they have none (``services.demo_users``).
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
    update_company(
        db,
        ctx,
        CompanyChanges(
            currency="CNY", time_zone="Asia/Shanghai", po_approval_threshold=PO_APPROVAL_THRESHOLD
        ),
    )
    _build_sites(db, ctx)
    _build_items(db, ctx, catalogue)
    _build_partners(db, ctx, catalogue)
    credentials = create_demo_users(db, ctx)  # they do the inbound and outbound work
    add_outbound_rules(db, ctx)
    today = utcnow().date()
    start = today - timedelta(days=months * DAYS_PER_MONTH)
    history = _History(db, ctx, rng, catalogue, today, activity)
    _simulate(history, start, months * DAYS_PER_MONTH, start + timedelta(DAYS_PER_MONTH - 1))
    summary = summarize(db, seed, months, time.perf_counter() - started)
    return replace(summary, credentials=credentials)
