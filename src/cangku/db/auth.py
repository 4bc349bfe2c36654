"""Storage of sign-in: users' passwords, roles and grants, sessions, API tokens, attempts.

Secrets are stored only as hashes: argon2id for passwords (computed in services), sha256 for
session ids and tokens (they are long random values, so a fast hash is enough).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, func, insert, select, update

from cangku.db import driver
from cangku.db.tables import (
    api_tokens,
    role_permissions,
    roles,
    sessions,
    sign_in_attempts,
    user_roles,
    users,
    warehouses,
)
from cangku.db.types import EPOCH, MICROSECOND, to_micros
from cangku.domain.errors import NotFound
from cangku.domain.permissions import Grant, builtin_permissions


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    active: bool
    password_hash: str | None
    version: int
    created_at: datetime
    last_sign_in_at: datetime | None


_USER_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.display_name,
    users.c.active,
    users.c.password_hash,
    users.c.version,
    users.c.created_at,
    users.c.last_sign_in_at,
)


def user_by_username(conn: Connection, username: str) -> UserRecord | None:
    row = conn.execute(select(*_USER_COLUMNS).where(users.c.username == username)).first()
    return UserRecord(*row) if row else None


def usernames(conn: Connection, order: Sequence[ColumnElement[Any]] = ()) -> list[str]:
    """Every user name, by name (or in ``order``)."""
    stmt = select(users.c.username).order_by(*(order or [users.c.username]))
    return list(conn.execute(stmt).scalars())


def warehouse_id(conn: Connection, code: str) -> int:
    found = conn.execute(select(warehouses.c.id).where(warehouses.c.code == code)).scalar()
    if found is None:
        raise NotFound("warehouse", code)
    return int(found)


def find_role(conn: Connection, code: str) -> int | None:
    return conn.execute(select(roles.c.id).where(roles.c.code == code)).scalar()


def get_user(conn: Connection, username: str) -> UserRecord:
    found = user_by_username(conn, username)
    if found is None:
        raise NotFound("user", username)
    return found


def insert_user(
    conn: Connection, username: str, display_name: str, password_hash: str | None, now: datetime
) -> int:
    return int(
        conn.execute(
            insert(users)
            .values(
                username=username,
                display_name=display_name,
                password_hash=password_hash,
                password_changed_at=now if password_hash else None,
                created_at=now,
                updated_at=now,
            )
            .returning(users.c.id)
        ).scalar_one()
    )


def update_user(conn: Connection, user_id: int, values: dict[str, Any], now: datetime) -> None:
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(**values, updated_at=now, version=users.c.version + 1)
    )


# ---------------------------------------------------------------- roles and grants


@dataclass(frozen=True)
class RoleRecord:
    id: int
    code: str
    name: str
    description: str | None
    builtin: bool
    active: bool


def role_by_code(conn: Connection, code: str) -> RoleRecord:
    row = conn.execute(
        select(
            roles.c.id,
            roles.c.code,
            roles.c.name,
            roles.c.description,
            roles.c.builtin,
            roles.c.active,
        ).where(roles.c.code == code)
    ).first()
    if row is None:
        raise NotFound("role", code)
    return RoleRecord(*row)


def list_roles(conn: Connection, order: Sequence[ColumnElement[Any]] = ()) -> list[RoleRecord]:
    """Every role, built-in ones first (or in ``order``)."""
    rows = conn.execute(
        select(
            roles.c.id,
            roles.c.code,
            roles.c.name,
            roles.c.description,
            roles.c.builtin,
            roles.c.active,
        ).order_by(*(order or [roles.c.builtin.desc(), roles.c.id]))
    )
    return [RoleRecord(*row) for row in rows]


def insert_role(
    conn: Connection, code: str, name: str, description: str | None, now: datetime
) -> int:
    return int(
        conn.execute(
            insert(roles)
            .values(code=code, name=name, description=description, created_at=now, updated_at=now)
            .returning(roles.c.id)
        ).scalar_one()
    )


def update_role(conn: Connection, role_id: int, values: dict[str, Any], now: datetime) -> None:
    conn.execute(update(roles).where(roles.c.id == role_id).values(**values, updated_at=now))


def role_permission_codes(conn: Connection, role: RoleRecord) -> frozenset[str]:
    if role.builtin:
        return builtin_permissions(role.code)
    rows = conn.execute(
        select(role_permissions.c.permission).where(role_permissions.c.role_id == role.id)
    )
    return frozenset(rows.scalars())


def replace_role_permissions(conn: Connection, role_id: int, codes: list[str]) -> None:
    conn.execute(delete(role_permissions).where(role_permissions.c.role_id == role_id))
    if codes:
        conn.execute(
            insert(role_permissions), [{"role_id": role_id, "permission": c} for c in codes]
        )


@dataclass(frozen=True)
class GrantRecord:
    role: str
    warehouse: str | None
    warehouse_id: int | None
    granted_at: datetime


def user_grant_records(conn: Connection, user_id: int) -> list[GrantRecord]:
    rows = conn.execute(
        select(roles.c.code, warehouses.c.code, user_roles.c.warehouse_id, user_roles.c.granted_at)
        .select_from(
            user_roles.join(roles, roles.c.id == user_roles.c.role_id).outerjoin(
                warehouses, warehouses.c.id == user_roles.c.warehouse_id
            )
        )
        .where(user_roles.c.user_id == user_id)
        .order_by(roles.c.code, user_roles.c.warehouse_key)
    )
    return [GrantRecord(*row) for row in rows]


# The caller of a request in one statement, at driver level (db/driver.py): the credential
# (an API token, a session, or a username for the local CLI operator), its user if active, and
# every grant with its role's stored permissions (a custom role's rows; a built-in role's
# permissions come from the code). Every request and every posting runs one of these.
_GRANTS = (
    " LEFT JOIN user_roles g ON g.user_id = u.id"
    " LEFT JOIN roles r ON r.id = g.role_id AND r.active = true"
    " LEFT JOIN role_permissions p ON p.role_id = r.id AND r.builtin = false"
)
_GRANT_COLUMNS = "r.id, r.code, r.builtin, g.warehouse_id, p.permission"
_BY_USERNAME = (
    f"SELECT u.id, u.username, {_GRANT_COLUMNS} FROM users u{_GRANTS}"  # noqa: S608
    " WHERE u.username = %s AND u.active = true"
)
_BY_TOKEN = (
    f"SELECT u.id, u.username, {_GRANT_COLUMNS}, c.id, c.scopes, c.last_used_at"  # noqa: S608
    f" FROM api_tokens c JOIN users u ON u.id = c.user_id{_GRANTS}"
    " WHERE c.token_hash = %s AND c.revoked_at IS NULL AND c.expires_at > %s"
    " AND u.active = true"
)
_BY_SESSION = (
    f"SELECT u.id, u.username, {_GRANT_COLUMNS}, c.csrf_token, c.created_at, c.last_seen_at"  # noqa: S608
    f" FROM sessions c JOIN users u ON u.id = c.user_id{_GRANTS}"
    " WHERE c.id_hash = %s AND c.revoked_at IS NULL AND c.expires_at > %s"
    " AND u.active = true"
)


@dataclass(frozen=True)
class Caller:
    """An active user and their grants, found by one credential."""

    user_id: int
    username: str
    grants: list[Grant]


@dataclass(frozen=True)
class TokenCaller(Caller):
    token_id: int
    scopes: str
    last_used_at: datetime | None


@dataclass(frozen=True)
class SessionCaller(Caller):
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


def _run(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    if conn.dialect.name == "sqlite":
        sql = sql.replace("= true", "= 1").replace("= false", "= 0")
        params = tuple(to_micros(p) if isinstance(p, datetime) else p for p in params)
    return driver.rows(conn, sql, params)


def _instant(value: Any) -> datetime:
    """A timestamp as the driver answers it (microseconds on SQLite) as an aware UTC datetime."""
    return EPOCH + value * MICROSECOND if isinstance(value, int) else value.astimezone(UTC)


def _grants(rows: list[tuple[Any, ...]]) -> list[Grant]:
    """Fold the rows (one per grant and stored permission) into grants."""
    found: dict[tuple[int, int | None], tuple[str, bool, set[str]]] = {}
    for _, _, role_id, code, builtin, warehouse_id, permission, *_ in rows:
        if role_id is None:
            continue
        _, _, stored = found.setdefault((role_id, warehouse_id), (code, bool(builtin), set()))
        if permission is not None:
            stored.add(permission)
    return [
        Grant(code, warehouse_id, builtin_permissions(code) if builtin else frozenset(stored))
        for (_, warehouse_id), (code, builtin, stored) in found.items()
    ]


def active_user_grants(conn: Connection, username: str) -> tuple[int, list[Grant]] | None:
    """An active user's id and grants in one statement; None for an unknown or disabled user."""
    rows = _run(conn, _BY_USERNAME, (username,))
    if not rows:
        return None
    return int(rows[0][0]), _grants(rows)


