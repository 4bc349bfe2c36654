"""The one shape of an analysis report (ADR 0027): what is asked (``ReportQuery``), what comes
back (``Report``: columns, rows, totals, a chart, the definitions printed under it), and what a
report module declares about itself (``Spec``: its name, options, time and formats).

Every face builds a query the same way, from text parameters (``read_query``), so the web page,
the API and the CLI refuse the same bad input with the same codes:

- ``warehouse``, ``category``, ``type``, ``item``, ``supplier``: the filters (codes; the item
  also by barcode); a category covers the categories under it, a supplier the items it supplies;
- ``at``: the day the report is as of (to that day's end in the company's zone; empty: now);
- ``start`` and ``end``: the first and last day of a period (both included);
- the report's own options (``group``, ``interval``, ...), each from a closed list or a range.

Labels (column titles, definitions, titles) are English message ids; the faces translate them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, case, literal, select
from sqlalchemy.sql import ColumnElement

from cangku.db.company import read_company
from cangku.db.tables import categories, items, partners, supplier_items
from cangku.domain.enums import ItemType
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled, to_scaled
from cangku.queries.stock import item_id, warehouse_id

__all__ = [
    "Chart",
    "Column",
    "Option",
    "Report",
    "ReportQuery",
    "Scope",
    "Spec",
    "TICK",
    "bucket",
    "column_sums",
    "day_end",
    "ordered",
    "read_day",
    "read_query",
]

#: the last instant of a day: as-of reads include the moves effective at or before it
TICK = timedelta(microseconds=1)
#: the longest period a report covers (ten years and a bit)
MAX_PERIOD_DAYS = 3700
#: what a column holds (the faces format and align by it): ``label`` is a closed-vocabulary
#: value the faces translate (an item type, a location kind), ``message`` an English message
#: id they translate (a stage's name), ``report`` another report's name (a link)
ColumnKind = Literal[
    "text", "label", "message", "quantity", "money", "percent", "days", "date", "count",
    "number", "report",
]  # fmt: skip
TimeKind = Literal["as_of", "period"]


@dataclass(frozen=True)
class Column:
    key: str
    #: a message id, with ``%(name)s`` fields filled from ``fields`` (e.g. an age band)
    label: str
    kind: ColumnKind = "text"
    fields: tuple[tuple[str, str], ...] = ()

    def title(self, translate: Callable[[str], str] = str) -> str:
        """The column's title in the language ``translate`` gives."""
        text = translate(self.label)
        return text % dict(self.fields) if self.fields else text


@dataclass(frozen=True)
class Chart:
    """``bar``: a horizontal bar per row (the first ``top`` rows) of the ``series`` columns,
    labelled by the ``label`` column; ``line``: the ``series`` columns over the rows in order
    (a time axis, the ``label`` column holding the dates)."""

    kind: Literal["bar", "line"]
    label: str
    series: tuple[str, ...]
    top: int = 15


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    #: the totals row in the columns' order (None in a column that has no total)
    totals: tuple[Any, ...] | None
    chart: Chart | None
    #: what each figure means here (message ids), printed under the report
    definitions: tuple[str, ...]
    query: ReportQuery
    #: facts about this run worth printing (message ids with ``%(name)s`` fields, values)
    notes: tuple[tuple[str, Mapping[str, Any]], ...] = ()

    def column_keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def as_dicts(self) -> list[dict[str, Any]]:
        keys = self.column_keys()
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Option:
    """A report's own parameter: one of ``choices`` (the first is the default), or a whole
    number between ``low`` and ``high`` (``default``)."""

    name: str
    label: str
    choices: tuple[str, ...] = ()
    low: int = 0
    high: int = 0
    default: int = 0

    def read(self, text: str | None) -> str | int:
        if self.choices:
            if text is None or text == "":
                return self.choices[0]
            if text not in self.choices:
                raise InvalidInput(
                    f"{self.name} must be one of {', '.join(self.choices)}",
                    code="invalid_report_option",
                    option=self.name,
                    allowed=list(self.choices),
                )
            return text
        if text is None or text == "":
            return self.default
        if not text.isascii() or not text.isdigit() or not self.low <= int(text) <= self.high:
            raise InvalidInput(
                f"{self.name} must be a whole number from {self.low} to {self.high}",
                code="invalid_report_option",
                option=self.name,
                low=self.low,
                high=self.high,
            )
        return int(text)


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    #: the action a reader needs (``services`` declares them; the faces check it)
    permission: str
    time: TimeKind
    options: tuple[Option, ...]
    run: Callable[[Connection, ReportQuery], Report]
    formats: tuple[str, ...] = ("csv", "xlsx")
    #: filters this report takes (of FILTERS)
    filters: tuple[str, ...] = ("warehouse", "category", "type", "item", "supplier")
    description: str = ""
    #: free parameters the report reads itself (of EXTRAS): ``compare`` (a day), ``buckets``
    extras: tuple[str, ...] = ()
    #: the report's own refusals of a query, checked before anything is computed (so a face
    #: can answer them before it starts sending a page)
    check: Callable[[ReportQuery], object] | None = None


