"""Receipts (goods received notes): against a purchase order or standalone; lots, serial ranges
and dates captured; goods land in the warehouse's receiving location, or its quality location
when they need inspection; the order line's price costs them; inspections and put-aways follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db.lots import NewLot, ensure_lots
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.documents import check_due_on, require_lines
from cangku.domain.enums import LocationKind, LotStatus, Operation, Tracking
from cangku.domain.errors import InvalidInput, LotRequired, RuleViolation
from cangku.domain.inbound import (
    PURCHASE_ORDER,
    RECEIPT,
    OrderLine,
    check_over_receipt,
    needs_inspection,
    order_state,
    parse_serials,
)
from cangku.domain.lots import check_code, check_dates, default_expiry
from cangku.domain.operations import check_note, unit_cost_value
from cangku.domain.permissions import RECEIVING_CLERK, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.quantities import SCALE, from_scaled, scaled_product, scaled_ratio, to_scaled
from cangku.domain.stock import MoveLine
from cangku.services.common import Context, run_write
from cangku.services.documents import (
    StepResult,
    advance,
    assignee_of,
    create_document,
    deliver_outbox,
    post_for,
    run_step,
    today,
)
from cangku.services.inbound.followups import open_followups
from cangku.services.inbound.orders import command_payload
from cangku.services.inbound.quantities import Converter

__all__ = [
    "RECEIPT_RECEIVE",
    "NewReceipt",
    "ReceiptLineInput",
    "cancel_receipt",
    "create_receipt",
    "receive_receipt",
]

#: receive goods (a receipt's lines posted into the receiving or quality location)
RECEIPT_RECEIVE = action("receipt.receive", roles={RECEIVING_CLERK, WAREHOUSE_MANAGER}, scoped=True)


@dataclass(frozen=True)
class ReceiptLineInput:
    #: an item code or one of its barcodes
    item: str
    quantity: Decimal | str
    unit: str | None = None
    #: the order line received against (None: the order's first open line of the item)
    order_line: int | None = None
    lot: str | None = None
    #: serial numbers of a serial-tracked item: ``SN100-SN149, SN160``; as many as the quantity
    serials: str | None = None
    manufactured_on: date | None = None
    expires_on: date | None = None
    supplier_lot: str | None = None
    #: per ``unit``, for a receipt without an order (an order line's price wins)
    unit_price: Decimal | str | None = None


@dataclass(frozen=True)
class NewReceipt:
    lines: list[ReceiptLineInput] = field(default_factory=list)
    #: the purchase order received against (its warehouse and supplier)
    order: str | None = None
    #: without an order: where and from whom
    warehouse: str | None = None
    supplier: str | None = None
    #: the supplier's delivery note number
    delivery_note: str | None = None
    note: str | None = None
    due_on: date | None = None
    assignee: str | None = None
    #: post at once (the receiving screen); False: a draft received later
    receive: bool = True
    #: the user accepts receiving more than ordered (within the supplier's tolerance)
    confirm_over_receipt: bool = False


# ---------------------------------------------------------------- building the lines
@dataclass
class _Planned:
    row: dict[str, Any]
    item: loads.InboundItem
    new_lot: NewLot | None = None


def _plan_lines(
    conn: Connection,
    lines: list[ReceiptLineInput],
    order: store.DocumentRow | None,
    order_lines: list[store.LineRow],
    day: date,
) -> list[_Planned]:
    """The receipt's line rows (one per lot, one per serial number), matched to order lines,
    with the lots they name. Raises InvalidInput / RuleViolation for the first bad line."""
    require_lines(lines, "receipt")
    codes = [line.item for line in lines]
    found = loads.inbound_items(conn, codes=codes)
    missing = [code for code in codes if code not in found]
    for code in missing:  # a scanned barcode: resolved one at a time (few)
        scanned, _ = lookups.resolve_item(conn, code)
        found.update(loads.inbound_items(conn, ids=[scanned.id]))
        found[code] = found[scanned.id]
    converter = Converter(
        conn, list({i.id: i for i in found.values()}.values()), {ln.unit for ln in lines if ln.unit}
    )
    by_number = {line.line_no: line for line in order_lines}
    planned: list[_Planned] = []
    for line in lines:
        item = found[line.item]
        if not item.active:
            raise RuleViolation(
                f"item {item.code} is deactivated", code="item_inactive", item=item.code
            )
        quantity, factor, base = converter.base(item, line.quantity, line.unit)
        source = _order_line(order, by_number, order_lines, line, item)
        price = _price(line, source, factor, quantity, base)
        check_dates(line.manufactured_on, line.expires_on)
        expires = default_expiry(line.manufactured_on, line.expires_on, item.shelf_life_days)
        common = {
            "item_id": item.id,
            "source_line_id": source.id if source else None,
            "base_price": price,
            "unit": line.unit or item.base_unit,
        }
        if item.tracking == Tracking.SERIAL:
            serials = parse_serials(line.serials or line.lot or "")
            if not serials:
                raise LotRequired(
                    f"item {item.code} is serial-tracked: give the serial numbers",
                    code="serial_required",
                    item=item.code,
                )
            if len(serials) * SCALE != base:
                raise InvalidInput(
                    f"{len(serials)} serial numbers for {from_scaled(base)} {item.base_unit}"
                    f" of {item.code}",
                    code="serial_count_mismatch",
                    item=item.code,
                    serials=len(serials),
                    quantity=str(from_scaled(base)),
                )
            for serial in serials:
                check_code(serial, "serial")
                lot = NewLot(
                    item.id,
                    serial,
                    True,
                    line.manufactured_on,
                    expires,
                    line.supplier_lot,
                    LotStatus.AVAILABLE,
                )
                planned.append(
                    _Planned({**common, "quantity": SCALE, "unit_quantity": SCALE}, item, lot)
                )
        elif item.tracking == Tracking.LOT:
            if not line.lot:
                raise LotRequired(
                    f"item {item.code} is lot-tracked: a lot is required",
                    code="lot_required",
                    item=item.code,
                )
            check_code(line.lot, "lot")
            lot = NewLot(
                item.id,
                line.lot,
                False,
                line.manufactured_on,
                expires,
                line.supplier_lot,
                LotStatus.AVAILABLE,
            )
            planned.append(
                _Planned(
                    {**common, "quantity": base, "unit_quantity": to_scaled(quantity)}, item, lot
                )
            )
        else:
            if line.lot or line.serials:
                raise InvalidInput(
                    f"item {item.code} is not lot- or serial-tracked; leave the lot out",
                    code="lot_not_allowed",
                    item=item.code,
                )
            planned.append(
                _Planned({**common, "quantity": base, "unit_quantity": to_scaled(quantity)}, item)
            )
    seen: set[tuple[int, str]] = set()
    for plan in planned:
        if plan.new_lot and plan.new_lot.is_serial:
            key = (plan.item.id, plan.new_lot.code)
            if key in seen:
                raise InvalidInput(
                    f"serial number {key[1]} is given twice", code="duplicate_serial", serial=key[1]
                )
            seen.add(key)
    for number, plan in enumerate(planned, start=1):
        plan.row["line_no"] = number
    return planned


def _order_line(
    order: store.DocumentRow | None,
    by_number: dict[int, store.LineRow],
    order_lines: list[store.LineRow],
    line: ReceiptLineInput,
    item: loads.InboundItem,
) -> store.LineRow | None:
    if order is None:
        if line.order_line is not None:
            raise InvalidInput("an order line needs an order", code="order_line_without_order")
        return None
    if line.order_line is not None:
        found = by_number.get(line.order_line)
        if found is None or found.item_id != item.id:
            raise RuleViolation(
                f"{order.number} has no line {line.order_line} of item {item.code}",
                code="item_not_on_order",
                document=order.number,
                item=item.code,
                line=line.order_line,
            )
        return found
    candidates = [ol for ol in order_lines if ol.item_id == item.id]
    if not candidates:
        raise RuleViolation(
            f"item {item.code} is not on {order.number}",
            code="item_not_on_order",
            document=order.number,
            item=item.code,
        )
    open_lines = [ol for ol in candidates if ol.done < ol.quantity]
    return (open_lines or candidates)[0]


def _price(
    line: ReceiptLineInput, source: store.LineRow | None, factor: int, quantity: Decimal, base: int
) -> int | None:
    """Cost per base unit: the order line's, else the price given per unit, else None (the
    ledger's fallback: the item's last cost)."""
    if source is not None and source.base_price is not None:
        return source.base_price
    price = unit_cost_value(line.unit_price)
    if price is None:
        return None
    return scaled_ratio(scaled_product(to_scaled(quantity), to_scaled(price)), base)


# ---------------------------------------------------------------- receiving
def _receive(
    conn: Connection,
    receipt: store.DocumentRow,
    actor: Actor,
    now: datetime,
    confirm_over: bool,
) -> dict[str, Any]:
    """Post a draft receipt's lines: check the order (open, over-receipt), post supplier ->
    receiving (or quality) moves costed at the order's prices, move the order on, open the
    inspection and put-away that follow. The receipt's header is locked by the caller."""
    order = store.lock_document_id(conn, receipt.origin_id) if receipt.origin_id else None
    if order is not None:
        PURCHASE_ORDER.check(order.state, "receive", order.number)
    lines = store.lines_of(conn, receipt.id)
    warehouse = loads.warehouse_inbound(conn, warehouse_id=receipt.warehouse_id)
    supplier = loads.supplier_by_id(conn, receipt.partner_id) if receipt.partner_id else None
    order_lines = store.lines_of(conn, order.id) if order else []
    # the items of the receipt's and the order's lines, in one read
    items = loads.inbound_items(
        conn, ids=[line.item_id for line in lines] + [ol.item_id for ol in order_lines]
    )
    over: list[int] = []
    if order is not None:
        by_id = {ol.id: ol for ol in order_lines}
        receiving: dict[int, int] = {}
        for line in lines:
            if line.source_line_id is not None:
                number = by_id[line.source_line_id].line_no
                receiving[number] = receiving.get(number, 0) + line.quantity
        over = check_over_receipt(
            [
                OrderLine(ol.line_no, ol.item_id, items[ol.item_id].code, ol.quantity, ol.done)
                for ol in order_lines
            ],
            receiving,
            supplier.over_receipt_tolerance if supplier else 0,
            confirm_over,
            order.number,
        )
    supplier_flag = supplier.inspection_required if supplier else False
    inspect = {
        line.id: needs_inspection(
            items[line.item_id].inspection_required,
            items[line.item_id].category_inspection,
            supplier_flag,
        )
        for line in lines
    }
    receiving_id = warehouse.receiving()
    quality_id = warehouse.quality() if any(inspect.values()) else None
    source = lookups.location_by_id(
        conn, loads.virtual_location(conn, warehouse.id, LocationKind.SUPPLIER)
    )
    places = {
        receiving_id: lookups.location_by_id(conn, receiving_id),
        **({quality_id: lookups.location_by_id(conn, quality_id)} if quality_id else {}),
    }
    lots = loads.lots_by_ids(conn, [line.lot_id for line in lines])
    # a lot that already holds stock elsewhere is not quarantined (that would block it there)
    held = loads.lots_with_stock(
        conn,
        [
            line.lot_id
            for line in lines
            if inspect[line.id]
            and line.lot_id is not None
            and lots[line.lot_id].status is LotStatus.AVAILABLE
        ],
    )
    quarantine: dict[int, LotStatus] = {}
    moves: list[MoveLine] = []
    for line in lines:
        dest_id = quality_id if inspect[line.id] else receiving_id
        assert dest_id is not None
        lot = lots.get(line.lot_id) if line.lot_id else None
        if (
            lot is not None
            and inspect[line.id]
            and lot.status is LotStatus.AVAILABLE
            and lot.id not in held
        ):
            quarantine[lot.id] = LotStatus.QUARANTINE
        move = MoveLine(
            Operation.RECEIVE,
            items[line.item_id].info(),
            source,
            places[dest_id],
            line.quantity,
            lot=lot,
            unit_cost=line.base_price,
            note=f"supplier {supplier.code}" if supplier else None,
        )
        move.document_line = line.line_no
        moves.append(move)
    move_ids = post_for(conn, receipt, moves, actor, now)
    from cangku.db.lots import set_statuses

    set_statuses(conn, quarantine, now, user_id=actor.user_id, document_id=receipt.id)
    store.update_lines(
        conn,
        [
            {"line_id": line.id, "add_done": line.quantity, "set_move_id": move_id,
             "set_location_id": quality_id if inspect[line.id] else receiving_id}
            for line, move_id in zip(lines, move_ids, strict=True)
        ],
    )  # fmt: skip
    if order is not None:
        added: dict[int, int] = {}
        for line in lines:
            if line.source_line_id is not None:
                added[line.source_line_id] = added.get(line.source_line_id, 0) + line.quantity
        store.update_lines(conn, [{"line_id": k, "add_done": v} for k, v in added.items()])
        after = [
            OrderLine(ol.line_no, ol.item_id, "", ol.quantity, ol.done + added.get(ol.id, 0))
            for ol in order_lines
        ]
        advance(
            conn, PURCHASE_ORDER, order, "receive", actor, now,
            target=order_state(after), data={"receipt": receipt.number, "moves": move_ids},
        )  # fmt: skip
    fresh = store.lines_of(conn, receipt.id)
    followups = open_followups(conn, receipt, fresh, inspect, actor, now, items)
    return {"move_ids": move_ids, "over_received_lines": over, **followups}


