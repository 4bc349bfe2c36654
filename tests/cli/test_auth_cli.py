"""Signing the command line in and out: ``login``, ``logout``, ``whoami``, ``token``, and every
business command refusing without a sign-in or outside the token's scopes."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import api_tokens, audit_log, sign_in_attempts, warehouses
from cangku.db.uow import Database
from cangku.domain.errors import NotAuthenticated
from cangku.services.auth import authenticate_token
from cangku.services.common import Context
from cangku.services.users import create_user, set_user_active
from tests.auth import PASSWORD, admin_token, user_with_roles
from tests.cli.tree import Invoke, business_commands, is_write, sample_args

ADMIN = Context("admin")


def as_json(result: Any) -> Any:
    return json.loads(result.stdout)


def count(db: Database, table: Any, *where: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


@pytest.fixture
def clerk(db: Database) -> Database:
    """A user ``clerk`` (password PASSWORD) with the viewer role everywhere."""
    create_user(db, ADMIN, "clerk", "Clerk", PASSWORD, [("viewer", None)])
    return db


@pytest.fixture
def signed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CANGKU_TOKEN: commands use the token file (empty until ``login``)."""
    monkeypatch.delenv("CANGKU_TOKEN")


def login(cangku: Invoke, username: str = "clerk", password: str = PASSWORD) -> Any:
    return cangku("login", "--username", username, "--json", stdin=password + "\n")


# ------------------------------------------------------------------ login and logout
def test_login_keeps_a_token_that_commands_then_act_with(
    cangku: Invoke, clerk: Database, signed_out: None, token_file: Path
) -> None:
    result = login(cangku)
    me = cangku("whoami", "--json")

    assert result.exit_code == 0, result.output
    shown = as_json(result)
    assert (shown["username"], shown["token_file"]) == ("clerk", str(token_file))
    token = token_file.read_text(encoding="utf-8").strip()
    assert token not in result.stdout  # the token stays in the file
    assert authenticate_token(clerk, token).username == "clerk"
    assert as_json(me)["username"] == "clerk"
    assert as_json(me)["roles"] == [{"role": "viewer", "warehouse": None}]


def test_the_token_file_is_readable_by_its_owner_only(
    cangku: Invoke, clerk: Database, signed_out: None, token_file: Path
) -> None:
    assert login(cangku).exit_code == 0

    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700


def test_login_replaces_an_existing_token_file_keeping_it_private(
    cangku: Invoke, clerk: Database, signed_out: None, token_file: Path
) -> None:
    token_file.parent.mkdir(parents=True)
    token_file.write_text("ck_old\n", encoding="utf-8")
    token_file.chmod(0o644)

    assert login(cangku).exit_code == 0

    assert token_file.read_text(encoding="utf-8").startswith("ck_")
    assert token_file.read_text(encoding="utf-8") != "ck_old\n"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_login_with_a_wrong_password_stores_nothing(
    cangku: Invoke, clerk: Database, signed_out: None, token_file: Path
) -> None:
    tokens_before = count(clerk, api_tokens)

    result = login(cangku, password="not the password")

    assert result.exit_code == 9
    assert as_json(result)["error"]["code"] == "not_authenticated"
    assert not token_file.exists()
    assert count(clerk, api_tokens) == tokens_before
    assert count(clerk, sign_in_attempts, sign_in_attempts.c.succeeded.is_(False)) == 1
    assert count(clerk, audit_log, audit_log.c.action == "auth.sign_in_failed") == 1


def test_login_of_an_unknown_user_answers_the_same(
    cangku: Invoke, clerk: Database, signed_out: None, token_file: Path
) -> None:
    result = login(cangku, username="nobody")

    assert result.exit_code == 9
    assert as_json(result)["error"]["message"] == "wrong user name or password"
    assert not token_file.exists()


def test_login_is_throttled_after_repeated_failures(
    cangku: Invoke, clerk: Database, signed_out: None, token_file: Path
) -> None:
    for _ in range(5):
        assert login(cangku, password="guess again please").exit_code == 9

    result = login(cangku)  # even the right password now waits

    assert result.exit_code == 9
    assert as_json(result)["error"]["code"] == "too_many_attempts"
    assert not token_file.exists()


def test_login_reads_the_password_from_a_file(
    cangku: Invoke, clerk: Database, signed_out: None, token_file: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "password.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")

    result = cangku("login", "-u", "clerk", "--password-file", str(secret), "--json")

    assert result.exit_code == 0, result.output
    assert token_file.exists()


def test_login_has_no_password_argument(cangku: Invoke, clerk: Database, signed_out: None) -> None:
    result = cangku("login", "-u", "clerk", "--password", PASSWORD)

    assert result.exit_code == 2


def test_login_needs_a_user_name_when_it_cannot_ask(
    cangku: Invoke, clerk: Database, signed_out: None
) -> None:
    result = cangku("login", "--json", stdin=PASSWORD + "\n")

    assert result.exit_code == 4
    assert as_json(result)["error"]["code"] == "username_required"


def test_logout_revokes_the_token_and_deletes_the_file(
    cangku: Invoke, clerk: Database, signed_out: None, token_file: Path
) -> None:
    assert login(cangku).exit_code == 0
    token = token_file.read_text(encoding="utf-8").strip()

    out = cangku("logout", "--json")
    after = cangku("whoami", "--json")

    assert out.exit_code == 0, out.output
    assert as_json(out)["signed_out"] is True
    assert as_json(out)["token_revoked"] is True
    assert not token_file.exists()
    with pytest.raises(NotAuthenticated):
        authenticate_token(clerk, token)
    assert after.exit_code == 9
    assert "cangku login" in as_json(after)["error"]["message"]


