"""What a new count covers (issue 14): the scope of ``NewCount`` read from its codes (zones,
locations, items, categories of the warehouse), narrowed with ``plan`` to the places the
cycle-count plan says are due (``queries.cycle_counts``); and the paths a scope compares."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, select

from cangku.db import lookups
from cangku.db.tables import categories, items, locations
from cangku.domain.counts import Scope
from cangku.domain.errors import InvalidInput, NotFound, RuleViolation
from cangku.queries.cycle_counts import due_now

__all__ = ["MAX_PLAN_PLACES", "NewCount", "item_categories", "location_paths", "scope_of"]

#: the most places one count of the plan takes
MAX_PLAN_PLACES = 100_000


@dataclass(frozen=True)
class NewCount:
    warehouse: str
    #: location codes: a zone counts everything under it
    zones: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    #: category codes: an item in it or under it
    categories: list[str] = field(default_factory=list)
    #: the counters do not see the expected figures
    blind: bool = False
    note: str | None = None
    #: start at once (the snapshot taken now)
    start: bool = False
    #: count what the cycle-count plan says is due today (within the other limits), the most
    #: overdue ``limit`` places of it when given
    plan: bool = False
    limit: int | None = None


def scope_of(conn: Connection, warehouse_id: int, command: NewCount, today: date) -> Scope:
    """What ``command`` covers in the warehouse (the places due ``today`` with ``plan``).
    Raises NotFound (location, item, category), InvalidInput ``location_not_in_warehouse`` /
    ``invalid_limit``, RuleViolation ``nothing_due``."""
    places = lookups.locations_by_codes(conn, sorted(set(command.zones) | set(command.locations)))
    for code in (*command.zones, *command.locations):
        place = places.get(code)
        if place is None:
            raise NotFound("location", code)
        if place.warehouse_id != warehouse_id:
            raise InvalidInput(
                f"{code} is not in the count's warehouse",
                code="location_not_in_warehouse",
                location=code,
            )
    paths = dict(
        conn.execute(
            select(locations.c.code, locations.c.path).where(
                locations.c.code.in_(sorted(set(command.zones)))
            )
        ).all()
    )
    found = lookups.items_by_codes(conn, sorted(set(command.items)))
    for code in command.items:
        if code not in found:
            raise NotFound("item", code)
    tree = dict(
        conn.execute(
            select(categories.c.code, categories.c.path).where(
                categories.c.code.in_(sorted(set(command.categories)))
            )
        ).all()
    )
    for code in command.categories:
        if code not in tree:
            raise NotFound("category", code)
    scope = Scope(
        warehouse_id,
        tuple(str(paths[z]) for z in command.zones),
        tuple(places[c].id for c in command.locations),
        tuple(found[c].id for c in command.items),
        tuple(str(tree[c]) for c in command.categories),
    )
    return _planned(conn, scope, command, today) if command.plan else scope


def _planned(conn: Connection, scope: Scope, command: NewCount, today: date) -> Scope:
    """The scope narrowed to the places due today (the most overdue ``limit`` of those the
    other limits keep). Raises InvalidInput ``invalid_limit``, RuleViolation ``nothing_due``."""
    if command.limit is not None and not 1 <= command.limit <= MAX_PLAN_PLACES:
        raise InvalidInput(
            f"a plan's count takes 1 to {MAX_PLAN_PLACES} places, not {command.limit}",
            code="invalid_limit",
            limit=command.limit,
        )
    due = due_now(conn, scope.warehouse_id, today)
    # an item's category matters only to a scope limited to categories
    wanted = sorted({d.place.item_id for d in due}) if scope.categories else []
    categories = item_categories(conn, wanted) if wanted else {}
    kept = [
        (d.place.item_id, d.place.location_id)
        for d in due
        if scope.covers(
            scope.warehouse_id,
            d.place.location_id,
            d.place.location_path,
            d.place.item_id,
            categories.get(d.place.item_id),
        )
    ][: command.limit or MAX_PLAN_PLACES]
    if not kept:
        raise RuleViolation(
            f"nothing is due for counting in {command.warehouse} on {today}",
            code="nothing_due",
            warehouse=command.warehouse,
        )
    return replace(scope, plan=True, places=frozenset(kept))


def _ids(column: Any, ids: list[int]) -> Any:
    # integers rendered into the statement: no parameter per id (SQLite allows 32,766)
    return column.in_(bindparam("ids", sorted(set(ids)), expanding=True, literal_execute=True))


def location_paths(conn: Connection, location_ids: list[int]) -> dict[int, str]:
    """Per location id: its path."""
    return {
        int(r[0]): str(r[1])
        for r in conn.execute(
            select(locations.c.id, locations.c.path).where(_ids(locations.c.id, location_ids))
        )
    }


def item_categories(conn: Connection, item_ids: list[int]) -> dict[int, str]:
    """Per item id with a category: the category's path."""
    rows = conn.execute(
        select(items.c.id, categories.c.path)
        .join(categories, categories.c.id == items.c.category_id)
        .where(_ids(items.c.id, item_ids))
    )
    return {int(r[0]): str(r[1]) for r in rows}
