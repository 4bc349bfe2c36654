"""``cangku user|role|permissions``, and what each role's token may do on the command line:
a viewer writes nothing, a clerk of WH1 neither changes nor sees WH2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import audit_log, moves, roles, user_roles, users
from cangku.db.uow import Database
from cangku.services.auth import sign_in
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.auth import PASSWORD, user_with_roles
from tests.cli.tree import Invoke, business_commands, is_write, sample_args
from tests.factories import CTX, build_company

NEW_PASSWORD = "spring rain on the dock"


def as_json(result: Any) -> Any:
    return json.loads(result.stdout)


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return as_json(result)


def count(db: Database, table: Any, *where: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


@pytest.fixture
def company(db: Database) -> Database:
    """WH1 and WH2 with 10 BOLT at WH1-A and 4 at WH2-A."""
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    receive_stock(db, CTX, Receive("BOLT", "4", "WH2-A", unit_cost="1"))
    return db


def as_user(monkeypatch: pytest.MonkeyPatch, db: Database, name: str, *grants: Any) -> None:
    monkeypatch.setenv("CANGKU_TOKEN", user_with_roles(db, name, *grants))


# ------------------------------------------------------------------ users
def test_user_create_with_a_password_and_roles_then_list_and_show(
    cangku: Invoke, company: Database
) -> None:
    created = ok(
        cangku(
            "user",
            "create",
            "lin",
            "--name",
            "Lin",
            "--role",
            "receiving_clerk@WH1",
            "--role",
            "viewer",
            "--json",
            stdin=PASSWORD + "\n",
        )  # fmt: skip
    )
    listed = ok(cangku("user", "list", "--json"))
    shown = ok(cangku("user", "show", "lin", "--json"))

    assert (created["username"], created["has_password"], created["active"]) == ("lin", True, True)
    assert [(g["role"], g["warehouse"]) for g in created["grants"]] == [
        ("receiving_clerk", "WH1"),
        ("viewer", None),
    ]
    assert [u["username"] for u in listed["items"]] == ["admin", "lin"]
    assert shown == created
    assert sign_in(company, "lin", PASSWORD).username == "lin"


def test_user_create_refuses_a_weak_password_and_writes_nothing(
    cangku: Invoke, db: Database
) -> None:
    result = cangku("user", "create", "lin", "--name", "Lin", "--json", stdin="lin12345678\n")

    assert result.exit_code == 4
    assert as_json(result)["error"]["code"] == "weak_password"
    assert count(db, users) == 1


def test_user_create_without_a_password(cangku: Invoke, db: Database) -> None:
    created = ok(cangku("user", "create", "bot", "--name", "Robot", "--no-password", "--json"))

    assert created["has_password"] is False


def test_user_create_refuses_a_malformed_role_option(cangku: Invoke, db: Database) -> None:
    result = cangku("user", "create", "lin", "--name", "Lin", "--role", "viewer@", "--json")

    assert result.exit_code == 4
    assert as_json(result)["error"]["code"] == "invalid_role_option"
    assert count(db, users) == 1


def test_user_grant_revoke_disable_enable(cangku: Invoke, company: Database) -> None:
    cangku("user", "create", "lin", "--name", "Lin", "--no-password")

    granted = ok(cangku("user", "grant", "lin", "picker_shipper", "--warehouse", "WH2", "--json"))
    revoked = ok(cangku("user", "revoke", "lin", "picker_shipper", "--warehouse", "WH2", "--json"))
    disabled = ok(cangku("user", "disable", "lin", "--json"))
    enabled = ok(cangku("user", "enable", "lin", "--json"))

    assert [(g["role"], g["warehouse"]) for g in granted["grants"]] == [("picker_shipper", "WH2")]
    assert revoked["grants"] == []
    assert (disabled["active"], enabled["active"]) == (False, True)


def test_nobody_grants_themselves_a_role(cangku: Invoke, db: Database) -> None:
    result = cangku("user", "grant", "admin", "viewer", "--json")

    assert result.exit_code == 8
    assert as_json(result)["error"]["code"] == "separation_of_duties"
    assert count(db, user_roles) == 1


def test_set_password_of_another_user(cangku: Invoke, db: Database) -> None:
    cangku("user", "create", "lin", "--name", "Lin", "--json", stdin=PASSWORD + "\n")

    ok(cangku("user", "set-password", "lin", "--json", stdin=NEW_PASSWORD + "\n"))

    assert sign_in(db, "lin", NEW_PASSWORD).username == "lin"


def test_set_password_of_yourself_needs_the_current_one(
    cangku: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    as_user(monkeypatch, db, "lin", ("viewer", None))
    wrong = tmp_path / "wrong"
    wrong.write_text("not my password\n", encoding="utf-8")

    refused = cangku(
        "user", "set-password", "lin", "--current-password-file", str(wrong), "--json",
        stdin=NEW_PASSWORD + "\n",
    )  # fmt: skip
    changed = cangku("user", "set-password", "lin", "--json", stdin=f"{PASSWORD}\n{NEW_PASSWORD}\n")

    assert refused.exit_code == 8
    assert as_json(refused)["error"]["code"] == "wrong_password"
    assert changed.exit_code == 0, changed.output
    assert sign_in(db, "lin", NEW_PASSWORD).username == "lin"


def test_a_viewer_cannot_see_users(
    cangku: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(monkeypatch, db, "vic", ("viewer", None))

    result = cangku("user", "list", "--json")

    assert result.exit_code == 8
    assert as_json(result)["error"]["data"] == {"permission": "user.view"}


def test_a_viewer_is_refused_before_being_asked_a_password(
    cangku: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(monkeypatch, db, "vic", ("viewer", None))

    result = cangku("user", "create", "eve", "--name", "Eve", "--json", stdin="")

    assert result.exit_code == 8
    assert count(db, users, users.c.username == "eve") == 0


# ------------------------------------------------------------------ roles and permissions
def test_permissions_lists_every_declared_action(cangku: Invoke, db: Database) -> None:
    catalogue = ok(cangku("permissions", "--json"))

    by_code = {p["code"]: p for p in catalogue["items"]}
    assert catalogue["total"] == len(by_code)
    assert by_code["stock.receive"]["scoped"] is True
    assert by_code["stock.receive"]["roles"] == [
        "administrator",
        "receiving_clerk",
        "warehouse_manager",
    ]
    assert by_code["user.manage"]["roles"] == ["administrator"]


def test_role_list_show_create_update(cangku: Invoke, db: Database) -> None:
    listed = ok(cangku("role", "list", "--json"))
    created = ok(
        cangku(
            "role",
            "create",
            "night_shift",
            "--name",
            "Night shift",
            "--permission",
            "stock.view",
            "--permission",
            "stock.transfer",
            "--json",
        )  # fmt: skip
    )
    updated = ok(
        cangku(
            "role", "update", "night_shift", "--permission", "stock.view", "--inactive", "--json"
        )
    )
    shown = ok(cangku("role", "show", "night_shift", "--json"))

    assert [r["code"] for r in listed["items"]][0] == "administrator"
    assert listed["total"] == 9
    assert (created["builtin"], created["permissions"]) == (False, ["stock.transfer", "stock.view"])
    assert (updated["permissions"], updated["active"]) == (["stock.view"], False)
    assert shown == updated


def test_role_create_refuses_an_unknown_permission(cangku: Invoke, db: Database) -> None:
    result = cangku(
        "role", "create", "odd", "--name", "Odd", "--permission", "stock.teleport", "--json"
    )

    assert result.exit_code == 4
    assert as_json(result)["error"]["code"] == "unknown_permission"
    assert count(db, roles) == 9


def test_built_in_roles_cannot_be_changed(cangku: Invoke, db: Database) -> None:
    result = cangku("role", "update", "viewer", "--name", "Looker", "--json")

    assert result.exit_code == 5
    assert as_json(result)["error"]["code"] == "builtin_role"


# ------------------------------------------------------------------ a viewer writes nothing
WRITES = [(name, command) for name, command in business_commands() if is_write(command)]


@pytest.mark.parametrize(("name", "command"), WRITES, ids=[name for name, _ in WRITES])
def test_a_viewer_is_refused_every_write_command(
    cangku: Invoke,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
    command: Any,
) -> None:
    as_user(monkeypatch, db, "vic", ("viewer", None))
    empty = tmp_path / "moves.csv"
    empty.write_text("", encoding="utf-8")
    written = (count(db, moves), count(db, audit_log))

    result = cangku(*sample_args(name, command, empty), stdin=PASSWORD + "\n")

    assert result.exit_code == 8, result.output
    assert as_json(result)["error"]["code"] == "permission_denied"
    assert (count(db, moves), count(db, audit_log)) == written


@pytest.mark.parametrize(("name", "command"), WRITES, ids=[name for name, _ in WRITES])
def test_a_view_scoped_token_is_refused_every_write_command(
    cangku: Invoke,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
    command: Any,
) -> None:
    from tests.auth import admin_token

    monkeypatch.setenv("CANGKU_TOKEN", admin_token(db, ["*.view"]))
    empty = tmp_path / "moves.csv"
    empty.write_text("", encoding="utf-8")
    written = (count(db, moves), count(db, audit_log))

    result = cangku(*sample_args(name, command, empty), stdin=PASSWORD + "\n")

    assert result.exit_code == 8, result.output
    assert (count(db, moves), count(db, audit_log)) == written


# ------------------------------------------------------------------ warehouse scope
@pytest.fixture
def clerk_of_wh1(company: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    as_user(monkeypatch, company, "rita", ("receiving_clerk", "WH1"))
    return company


def test_a_clerk_of_wh1_receives_into_wh1(cangku: Invoke, clerk_of_wh1: Database) -> None:
    posted = ok(cangku("stock", "receive", "BOLT", "3", "--to", "WH1-A", "--json"))

    assert [(m["to_location"], m["quantity"], m["user"]) for m in posted["moves"]] == [
        ("WH1-A", "3", "rita")
    ]


def test_a_clerk_of_wh1_cannot_receive_into_wh2(cangku: Invoke, clerk_of_wh1: Database) -> None:
    before = count(clerk_of_wh1, moves)

    result = cangku("stock", "receive", "BOLT", "3", "--to", "WH2-A", "--json")

    assert result.exit_code == 8
    error = as_json(result)["error"]
    assert error["data"] == {"permission": "stock.receive", "warehouse": "WH2"}
    assert error["message"] == "you are not allowed to do stock.receive in warehouse WH2"
    assert count(clerk_of_wh1, moves) == before


def test_a_clerk_of_wh1_sees_only_wh1_stock(cangku: Invoke, clerk_of_wh1: Database) -> None:
    on_hand = ok(cangku("stock", "on-hand", "--json"))
    history = ok(cangku("stock", "history", "--json"))
    warehouses = ok(cangku("warehouses", "list", "--json"))

    assert [(r["location"], r["on_hand"]) for r in on_hand["items"]] == [("WH1-A", "10")]
    assert on_hand["totals"]["on_hand"] == "10"
    assert [m["to_location"] for m in history["items"]] == ["WH1-A"]
    assert [w["code"] for w in warehouses["items"]] == ["WH1"]


@pytest.mark.parametrize(
    "args",
    [
        ("stock", "on-hand", "--warehouse", "WH2"),
        ("stock", "on-hand", "--location", "WH2-A"),
        ("stock", "as-of", "--at", "2100-01-01", "--warehouse", "WH2"),
        ("warehouses", "show", "WH2"),
        ("locations", "show", "WH2-A"),
        ("locations", "tree", "WH2"),
    ],
    ids=lambda args: " ".join(args),
)
def test_a_clerk_of_wh1_is_told_wh2_does_not_exist(
    cangku: Invoke, clerk_of_wh1: Database, args: tuple[str, ...]
) -> None:
    result = cangku(*args, "--json")

    assert result.exit_code == 3
    assert as_json(result)["error"]["code"] in {"warehouse_not_found", "location_not_found"}


def test_a_clerk_of_wh1_cannot_open_a_wh2_move(cangku: Invoke, clerk_of_wh1: Database) -> None:
    with clerk_of_wh1.read() as conn:
        wh2_move = conn.execute(select(func.max(moves.c.id))).scalar_one()

    result = cangku("stock", "move-show", str(wh2_move), "--json")

    assert result.exit_code == 3
    assert as_json(result)["error"]["code"] == "move_not_found"


def test_a_clerk_cannot_see_stock_value(cangku: Invoke, clerk_of_wh1: Database) -> None:
    result = cangku("stock", "value", "--json")

    assert result.exit_code == 8
    assert as_json(result)["error"]["data"] == {"permission": "valuation.view"}
