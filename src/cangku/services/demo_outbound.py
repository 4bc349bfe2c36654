"""The demo company's outbound story: sales orders and material requisitions through the
outbound documents (``services.outbound``).

Every weekday production draws its materials on requisitions (a department's materials for a
production order planned that day) and the sales staff take orders from the customers, for the
Shanghai warehouse or the Shenzhen distribution centre. Each request is submitted (approved at
once under the approval rules' thresholds, else by the warehouse manager), allocated by the
picker and picked in one wave per warehouse and kind (a pick list in walking order, bins and
lots scanned) and shipped: sales orders with a carrier and a tracking number, requisitions
handed to the line. Now and then a bin holds less than the books say: the picker picks short,
the counter corrects the bin, and the rest of the order is a backorder, shipped once stock is
back (or dropped after ten days). Two customers send goods back (one restocked, one to
inspection and scrapped there). The last day leaves a request or a pick list waiting at each
step.

The story (``services.demo_story._History``) keeps its own book of what is in the bins; the steps
here choose lots and bins themselves, so the book follows the pick lists (what was picked left
its bin; the shipping areas are not in the book) and the moves of customer returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select

from cangku.db.tables import document_lines, documents, items, locations, lots, moves
from cangku.domain.quantities import from_scaled
from cangku.services.common import Context
from cangku.services.demo_catalogue import (
    CUSTOMERS,
    STORAGE,
    SZ_BINS,
    DemoItem,
    plausible_quantity,
)
from cangku.services.documents import StepResult
from cangku.services.outbound.allocation import allocate_wave
from cangku.services.outbound.picking import PickLineInput, confirm_pick, create_pick_list
from cangku.services.outbound.requests import (
    NewRequest,
    RequestLineInput,
    approve_request,
    cancel_request,
    close_request,
    create_request,
    reject_request,
)
from cangku.services.outbound.returns import (
    CustomerReturnLineInput,
    NewCustomerReturn,
    create_customer_return,
)
from cangku.services.outbound.rules import ApprovalRuleInput, add_approval_rule
from cangku.services.outbound.shipping import ship_request
from cangku.services.tasks import assign_document

if TYPE_CHECKING:
    from cangku.db.uow import Database
    from cangku.services.demo_story import _History

__all__ = [
    "REQUISITION_APPROVAL_THRESHOLD",
    "SO_APPROVAL_THRESHOLD",
    "OutboundBook",
    "add_outbound_rules",
    "close_backorders",
    "customer_returns",
    "open_outbound_work",
    "requisitions",
    "sales",
]

#: the demo users of the outbound work (``services.demo_users``)
SALES = Context("sales")
PLANNER = Context("planner")
PICKER = Context("picker")
MANAGER = Context("manager")
CLERK = Context("clerk")
COUNTER = Context("counter")

#: requisitions worth more than this (CNY, at cost) wait for a warehouse manager
REQUISITION_APPROVAL_THRESHOLD = "10000"
#: sales orders worth more than this (CNY) wait for a warehouse manager
SO_APPROVAL_THRESHOLD = "20000"
#: a backorder older than this is dropped (the customer cancels the rest)
BACKORDER_DAYS = 10

#: carrier, tracking number prefix
CARRIERS = (
    ("顺丰速运 SF Express", "SF"),
    ("京东物流 JD Logistics", "JDL"),
    ("德邦快递 Deppon", "DPK"),
    ("中通快运 ZTO Freight", "ZTO"),
)
STAMPING = "冲压车间 Stamping shop"
MOULDING = "注塑车间 Moulding and coating shop"
ASSEMBLY = "总装车间 Assembly line"
MAINTENANCE = "设备维修部 Maintenance"
#: the department that draws an item category's materials (else maintenance)
DEPARTMENTS = {
    "RM-METAL": STAMPING,
    "RM-HW": STAMPING,
    "RM-PLASTIC": MOULDING,
    "RM-CHEM": MOULDING,
    "SF": ASSEMBLY,
    "CS-PACK": ASSEMBLY,
}

_Line = tuple[DemoItem, Decimal]


@dataclass
class _Backorder:
    kind: str
    number: str
    warehouse: str
    since: date


@dataclass
class OutboundBook:
    """What the outbound story remembers from day to day."""

    #: requests partly shipped, waiting for stock, by number
    backorders: dict[str, _Backorder] = field(default_factory=dict)
    #: the last Shanghai sales shipment
    shipment: str | None = None
    #: the customer returns done so far
    returns: int = 0


def add_outbound_rules(db: Database, ctx: Context) -> None:
    """Requisitions over 10,000 and sales orders over 20,000 need a warehouse manager."""
    for kind, value in (
        ("requisition", REQUISITION_APPROVAL_THRESHOLD),
        ("sales_order", SO_APPROVAL_THRESHOLD),
    ):
        add_approval_rule(
            db, ctx, ApprovalRuleInput(kind, min_value=value, approver_role="warehouse_manager")
        )


# ------------------------------------------------------------------ the book
def _follow(h: _History, move_ids: list[int]) -> list[tuple[str, str | None, Decimal, str]]:
    """Post the moves a document step wrote to the story's book; answers (item, lot,
    quantity, destination) of each."""
    if not move_ids:
        return []
    source, target = locations.alias("source"), locations.alias("target")
    with h.db.read() as conn:
        rows = conn.execute(
            select(
                items.c.code, lots.c.code, moves.c.quantity,
                source.c.code, source.c.kind, target.c.code, target.c.kind,
            )
            .select_from(
                moves.join(items, items.c.id == moves.c.item_id)
                .join(source, source.c.id == moves.c.from_location_id)
                .join(target, target.c.id == moves.c.to_location_id)
                .outerjoin(lots, lots.c.id == moves.c.lot_id)
            )
            .where(moves.c.id.in_(move_ids))
            .order_by(moves.c.id)
        ).all()  # fmt: skip
    out = []
    for code, lot, scaled, src, src_kind, dst, dst_kind in rows:
        quantity = from_scaled(scaled)
        if src_kind in STORAGE:
            h.change((src, code, lot), -quantity)
        if dst_kind in STORAGE:
            h.change((dst, code, lot), quantity)
        out.append((code, lot, quantity, dst))
    return out


def _free(h: _History, warehouse: str, item: DemoItem) -> Decimal:
    """What the book says may still be issued from a warehouse's bins."""
    if warehouse == "SZ":
        return sum((h.on_hand(b, item.code) for b in SZ_BINS), Decimal(0))
    return h.on_hand(item.home, item.code)


