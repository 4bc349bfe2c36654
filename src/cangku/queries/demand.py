"""Demand history per item and warehouse from the ledger (issue 16, ADR 0028): what left the
stock to customers and production, less what came back from them, per local day (the
company's zone) and per week; outliers flagged, never removed.

Which moves count (the classification of ``queries.reports.flows.demand``):

- **issued**: from a valued location (storage, receiving, quality, shipping) to the
  ``customer`` or ``production`` location; counted in the stock side's warehouse;
- **returned** (netted, subtracted): into a valued location from the ``customer`` location
  (a return or the reversal of an issue), or from ``production`` when it is a return (a
  reversal, or posted under a customer return ``RETURN_DOC``; production output is supply, not
  negative demand);
- transfers, adjustments, scraps and receipts from suppliers are not demand.

A day is the company zone's calendar day (a move belongs to the day whose end, ``day_end``, is
the first at or after its effective time). A week is seven days counted from ``start`` (start
on a Monday for calendar weeks); only whole weeks are in the weekly history.

**Outliers** (``OUTLIER_MADS``): a period is flagged when its demand exceeds the median of the
series' nonzero periods plus 5 x their median absolute deviation (MAD), the MAD taken as at
least a tenth of the median (so a run of equal figures does not flag a slight rise), and only
in a series with at least ``OUTLIER_MIN_PERIODS`` nonzero periods. Flags are kept beside the
history; the figures are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, case, func, or_, select

from cangku.db.checkpoints import RETURN_DOC
from cangku.db.company import read_company
from cangku.db.tables import items, locations, moves, warehouses
from cangku.domain.enums import LocationKind
from cangku.domain.errors import InvalidInput
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled
from cangku.queries.reports.common import bucket, day_end
from cangku.queries.stock import VALUED

__all__ = [
    "OUTLIER_MADS",
    "DemandHistory",
    "ItemDemand",
    "demand_history",
    "outliers",
]

#: a period is an outlier above median + OUTLIER_MADS x MAD of the nonzero periods
OUTLIER_MADS = Decimal(5)
#: the fewest nonzero periods a series needs before anything in it is called an outlier
OUTLIER_MIN_PERIODS = 5
#: the longest history read at once (three years and a bit)
MAX_DAYS = 1100


@dataclass(frozen=True)
class ItemDemand:
    """One item's demand in one warehouse: nonzero periods only (a missing day had none)."""

    item_id: int
    item_code: str
    warehouse_id: int
    warehouse_code: str
    #: net demand per local day
    daily: Mapping[date, Decimal]
    #: net demand per whole week, keyed by the week's first day
    weekly: Mapping[date, Decimal]
    outlier_days: frozenset[date]
    outlier_weeks: frozenset[date]


