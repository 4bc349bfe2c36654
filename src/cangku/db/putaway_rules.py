"""The put-away rules store: where a warehouse's received goods go, by item, category or item
type (``domain.inbound.suggest_bin`` ranks them). Rows in, records with codes out; no commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, delete, insert, select

from cangku.db.tables import categories, items, locations, putaway_rules, warehouses

__all__ = [
    "PutawayRuleRecord",
    "delete_rule",
    "insert_rule",
    "rule_by_id",
    "rule_exists",
    "rules_of",
]


@dataclass(frozen=True)
class PutawayRuleRecord:
    """One rule; exactly one of ``item``, ``category`` and ``item_type`` is set."""

    id: int
    warehouse: str
    location: str
    item: str | None
    category: str | None
    item_type: str | None
    priority: int
    warehouse_id: int


def _select() -> Select[Any]:
    return (
        select(
            putaway_rules.c.id,
            warehouses.c.code.label("warehouse_code"),
            locations.c.code.label("location_code"),
            items.c.code.label("item_code"),
            categories.c.code.label("category_code"),
            putaway_rules.c.item_type,
            putaway_rules.c.priority,
            putaway_rules.c.warehouse_id,
        )
        .join(warehouses, warehouses.c.id == putaway_rules.c.warehouse_id)
        .join(locations, locations.c.id == putaway_rules.c.location_id)
        .outerjoin(items, items.c.id == putaway_rules.c.item_id)
        .outerjoin(categories, categories.c.id == putaway_rules.c.category_id)
    )


def _record(row: Any) -> PutawayRuleRecord:
    return PutawayRuleRecord(
        int(row.id),
        row.warehouse_code,
        row.location_code,
        row.item_code,
        row.category_code,
        row.item_type,
        int(row.priority),
        int(row.warehouse_id),
    )


def rules_of(conn: Connection, warehouse_id: int) -> list[PutawayRuleRecord]:
    """The warehouse's rules in the order they are tried within a kind: priority, then id."""
    stmt = (
        _select()
        .where(putaway_rules.c.warehouse_id == warehouse_id)
        .order_by(putaway_rules.c.priority, putaway_rules.c.id)
    )
    return [_record(row) for row in conn.execute(stmt)]


def rule_by_id(conn: Connection, rule_id: int) -> PutawayRuleRecord | None:
    row = conn.execute(_select().where(putaway_rules.c.id == rule_id)).first()
    return None if row is None else _record(row)


def rule_exists(conn: Connection, values: dict[str, Any]) -> bool:
    """Whether a rule with these very columns (warehouse, subject, location) is there."""
    conditions = [
        putaway_rules.c[name].is_(None) if value is None else putaway_rules.c[name] == value
        for name, value in values.items()
        if name != "priority"
    ]
    return conn.execute(select(putaway_rules.c.id).where(*conditions).limit(1)).first() is not None


def insert_rule(conn: Connection, values: dict[str, Any]) -> int:
    return int(
        conn.execute(
            insert(putaway_rules).values(**values).returning(putaway_rules.c.id)
        ).scalar_one()
    )


def delete_rule(conn: Connection, rule_id: int) -> None:
    conn.execute(delete(putaway_rules).where(putaway_rules.c.id == rule_id))
