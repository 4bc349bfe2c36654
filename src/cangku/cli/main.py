"""Entry point of the ``cangku`` command.

Its commands are loaded as they are run (``cangku.cli.lazy``, from ``cangku.cli.manifest``):
``cangku --help`` and ``cangku --version`` import no command module.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from cangku import __version__
from cangku.cli.lazy import LazyGroup, preload


class Cangku(typer.Typer):
    """The ``cangku`` app; run as the command (``app()``, the console script), it first loads
    the module of the command being run with the garbage collector paused (``preload``).
    Tests that invoke it through a runner build the command tree without that."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        argv = args[0] if args else kwargs.get("args")
        preload(sys.argv[1:] if argv is None else argv)
        return super().__call__(*args, **kwargs)


app = Cangku(
    name="cangku",
    help=(
        "cangku (仓库): inventory on an append-only, hash-chained stock ledger.\n\n"
        "Sign in first with `cangku login` (or set CANGKU_TOKEN): every command acts as that "
        "user. Operator commands need no sign-in: init, db, serve, demo, verify, backup, "
        "restore, jobs."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=LazyGroup,
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


if __name__ == "__main__":  # pragma: no cover
    app()
