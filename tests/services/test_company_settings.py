"""Company settings (currency, time zone, unit-cost places, expiring-soon days) and each user's
own time zone: validation, the version check, who may change them, and the audit trail."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import audit_log, company, users
from cangku.db.uow import Database
from cangku.domain.errors import Conflict, InvalidInput, PermissionDenied
from cangku.services.common import Context
from cangku.services.company import (
    CompanyChanges,
    get_company,
    get_display,
    set_own_time_zone,
    set_user_time_zone,
    update_company,
)
from cangku.services.demo import build_demo
from cangku.services.setup import initialize
from tests.auth import user_with_roles
from tests.importing import last_audit_entries

ADMIN = Context("admin")


@pytest.fixture
def ready(db: Database) -> Database:
    initialize(db)
    return db


def audit_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def company_row(db: Database) -> dict[str, Any]:
    with db.read() as conn:
        return dict(conn.execute(select(company)).mappings().one())


def test_a_fresh_installation_has_cny_utc_four_places_and_thirty_days(ready: Database) -> None:
    settings = get_company(ready)
    assert (settings.currency, settings.time_zone) == ("CNY", "UTC")
    assert (settings.unit_cost_places, settings.expiring_soon_days, settings.version) == (4, 30, 1)


def test_update_company_changes_the_settings_bumps_the_version_and_is_audited(
    ready: Database,
) -> None:
    changed = update_company(
        ready,
        ADMIN,
        CompanyChanges(
            currency="USD",
            time_zone="Asia/Shanghai",
            unit_cost_places=2,
            expiring_soon_days=14,
            version=1,
        ),
    )
    assert (changed.currency, changed.time_zone) == ("USD", "Asia/Shanghai")
    assert (changed.unit_cost_places, changed.expiring_soon_days, changed.version) == (2, 14, 2)
    action, target, details = last_audit_entries(ready, 1)[0]
    assert (action, target) == ("company.manage", "company")
    assert json.loads(details)["changes"] == {
        "currency": {"before": "CNY", "after": "USD"},
        "expiring_soon_days": {"before": 30, "after": 14},
        "time_zone": {"before": "UTC", "after": "Asia/Shanghai"},
        "unit_cost_places": {"before": 4, "after": 2},
    }


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        pytest.param(CompanyChanges(currency="RMB"), "invalid_currency", id="currency-unknown"),
        pytest.param(CompanyChanges(currency="cny"), "invalid_currency", id="currency-lower"),
        pytest.param(CompanyChanges(currency="CNYX"), "invalid_currency", id="currency-long"),
        pytest.param(CompanyChanges(time_zone="China/Beijing"), "invalid_time_zone", id="zone"),
        pytest.param(CompanyChanges(time_zone=""), "invalid_time_zone", id="zone-empty"),
        pytest.param(CompanyChanges(time_zone="+08:00"), "invalid_time_zone", id="zone-offset"),
        pytest.param(CompanyChanges(unit_cost_places=7), "invalid_unit_cost_places", id="places-7"),
        pytest.param(
            CompanyChanges(unit_cost_places=-1), "invalid_unit_cost_places", id="places-neg"
        ),
        pytest.param(
            CompanyChanges(expiring_soon_days=3651), "invalid_expiring_soon_days", id="days-3651"
        ),
        pytest.param(
            CompanyChanges(expiring_soon_days=True), "invalid_expiring_soon_days", id="days-bool"
        ),
        pytest.param(CompanyChanges(name=" Acme"), "invalid_name", id="name-spaces"),
    ],
)
def test_update_company_refuses_invalid_settings_and_writes_nothing(
    ready: Database, changes: CompanyChanges, code: str
) -> None:
    before, entries = company_row(ready), audit_count(ready)
    with pytest.raises(InvalidInput) as caught:
        update_company(ready, ADMIN, changes)
    assert caught.value.code == code
    assert company_row(ready) == before
    assert audit_count(ready) == entries


def test_update_company_accepts_the_limits(ready: Database) -> None:
    low = update_company(ready, ADMIN, CompanyChanges(unit_cost_places=0, expiring_soon_days=0))
    assert (low.unit_cost_places, low.expiring_soon_days) == (0, 0)
    high = update_company(ready, ADMIN, CompanyChanges(unit_cost_places=6, expiring_soon_days=3650))
    assert (high.unit_cost_places, high.expiring_soon_days) == (6, 3650)


def test_update_company_refuses_a_stale_version(ready: Database) -> None:
    update_company(ready, ADMIN, CompanyChanges(currency="USD", version=1))
    before, entries = company_row(ready), audit_count(ready)
    with pytest.raises(Conflict) as caught:
        update_company(ready, ADMIN, CompanyChanges(currency="EUR", version=1))
    assert caught.value.code == "version_conflict"
    assert caught.value.data == {"expected": 1, "actual": 2}
    assert company_row(ready) == before
    assert audit_count(ready) == entries


@pytest.mark.parametrize("role", ["warehouse_manager", "auditor"])
def test_only_an_administrator_changes_the_company_settings(ready: Database, role: str) -> None:
    user_with_roles(ready, "lin", (role, None))
    before, entries = company_row(ready), audit_count(ready)
    with pytest.raises(PermissionDenied) as caught:
        update_company(ready, Context("lin"), CompanyChanges(currency="USD"))
    assert caught.value.code == "permission_denied"
    assert company_row(ready) == before
    assert audit_count(ready) == entries


def own_zone(db: Database, username: str) -> str | None:
    with db.read() as conn:
        found = conn.execute(select(users.c.time_zone).where(users.c.username == username))
        return found.scalar_one()  # type: ignore[no-any-return]


def test_a_user_chooses_their_own_time_zone_and_back_to_the_company_s(ready: Database) -> None:
    user_with_roles(ready, "lin", ("viewer", None))
    update_company(ready, ADMIN, CompanyChanges(time_zone="Asia/Shanghai"))
    chosen = set_own_time_zone(ready, Context("lin"), "Europe/Berlin")
    assert (chosen.own_time_zone, chosen.time_zone) == ("Europe/Berlin", "Europe/Berlin")
    action, target, details = last_audit_entries(ready, 1)[0]
    assert (action, target) == ("user.time_zone_changed", "lin")
    assert json.loads(details)["changes"] == {
        "time_zone": {"before": None, "after": "Europe/Berlin"}
    }
    back = set_own_time_zone(ready, Context("lin"), None)
    assert (back.own_time_zone, back.time_zone) == (None, "Asia/Shanghai")
    assert own_zone(ready, "lin") is None


def test_an_unknown_own_time_zone_is_refused_and_nothing_written(ready: Database) -> None:
    user_with_roles(ready, "lin", ("viewer", None))
    entries = audit_count(ready)
    with pytest.raises(InvalidInput) as caught:
        set_own_time_zone(ready, Context("lin"), "Mars/Olympus")
    assert caught.value.code == "invalid_time_zone"
    assert own_zone(ready, "lin") is None
    assert audit_count(ready) == entries


def test_an_administrator_sets_another_user_s_time_zone_others_may_not(ready: Database) -> None:
    user_with_roles(ready, "lin", ("viewer", None))
    user_with_roles(ready, "wu", ("warehouse_manager", None))
    shown = set_user_time_zone(ready, ADMIN, "lin", "Asia/Tokyo")
    assert shown.time_zone == "Asia/Tokyo"
    action, target, details = last_audit_entries(ready, 1)[0]
    assert (action, target) == ("user.manage", "lin")
    assert json.loads(details)["changes"] == {"time_zone": {"before": None, "after": "Asia/Tokyo"}}
    with pytest.raises(PermissionDenied):
        set_user_time_zone(ready, Context("wu"), "lin", "UTC")
    assert own_zone(ready, "lin") == "Asia/Tokyo"
    assert get_display(ready, "wu").time_zone == "UTC"


def test_the_demo_company_keeps_its_money_in_yuan_and_its_times_in_shanghai(
    ready: Database,
) -> None:
    build_demo(ready, ADMIN, seed=3, months=1, activity=0.1)
    settings = get_company(ready)
    assert (settings.currency, settings.time_zone) == ("CNY", "Asia/Shanghai")