def token_caller(conn: Connection, token_hash: str, now: datetime) -> TokenCaller | None:
    """The caller of a live API token (not revoked or expired, its user active) in one
    statement; None otherwise."""
    rows = _run(conn, _BY_TOKEN, (token_hash, now))
    if not rows:
        return None
    user_id, username, *_, token_id, scopes, last_used_at = rows[0]
    used = None if last_used_at is None else _instant(last_used_at)
    return TokenCaller(int(user_id), username, _grants(rows), int(token_id), scopes, used)


def session_caller(conn: Connection, id_hash: str, now: datetime) -> SessionCaller | None:
    """The caller of a live session (not revoked or expired, its user active) in one
    statement; None otherwise."""
    rows = _run(conn, _BY_SESSION, (id_hash, now))
    if not rows:
        return None
    user_id, username, *_, csrf_token, created_at, last_seen_at = rows[0]
    return SessionCaller(
        int(user_id), username, _grants(rows), csrf_token, _instant(created_at),
        _instant(last_seen_at),
    )  # fmt: skip


def add_grant(
    conn: Connection,
    user_id: int,
    role_id: int,
    warehouse_id: int | None,
    granted_by: int | None,
    now: datetime,
) -> bool:
    """Returns False if the user already had that grant."""
    key = warehouse_id or 0
    exists = conn.execute(
        select(user_roles.c.user_id).where(
            user_roles.c.user_id == user_id,
            user_roles.c.role_id == role_id,
            user_roles.c.warehouse_key == key,
        )
    ).first()
    if exists:
        return False
    conn.execute(
        insert(user_roles).values(
            user_id=user_id,
            role_id=role_id,
            warehouse_key=key,
            warehouse_id=warehouse_id,
            granted_by=granted_by,
            granted_at=now,
        )
    )
    return True


