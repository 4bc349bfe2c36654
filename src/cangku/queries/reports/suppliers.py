"""Supplier performance (供应商绩效): lead time promised against actual, on-time and in-full
rates, and prices paid, from the purchase orders confirmed in a period and their receipts;
per supplier, per supplier and item, or each order line (price history)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from cangku.db.tables import document_lines, documents, partners, supplier_items
from cangku.domain.quantities import from_scaled
from cangku.queries.reports.common import Chart, Column, Option, Report, ReportQuery
from cangku.queries.reports.state import item_info
from cangku.queries.reports.timelines import days_between, documents_of, first_reached

__all__ = ["suppliers"]

GROUP = Option("group", "Group by", choices=("supplier", "item", "line"))
TITLE = "Supplier performance"
DEFINITIONS = (
    "Ordered: when the purchase order was confirmed with the supplier; the orders confirmed "
    "in the period are counted.",
    "Promised lead time: from the order day to the line's expected day (else the supplier's "
    "lead time for the item). Actual lead time: from the order to the line's first receipt, "
    "in elapsed days.",
    "On time: first received on or before the promised day; in full: received at least the "
    "quantity ordered. Lines not received whose promised day has not come are not rated.",
    "Price: per base unit, as ordered (the cost receipts are booked at).",
)


def _lines(conn: Connection, order_ids: list[int], wanted: set[int]) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(order_ids), 5000):
        chunk = order_ids[start : start + 5000]
        stmt = select(
            document_lines.c.id,
            document_lines.c.document_id,
            document_lines.c.item_id,
            document_lines.c.quantity,
            document_lines.c.base_price,
            document_lines.c.expected_on,
        ).where(document_lines.c.document_id.in_(chunk))
        found += [row for row in conn.execute(stmt) if int(row.item_id) in wanted]
    return found


def _received(conn: Connection, query: ReportQuery, line_ids: list[int]) -> dict[int, Any]:
    """Per order line: [quantity received, first receipt time]."""
    receipts = documents_of(conn, query, ["receipt"])
    at = first_reached(conn, (r.id for r in receipts), steps=["receive"])
    out: dict[int, Any] = {}
    for start in range(0, len(line_ids), 5000):
        chunk = line_ids[start : start + 5000]
        stmt = select(
            document_lines.c.source_line_id, document_lines.c.document_id, document_lines.c.done
        ).where(document_lines.c.source_line_id.in_(chunk))
        for source, receipt, done in conn.execute(stmt):
            when = at.get(int(receipt))
            if when is None:
                continue
            figures = out.setdefault(int(source), [0, when])
            figures[0] += int(done or 0)
            figures[1] = min(figures[1], when)
    return out


def suppliers(conn: Connection, query: ReportQuery) -> Report:
    group = query.option("group")
    assert query.opening_at is not None and query.closing_at is not None
    orders = {o.id: o for o in documents_of(conn, query, ["purchase_order"], partner=True)}
    ordered = first_reached(conn, orders, states=["confirmed"])
    ordered = {d: at for d, at in ordered.items() if query.opening_at < at <= query.closing_at}
    info = item_info(conn, query.scope)
    lines = _lines(conn, sorted(ordered), set(info))
    received = _received(conn, query, [int(line.id) for line in lines])
    lead = {
        (int(p), int(i)): days
        for p, i, days in conn.execute(
            select(
                supplier_items.c.partner_id,
                supplier_items.c.item_id,
                supplier_items.c.lead_time_days,
            )  # fmt: skip
        )
        if days is not None
    }
    names = {int(i): (c, n) for i, c, n in conn.execute(
        select(partners.c.id, partners.c.code, partners.c.name))}  # fmt: skip
    numbers = dict(conn.execute(select(documents.c.id, documents.c.number).where(
        documents.c.id.in_(sorted(ordered)))).all()) if ordered else {}  # fmt: skip
    today = query.now.astimezone(query.zone).date()
    rows: list[tuple[Any, ...]] = []
    sums: defaultdict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {
            "lines": 0,
            "promised": [],
            "actual": [],
            "rated": 0,
            "on_time": 0,
            "in_full": 0,
            "otif": 0,
            "value": 0,
            "prices": [],
        }  # fmt: skip
    )
    for line in lines:
        order = orders[int(line.document_id)]
        supplier = int(order.partner_id)
        at = ordered[int(line.document_id)]
        day = at.astimezone(query.zone).date()
        promised_day: date | None = line.expected_on
        if promised_day is None and (supplier, int(line.item_id)) in lead:
            promised_day = day + timedelta(days=lead[(supplier, int(line.item_id))])
        got = received.get(int(line.id))
        actual = days_between(at, got[1]) if got else None
        first_day = got[1].astimezone(query.zone).date() if got else None
        rated = got is not None or (promised_day is not None and promised_day < today)
        on_time = (
            got is not None
            and promised_day is not None
            and first_day is not None
            and first_day <= promised_day
        )
        in_full = bool(got and got[0] >= int(line.quantity))
        meta = info[int(line.item_id)]
        price = from_scaled(int(line.base_price)) if line.base_price is not None else None
        code, name = names.get(supplier, ("", ""))
        if group == "line":
            rows.append((code, meta.code, meta.name, numbers.get(int(line.document_id), ""), day,
                         price, from_scaled(int(line.quantity)),
                         (promised_day - day).days if promised_day else None,
                         actual.quantize(Decimal("0.1")) if actual is not None else None,
                         on_time if rated else None, in_full if rated else None))  # fmt: skip
            continue
        key = (code, name) if group == "supplier" else (code, meta.code, meta.name)
        figures = sums[key]
        figures["lines"] += 1
        if promised_day is not None:
            figures["promised"].append(Decimal((promised_day - day).days))
        if actual is not None:
            figures["actual"].append(actual)
        if rated:
            figures["rated"] += 1
            figures["on_time"] += on_time
            figures["in_full"] += in_full
            figures["otif"] += on_time and in_full
        if line.base_price is not None:
            figures["value"] += int(line.base_price) * int(line.quantity) // 10**6
            figures["prices"].append((day, price))
    if group == "line":
        columns: tuple[Column, ...] = (
            Column("supplier", "Supplier"),
            Column("item", "Item"),
            Column("name", "Name"),
            Column("order", "Order"),
            Column("ordered_on", "Ordered on", "date"),
            Column("price", "Unit price", "money"),
            Column("quantity", "Quantity", "quantity"),
            Column("promised_days", "Promised days", "days"),
            Column("actual_days", "Actual days", "days"),
            Column("on_time", "On time", "label"),
            Column("in_full", "In full", "label"),
        )
        rows.sort(key=lambda r: (r[0], r[1], r[4], r[3]))
        rows = [(*r[:9], _yes(r[9]), _yes(r[10])) for r in rows]
        return Report(query.name, TITLE, columns, rows, None, None, DEFINITIONS, query)
    tenth = Decimal("0.1")
    for key, f in sums.items():
        mean_promised = (sum(f["promised"]) / len(f["promised"])).quantize(tenth) if f[
            "promised"] else None  # fmt: skip
        mean_actual = (sum(f["actual"]) / len(f["actual"])).quantize(tenth) if f[
            "actual"] else None  # fmt: skip
        rates = [_rate(f[k], f["rated"]) for k in ("on_time", "in_full", "otif")]
        prices = [p for _, p in sorted(f["prices"], key=lambda dp: dp[0]) if p is not None]
        price_cells = (min(prices), max(prices), prices[-1]) if prices else (None, None, None)
        extra = price_cells if group == "item" else (from_scaled(f["value"]),)
        rows.append((*key, f["lines"], mean_promised, mean_actual, *rates, *extra))
    labels = (
        (Column("supplier", "Supplier"), Column("name", "Name"))
        if group == "supplier"
        else (Column("supplier", "Supplier"), Column("item", "Item"), Column("name", "Name"))
    )
    figures_columns = (
        Column("lines", "Order lines", "count"),
        Column("promised_days", "Promised lead time (days)", "days"),
        Column("actual_days", "Actual lead time (days)", "days"),
        Column("on_time", "On time", "percent"),
        Column("in_full", "In full", "percent"),
        Column("otif", "On time in full", "percent"),
    )
    price_columns = (
        (Column("lowest_price", "Lowest price", "money"),
         Column("highest_price", "Highest price", "money"),
         Column("last_price", "Last price", "money"))
        if group == "item"
        else (Column("ordered_value", "Ordered value", "money"),)
    )  # fmt: skip
    rows.sort(key=lambda r: tuple(str(x) for x in r[: len(labels)]))
    columns = (*labels, *figures_columns, *price_columns)
    chart = Chart("bar", labels[-2].key if group == "item" else "supplier", ("on_time", "otif"))
    return Report(query.name, TITLE, columns, rows, None, chart, DEFINITIONS, query)


def _rate(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"))


def _yes(flag: bool | None) -> str:
    return "" if flag is None else "yes" if flag else "no"
