"""``cangku token create|list|revoke``: personal API tokens for scripts and integrations.

A token cannot make tokens, so ``token create`` asks for your password again; the new token
is printed once (only its hash is kept).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import JsonOpt, context, database, emit, handled, table
from cangku.cli.credentials import PasswordFileOpt, read_password
from cangku.services import auth as service
from cangku.services import load_all

# The actions declared so far decide which permissions a built-in role holds and what a
# token's scopes match. The lazy command tree (cangku.cli.lazy) imports only this module, so
# every service module is imported here, before a command of it reads an actor or checks a
# scope or permission code.
load_all()

NAME = "token"
HELP = "Personal API tokens for scripts and integrations.\n\nA token also works as CANGKU_TOKEN."
app = typer.Typer(no_args_is_help=True)

COLUMNS = ["id", "username", "name", "prefix", "scopes", "expires_at", "last_used_at", "revoked_at"]


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="What the token is for.", show_default=False)],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="Allowed actions, e.g. stock.* or *.view (default *)."),
    ] = None,
    days: Annotated[int, typer.Option("--days", help="Lifetime in days (1-366).")] = 90,
    for_user: Annotated[
        str | None, typer.Option("--for-user", help="For another user (administrators).")
    ] = None,
    password_file: PasswordFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a personal API token (asks for your password).

    A token cannot make tokens. The token is printed this once."""
    with handled(as_json):
        ctx = context()
        password = read_password(password_file, prompt=f"Password for {ctx.username}")
        made = service.sign_in_token(
            database(), ctx.username, password, name, scope, days, for_user=for_user
        )

        def render(_: Any) -> None:
            typer.echo(made.token)
            typer.echo(
                f"(token {made.id} for {for_user or ctx.username}, scopes {' '.join(made.scopes)},"
                f" expires {made.expires_at:%Y-%m-%d}; shown only now)",
                err=True,
            )

        emit(made, as_json, render)


@app.command("list")
def list_(
    everyone: Annotated[bool, typer.Option("--all", help="Every user's tokens.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Your tokens (--all: everyone's), never the secrets."""
    with handled(as_json):
        found = service.list_tokens(database(), context(), everyone=everyone)
        emit({"items": found, "total": len(found)}, as_json, lambda _: table(found, COLUMNS))


@app.command()
def revoke(
    token_id: Annotated[int, typer.Argument(min=1, help="Token id.", show_default=False)],
    as_json: JsonOpt = False,
) -> None:
    """Revoke one of your tokens (any user's with user.manage)."""
    with handled(as_json):
        service.revoke_token(database(), context(), token_id)
        emit({"revoked": token_id}, as_json)
