"""The lazy command tree (issue 11): ``cangku.cli.manifest`` lists exactly what the command
modules make, and ``cangku --help`` / ``--version`` import none of them."""

from __future__ import annotations

import inspect
import os
import pkgutil
import subprocess
import sys
from typing import Any

import pytest
import typer

from cangku.cli import commands
from cangku.cli.lazy import module_commands
from cangku.cli.main import app
from cangku.cli.manifest import MANIFEST

#: what the modules make, module by module (alphabetical, as the tree was built before)
MODULES = sorted(info.name for info in pkgutil.iter_modules(commands.__path__))
BUILT = {module: module_commands(module) for module in MODULES}

# runs cangku ARGS in a fresh interpreter and prints the command modules it imported
IMPORTED = """
import sys
from cangku.cli.main import app
try:
    app({args!r}, prog_name="cangku")
except SystemExit:
    pass
print(sorted(m for m in sys.modules if m.startswith("cangku.cli.commands.")))
"""


def first_paragraph(command: Any) -> str:
    return inspect.cleandoc(command.help or "").split("\n\n")[0]


def test_the_manifest_names_what_each_module_makes_with_its_summary() -> None:
    made = [
        (name, module, first_paragraph(command))
        for module, built in BUILT.items()
        for name, command in built.items()
    ]
    assert sorted(made) == sorted(MANIFEST)


def test_the_manifest_keeps_the_order_the_help_has_always_shown() -> None:
    # top-level commands first, then groups, each by module name (how Typer built the tree
    # when every module registered itself in turn)
    built = list(BUILT.values())
    top = [n for b in built for n, c in b.items() if not isinstance(c, typer.core.TyperGroup)]
    groups = [n for b in built for n, c in b.items() if isinstance(c, typer.core.TyperGroup)]
    assert [entry.name for entry in MANIFEST] == top + groups


def test_every_manifest_name_runs_its_modules_command() -> None:
    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    assert root.list_commands(ctx) == [entry.name for entry in MANIFEST]
    for entry in MANIFEST:
        command = root.get_command(ctx, entry.name)
        assert command is not None
        assert type(command) is type(BUILT[entry.module][entry.name])
        assert first_paragraph(command) == entry.summary
    assert root.get_command(ctx, "nothing") is None


@pytest.mark.parametrize(
    ("args", "loaded"),
    [
        (["--help"], []),
        (["--version"], []),
        ([], []),
        (["stock", "--help"], ["cangku.cli.commands.stock"]),
        (["login", "--help"], ["cangku.cli.commands.auth"]),
        (["db", "--help"], ["cangku.cli.commands.system"]),
    ],
)
def test_a_run_imports_only_the_module_of_its_command(args: list[str], loaded: list[str]) -> None:
    env = {**os.environ, "COLUMNS": "80"}
    out = subprocess.run(
        [sys.executable, "-c", IMPORTED.format(args=args)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    assert out.strip().splitlines()[-1] == repr(loaded)