def remove_grant(conn: Connection, user_id: int, role_id: int, warehouse_id: int | None) -> bool:
    result = conn.execute(
        delete(user_roles).where(
            user_roles.c.user_id == user_id,
            user_roles.c.role_id == role_id,
            user_roles.c.warehouse_key == (warehouse_id or 0),
        )
    )
    return result.rowcount > 0


def count_role_holders(conn: Connection, role_id: int) -> int:
    """Active users holding the role in all warehouses (to keep one administrator)."""
    return int(
        conn.execute(
            select(func.count(func.distinct(user_roles.c.user_id)))
            .select_from(user_roles.join(users, users.c.id == user_roles.c.user_id))
            .where(
                user_roles.c.role_id == role_id,
                user_roles.c.warehouse_key == 0,
                users.c.active.is_(True),
            )
        ).scalar_one()
    )


# ---------------------------------------------------------------- sessions


@dataclass(frozen=True)
class SessionRecord:
    user_id: int
    username: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


def insert_session(
    conn: Connection,
    id_hash: str,
    user_id: int,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
    ip: str | None,
    user_agent: str | None,
) -> None:
    conn.execute(
        insert(sessions).values(
            id_hash=id_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
            ip=ip,
            user_agent=user_agent,
        )
    )


def live_session(conn: Connection, id_hash: str, now: datetime) -> SessionRecord | None:
    """The session if it exists, is not revoked or expired, and its user is active."""
    row = conn.execute(
        select(
            sessions.c.user_id,
            users.c.username,
            sessions.c.csrf_token,
            sessions.c.created_at,
            sessions.c.last_seen_at,
            sessions.c.expires_at,
        )
        .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
        .where(
            sessions.c.id_hash == id_hash,
            sessions.c.revoked_at.is_(None),
            sessions.c.expires_at > now,
            users.c.active.is_(True),
        )
    ).first()
    return SessionRecord(*row) if row else None


def touch_session(conn: Connection, id_hash: str, now: datetime, expires_at: datetime) -> None:
    conn.execute(
        update(sessions)
        .where(sessions.c.id_hash == id_hash)
        .values(last_seen_at=now, expires_at=expires_at)
    )


