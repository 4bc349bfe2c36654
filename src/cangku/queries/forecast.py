"""Demand forecast per item and warehouse, the method chosen by a rolling-origin backtest
(issue 16, ADR 0028), on Nixtla's ``statsforecast`` (made for many series at once).

Candidates (``METHODS``, in the order a tie is settled):

- ``moving_average``: the mean of the last ``ma_window`` periods;
- ``ses``: simple exponential smoothing, its smoothing weight fitted per series;
- ``croston``: Croston's method (classic), only for **intermittent** demand: an average
  interval between nonzero periods of 1.32 or more (Syntetos and Boylan's cut-off);
- ``holt_winters``: additive Holt-Winters, only when the shortest backtest training window
  holds **two full seasons** (``season_length`` periods each).

**Backtest**: ``windows`` origins, each ``horizon`` periods after the one before, the last
``horizon`` periods before the end; at each, every candidate is fitted on the history up to
the origin and forecasts the next ``horizon`` periods. MAE is the mean absolute error over all
those forecasts; **MASE** divides it by the mean absolute one-step change of the history before
the first origin (the in-sample naive forecast's error): under 1, better than "same as last
period". When the history before the first origin is constant the scale is its mean absolute
demand, and 1 when that is zero too, so the figure is always finite. The candidate with the
lowest MASE is chosen (ties: the earlier in ``METHODS``); its forecast is refitted on the whole
history. A series with no demand at all gets ``none`` and a forecast of zeros.

Negative periods (more returned than issued) count as zero demand here. Figures come back as
``Decimal`` to 6 places (the ledger's precision); the forecasting itself is floating point.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from cangku.domain.errors import InvalidInput
from cangku.queries.demand import DemandHistory

__all__ = [
    "METHODS",
    "Forecast",
    "MethodError",
    "Settings",
    "forecast_history",
    "forecast_matrix",
    "forecast_series",
]

METHODS = ("moving_average", "ses", "croston", "holt_winters")
#: an average interval between demands at or above this is intermittent (Syntetos-Boylan)
INTERMITTENT_INTERVAL = 1.32
_PLACES = Decimal("0.000001")
K = TypeVar("K", bound=Hashable)
Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Settings:
    """The backtest's shape, in periods of the series (days or weeks)."""

    horizon: int = 4
    windows: int = 3
    ma_window: int = 4
    #: periods in a season: 52 for weeks, 7 for days (a week's pattern)
    season_length: int = 52

    @classmethod
    def for_period(cls, period: Literal["day", "week"]) -> Settings:
        """Days: a 7-day season and a 7-day horizon and window; weeks: 52 and 4."""
        return cls(7, 3, 7, 7) if period == "day" else cls()

    def shortest_training(self, length: int) -> int:
        return length - self.windows * self.horizon


@dataclass(frozen=True)
class MethodError:
    """A candidate's backtest errors."""

    method: str
    mae: Decimal
    mase: Decimal
    rmse: Decimal


@dataclass(frozen=True)
class Forecast:
    """One series' forecast: the method chosen, every candidate's errors, the forecast per
    period ahead, the mean demand per period it forecasts and the standard deviation of the
    history per period (the inputs of the safety stock), and why the method was chosen."""

    key: Hashable
    method: str
    candidates: tuple[MethodError, ...]
    forecast: tuple[Decimal, ...]
    mean: Decimal
    demand_sd: Decimal
    intermittent: bool
    reason: str

    @property
    def chosen(self) -> MethodError | None:
        return next((c for c in self.candidates if c.method == self.method), None)


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(_PLACES)


def _models(settings: Settings, seasonal: bool) -> list[Any]:
    from statsforecast.models import (
        CrostonClassic,
        HoltWinters,
        SimpleExponentialSmoothingOptimized,
        WindowAverage,
    )

    models = [
        WindowAverage(window_size=settings.ma_window, alias="moving_average"),
        SimpleExponentialSmoothingOptimized(alias="ses"),
        CrostonClassic(alias="croston"),
    ]
    if seasonal:
        models.append(HoltWinters(season_length=settings.season_length, alias="holt_winters"))
    return models


def _frame(matrix: Matrix) -> Any:
    import pandas as pd  # type: ignore[import-untyped]

    count, length = matrix.shape
    return pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(count), length),
            "ds": np.tile(np.arange(length), count),
            "y": matrix.ravel(),
        }
    )


def _by_series(frame: Any, columns: Sequence[str], count: int) -> dict[str, Matrix]:
    """Each column of a statsforecast answer as a (series, period) matrix."""
    keys = ["unique_id", "cutoff", "ds"] if "cutoff" in frame.columns else ["unique_id", "ds"]
    ordered = frame.sort_values(keys)
    return {c: ordered[c].to_numpy(dtype=np.float64).reshape(count, -1) for c in columns}


def _scale(training: Matrix) -> npt.NDArray[np.float64]:
    """Per series: the in-sample naive MAE of ``training``, else its mean absolute demand,
    else 1 (see the module docstring)."""
    naive = np.abs(np.diff(training, axis=1)).mean(axis=1)
    level = np.abs(training).mean(axis=1)
    return np.where(naive > 0, naive, np.where(level > 0, level, 1.0))


def _run(matrix: Matrix, settings: Settings, seasonal: bool) -> tuple[dict[str, Matrix], ...]:
    """The backtest forecasts (with the actuals under ``y``) and the forecasts ahead."""
    from statsforecast import StatsForecast

    count = matrix.shape[0]
    models = _models(settings, seasonal)
    names = [m.alias for m in models]
    engine = StatsForecast(models=models, freq=1, n_jobs=1)
    frame = _frame(matrix)
    with warnings.catch_warnings():
        # statsforecast warns about its own defaults (no effect on the figures)
        warnings.simplefilter("ignore")
        tested = engine.cross_validation(
            df=frame, h=settings.horizon, n_windows=settings.windows, step_size=settings.horizon
        )
        ahead = engine.forecast(df=frame, h=settings.horizon)
    return _by_series(tested, ["y", *names], count), _by_series(ahead, names, count)


