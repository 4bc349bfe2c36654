"""The cycle-count plan as its faces show it (issue 14): the places due for counting (or every
place that holds stock, with when it was last counted and when it falls due), the ABC classes
the plan used, the frequencies, and each posted count's accuracy.

Days are the company's: a count at 23:30 UTC in Shanghai counts for the next day there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from cangku.db import cycle_counts as store
from cangku.db.company import read_company
from cangku.db.tables import items, locations, users, warehouses
from cangku.domain.counts import accuracy, variance
from cangku.domain.cycle_counts import (
    ABC_CLASSES,
    XYZ_CLASSES,
    DuePlace,
    Place,
    due_places,
    frequency_of,
)
from cangku.domain.errors import NotFound
from cangku.domain.quantities import from_scaled
from cangku.queries.common import check_paging

__all__ = [
    "AbcView",
    "CountAccuracy",
    "DueList",
    "DueRow",
    "Frequencies",
    "abc_view",
    "accuracy_history",
    "company_today",
    "due_list",
    "due_now",
    "frequencies_view",
    "warehouse_id_of",
]


def warehouse_id_of(conn: Connection, code: str) -> int:
    """Raises NotFound (warehouse)."""
    found = conn.execute(select(warehouses.c.id).where(warehouses.c.code == code)).scalar()
    if found is None:
        raise NotFound("warehouse", code)
    return int(found)


def company_today(conn: Connection) -> date:
    """Today in the company's time zone."""
    return datetime.now(UTC).astimezone(ZoneInfo(read_company(conn).time_zone)).date()