def _pick_lines(h: _History, number: str) -> list[tuple[int, DemoItem, str, str | None, Decimal]]:
    """A pick list's lines: (line, item, bin, lot, quantity)."""
    with h.db.read() as conn:
        rows = conn.execute(
            select(
                document_lines.c.line_no, items.c.code, locations.c.code, lots.c.code,
                document_lines.c.quantity,
            )
            .select_from(
                document_lines.join(documents, documents.c.id == document_lines.c.document_id)
                .join(items, items.c.id == document_lines.c.item_id)
                .join(locations, locations.c.id == document_lines.c.location_id)
                .outerjoin(lots, lots.c.id == document_lines.c.lot_id)
            )
            .where(documents.c.number == number)
            .order_by(document_lines.c.line_no)
        ).all()  # fmt: skip
    by_code = {item.code: item for item in h.catalogue}
    return [(r[0], by_code[r[1]], r[2], r[3], from_scaled(r[4])) for r in rows]


def _owed(h: _History, number: str) -> list[tuple[DemoItem, Decimal]]:
    """What a request has not shipped yet, per line."""
    with h.db.read() as conn:
        rows = conn.execute(
            select(items.c.code, document_lines.c.quantity - document_lines.c.done)
            .select_from(
                document_lines.join(documents, documents.c.id == document_lines.c.document_id).join(
                    items, items.c.id == document_lines.c.item_id
                )
            )
            .where(documents.c.number == number)
            .order_by(document_lines.c.line_no)
        ).all()
    by_code = {item.code: item for item in h.catalogue}
    return [(by_code[r[0]], from_scaled(r[1])) for r in rows if r[1] > 0]


# ------------------------------------------------------------------ the steps
def _requester(kind: str) -> Context:
    return SALES if kind == "sales_order" else PLANNER


