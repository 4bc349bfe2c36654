"""Use cases of put-away rules: where a warehouse's received goods are suggested to go, by
item, by category (and the categories below it) or by item type, tried by priority.

The rules belong to the warehouse's location set-up, so they take the permission locations
take (``location.manage`` in the warehouse); each change is audited on the warehouse, with its
rules before and after.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cangku.db import catalog, sites
from cangku.db import categories as category_store
from cangku.db import putaway_rules as store
from cangku.db.putaway_rules import PutawayRuleRecord
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.catalog import check_choice
from cangku.domain.enums import ItemType, LocationKind
from cangku.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from cangku.domain.permissions import Actor
from cangku.services.common import Context, Subject, run_write
from cangku.services.locations import LOCATION_MANAGE

__all__ = [
    "MAX_PRIORITY",
    "PutawayRuleRecord",
    "add_putaway_rule",
    "remove_putaway_rule",
]

#: priorities run from 0 (tried first) to this
MAX_PRIORITY = 1_000_000


def _rules_fields(conn: Connection, warehouse: str) -> dict[str, Any] | None:
    """The warehouse's rules by id, for the audit entry (None: no such warehouse)."""
    try:
        warehouse_id = sites.warehouse_by_code(conn, warehouse).id
    except NotFound:
        return None
    kept = ("location", "item", "category", "item_type", "priority")
    rules = store.rules_of(conn, warehouse_id)
    return {
        "putaway_rules": {
            str(rule.id): {k: v for k, v in asdict(rule).items() if k in kept} for rule in rules
        }
    }


def _subject(warehouse: str) -> Subject:
    def warehouse_id(conn: Connection) -> int | None:
        return sites.warehouse_by_code(conn, warehouse).id

    return Subject(
        "warehouse", warehouse, lambda conn: _rules_fields(conn, warehouse), warehouse_id
    )


def check_priority(priority: object) -> int:
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise _bad_priority()
    if not 0 <= priority <= MAX_PRIORITY:
        raise _bad_priority()
    return priority


def _bad_priority() -> InvalidInput:
    return InvalidInput(
        f"priority is a whole number from 0 to {MAX_PRIORITY} (lower is tried first)",
        code="invalid_priority",
        field="priority",
        min=0,
        max=MAX_PRIORITY,
    )


def _subject_columns(
    conn: Connection, item: str | None, category: str | None, item_type: str | None
) -> dict[str, Any]:
    given = [name for name, value in (("item", item), ("category", category),
                                      ("item_type", item_type)) if value]  # fmt: skip
    if len(given) != 1:
        raise InvalidInput(
            "a put-away rule names exactly one of: an item, a category, an item type",
            code="putaway_rule_subject",
            given=given,
        )
    return {
        "item_id": catalog.item_id_by_code(conn, item) if item else None,
        "category_id": category_store.category_by_code(conn, category).id if category else None,
        "item_type": check_choice(item_type, ItemType, "item_type") if item_type else None,
    }


def add_putaway_rule(
    db: Database,
    ctx: Context,
    warehouse: str,
    location: str,
    *,
    item: str | None = None,
    category: str | None = None,
    item_type: str | None = None,
    priority: int = 100,
) -> PutawayRuleRecord:
    """Suggest ``location`` (a storage bin of ``warehouse``) for goods received there of the
    ``item``, or of the ``category`` (and below), or of the ``item_type``: exactly one of them.
    A lower ``priority`` is tried first within the same kind of rule.

    Raises PermissionDenied (``location.manage`` in the warehouse), NotFound
    (``warehouse_not_found``, ``location_not_found``, ``item_not_found``,
    ``category_not_found``), InvalidInput (``putaway_rule_subject``, ``invalid_item_type``,
    ``invalid_priority``, ``location_not_in_warehouse``), RuleViolation
    (``putaway_location_not_storage``: not an internal location, ``location_inactive``),
    Conflict ``putaway_rule_exists`` (the same subject and location already).
    Writes: one ``putaway_rules`` row and the audit entry (the warehouse's rules before and
    after).
    """
    checked_priority = check_priority(priority)
    payload = {
        "warehouse": warehouse,
        "location": location,
        "item": item,
        "category": category,
        "item_type": item_type,
        "priority": checked_priority,
    }

    def work(uow: UnitOfWork, actor: Actor, _now: datetime) -> int:
        conn = uow.conn
        home = sites.warehouse_by_code(conn, warehouse)
        actor.require(LOCATION_MANAGE, home.id)
        target = sites.location_by_code(conn, location)
        if target.warehouse_id != home.id:
            raise InvalidInput(
                f"location {location} is not in warehouse {warehouse}",
                code="location_not_in_warehouse",
                location=location,
                warehouse=warehouse,
            )
        if target.kind != str(LocationKind.INTERNAL):
            raise RuleViolation(
                f"goods are put away into storage bins; {location} is a {target.kind} location",
                code="putaway_location_not_storage",
                location=location,
                kind=target.kind,
            )
        if not target.active:
            raise RuleViolation(
                f"location {location} is deactivated", code="location_inactive", location=location
            )
        values = {
            "warehouse_id": home.id,
            **_subject_columns(conn, item, category, item_type),
            "location_id": target.id,
            "priority": checked_priority,
        }
        if store.rule_exists(conn, values):
            raise Conflict(
                f"warehouse {warehouse} already has this rule for {location}",
                code="putaway_rule_exists",
                location=location,
            )
        return store.insert_rule(conn, values)

    rule_id, _ = run_write(db, ctx, LOCATION_MANAGE, payload, work, subject=_subject(warehouse))
    with db.read() as conn:
        found = store.rule_by_id(conn, int(rule_id))
    if found is None:  # removed since (a replayed request)
        raise NotFound("putaway_rule", rule_id)
    return found


def remove_putaway_rule(
    db: Database, ctx: Context, rule_id: int, *, warehouse: str | None = None
) -> PutawayRuleRecord:
    """Remove the put-away rule ``rule_id`` (of ``warehouse`` when given); answers the rule as
    it was.

    Raises NotFound ``putaway_rule_not_found`` (also for a rule of another warehouse than the
    one given), PermissionDenied (``location.manage`` in the rule's warehouse).
    Writes: deletes the ``putaway_rules`` row; the audit entry (the rules before and after).
    """
    if isinstance(rule_id, bool) or not isinstance(rule_id, int) or not 0 < rule_id < 2**63:
        raise NotFound("putaway_rule", rule_id)
    with db.read() as conn:
        before = store.rule_by_id(conn, rule_id)
    known = before is not None and (warehouse is None or before.warehouse == warehouse)
    # an unknown rule is refused inside the write, after the permission: a caller without
    # location.manage learns nothing of which rules exist
    payload = {"warehouse": before.warehouse if known and before else warehouse, "id": rule_id}

    def work(uow: UnitOfWork, actor: Actor, _now: datetime) -> dict[str, Any]:
        found = store.rule_by_id(uow.conn, rule_id)
        if not known or before is None or found is None or found.warehouse != before.warehouse:
            raise NotFound("putaway_rule", rule_id)
        actor.require(LOCATION_MANAGE, found.warehouse_id)
        store.delete_rule(uow.conn, rule_id)
        return {"id": rule_id}

    subject = _subject(before.warehouse) if known and before else Subject(None, None)
    run_write(db, ctx, LOCATION_MANAGE, payload, work, subject=subject)
    assert before is not None  # work raised otherwise
    return before
