"""Administering users, roles and grants.

Separation of duties: nobody changes their own roles or disables themselves, and the last
administrator (holding the role in every warehouse) cannot be removed or disabled.
Disabling a user ends their sessions and revokes their tokens in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, case, func

from cangku.db import auth as store
from cangku.db.tables import roles, users
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.catalog import check_code, check_name
from cangku.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from cangku.domain.passwords import check_password
from cangku.domain.permissions import (
    ADMINISTRATOR,
    AUDITOR,
    Actor,
    action,
    check_permission_codes,
    check_separate,
    declared_actions,
)
from cangku.queries.common import Sorting
from cangku.queries.snapshots import role_fields, user_fields
from cangku.services import load_all
from cangku.services.auth import hash_password, verify_password
from cangku.services.common import Context, Subject, audit, load_actor, run_write, utcnow

__all__ = [
    "ROLE_MANAGE",
    "ROLE_SORTING",
    "USER_SORTING",
    "USER_MANAGE",
    "USER_VIEW",
    "RoleView",
    "UserView",
    "change_own_password",
    "create_role",
    "create_user",
    "get_user",
    "grant_role",
    "list_roles",
    "list_users",
    "revoke_role",
    "set_user_active",
    "update_role",
]

USER_VIEW = action("user.view", roles={AUDITOR})
#: create users, change them, set passwords, disable them, grant and revoke roles
USER_MANAGE = action("user.manage", roles=())
#: create and change custom roles
ROLE_MANAGE = action("role.manage", roles=())


#: the orders the user list may be read in (``sort=``); never signed in sorts as the oldest
USER_SORTING = Sorting(
    {
        "username": users.c.username,
        "display_name": users.c.display_name,
        "last_sign_in_at": func.coalesce(users.c.last_sign_in_at, datetime(1970, 1, 1, tzinfo=UTC)),
        "active": users.c.active,
    },
    default="username",
    tiebreak=[users.c.id],
)

#: the orders the role list may be read in (``sort=``); ``kind``: built-in roles first
ROLE_SORTING = Sorting(
    {
        "code": roles.c.code,
        "name": roles.c.name,
        "kind": case((roles.c.builtin.is_(True), 0), else_=1),
        "active": roles.c.active,
    },
    default="kind",
    tiebreak=[roles.c.id],
)


@dataclass(frozen=True)
class UserView:
    username: str
    display_name: str
    active: bool
    version: int
    created_at: datetime
    last_sign_in_at: datetime | None
    has_password: bool
    grants: list[store.GrantRecord]


@dataclass(frozen=True)
class RoleView:
    code: str
    name: str
    description: str | None
    builtin: bool
    active: bool
    permissions: list[str]


def _user_subject(username: str) -> Subject:
    """The user as the audit trail sees it (fields and roles before and after)."""
    return Subject("user", username, lambda conn: user_fields(conn, username))


def _role_subject(code: str) -> Subject:
    return Subject("role", code, lambda conn: role_fields(conn, code))


def _user_view(conn: Connection, user: store.UserRecord) -> UserView:
    return UserView(
        user.username,
        user.display_name,
        user.active,
        user.version,
        user.created_at,
        user.last_sign_in_at,
        user.password_hash is not None,
        store.user_grant_records(conn, user.id),
    )


def get_user(db: Database, username: str) -> UserView:
    with db.read() as conn:
        return _user_view(conn, store.get_user(conn, username))


def list_users(db: Database, sort: str | None = None) -> list[UserView]:
    """Every user with their grants, by user name (or in the order ``sort`` names,
    ``USER_SORTING``). Raises InvalidInput ``invalid_sort``."""
    order = USER_SORTING.order_by(USER_SORTING.parse(sort))
    with db.read() as conn:
        names = store.usernames(conn, order)
        return [_user_view(conn, store.get_user(conn, name)) for name in names]


def _check_username(username: str) -> str:
    """1 to 64 characters without whitespace or ``/`` (a user name is part of URL paths)."""
    check_code(username, "username", max_length=64)
    if any(ch.isspace() or ch == "/" for ch in username):
        raise InvalidInput(
            "a user name has no spaces and no '/'", code="invalid_username", field="username"
        )
    return username


def create_user(
    db: Database,
    ctx: Context,
    username: str,
    display_name: str,
    password: str | None = None,
    roles: list[tuple[str, str | None]] | None = None,
) -> UserView:
    """Create a user, optionally with a password and roles ``(role, warehouse or None)``.

    Raises InvalidInput (``invalid_username``, ``invalid_name``, ``weak_password``), NotFound
    (``role_not_found``, ``warehouse_not_found``), Conflict ``username_taken``.
    Writes: a ``users`` row, its grants, an audit entry.
    """
    _check_username(username)
    check_name(display_name, 200)
    if password is not None:
        check_password(password, username)
    hashed = hash_password(password) if password is not None else None

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> str:
        if store.user_by_username(uow.conn, username) is not None:
            raise Conflict(f"user {username!r} already exists", code="username_taken")
        user_id = store.insert_user(uow.conn, username, display_name, hashed, now)
        for role, warehouse in roles or []:
            _grant(uow.conn, actor, user_id, role, warehouse, now)
        return username

    payload = {"username": username, "display_name": display_name, "roles": roles or []}
    run_write(db, ctx, USER_MANAGE, payload, work, subject=_user_subject(username))
    return get_user(db, username)


def _grant(
    conn: Connection, actor: Actor, user_id: int, role: str, warehouse: str | None, now: datetime
) -> bool:
    check_separate(actor.user_id, user_id, "change your own roles")
    record = store.role_by_code(conn, role)
    if not record.active:
        raise RuleViolation(f"role {role} is deactivated", code="role_inactive")
    warehouse_id = store.warehouse_id(conn, warehouse) if warehouse is not None else None
    return store.add_grant(conn, user_id, record.id, warehouse_id, actor.user_id, now)


def grant_role(
    db: Database, ctx: Context, username: str, role: str, warehouse: str | None = None
) -> UserView:
    """Give ``username`` a role in one warehouse (or all). Repeating it changes nothing.

    Raises PermissionDenied ``separation_of_duties`` for one's own account, NotFound
    (``user_not_found``, ``role_not_found``, ``warehouse_not_found``).
    Writes: a ``user_roles`` row, an audit entry.
    """

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> bool:
        user = store.get_user(uow.conn, username)
        return _grant(uow.conn, actor, user.id, role, warehouse, now)

    payload = {"username": username, "role": role, "warehouse": warehouse, "grant": True}
    run_write(db, ctx, USER_MANAGE, payload, work, subject=_user_subject(username))
    return get_user(db, username)


def _keep_an_administrator(conn: Connection, user: store.UserRecord, role_id: int) -> None:
    if store.count_role_holders(conn, role_id) <= 1 and any(
        g.role == ADMINISTRATOR and g.warehouse_id is None
        for g in store.user_grant_records(conn, user.id)
    ):
        raise RuleViolation(
            "the last administrator cannot lose the role or be disabled",
            code="last_administrator",
        )


def revoke_role(
    db: Database, ctx: Context, username: str, role: str, warehouse: str | None = None
) -> UserView:
    """Take a role away. Raises PermissionDenied ``separation_of_duties`` (own account),
    RuleViolation ``last_administrator``, NotFound ``grant_not_found``.
    Writes: deletes the ``user_roles`` row (grants are not ledger data), an audit entry."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> bool:
        user = store.get_user(uow.conn, username)
        check_separate(actor.user_id, user.id, "change your own roles")
        record = store.role_by_code(uow.conn, role)
        warehouse_id = store.warehouse_id(uow.conn, warehouse) if warehouse else None
        if record.code == ADMINISTRATOR and warehouse_id is None:
            _keep_an_administrator(uow.conn, user, record.id)
        if not store.remove_grant(uow.conn, user.id, record.id, warehouse_id):
            raise NotFound("grant", f"{username}/{role}/{warehouse or '*'}")
        return True

    payload = {"username": username, "role": role, "warehouse": warehouse, "grant": False}
    run_write(db, ctx, USER_MANAGE, payload, work, subject=_user_subject(username))
    return get_user(db, username)


