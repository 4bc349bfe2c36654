"""The analysis reports (issue 15, ADR 0027): one module per report, each a function
``(conn, ReportQuery) -> Report``, listed here with what it takes (``Spec``). The faces are
generic over them: ``/reports/{name}`` on the web, ``GET /api/v1/reports/{name}``, and
``cangku report NAME``.
"""

from __future__ import annotations

from sqlalchemy import Connection

from cangku.domain.errors import NotFound
from cangku.queries.reports import (
    abc_xyz,
    ageing,
    cycles,
    expiry,
    kpis,
    stock_value,
    structure,
    suppliers,
    trends,
    turnover,
    value_movement,
)
from cangku.queries.reports.common import (
    EXTRAS,
    FILTERS,
    Chart,
    Column,
    Option,
    Report,
    ReportQuery,
    Spec,
    read_query,
)

__all__ = [
    "EXTRAS",
    "FILTERS",
    "REPORTS",
    "Chart",
    "Column",
    "Option",
    "Report",
    "ReportQuery",
    "Spec",
    "read_query",
    "run_report",
    "spec_of",
]

VALUATION = "valuation.view"
DOCUMENTS = "documents.view"

REPORTS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec(
            "kpis", kpis.TITLE, VALUATION, "period", (), kpis.kpis,
            description="Stock value, turnover, days of inventory, stock-outs, overstock, "
            "expiring value, count accuracy",
        ),
        Spec(
            "stock-value", stock_value.TITLE, VALUATION, "as_of", (stock_value.GROUP,),
            stock_value.stock_value, ("csv", "xlsx", "pdf"),
            description="Value by item, category, type, warehouse or location, as of any day",
        ),
        Spec(
            "value-movement", value_movement.TITLE, VALUATION, "period",
            (value_movement.GROUP,), value_movement.value_movement, ("csv", "xlsx", "pdf"),
            description="Opening + in - out = closing over a period, with cost of goods issued",
        ),
        Spec(
            "structure", structure.TITLE, VALUATION, "as_of", (structure.GROUP,),
            structure.structure,
            description="Shares of value and quantity by type, category or warehouse",
            extras=("compare",),
            check=structure.compare_day,
        ),
        Spec(
            "trends", trends.TITLE, VALUATION, "period", (trends.INTERVAL,), trends.trends,
            check=lambda query: trends.intervals(query, query.option("interval")),
            description="Inflow, outflow and stock per day, week or month",
        ),
        Spec(
            "turnover", turnover.TITLE, VALUATION, "period", (turnover.GROUP,),
            turnover.turnover, ("csv", "xlsx", "pdf"),
            description="Cost of goods issued over average inventory, days of inventory",
        ),
        Spec(
            "abc-xyz", abc_xyz.TITLE, VALUATION, "period", (abc_xyz.GROUP,), abc_xyz.abc_xyz,
            description="Items by consumption value (ABC) and demand steadiness (XYZ)",
        ),
        Spec(
            "ageing", ageing.TITLE, VALUATION, "as_of", (ageing.GROUP, ageing.IDLE),
            ageing.ageing, ("csv", "xlsx", "pdf"),
            description="Stock by how long ago it came in; slow-moving and dead stock",
            extras=("buckets",),
            check=lambda query: ageing.read_buckets(query.params.get("buckets")),
        ),
        Spec(
            "expiry", expiry.TITLE, VALUATION, "as_of", (expiry.GROUP,), expiry.expiry,
            description="Lots expired or expiring within 30, 60 and 90 days, with their value",
        ),
        Spec(
            "suppliers", suppliers.TITLE, VALUATION, "period", (suppliers.GROUP,),
            suppliers.suppliers,
            description="Lead time promised and actual, on-time and in-full rates, prices",
        ),
        Spec(
            "cycles", cycles.TITLE, DOCUMENTS, "period", (cycles.KIND,), cycles.cycles,
            filters=("warehouse", "supplier"),
            description="Order to receipt to put-away, request to approval to shipment",
        ),
    )
}  # fmt: skip


def spec_of(name: str) -> Spec:
    """The report called ``name``; NotFound ``report_not_found``."""
    found = REPORTS.get(name)
    if found is None:
        raise NotFound("report", name)
    return found


def run_report(conn: Connection, query: ReportQuery) -> Report:
    """The report ``query`` asks for, computed now from the ledger."""
    return spec_of(query.name).run(conn, query)