def _sale_price(h: _History, item: DemoItem) -> Decimal:
    markup = Decimal(str(round(h.rng.uniform(1.25, 1.6), 2)))
    return (item.cost * markup).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _raise(
    h: _History,
    kind: str,
    warehouse: str,
    lines: list[_Line],
    *,
    customer: str | None = None,
    department: str | None = None,
    plan_reference: str | None = None,
    planned_on: date | None = None,
    due: int = 2,
    submit: bool = True,
    approve: bool = True,
    assignee: str | None = None,
    note: str | None = None,
) -> StepResult:
    """The requester raises a request (submitted unless ``submit`` is False); a manager
    approves one that waits (unless ``approve`` is False)."""
    today = h.clock.date()
    inputs = [
        RequestLineInput(
            item.code,
            str(quantity),
            unit_price=str(_sale_price(h, item)) if kind == "sales_order" else None,
        )
        for item, quantity in lines
    ]
    reference = None
    if customer is not None:
        reference = f"{customer[2:]}-{today:%y%m%d}-{h.number('PO:' + customer)[-3:]}"
    command = NewRequest(
        kind, warehouse, inputs, customer=customer, department=department,
        plan_reference=plan_reference, planned_on=planned_on, reference=reference,
        due_on=today + timedelta(days=due), note=note, assignee=assignee, submit=submit,
    )  # fmt: skip
    made = h.step(partial(create_request, h.db, _requester(kind), command))
    if made.state == "submitted" and approve:
        return h.step(partial(approve_request, h.db, MANAGER, kind, made.number, "同意 approved"))
    return made


def _allocate(h: _History, kind: str, numbers: list[str]) -> list[str]:
    """The picker reserves stock for the requests in one step (a wave), and answers those
    that got some. A new request nothing could be found for is cancelled; a backorder waits
    on."""
    done = h.step(partial(allocate_wave, h.db, PICKER, kind, numbers))
    ready = []
    for number in numbers:
        if done[number]["allocated"]:
            ready.append(number)
        elif number not in h.outbound.backorders:
            note = "无货取消 nothing in stock"
            h.step(partial(cancel_request, h.db, _requester(kind), kind, number, note))
    return ready


def _pick(
    h: _History, kind: str, numbers: list[str], *, short: bool = False, confirm: bool = True
) -> list[str]:
    """A pick list for the requests, given to the picker, who picks it (unless ``confirm`` is
    False) scanning each bin and lot. ``short``: the last line that can be is picked short and
    the counter corrects the bin. Answers the requests allocated again after a short pick."""
    made = h.step(partial(create_pick_list, h.db, PICKER, numbers, kind, assignee="picker"))
    if not confirm:
        return []
    lines = _pick_lines(h, made.number)
    inputs = [PickLineInput(n, str(q), location=b, lot=lot) for n, _, b, lot, q in lines]
    missing: tuple[DemoItem, Decimal, str, str | None] | None = None
    for index in reversed(range(len(lines)) if short else range(0)):
        n, item, bin_, lot, quantity = lines[index]
        if item.family.tracking != "serial" and quantity >= 2:
            gone = min(quantity - 1, plausible_quantity(item, float(quantity) * 0.3))
            inputs[index] = PickLineInput(
                n, str(quantity - gone), location=bin_, lot=lot, reason="count_difference"
            )
            missing = (item, gone, bin_, lot)
            break
    done = h.step(partial(confirm_pick, h.db, PICKER, made.number, inputs))
    for given, (_, item, bin_, lot, _) in zip(inputs, lines, strict=True):
        h.change((bin_, item.code, lot), -Decimal(str(given.quantity)))  # off to shipping
    if missing is not None:
        item, gone, bin_, lot = missing
        h.adjust(item, -gone, bin_, lot, "count_difference")
    return sorted(done.data.get("reallocated", {}))


