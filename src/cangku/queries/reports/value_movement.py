"""Value movement (库存价值变动) over a period: opening + in − out = closing, to the cent, with
the cost of goods issued, by item, category, item type or warehouse."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cangku.domain.quantities import from_scaled
from cangku.queries.reports.common import (
    Chart,
    Column,
    Option,
    Report,
    ReportQuery,
    column_sums,
    ordered,
)
from cangku.queries.reports.flows import Flow, flows, sum_flows
from cangku.queries.reports.state import ItemInfo, item_info, warehouse_names
from cangku.queries.reports.stock_value import LABEL_COLUMNS, group_label, places_in_view

__all__ = ["group_label", "value_movement"]

GROUP = Option("group", "Group by", choices=("item", "category", "type", "warehouse"))
TITLE = "Value movement"
DEFINITIONS = (
    "Opening: the value at the end of the day before the period; closing: at the end of its "
    "last day (today: now).",
    "Each flow is at the value the ledger posted it with: receipts at their cost, issues at "
    "the FIFO layers or average cost they consumed; nothing is re-costed.",
    "Cost of goods issued: issued to customers and production, less what came back from them.",
    "Produced: the output of production received into stock, at the cost it was posted with.",
    "Transfers and revaluation: the change in a warehouse's share of its items' value that no "
    "receipt, issue or adjustment in it carried: stock moved between warehouses (the ledger "
    "moves it at no value, the cost stays with the item) and changes in an item's cost from "
    "moves elsewhere. It is zero for the whole company.",
)
FIGURES = (
    Column("opening", "Opening value", "money"),
    Column("received", "Received", "money"),
    Column("produced", "Produced", "money"),
    Column("supplier_return", "Returned to suppliers", "money"),
    Column("issued", "Issued", "money"),
    Column("returned", "Returned from customers and production", "money"),
    Column("adjusted", "Adjustments (net)", "money"),
    Column("revaluation", "Transfers and revaluation", "money"),
    Column("closing", "Closing value", "money"),
    Column("cogs", "Cost of goods issued", "money"),
)


def _state(
    conn: Connection,
    query: ReportQuery,
    at: datetime,
    info: dict[int, ItemInfo],
    group: str,
    names: dict[int, tuple[str, str]],
) -> defaultdict[Hashable, int]:
    sums: defaultdict[Hashable, int] = defaultdict(int)
    for place in places_in_view(conn, query, at, info, group == "warehouse"):
        sums[group_label(group, info[place.item], place.warehouse, names)] += place.value
    return sums


def value_movement(conn: Connection, query: ReportQuery) -> Report:
    group = query.option("group")
    assert query.opening_at is not None and query.closing_at is not None
    info = item_info(conn, query.scope)
    names = warehouse_names(conn) if group == "warehouse" else {}
    opening = _state(conn, query, query.opening_at, info, group, names)
    closing = _state(conn, query, query.closing_at, info, group, names)
    wanted = set(info)
    found = flows(
        conn, query.opening_at, query.closing_at, wanted, query.scope.warehouses,
        by_warehouse=group == "warehouse",
    )  # fmt: skip

    def group_of(flow: Flow) -> Hashable:
        return group_label(group, info[flow.item], flow.warehouse, names)

    moved = sum_flows(found, group_of)
    rows: list[tuple[Any, ...]] = []
    key: Any
    for key in set(opening) | set(closing) | set(moved):
        f = {kind: pair[1] for kind, pair in moved[key].items()} if key in moved else {}
        get = f.get
        start, end = opening.get(key, 0), closing.get(key, 0)
        adjusted = get("adjusted_in", 0) - get("adjusted_out", 0)
        carried = (
            get("received", 0) + get("produced", 0) - get("supplier_return", 0) - get("issued", 0)
            + get("returned", 0) + adjusted
        )  # fmt: skip
        if not (start or end or f and any(f.values())):
            continue
        figures = (
            start, get("received", 0), get("produced", 0), get("supplier_return", 0),
            get("issued", 0), get("returned", 0), adjusted, end - start - carried, end,
            get("issued", 0) - get("returned", 0),
        )  # fmt: skip
        rows.append((*key, *(from_scaled(x) for x in figures)))
    labels = LABEL_COLUMNS[group]
    rows = ordered(rows, len(labels) + 8, 0)
    columns = (*labels, *FIGURES)
    totals = column_sums(columns, rows, lambda c: c.kind == "money")
    chart = Chart("bar", labels[0].key, ("opening", "closing"))
    return Report(query.name, TITLE, columns, rows, totals, chart, DEFINITIONS, query)
