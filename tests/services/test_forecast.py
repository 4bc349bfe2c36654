"""The forecast per series (issue 16): candidates, the rolling-origin backtest (MAE, MASE), the
method chosen by the lowest MASE, and the forecast from the demand history of a ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput
from cangku.queries.demand import demand_history
from cangku.queries.forecast import Settings, forecast_history, forecast_series
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from tests.factories import CTX, build_company


def numbers(*values: int) -> list[Decimal]:
    return [Decimal(v) for v in values]


#: 20 periods of 2 every fourth, then a burst of two 9s, then the old pattern again
BURST = numbers(*[0, 0, 0, 2] * 5, 0, 0, 9, 9, 0, 0, 0, 2, 0, 0, 0, 2)


def test_a_constant_series_is_forecast_exactly_with_no_error() -> None:
    found = forecast_series({"flat": numbers(*[10] * 30)})["flat"]
    errors = {c.method: (c.mae, c.mase) for c in found.candidates}
    # regular demand: moving average and SES only (Croston is for intermittent demand)
    assert errors == {"moving_average": (0, 0), "ses": (0, 0)}
    # a tie is settled by the order of METHODS: the moving average first
    assert found.method == "moving_average"
    assert found.forecast == tuple(Decimal("10.000000") for _ in range(4))
    assert (found.mean, found.demand_sd) == (Decimal(10), Decimal(0))


def test_the_moving_average_backtest_by_hand() -> None:
    found = forecast_series({"burst": BURST})["burst"]
    ma = next(c for c in found.candidates if c.method == "moving_average")
    # origins after 20, 24 and 28 periods, 4 ahead each; MA(4) forecasts the last 4's mean:
    # 0.5 vs 0,0,9,9 -> 18; 4.5 vs 0,0,0,2 -> 16; 0.5 vs 0,0,0,2 -> 3: MAE 37 / 12
    assert ma.mae == Decimal("3.083333")
    # scale: the first 20 periods' 19 one-step changes hold nine 2s: 18 / 19;
    # MASE = (37 / 12) / (18 / 19) = 703 / 216 = 3.2546296...
    assert ma.mase == Decimal("3.254630")
    # RMSE: the squares 5 x 0.25 + 2 x 72.25 + 3 x 20.25 + 6.25 + 2.25 = 215, over 12
    assert ma.rmse == (Decimal(215) / 12).sqrt().quantize(Decimal("0.000001"))


def test_an_intermittent_series_gets_croston_chosen_by_the_lowest_mase() -> None:
    found = forecast_series({"burst": BURST})["burst"]
    assert found.intermittent  # demand in 9 of 32 periods: one in 3.56
    assert [c.method for c in found.candidates] == ["moving_average", "ses", "croston"]
    # Croston smooths the burst's sizes and intervals; MA and SES chase it
    assert found.method == "croston"
    assert found.chosen is not None
    assert found.chosen.mase == min(c.mase for c in found.candidates)
    assert all(c.mase > found.chosen.mase + 1 for c in found.candidates if c.method != "croston")
    assert found.reason.startswith("croston: lowest backtest MASE")
    assert "intermittent" in found.reason


def test_holt_winters_needs_two_seasons_and_wins_a_weekly_pattern() -> None:
    week = [1, 2, 3, 4, 5, 20, 20]
    daily = Settings.for_period("day")
    # 8 weeks: the shortest training window (56 - 3 x 7 = 35 days) holds five seasons
    found = forecast_series({"w": numbers(*week * 8)}, daily)["w"]
    assert found.method == "holt_winters"
    assert found.chosen is not None and found.chosen.mae == 0
    assert found.forecast == tuple(Decimal(v) for v in week)
    # 5 weeks: 35 - 21 = 14 days of training, two seasons exactly: a candidate
    boundary = forecast_series({"w": numbers(*week * 5)}, daily)["w"]
    assert "holt_winters" in [c.method for c in boundary.candidates]
    # 4 weeks and a day: 29 - 21 = 8 days of training, not two seasons: not a candidate
    short = forecast_series({"w": numbers(*week * 4, 1)}, daily)["w"]
    assert "holt_winters" not in [c.method for c in short.candidates]
    assert "holt_winters not tried" in short.reason


def test_no_demand_is_no_forecast_and_a_short_history_is_refused() -> None:
    found = forecast_series({"none": numbers(*[0] * 20)})["none"]
    assert (found.method, found.candidates, found.mean) == ("none", (), Decimal(0))
    with pytest.raises(InvalidInput) as refused:
        forecast_series({"short": numbers(*[1] * 16)})
    # 3 windows x 4 + a moving-average window of 4 + 1 = 17 periods at least
    assert refused.value.code == "history_too_short"
    with pytest.raises(InvalidInput) as uneven:
        forecast_series({"a": numbers(1, 2), "b": numbers(1)})
    assert uneven.value.code == "uneven_history"


def test_the_forecast_of_a_ledgers_weekly_demand(db: Database) -> None:
    build_company(db)
    first = date(2025, 1, 6)  # a Monday; 20 weeks to 2025-05-25
    receive_stock(db, CTX, Receive("BOLT", "1000", "WH1-A", unit_cost="1",
                                   effective_at=datetime(2025, 1, 1, tzinfo=UTC)))  # fmt: skip
    for week in range(20):
        at = datetime.combine(first + timedelta(weeks=week), datetime.min.time(), UTC)
        issue_stock(db, CTX, Issue("BOLT", "6", "WH1-A", effective_at=at + timedelta(hours=12)))
    with db.read() as conn:
        history = demand_history(conn, first, first + timedelta(days=139))
    found = list(forecast_history(history, "week").values())
    # 6 a week every week: the moving average and SES forecast 6 with no error
    assert [(f.method, f.mean, f.forecast[0]) for f in found] == [
        ("moving_average", Decimal(6), Decimal(6))
    ]
