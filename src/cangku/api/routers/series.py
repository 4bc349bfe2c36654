"""Stock over time (``queries.series``): the stock value at each month end
(``/api/v1/valuation/series``) and an item's on hand at each day or week end
(``/api/v1/stock/on-hand-series``), the figures the dashboard and item history charts draw.

Each point is exact (the as-of read at its time). Month and day ends are those of the caller's
time zone (their own, else the company's); times in the answer are UTC. The value is the
caller's share of it (``valuation.view`` warehouses), the on hand that of their ``stock.view``
warehouses.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Query
from pydantic import BaseModel, Field

from cangku.api.deps import DbDep, permit
from cangku.api.openapi import problems
from cangku.domain.permissions import Actor
from cangku.queries.company import display_settings
from cangku.queries.series import SERIES_DAYS, check_days, day_ends, item_and_unit, month_ends
from cangku.queries.series import on_hand_series as read_on_hand_series
from cangku.queries.series import value_series as read_value_series
from cangku.routing import SegmentRouter
from cangku.services.common import utcnow
from cangku.services.stock import STOCK_VIEW, VALUATION_VIEW

router = SegmentRouter(tags=["stock"])
#: the ranges an on-hand series may cover, in the schema
DAYS: dict[str, object] = {"enum": list(SERIES_DAYS)}


class ValuePointOut(BaseModel):
    at: datetime = Field(description="the last instant of the month (UTC), or now")
    value: Decimal


class ValueSeriesOut(BaseModel):
    currency: str = Field(description="ISO 4217 code of the values (the company currency)")
    time_zone: str = Field(description="the zone whose month ends the points are")
    points: list[ValuePointOut]


class OnHandPointOut(BaseModel):
    at: datetime = Field(description="the last instant of the day or week (UTC), or now")
    on_hand: Decimal


class OnHandSeriesOut(BaseModel):
    item: str
    unit: str
    days: int
    time_zone: str = Field(description="the zone whose day ends the points are")
    points: list[OnHandPointOut]


@router.get(
    "/valuation/series",
    response_model=ValueSeriesOut,
    summary="Stock value at each of the last 12 month ends and now",
)
def value_series(
    actor: Annotated[Actor, permit(VALUATION_VIEW)],
    db: DbDep,
    months: Annotated[int, Query(ge=1, le=36, description="how many month ends (1 to 36)")] = 12,
) -> ValueSeriesOut:
    """The whole company's stock value, or the share held in the caller's warehouses."""
    now = utcnow()
    with db.read() as conn:
        shown = display_settings(conn, actor.username)
        points = month_ends(now, ZoneInfo(shown.time_zone), months)
        series = read_value_series(conn, points, warehouses=actor.warehouses(VALUATION_VIEW))
    return ValueSeriesOut(
        currency=shown.company.currency,
        time_zone=shown.time_zone,
        points=[ValuePointOut(at=p.at, value=p.amount) for p in series],
    )


@router.get(
    "/stock/on-hand-series",
    response_model=OnHandSeriesOut,
    summary="One item's on hand at each day end (each week end over a year) and now",
    responses=problems({422: "`invalid_series_days`: days is not one of 30, 90, 365"}),
)
def on_hand_series(
    actor: Annotated[Actor, permit(STOCK_VIEW)],
    db: DbDep,
    item: Annotated[str, Query(description="the item's code or one of its barcodes")],
    days: Annotated[int, Query(description="30, 90 or 365", json_schema_extra=DAYS)] = 90,
) -> OnHandSeriesOut:
    """On hand over the storage locations of the caller's warehouses."""
    now = utcnow()
    with db.read() as conn:
        code, unit = item_and_unit(conn, item)
        shown = display_settings(conn, actor.username)
        points = day_ends(now, ZoneInfo(shown.time_zone), check_days(days))
        series = read_on_hand_series(conn, code, points, warehouses=actor.warehouses(STOCK_VIEW))
    return OnHandSeriesOut(
        item=code,
        unit=unit,
        days=days,
        time_zone=shown.time_zone,
        points=[OnHandPointOut(at=p.at, on_hand=p.amount) for p in series],
    )