def _ship(h: _History, kind: str, number: str) -> StepResult:
    """The picker ships what a request has picked: sales orders by a carrier, with a tracking
    number; requisitions handed to the line."""
    if kind == "sales_order":
        carrier, prefix = h.rng.choice(CARRIERS)
        tracking = f"{prefix}{h.rng.randint(10**11, 10**12 - 1)}"
        packages = h.rng.randint(1, 4)
        shipped = h.step(
            partial(
                ship_request, h.db, PICKER, kind, number,
                carrier=carrier, tracking_number=tracking, packages=packages,
            )
        )  # fmt: skip
    else:
        note = "交产线 handed to the line"
        shipped = h.step(partial(ship_request, h.db, PICKER, kind, number, note=note))
    return shipped


def _dispatch(
    h: _History, kind: str, warehouse: str, numbers: list[str], *, short: bool = False
) -> None:
    """Allocate, pick in one wave and ship the requests; what stays short is a backorder."""
    ready = _allocate(h, kind, numbers) if numbers else []
    if not ready:
        return
    again = _pick(h, kind, ready, short=short)
    if again:  # what a short pick found elsewhere goes on a second pick list
        _pick(h, kind, again)
    for number in ready:
        shipped = _ship(h, kind, number)
        if shipped.state == "partially_shipped":
            waiting = _Backorder(kind, number, warehouse, h.clock.date())
            h.outbound.backorders.setdefault(number, waiting)
            continue
        h.outbound.backorders.pop(number, None)
        if kind == "sales_order" and warehouse == "SH":
            h.outbound.shipment = shipped.data["shipment"]


def _shipment_line(h: _History, shipment: str) -> tuple[DemoItem, str | None]:
    """A shipment's first line: its item and lot."""
    with h.db.read() as conn:
        row = conn.execute(
            select(items.c.code, lots.c.code)
            .select_from(
                document_lines.join(documents, documents.c.id == document_lines.c.document_id)
                .join(items, items.c.id == document_lines.c.item_id)
                .outerjoin(lots, lots.c.id == document_lines.c.lot_id)
            )
            .where(documents.c.number == shipment)
            .order_by(document_lines.c.line_no)
            .limit(1)
        ).one()
    return next(i for i in h.catalogue if i.code == row[0]), row[1]


def _waiting(h: _History, kind: str, warehouse: str, promised: dict[str, Decimal]) -> list[str]:
    """Backorders of the kind and warehouse whose stock is back (to go with today's wave); a
    backorder older than ``BACKORDER_DAYS`` is closed."""
    today = h.clock.date()
    ready = []
    for order in list(h.outbound.backorders.values()):
        if (order.kind, order.warehouse) != (kind, warehouse):
            continue
        owed = _owed(h, order.number)
        if all(_free(h, warehouse, i) - promised.get(i.code, Decimal(0)) >= q for i, q in owed):
            for item, quantity in owed:
                promised[item.code] = promised.get(item.code, Decimal(0)) + quantity
            ready.append(order.number)
        elif (today - order.since).days > BACKORDER_DAYS:
            _close(h, order)
    return ready


def _close(h: _History, order: _Backorder) -> None:
    """The customer (or production) drops the rest of a backorder."""
    del h.outbound.backorders[order.number]
    note = "余量取消 the rest cancelled"
    kind = order.kind
    h.step(partial(close_request, h.db, _requester(kind), kind, order.number, note))


def close_backorders(h: _History) -> None:
    """Before the last day's open work: the backorders still open are dropped."""
    for order in list(h.outbound.backorders.values()):
        _close(h, order)


# ------------------------------------------------------------------ the days
def _take_lines(
    h: _History, warehouse: str, wanted: list[_Line], promised: dict[str, Decimal]
) -> list[_Line]:
    """``wanted`` cut to what the book says is free (less what today's requests took), one
    line per item."""
    lines: dict[str, _Line] = {}
    for item, quantity in wanted:
        free = _free(h, warehouse, item) - promised.get(item.code, Decimal(0))
        quantity = min(quantity, free)
        if quantity <= 0:
            continue
        promised[item.code] = promised.get(item.code, Decimal(0)) + quantity
        before = lines.get(item.code, (item, Decimal(0)))[1]
        lines[item.code] = (item, before + quantity)
    return list(lines.values())


