"""Read side of put-away rules: a warehouse's rules with codes, in the order they are tried."""

from __future__ import annotations

from cangku.db import sites
from cangku.db.putaway_rules import PutawayRuleRecord, rules_of
from cangku.db.uow import Database
from cangku.domain.errors import NotFound
from cangku.domain.permissions import Warehouses

__all__ = ["PutawayRuleRecord", "list_putaway_rules"]


def list_putaway_rules(
    db: Database, warehouse: str, *, warehouses: Warehouses = None
) -> list[PutawayRuleRecord]:
    """The put-away rules of the warehouse ``warehouse`` by priority, then by id. Raises
    NotFound ``warehouse_not_found`` (also for a warehouse outside ``warehouses``)."""
    with db.read() as conn:
        found = sites.warehouse_by_code(conn, warehouse)
        if warehouses is not None and found.id not in warehouses:
            raise NotFound("warehouse", warehouse)
        return rules_of(conn, found.id)