def set_user_active(db: Database, ctx: Context, username: str, active: bool) -> UserView:
    """Disable (or enable) a user. Disabling ends all their sessions and revokes their tokens.

    Raises PermissionDenied ``separation_of_duties`` (own account), RuleViolation
    ``last_administrator``. Writes: the user row, sessions, tokens, an audit entry.
    """

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, int]:
        user = store.get_user(uow.conn, username)
        check_separate(actor.user_id, user.id, "disable or enable your own account")
        ended = revoked = 0
        if not active:
            admin = store.role_by_code(uow.conn, ADMINISTRATOR)
            _keep_an_administrator(uow.conn, user, admin.id)
            ended = store.revoke_sessions(uow.conn, now, user_id=user.id)
            revoked = store.revoke_tokens(uow.conn, now, user_id=user.id)
        store.update_user(uow.conn, user.id, {"active": active}, now)
        return {"sessions_ended": ended, "tokens_revoked": revoked}

    payload = {"username": username, "active": active}
    run_write(db, ctx, USER_MANAGE, payload, work, subject=_user_subject(username))
    return get_user(db, username)


def set_password(db: Database, ctx: Context, username: str, password: str) -> UserView:
    """An administrator sets another user's password (ends that user's sessions).

    Raises InvalidInput ``weak_password``, PermissionDenied ``separation_of_duties`` (use
    ``change_own_password`` for your own). Writes: the user row, sessions, an audit entry.
    """
    check_password(password, username)
    hashed = hash_password(password)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> bool:
        user = store.get_user(uow.conn, username)
        check_separate(actor.user_id, user.id, "reset your own password")
        store.update_user(
            uow.conn, user.id, {"password_hash": hashed, "password_changed_at": now}, now
        )
        store.revoke_sessions(uow.conn, now, user_id=user.id)
        return True

    # the password itself never reaches the audit trail or the idempotency table
    payload = {"username": username, "password": "set"}
    run_write(db, ctx, USER_MANAGE, payload, work, subject=_user_subject(username))
    return get_user(db, username)


