"""The lazy command tree (issue 11): ``cangku.cli.manifest`` lists exactly what the command
modules make, and ``cangku --help`` / ``--version`` import none of them."""

from __future__ import annotations

import inspect
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from cangku import __version__
from cangku.cli import commands
from cangku.cli.lazy import module_commands
from cangku.cli.main import app
from cangku.cli.manifest import ALIASES, MANIFEST
from cangku.db.uow import Database
from cangku.domain.permissions import declared_actions
from cangku.services import load_all
from cangku.services.common import Context
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.cli.tree import Invoke, subtree
from tests.factories import CTX, build_company

#: the repository (where ``tests`` imports from)
ROOT = Path(__file__).parents[2]

#: what the modules make, module by module (alphabetical, as the tree was built before)
MODULES = sorted(info.name for info in pkgutil.iter_modules(commands.__path__))
BUILT = {module: module_commands(module) for module in MODULES}

# runs cangku ARGS in a fresh interpreter; prints whether the garbage collector is on and
# anything was frozen, then the command modules it imported
IMPORTED = """
import sys
from cangku.cli.main import app
try:
    app({args!r}, prog_name="cangku")
except SystemExit:
    pass
import gc
print(gc.isenabled(), gc.get_freeze_count() > 0)
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


def test_an_alias_runs_its_group_without_being_listed() -> None:
    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    assert ALIASES == {"lot": "lots", "replenishment": "replenish"}
    assert root.get_command(ctx, "lot") is root.get_command(ctx, "lots")
    assert "lot" not in root.list_commands(ctx)
    listed = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "80"}).stdout
    assert "│ lots " in listed and "│ lot " not in listed


def test_cangku_lot_holds_recalls_and_releases(cangku: Invoke, db: Database) -> None:
    build_company(db)
    receive_stock(db, CTX, Receive("GLUE", "30", "WH1-A", lot="G1", unit_cost="2"))

    done = [
        cangku("lot", verb, "GLUE", "G1", "--reason", "issue 13", "--json")
        for verb in ("hold", "recall", "release")
    ]
    shown = cangku("lot", "show", "GLUE", "G1", "--json")

    assert [result.exit_code for result in done] == [0, 0, 0], [r.output for r in done]
    assert [json.loads(result.stdout)["status"] for result in done] == [
        "hold",
        "recalled",
        "available",
    ]
    assert [(e["from_status"], e["to_status"]) for e in json.loads(shown.stdout)["history"]] == [
        ("available", "hold"),
        ("hold", "recalled"),
        ("recalled", "available"),
    ]


@pytest.mark.parametrize(
    ("args", "loaded"),
    [
        (["--help"], []),
        (["--version"], []),
        ([], []),
        (["stock", "--help"], ["cangku.cli.commands.stock"]),
        (["login", "--help"], ["cangku.cli.commands.auth"]),
        (["db", "--help"], ["cangku.cli.commands.system"]),
        # the alias loads the module of the group it stands for (which reuses warehouses')
        (["lot", "--help"], ["cangku.cli.commands.lots", "cangku.cli.commands.warehouses"]),
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
    # the run loaded the command's module with the collector paused, then froze what it had
    # imported and turned the collector back on (lazy.preload)
    assert out.strip().splitlines()[-2:] == ["True True", repr(loaded)]


# ------------------------------------------------------------------ whole groups, lazily
# prints every command under the top-level entries of one module, loaded in a new process
# (this one has imported every module, so a module adding commands to another's group would
# not show here)
SUBTREE = """
import json, sys, typer
from cangku.cli.main import app
from cangku.cli.manifest import ALIASES, MANIFEST
from tests.cli.tree import subtree
root = typer.main.get_command(app)
found = {}
for entry in MANIFEST:
    if entry.module == sys.argv[1]:
        found.update(subtree(root.get_command(typer.Context(root), entry.name), entry.name))
print(json.dumps(found))
"""


def test_each_module_loaded_alone_makes_its_whole_groups() -> None:
    root = typer.main.get_command(app)
    expected: dict[str, dict[str, list[str]]] = {module: {} for module in MODULES}
    for entry in MANIFEST:
        ctx = typer.Context(root)
        expected[entry.module].update(subtree(root.get_command(ctx, entry.name), entry.name))
    runs = {
        module: subprocess.Popen(
            [sys.executable, "-c", SUBTREE, module], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        for module in MODULES
    }
    alone = {module: json.loads(run.communicate()[0]) for module, run in runs.items()}
    assert alone == expected


# ------------------------------------------------------------------ every action declared
# A built-in role's permissions and what a token's scopes match are the actions declared so
# far, and each service module declares its own: a run that imports one command module must
# still see them all where it lists or checks them. The test process has imported every module,
# so these run ``cangku`` as a new process.
def run_cangku(database_url: str, token: str | None, *args: str, stdin: str = "") -> Any:
    env = {**os.environ, "CANGKU_DATABASE_URL": database_url}
    env.pop("CANGKU_TOKEN", None)
    if token is not None:
        env["CANGKU_TOKEN"] = token
    done = subprocess.run(
        [sys.executable, "-m", "cangku.cli.main", *args, "--json"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def every_action() -> list[str]:
    load_all()
    return sorted(declared_actions())


def test_a_new_process_lists_every_permission_of_the_administrator(
    database_url: str, signed_in: str, every_action: list[str]
) -> None:
    me = run_cangku(database_url, signed_in, "whoami")
    role = run_cangku(database_url, signed_in, "role", "show", "administrator")

    assert sorted(me["permissions"]) == every_action
    assert sorted(role["permissions"]) == every_action


def test_a_new_process_signs_in_with_a_token_of_every_scope(
    db: Database, database_url: str, token_file: Path, every_action: list[str]
) -> None:
    create_user(db, Context("admin"), "ada", "Ada", PASSWORD, [("administrator", None)])

    signed = run_cangku(database_url, None, "login", "--username", "ada", stdin=PASSWORD + "\n")
    made = run_cangku(
        database_url,
        token_file.read_text().strip(),
        "token",
        "create",
        "ci",
        "--scope",
        "stock.*",
        stdin=PASSWORD + "\n",
    )

    assert (signed["username"], signed["token_id"]) == ("ada", made["id"] - 1)
    assert (made["name"], made["scopes"]) == ("ci", ["stock.*"])


def test_the_console_script_runs_the_app() -> None:
    script = Path(sys.executable).with_name("cangku")
    done = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert done.stdout == f"cangku {__version__}\n"
