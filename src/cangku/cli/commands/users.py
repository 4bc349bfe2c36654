"""``cangku user ...``, ``cangku role ...`` and ``cangku permissions``: users, their roles per
warehouse, custom roles and the catalogue of permissions.

Only an administrator (``user.manage``, ``role.manage``) changes users and roles, and nobody
changes their own roles or disables themselves (separation of duties).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cangku.cli.common import (
    IdemOpt,
    JsonOpt,
    SortOpt,
    context,
    database,
    emit,
    handled,
    reader,
    table,
)
from cangku.cli.credentials import PasswordFileOpt, read_password
from cangku.domain.errors import InvalidInput
from cangku.services import company as zone_service
from cangku.services import load_all
from cangku.services import users as service

# The actions declared so far decide which permissions a built-in role holds and what a
# token's scopes match. The lazy command tree (cangku.cli.lazy) imports only this module, so
# every service module is imported here, before a command of it reads an actor or checks a
# scope or permission code.
load_all()

app = typer.Typer(no_args_is_help=True)
role_app = typer.Typer(no_args_is_help=True)

UserArg = Annotated[str, typer.Argument(help="User name.", show_default=False)]
RoleArg = Annotated[
    str, typer.Argument(help="Role code, e.g. receiving_clerk.", show_default=False)
]
WarehouseOpt = Annotated[
    str | None, typer.Option("--warehouse", help="Only in this warehouse (default: all).")
]
PermissionsOpt = Annotated[
    list[str] | None,
    typer.Option("--permission", help="A permission code (repeat); see `cangku permissions`."),
]


def parse_roles(values: list[str] | None) -> list[tuple[str, str | None]]:
    """``ROLE`` (every warehouse) or ``ROLE@WAREHOUSE``."""
    pairs: list[tuple[str, str | None]] = []
    for value in values or []:
        role, sep, warehouse = value.partition("@")
        if not role or (sep and not warehouse):
            raise InvalidInput(
                f"--role takes ROLE or ROLE@WAREHOUSE, not {value!r}", code="invalid_role_option"
            )
        pairs.append((role, warehouse or None))
    return pairs


def _grants(user: service.UserView) -> str:
    return ", ".join(f"{g.role}@{g.warehouse}" if g.warehouse else g.role for g in user.grants)


def _show_user(user: service.UserView, as_json: bool) -> None:
    def render(_: Any) -> None:
        rows: list[tuple[str, Any]] = [
            ("username", user.username),
            ("display_name", user.display_name),
            ("active", user.active),
            ("has_password", user.has_password),
            ("last_sign_in_at", user.last_sign_in_at or "-"),
            ("roles", _grants(user) or "-"),
            ("version", user.version),
        ]
        for label, value in rows:
            typer.echo(f"{label:<16}{value}")

    emit(user, as_json, render)


# ------------------------------------------------------------------ users
@app.command("list")
def list_users(sort: SortOpt = None, as_json: JsonOpt = False) -> None:
    """List users with their roles.

    By user name, or in the order --sort names."""
    with handled(as_json):
        reader(service.USER_VIEW)
        found = service.list_users(database(), sort)

        def render(_: Any) -> None:
            rows = [
                {
                    "username": u.username,
                    "display_name": u.display_name,
                    "active": u.active,
                    "roles": _grants(u),
                    "last_sign_in_at": u.last_sign_in_at,
                }
                for u in found
            ]
            table(rows, ["username", "display_name", "active", "roles", "last_sign_in_at"])

        emit({"items": found, "total": len(found)}, as_json, render)


@app.command()
def show(username: UserArg, as_json: JsonOpt = False) -> None:
    """Show one user and their roles."""
    with handled(as_json):
        reader(service.USER_VIEW)
        _show_user(service.get_user(database(), username), as_json)


@app.command()
def create(
    username: UserArg,
    name: Annotated[str, typer.Option("--name", help="Display name.", show_default=False)],
    role: Annotated[
        list[str] | None,
        typer.Option("--role", help="ROLE (all warehouses) or ROLE@WAREHOUSE; repeatable."),
    ] = None,
    password_file: PasswordFileOpt = None,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password (cannot sign in; tokens only).")
    ] = False,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user with a password and roles.

    The password comes from a hidden prompt, asked twice."""
    with handled(as_json):
        ctx = context(idempotency_key)
        reader(service.USER_MANAGE)  # before asking for a password that would be refused
        roles = parse_roles(role)
        password = None
        if not no_password:
            password = read_password(password_file, prompt=f"Password for {username}", confirm=True)
        created = service.create_user(database(), ctx, username, name, password, roles)
        _show_user(created, as_json)


@app.command()
def disable(username: UserArg, idempotency_key: IdemOpt = None, as_json: JsonOpt = False) -> None:
    """Disable a user: sessions end, tokens are revoked."""
    with handled(as_json):
        ctx = context(idempotency_key)
        _show_user(service.set_user_active(database(), ctx, username, False), as_json)


@app.command()
def enable(username: UserArg, idempotency_key: IdemOpt = None, as_json: JsonOpt = False) -> None:
    """Enable a disabled user again (their old tokens stay revoked)."""
    with handled(as_json):
        ctx = context(idempotency_key)
        _show_user(service.set_user_active(database(), ctx, username, True), as_json)


