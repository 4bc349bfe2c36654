"""Request and response bodies of the cycle-count plan (issue 14): the places due, the ABC
classes it uses, the counting frequencies and each posted count's accuracy."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from cangku.api.schemas_documents import Code, _In, _Out

Days = Annotated[int, Field(ge=1, le=3650)]


class DueRowOut(_Out):
    item: str
    item_name: str
    location: str
    abc_class: str
    days: int = Field(description="how often the place is counted")
    source: str = Field(description="where the frequency comes from: a class or a location code")
    last_counted: date | None = Field(description="the day of its last posted count")
    due_on: date | None = Field(description="the day it falls (fell) due; null: never counted")
    due: bool


class DueListOut(_Out):
    warehouse: str
    today: date
    places: int = Field(description="places (item, location) holding stock")
    due: int = Field(description="of them, due for counting")
    abc_run_id: int | None = Field(description="the ABC run the classes come from; null: none")
    rows: list[DueRowOut]


class AbcIn(_In):
    warehouse: Code
    months: int = Field(12, ge=1, le=60, description="the months of consumption ranked")
    today: date | None = Field(None, description="the period's last day (default: today)")


class AbcRunOut(_Out):
    run_id: int
    warehouse: str
    period_start: date
    period_end: date
    items: dict[str, int] = Field(description="items per class")


class AbcClassOut(_Out):
    abc_class: str
    items: int
    consumption: Decimal
    share: Decimal = Field(description="percent of the consumption value")


class AbcItemOut(_Out):
    item: str
    item_name: str
    abc_class: str
    consumption: Decimal
    xyz_class: str | None = Field(description="X, Y or Z by the weekly demand's variability")
    demand_cv: Decimal | None = Field(
        description="coefficient of variation of the weekly demand; null: no demand"
    )


class MatrixCellOut(_Out):
    abc_class: str
    xyz_class: str
    items: int
    consumption: Decimal


class AbcOut(_Out):
    warehouse: str
    run_id: int
    period_start: date
    period_end: date
    computed_at: datetime
    computed_by: str
    total: Decimal
    classes: list[AbcClassOut]
    items: list[AbcItemOut]
    weeks: int | None = Field(description="the whole weeks XYZ was computed over")
    matrix: list[MatrixCellOut] = Field(description="ABC x XYZ: items and value per cell")


class FrequenciesIn(_In):
    classes: dict[Literal["A", "B", "C"], Days | None] = Field(
        default_factory=dict, description="days per class (A, B, C); null: the default again"
    )
    locations: dict[Code, Days | None] = Field(
        default_factory=dict,
        description="days per location code (it and all under it); null: removed",
    )


class FrequencyOut(_Out):
    location: str
    days: int


class FrequenciesOut(_Out):
    classes: dict[str, int] = Field(description="days per class as they apply")
    set_classes: list[str] = Field(description="the classes the company set itself")
    locations: list[FrequencyOut]


class CountAccuracyOut(_Out):
    number: str
    posted_at: datetime | None
    lines_counted: int
    lines_right: int
    accuracy: Decimal | None = Field(description="lines right / lines counted, percent")
    net_variance: Decimal | None = Field(description="null without valuation.view")
    absolute_variance: Decimal | None


class AccuracyOut(_Out):
    warehouse: str
    counts: list[CountAccuracyOut]
