"""``cangku audit list`` and ``cangku audit show``: searching the trail from the command line."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from cangku.db import guards
from cangku.db.tables import audit_log
from cangku.db.uow import Database
from cangku.services.common import Context
from cangku.services.items import ItemInput, create_item, update_item
from tests.auth import user_with_roles
from tests.cli.tree import Invoke

ADMIN = Context("admin", origin="cli")


def as_json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def changed(db: Database, signed_in: str) -> Database:
    """BOLT created and renamed, NUT created (the administrator is already initialized)."""
    create_item(db, ADMIN, ItemInput("BOLT", "Bolt", "spare_part"))
    create_item(db, ADMIN, ItemInput("NUT", "Nut", "spare_part"))
    update_item(db, ADMIN, "BOLT", {"name": "Hex bolt", "max_stock": Decimal("40")})
    return db


def test_list_filters_by_action_and_target(cangku: Invoke, changed: Database) -> None:
    page = as_json(cangku("audit", "list", "--action", "item.update", "--target", "BOLT", "--json"))

    assert page["total"] == 1
    entry = page["items"][0]
    assert (entry["user"], entry["action"], entry["origin"]) == ("admin", "item.update", "cli")
    assert entry["details"]["changes"] == {
        "max_stock": {"before": None, "after": "40"},
        "name": {"before": "Bolt", "after": "Hex bolt"},
        "version": {"before": 1, "after": 2},
    }


def test_list_by_prefix_user_and_time(cangku: Invoke, changed: Database) -> None:
    items = as_json(cangku("audit", "list", "--action", "item.*", "--user", "admin", "--json"))
    first = items["items"][-1]["at"]
    since = as_json(cangku("audit", "list", "--action", "item.", "--since", first, "--json"))
    until = as_json(cangku("audit", "list", "--action", "item.", "--until", first, "--json"))

    assert [(e["action"], e["target"]) for e in items["items"]] == [
        ("item.update", "BOLT"),
        ("item.create", "NUT"),
        ("item.create", "BOLT"),
    ]
    assert since["total"] == 3
    assert [e["target"] for e in until["items"]] == ["BOLT"]


def test_list_prints_a_table_with_the_changed_fields(cangku: Invoke, changed: Database) -> None:
    result = cangku("audit", "list", "--action", "item.update")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "seq", "at", "user", "action", "target_type", "target", "warehouse", "origin", "changed"
    ]  # fmt: skip
    assert lines[1].split()[-4:] == ["cli", "max_stock,", "name,", "version"]
    assert lines[-1] == "(1 of 1)"


def test_show_prints_every_change_of_one_entry(cangku: Invoke, changed: Database) -> None:
    seq = as_json(cangku("audit", "list", "--action", "item.update", "--json"))["items"][0]["seq"]

    shown = cangku("audit", "show", str(seq))
    as_data = as_json(cangku("audit", "show", str(seq), "--json"))

    assert shown.exit_code == 0, shown.output
    assert '  name: "Bolt" -> "Hex bolt"' in shown.stdout.splitlines()
    assert '  max_stock: null -> "40"' in shown.stdout.splitlines()
    assert (as_data["seq"], as_data["target"]) == (seq, "BOLT")


def test_refusals_have_their_exit_codes(cangku: Invoke, changed: Database) -> None:
    missing = cangku("audit", "show", "999999", "--json")
    not_a_number = cangku("audit", "show", "abc", "--json")
    bad_time = cangku("audit", "list", "--since", "yesterday", "--json")
    bad_limit = cangku("audit", "list", "--limit", "0", "--json")

    assert (missing.exit_code, json.loads(missing.stdout)["error"]["code"]) == (
        3,
        "audit_entry_not_found",
    )
    assert (not_a_number.exit_code, json.loads(not_a_number.stdout)["error"]["code"]) == (
        4,
        "invalid_seq",
    )
    assert (bad_time.exit_code, json.loads(bad_time.stdout)["error"]["code"]) == (
        4,
        "invalid_datetime",
    )
    assert (bad_limit.exit_code, json.loads(bad_limit.stdout)["error"]["code"]) == (
        4,
        "invalid_limit",
    )


def test_a_viewer_may_not_read_the_trail(
    cangku: Invoke, changed: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANGKU_TOKEN", user_with_roles(changed, "viewer1", ("viewer", None)))

    listed = cangku("audit", "list", "--json")
    shown = cangku("audit", "show", "1", "--json")

    assert (listed.exit_code, json.loads(listed.stdout)["error"]["code"]) == (
        8,
        "permission_denied",
    )
    assert (shown.exit_code, json.loads(shown.stdout)["error"]["code"]) == (8, "permission_denied")


def test_verify_names_an_edited_entry(cangku: Invoke, changed: Database) -> None:
    seq = as_json(cangku("audit", "list", "--action", "item.update", "--json"))["items"][0]["seq"]
    total = as_json(cangku("audit", "list", "--json"))["total"]
    clean = cangku("verify")
    with changed.write() as uow:
        for statement in guards.drop_statements(changed.dialect, guards.AUDIT_TABLES):
            uow.conn.exec_driver_sql(statement)
        uow.conn.execute(update(audit_log).where(audit_log.c.seq == seq).values(origin="10.0.0.1"))
        uow.commit()

    broken = cangku("verify")
    report = json.loads(cangku("verify", "--json").stdout)

    assert clean.stdout.splitlines() == [
        f"verify: OK (0 moves, 0 balances, 2 items checked) (audit trail: {total} entries)"
    ]
    assert broken.exit_code == 1
    assert broken.stdout.splitlines()[1:] == [
        f"audit_hash_mismatch: seq={seq} action=item.update target=BOLT"
    ]
    assert (report["ok"], report["audit_entries_checked"]) == (False, total)