def test_logout_when_not_signed_in_changes_nothing(
    cangku: Invoke, clerk: Database, signed_out: None
) -> None:
    out = cangku("logout", "--json")

    assert out.exit_code == 0
    assert as_json(out)["signed_out"] is False
    assert as_json(out)["token_revoked"] is False


def test_cangku_token_overrides_the_token_file(
    cangku: Invoke, clerk: Database, signed_out: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert login(cangku).exit_code == 0
    monkeypatch.setenv("CANGKU_TOKEN", admin_token(clerk))

    assert as_json(cangku("whoami", "--json"))["username"] == "admin"


def test_whoami_shows_roles_scopes_and_permissions_per_warehouse(
    cangku: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    cangku("warehouses", "create", "WH1", "Main")
    cangku("warehouses", "create", "WH2", "Second")
    monkeypatch.setenv("CANGKU_TOKEN", user_with_roles(db, "rita", ("receiving_clerk", "WH1")))

    me = as_json(cangku("whoami", "--json"))

    assert me["roles"] == [{"role": "receiving_clerk", "warehouse": "WH1"}]
    assert me["scopes"] == ["*"]
    assert me["permissions"]["stock.receive"] == ["WH1"]
    assert me["permissions"]["item.view"] == "*"
    assert "stock.issue" not in me["permissions"]


# ------------------------------------------------------------------ every command needs a sign-in
BUSINESS = business_commands()


@pytest.mark.parametrize(("name", "command"), BUSINESS, ids=[name for name, _ in BUSINESS])
def test_every_business_command_needs_a_sign_in(
    cangku: Invoke, db: Database, signed_out: None, tmp_path: Path, name: str, command: Any
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    audited = count(db, audit_log)

    result = cangku(*sample_args(name, command, empty), stdin="")

    assert result.exit_code == 9, result.output
    error = as_json(result)["error"]
    assert (error["code"], "run `cangku login`" in error["message"]) == ("not_authenticated", True)
    assert count(db, audit_log) == audited


def test_the_business_commands_cover_the_whole_command_line() -> None:
    names = {name for name, _ in BUSINESS}
    writes = {name for name, command in BUSINESS if is_write(command)}

    assert {"stock receive", "stock on-hand", "items list", "user create", "token create"} <= names
    assert {"init", "serve", "demo", "db upgrade", "verify", "restore"}.isdisjoint(names)
    assert {"stock receive", "period close", "import moves", "user grant"} <= writes
    assert {"stock on-hand", "items list", "whoami"}.isdisjoint(writes)


# ------------------------------------------------------------------ tokens
def test_token_create_asks_the_password_and_prints_the_token_once(
    cangku: Invoke, db: Database, signed_out: None, clerk: Database
) -> None:
    assert login(cangku).exit_code == 0

    made = cangku("token", "create", "ci job", "--scope", "*.view", "--json", stdin=PASSWORD + "\n")
    listed = cangku("token", "list", "--json")

    assert made.exit_code == 0, made.output
    created = as_json(made)
    assert (created["name"], created["scopes"]) == ("ci job", ["*.view"])
    assert authenticate_token(db, created["token"]).scopes == ("*.view",)
    names = [t["name"] for t in as_json(listed)["items"]]
    assert (len(names), names[0].startswith("cangku login ("), names[1]) == (2, True, "ci job")
    assert created["token"] not in listed.stdout


def test_token_create_with_a_wrong_password_makes_no_token(
    cangku: Invoke, db: Database, signed_out: None, clerk: Database
) -> None:
    assert login(cangku).exit_code == 0
    before = count(db, api_tokens)

    result = cangku("token", "create", "ci", "--json", stdin="wrong password here\n")

    assert result.exit_code == 9
    assert count(db, api_tokens) == before


def test_token_revoke_stops_the_token(cangku: Invoke, db: Database) -> None:
    other = user_with_roles(db, "bot", ("viewer", None))
    with db.read() as conn:
        token_id = conn.execute(select(func.max(api_tokens.c.id))).scalar_one()

    result = cangku("token", "revoke", str(token_id), "--json")

    assert result.exit_code == 0, result.output
    with pytest.raises(NotAuthenticated):
        authenticate_token(db, other)


# ------------------------------------------------------------------ scopes and disabled users
def test_a_view_scoped_token_reads_but_cannot_write(
    cangku: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANGKU_TOKEN", admin_token(db, ["*.view"]))

    listed = cangku("warehouses", "list", "--json")
    refused = cangku("warehouses", "create", "WH9", "Ninth", "--json")

    assert listed.exit_code == 0, listed.output
    assert refused.exit_code == 8
    assert as_json(refused)["error"]["code"] == "permission_denied"
    assert count(db, warehouses) == 0


def test_disabling_a_user_stops_their_token(
    cangku: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = user_with_roles(db, "mia", ("warehouse_manager", None))
    monkeypatch.setenv("CANGKU_TOKEN", token)
    assert cangku("warehouses", "list", "--json").exit_code == 0

    set_user_active(db, ADMIN, "mia", False)
    result = cangku("warehouses", "create", "WH9", "Ninth", "--json")

    assert result.exit_code == 9
    assert count(db, warehouses) == 0
