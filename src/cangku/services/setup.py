"""Setting up a database: schema, standard units, the first user."""

from __future__ import annotations

from dataclasses import dataclass

from cangku.db import schema
from cangku.db import setup as store
from cangku.db.uow import Database
from cangku.services.common import utcnow


@dataclass(frozen=True)
class InitResult:
    revision: str | None
    units_added: int
    admin_user: str


def initialize(
    db: Database, admin_username: str = "admin", admin_name: str = "Administrator"
) -> InitResult:
    """Migrate the schema to head, add the standard units and the first user. Safe to repeat.

    Writes: the schema, ``units`` rows that are missing, the admin ``users`` row if missing.
    """
    schema.upgrade(db.engine)
    with db.write() as uow:
        added = store.ensure_units(uow.conn)
        store.ensure_user(uow.conn, admin_username, admin_name, utcnow())
        uow.commit()
    return InitResult(schema.current_revision(db.engine), added, admin_username)


def upgrade_schema(db: Database) -> str | None:
    """Apply pending migrations. Writes: the schema."""
    schema.upgrade(db.engine)
    return schema.current_revision(db.engine)
