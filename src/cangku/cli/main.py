"""Entry point of the ``cangku`` command."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated

import typer

from cangku import __version__
from cangku.cli import commands

app = typer.Typer(
    name="cangku",
    help=(
        "cangku (仓库): inventory on an append-only, hash-chained stock ledger.\n\n"
        "Sign in first with `cangku login` (or set CANGKU_TOKEN): every command acts as that "
        "user. Operator commands need no sign-in: init, db, serve, demo, verify, backup, "
        "restore."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"cangku {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version of cangku and exit.",
        ),
    ] = False,
) -> None:
    """cangku (仓库): inventory on an append-only, hash-chained stock ledger."""


def _load() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        sub = getattr(module, "app", None)
        name = getattr(module, "NAME", None)
        if isinstance(sub, typer.Typer) and name:
            app.add_typer(sub, name=name, help=getattr(module, "HELP", None))
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_load()

if __name__ == "__main__":  # pragma: no cover
    app()
