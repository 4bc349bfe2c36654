"""The ``cangku`` command tree, walked so that a test covers every command, new ones too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from typer.testing import Result

from cangku.cli.main import app

Invoke = Callable[..., Result]

#: need no sign-in: they work on the database itself, or sign in and out
OPERATOR_COMMANDS = frozenset(
    {"init", "serve", "demo", "db upgrade", "verify", "restore", "login", "logout"}
)
OPERATOR_GROUPS = ("backup ", "jobs ")
#: an argument value the command accepts, by parameter name (default "X1")
SAMPLE_VALUES = {
    "move_id": "1",
    "contact_id": "1",
    "token_id": "1",
    "rule_id": "1",
    "alert_id": "1",
    "channel_id": "1",
    "subscription_id": "1",
    "delivery_id": "1",
    "budget_id": "1",
    "quantity": "1",
    "through": "2000-01-31",
    "at": "2000-01-31",
    "new_status": "hold",
    "item_type": "spare_part",
    "reason": "found",
    "kind": "items",
}


def command_tree() -> list[tuple[str, Any]]:
    """Every leaf command of ``cangku`` as ("group command", click command)."""
    found: list[tuple[str, Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in sorted(command.commands.items()):
                walk(sub, [*path, name])
        else:
            found.append((" ".join(path), command))

    walk(typer.main.get_command(app), [])
    return found


def business_commands() -> list[tuple[str, Any]]:
    """Every command that acts as a signed-in user (all but the operator commands)."""
    return [
        (name, command)
        for name, command in command_tree()
        if name not in OPERATOR_COMMANDS and not name.startswith(OPERATOR_GROUPS)
    ]


def is_write(command: Any) -> bool:
    """Commands that change something take an idempotency key."""
    return any(param.name == "idempotency_key" for param in command.params)


def sample_args(name: str, command: Any, path: Path) -> list[str]:
    """``name``'s words and a value for each required argument and option (``path`` for
    file arguments), then ``--json``."""
    args = name.split()
    for param in command.params:
        if not param.required:
            continue
        value = str(path) if param.name == "path" else SAMPLE_VALUES.get(param.name, "X1")
        if param.param_type_name == "option":
            args.append(param.opts[0])
        args.append(value)
    return [*args, "--json"]


def subtree(command: Any, path: str) -> dict[str, list[str]]:
    """Every command and group under ``command`` (itself too) by its words: its help and the
    names of its parameters."""
    found = {path: [command.help or "", *(p.name for p in command.params)]}
    if isinstance(command, typer.core.TyperGroup):
        ctx = typer.Context(command)
        for name in command.list_commands(ctx):
            found.update(subtree(command.get_command(ctx, name), f"{path} {name}"))
    return found