def forecast_matrix(
    keys: Sequence[K], matrix: Matrix, settings: Settings = Settings()
) -> dict[K, Forecast]:
    """The forecast of each row of ``matrix`` (series x periods, oldest first), keyed by
    ``keys``. Raises InvalidInput ``history_too_short`` when the shortest training window
    would hold fewer than ``ma_window + 1`` periods."""
    count, length = matrix.shape
    training = settings.shortest_training(length)
    if training < settings.ma_window + 1:
        raise InvalidInput(
            f"a forecast needs at least {length - training + settings.ma_window + 1} periods",
            code="history_too_short",
            periods=length,
        )
    clipped = np.clip(matrix.astype(np.float64), 0.0, None)
    nonzero = (clipped > 0).sum(axis=1)
    live = np.flatnonzero(nonzero > 0)
    seasonal = training >= 2 * settings.season_length
    found: dict[K, Forecast] = {}
    zeros = tuple(Decimal(0).quantize(_PLACES) for _ in range(settings.horizon))
    for row in (int(r) for r in np.flatnonzero(nonzero == 0)):
        found[keys[row]] = Forecast(
            keys[row], "none", (), zeros, zeros[0], zeros[0], False,
            "no demand in the history: nothing to forecast",
        )  # fmt: skip
    if len(live) == 0:
        return found
    series = clipped[live]
    tested, ahead = _run(series, settings, seasonal)
    scale = _scale(series[:, :training])
    intervals = length / nonzero[live]
    for index, row in enumerate(int(r) for r in live):
        found[keys[row]] = _choose(
            keys[row], index, tested, ahead, float(scale[index]), float(intervals[index]),
            series[index], seasonal,
        )  # fmt: skip
    return {keys[row]: found[keys[row]] for row in range(count)}


def _choose(
    key: K,
    index: int,
    tested: dict[str, Matrix],
    ahead: dict[str, Matrix],
    scale: float,
    interval: float,
    history: npt.NDArray[np.float64],
    seasonal: bool,
) -> Forecast:
    """The candidates' errors for series ``index`` and the one with the lowest MASE."""
    intermittent = interval >= INTERMITTENT_INTERVAL
    actual = tested["y"][index]
    candidates = []
    for method in METHODS:
        if method not in tested or (method == "croston" and not intermittent):
            continue
        missed = tested[method][index] - actual
        if not np.all(np.isfinite(missed)):
            continue  # a method that could not fit this series is no candidate
        mae = float(np.abs(missed).mean())
        rmse = float(np.sqrt((missed**2).mean()))
        candidates.append(MethodError(method, _decimal(mae), _decimal(mae / scale), _decimal(rmse)))
    best = min(candidates, key=lambda c: (c.mase, METHODS.index(c.method)))
    forecast = tuple(_decimal(max(v, 0.0)) for v in ahead[best.method][index])
    mean = (sum(forecast, Decimal(0)) / len(forecast)).quantize(_PLACES)
    sd = _decimal(float(history.std(ddof=1))) if len(history) > 1 else Decimal(0)
    return Forecast(key, best.method, tuple(candidates), forecast, mean, sd, intermittent,
                    _reason(best, candidates, intermittent, interval, seasonal))  # fmt: skip


def _reason(
    best: MethodError,
    candidates: Sequence[MethodError],
    intermittent: bool,
    interval: float,
    seasonal: bool,
) -> str:
    """A sentence on why ``best`` was chosen."""
    others = ", ".join(f"{c.method} {c.mase:.3f}" for c in candidates if c is not best)
    text = f"{best.method}: lowest backtest MASE {best.mase:.3f}"
    text += f" (others: {others})" if others else " (the only candidate)"
    kind = "intermittent" if intermittent else "regular"
    text += f"; {kind} demand, one period in {interval:.2f} has any"
    if not seasonal:
        text += "; holt_winters not tried: under two full seasons of history"
    return text + "."


def forecast_series(
    series: Mapping[K, Sequence[Decimal]], settings: Settings = Settings()
) -> dict[K, Forecast]:
    """The forecast of each series (per period, oldest first; all the same length). Raises
    InvalidInput ``history_too_short`` and ``uneven_history`` (lengths differ)."""
    keys = list(series)
    lengths = {len(series[k]) for k in keys}
    if len(lengths) > 1:
        raise InvalidInput("every series has the same periods", code="uneven_history")
    if not keys:
        return {}
    matrix = np.array([[float(v) for v in series[k]] for k in keys], dtype=np.float64)
    return forecast_matrix(keys, matrix, settings)


def forecast_history(
    history: DemandHistory,
    period: Literal["day", "week"] = "week",
    settings: Settings | None = None,
) -> dict[tuple[int, int], Forecast]:
    """The forecast of every (item id, warehouse id) of ``history`` by day or by whole week
    (``Settings.for_period`` unless ``settings``). Raises InvalidInput ``history_too_short``."""
    settings = settings or Settings.for_period(period)
    periods = history.days if period == "day" else history.weeks
    position = {p: n for n, p in enumerate(periods)}
    matrix = np.zeros((len(history.series), len(periods)), dtype=np.float64)
    keys = []
    for row, entry in enumerate(history.series):
        keys.append((entry.item_id, entry.warehouse_id))
        for when, value in (entry.daily if period == "day" else entry.weekly).items():
            if when in position:
                matrix[row, position[when]] = float(value)
    if not keys:
        return {}
    return forecast_matrix(keys, matrix, settings)
