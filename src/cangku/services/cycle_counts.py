"""The cycle-count plan (循环盘点): compute and keep a warehouse's ABC classes from the last
months' consumption value, set how often each class or location is counted. What is due is a
query (``queries.cycle_counts``); a count of the plan is raised with ``NewCount(plan=True)``
(``services.counts``). ADR 0026."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cangku.db import cycle_counts as store
from cangku.db import lookups
from cangku.db.company import read_company
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.counts import abc_classes
from cangku.domain.cycle_counts import ABC_CLASSES, check_days, xyz_class
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.permissions import Actor
from cangku.queries.cycle_counts import warehouse_id_of
from cangku.services.common import Context, run_write
from cangku.services.company import COMPANY_MANAGE
from cangku.services.counts import COUNT_APPROVE

__all__ = ["AbcResult", "months_before", "recompute_abc", "set_frequencies"]

MAX_MONTHS = 60


@dataclass(frozen=True)
class AbcResult:
    run_id: int
    warehouse: str
    period_start: date
    period_end: date
    #: items per class
    items: dict[str, int]
    replayed: bool = False


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it has no such day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def _week_bounds(start: date, end: date, zone: ZoneInfo) -> list[datetime]:
    """The bounds of the whole weeks of [start, end] that end with ``end`` (local midnights;
    the days before the first whole week are left out of the XYZ figures)."""
    weeks = ((end - start).days + 1) // 7
    last = end + timedelta(days=1)
    return [
        datetime.combine(last - timedelta(days=7 * (weeks - k)), time(), zone)
        for k in range(weeks + 1)
    ]


def _check_months(months: int) -> int:
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(
            f"ABC classes look back 1 to {MAX_MONTHS} months, not {months}",
            code="invalid_months",
            months=months,
        )
    return months


def recompute_abc(
    db: Database, ctx: Context, warehouse: str, *, months: int = 12, today: date | None = None
) -> AbcResult:
    """Rank the warehouse's items by consumption value (issues to customers and production,
    less returns, at the moves' cost) over the ``months`` before today (the company's days,
    today included) and keep the classes as a new run: A the first 80 % of the value, B the
    next 15 %, C the rest and every item with none that holds stock there. Raises NotFound
    (warehouse), InvalidInput ``invalid_months``, PermissionDenied (``count.approve``).
    Each item's XYZ class comes from its weekly demand (quantity issued to customers and
    production, less returns) over the period's whole weeks ending today (those since the
    warehouse's ledger began): X when the
    coefficient of variation is at most 0.5, Y at most 1.0, Z above or with no demand.
    Writes the run and its classes, and the audit entry."""
    _check_months(months)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        warehouse_id = warehouse_id_of(conn, warehouse)
        actor.require(COUNT_APPROVE, warehouse_id)
        zone = ZoneInfo(read_company(conn).time_zone)
        end = today or now.astimezone(zone).date()
        start = months_before(end, months) + timedelta(days=1)
        value = store.consumption(
            conn,
            warehouse_id,
            datetime.combine(start, time(), zone),
            datetime.combine(end + timedelta(days=1), time(), zone),
        )
        for item_id, _, _ in store.stocked_places(conn, warehouse_id):
            value.setdefault(item_id, 0)
        ranked = abc_classes(value)
        # weeks before the warehouse's ledger began are no demand, only no history
        began = store.first_move_at(conn, warehouse_id)
        history = start if began is None else max(start, began.astimezone(zone).date())
        weeks = _week_bounds(history, end, zone)
        demand = store.weekly_demand(conn, warehouse_id, weeks) if len(weeks) > 1 else {}
        classes = {}
        for item, cls in ranked.items():
            xyz, cv = xyz_class(demand.get(item, []))
            classes[item] = store.ItemClass(cls, value[item], xyz, cv)
        run_id = store.write_run(
            conn, warehouse_id, (start, end), now, actor.user_id, classes, len(weeks) - 1
        )
        counts = {cls: sum(1 for c in ranked.values() if c == cls) for cls in ABC_CLASSES}
        return {"run_id": run_id, "start": start.isoformat(), "end": end.isoformat(), **counts}

    payload = {"warehouse": warehouse, "months": months, "today": today and today.isoformat()}
    result, replayed = run_write(
        db, ctx, COUNT_APPROVE, payload, work, target_type="abc_run", target=warehouse
    )
    return AbcResult(
        int(result["run_id"]),
        warehouse,
        date.fromisoformat(result["start"]),
        date.fromisoformat(result["end"]),
        {cls: int(result[cls]) for cls in ABC_CLASSES},
        replayed,
    )


def set_frequencies(
    db: Database,
    ctx: Context,
    *,
    classes: Mapping[str, int | None] | None = None,
    locations: Mapping[str, int | None] | None = None,
) -> None:
    """Set how often places are counted, in days (None removes the setting: a class falls back
    to the default, a location to its items' classes). A class's frequency is the company's
    (``company.manage``); a location's (it and everything under it) needs ``count.approve``
    in its warehouse. Raises InvalidInput ``invalid_frequency`` / ``invalid_abc_class`` /
    ``no_changes``, NotFound (location), PermissionDenied. Writes the frequencies and the audit
    entry."""
    classes, locations = dict(classes or {}), dict(locations or {})
    if not classes and not locations:
        raise InvalidInput("say which frequencies to set", code="no_changes")
    for cls, days in classes.items():
        if cls not in ABC_CLASSES:
            raise InvalidInput(
                f"an ABC class is A, B or C, not {cls!r}", code="invalid_abc_class", abc_class=cls
            )
        if days is not None:
            check_days(days, what=cls)
    for code, days in locations.items():
        if days is not None:
            check_days(days, what=code)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        if classes:
            actor.require(COMPANY_MANAGE)
        found = lookups.locations_by_codes(conn, sorted(locations))
        for code in sorted(locations):
            place = found.get(code)
            if place is None:
                raise NotFound("location", code)
            actor.require(COUNT_APPROVE, place.warehouse_id)
        for cls, days in sorted(classes.items()):
            store.set_frequency(conn, abc_class=cls, days=days, user_id=actor.user_id, now=now)
        for code, days in sorted(locations.items()):
            location_id = found[code].id
            store.set_frequency(
                conn, location_id=location_id, days=days, user_id=actor.user_id, now=now
            )
        return {"classes": classes, "locations": locations}

    action = COUNT_APPROVE if locations else COMPANY_MANAGE
    payload = {"classes": classes, "locations": locations}
    run_write(db, ctx, action, payload, work, target_type="count_frequency")
