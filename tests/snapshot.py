"""What a refused request must leave as it was: a one-query fingerprint of watched tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, func, select

from cangku.db import tables
from cangku.db.uow import Database

#: the tables a refused request must leave as they were (rows, versions, flags, stock)
WATCHED: list[Table] = [
    tables.items,
    tables.item_units,
    tables.item_barcodes,
    tables.categories,
    tables.units,
    tables.partners,
    tables.partner_contacts,
    tables.supplier_items,
    tables.lots,
    tables.warehouses,
    tables.locations,
    tables.moves,
    tables.balances,
    tables.checkpoints,
    tables.periods,
    tables.users,
    tables.user_roles,
    tables.roles,
    tables.role_permissions,
    tables.api_tokens,
    tables.company,
]


def state(db: Database, watched: Iterable[Table] = WATCHED) -> dict[str, Any]:
    """Row counts, version sums, active, revoked and on-hand figures of ``watched``."""
    columns: dict[str, Any] = {}
    for table in watched:
        columns[f"{table.name} rows"] = select(func.count()).select_from(table)
        if "version" in table.c:
            columns[f"{table.name} versions"] = select(func.sum(table.c.version))
        if "active" in table.c:
            columns[f"{table.name} active"] = select(func.count()).where(table.c.active.is_(True))
        if "revoked_at" in table.c:
            columns[f"{table.name} revoked"] = select(func.count()).where(
                table.c.revoked_at.is_not(None)
            )
        if "on_hand" in table.c:
            columns[f"{table.name} on hand"] = select(func.sum(table.c.on_hand))
    stmt = select(*(q.scalar_subquery().label(name) for name, q in columns.items()))
    with db.read() as conn:
        row = conn.execute(stmt).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}