def revoke_sessions(
    conn: Connection, now: datetime, *, user_id: int, id_hash: str | None = None
) -> int:
    condition = and_(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
    if id_hash is not None:
        condition = and_(condition, sessions.c.id_hash == id_hash)
    return conn.execute(update(sessions).where(condition).values(revoked_at=now)).rowcount


# ---------------------------------------------------------------- API tokens


@dataclass(frozen=True)
class TokenRecord:
    id: int
    user_id: int
    username: str
    name: str
    prefix: str
    scopes: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


_TOKEN_COLUMNS = (
    api_tokens.c.id,
    api_tokens.c.user_id,
    users.c.username,
    api_tokens.c.name,
    api_tokens.c.prefix,
    api_tokens.c.scopes,
    api_tokens.c.created_at,
    api_tokens.c.expires_at,
    api_tokens.c.last_used_at,
    api_tokens.c.revoked_at,
)


def insert_token(
    conn: Connection,
    user_id: int,
    name: str,
    prefix: str,
    token_hash: str,
    scopes: str,
    now: datetime,
    expires_at: datetime,
) -> int:
    return int(
        conn.execute(
            insert(api_tokens)
            .values(
                user_id=user_id,
                name=name,
                prefix=prefix,
                token_hash=token_hash,
                scopes=scopes,
                created_at=now,
                expires_at=expires_at,
            )
            .returning(api_tokens.c.id)
        ).scalar_one()
    )


def live_token(conn: Connection, token_hash: str, now: datetime) -> TokenRecord | None:
    row = conn.execute(
        select(*_TOKEN_COLUMNS)
        .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
        .where(
            api_tokens.c.token_hash == token_hash,
            api_tokens.c.revoked_at.is_(None),
            api_tokens.c.expires_at > now,
            users.c.active.is_(True),
        )
    ).first()
    return TokenRecord(**row._asdict()) if row else None


def token_by_id(conn: Connection, token_id: int) -> TokenRecord:
    row = conn.execute(
        select(*_TOKEN_COLUMNS)
        .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
        .where(api_tokens.c.id == token_id)
    ).first()
    if row is None:
        raise NotFound("token", str(token_id))
    return TokenRecord(**row._asdict())


def list_tokens(conn: Connection, user_id: int | None) -> list[TokenRecord]:
    stmt = select(*_TOKEN_COLUMNS).select_from(
        api_tokens.join(users, users.c.id == api_tokens.c.user_id)
    )
    if user_id is not None:
        stmt = stmt.where(api_tokens.c.user_id == user_id)
    return [TokenRecord(**row._asdict()) for row in conn.execute(stmt.order_by(api_tokens.c.id))]


def mark_token_used(conn: Connection, token_id: int, now: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now))


def revoke_tokens(
    conn: Connection, now: datetime, *, user_id: int, token_id: int | None = None
) -> int:
    condition = and_(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
    if token_id is not None:
        condition = and_(condition, api_tokens.c.id == token_id)
    return conn.execute(update(api_tokens).where(condition).values(revoked_at=now)).rowcount


# ---------------------------------------------------------------- sign-in attempts


def record_attempt(
    conn: Connection, username: str, ip: str | None, now: datetime, succeeded: bool
) -> None:
    conn.execute(
        insert(sign_in_attempts).values(username=username, ip=ip, at=now, succeeded=succeeded)
    )


def recent_failures(
    conn: Connection, username: str, ip: str | None, since: datetime
) -> tuple[int, int]:
    """Failed attempts since ``since`` for this username and for this address."""
    by_user = conn.execute(
        select(func.count()).where(
            sign_in_attempts.c.username == username,
            sign_in_attempts.c.at > since,
            sign_in_attempts.c.succeeded.is_(False),
        )
    ).scalar_one()
    by_ip = 0
    if ip is not None:
        by_ip = conn.execute(
            select(func.count()).where(
                sign_in_attempts.c.ip == ip,
                sign_in_attempts.c.at > since,
                sign_in_attempts.c.succeeded.is_(False),
            )
        ).scalar_one()
    return int(by_user), int(by_ip)


def clear_failures(conn: Connection, username: str) -> None:
    conn.execute(
        delete(sign_in_attempts).where(
            sign_in_attempts.c.username == username,
            sign_in_attempts.c.succeeded.is_(False),
        )
    )