#: the free parameters a report may read itself, with what each holds
EXTRAS = {
    "compare": "a day (YYYY-MM-DD) to compare with",
    "buckets": "age bands: ascending days separated by commas, e.g. 30,90,180,365",
}
#: the filters every report may take, in the order the faces show them
FILTERS = ("warehouse", "category", "type", "item", "supplier")


@dataclass(frozen=True)
class Scope:
    """The resolved filters: ids, not codes. ``warehouses`` is what the reader may see, narrowed
    by the warehouse filter (None: every warehouse)."""

    warehouses: Warehouses = None
    warehouse_filtered: bool = False
    category_path: str | None = None
    item_type: str | None = None
    item_id: int | None = None
    supplier_id: int | None = None

    def item_conditions(self) -> list[ColumnElement[bool]]:
        """Conditions on ``items`` for the item filters (none: every item)."""
        found: list[ColumnElement[bool]] = []
        if self.category_path is not None:
            under = select(categories.c.id).where(categories.c.path.like(self.category_path + "%"))
            found.append(items.c.category_id.in_(under))
        if self.item_type is not None:
            found.append(items.c.item_type == self.item_type)
        if self.item_id is not None:
            found.append(items.c.id == self.item_id)
        if self.supplier_id is not None:
            supplied = select(supplier_items.c.item_id).where(
                supplier_items.c.partner_id == self.supplier_id
            )
            found.append(items.c.id.in_(supplied))
        return found

    @property
    def items_filtered(self) -> bool:
        return bool(self.item_conditions())

    @property
    def scoped(self) -> bool:
        """Whether only some warehouses' stock is in view (values are then shares)."""
        return self.warehouses is not None


@dataclass(frozen=True)
class ReportQuery:
    name: str
    scope: Scope
    now: datetime
    zone: tzinfo
    #: the instant an as-of report reads (``now`` when no day was asked)
    at: datetime
    #: the day asked (None: now)
    at_day: date | None = None
    #: a period report's first and last day, and the instants its state is read at:
    #: ``opening_at`` the end of the day before ``start``, ``closing_at`` the end of ``end``
    start: date | None = None
    end: date | None = None
    opening_at: datetime | None = None
    closing_at: datetime | None = None
    options: Mapping[str, str | int] = field(default_factory=dict)
    #: the raw parameters as asked (the faces keep them in links and file names)
    params: Mapping[str, str] = field(default_factory=dict)

    def option(self, name: str) -> Any:
        return self.options[name]

    @property
    def days(self) -> int:
        """The period's length in days (1 for an as-of report)."""
        if self.start is None or self.end is None:
            return 1
        return (self.end - self.start).days + 1


def day_end(day: date, zone: tzinfo) -> datetime:
    """The last instant (UTC) of ``day`` in ``zone``."""
    following = day + timedelta(days=1)
    midnight = datetime(following.year, following.month, following.day, tzinfo=zone)
    return midnight.astimezone(UTC) - TICK


#: the days a report may name (the calendar's ends overflow a day's end in a time zone)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


