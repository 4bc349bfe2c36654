"""The demo company: built through the services, complete, verified and reproducible."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cangku.db.tables import items, moves, users, warehouses
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, NotAuthenticated, RuleViolation
from cangku.domain.permissions import BUILTIN_ROLES
from cangku.queries.verify import verify
from cangku.services.auth import sign_in, whoami
from cangku.services.common import Context
from cangku.services.demo import DemoSummary, build_demo, ean13
from cangku.services.demo_users import DEMO_ADMIN_PASSWORD
from cangku.services.periods import list_periods
from cangku.services.setup import initialize
from cangku.services.stock import STOCK_RECEIVE
from tests.databases import ENGINE, RUN_ID, pg_admin, pg_url
from tests.factories import CTX, build_company

ITEM_TYPES = {"raw_material", "semi_finished", "finished_good", "spare_part", "consumable"}


def small_demo(db: Database, seed: int = 11) -> DemoSummary:
    initialize(db)
    return build_demo(db, CTX, seed=seed, months=1, activity=0.15)


def count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


@pytest.fixture
def other_db(template: str, tmp_path: Path) -> Iterator[Database]:
    """A second fresh database in the same test."""
    if ENGINE == "postgresql":
        name = f"cangku_t_{RUN_ID}_{uuid.uuid4().hex[:10]}"
        with pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        database = Database(pg_url(name))
        yield database
        database.dispose()
        with pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "other.db"
        shutil.copyfile(template, path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()


def test_demo_builds_two_warehouses_and_every_item_type(db: Database) -> None:
    summary = small_demo(db)
    assert summary.warehouses == 2
    assert summary.storage_locations == 30
    assert set(summary.items_by_type) == ITEM_TYPES
    assert summary.items == 189
    assert summary.lot_tracked_items == 20
    assert summary.serial_tracked_items == 7
    assert summary.partners == 15
    assert summary.moves == count(db, moves)
    assert summary.moves_by_operation["adjust"] >= 189  # every item got an opening balance


def test_demo_ledger_verifies_without_problems(db: Database) -> None:
    small_demo(db)
    with db.read() as conn:
        report = verify(conn)
    assert report.problems == []
    assert report.moves_checked == count(db, moves)


def test_demo_closes_its_first_month(db: Database) -> None:
    summary = small_demo(db)
    assert [p.closed_through for p in list_periods(db)] == [summary.closed_through]


def test_the_same_seed_gives_the_same_company(db: Database, other_db: Database) -> None:
    first = small_demo(db, seed=5)
    second = small_demo(other_db, seed=5)
    assert second.total_stock_value == first.total_stock_value
    assert second.moves_by_operation == first.moves_by_operation
    assert first.total_stock_value > 0


def test_demo_refuses_a_database_that_holds_items(db: Database) -> None:
    build_company(db)
    with pytest.raises(RuleViolation) as refused:
        build_demo(db, CTX, months=1, activity=0.1)
    assert refused.value.code == "database_not_empty"
    assert count(db, warehouses) == 2
    assert count(db, items) == 4
    assert count(db, moves) == 0
    assert count(db, users) == 1  # no demo users, and the administrator has no demo password
    with db.read() as conn:
        assert conn.execute(select(users.c.password_hash)).scalar_one() is None


def test_demo_makes_one_user_per_role_who_can_sign_in(db: Database) -> None:
    summary = small_demo(db)

    assert [(c.username, c.role, c.warehouse) for c in summary.credentials] == [
        ("admin", "administrator", None),
        ("manager", "warehouse_manager", None),
        ("buyer", "purchaser", None),
        ("clerk", "receiving_clerk", "SH"),
        ("inspector", "quality_inspector", None),
        ("picker", "picker_shipper", None),
        ("counter", "stock_counter", None),
        ("auditor", "auditor", None),
        ("viewer", "viewer", None),
    ]
    assert {c.role for c in summary.credentials} == set(BUILTIN_ROLES)
    for credential in summary.credentials:
        assert credential.password is not None
        assert sign_in(db, credential.username, credential.password).username == credential.username
    clerk = whoami(db, Context("clerk"))
    assert clerk.warehouses(STOCK_RECEIVE) == frozenset({_warehouse_id(db, "SH")})


def test_demo_keeps_an_administrator_password_already_set(db: Database) -> None:
    initialize(db, admin_password="our own strong secret")

    summary = build_demo(db, CTX, months=1, activity=0.1)

    assert (summary.credentials[0].username, summary.credentials[0].password) == ("admin", None)
    assert sign_in(db, "admin", "our own strong secret").username == "admin"
    with pytest.raises(NotAuthenticated):
        sign_in(db, "admin", DEMO_ADMIN_PASSWORD)


def _warehouse_id(db: Database, code: str) -> int:
    with db.read() as conn:
        found = conn.execute(select(warehouses.c.id).where(warehouses.c.code == code))
        return int(found.scalar_one())


@pytest.mark.parametrize("months", [0, 25])
def test_demo_refuses_months_out_of_range(db: Database, months: int) -> None:
    initialize(db)
    with pytest.raises(InvalidInput) as refused:
        build_demo(db, CTX, months=months)
    assert refused.value.code == "invalid_months"
    assert count(db, warehouses) == 0


def test_ean13_appends_the_check_digit() -> None:
    assert ean13("400638133393") == "4006381333931"
    assert ean13("692310000001") == "6923100000012"
