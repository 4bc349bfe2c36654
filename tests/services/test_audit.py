"""The audit trail: what each change records (who, what before and after, from where), that
secrets never reach it, searching it, and ``verify`` finding every edit made behind its back."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Executable, delete, func, select, update

from cangku.db import guards
from cangku.db.tables import audit_head, audit_log, idempotency_keys
from cangku.db.uow import Database
from cangku.domain.errors import (
    CangkuError,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
    RuleViolation,
)
from cangku.queries.verify import VerifyReport, verify
from cangku.services.audit import AuditFilter, get_audit_entry, search_audit
from cangku.services.auth import create_token, sign_in
from cangku.services.categories import create_category, update_category
from cangku.services.common import Context
from cangku.services.items import ItemInput, create_item, deactivate_item, update_item
from cangku.services.locations import LocationChanges, update_location
from cangku.services.lots import LotInput, create_lot, set_lot_status
from cangku.services.partners import (
    ContactInput,
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
    update_contact,
    update_partner,
)
from cangku.services.setup import initialize
from cangku.services.users import (
    change_own_password,
    create_role,
    create_user,
    grant_role,
    revoke_role,
    set_password,
    set_user_active,
    update_role,
)
from cangku.services.warehouses import WarehouseChanges, deactivate_warehouse, update_warehouse
from tests.auth import PASSWORD
from tests.factories import build_company

ADMIN = Context("admin", origin="10.0.0.7")
AUDITOR = Context("auditor")


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    initialize(db, admin_password="main office key 1")
    create_user(db, ADMIN, "auditor", "Auditor", PASSWORD, [("auditor", None)])
    create_user(db, ADMIN, "viewer", "Viewer", PASSWORD, [("viewer", None)])
    return db


def last_entry(db: Database, **where: str) -> Any:
    with db.read() as conn:
        stmt = select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)
        for name, value in where.items():
            stmt = stmt.where(audit_log.c[name] == value)
        return conn.execute(stmt).first()


def changes_of(db: Database, **where: str) -> dict[str, Any]:
    return dict(get_audit_entry(db, ADMIN, last_entry(db, **where).seq).details["changes"])


def entry_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def report_of(db: Database) -> VerifyReport:
    with db.read() as conn:
        return verify(conn)


def audit_problems(report: VerifyReport) -> list[dict[str, Any]]:
    return [p for p in report.problems if str(p["check"]).startswith("audit_")]


def tamper(db: Database, *statements: Executable) -> None:
    """Change the trail directly, as someone with a SQL console and the guards dropped."""
    with db.write() as uow:
        for statement in guards.drop_statements(db.dialect, guards.AUDIT_TABLES):
            uow.conn.exec_driver_sql(statement)
        for stmt in statements:
            uow.conn.execute(stmt)
        uow.commit()


# ---------------------------------------------------------------- what an entry records


def test_creating_an_item_records_who_from_where_and_every_given_field(db: Database) -> None:
    initialize(db)
    create_item(db, ADMIN, ItemInput("NUT", "Hex nut", "spare_part", units=[("box", Decimal(50))]))

    entry = last_entry(db)
    assert (entry.action, entry.username, entry.origin) == ("item.create", "admin", "10.0.0.7")
    assert (entry.target_type, entry.target, entry.warehouse_id) == ("item", "NUT", None)
    assert changes_of(db) == {
        "active": {"before": None, "after": True},
        "base_unit": {"before": None, "after": "pcs"},
        "code": {"before": None, "after": "NUT"},
        "costing_method": {"before": None, "after": "fifo"},
        "inspection_required": {"before": None, "after": False},
        "item_type": {"before": None, "after": "spare_part"},
        "name": {"before": None, "after": "Hex nut"},
        "tracking": {"before": None, "after": "none"},
        "units.box": {"before": None, "after": "50"},
        "version": {"before": None, "after": 1},
    }


def test_updating_an_item_records_exactly_the_changed_fields(company: Database) -> None:
    update_item(company, ADMIN, "BOLT", {"name": "Bolt M8", "safety_stock": Decimal("5")})

    entry = last_entry(company)
    assert (entry.action, entry.target) == ("item.update", "BOLT")
    assert changes_of(company) == {
        "name": {"before": "Hex bolt M8", "after": "Bolt M8"},
        "safety_stock": {"before": None, "after": "5"},
        "version": {"before": 1, "after": 2},
    }
    details = get_audit_entry(company, AUDITOR, entry.seq).details
    assert details["request"] == {
        "code": "BOLT",
        "changes": {"name": "Bolt M8", "safety_stock": "5"},
        "version": None,
    }


def test_deactivating_an_item_records_the_flag_and_the_version(company: Database) -> None:
    deactivate_item(company, ADMIN, "PUMP")

    assert last_entry(company).action == "item.deactivate"
    assert changes_of(company) == {
        "active": {"before": True, "after": False},
        "version": {"before": 1, "after": 2},
    }


def test_a_partner_contact_and_supplier_terms_are_recorded_field_by_field(
    company: Database,
) -> None:
    partner = create_partner(
        company,
        ADMIN,
        PartnerInput("ACME", "Acme", is_supplier=True, contacts=[ContactInput("Li")]),
    )
    contact = partner.contacts[0].id
    update_partner(company, ADMIN, "ACME", {"name": "Acme Ltd", "phone": "021-555"})
    assert changes_of(company) == {
        "name": {"before": "Acme", "after": "Acme Ltd"},
        "phone": {"before": None, "after": "021-555"},
        "version": {"before": 1, "after": 2},
    }
    update_contact(company, ADMIN, "ACME", contact, {"email": "li@acme.example"})
    assert changes_of(company) == {
        f"contacts.{contact}.email": {"before": None, "after": "li@acme.example"}
    }
    set_supplier_item(company, ADMIN, SupplierItemInput("ACME", "BOLT", price=Decimal("1.25"),
                                                        currency="CNY"))  # fmt: skip
    assert last_entry(company).action == "supplier_item.manage"
    assert changes_of(company) == {
        "supplier_items.BOLT.currency": {"before": None, "after": "CNY"},
        "supplier_items.BOLT.price": {"before": None, "after": "1.25"},
    }


def test_a_warehouse_change_names_the_warehouse(company: Database) -> None:
    update_warehouse(company, ADMIN, "WH2", WarehouseChanges(address="9 Dock Road"))

    entry = last_entry(company)
    assert (entry.action, entry.target_type, entry.target) == (
        "warehouse.update",
        "warehouse",
        "WH2",
    )
    assert get_audit_entry(company, AUDITOR, entry.seq).warehouse == "WH2"
    assert changes_of(company) == {
        "address": {"before": None, "after": "9 Dock Road"},
        "version": {"before": 1, "after": 2},
    }
    deactivate_warehouse(company, ADMIN, "WH2")
    assert changes_of(company) == {
        "active": {"before": True, "after": False},
        "version": {"before": 2, "after": 3},
    }


def test_moving_a_location_records_its_old_and_new_parent(company: Database) -> None:
    update_location(company, ADMIN, "WH1-A-01", LocationChanges(parent="WH1-B"))

    entry = last_entry(company)
    assert (entry.action, entry.target, get_audit_entry(company, AUDITOR, entry.seq).warehouse) == (
        "location.manage",
        "WH1-A-01",
        "WH1",
    )
    assert changes_of(company) == {
        "parent": {"before": "WH1-A", "after": "WH1-B"},
        "version": {"before": 1, "after": 2},
    }


def test_a_lot_status_change_records_the_status_and_the_note(company: Database) -> None:
    create_lot(company, ADMIN, LotInput("GLUE", "G1"))
    lot = set_lot_status(company, ADMIN, "GLUE", "G1", "hold", "smells odd")

    entry = last_entry(company)
    assert (entry.action, entry.target_type, entry.target) == ("lot.status", "lot", "GLUE/G1")
    assert changes_of(company) == {
        "notes": {"before": None, "after": lot.notes},
        "status": {"before": "available", "after": "hold"},
        "version": {"before": 1, "after": 2},
    }


def test_moving_a_category_records_its_parent_and_path(company: Database) -> None:
    create_category(company, ADMIN, "TOOLS", "Tools")
    create_category(company, ADMIN, "HAND", "Hand tools")
    update_category(company, ADMIN, "HAND", {"parent": "TOOLS"})

    assert (last_entry(company).target_type, last_entry(company).target) == ("category", "HAND")
    assert changes_of(company) == {
        "parent": {"before": None, "after": "TOOLS"},
        "path": {"before": "HAND", "after": "TOOLS/HAND"},
    }


def test_grants_and_revocations_are_recorded(company: Database) -> None:
    grant_role(company, ADMIN, "viewer", "stock_counter", "WH1")
    granted = last_entry(company)
    revoke_role(company, ADMIN, "viewer", "stock_counter", "WH1")
    revoked = last_entry(company)

    assert (granted.action, granted.target_type, granted.target) == (
        "user.manage",
        "user",
        "viewer",
    )
    assert get_audit_entry(company, AUDITOR, granted.seq).details["request"] == {
        "username": "viewer",
        "role": "stock_counter",
        "warehouse": "WH1",
        "grant": True,
    }
    assert get_audit_entry(company, AUDITOR, revoked.seq).details["request"] == {
        "username": "viewer",
        "role": "stock_counter",
        "warehouse": "WH1",
        "grant": False,
    }


def test_sign_ins_are_recorded_with_their_address_whether_they_succeed_or_not(
    company: Database,
) -> None:
    sign_in(company, "auditor", PASSWORD, ip="192.0.2.10")
    success = last_entry(company)
    with pytest.raises(NotAuthenticated):
        sign_in(company, "auditor", "not the password", ip="192.0.2.11")
    failure = last_entry(company)

    assert (success.action, success.username, success.origin) == (
        "auth.sign_in",
        "auditor",
        "192.0.2.10",
    )
    assert success.user_id is not None
    assert (failure.action, failure.username, failure.user_id, failure.origin) == (
        "auth.sign_in_failed",
        "auditor",
        None,
        "192.0.2.11",
    )


def test_a_refused_change_records_nothing(company: Database) -> None:
    before = entry_count(company)
    with pytest.raises(Conflict):
        update_item(company, ADMIN, "BOLT", {"name": "Bolt"}, version=7)
    with pytest.raises(PermissionDenied):
        update_item(company, Context("viewer"), "BOLT", {"name": "Bolt"})
    assert entry_count(company) == before


def test_a_replayed_request_records_nothing_more(company: Database) -> None:
    keyed = Context("admin", idempotency_key="rename-bolt-1")
    update_item(company, keyed, "BOLT", {"name": "Bolt"})
    before = entry_count(company)
    update_item(company, keyed, "BOLT", {"name": "Bolt"})
    assert entry_count(company) == before


def test_passwords_and_tokens_never_reach_the_trail(company: Database) -> None:
    create_user(company, ADMIN, "clerk", "Clerk", "first passphrase 1", [("viewer", None)])
    set_password(company, ADMIN, "clerk", "second passphrase 2")
    change_own_password(company, Context("clerk"), "second passphrase 2", "third passphrase 3")
    with pytest.raises(NotAuthenticated):
        sign_in(company, "clerk", "guessed passphrase 4")
    signed = sign_in(company, "clerk", "third passphrase 3")
    token = create_token(company, Context("clerk"), "laptop").token

    with company.read() as conn:
        trail = " ".join(conn.execute(select(audit_log.c.details)).scalars())
        remembered = " ".join(str(r) for r in conn.execute(select(idempotency_keys)).all())
    secrets = [
        "first passphrase 1",
        "second passphrase 2",
        "third passphrase 3",
        "guessed passphrase 4",
        token,
        hashlib.sha256(token.encode()).hexdigest(),
        signed.session_id,
        signed.csrf_token,
        "$argon2id$",
    ]
    assert [s for s in secrets if s in trail or s in remembered] == []
    assert get_audit_entry(company, AUDITOR, last_entry(company).seq).details["name"] == "laptop"


# ---------------------------------------------------------------- searching


@pytest.fixture
def history(company: Database) -> Database:
    """A few changes by two users: the administrator and a purchaser."""
    create_user(company, ADMIN, "buyer", "Buyer", PASSWORD, [("purchaser", None)])
    buyer = Context("buyer", origin="192.0.2.20")
    update_item(company, buyer, "BOLT", {"name": "Bolt M8 zinc"})
    update_item(company, buyer, "GLUE", {"description": "for 木材"})
    update_warehouse(company, ADMIN, "WH1", WarehouseChanges(name="Main"))
    return company


def found(db: Database, limit: int = 50, offset: int = 0, **given: Any) -> list[tuple[str, str]]:
    page = search_audit(db, AUDITOR, AuditFilter(**given), limit, offset)
    return [(row.action, row.target or "") for row in page.items]


def test_search_by_user_newest_first(history: Database) -> None:
    assert found(history, user="buyer") == [("item.update", "GLUE"), ("item.update", "BOLT")]


def test_search_by_exact_action_or_prefix(history: Database) -> None:
    assert found(history, action="warehouse.update") == [("warehouse.update", "WH1")]
    assert found(history, action="item.update", target="BOLT") == [("item.update", "BOLT")]
    assert found(history, action="item.")[:2] == found(history, action="item.*")[:2]
    assert {a for a, _ in found(history, action="item.")} == {"item.create", "item.update"}
    assert found(history, action="item") == []


def test_search_by_target_type_warehouse_and_text(history: Database) -> None:
    assert found(history, target_type="warehouse") == [
        ("warehouse.update", "WH1"),
        ("warehouse.create", "WH2"),
        ("warehouse.create", "WH1"),
    ]
    assert found(history, warehouse="WH2") == [
        ("location.manage", "WH2-A"),
        ("warehouse.create", "WH2"),
    ]
    assert found(history, q="木材") == [("item.update", "GLUE")]
    assert found(history, q="ZINC") == [("item.update", "BOLT")]
    assert found(history, q="100%_") == []


def test_search_by_time_range(history: Database) -> None:
    bolt = last_entry(history, target="BOLT")
    glue = last_entry(history, target="GLUE")
    assert found(history, since=bolt.at, until=glue.at) == [
        ("item.update", "GLUE"),
        ("item.update", "BOLT"),
    ]
    assert found(history, until=bolt.at - timedelta(microseconds=1), user="buyer") == []


def test_search_pages_through_entries(history: Database) -> None:
    every = found(history, user="buyer")
    page = search_audit(history, AUDITOR, AuditFilter(user="buyer"), limit=1, offset=1)
    assert (page.total, [(r.action, r.target) for r in page.items]) == (2, [every[1]])


def test_search_refuses_oversized_filters_and_bad_paging(history: Database) -> None:
    with pytest.raises(InvalidInput) as too_long:
        search_audit(history, AUDITOR, AuditFilter(target="x" * 201))
    with pytest.raises(InvalidInput) as bad_limit:
        search_audit(history, AUDITOR, AuditFilter(), limit=0)
    assert (too_long.value.code, bad_limit.value.code) == ("invalid_filter", "invalid_limit")


def test_only_auditors_and_administrators_read_the_trail(history: Database) -> None:
    with pytest.raises(PermissionDenied) as refused:
        search_audit(history, Context("viewer"), AuditFilter())
    with pytest.raises(PermissionDenied):
        search_audit(history, Context("buyer"), AuditFilter())
    assert refused.value.data["permission"] == "audit.view"
    assert search_audit(history, ADMIN, AuditFilter(user="buyer")).total == 2


# ---------------------------------------------------------------- verify


def test_the_trail_verifies(history: Database) -> None:
    report = report_of(history)
    assert audit_problems(report) == []
    assert report.audit_entries_checked == entry_count(history)


def test_the_database_refuses_edits_of_the_trail(history: Database) -> None:
    with pytest.raises(CangkuError) as edited, history.write() as uow:
        uow.conn.execute(update(audit_log).values(username="nobody"))
    with pytest.raises(CangkuError) as deleted, history.write() as uow:
        uow.conn.execute(delete(audit_log).where(audit_log.c.seq == 1))
    assert (edited.value.code, deleted.value.code) == ("ledger_append_only", "ledger_append_only")
    assert last_entry(history, username="nobody") is None
    assert audit_problems(report_of(history)) == []


def test_verify_names_an_edited_entry(history: Database) -> None:
    seq = last_entry(history, target="BOLT").seq
    forged = '{"request":{"code":"BOLT"},"result":1}'
    tamper(history, update(audit_log).where(audit_log.c.seq == seq).values(details=forged))

    assert audit_problems(report_of(history)) == [
        {"check": "audit_hash_mismatch", "seq": seq, "action": "item.update", "target": "BOLT"}
    ]


def test_verify_names_an_entry_edited_and_rehashed_by_its_successor(history: Database) -> None:
    entry = last_entry(history, target="BOLT")
    rehashed = "f" * 64
    tamper(history, update(audit_log).where(audit_log.c.seq == entry.seq).values(hash=rehashed))

    problems = audit_problems(report_of(history))
    assert problems == [
        {
            "check": "audit_hash_mismatch",
            "seq": entry.seq,
            "action": "item.update",
            "target": "BOLT",
        },
        {
            "check": "audit_link_broken",
            "seq": entry.seq + 1,
            "expected_prev": rehashed,
            "found_prev": entry.hash,
        },
    ]


def test_verify_names_a_deleted_entry_as_a_gap(history: Database) -> None:
    seq = last_entry(history, target="BOLT").seq
    tamper(history, delete(audit_log).where(audit_log.c.seq == seq))

    assert audit_problems(report_of(history)) == [
        {"check": "audit_gap", "seq": seq + 1, "missing_from": seq, "missing_to": seq}
    ]


def test_verify_finds_the_last_entry_deleted_through_the_head(history: Database) -> None:
    last = last_entry(history)
    before_last = last_entry(history, target="GLUE")
    tamper(history, delete(audit_log).where(audit_log.c.seq == last.seq))

    assert audit_problems(report_of(history)) == [
        {
            "check": "audit_head_mismatch",
            "head_seq": last.seq,
            "log_seq": last.seq - 1,
            "head_hash": last.hash,
            "log_hash": before_last.hash,
        }
    ]


def test_verify_finds_a_changed_head(history: Database) -> None:
    last = last_entry(history)
    tamper(history, update(audit_head).values(last_hash="0" * 64))

    assert audit_problems(report_of(history)) == [
        {
            "check": "audit_head_mismatch",
            "head_seq": last.seq,
            "log_seq": last.seq,
            "head_hash": "0" * 64,
            "log_hash": last.hash,
        }
    ]


@pytest.mark.postgres_only
def test_concurrent_writers_keep_one_unbroken_chain(company: Database) -> None:
    start = entry_count(company)
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for k in range(5):
                create_item(company, ADMIN, ItemInput(f"C{n}-{k}", f"Item {n}-{k}", "consumable"))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    with company.read() as conn:
        numbers = list(conn.execute(select(audit_log.c.seq).order_by(audit_log.c.seq)).scalars())
    assert numbers == list(range(1, start + 41))
    assert audit_problems(report_of(company)) == []


@pytest.mark.parametrize("code", ["X" * 65, "A\x00B"], ids=["too_long", "nul"])
def test_a_code_that_cannot_exist_is_refused_by_the_rules_not_the_database(
    company: Database, code: str
) -> None:
    before = entry_count(company)
    with pytest.raises(InvalidInput) as created:
        create_item(company, ADMIN, ItemInput(code, "Nut", "spare_part"))
    with pytest.raises(InvalidInput) as partner:
        create_partner(company, ADMIN, PartnerInput(code, "Acme", is_supplier=True))
    assert (created.value.code, partner.value.code) == ("invalid_code", "invalid_code")
    assert entry_count(company) == before


def test_the_database_refuses_to_delete_the_head_of_the_chain(company: Database) -> None:
    with pytest.raises(RuleViolation) as refused, company.write() as uow:
        uow.conn.execute(delete(audit_head))
    assert refused.value.code == "ledger_append_only"
    with company.read() as conn:
        assert conn.execute(select(func.count()).select_from(audit_head)).scalar_one() == 1


def test_a_missing_head_refuses_audited_writes_cleanly(company: Database) -> None:
    with company.write() as uow:
        for statement in guards.drop_head_statements(company.dialect):
            uow.conn.exec_driver_sql(statement)
        uow.conn.execute(delete(audit_head))
        uow.commit()
    before = count_entries(company)
    with pytest.raises(RuleViolation) as refused:
        update_item(company, ADMIN, "BOLT", {"name": "Bolt again"})
    assert refused.value.code == "audit_head_missing"
    assert count_entries(company) == before


def count_entries(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def test_user_and_role_changes_record_their_fields_before_and_after(company: Database) -> None:
    grant_role(company, ADMIN, "viewer", "stock_counter", "WH1")
    granted = get_audit_entry(company, AUDITOR, last_entry(company).seq)
    set_user_active(company, ADMIN, "viewer", False)
    disabled = get_audit_entry(company, AUDITOR, last_entry(company).seq)
    create_role(company, ADMIN, "counter_plus", "Counter plus", ["stock.view"])
    update_role(company, ADMIN, "counter_plus", {"permissions": ["stock.adjust", "stock.view"]})
    role = get_audit_entry(company, AUDITOR, last_entry(company).seq)

    assert granted.details["changes"] == {
        "roles": {"before": ["viewer@*"], "after": ["stock_counter@WH1", "viewer@*"]}
    }
    assert disabled.details["changes"] == {"active": {"before": True, "after": False}}
    assert role.details["changes"] == {
        "permissions": {"before": ["stock.view"], "after": ["stock.adjust", "stock.view"]}
    }
    assert (role.target_type, role.target) == ("role", "counter_plus")
