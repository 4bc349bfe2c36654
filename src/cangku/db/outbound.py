"""What outbound steps load and write, a set at a time: customers, the stock a request may be
allocated from, approval rules.

The reservation rows (``allocations``) and the balances' reserved figures they add up to are
``db.allocations``'; its names are importable from here as well.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    delete,
    insert,
    or_,
    select,
)

from cangku.db import driver
from cangku.db.allocations import (
    AllocationRow,
    add_allocations,
    allocations_of,
    bare_allocations,
    change_reserved,
    clear_pick_lines,
    members,
    remove_allocations,
    set_pick_lines,
)
from cangku.db.tables import (
    approval_rules,
    items,
    locations,
    partners,
    roles,
    user_roles,
    warehouses,
)
from cangku.domain.allocation import Candidate
from cangku.domain.enums import LocationKind
from cangku.domain.errors import NotFound, RuleViolation
from cangku.domain.outbound import ApprovalRule

__all__ = [
    "AllocationRow",
    "Customer",
    "Demand",
    "add_allocations",
    "allows_expired",
    "allocations_of",
    "approval_rules_of",
    "bare_allocations",
    "candidates",
    "change_reserved",
    "clear_pick_lines",
    "customer",
    "delete_rule",
    "insert_rule",
    "item_strategies",
    "lock_items",
    "remove_allocations",
    "roles_of",
    "set_pick_lines",
    "shipping_location",
]


@dataclass(frozen=True)
class Customer:
    id: int
    code: str
    name: str
    address: str | None


def customer(conn: Connection, code: str) -> Customer:
    """An active customer by code. Raises NotFound ``partner_not_found``, RuleViolation
    ``not_a_customer`` / ``partner_inactive``."""
    row = conn.execute(
        select(
            partners.c.id,
            partners.c.code,
            partners.c.name,
            partners.c.address,
            partners.c.is_customer,
            partners.c.active,
        ).where(partners.c.code == code)
    ).first()
    if row is None:
        raise NotFound("partner", code)
    if not row.is_customer:
        raise RuleViolation(
            f"partner {code} is not a customer", code="not_a_customer", partner=code
        )
    if not row.active:
        raise RuleViolation(f"partner {code} is deactivated", code="partner_inactive", partner=code)
    return Customer(int(row.id), row.code, row.name, row.address)


def item_strategies(conn: Connection, item_ids: Iterable[int]) -> dict[int, str | None]:
    wanted = sorted(set(item_ids))
    out: dict[int, str | None] = {}
    for member in members(conn, items.c.id, wanted):
        rows = conn.execute(select(items.c.id, items.c.allocation_strategy).where(member))
        out.update((int(r[0]), r[1]) for r in rows)
    return out


def shipping_location(conn: Connection, warehouse_id: int, warehouse_code: str) -> int:
    """The warehouse's shipping (staging) location: its first active one by code. Raises
    RuleViolation ``no_shipping_location`` when it has none."""
    found = conn.execute(
        select(locations.c.id)
        .where(
            locations.c.warehouse_id == warehouse_id,
            locations.c.kind == str(LocationKind.SHIPPING),
            locations.c.active.is_(True),
        )
        .order_by(locations.c.code)
        .limit(1)
    ).scalar()
    if found is None:
        raise RuleViolation(
            f"warehouse {warehouse_code} has no shipping location: add a location of kind"
            " shipping to stage picked goods in",
            code="no_shipping_location",
            warehouse=warehouse_code,
        )
    return int(found)


def lock_items(conn: Connection, warehouse_id: int, item_ids: Iterable[int]) -> None:
    """PostgreSQL: allocators of the same items in a warehouse take turns (a transaction-scoped
    advisory lock per item, in id order, so two allocators never wait on each other in a
    circle). Postings do not take these locks: the guarded update in ``add_allocations``
    catches a balance that an issue lowered meanwhile. SQLite's writer holds the database."""
    if conn.dialect.name != "postgresql":
        return
    wanted = sorted(set(item_ids))
    if wanted:
        driver.rows(
            conn,
            "SELECT pg_advisory_xact_lock(%s::int, i::int) FROM unnest(%s::bigint[]) AS u(i)"
            " ORDER BY i",
            (warehouse_id, wanted),
        )


@dataclass(frozen=True)
class Demand:
    """What one allocation call asks of the items it may read only in part: item id ->
    (strategy, total quantity of its lines), with the day and rule that decide expiry (the
    same ones :func:`cangku.domain.allocation.allocate` is given)."""

    totals: Mapping[int, tuple[str, int]]
    today: date
    allow_expired: bool


