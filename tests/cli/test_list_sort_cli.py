"""``--sort`` on the list commands (lots, partners, warehouses, locations, users, roles, audit):
the order asked for, and a sort the list does not offer refused with exit code 4 and
``invalid_sort``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cangku.cli.common import database
from cangku.cli.main import app
from cangku.db.uow import Database
from cangku.domain.permissions import BUILTIN_ROLES
from cangku.settings import get_settings
from tests.auth import admin_token
from tests.list_data import build_lists

runner = CliRunner()


@pytest.fixture(autouse=True)
def signed_in(token_file: Path, db: Database, monkeypatch: pytest.MonkeyPatch) -> str:
    """The lists' data first (a copy of a database built once), then the administrator's token."""
    build_lists(db)
    token = admin_token(db)
    monkeypatch.setenv("CANGKU_TOKEN", token)
    return token


@pytest.fixture(autouse=True)
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CANGKU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    database.cache_clear()
    yield
    database().dispose()
    database.cache_clear()
    get_settings.cache_clear()


def run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


COMMANDS = {"lots", "partners", "warehouses", "locations", "user", "role", "audit"}


def command_id(value: object) -> str:
    """A readable test id: the command line (the other parameters say nothing new)."""
    if isinstance(value, list) and value and value[0] in COMMANDS:
        return " ".join(value)
    return ""


def keys(answer: Any, *fields: str) -> list[str]:
    rows = answer if isinstance(answer, list) else answer["items"]
    return ["/".join(str(row[f]) for f in fields) for row in rows]


@pytest.mark.parametrize(
    ("args", "fields", "expected"),
    [
        (["lots", "list"], ["item", "code"], ["FLOUR/F-1", "FLOUR/F-2", "GLUE/G-1", "PUMP/SN-1"]),
        (
            ["lots", "list", "--sort=-expires_on"],
            ["item", "code"],
            ["PUMP/SN-1", "GLUE/G-1", "FLOUR/F-1", "FLOUR/F-2"],
        ),
        (["lots", "list", "--expiry", "ok"], ["code"], ["F-2", "F-1"]),
        (["lots", "list", "--expiry", "ok", "--sort", "code"], ["code"], ["F-1", "F-2"]),
        (["partners", "list", "--sort", "-role"], ["code"], ["BETA", "CORE", "ACME"]),
        (["partners", "list", "--sort", "email"], ["code"], ["BETA", "CORE", "ACME"]),
        (["warehouses", "list", "--sort=-code"], ["code"], ["WH2", "WH1"]),
        (
            ["locations", "list", "--warehouse", "WH1", "--sort", "-name"],
            ["code"],
            ["WH1-SHIP", "WH1-RCV", "WH1-QC", "WH1-B", "WH1-A-01", "WH1-A"],
        ),
        (["user", "list", "--sort", "-username"], ["username"], ["li.wei", "bo", "admin"]),
        (["role", "list"], ["code"], [*BUILTIN_ROLES, "night_shift"]),
        (
            ["role", "list", "--sort", "-code"],
            ["code"],
            sorted([*BUILTIN_ROLES, "night_shift"])[::-1],
        ),
        (
            ["audit", "list", "--target-type", "partner", "--sort", "target"],
            ["target"],
            ["ACME", "BETA", "CORE"],
        ),
        (
            ["audit", "list", "--target-type", "partner"],
            ["target"],
            ["CORE", "BETA", "ACME"],
        ),
    ],
    ids=command_id,
)
def test_a_list_command_sorts_as_told(
    args: list[str], fields: list[str], expected: list[str]
) -> None:
    assert keys(run(*args), *fields) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["lots", "list", "--sort", "price"],
        ["partners", "list", "--sort", "tax_id"],
        ["warehouses", "list", "--sort", "-stock"],
        ["locations", "list", "--sort", "capacity"],
        ["user", "list", "--sort", "password"],
        ["role", "list", "--sort", "permissions"],
        ["audit", "list", "--sort", "details"],
    ],
    ids=lambda v: v[0],
)
def test_a_sort_the_list_does_not_offer_exits_4(args: list[str]) -> None:
    refused = run(*args, code=4)
    assert refused["error"]["code"] == "invalid_sort"