@dataclass(frozen=True)
class DemandHistory:
    """The demand of every item and warehouse with any over ``start``..``end`` (local days,
    both included), ordered by item code then warehouse code."""

    start: date
    end: date
    series: list[ItemDemand]

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def weeks(self) -> list[date]:
        """The first day of each whole week."""
        return [self.start + timedelta(days=7 * n) for n in range(len(self.days) // 7)]

    def daily(self, entry: ItemDemand) -> list[Decimal]:
        """``entry``'s demand on every day (zeros included)."""
        return [entry.daily.get(day, Decimal(0)) for day in self.days]

    def weekly(self, entry: ItemDemand) -> list[Decimal]:
        """``entry``'s demand in every whole week (zeros included)."""
        return [entry.weekly.get(week, Decimal(0)) for week in self.weeks]


def outliers(figures: Mapping[date, Decimal]) -> frozenset[date]:
    """The periods of ``figures`` (nonzero periods of one series) flagged by the rule in the
    module docstring."""
    nonzero = [value for value in figures.values() if value > 0]
    if len(nonzero) < OUTLIER_MIN_PERIODS:
        return frozenset()
    middle = median(nonzero)
    spread = max(median(abs(value - middle) for value in nonzero), middle / 10)
    limit = middle + OUTLIER_MADS * spread
    return frozenset(period for period, value in figures.items() if value > limit)


def _classified(day_bounds: Sequence[Any], stock_warehouses: Warehouses) -> Any:
    """The crossing moves in the period with their sign (+1 issued, -1 returned), the stock
    side's warehouse and their day's index; transfers and adjustments have sign 0."""
    src, dst = locations.alias("src"), locations.alias("dst")
    consumers = (str(LocationKind.CUSTOMER), str(LocationKind.PRODUCTION))
    came_back = or_(
        src.c.kind == str(LocationKind.CUSTOMER),
        and_(
            src.c.kind == str(LocationKind.PRODUCTION),
            or_(moves.c.operation == "reverse", moves.c.document_type == RETURN_DOC),
        ),
    )

    def stock_side(kind: Any, warehouse: Any) -> Any:
        inside = kind.in_(VALUED)
        if stock_warehouses is None:
            return inside
        return and_(inside, warehouse.in_(sorted(stock_warehouses)))

    sign = case(
        (and_(dst.c.kind.in_(consumers), stock_side(src.c.kind, src.c.warehouse_id)), 1),
        (and_(came_back, stock_side(dst.c.kind, dst.c.warehouse_id)), -1),
        else_=0,
    )
    return (
        select(
            moves.c.item_id,
            case((src.c.kind.in_(VALUED), src.c.warehouse_id), else_=dst.c.warehouse_id).label(
                "warehouse_id"
            ),
            bucket(moves.c.effective_at, day_bounds).label("k"),
            (sign * moves.c.quantity).label("quantity"),
        )
        .join(src, src.c.id == moves.c.from_location_id)
        .join(dst, dst.c.id == moves.c.to_location_id)
        .where(moves.c.effective_at <= day_bounds[-1], sign != 0)
    )


def demand_history(
    conn: Connection,
    start: date,
    end: date,
    *,
    stock_warehouses: Warehouses = None,
    item_ids: Iterable[int] | None = None,
) -> DemandHistory:
    """Net demand per item, warehouse and local day over ``start``..``end`` (both included)
    in ``stock_warehouses`` (None: all), for ``item_ids`` (None: every item), in one grouped
    read; weeks summed from the days; outliers flagged. Raises InvalidInput
    ``period_reversed`` and ``period_too_long`` (over ``MAX_DAYS``)."""
    if start > end:
        raise InvalidInput("the history's start is after its end", code="period_reversed")
    count = (end - start).days + 1
    if count > MAX_DAYS:
        raise InvalidInput(
            f"a demand history covers at most {MAX_DAYS} days", code="period_too_long",
            most=MAX_DAYS,
        )  # fmt: skip
    zone = ZoneInfo(read_company(conn).time_zone)
    before = day_end(start - timedelta(days=1), zone)
    bounds = [day_end(start + timedelta(days=n), zone) for n in range(count)]
    rows = _classified(bounds, stock_warehouses).where(moves.c.effective_at > before)
    if item_ids is not None:
        rows = rows.where(moves.c.item_id.in_(sorted(set(item_ids))))
    moved = rows.subquery()
    summed = (
        select(moved.c.item_id, moved.c.warehouse_id, moved.c.k, func.sum(moved.c.quantity))
        .group_by(moved.c.item_id, moved.c.warehouse_id, moved.c.k)
        .subquery()
    )
    stmt = (
        select(summed, items.c.code.label("item_code"), warehouses.c.code.label("wh_code"))
        .join(items, items.c.id == summed.c.item_id)
        .join(warehouses, warehouses.c.id == summed.c.warehouse_id)
        .order_by(items.c.code, warehouses.c.code, summed.c.k)
    )
    return _history(conn.execute(stmt).all(), start, end)


def _history(rows: Sequence[Any], start: date, end: date) -> DemandHistory:
    """The series from the grouped rows (item, warehouse, day index, scaled quantity, codes),
    in their order."""
    whole_weeks = ((end - start).days + 1) // 7
    found: dict[tuple[int, int], tuple[str, str, dict[date, Decimal]]] = {}
    for item, warehouse, k, quantity, item_code, wh_code in rows:
        if not quantity:
            continue
        key = (int(item), int(warehouse))
        entry = found.setdefault(key, (item_code, wh_code, {}))
        entry[2][start + timedelta(days=int(k))] = from_scaled(int(quantity))
    series = []
    for (item, warehouse), (item_code, wh_code, daily) in found.items():
        weekly: dict[date, Decimal] = {}
        for day, value in daily.items():
            week = (day - start).days // 7
            if week < whole_weeks:
                first = start + timedelta(days=7 * week)
                weekly[first] = weekly.get(first, Decimal(0)) + value
        weekly = {week: value for week, value in weekly.items() if value}
        series.append(
            ItemDemand(
                item,
                item_code,
                warehouse,
                wh_code,
                daily,
                weekly,
                outliers(daily),
                outliers(weekly),
            )  # fmt: skip
        )
    return DemandHistory(start, end, series)
