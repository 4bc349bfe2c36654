"""The company settings row (``company``, id 1) and a user's own time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select, update

from cangku.db.catalog import update_versioned
from cangku.db.tables import company, users
from cangku.domain.company import Company
from cangku.domain.errors import NotFound
from cangku.domain.quantities import from_scaled

__all__ = [
    "read_company",
    "read_time_zones",
    "set_user_time_zone",
    "update_company",
]

COMPANY_ID = 1


def _company(row: RowMapping) -> Company:
    return Company(
        name=row["name"],
        currency=row["currency"],
        time_zone=row["time_zone"],
        unit_cost_places=int(row["unit_cost_places"]),
        expiring_soon_days=int(row["expiring_soon_days"]),
        version=int(row["version"]),
        updated_at=row["updated_at"],
        po_approval_threshold=(
            None
            if row["po_approval_threshold"] is None
            else from_scaled(row["po_approval_threshold"])
        ),
        adjustment_approval_threshold=(
            None
            if row["adjustment_approval_threshold"] is None
            else from_scaled(row["adjustment_approval_threshold"])
        ),
    )


def read_company(conn: Connection, *, lock: bool = False) -> Company:
    """The settings (migration 0006 creates the row; NotFound only for a damaged database)."""
    stmt = select(company).where(company.c.id == COMPANY_ID)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise NotFound("company", COMPANY_ID)
    return _company(row)


def update_company(
    conn: Connection, version: int | None, values: dict[str, Any], now: datetime
) -> None:
    """Apply ``values``, bump the version; Conflict ``version_conflict`` when ``version`` is
    given and stale."""
    update_versioned(conn, company, "company", COMPANY_ID, version, values, now)


def read_time_zones(conn: Connection, username: str | None) -> tuple[Company, str | None]:
    """The company settings and ``username``'s own time zone (None: none chosen, or no such
    user), in one statement."""
    own = select(users.c.time_zone).where(users.c.username == username).scalar_subquery()
    stmt = select(company, own.label("user_time_zone")).where(company.c.id == COMPANY_ID)
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise NotFound("company", COMPANY_ID)
    return _company(row), row["user_time_zone"]


def set_user_time_zone(conn: Connection, user_id: int, zone: str | None, now: datetime) -> None:
    """A user's own time zone (None: the company's)."""
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(time_zone=zone, version=users.c.version + 1, updated_at=now)
    )