def candidates(
    conn: Connection, warehouse_id: int, item_ids: Iterable[int], demand: Demand | None = None
) -> list[Candidate]:
    """Balances of the items in the warehouse's active storage locations with something
    available, with what the allocation order needs (route path, lot dates and status).

    An item in ``demand`` (every line of it unbound and of one strategy, nothing excluded:
    the caller's word) reads only the balances the allocation could take: eligible ones whose
    group of equal (first, second) order keys starts before the eligible stock ahead of it
    covers the item's total. The domain's order within a group (route, lot, bin) sees the whole
    group, and the kept balances are a prefix of its taking order, so the plan is the same as
    from every balance; a 5,000-line FEFO order across 50 lots reads 5,000 rows, not 250,000.

    On the driver (ADR 0009), one statement for any number of items: the items and needs go
    as arrays (PostgreSQL) or JSON (SQLite)."""
    wanted = set(item_ids)
    totals = demand.totals if demand is not None else {}
    need = sorted((item, total) for item, total in totals.items() if item in wanted)
    today = demand.today if demand is not None else date.min
    allow = demand.allow_expired if demand is not None else True
    if conn.dialect.name == "postgresql":
        sql = _CANDIDATES_PG
        params: list[Any] = [
            [i for i, _ in need],
            [s for _, (s, _) in need],
            [q for _, (_, q) in need],
            warehouse_id,
            sorted(wanted),
            allow,
            today,
        ]
    else:
        sql = _CANDIDATES_SQLITE
        every = [[item, *totals.get(item, (None, None))] for item in sorted(wanted)]
        params = [int(allow), today.isoformat(), json.dumps(every), warehouse_id]
    out: list[Candidate] = []
    days: dict[Any, date | None] = {None: None}
    for r in driver.rows(conn, sql, params):
        received, expires = r[4], r[5]
        if received not in days:
            days[received] = _day(received)
        if expires not in days:
            days[expires] = _day(expires)
        out.append(
            Candidate(
                r[0],
                r[1],
                r[2],
                r[3],
                days[received],
                days[expires],
                r[6],
                r[7] or "available",
                r[8],
            )  # fmt: skip
        )
    return out


