"""The ``cangku`` command group, loading each command module when one of its commands runs.

Importing every module under ``cangku.cli.commands`` to build the tree took most of a second
before anything ran, ``cangku --help`` and ``cangku --version`` too (issue 11). Here the top
level comes from ``cangku.cli.manifest``: a command's module is imported, and its commands
built, the first time the command is looked up (``cangku stock on-hand`` imports only the
stock module); listing them for ``--help`` reads the manifest's summaries and imports none.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup

from cangku.cli.manifest import ALIASES, MANIFEST, Entry

COMMANDS_PACKAGE = "cangku.cli.commands"


def module_commands(module_name: str) -> dict[str, _click.Command]:
    """The top-level commands and groups that ``cangku.cli.commands.<module_name>`` makes,
    by name: its ``app`` under its ``NAME`` with its ``HELP``, and what its ``register(app)``
    adds, built as ``typer.main.get_group`` builds them under a parent."""
    module = importlib.import_module(f"{COMMANDS_PACKAGE}.{module_name}")
    holder = typer.Typer()
    sub = getattr(module, "app", None)
    name = getattr(module, "NAME", None)
    if isinstance(sub, typer.Typer) and name:
        holder.add_typer(sub, name=name, help=getattr(module, "HELP", None))
    register = getattr(module, "register", None)
    if callable(register):
        register(holder)
    return dict(typer.main.get_group(holder).commands)


def preload(argv: Sequence[str]) -> None:
    """Import the module of the command that ``argv`` (the words after ``cangku``) names, if
    any, with the cyclic garbage collector paused; then freeze everything imported so far out
    of the collector's view (``gc.freeze``) and resume it.

    A run imports hundreds of modules in half a second, and the collector walked their new
    objects again and again while they loaded, and once more at exit, though next to none of
    them is garbage: ~0.15 s of ``cangku items list --json`` here (0.70 -> 0.55 s). What is
    frozen lives as long as the process anyway; the command itself runs with the collector
    on.
    """
    # the root's options (--help, --version) take no value: the first other word is the command
    name = next((word for word in argv if not word.startswith("-")), "")
    module = {entry.name: entry.module for entry in MANIFEST}.get(ALIASES.get(name, name))
    gc.disable()
    try:
        if module is not None:
            importlib.import_module(f"{COMMANDS_PACKAGE}.{module}")
    finally:
        gc.freeze()
        gc.enable()


class LazyCommands(MutableMapping[str, _click.Command]):
    """A group's commands by name, in the manifest's order: looking one up loads its module
    (all of that module's commands at once); commands added directly are kept after them.
    An alias (``ALIASES``) looks up the command it stands for but is not listed."""

    def __init__(
        self,
        entries: tuple[Entry, ...],
        added: MutableMapping[str, _click.Command],
        aliases: dict[str, str] | None = None,
    ):
        self._modules = {entry.name: entry.module for entry in entries}
        self._loaded: dict[str, _click.Command] = {}
        self._added = dict(added)
        self._aliases = aliases or {}

    def __getitem__(self, name: str) -> _click.Command:
        if name in self._added:
            return self._added[name]
        name = self._aliases.get(name, name)
        if name not in self._loaded and name in self._modules:
            self._loaded.update(module_commands(self._modules[name]))
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        # without loading a module (the mixin's would look the command up)
        return name in self._modules or name in self._added or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        yield from self._modules
        yield from (name for name in self._added if name not in self._modules)

    def __len__(self) -> int:
        return len(self._modules) + sum(name not in self._modules for name in self._added)

    def __setitem__(self, name: str, command: _click.Command) -> None:
        self._added[name] = command

    def __delitem__(self, name: str) -> None:
        # a manifest command cannot be removed; only one added directly
        del self._added[name]


class LazyGroup(TyperGroup):
    """The root ``cangku`` group (``typer.Typer(cls=LazyGroup)``): its commands are the
    manifest's, each loaded on first use, and its help lists them from the manifest."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(MANIFEST, self.commands, ALIASES)
        self._summaries = {entry.name: entry.summary for entry in MANIFEST}
        self._listing = False

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """Write the help page; its command list comes from the manifest's summaries."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        """The commands' names, in the manifest's order (Typer's reads them with their
        commands, which would load every module)."""
        return list(self.commands)

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        """The command named ``cmd_name`` (its module loaded), or None if there is none; while
        the help page is written, a stand-in with only the name and the summary."""
        if self._listing and cmd_name in self._summaries:
            return TyperCommand(name=cmd_name, help=self._summaries[cmd_name])
        return super().get_command(ctx, cmd_name)
