"""Purchase and sales cycle times (采购周期, 销售周期) from the documents' timelines, per stage
with their distribution: the purchase cycle is order → receipt → put-away, the sales cycle
request → approval → shipment."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.queries.reports.common import Chart, Column, Option, Report, ReportQuery
from cangku.queries.reports.timelines import days_between, documents_of, first_reached, stats

__all__ = ["cycles"]

KIND = Option("kind", "Cycle", choices=("purchase", "sales"))
TITLE = "Purchase and sales cycles"
#: the distribution's bands, upper bounds in days
BANDS = (Decimal(1), Decimal(3), Decimal(7), Decimal(14))
DEFINITIONS = (
    "Purchase cycle: ordered (the order confirmed with the supplier) → received (each receipt "
    "against it) → put away (the receipt's put-away done). Counted for the orders confirmed "
    "in the period.",
    "Sales cycle: requested (a sales order or requisition submitted) → approved → shipped (its "
    "first shipment). Counted for the requests submitted in the period.",
    "Days are elapsed time (24 hours a day, to the second); median and 90th percentile by "
    "nearest rank. A stage not reached yet is not counted.",
)
STAGES = {
    "purchase": (
        ("order_to_receipt", "Ordered to received"),
        ("receipt_to_putaway", "Received to put away"),
        ("order_to_putaway", "Ordered to put away"),
    ),
    "sales": (
        ("request_to_approval", "Requested to approved"),
        ("approval_to_shipment", "Approved to shipped"),
        ("request_to_shipment", "Requested to shipped"),
    ),
}


def _in_period(query: ReportQuery, at: Any) -> bool:
    assert query.opening_at is not None and query.closing_at is not None
    return bool(query.opening_at < at <= query.closing_at)


def _purchase(conn: Connection, query: ReportQuery) -> dict[str, list[Decimal]]:
    orders = documents_of(conn, query, ["purchase_order"], partner=True)
    ordered = first_reached(conn, (o.id for o in orders), states=["confirmed"])
    ordered = {doc: at for doc, at in ordered.items() if _in_period(query, at)}
    receipts = [r for r in documents_of(conn, query, ["receipt"]) if r.origin_id in ordered]
    received = first_reached(conn, (r.id for r in receipts), steps=["receive"])
    putaways = [p for p in documents_of(conn, query, ["putaway"]) if p.origin_id in received]
    done = first_reached(conn, (p.id for p in putaways), states=["done"])
    put_away: dict[int, Any] = {}
    for p in putaways:
        if p.id in done:
            put_away[p.origin_id] = max(put_away.get(p.origin_id, done[p.id]), done[p.id])
    found: defaultdict[str, list[Decimal]] = defaultdict(list)
    for r in receipts:
        if r.id not in received:
            continue
        order_at, receipt_at = ordered[r.origin_id], received[r.id]
        found["order_to_receipt"].append(days_between(order_at, receipt_at))
        if r.id in put_away:
            found["receipt_to_putaway"].append(days_between(receipt_at, put_away[r.id]))
            found["order_to_putaway"].append(days_between(order_at, put_away[r.id]))
    return found


def _sales(conn: Connection, query: ReportQuery) -> dict[str, list[Decimal]]:
    requests = documents_of(conn, query, ["sales_order", "requisition"])
    submitted = first_reached(conn, (r.id for r in requests), steps=["submit"])
    submitted = {doc: at for doc, at in submitted.items() if _in_period(query, at)}
    approved = first_reached(conn, submitted, states=["approved"])
    shipments = [s for s in documents_of(conn, query, ["shipment"]) if s.origin_id in submitted]
    shipped_at = first_reached(conn, (s.id for s in shipments), states=["shipped"])
    first_shipment: dict[int, Any] = {}
    for s in shipments:
        if s.id in shipped_at:
            at = shipped_at[s.id]
            first_shipment[s.origin_id] = min(first_shipment.get(s.origin_id, at), at)
    found: defaultdict[str, list[Decimal]] = defaultdict(list)
    for doc, asked in submitted.items():
        if doc in approved:
            found["request_to_approval"].append(days_between(asked, approved[doc]))
            if doc in first_shipment:
                found["approval_to_shipment"].append(
                    days_between(approved[doc], first_shipment[doc])
                )
        if doc in first_shipment:
            found["request_to_shipment"].append(days_between(asked, first_shipment[doc]))
    return found


def _bands(values: list[Decimal]) -> list[int]:
    counts = [0] * (len(BANDS) + 1)
    for value in values:
        counts[next((k for k, high in enumerate(BANDS) if value <= high), len(BANDS))] += 1
    return counts


def cycles(conn: Connection, query: ReportQuery) -> Report:
    kind = query.option("kind")
    found = _purchase(conn, query) if kind == "purchase" else _sales(conn, query)
    rows = [
        (key, label, *stats(found.get(key, [])), *_bands(found.get(key, [])))
        for key, label in STAGES[kind]
    ]
    columns = (
        Column("stage", "Stage key"),
        Column("label", "Stage", "message"),
        Column("count", "Count", "count"),
        Column("mean", "Mean days", "days"),
        Column("median", "Median days", "days"),
        Column("p90", "90th percentile days", "days"),
        Column("least", "Shortest days", "days"),
        Column("most", "Longest days", "days"),
        Column("within_1", "Up to 1 day", "count"),
        Column("within_3", "1 to 3 days", "count"),
        Column("within_7", "3 to 7 days", "count"),
        Column("within_14", "7 to 14 days", "count"),
        Column("over_14", "Over 14 days", "count"),
    )
    chart = Chart("bar", "label", ("mean", "median", "p90"))
    return Report(query.name, TITLE, columns, rows, None, chart, DEFINITIONS, query)