#: The items' balances with something available, read first on their own (``b``,
#: materialized: without statistics PostgreSQL otherwise walks every bin's balances of the
#: warehouse), with their bins and lots; the demand's items (``need``) keep their eligible
#: balances (the domain's ``is_eligible``) whose group of equal first and second order keys
#: (``_taking_order``, undated last) has less eligible stock ahead of it than the item's total;
#: the other items keep every balance. ``{created}`` is the lot's creation day in the
#: dialect's words; no part is ever input.
_CANDIDATES = (
    "WITH {balances},"
    " c AS (SELECT b.item_id, b.location_id, l.code, b.lot_id,"
    " coalesce(t.manufactured_on, {created}) AS received_on, t.expires_on, b.available,"
    " t.status, l.kind, strategy, quantity,"
    " CASE WHEN quantity IS NOT NULL AND coalesce(t.status, 'available') = 'available'"
    " AND ({allow} OR t.expires_on IS NULL OR t.expires_on >= {today})"
    " THEN b.available END AS usable"
    " FROM b JOIN locations l ON l.id = b.location_id LEFT JOIN lots t ON t.id = b.lot_id{need}"
    " WHERE l.kind = 'internal' AND l.active),"
    " w AS (SELECT c.*, sum(usable) OVER (PARTITION BY item_id ORDER BY"
    " coalesce({day1}, {undated}) * {shift} + coalesce({day2}, {undated})"
    " RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ahead FROM c)"
    " SELECT item_id, location_id, code, lot_id, received_on, expires_on, available, status,"
    " kind FROM w WHERE quantity IS NULL OR (usable IS NOT NULL AND coalesce(ahead, 0) < quantity)"
)
_FIRST = "CASE WHEN strategy = 'fefo' THEN expires_on ELSE received_on END"
_SECOND = "CASE WHEN strategy = 'fefo' THEN received_on ELSE expires_on END"
#: A day as a whole number (PostgreSQL's days span less than 2**31), the first key shifted
#: past the second's range so that one number orders both, undated after every day: a frame
#: ending "1 PRECEDING" needs one numeric key, and it sums each row once.
_ORDER = {"undated": "2147483647", "shift": "2147483648"}
_CANDIDATES_PG = _CANDIDATES.format(
    **_ORDER,
    day1=f"({_FIRST} - DATE '4714-11-24 BC')",
    day2=f"({_SECOND} - DATE '4714-11-24 BC')",
    balances="need(item_id, strategy, quantity) AS"
    " (SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bigint[])),"
    " b AS MATERIALIZED (SELECT item_id, location_id, lot_id, on_hand - reserved AS available"
    " FROM balances WHERE warehouse_id = %s AND item_id = ANY(%s::bigint[])"
    " AND on_hand - reserved > 0)",
    need=" LEFT JOIN need n ON n.item_id = b.item_id",
    created="CAST(t.created_at AS DATE)",
    allow="%s::boolean",
    today="%s::date",
)
_RECEIVED = "coalesce(t.manufactured_on, date(t.created_at / 1000000, 'unixepoch'))"
_STRATEGY = "json_extract(j.value, '$[1]')"
#: SQLite makes no index on a joined CTE, so every item comes with its demand (or nulls) in
#: one JSON array that drives the balances' (warehouse, item) index; its sorter is slow with
#: wide rows, so the window sorts a row id and its key, and the kept rows are read after.
_CANDIDATES_SQLITE = (  # noqa: S608 - fixed fragments, never input
    "WITH c AS (SELECT x.rowid AS rid, x.item_id, json_extract(j.value, '$[2]') AS quantity,"
    " CASE WHEN json_extract(j.value, '$[2]') IS NOT NULL"
    " AND coalesce(t.status, 'available') = 'available'"
    " AND (%s OR t.expires_on IS NULL OR t.expires_on >= %s)"
    " THEN x.on_hand - x.reserved END AS usable,"
    " coalesce(CAST(julianday(CASE WHEN {strategy} = 'fefo' THEN t.expires_on ELSE {received}"
    " END) AS INTEGER), {undated}) * {shift} + coalesce(CAST(julianday(CASE WHEN {strategy}"
    " = 'fefo' THEN {received} ELSE t.expires_on END) AS INTEGER), {undated}) AS k"
    " FROM json_each(%s) AS j"
    " JOIN balances x ON x.warehouse_id = %s AND x.item_id = json_extract(j.value, '$[0]')"
    " JOIN locations l ON l.id = x.location_id LEFT JOIN lots t ON t.id = x.lot_id"
    " WHERE x.on_hand - x.reserved > 0 AND l.kind = 'internal' AND l.active),"
    " w AS (SELECT rid, quantity, usable, sum(usable) OVER (PARTITION BY item_id ORDER BY k"
    " RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ahead FROM c)"
    " SELECT b.item_id, b.location_id, l.code, b.lot_id, {received}, t.expires_on,"
    " b.on_hand - b.reserved, t.status, l.kind"
    " FROM w JOIN balances b ON b.rowid = w.rid JOIN locations l ON l.id = b.location_id"
    " LEFT JOIN lots t ON t.id = b.lot_id"
    " WHERE w.quantity IS NULL OR (w.usable IS NOT NULL AND coalesce(w.ahead, 0) < w.quantity)"
).format(**_ORDER, strategy=_STRATEGY, received=_RECEIVED)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# ---------------------------------------------------------------- approval rules
def approval_rules_of(conn: Connection, doc_type: str | None = None) -> list[ApprovalRule]:
    stmt = select(
        approval_rules.c.id,
        approval_rules.c.doc_type,
        approval_rules.c.warehouse_id,
        approval_rules.c.min_value,
        approval_rules.c.min_quantity,
        approval_rules.c.approver_role,
    ).order_by(approval_rules.c.id)
    if doc_type is not None:
        stmt = stmt.where(approval_rules.c.doc_type == doc_type)
    return [ApprovalRule(*r) for r in conn.execute(stmt)]


def insert_rule(conn: Connection, values: dict[str, Any]) -> int:
    key = conn.execute(insert(approval_rules).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def delete_rule(conn: Connection, rule_id: int) -> None:
    """Raises NotFound ``approval_rule_not_found``."""
    if conn.execute(delete(approval_rules).where(approval_rules.c.id == rule_id)).rowcount != 1:
        raise NotFound("approval_rule", rule_id)


def roles_of(conn: Connection, user_id: int, warehouse_id: int) -> set[str]:
    """The codes of the active roles a user holds in a warehouse (granted there or everywhere)."""
    rows = conn.execute(
        select(roles.c.code)
        .join_from(user_roles, roles, roles.c.id == user_roles.c.role_id)
        .where(
            user_roles.c.user_id == user_id,
            roles.c.active.is_(True),
            or_(user_roles.c.warehouse_id.is_(None), user_roles.c.warehouse_id == warehouse_id),
        )
    )
    return {r[0] for r in rows}


def allows_expired(conn: Connection, warehouse_id: int) -> bool:
    """Whether the warehouse lets expired lots be issued and reserved (ADR 0016)."""
    return bool(
        conn.execute(
            select(warehouses.c.allow_expired_issue).where(warehouses.c.id == warehouse_id)
        ).scalar()
    )
