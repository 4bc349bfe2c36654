"""``cangku login``, ``logout`` and ``whoami``: signing the command line in and out.

``login`` checks the password and stores a new personal API token in the token file
(``~/.config/cangku/token`` or ``CANGKU_TOKEN_FILE``, mode 0600); every business command then
acts as that user, with that token's scopes. ``CANGKU_TOKEN`` overrides the file.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Annotated, Any

import typer

from cangku.cli.common import JsonOpt, context, database, emit, handled, table
from cangku.cli.credentials import (
    TOKEN_ENV,
    PasswordFileOpt,
    forget_token,
    read_password,
    store_token,
    stored_token,
    token_file,
)
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput
from cangku.domain.permissions import Actor, declared_actions
from cangku.queries.sites import warehouse_codes
from cangku.services import load_all
from cangku.services.auth import MAX_TOKEN_DAYS, sign_in_token, sign_out_token, whoami
from cangku.services.users import get_user

# The actions declared so far decide which permissions a built-in role holds and what a
# token's scopes match. The lazy command tree (cangku.cli.lazy) imports only this module, so
# every service module is imported here, before a command of it reads an actor or checks a
# scope or permission code.
load_all()


def _username(given: str | None) -> str:
    if given:
        return given
    if not sys.stdin.isatty():
        raise InvalidInput(
            "give --username (standard input is not a terminal)", code="username_required"
        )
    return str(typer.prompt("User name", err=True))


def login(
    username: Annotated[
        str | None, typer.Option("--username", "-u", help="Your user name (asked if not given).")
    ] = None,
    password_file: PasswordFileOpt = None,
    days: Annotated[
        int, typer.Option("--days", min=1, max=MAX_TOKEN_DAYS, help="Sign-in lasts this long.")
    ] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Sign in and keep a personal API token in the token file.

    The password comes from a hidden prompt, --password-file (its first line; '-' for standard
    input) or standard input when it is not a terminal; never from an argument. A wrong
    password stores nothing (exit 9).
    """
    with handled(as_json):
        name = _username(username)
        password = read_password(password_file)
        label = f"cangku login ({socket.gethostname()})"[:100]
        token = sign_in_token(database(), name, password, label, days=days)
        path = store_token(token.token)
        data = {
            "username": name,
            "token_id": token.id,
            "token_prefix": token.prefix,
            "expires_at": token.expires_at,
            "token_file": str(path),
        }

        def render(_: Any) -> None:
            typer.echo(f"signed in as {name} until {token.expires_at:%Y-%m-%d %H:%M} UTC")
            typer.echo(f"token kept in {path}")
            if os.environ.get(TOKEN_ENV):
                typer.echo(f"note: {TOKEN_ENV} is set and is used instead of this sign-in")

        emit(data, as_json, render)


def logout(as_json: JsonOpt = False) -> None:
    """Sign out: revoke the token and delete the token file."""
    with handled(as_json):
        token = stored_token()
        revoked = sign_out_token(database(), token) if token else False
        removed = forget_token()
        data = {"signed_out": removed, "token_revoked": revoked, "token_file": str(token_file())}

        def render(_: Any) -> None:
            typer.echo("signed out" if removed else "not signed in (no token file)")
            if os.environ.get(TOKEN_ENV):
                typer.echo(f"note: {TOKEN_ENV} is still set (revoke it with `cangku token revoke`)")

        emit(data, as_json, render)


def describe_actor(db: Database, actor: Actor) -> dict[str, Any]:
    """Permissions as ``{code: "*" or [warehouse codes]}`` (``*``: every warehouse, or an
    action that is not per warehouse)."""
    load_all()
    actions = declared_actions()
    codes = warehouse_codes(db)
    described: dict[str, Any] = {}
    for code in sorted(actor.permissions):
        where = actor.warehouses(actions[code]) if code in actions else None
        described[code] = "*" if where is None else sorted(codes.get(w, str(w)) for w in where)
    return described


def whoami_command(as_json: JsonOpt = False) -> None:
    """Who you are signed in as, with your roles and permissions.

    Also the scopes of the token in use."""
    with handled(as_json):
        ctx = context()
        db = database()
        actor = whoami(db, ctx)
        user = get_user(db, actor.username)
        permissions = describe_actor(db, actor)
        data = {
            "username": user.username,
            "display_name": user.display_name,
            "roles": [{"role": g.role, "warehouse": g.warehouse} for g in user.grants],
            "scopes": list(ctx.scopes) if ctx.scopes is not None else None,
            "permissions": permissions,
        }

        def render(_: Any) -> None:
            typer.echo(f"{user.username}  {user.display_name}")
            typer.echo(
                "roles: "
                + (
                    ", ".join(f"{g.role} ({g.warehouse or 'all warehouses'})" for g in user.grants)
                    or "none"
                )
            )
            typer.echo("token scopes: " + " ".join(ctx.scopes or ["-"]))
            rows = [
                {"permission": code, "warehouses": "all" if where == "*" else " ".join(where)}
                for code, where in permissions.items()
            ]
            table(rows, ["permission", "warehouses"])

        emit(data, as_json, render)


def register(app: typer.Typer) -> None:
    """Add ``login``, ``logout`` and ``whoami`` to the top-level command."""
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("whoami")(whoami_command)
