"""The minimal user record (sign-in and permissions come with the security issue)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from cangku.db.tables import users


def find_by_username(conn: Connection, username: str) -> tuple[int, bool] | None:
    row = conn.execute(
        select(users.c.id, users.c.active).where(users.c.username == username)
    ).first()
    return (row.id, row.active) if row else None


def create(conn: Connection, username: str, display_name: str, now: datetime) -> int:
    result = conn.execute(
        insert(users)
        .values(username=username, display_name=display_name, created_at=now, updated_at=now)
        .returning(users.c.id)
    )
    return int(result.scalar_one())