@app.command()
def grant(
    username: UserArg,
    role: RoleArg,
    warehouse: WarehouseOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a user a role, in one warehouse or in all."""
    with handled(as_json):
        ctx = context(idempotency_key)
        _show_user(service.grant_role(database(), ctx, username, role, warehouse), as_json)


@app.command()
def revoke(
    username: UserArg,
    role: RoleArg,
    warehouse: WarehouseOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a role away from a user.

    In one warehouse, or the all-warehouses grant."""
    with handled(as_json):
        ctx = context(idempotency_key)
        _show_user(service.revoke_role(database(), ctx, username, role, warehouse), as_json)


@app.command("set-password")
def set_password(
    username: UserArg,
    password_file: PasswordFileOpt = None,
    current_password_file: Annotated[
        Path | None,
        typer.Option(
            "--current-password-file",
            help="For your own password: the current one, from this file ('-': stdin).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set another user's password, or change your own.

    Their sessions end; changing your own asks for the current one first."""
    with handled(as_json):
        ctx = context()
        if username == ctx.username:
            current = read_password(current_password_file, prompt="Current password")
            new = read_password(password_file, prompt="New password", confirm=True)
            service.change_own_password(database(), ctx, current, new)
            _show_user(service.get_user(database(), username), as_json)
            return
        reader(service.USER_MANAGE)
        new = read_password(password_file, prompt=f"New password for {username}", confirm=True)
        _show_user(service.set_password(database(), ctx, username, new), as_json)


@app.command("set-time-zone")
def set_time_zone(
    username: UserArg,
    time_zone: Annotated[
        str,
        typer.Argument(
            help="An IANA zone such as Asia/Shanghai, or 'company' to follow the company's.",
            show_default=False,
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Choose the time zone a user's pages show times in.

    The pages also read times typed in it. Your own (anyone), or another user's
    (user.manage). The CLI and the API keep printing UTC."""
    with handled(as_json):
        ctx = context()
        zone = None if time_zone in ("", "company") else time_zone
        if username == ctx.username:
            found = zone_service.set_own_time_zone(database(), ctx, zone)
        else:
            found = zone_service.set_user_time_zone(database(), ctx, username, zone)
        emit(
            {
                "username": username,
                "time_zone": found.own_time_zone,
                "effective_time_zone": found.time_zone,
            },
            as_json,
        )


# ------------------------------------------------------------------ roles
def _show_role(found: service.RoleView, as_json: bool) -> None:
    def render(_: Any) -> None:
        typer.echo(f"{found.code}  {found.name}" + ("" if found.active else "  (inactive)"))
        typer.echo("built-in" if found.builtin else "custom")
        if found.description:
            typer.echo(found.description)
        for code in found.permissions:
            typer.echo(f"  {code}")

    emit(found, as_json, render)


@role_app.command("list")
def list_roles(sort: SortOpt = None, as_json: JsonOpt = False) -> None:
    """List the built-in and custom roles.

    Built-in roles first, or in the order --sort names."""
    with handled(as_json):
        reader()
        found = service.list_roles(database(), sort)

        def render(_: Any) -> None:
            rows = [
                {
                    "code": r.code,
                    "name": r.name,
                    "builtin": r.builtin,
                    "active": r.active,
                    "permissions": len(r.permissions),
                }
                for r in found
            ]
            table(rows, ["code", "name", "builtin", "active", "permissions"])

        emit({"items": found, "total": len(found)}, as_json, render)


@role_app.command("show")
def show_role(code: RoleArg, as_json: JsonOpt = False) -> None:
    """Show a role with its permissions."""
    with handled(as_json):
        reader()
        _show_role(service.get_role(database(), code), as_json)


@role_app.command("create")
def create_role(
    code: RoleArg,
    name: Annotated[str, typer.Option("--name", help="Role name.", show_default=False)],
    permission: PermissionsOpt = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a custom role from permissions (see `cangku permissions`)."""
    with handled(as_json):
        ctx = context(idempotency_key)
        created = service.create_role(database(), ctx, code, name, permission or [], description)
        _show_role(created, as_json)


@role_app.command("update")
def update_role(
    code: RoleArg,
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    permission: PermissionsOpt = None,
    clear_permissions: Annotated[
        bool, typer.Option("--clear-permissions", help="Remove every permission.")
    ] = False,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a custom role.

    Its name, description, permissions (--permission replaces the list) or whether it is
    active."""
    with handled(as_json):
        ctx = context(idempotency_key)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if description is not None:
            changes["description"] = description
        if permission or clear_permissions:
            changes["permissions"] = [] if clear_permissions else permission
        if active is not None:
            changes["active"] = active
        _show_role(service.update_role(database(), ctx, code, changes), as_json)


# ------------------------------------------------------------------ the catalogue
def permissions(as_json: JsonOpt = False) -> None:
    """Every permission (action) with the built-in roles that hold it."""
    with handled(as_json):
        reader()
        found = service.permission_catalogue()

        def render(_: Any) -> None:
            rows = [
                {
                    "code": p["code"],
                    "scoped": "per warehouse" if p["scoped"] else "",
                    "roles": " ".join(p["roles"]),
                }
                for p in found
            ]
            table(rows, ["code", "scoped", "roles"])

        emit({"items": found, "total": len(found)}, as_json, render)


def register(main: typer.Typer) -> None:
    """Add ``user``, ``role`` and ``permissions`` to the top-level command."""
    main.add_typer(app, name="user", help="Users: create, disable, roles per warehouse, passwords.")
    main.add_typer(role_app, name="role", help="Roles: built-in and custom, their permissions.")
    main.command("permissions")(permissions)