def requisitions(h: _History) -> None:
    """Production and maintenance draw what they need: a requisition a day (at activity 1),
    a department's materials for a production order planned today (ten lines at most of its
    own materials), picked in one wave."""
    pool: dict[str, list[DemoItem]] = {}
    for item in h.catalogue:
        if item.family.item_type != "finished_good":
            department = DEPARTMENTS.get(item.family.category, MAINTENANCE)
            pool.setdefault(department, []).append(item)
    departments = sorted(pool)
    count = max(1, round(1.4 * h.activity))
    lines_left = max(count, round(10 * h.activity))
    promised: dict[str, Decimal] = {}
    numbers = _waiting(h, "requisition", "SH", promised)
    today = h.clock.date()
    for number in range(count):
        size = lines_left // (count - number)
        lines_left -= size
        # a department as often as it has materials: each item is drawn as often as any
        department = h.rng.choices(departments, [len(pool[d]) for d in departments])[0]
        wanted = []
        for item in h.rng.sample(pool[department], min(size, len(pool[department]))):
            wanted.append(
                (item, plausible_quantity(item, float(item.batch) * h.rng.uniform(0.3, 1.1)))
            )
        lines = _take_lines(h, "SH", wanted, promised)
        if lines:
            made = _raise(
                h, "requisition", "SH", lines, due=0, department=department,
                plan_reference=h.number("MO"), planned_on=today,
            )  # fmt: skip
            numbers.append(made.number)
    _dispatch(h, "requisition", "SH", numbers)


def sales(h: _History, short: bool) -> None:
    """Customers order finished goods (two orders a day of three to five lines at activity
    1) from Shanghai or (what is stocked there) from Shenzhen; each warehouse picks its orders
    in one wave (``short``: Shanghai's wave is picked short on one line)."""
    goods = [i for i in h.catalogue if i.family.item_type == "finished_good"]
    by_warehouse: dict[str, list[tuple[str, list[_Line]]]] = {"SH": [], "SZ": []}
    count = max(1, round(2 * h.activity))
    typical = max(1, round(7 * h.activity / count))
    for _ in range(count):
        size = h.rng.randint(max(1, typical - 1), typical + 1)
        customer = h.rng.choice(CUSTOMERS)
        warehouse = "SZ" if h.rng.random() < 0.4 else "SH"
        pool = goods if warehouse == "SH" else [i for i in goods if i.family.tracking != "serial"]
        wanted = []
        for item in h.rng.sample(pool, size):
            quantity = Decimal(1)
            if item.family.tracking != "serial":
                fraction = h.rng.uniform(0.1, 0.6)
                quantity = plausible_quantity(item, float(item.batch) * fraction)
            wanted.append((item, quantity))
        by_warehouse[warehouse].append((customer, wanted))
    for warehouse, orders in by_warehouse.items():
        promised: dict[str, Decimal] = {}
        numbers = _waiting(h, "sales_order", warehouse, promised)
        for customer, wanted in orders:
            lines = _take_lines(h, warehouse, wanted, promised)
            if lines:
                made = _raise(h, "sales_order", warehouse, lines, customer=customer)
                numbers.append(made.number)
        _dispatch(h, "sales_order", warehouse, numbers, short=short and warehouse == "SH")


def customer_returns(h: _History, disposition: str) -> None:
    """A customer sends a unit of a recent Shanghai shipment back: not needed (restocked in its
    bin), or damaged (to inspection, where quality scraps it)."""
    shipment = h.outbound.shipment
    if shipment is None:
        return
    h.outbound.shipment = None  # one return per shipment
    item, lot = _shipment_line(h, shipment)
    line = CustomerReturnLineInput(
        item.code, "1", lot=lot,
        reason="not_needed" if disposition == "restock" else "damaged",
        disposition=disposition,
        location=item.home if disposition == "restock" else None,
    )  # fmt: skip
    command = NewCustomerReturn(shipment, [line], "客户退货 customer return")
    back = h.step(partial(create_customer_return, h.db, CLERK, command))
    h.outbound.returns += 1
    for code, lot_code, quantity, where in _follow(h, back.move_ids):
        if disposition == "inspect":
            h.scrap(code, quantity, where, lot_code, "damaged")


# ------------------------------------------------------------------ the last day
def _first_of(h: _History, family: str) -> DemoItem:
    return next(i for i in h.catalogue if i.family.code == family)


