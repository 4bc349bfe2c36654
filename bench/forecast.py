"""The replenishment recompute (issue 16, ADR 0028) for N items x 2 warehouses x 104 weeks of
synthetic demand: every series' forecast with its backtest (``queries.forecast``), then its
safety stock, reorder point and max (``domain.replenishment``) and a suggested quantity.

The demand is made here, not read from a ledger (the grouped read is
``queries.demand.demand_history``; this times what follows it): per series, at random, 60 %
regular (Poisson, mean 2-50 a week), 30 % intermittent (a week has demand with chance
0.1-0.5, of 1-20), 10 % seasonal (a yearly wave of +-50 % on a mean of 5-50); 1 % of the
series have no demand at all. Lead times 1-6 weeks (deviation a quarter of it), review period
1 week, ABC class at random (20/30/50 %), the position 0-3 x the forecast's mean demand.

Prints the seconds of each step and in all, and the process's peak memory (max RSS).

    .venv/bin/python bench/forecast.py [--items 50000] [--warehouses 2] [--weeks 104]
                                       [--seed 16] [--period week|day]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from decimal import Decimal

import numpy as np

from cangku.domain.replenishment import reorder_levels, service_level_for, suggest_quantity
from cangku.queries.forecast import Forecast, Settings, forecast_matrix


def synthetic(series: int, weeks: int, seed: int) -> np.ndarray:
    """The demand matrix (series x weeks) described in the module docstring."""
    rng = np.random.default_rng(seed)
    kind = rng.random(series)
    means = rng.uniform(2, 50, series)[:, None]
    regular = rng.poisson(np.broadcast_to(means, (series, weeks))).astype(np.float64)
    chance = rng.uniform(0.1, 0.5, series)[:, None]
    intermittent = (rng.random((series, weeks)) < chance) * rng.integers(1, 21, (series, weeks))
    phase = rng.uniform(0, 6.3, series)[:, None]
    wave = 1 + 0.5 * np.sin(2 * np.pi * np.arange(weeks) / 52 + phase)
    seasonal = rng.poisson(np.clip(means * wave, 0, None)).astype(np.float64)
    matrix = np.where(
        (kind < 0.6)[:, None], regular, np.where((kind < 0.9)[:, None], intermittent, seasonal)
    ).astype(np.float64)
    matrix[rng.random(series) < 0.01] = 0.0
    return matrix


def plan(found: dict[int, Forecast], seed: int) -> tuple[int, int]:
    """Levels and a suggestion per series; (series planned, series with an order)."""
    rng = np.random.default_rng(seed + 1)
    classes = rng.choice(["A", "B", "C"], len(found), p=[0.2, 0.3, 0.5])
    lead = rng.integers(1, 7, len(found))
    position = rng.uniform(0, 3, len(found))
    ordered = 0
    for n, forecast in enumerate(found.values()):
        levels = reorder_levels(
            demand=forecast.mean,
            demand_sd=forecast.demand_sd,
            lead_time=Decimal(int(lead[n])),
            lead_time_sd=Decimal(int(lead[n])) / 4,
            service_level=service_level_for(str(classes[n])),
            review_period=Decimal(1),
        )
        stock = (forecast.mean * Decimal(repr(float(position[n])))).quantize(Decimal(1))
        suggestion = suggest_quantity(
            on_hand=stock, on_order=Decimal(0), in_transit=Decimal(0), reserved=Decimal(0),
            reorder_point=levels.reorder_point, order_up_to=levels.order_up_to,
            pack_size=Decimal(6), minimum_order=Decimal(12),
        )  # fmt: skip
        ordered += suggestion.quantity > 0
    return len(found), ordered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--warehouses", type=int, default=2)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--period", choices=["week", "day"], default="week",
        help="day: --weeks x 7 days, a 7-day season (Holt-Winters is then tried)",
    )  # fmt: skip
    args = parser.parse_args()
    series = args.items * args.warehouses
    began = time.perf_counter()
    periods = args.weeks * (7 if args.period == "day" else 1)
    matrix = synthetic(series, periods, args.seed)
    made = time.perf_counter()
    found = forecast_matrix(list(range(series)), matrix, Settings.for_period(args.period))
    forecast = time.perf_counter()
    planned, ordered = plan(found, args.seed)
    done = time.perf_counter()
    methods: dict[str, int] = {}
    for f in found.values():
        methods[f.method] = methods.get(f.method, 0) + 1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.items} items x {args.warehouses} warehouses x {periods} {args.period}s "
          f"= {series} series")  # fmt: skip
    print(f"  synthetic demand   {made - began:8.2f} s (not part of the recompute)")
    print(f"  forecast+backtest  {forecast - made:8.2f} s   methods {methods}")
    print(f"  levels+suggestion  {done - forecast:8.2f} s   {planned} planned, {ordered} to order")
    print(f"  recompute in all   {done - made:8.2f} s   peak memory {peak_mb:.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
