"""The demo's purchasing (``services.demo``), done by the demo users through the inbound
documents: purchase orders (confirmed by the buyer, approved by the manager above the
threshold), receipts with lots and serial numbers (short deliveries closed, some over-deliveries
within the supplier's tolerance), inspections with some rejections, put-aways, the rejected
goods returned to their supplier; and the work orders whose output is received into the bins.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from cangku.services.common import Context
from cangku.services.demo_catalogue import (
    FRACTIONAL_UNITS,
    INSPECTED_SUPPLIERS,
    OVER_RECEIPT_TOLERANCE,
    DemoItem,
    plausible_quantity,
)
from cangku.services.demo_story import _Goods, _History, _Line, _new_lot, _Order, _price, _serial
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
from cangku.services.stock_commands import Reference

#: the demo users who do the inbound work (``services.demo_users``)
BUYER = Context("buyer")
MANAGER = Context("manager")
CLERK = Context("clerk")
INSPECTOR = Context("inspector")


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
