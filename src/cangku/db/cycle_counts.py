"""The cycle-count plan's rows: consumption per item (what ABC ranks), the ABC runs kept per
period, the counting frequencies, the places holding stock and when each was last counted,
the places a plan count covers, and the posted counts' lines (for their accuracy)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, case, delete, func, insert, select, update
from sqlalchemy.sql import ColumnElement

from cangku.db.tables import (
    abc_classes,
    abc_runs,
    balances,
    count_frequencies,
    count_lines,
    count_plan_places,
    documents,
    locations,
    moves,
)
from cangku.domain.counts import CountLine
from cangku.domain.enums import STORAGE_KINDS, LocationKind

__all__ = [
    "AbcRun",
    "ItemClass",
    "PostedCount",
    "consumption",
    "first_move_at",
    "weekly_demand",
    "frequencies",
    "last_counted",
    "latest_run",
    "plan_places",
    "posted_counts",
    "run_classes",
    "set_frequency",
    "stocked_places",
    "write_plan_places",
    "write_run",
]

#: where consumption goes: issues to customers and to production
_CONSUMERS = sorted(str(k) for k in (LocationKind.CUSTOMER, LocationKind.PRODUCTION))
_STORAGE = sorted(str(k) for k in STORAGE_KINDS)


def _consumed(warehouse_id: int, amount: Any, *columns: Any) -> tuple[Any, Any]:
    """(a select of ``columns`` and the signed ``amount`` from the moves issued from the
    warehouse to customers and production, less those back from them; the signed amount)."""
    source = locations.alias("source")
    target = locations.alias("target")
    outward = (source.c.warehouse_id == warehouse_id) & target.c.kind.in_(_CONSUMERS)
    inward = (target.c.warehouse_id == warehouse_id) & source.c.kind.in_(_CONSUMERS)
    signed = case((outward, amount), else_=-amount)
    query = (
        select(*columns, func.sum(signed))
        .join_from(moves, source, source.c.id == moves.c.from_location_id)
        .join(target, target.c.id == moves.c.to_location_id)
        .where(outward | inward)
    )
    return query, signed


def consumption(
    conn: Connection, warehouse_id: int, start: datetime, end: datetime
) -> dict[int, int]:
    """Per item: the value (scaled money, at the moves' cost) issued from the warehouse to
    customers and production with an effective time in [start, end), less what came back
    from them into it. One statement."""
    query, _ = _consumed(warehouse_id, moves.c.value, moves.c.item_id)
    rows = conn.execute(
        query.where(moves.c.effective_at >= start, moves.c.effective_at < end).group_by(
            moves.c.item_id
        )
    )
    return {int(item): int(value or 0) for item, value in rows}


def first_move_at(conn: Connection, warehouse_id: int) -> datetime | None:
    """When the warehouse's ledger begins (the earliest effective time of its chain)."""
    found: datetime | None = conn.execute(
        select(func.min(moves.c.effective_at)).where(moves.c.warehouse_id == warehouse_id)
    ).scalar()
    return found


def weekly_demand(
    conn: Connection, warehouse_id: int, bounds: Sequence[datetime]
) -> dict[int, list[int]]:
    """Per item with demand: the net quantity (scaled base units) issued from the warehouse to
    customers and production in each week [bounds[i], bounds[i + 1]), less returns. One
    statement (the week found by a CASE over the bounds: exact across clock changes)."""
    weeks = len(bounds) - 1
    week = case(
        *((moves.c.effective_at < bound, index) for index, bound in enumerate(bounds[1:-1])),
        else_=weeks - 1,
    ).label("week")
    query, _ = _consumed(warehouse_id, moves.c.quantity, moves.c.item_id, week)
    rows = conn.execute(
        query.where(moves.c.effective_at >= bounds[0], moves.c.effective_at < bounds[-1]).group_by(
            moves.c.item_id, week
        )
    )
    out: dict[int, list[int]] = {}
    for item, index, quantity in rows:
        out.setdefault(int(item), [0] * weeks)[int(index)] = int(quantity or 0)
    return out


@dataclass(frozen=True)
class AbcRun:
    id: int
    warehouse_id: int
    period_start: date
    period_end: date
    computed_at: datetime
    computed_by: int
    total: int
    #: the whole weeks XYZ was computed over (None: a run from before XYZ)
    weeks: int | None = None


@dataclass(frozen=True)
class ItemClass:
    """An item's classes in a run: ABC by its consumption value (scaled money), XYZ by the
    coefficient of variation of its weekly demand (scaled by 10**6; None: no demand)."""

    abc: str
    consumption: int
    xyz: str | None = None
    demand_cv: int | None = None


def write_run(
    conn: Connection,
    warehouse_id: int,
    period: tuple[date, date],
    now: datetime,
    user_id: int,
    classes: Mapping[int, ItemClass],
    weeks: int | None = None,
) -> int:
    """Keep one computation: the run and each item's classes. Answers its id."""
    total = sum(max(c.consumption, 0) for c in classes.values())
    run_id = int(
        conn.execute(
            insert(abc_runs)
            .values(
                warehouse_id=warehouse_id,
                period_start=period[0],
                period_end=period[1],
                computed_at=now,
                computed_by=user_id,
                total=total,
                weeks=weeks,
            )
            .returning(abc_runs.c.id)
        ).scalar_one()
    )
    if classes:
        conn.execute(
            insert(abc_classes),
            [
                {"run_id": run_id, "item_id": item, "abc_class": c.abc,
                 "consumption": c.consumption, "xyz_class": c.xyz, "demand_cv": c.demand_cv}
                for item, c in sorted(classes.items())
            ],
        )  # fmt: skip
    return run_id


def latest_run(conn: Connection, warehouse_id: int) -> AbcRun | None:
    row = conn.execute(
        select(abc_runs)
        .where(abc_runs.c.warehouse_id == warehouse_id)
        .order_by(abc_runs.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else AbcRun(*row)


def run_classes(conn: Connection, run_id: int) -> dict[int, ItemClass]:
    """Per item of a run: its classes."""
    rows = conn.execute(
        select(
            abc_classes.c.item_id,
            abc_classes.c.abc_class,
            abc_classes.c.consumption,
            abc_classes.c.xyz_class,
            abc_classes.c.demand_cv,
        ).where(abc_classes.c.run_id == run_id)
    )
    return {
        int(item): ItemClass(
            str(abc), int(value), None if xyz is None else str(xyz), None if cv is None else int(cv)
        )
        for item, abc, value, xyz, cv in rows
    }


def frequencies(conn: Connection) -> tuple[dict[str, int], dict[int, tuple[str, str, int]]]:
    """(days per class, per location id: (its code, its path, days))."""
    rows = conn.execute(
        select(
            count_frequencies.c.abc_class,
            count_frequencies.c.location_id,
            locations.c.code,
            locations.c.path,
            count_frequencies.c.days,
        ).outerjoin(locations, locations.c.id == count_frequencies.c.location_id)
    )
    by_class: dict[str, int] = {}
    by_location: dict[int, tuple[str, str, int]] = {}
    for cls, location_id, code, path, days in rows:
        if cls is not None:
            by_class[str(cls)] = int(days)
        else:
            by_location[int(location_id)] = (str(code), str(path), int(days))
    return by_class, by_location


def set_frequency(
    conn: Connection,
    *,
    abc_class: str | None = None,
    location_id: int | None = None,
    days: int | None,
    user_id: int,
    now: datetime,
) -> None:
    """Set (or, with ``days`` None, remove) the frequency of a class or a location."""
    key: ColumnElement[bool] = (
        count_frequencies.c.abc_class == abc_class
        if abc_class is not None
        else count_frequencies.c.location_id == location_id
    )
    if days is None:
        conn.execute(delete(count_frequencies).where(key))
        return
    values = {"days": days, "updated_by": user_id, "updated_at": now}
    if conn.execute(update(count_frequencies).where(key).values(**values)).rowcount == 0:
        conn.execute(
            insert(count_frequencies).values(abc_class=abc_class, location_id=location_id, **values)
        )


def stocked_places(conn: Connection, warehouse_id: int) -> list[tuple[int, int, str]]:
    """The places (item id, location id, location path) in the warehouse's storage locations
    that hold stock now, in id order."""
    rows = conn.execute(
        select(balances.c.item_id, balances.c.location_id, locations.c.path)
        .join_from(balances, locations, locations.c.id == balances.c.location_id)
        .where(
            balances.c.warehouse_id == warehouse_id,
            balances.c.on_hand != 0,
            locations.c.kind.in_(_STORAGE),
        )
        .group_by(balances.c.item_id, balances.c.location_id, locations.c.path)
        .order_by(balances.c.item_id, balances.c.location_id)
    )
    return [(int(i), int(loc), str(path)) for i, loc, path in rows]


def _posted_counts(warehouse_id: int) -> ColumnElement[bool]:
    return (
        (documents.c.doc_type == "count")
        & (documents.c.state == "posted")
        & (documents.c.warehouse_id == warehouse_id)
    )


def last_counted(conn: Connection, warehouse_id: int) -> dict[tuple[int, int], datetime]:
    """Per place (item id, location id): when it was last counted in a posted count."""
    rows = conn.execute(
        select(count_lines.c.item_id, count_lines.c.location_id, func.max(count_lines.c.counted_at))
        .join_from(count_lines, documents, documents.c.id == count_lines.c.document_id)
        .where(_posted_counts(warehouse_id), count_lines.c.counted_at.is_not(None))
        .group_by(count_lines.c.item_id, count_lines.c.location_id)
    )
    return {(int(i), int(loc)): at for i, loc, at in rows}


def write_plan_places(
    conn: Connection, document_id: int, places: Iterable[tuple[int, int]]
) -> None:
    rows = [{"document_id": document_id, "item_id": i, "location_id": loc} for i, loc in places]
    if rows:
        conn.execute(insert(count_plan_places), rows)


def plan_places(conn: Connection, document_id: int) -> frozenset[tuple[int, int]]:
    rows = conn.execute(
        select(count_plan_places.c.item_id, count_plan_places.c.location_id).where(
            count_plan_places.c.document_id == document_id
        )
    )
    return frozenset((int(i), int(loc)) for i, loc in rows)


@dataclass(frozen=True)
class PostedCount:
    document_id: int
    number: str
    posted_at: datetime | None
    lines: Sequence[CountLine]


def posted_counts(
    conn: Connection, warehouse_id: int, limit: int, offset: int = 0
) -> list[PostedCount]:
    """The warehouse's posted counts, newest first, ``limit`` from ``offset``, with their
    lines (two statements)."""
    heads = conn.execute(
        select(documents.c.id, documents.c.number, documents.c.updated_at)
        .where(_posted_counts(warehouse_id))
        .order_by(documents.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    ids = [int(h[0]) for h in heads]
    lines: dict[int, list[CountLine]] = {i: [] for i in ids}
    if ids:
        rows = conn.execute(
            select(
                count_lines.c.document_id,
                count_lines.c.expected,
                count_lines.c.moved,
                count_lines.c.counted,
                count_lines.c.unit_cost,
            ).where(count_lines.c.document_id.in_(ids))
        )
        for doc, expected, moved, counted, cost in rows:
            lines[int(doc)].append(
                CountLine(
                    int(expected),
                    int(moved or 0),
                    None if counted is None else int(counted),
                    int(cost or 0),
                )
            )
    return [PostedCount(int(i), str(n), at, lines[int(i)]) for i, n, at in heads]
