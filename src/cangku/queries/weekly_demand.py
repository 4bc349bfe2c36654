"""Net demand per item, warehouse and whole week, summed in SQL (ADR 0032): what the nightly
recompute forecasts. The same moves as ``queries.demand`` (issues to customers and production
less returns, ADR 0028), bucketed straight into weeks: no per-day rows and no ``Decimal`` per
day in memory, the answer is a float matrix (series x weeks) ready for the forecast.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, func, select

from cangku.db.company import read_company
from cangku.db.tables import moves
from cangku.domain.permissions import Warehouses
from cangku.queries.demand import _classified
from cangku.queries.reports.common import day_end

__all__ = ["weekly_demand"]

SCALE = 10**6


def weekly_demand(
    conn: Connection,
    start: date,
    weeks: int,
    *,
    stock_warehouses: Warehouses = None,
    item_ids: Iterable[int] | None = None,
) -> tuple[list[tuple[int, int]], npt.NDArray[np.float64]]:
    """The (item id, warehouse id) keys with any demand in the ``weeks`` whole weeks from
    ``start`` (local days), sorted, and their net demand per week (a row per key, oldest week
    first), in one grouped read."""
    zone = ZoneInfo(read_company(conn).time_zone)
    before = day_end(start - timedelta(days=1), zone)
    bounds = [day_end(start + timedelta(days=7 * (k + 1) - 1), zone) for k in range(weeks)]
    rows = _classified(bounds, stock_warehouses).where(moves.c.effective_at > before)
    if item_ids is not None:
        rows = rows.where(moves.c.item_id.in_(sorted(set(item_ids))))
    moved = rows.subquery()
    summed = select(
        moved.c.item_id, moved.c.warehouse_id, moved.c.k, func.sum(moved.c.quantity)
    ).group_by(moved.c.item_id, moved.c.warehouse_id, moved.c.k)
    found = conn.execute(summed).all()
    keys = sorted({(int(r[0]), int(r[1])) for r in found})
    index = {key: n for n, key in enumerate(keys)}
    matrix = np.zeros((len(keys), weeks), dtype=np.float64)
    for item, warehouse, k, quantity in found:
        matrix[index[(int(item), int(warehouse))], int(k)] = int(quantity) / SCALE
    return keys, matrix