def change_own_password(db: Database, ctx: Context, current: str, new: str) -> None:
    """Any signed-in user changes their own password, giving the current one.

    Raises NotAuthenticated-free refusals: PermissionDenied ``wrong_password``, InvalidInput
    ``weak_password``. Writes: the user row, an audit entry (other sessions stay; tokens stay).
    """
    with db.write() as uow:
        now = utcnow()
        actor = load_actor(uow.conn, ctx)
        user = store.get_user(uow.conn, actor.username)
        if not verify_password(user.password_hash, current):
            raise PermissionDenied("the current password is wrong", code="wrong_password")
        check_password(new, user.username)
        store.update_user(
            uow.conn,
            user.id,
            {"password_hash": hash_password(new), "password_changed_at": now},
            now,
        )
        audit(uow.conn, ctx, actor, "user.password_changed", now, target_type="user",
              target=user.username)  # fmt: skip
        uow.commit()


# ---------------------------------------------------------------- roles


def _role_view(conn: Connection, record: store.RoleRecord) -> RoleView:
    return RoleView(
        record.code,
        record.name,
        record.description,
        record.builtin,
        record.active,
        sorted(store.role_permission_codes(conn, record)),
    )


def list_roles(db: Database, sort: str | None = None) -> list[RoleView]:
    """Every role, built-in ones first (or in the order ``sort`` names, ``ROLE_SORTING``).
    Raises InvalidInput ``invalid_sort``."""
    order = ROLE_SORTING.order_by(ROLE_SORTING.parse(sort))
    with db.read() as conn:
        return [_role_view(conn, r) for r in store.list_roles(conn, order)]


def get_role(db: Database, code: str) -> RoleView:
    with db.read() as conn:
        return _role_view(conn, store.role_by_code(conn, code))


def create_role(
    db: Database,
    ctx: Context,
    code: str,
    name: str,
    permissions: list[str],
    description: str | None = None,
) -> RoleView:
    """A custom role made of declared permissions.

    Raises InvalidInput (``invalid_code``, ``invalid_name``, ``unknown_permission``),
    Conflict ``role_code_taken``. Writes: a ``roles`` row, its permissions, an audit entry.
    """
    check_code(code, max_length=64)
    check_name(name, 200)
    load_all()  # every service module declares its actions: the check needs them all
    codes = check_permission_codes(permissions)

    def work(uow: UnitOfWork, _actor: Actor, now: datetime) -> str:
        if store.find_role(uow.conn, code) is not None:
            raise Conflict(f"role {code!r} already exists", code="role_code_taken")
        role_id = store.insert_role(uow.conn, code, name, description, now)
        store.replace_role_permissions(uow.conn, role_id, codes)
        return code

    payload = {"code": code, "name": name, "permissions": codes, "description": description}
    run_write(db, ctx, ROLE_MANAGE, payload, work, subject=_role_subject(code))
    return get_role(db, code)


def update_role(db: Database, ctx: Context, code: str, changes: dict[str, Any]) -> RoleView:
    """Change a custom role's name, description, permissions or active flag.

    Raises RuleViolation ``builtin_role`` (built-in roles change only with the code),
    InvalidInput ``unknown_field`` / ``unknown_permission``. Writes: the role, an audit entry.
    """
    unknown = set(changes) - {"name", "description", "permissions", "active"}
    if unknown:
        raise InvalidInput(f"unknown field {sorted(unknown)[0]!r}", code="unknown_field")
    load_all()
    codes = check_permission_codes(changes["permissions"]) if "permissions" in changes else None
    if "name" in changes:
        check_name(changes["name"], 200)

    def work(uow: UnitOfWork, _actor: Actor, now: datetime) -> str:
        record = store.role_by_code(uow.conn, code)
        if record.builtin:
            raise RuleViolation(f"{code} is a built-in role", code="builtin_role")
        values = {k: v for k, v in changes.items() if k != "permissions"}
        store.update_role(uow.conn, record.id, values, now)
        if codes is not None:
            store.replace_role_permissions(uow.conn, record.id, codes)
        return code

    payload = {"code": code, "changes": {**changes, "permissions": codes}}
    run_write(db, ctx, ROLE_MANAGE, payload, work, subject=_role_subject(code))
    return get_role(db, code)


def permission_catalogue() -> list[dict[str, Any]]:
    """Every declared action with its built-in roles (for pages and ``cangku roles``)."""
    load_all()
    return [
        {
            "code": act.code,
            "scoped": act.scoped,
            "roles": sorted(act.roles),
            "description": act.description,
        }
        for act in sorted(declared_actions().values(), key=lambda a: a.code)
    ]