def _header(
    conn: Connection, command: NewReceipt, day: date
) -> tuple[loads.WarehouseInbound, store.DocumentRow | None, loads.Supplier | None]:
    if command.order:
        order = store.lock_document(conn, PURCHASE_ORDER.doc_type, command.order)
        PURCHASE_ORDER.check(order.state, "receive", order.number)
        warehouse = loads.warehouse_inbound(conn, warehouse_id=order.warehouse_id)
        if command.warehouse and command.warehouse != warehouse.code:
            raise InvalidInput(
                f"{order.number} is an order of warehouse {warehouse.code}",
                code="warehouse_mismatch",
                document=order.number,
                warehouse=warehouse.code,
            )
        supplier = loads.supplier_by_id(conn, order.partner_id) if order.partner_id else None
        return warehouse, order, supplier
    if not command.warehouse:
        raise InvalidInput(
            "a receipt without an order names its warehouse", code="warehouse_required"
        )
    if not command.supplier:
        raise InvalidInput(
            "a receipt without an order names its supplier", code="supplier_required"
        )
    return (
        loads.active_warehouse(conn, command.warehouse),
        None,
        loads.supplier(conn, command.supplier),
    )


def create_receipt(db: Database, ctx: Context, command: NewReceipt) -> StepResult:
    """Record a receipt (against an order, or standalone with its warehouse and supplier) and,
    unless ``receive`` is False, receive it at once.

    Receiving posts one move per line (per serial number) from the supplier into the
    warehouse's receiving location, or its quality location (lots in quarantine) when the item,
    its category or the supplier is marked for inspection; costs each at its order line's price
    per base unit; moves the order to partially received or received; and opens an inspection
    (QC) for what needs one and a put-away (PA) for the rest.

    Raises NotFound, ``invalid_transition`` (the order is not open), RuleViolation
    (``item_not_on_order``, ``over_receipt_beyond_tolerance``, inactive records, no receiving
    or quality location), NeedsConfirmation ``over_receipt``, InvalidInput / LotRequired (lots,
    serials, dates, quantities), PermissionDenied (``receipt.receive`` in the warehouse).
    Nothing is written when it raises."""
    note = check_note(command.note)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        day = today(conn, now)
        warehouse, order, supplier = _header(conn, command, day)
        actor.require(RECEIPT_RECEIVE, warehouse.id)
        order_lines = store.lines_of(conn, order.id) if order else []
        planned = _plan_lines(conn, command.lines, order, order_lines, day)
        lots = ensure_lots(conn, [p.new_lot for p in planned if p.new_lot], now)
        for plan in planned:
            if plan.new_lot:
                plan.row["lot_id"] = lots[(plan.new_lot.item_id, plan.new_lot.code)].id
        document_id, number = create_document(
            conn,
            RECEIPT,
            actor,
            now,
            warehouse_id=warehouse.id,
            warehouse_code=warehouse.code,
            lines=[p.row for p in planned],
            note=note,
            partner_id=supplier.id if supplier else None,
            origin_id=order.id if order else None,
            reference=command.delivery_note,
            due_on=check_due_on(command.due_on, day),
            assignee_id=assignee_of(conn, command.assignee) if command.assignee else None,
        )
        result: dict[str, Any] = {"number": number, "state": RECEIPT.initial, "move_ids": []}
        if command.receive:
            receipt = store.document_by_id(conn, document_id)
            done = _receive(conn, receipt, actor, now, command.confirm_over_receipt)
            result["state"] = advance(
                conn, RECEIPT, receipt, "receive", actor, now, data={"moves": done["move_ids"]}
            )
            result.update(done)
        return result

    payload = command_payload(command)
    result, replayed = run_write(db, ctx, RECEIPT_RECEIVE, payload, work, target_type="receipt")
    if not replayed:
        deliver_outbox(db)
    data = {k: v for k, v in result.items() if k not in ("number", "state", "move_ids")}
    return StepResult(result["number"], result["state"], result["move_ids"], replayed, data)


def receive_receipt(
    db: Database,
    ctx: Context,
    number: str,
    *,
    confirm_over_receipt: bool = False,
    note: str | None = None,
) -> StepResult:
    """Receive a draft receipt (see ``create_receipt``)."""

    def decide(conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime) -> Any:
        from cangku.services.documents import StepOutcome

        done = _receive(conn, doc, actor, now, confirm_over_receipt)
        return StepOutcome(result=done, data={"moves": done["move_ids"]})

    return run_step(
        db, ctx, RECEIPT, "receive", number,
        {"confirm_over_receipt": confirm_over_receipt, "note": note}, decide, note=check_note(note),
    )  # fmt: skip


def cancel_receipt(db: Database, ctx: Context, number: str, note: str | None = None) -> StepResult:
    """Cancel a draft receipt (nothing was posted)."""
    from cangku.services.documents import StepOutcome

    return run_step(
        db, ctx, RECEIPT, "cancel", number, {"note": note},
        lambda *_: StepOutcome(), note=check_note(note),
    )  # fmt: skip