def read_day(name: str, text: str) -> date:
    """The day ``text`` writes (YYYY-MM-DD, from 1900 to 9998); InvalidInput
    ``invalid_report_date`` otherwise."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text)
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(text)
        return day
    except ValueError:
        raise InvalidInput(
            f"{name} must be a day written YYYY-MM-DD, from 1900-01-01 to 9998-12-31",
            code="invalid_report_date",
            field=name,
        ) from None


def _scope(conn: Connection, params: Mapping[str, str], visible: Warehouses) -> Scope:
    warehouses = visible
    filtered = False
    if params.get("warehouse"):
        warehouses = frozenset({warehouse_id(conn, params["warehouse"], visible)})
        filtered = True
    path = None
    if params.get("category"):
        path = conn.execute(
            select(categories.c.path).where(categories.c.code == params["category"])
        ).scalar()
        if path is None:
            raise NotFound("category", params["category"])
    item_type = params.get("type") or None
    if item_type is not None and item_type not in {str(t) for t in ItemType}:
        raise InvalidInput(
            f"type must be one of {', '.join(str(t) for t in ItemType)}",
            code="invalid_item_type",
            allowed=[str(t) for t in ItemType],
        )
    the_item = item_id(conn, params["item"]) if params.get("item") else None
    supplier = None
    if params.get("supplier"):
        supplier = conn.execute(
            select(partners.c.id).where(
                partners.c.code == params["supplier"], partners.c.is_supplier.is_(True)
            )
        ).scalar()
        if supplier is None:
            raise NotFound("supplier", params["supplier"])
    return Scope(warehouses, filtered, path, item_type, the_item, supplier)


def read_query(
    conn: Connection,
    spec: Spec,
    params: Mapping[str, str],
    now: datetime,
    visible: Warehouses = None,
    *,
    today: date | None = None,
) -> ReportQuery:
    """The query ``params`` (text, as a face received them) ask of ``spec``, for a reader who
    sees ``visible`` warehouses (None: all). Raises InvalidInput (``invalid_report_date``,
    ``period_reversed``, ``period_too_long``, ``invalid_report_option``,
    ``invalid_item_type``) and NotFound (an unknown warehouse, category, item or supplier)."""
    zone = ZoneInfo(read_company(conn).time_zone)
    today = today or now.astimezone(zone).date()
    clean = {k: v.strip() for k, v in params.items() if isinstance(v, str) and v.strip()}
    scope = _scope(conn, clean, visible)
    options = {o.name: o.read(clean.get(o.name)) for o in spec.options}
    if spec.time == "as_of":
        at_day = read_day("at", clean["at"]) if clean.get("at") else None
        at = day_end(at_day, zone) if at_day is not None and at_day < today else now
        asked = ReportQuery(spec.name, scope, now, zone, at, at_day, options=options, params=clean)
        if spec.check is not None:
            spec.check(asked)
        return asked
    end = read_day("end", clean["end"]) if clean.get("end") else today
    start = read_day("start", clean["start"]) if clean.get("start") else end - timedelta(days=364)
    if start > end:
        raise InvalidInput(
            "the period's start is after its end", code="period_reversed", start=str(start),
            end=str(end),
        )  # fmt: skip
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(
            f"a period covers at most {MAX_PERIOD_DAYS} days",
            code="period_too_long",
            most=MAX_PERIOD_DAYS,
        )
    opening = day_end(start - timedelta(days=1), zone)
    closing = day_end(end, zone) if end < today else now
    asked = ReportQuery(
        spec.name, scope, now, zone, closing, None, start, end, opening, closing, options, clean
    )
    if spec.check is not None:
        spec.check(asked)
    return asked


def bucket(column: Any, bounds: Sequence[datetime], first: int = 0) -> Any:
    """The index (from ``first``) of the first of ``bounds`` (ascending) at or after
    ``column``, ``first + len(bounds)`` after them all: as nested CASEs halving the bounds, so
    a row takes about log2(n) comparisons, not n."""
    if len(bounds) <= 4:
        whens = [(column <= at, first + k) for k, at in enumerate(bounds)]
        return case(*whens, else_=first + len(bounds)) if whens else literal(first)
    middle = len(bounds) // 2
    return case(
        (column <= bounds[middle - 1], bucket(column, bounds[:middle], first)),
        else_=bucket(column, bounds[middle:], first + middle),
    )


def column_sums(
    columns: Sequence[Column], rows: Sequence[tuple[Any, ...]], summed: Callable[[Column], bool]
) -> tuple[Any, ...]:
    """A totals row: the sum over ``rows`` of each column ``summed`` picks, None elsewhere."""
    zero = Decimal(0)
    return tuple(
        from_scaled(to_scaled(sum((row[i] for row in rows if row[i] is not None), zero)))
        if summed(c)
        else None
        for i, c in enumerate(columns)
    )


def ordered(rows: Sequence[tuple[Any, ...]], key: int, label: int) -> list[tuple[Any, ...]]:
    """Rows by the figure at ``key`` descending, then by the label at ``label``."""
    return sorted(rows, key=lambda row: (-(row[key] or 0), str(row[label])))