def _stocked(
    h: _History, warehouse: str, pool: list[DemoItem], taken: set[str], least: int
) -> _Line | None:
    """The first item of ``pool`` not ``taken`` with at least ``least`` free in the warehouse,
    and half of what is free (one serial number); None if there is none."""
    for item in pool:
        free = _free(h, warehouse, item)
        if item.code not in taken and free >= least:
            taken.add(item.code)
            if item.family.tracking == "serial":
                return item, Decimal(1)
            return item, min(free, plausible_quantity(item, float(free) / 2))
    return None


def open_outbound_work(h: _History) -> None:
    """The last day's outbound work left for the morning: a request or a pick list at each
    step, for each role's task inbox."""
    today = h.clock.date()
    goods = [i for i in h.catalogue if i.family.item_type == "finished_good"]
    loose = [i for i in goods if i.family.tracking != "serial"]
    taken: set[str] = set()
    # a draft the sales staff keep until the hotel confirms
    hotel = [(_first_of(h, "FG-DFN"), Decimal(12)), (_first_of(h, "FG-HTR"), Decimal(8))]
    _raise(
        h, "sales_order", "SH", hotel, customer="C-XMHOTEL", due=7, submit=False,
        assignee="sales", note="待客户确认 waiting for the customer's confirmation",
    )  # fmt: skip
    # steel and copper for a large run: above 10,000, waiting for the warehouse manager, and
    # more steel than its bin holds (and than Shanghai has free): the demand page and the
    # planner's card show the shortage before anyone approves it
    steel = _first_of(h, "RM-STCR")
    need = max(Decimal(1200), Decimal(int(_free(h, "SH", steel) + 300) // 100 * 100))
    run = [(steel, need), (_first_of(h, "RM-CU"), Decimal(120))]
    _raise(
        h, "requisition", "SH", run, due=3, approve=False, department=STAMPING,
        plan_reference=h.number("MO"), planned_on=today + timedelta(days=3),
    )  # fmt: skip
    # control cabinets and dehumidifiers on credit: rejected, back with the sales staff
    big = [(_first_of(h, "FG-CAB"), Decimal(4)), (_first_of(h, "FG-DHM"), Decimal(12))]
    number = _raise(h, "sales_order", "SH", big, customer="C-CDTRADE", approve=False).number
    reason = "超出客户信用额度 over the customer's credit limit"
    h.step(partial(reject_request, h.db, MANAGER, "sales_order", number, reason))
    h.step(partial(assign_document, h.db, MANAGER, number, "sales"))
    # parts for tomorrow's assembly: allocated, waiting for a pick list
    parts = [i for i in h.catalogue if i.family.item_type == "semi_finished"]
    lines = [line for _ in range(2) if (line := _stocked(h, "SH", parts, taken, 2))]
    if lines:
        made = _raise(
            h, "requisition", "SH", lines, due=3, department=ASSEMBLY,
            plan_reference=h.number("MO"), planned_on=today + timedelta(days=1),
        )  # fmt: skip
        _allocate(h, "requisition", [made.number])
    # sales orders: approved at once (to allocate in the morning), on the picker's open pick
    # list, picked and waiting for the carrier, picked short with the rest on backorder (a
    # Shanghai item is in one bin: nothing to allocate elsewhere)
    for warehouse, pool, least, customer, steps in (
        ("SZ", loose, 2, "C-JDLOG", ()),
        ("SH", goods, 1, "C-SUNING", ("allocate", "list")),
        ("SZ", loose, 2, "C-GZBUILD", ("allocate", "pick")),
        ("SH", loose, 4, "C-HZWATER", ("allocate", "short", "ship")),
    ):
        line = _stocked(h, warehouse, pool, taken, least)
        if line is None:
            continue
        number = _raise(h, "sales_order", warehouse, [line], customer=customer).number
        if "allocate" in steps:
            _allocate(h, "sales_order", [number])
        if "list" in steps or "pick" in steps or "short" in steps:
            _pick(h, "sales_order", [number], short="short" in steps, confirm="list" not in steps)
        if "ship" in steps:
            _ship(h, "sales_order", number)
