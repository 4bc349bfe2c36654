"""Stored replenishment levels (issue 16 point 3, ADR 0032): recomputed from a ledger worked out
by hand (tests.replenishment_factory), idempotent, cleared when demand vanishes; a manual
override beside the computed levels with who and why, cleared again; each refusal writes
nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from cangku.db.tables import abc_classes, abc_runs, audit_log, replenishment_levels
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, NotFound, PermissionDenied
from cangku.queries.lead_times import lead_times
from cangku.queries.replenishment import level_rows, one_level
from cangku.services.common import Context
from cangku.services.partners import SupplierItemInput, set_supplier_item
from cangku.services.replenishment.levels import recompute_levels
from cangku.services.replenishment.overrides import OverrideInput, clear_override, set_override
from cangku.services.users import create_user
from tests.factories import CTX, build_company
from tests.replenishment_factory import WEEKS, build_levelled_bolt

BUYER = Context(username="buyer")  # purchaser in WH1
PETE = Context(username="pete")  # purchaser in WH2
VIC = Context(username="vic")  # viewer everywhere


@pytest.fixture
def ledger(db: Database) -> Database:
    build_company(db)
    build_levelled_bolt(db)
    create_user(db, CTX, "buyer", "Buyer", roles=[("purchaser", "WH1")])
    create_user(db, CTX, "pete", "Pete", roles=[("purchaser", "WH2")])
    create_user(db, CTX, "vic", "Vic", roles=[("viewer", None)])
    return db


def _stored(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(select(replenishment_levels).order_by("item_id", "warehouse_id"))
        return [dict(r._mapping) for r in rows]


def _audits(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def test_levels_are_computed_from_the_receipts_and_the_demand(ledger: Database) -> None:
    done = recompute_levels(ledger, BUYER, weeks=WEEKS)
    assert (done.computed, done.cleared, done.methods) == (1, 0, {"moving_average": 1})
    with ledger.read() as conn:
        (row,), total = level_rows(conn, readable=None)
        detail = one_level(conn, row.item_id, row.warehouse_id)
    assert (total, row.item, row.warehouse, row.method) == (1, "BOLT", "WH1", "moving_average")
    # weeks 42, 14 x 16: the moving average forecasts 14 with no backtest error (chosen over
    # SES, also exact, by the order of the methods); d = 14 / 7 = 2 a day
    assert (row.mae, row.mase, row.demand) == (Decimal(0), Decimal(0), Decimal(2))
    # the weekly sd: mean 266/17, squares 26.352941^2 + 16 x 1.647059^2 = 737.882353, / 16,
    # sqrt = 6.790998; per day / sqrt(7) = 2.566756
    assert row.demand_sd == Decimal("2.566756")
    # lead times 5 and 9 days: mean 7, sd sqrt(8)
    assert (row.lead_time, row.lead_time_sd) == (Decimal(7), Decimal("2.828427"))
    assert (row.lead_time_source, row.lead_time_samples) == ("receipts", 2)
    # no ABC run: class B's 0.95, z 1.6449
    assert (row.abc_class, row.service_level, row.z) == (None, Decimal("0.95"), Decimal("1.6449"))
    # SS = 1.6449 x sqrt(7 x 2.566756^2 + 2^2 x 2.828427^2) = 1.6449 x sqrt(78.117652)
    #    = 1.6449 x 8.838419 = 14.54 -> 15 (up to whole pieces); ROP = 2 x 7 + 15 = 29;
    # max = 29 + 2 x 7 (the review period) = 43
    levels = {"safety_stock": Decimal(15), "reorder_point": Decimal(29), "order_up_to": Decimal(43)}
    assert row.computed == levels and row.in_force == levels
    assert row.source == dict.fromkeys(levels, "computed")
    assert detail is not None and detail.working is not None
    working = detail.working
    assert (working["variance"], working["deviation"]) == ("78.117652", "8.838419")
    assert (working["weekly_mean"], working["weekly_sd"]) == ("14.000000", "6.790998")
    assert [c["method"] for c in working["candidates"]] == ["moving_average", "ses"]
    assert working["lead_time"] == {
        "source": "receipts",
        "scope": "warehouse",
        "samples": [
            {"order": "PO-WH1-2026-00001", "receipt": "GR-WH1-2026-00001", "days": 5},
            {"order": "PO-WH1-2026-00002", "receipt": "GR-WH1-2026-00002", "days": 9},
        ],
    }


def test_a_recompute_is_idempotent_and_audited(ledger: Database) -> None:
    recompute_levels(ledger, BUYER, weeks=WEEKS)
    first, audits = _snapshot(ledger), _audits(ledger)
    again = recompute_levels(ledger, BUYER, weeks=WEEKS)
    assert (again.computed, again.cleared) == (1, 0)
    assert _snapshot(ledger) == first
    assert _audits(ledger) == audits + 1


def test_an_override_is_kept_beside_the_computed_levels_and_cleared(ledger: Database) -> None:
    recompute_levels(ledger, BUYER, weeks=WEEKS)
    after = set_override(
        ledger,
        BUYER,
        "BOLT",
        "WH1",
        OverrideInput("supplier strike", reorder_point="60", order_up_to="80"),
    )
    assert after == {
        "safety_stock": Decimal(15),
        "reorder_point": Decimal(60),
        "order_up_to": Decimal(80),
    }
    with ledger.read() as conn:
        (row,), _ = level_rows(conn, readable=None, only_with_override=True)
    assert (row.override_reason, row.override_by) == ("supplier strike", "buyer")
    assert row.override_at is not None
    assert row.source == {
        "safety_stock": "computed",
        "reorder_point": "override",
        "order_up_to": "override",
    }
    # the recompute leaves the override alone
    recompute_levels(ledger, BUYER, weeks=WEEKS)
    with ledger.read() as conn:
        (row,), _ = level_rows(conn, readable=None)
    assert (row.override["reorder_point"], row.computed["reorder_point"]) == (60, 29)
    clear_override(ledger, BUYER, "BOLT", "WH1")
    with ledger.read() as conn:
        (row,), _ = level_rows(conn, readable=None)
        assert level_rows(conn, readable=None, only_with_override=True) == ([], 0)
    assert row.in_force["reorder_point"] == 29 and row.override_by is None


def _snapshot(db: Database) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "computed_at"} for r in _stored(db)]


@pytest.mark.parametrize(
    ("ctx", "item", "warehouse", "command", "error", "code"),
    [
        (BUYER, "BOLT", "WH1", OverrideInput("  ", reorder_point="5"), InvalidInput,
         "reason_required"),
        (BUYER, "BOLT", "WH1", OverrideInput("why"), InvalidInput, "no_override_levels"),
        (BUYER, "BOLT", "WH1", OverrideInput("why", safety_stock="-1"), InvalidInput,
         "negative_level"),
        (BUYER, "BOLT", "WH1", OverrideInput("why", safety_stock="1.5"), InvalidInput,
         "too_many_decimals"),
        (BUYER, "BOLT", "WH1", OverrideInput("why", reorder_point="10"), InvalidInput,
         "reorder_point_below_safety_stock"),
        (BUYER, "BOLT", "WH1", OverrideInput("why", reorder_point="50"), InvalidInput,
         "max_below_reorder_point"),
        (BUYER, "NOPE", "WH1", OverrideInput("why", reorder_point="5"), NotFound,
         "item_not_found"),
        (BUYER, "BOLT", "WH9", OverrideInput("why", reorder_point="5"), NotFound,
         "warehouse_not_found"),
        (PETE, "BOLT", "WH1", OverrideInput("why", reorder_point="30"), PermissionDenied,
         "permission_denied"),
        (VIC, "BOLT", "WH1", OverrideInput("why", reorder_point="30"), PermissionDenied,
         "permission_denied"),
    ],
    ids=["no reason", "no level", "negative", "decimals", "rop below ss", "max below rop",
         "unknown item", "unknown warehouse", "other warehouse", "viewer"],
)  # fmt: skip
def test_override_refusals_write_nothing(
    ledger: Database, ctx: Context, item: str, warehouse: str, command: OverrideInput,
    error: type[Exception], code: str,
) -> None:  # fmt: skip
    recompute_levels(ledger, CTX, weeks=WEEKS)
    before, audits = _stored(ledger), _audits(ledger)
    with pytest.raises(error) as raised:
        set_override(ledger, ctx, item, warehouse, command)
    assert getattr(raised.value, "code", None) == code
    assert (_stored(ledger), _audits(ledger)) == (before, audits)


def test_clear_refusals_and_recompute_refusals_write_nothing(ledger: Database) -> None:
    recompute_levels(ledger, CTX, weeks=WEEKS)
    before, audits = _stored(ledger), _audits(ledger)
    with pytest.raises(NotFound) as none:
        clear_override(ledger, BUYER, "BOLT", "WH1")
    assert none.value.code == "override_not_found"
    with pytest.raises(PermissionDenied):
        clear_override(ledger, VIC, "BOLT", "WH1")
    with pytest.raises(PermissionDenied):
        recompute_levels(ledger, PETE, warehouse="WH1", weeks=WEEKS)
    with pytest.raises(PermissionDenied):
        recompute_levels(ledger, VIC, weeks=WEEKS)
    with pytest.raises(InvalidInput) as weeks:
        recompute_levels(ledger, BUYER, weeks=16)
    assert weeks.value.code == "invalid_weeks"
    with pytest.raises(NotFound):
        recompute_levels(ledger, BUYER, item="NOPE", weeks=WEEKS)
    assert (_stored(ledger), _audits(ledger)) == (before, audits)


def test_a_purchaser_recomputes_only_the_warehouses_granted(ledger: Database) -> None:
    # PETE manages WH2 only, where BOLT had no demand: nothing computed
    assert recompute_levels(ledger, PETE, weeks=WEEKS).computed == 0
    assert _stored(ledger) == []


def test_levels_whose_demand_vanished_are_cleared_keeping_an_override(ledger: Database) -> None:
    recompute_levels(ledger, BUYER, weeks=WEEKS)
    set_override(ledger, BUYER, "BOLT", "WH1", OverrideInput("hold more", safety_stock="20"))
    with ledger.write() as uow:
        uow.conn.execute(text("UPDATE items SET active = false WHERE code = 'BOLT'"))
        uow.commit()
    done = recompute_levels(ledger, BUYER, weeks=WEEKS)
    assert (done.computed, done.cleared) == (0, 1)
    (row,) = _stored(ledger)
    assert (row["computed_at"], row["safety_stock"], row["method"]) == (None, None, None)
    assert (row["override_safety_stock"], row["override_reason"]) == (20 * 10**6, "hold more")
    clear_override(ledger, BUYER, "BOLT", "WH1")
    assert _stored(ledger) == []  # nothing computed, nothing overridden: no row


def _ids(db: Database) -> dict[str, int]:
    with db.read() as conn:
        found = conn.execute(
            text("SELECT code, id FROM items UNION ALL SELECT code, id FROM warehouses")
        )
        return {code: int(i) for code, i in found}


def test_lead_times_fall_back_from_receipts_to_supplier_item_and_default(ledger: Database) -> None:
    set_supplier_item(ledger, CTX, SupplierItemInput("ACME", "FLOUR", lead_time_days=10))
    with ledger.write() as uow:
        uow.conn.execute(text("UPDATE supplier_items SET preferred = true"))
        uow.conn.execute(text("UPDATE items SET lead_time_days = 3 WHERE code = 'PUMP'"))
        uow.commit()
    ids = _ids(ledger)
    keys = [
        (ids[item], ids[wh])
        for item, wh in [
            ("BOLT", "WH1"),
            ("BOLT", "WH2"),
            ("FLOUR", "WH1"),
            ("PUMP", "WH1"),
            ("GLUE", "WH1"),
        ]
    ]
    with ledger.read() as conn:
        found = lead_times(conn, keys)
    got = [(f.days, f.sd, f.source, f.scope, f.count) for f in (found[k] for k in keys)]
    assert got == [
        (Decimal(7), Decimal("2.828427"), "receipts", "warehouse", 2),
        (Decimal(7), Decimal("2.828427"), "receipts", "item", 2),  # no receipts in WH2
        (Decimal(10), Decimal(0), "supplier", None, 0),
        (Decimal(3), Decimal(0), "item", None, 0),
        (Decimal(14), Decimal(0), "default", None, 0),
    ]  # fmt: skip


def test_the_class_of_the_latest_abc_run_sets_the_service_level(ledger: Database) -> None:
    ids = _ids(ledger)
    with ledger.write() as uow:
        for run_id, klass in [(1, "C"), (2, "A")]:  # run 2 is the latest: A
            uow.conn.execute(
                insert(abc_runs).values(
                    id=run_id, warehouse_id=ids["WH1"], period_start=date(2026, 1, 1),
                    period_end=date(2026, 6, 30), computed_at=datetime(2026, 7, 1, tzinfo=UTC),
                    computed_by=1, total=0,
                )
            )  # fmt: skip
            uow.conn.execute(
                insert(abc_classes).values(
                    run_id=run_id, item_id=ids["BOLT"], abc_class=klass, consumption=0
                )
            )
        uow.commit()
    recompute_levels(ledger, BUYER, weeks=WEEKS)
    with ledger.read() as conn:
        (row,), _ = level_rows(conn, readable=None)
    # A: 0.98, z 2.0537; SS = 2.0537 x 8.838419 = 18.15 -> 19; ROP = 14 + 19; max = 33 + 14
    assert (row.abc_class, row.service_level, row.z) == ("A", Decimal("0.98"), Decimal("2.0537"))
    assert row.computed == {
        "safety_stock": Decimal(19), "reorder_point": Decimal(33), "order_up_to": Decimal(47)
    }  # fmt: skip
