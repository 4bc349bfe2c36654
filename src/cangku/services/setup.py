"""Setting up a database: schema, standard units, the first user."""

from __future__ import annotations

from dataclasses import dataclass

from cangku.db import auth as auth_store
from cangku.db import schema
from cangku.db import setup as store
from cangku.db.uow import Database
from cangku.domain.passwords import check_password
from cangku.domain.permissions import ADMINISTRATOR
from cangku.services.auth import hash_password
from cangku.services.common import Context, audit, utcnow


@dataclass(frozen=True)
class InitResult:
    revision: str | None
    units_added: int
    admin_user: str
    #: True when this run created the administrator (or gave it its password)
    admin_created: bool = False
    password_set: bool = False


def initialize(
    db: Database,
    admin_username: str = "admin",
    admin_name: str = "Administrator",
    admin_password: str | None = None,
) -> InitResult:
    """Migrate the schema to head, add the standard units and the first administrator.
    Safe to repeat: an existing user keeps their roles; a password is set only if given.

    Raises InvalidInput ``weak_password``. Writes: the schema, missing ``units`` rows, the
    administrator's ``users`` row with the ``administrator`` role in every warehouse, an audit
    entry when the administrator is created.
    """
    if admin_password is not None:
        check_password(admin_password, admin_username)
    schema.upgrade(db.engine)
    with db.write() as uow:
        now = utcnow()
        added = store.ensure_units(uow.conn)
        existing = auth_store.user_by_username(uow.conn, admin_username)
        if existing is None:
            user_id = auth_store.insert_user(uow.conn, admin_username, admin_name, None, now)
            role = auth_store.role_by_code(uow.conn, ADMINISTRATOR)
            auth_store.add_grant(uow.conn, user_id, role.id, None, None, now)
            audit(uow.conn, Context(admin_username, origin="cli"), None, "user.init", now,
                  target_type="user", target=admin_username)  # fmt: skip
        else:
            user_id = existing.id
        if admin_password is not None:
            values = {"password_hash": hash_password(admin_password), "password_changed_at": now}
            auth_store.update_user(uow.conn, user_id, values, now)
        uow.commit()
    return InitResult(
        schema.current_revision(db.engine),
        added,
        admin_username,
        existing is None,
        admin_password is not None,
    )


def admin_needs_password(db: Database, admin_username: str = "admin") -> bool:
    """Migrate the schema to head; True when ``admin_username`` does not exist yet or has no
    password (``cangku init`` then asks for one). Writes: the schema."""
    schema.upgrade(db.engine)
    with db.read() as conn:
        user = auth_store.user_by_username(conn, admin_username)
    return user is None or user.password_hash is None


def upgrade_schema(db: Database) -> str | None:
    """Apply pending migrations. Writes: the schema."""
    schema.upgrade(db.engine)
    return schema.current_revision(db.engine)