def _local_day(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def _places(conn: Connection, warehouse_id: int) -> list[Place]:
    """Every place holding stock in the warehouse with its item's class (the latest ABC run's;
    C without one) and its last count's day. Four statements."""
    run = store.latest_run(conn, warehouse_id)
    classes = {} if run is None else store.run_classes(conn, run.id)
    counted = store.last_counted(conn, warehouse_id)
    zone = ZoneInfo(read_company(conn).time_zone)
    out = []
    for item_id, location_id, path in store.stocked_places(conn, warehouse_id):
        at = counted.get((item_id, location_id))
        out.append(
            Place(
                item_id,
                location_id,
                path,
                classes[item_id].abc if item_id in classes else "C",
                None if at is None else _local_day(at, zone),
            )
        )
    return out


def _frequencies(conn: Connection) -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    """(days per class, days per location path, location code per path)."""
    by_class, by_location = store.frequencies(conn)
    return (
        by_class,
        {path: days for _, path, days in by_location.values()},
        {path: code for code, path, _ in by_location.values()},
    )


def due_now(conn: Connection, warehouse_id: int, today: date) -> list[DuePlace]:
    """The warehouse's places due for counting on ``today``, most overdue first."""
    by_class, by_path, _ = _frequencies(conn)
    return due_places(_places(conn, warehouse_id), today, by_class, by_path)


@dataclass(frozen=True)
class DueRow:
    item: str
    item_name: str
    location: str
    abc_class: str
    #: how often it is counted, and why: its class ("A") or the location that sets it
    days: int
    source: str
    last_counted: date | None
    #: the day it falls (or fell) due; None: never counted, due now
    due_on: date | None
    due: bool


@dataclass(frozen=True)
class DueList:
    warehouse: str
    today: date
    #: places holding stock, and how many of them are due
    places: int
    due: int
    #: the ABC run the classes come from (None: none computed yet, every item is C)
    abc_run_id: int | None
    rows: Sequence[DueRow]


def due_list(
    conn: Connection,
    warehouse: str,
    today: date,
    *,
    every_place: bool = False,
    limit: int = 500,
    offset: int = 0,
) -> DueList:
    """The places due (most overdue first), or with ``every_place`` every place holding stock
    (due first, then by the day it falls due) with its last count; ``limit`` rows from
    ``offset``.
    Raises NotFound (warehouse), InvalidInput ``invalid_limit`` / ``invalid_offset``."""
    check_paging(limit, offset)
    warehouse_id = warehouse_id_of(conn, warehouse)
    by_class, by_path, codes = _frequencies(conn)
    places = _places(conn, warehouse_id)
    due = due_places(places, today, by_class, by_path)
    chosen: list[tuple[Place, int, str, date | None, bool]] = [
        (d.place, d.days, d.source, d.due_on, True) for d in due
    ]
    if every_place:
        due_keys = {(d.place.item_id, d.place.location_id) for d in due}
        later = []
        for place in places:
            if (place.item_id, place.location_id) in due_keys or place.last_counted is None:
                continue
            days, source = frequency_of(place.location_path, place.abc_class, by_class, by_path)
            later.append((place, days, source, _due_on(place.last_counted, days), False))
        later.sort(key=lambda r: (r[3], r[0].item_id, r[0].location_id))
        chosen += later
    chosen = chosen[offset : offset + limit]
    names = _names(conn, {p.item_id for p, *_ in chosen}, {p.location_id for p, *_ in chosen})
    run = store.latest_run(conn, warehouse_id)
    rows = [
        DueRow(
            names.items[p.item_id][0],
            names.items[p.item_id][1],
            names.locations[p.location_id],
            p.abc_class,
            days,
            codes.get(source, source),
            p.last_counted,
            due_on,
            is_due,
        )
        for p, days, source, due_on, is_due in chosen
    ]
    return DueList(warehouse, today, len(places), len(due), None if run is None else run.id, rows)


def _due_on(last: date, days: int) -> date:
    return last + timedelta(days=days)


@dataclass(frozen=True)
class _Names:
    items: dict[int, tuple[str, str]]
    locations: dict[int, str]


def _names(conn: Connection, item_ids: set[int], location_ids: set[int]) -> _Names:
    found_items = {
        int(i): (str(code), str(name))
        for i, code, name in conn.execute(
            select(items.c.id, items.c.code, items.c.name).where(items.c.id.in_(item_ids))
        )
    }
    found_locations = {
        int(i): str(code)
        for i, code in conn.execute(
            select(locations.c.id, locations.c.code).where(locations.c.id.in_(location_ids))
        )
    }
    return _Names(found_items, found_locations)


@dataclass(frozen=True)
class AbcClassTotal:
    abc_class: str
    items: int
    consumption: Decimal
    #: its share of the consumption value, percent (one decimal)
    share: Decimal


@dataclass(frozen=True)
class AbcItem:
    item: str
    item_name: str
    abc_class: str
    consumption: Decimal
    #: X, Y or Z by the variability of the weekly demand (None: a run from before XYZ)
    xyz_class: str | None = None
    #: the coefficient of variation of the weekly demand (None: no demand)
    demand_cv: Decimal | None = None


@dataclass(frozen=True)
class MatrixCell:
    """The items of one ABC class and one XYZ class, and their consumption value."""

    abc_class: str
    xyz_class: str
    items: int
    consumption: Decimal


@dataclass(frozen=True)
class AbcView:
    warehouse: str
    run_id: int
    period_start: date
    period_end: date
    computed_at: datetime
    computed_by: str
    total: Decimal
    classes: Sequence[AbcClassTotal]
    #: the items, largest consumption first (at most ``limit``)
    items: Sequence[AbcItem]
    #: the whole weeks the XYZ classes come from (None: a run from before XYZ)
    weeks: int | None = None
    #: ABC x XYZ: nine cells, A-X first (empty without XYZ)
    matrix: Sequence[MatrixCell] = ()


def abc_view(
    conn: Connection, warehouse: str, *, limit: int = 100, offset: int = 0
) -> AbcView | None:
    """The warehouse's latest ABC classes (None: never computed). Raises NotFound,
    InvalidInput ``invalid_limit`` / ``invalid_offset``."""
    check_paging(limit, offset)
    warehouse_id = warehouse_id_of(conn, warehouse)
    run = store.latest_run(conn, warehouse_id)
    if run is None:
        return None
    classes = store.run_classes(conn, run.id)
    totals = []
    for cls in ABC_CLASSES:
        mine = [c.consumption for c in classes.values() if c.abc == cls]
        value = sum(max(v, 0) for v in mine)
        share = Decimal(0) if run.total == 0 else Decimal(100 * value) / Decimal(run.total)
        totals.append(
            AbcClassTotal(cls, len(mine), from_scaled(value), share.quantize(Decimal("0.1")))
        )
    top = sorted(classes.items(), key=lambda kv: (-kv[1].consumption, kv[0]))
    top = top[offset : offset + limit]
    names = _names(conn, {i for i, _ in top}, set()).items
    who = conn.execute(select(users.c.username).where(users.c.id == run.computed_by)).scalar()
    return AbcView(
        warehouse,
        run.id,
        run.period_start,
        run.period_end,
        run.computed_at,
        str(who),
        from_scaled(run.total),
        totals,
        [_abc_item(names[i], c) for i, c in top],
        run.weeks,
        _matrix(classes) if run.weeks is not None else (),
    )


def _abc_item(name: tuple[str, str], c: store.ItemClass) -> AbcItem:
    cv = None if c.demand_cv is None else Decimal(c.demand_cv) / 10**6
    return AbcItem(*name, c.abc, from_scaled(c.consumption), c.xyz, cv)


def _matrix(classes: dict[int, store.ItemClass]) -> list[MatrixCell]:
    cells = []
    for abc in ABC_CLASSES:
        for xyz in XYZ_CLASSES:
            mine = [c.consumption for c in classes.values() if c.abc == abc and c.xyz == xyz]
            cells.append(MatrixCell(abc, xyz, len(mine), from_scaled(sum(max(v, 0) for v in mine))))
    return cells


@dataclass(frozen=True)
class Frequencies:
    #: days per class as they apply (the company's setting, else the default)
    classes: dict[str, int]
    #: the classes the company set itself
    set_classes: tuple[str, ...]
    #: (location code, days), by code
    locations: Sequence[tuple[str, int]]


def frequencies_view(conn: Connection) -> Frequencies:
    by_class, by_location = store.frequencies(conn)
    applied = {
        cls: frequency_of("", cls, by_class, {})[0]  # no location: the class's
        for cls in ABC_CLASSES
    }
    return Frequencies(
        applied,
        tuple(sorted(by_class)),
        sorted((code, days) for code, _, days in by_location.values()),
    )


@dataclass(frozen=True)
class CountAccuracy:
    number: str
    posted_at: datetime | None
    lines_counted: int
    lines_right: int
    #: lines right / lines counted, percent (one decimal); None with no line counted
    accuracy: Decimal | None
    #: the differences' value: net, and the sum of their absolute values (None: hidden)
    net_variance: Decimal | None
    absolute_variance: Decimal | None


def accuracy_history(
    conn: Connection,
    warehouse: str,
    *,
    limit: int = 12,
    offset: int = 0,
    show_value: bool = True,
) -> list[CountAccuracy]:
    """The warehouse's last ``limit`` posted counts, newest first, with their accuracy (lines
    right / lines counted) and value variance. Raises NotFound (warehouse), InvalidInput
    ``invalid_limit`` / ``invalid_offset``."""
    check_paging(limit, offset)
    out = []
    for count in store.posted_counts(conn, warehouse_id_of(conn, warehouse), limit, offset):
        right, counted = accuracy(count.lines)
        net, absolute = variance(count.lines)
        rate = (
            None
            if counted == 0
            else (Decimal(100 * right) / Decimal(counted)).quantize(Decimal("0.1"))
        )
        out.append(
            CountAccuracy(
                count.number,
                count.posted_at,
                counted,
                right,
                rate,
                from_scaled(net) if show_value else None,
                from_scaled(absolute) if show_value else None,
            )
        )
    return out
