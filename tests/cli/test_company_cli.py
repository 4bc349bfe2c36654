"""``cangku company show|set`` and ``cangku user set-time-zone``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import audit_log, company, users
from cangku.db.uow import Database
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.auth import user_with_roles
from tests.cli.tree import Invoke
from tests.factories import CTX, build_company


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def stored(db: Database) -> dict[str, Any]:
    with db.read() as conn:
        return dict(conn.execute(select(company)).mappings().one())


def test_company_show_and_set_as_json(cangku: Invoke, db: Database) -> None:
    shown = ok(cangku("company", "show", "--json"))
    assert (shown["currency"], shown["time_zone"], shown["version"]) == ("CNY", "UTC", 1)
    changed = ok(
        cangku(
            "company",
            "set",
            "--currency",
            "USD",
            "--time-zone",
            "Asia/Shanghai",
            "--unit-cost-places",
            "2",
            "--expiring-soon-days",
            "60",
            "--version",
            "1",
            "--json",
        )  # fmt: skip
    )
    assert (changed["currency"], changed["time_zone"]) == ("USD", "Asia/Shanghai")
    assert (changed["unit_cost_places"], changed["expiring_soon_days"]) == (2, 60)
    assert changed["version"] == 2
    assert changed["updated_at"].endswith("+00:00")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        pytest.param(("--currency", "YUAN"), "invalid_currency", id="currency"),
        pytest.param(("--time-zone", "Beijing"), "invalid_time_zone", id="zone"),
        pytest.param(("--unit-cost-places", "7"), "invalid_unit_cost_places", id="places"),
    ],
)
def test_company_set_refuses_invalid_settings_with_exit_4(
    cangku: Invoke, db: Database, args: tuple[str, ...], code: str
) -> None:
    before = stored(db)
    result = cangku("company", "set", *args, "--json")
    assert result.exit_code == 4, result.output
    assert json.loads(result.stdout)["error"]["code"] == code
    assert stored(db) == before


def test_company_set_by_a_manager_is_refused(
    cangku: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANGKU_TOKEN", user_with_roles(db, "wu", ("warehouse_manager", None)))
    with db.read() as conn:
        entries = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
    result = cangku("company", "set", "--currency", "USD", "--json")
    assert result.exit_code == 8, result.output
    assert stored(db)["currency"] == "CNY"
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() == entries


def test_user_set_time_zone_for_another_user_and_back_to_the_company_s(
    cangku: Invoke, db: Database
) -> None:
    user_with_roles(db, "lin", ("viewer", None))
    shown = ok(cangku("user", "set-time-zone", "lin", "Asia/Shanghai", "--json"))
    assert shown == {
        "username": "lin",
        "time_zone": "Asia/Shanghai",
        "effective_time_zone": "Asia/Shanghai",
    }
    back = ok(cangku("user", "set-time-zone", "lin", "company", "--json"))
    assert back["time_zone"] is None
    with db.read() as conn:
        zone = conn.execute(select(users.c.time_zone).where(users.c.username == "lin"))
        assert zone.scalar_one() is None


def test_stock_value_names_the_company_currency_and_keeps_exact_values(
    cangku: Invoke, db: Database
) -> None:
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "1", "WH1-A", unit_cost="1311817.387279"))
    shown = ok(cangku("stock", "value", "--json"))
    assert (shown["currency"], shown["total_value"]) == ("CNY", "1311817.387279")
    text = cangku("stock", "value")
    assert "total value 1311817.387279 CNY" in text.stdout


def test_stock_on_hand_totals_are_per_unit(cangku: Invoke, db: Database) -> None:
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    receive_stock(db, CTX, Receive("FLOUR", "2.5", "WH1-A", lot="F1", unit_cost="1"))
    shown = ok(cangku("stock", "on-hand", "--json"))
    assert [(t["unit"], t["on_hand"]) for t in shown["unit_totals"]] == [
        ("kg", "2.5"),
        ("pcs", "10"),
    ]
    text = cangku("stock", "on-hand").stdout
    assert "total  on hand 2.5 kg  reserved 0  available 2.5" in text
    assert "total  on hand 10 pcs  reserved 0  available 10" in text
    assert "12.5" not in text
