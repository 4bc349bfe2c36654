"""The forecast backtest on a real retailer's year (issue 16): the UCI "Online Retail" file
(``../shared/data``, see ``tests/retail.py``), the 200 busiest items (most sale lines).

Their demand is worked out here straight from the file with the rules of the ledger's demand
history (``queries.demand``) over the moves ``tests/retail.py`` maps the file to: sales (issues
to customers) less returns and cancellations (receipts from customers), per London day; write-
offs and found goods (adjustments) are not demand. Going through the ledger would cost the
import of ~200,000 moves (tens of seconds; ``tests/services/test_demand_history.py`` covers that
path). History: the 52 whole weeks (364 days) from Monday 2010-12-06 to Sunday 2011-12-04.

ABC classes by sales value among these items: A up to 80 % of the cumulated value, B the next
15 %, C the rest. The test prints each method's mean MASE per class, by week (moving average,
SES, Croston; Holt-Winters needs two years of weeks) and by day (a 7-day season: Holt-Winters
is tried), and asserts only what must hold: every item got a method, every error is finite and
not negative, and the chosen method's MASE is the least of its item's candidates.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Literal

import numpy as np
import pytest

from cangku.queries.forecast import METHODS, Forecast, Settings, forecast_matrix
from tests.retail import DATA, LONDON, item_master, read_lines

pytestmark = pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} not found")

FIRST, DAYS = date(2010, 12, 6), 364
BUSIEST = 200


@cache
def retail_demand() -> tuple[list[str], np.ndarray, dict[str, str]]:
    """The busiest codes, their net demand per day (code x day) and their ABC class."""
    lines = read_lines(DATA)
    master = item_master(lines)
    sales: dict[str, int] = defaultdict(int)
    value: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.code in master and line.invoice.isdigit() and line.quantity > 0 and line.price > 0:
            sales[line.code] += 1
            value[line.code] += line.quantity * line.price
    codes = sorted(sorted(sales), key=lambda c: -sales[c])[:BUSIEST]
    row = {code: n for n, code in enumerate(codes)}
    demand = np.zeros((len(codes), DAYS))
    for line in lines:
        if line.code not in row or line.invoice.startswith("A") or line.quantity == 0:
            continue
        day = (line.at.astimezone(LONDON).date() - FIRST).days
        if not 0 <= day < DAYS:
            continue
        if line.invoice.startswith("C"):
            demand[row[line.code], day] -= abs(line.quantity)  # a return, netted
        elif line.quantity > 0 and line.price > 0:
            demand[row[line.code], day] += line.quantity
    return codes, demand, abc_classes(codes, value)


def abc_classes(codes: list[str], value: dict[str, Decimal]) -> dict[str, str]:
    total = sum(value[c] for c in codes)
    ranked = sorted(codes, key=lambda c: (-value[c], c))
    found, running = {}, Decimal(0)
    for code in ranked:
        share = running / total  # the share before this item: the first is always A
        found[code] = "A" if share < Decimal("0.80") else "B" if share < Decimal("0.95") else "C"
        running += value[code]
    return found


def report(
    name: str, found: dict[str, Forecast], classes: dict[str, str]
) -> dict[tuple[str, str], float]:
    """Each method's mean MASE per class (printed) and how often it was chosen."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(list)
    for code, forecast in found.items():
        for c in forecast.candidates:
            sums[(classes[code], c.method)].append(float(c.mase))
    chosen = defaultdict(int)
    for forecast in found.values():
        chosen[forecast.method] += 1
    print(f"\n{name}: mean backtest MASE per ABC class (items), chosen {dict(chosen)}")
    means = {key: sum(v) / len(v) for key, v in sums.items()}
    for cls in "ABC":
        count = sum(1 for c in classes.values() if c == cls)
        cells = [f"{m} {means[(cls, m)]:.3f}" for m in METHODS if (cls, m) in means]
        print(f"  {cls} ({count}): " + ", ".join(cells))
    return means


def check(found: dict[str, Forecast], codes: list[str]) -> None:
    assert sorted(found) == sorted(codes)
    for forecast in found.values():
        assert forecast.method in METHODS, forecast.reason  # every item here has demand
        assert forecast.candidates
        for c in forecast.candidates:
            for figure in (c.mae, c.mase, c.rmse):
                assert figure.is_finite() and figure >= 0
        assert forecast.chosen is not None
        assert forecast.chosen.mase == min(c.mase for c in forecast.candidates)
        assert all(v >= 0 for v in forecast.forecast) and forecast.demand_sd >= 0


@pytest.mark.parametrize("period", ["week", "day"])
def test_every_busy_item_gets_the_method_with_its_lowest_mase(
    period: Literal["week", "day"],
) -> None:
    codes, daily, classes = retail_demand()
    matrix = daily if period == "day" else daily.reshape(len(codes), DAYS // 7, 7).sum(axis=2)
    found = forecast_matrix(codes, matrix, Settings.for_period(period))
    means = report(f"by {period}, {matrix.shape[1]} periods", found, classes)
    check(found, codes)
    tried = {method for _, method in means}
    assert ("holt_winters" in tried) == (period == "day")
    assert {"moving_average", "ses"} <= tried
