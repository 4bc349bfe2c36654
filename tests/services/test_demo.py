"""The demo company: built through the services, complete, verified and reproducible."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from cangku.db.tables import (
    alerts,
    allocations,
    approval_rules,
    channels,
    document_events,
    document_lines,
    documents,
    items,
    locations,
    lots,
    moves,
    purchase_budgets,
    replenishment_levels,
    subscriptions,
    users,
    warehouses,
)
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, NotAuthenticated, RuleViolation
from cangku.domain.permissions import BUILTIN_ROLES
from cangku.queries.cycle_counts import accuracy_history
from cangku.queries.documents import TaskCount, my_tasks, task_counts
from cangku.queries.lot_trace import lot_trace
from cangku.queries.outbound import demand
from cangku.queries.suggestions import suggestions
from cangku.queries.transfers import in_transit
from cangku.queries.verify import verify
from cangku.services.auth import sign_in, whoami
from cangku.services.common import Context, utcnow
from cangku.services.company import get_company
from cangku.services.demo import DemoSummary, build_demo, ean13
from cangku.services.demo_users import DEMO_ADMIN_PASSWORD
from cangku.services.periods import list_periods
from cangku.services.setup import initialize
from cangku.services.stock import STOCK_RECEIVE
from cangku.services.tasks import notifications_of
from tests.databases import ENGINE, RUN_ID, build_once, pg_admin, pg_url
from tests.factories import CTX, build_company

shipment = documents.alias("shipment")
ITEM_TYPES = {"raw_material", "semi_finished", "finished_good", "spare_part", "consumable"}


#: the small demo's summary per seed, as built once in this worker (``build_once``)
_SUMMARIES: dict[int, DemoSummary] = {}


def small_demo(db: Database, seed: int = 11, *, fresh: bool = False) -> DemoSummary:
    """A month of demo history: built once per worker and seed, later tests get a copy of the
    database (a build costs 5-10 s); ``fresh`` builds it again whatever was built before."""
    if fresh:
        initialize(db)
        return build_demo(db, CTX, seed=seed, months=1, activity=0.15)

    def build() -> None:
        initialize(db)
        _SUMMARIES[seed] = build_demo(db, CTX, seed=seed, months=1, activity=0.15)

    build_once(db, f"small_demo_{seed}", build)
    return _SUMMARIES[seed]


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
    assert summary.storage_locations == 32
    assert set(summary.items_by_type) == ITEM_TYPES
    assert summary.items == 189
    assert summary.lot_tracked_items == 20
    assert summary.serial_tracked_items == 11
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


def _documents(db: Database) -> list[tuple[str, str, str]]:
    with db.read() as conn:
        rows = conn.execute(
            select(documents.c.number, documents.c.doc_type, documents.c.state).order_by(
                documents.c.id
            )
        )
        return [(r[0], r[1], r[2]) for r in rows]


def test_the_same_seed_gives_the_same_company(db: Database, other_db: Database) -> None:
    first = small_demo(db, seed=5, fresh=True)
    second = small_demo(other_db, seed=5, fresh=True)
    assert second.total_stock_value == first.total_stock_value
    assert second.moves_by_operation == first.moves_by_operation
    assert second.documents_by_type == first.documents_by_type
    assert _documents(other_db) == _documents(db)
    assert first.total_stock_value > 0


def _states(db: Database) -> dict[tuple[str, str], int]:
    with db.read() as conn:
        rows = conn.execute(
            select(documents.c.doc_type, documents.c.state, func.count()).group_by(
                documents.c.doc_type, documents.c.state
            )
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}


def test_demo_buys_through_the_inbound_documents(db: Database) -> None:
    summary = small_demo(db)

    with db.read() as conn:
        # every receipt from a supplier belongs to a receipt document (production is a work order)
        receipts = {
            str(r[0]): int(r[1])
            for r in conn.execute(
                select(moves.c.document_type, func.count())
                .where(moves.c.operation == "receive")
                .group_by(moves.c.document_type)
            )
        }
        returned = conn.execute(
            select(func.count()).where(
                moves.c.operation == "return", moves.c.document_type != "supplier_return"
            )
        ).scalar_one()
        rejected = conn.execute(
            select(func.count())
            .select_from(document_lines.join(documents))
            .where(documents.c.doc_type == "inspection", document_lines.c.rejected > 0)
        ).scalar_one()
        serials_received = conn.execute(
            select(func.count())
            .select_from(document_lines.join(documents).join(lots))
            .where(documents.c.doc_type == "receipt", lots.c.is_serial.is_(True))
        ).scalar_one()
        lots_received = conn.execute(
            select(func.count())
            .select_from(document_lines.join(documents).join(lots))
            .where(documents.c.doc_type == "receipt", lots.c.is_serial.is_(False))
        ).scalar_one()
        approved = conn.execute(
            select(func.count()).where(
                documents.c.doc_type == "purchase_order", documents.c.approved_by.is_not(None)
            )
        ).scalar_one()
        rejection = conn.execute(
            select(warehouses.c.code, locations.c.code, locations.c.kind)
            .join(locations, locations.c.id == warehouses.c.rejection_location_id)
            .order_by(warehouses.c.code)
        ).all()
    # customer returns come back as receipts of their own
    assert set(receipts) == {"customer_return", "receipt", "work_order"}
    assert returned == 0
    assert rejected >= 2  # the first inspection's and the seal's on the last day
    assert serials_received >= 4
    assert lots_received >= 1
    assert approved >= 1
    assert [tuple(r) for r in rejection] == [
        ("SH", "SH-QC-REJ", "quality"),
        ("SZ", "SZ-QC-REJ", "quality"),
    ]
    states = _states(db)
    assert set(summary.documents_by_type) == {
        "customer_return",
        "inspection",
        "pick_list",
        "purchase_order",
        "putaway",
        "receipt",
        "requisition",
        "sales_order",
        "shipment",
        "supplier_return",
        "transfer",
        "adjustment",
        "count",
    }
    # each month a count of the cycle-count plan, posted with its differences; the last one
    # is being counted
    assert states[("count", "counting")] == 1
    assert states[("count", "posted")] >= 1
    with db.read() as conn:
        history = accuracy_history(conn, "SH")
    assert len(history) == states[("count", "posted")]
    assert all(c.lines_counted > c.lines_right > 0 for c in history)
    assert all(c.absolute_variance is not None and c.absolute_variance > 0 for c in history)
    # Shenzhen replenished on transfers every Monday; one on its way now, one back waiting
    assert states[("transfer", "received")] >= 1
    assert (states[("transfer", "in_transit")], states[("transfer", "submitted")]) == (1, 1)
    with db.read() as conn:
        moving = in_transit(conn)
    assert {(r.from_warehouse, r.to_warehouse, r.state) for r in moving} == {
        ("SH", "SZ", "in_transit")
    }
    assert all(r.quantity == 2 and r.value is not None and r.value > 0 for r in moving)
    # a lot sold or used in production and still in stock is recalled: the trace shows both
    with db.read() as conn:
        recalled = conn.execute(select(lots.c.id).where(lots.c.status == "recalled")).all()
        assert len(recalled) == 1
        trace = lot_trace(conn, recalled[0][0])
    assert trace.balanced and trace.status == "recalled"
    gone = trace.totals["shipped"] + trace.totals["issued_to_production"]
    assert gone > 0 and trace.totals["on_hand"] > 0
    # what the last day leaves open: one of each, whatever the date the demo is built on
    assert states[("purchase_order", "draft")] == 1
    assert states[("purchase_order", "awaiting_approval")] == 1
    assert states[("inspection", "open")] == 1
    assert states[("putaway", "open")] == 1
    assert states[("receipt", "received")] == 2  # the resin in QC and the bearings at the dock
    assert states[("supplier_return", "draft")] == 1
    assert states[("supplier_return", "returned")] >= 1
    assert states[("purchase_order", "confirmed")] >= 1  # the late order at least
    delivered = sum(
        n
        for (kind, state), n in states.items()
        if kind == "purchase_order" and state in ("received", "closed")
    )
    # one receipt per order delivered (in full, or short and closed); all but two registered
    assert states[("receipt", "registered")] + 2 == delivered


def _open_outbound(db: Database) -> list[tuple[str, str, str, str | None]]:
    """The outbound requests and pick lists still open: (type, state, raised by, assignee)."""
    raised_by, given_to = users.alias("raised_by"), users.alias("given_to")
    with db.read() as conn:
        rows = conn.execute(
            select(
                documents.c.doc_type, documents.c.state, raised_by.c.username, given_to.c.username
            )
            .join(raised_by, raised_by.c.id == documents.c.created_by)
            .join(given_to, given_to.c.id == documents.c.assignee_id, isouter=True)
            .where(
                documents.c.doc_type.in_(["sales_order", "requisition", "pick_list"]),
                documents.c.state.not_in(["shipped", "closed", "cancelled", "done"]),
            )
            .order_by(documents.c.doc_type, documents.c.state)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]


def test_demo_issues_through_the_outbound_documents(db: Database) -> None:
    small_demo(db)

    states = _states(db)
    with db.read() as conn:
        # every issue leaves on a shipment of a sales order or a requisition
        issued = {
            str(r[0]): int(r[1])
            for r in conn.execute(
                select(moves.c.document_type, func.count())
                .where(moves.c.operation == "issue")
                .group_by(moves.c.document_type)
            )
        }
        shipments = conn.execute(
            select(
                documents.c.doc_type,
                func.count(),
                func.count(shipment.c.carrier),
                func.count(shipment.c.tracking_number),
            )
            .join(shipment, shipment.c.origin_id == documents.c.id)
            .where(shipment.c.doc_type == "shipment")
            .group_by(documents.c.doc_type)
        ).all()
        ship_steps = conn.execute(
            select(func.count())
            .select_from(document_events.join(documents))
            .where(
                document_events.c.step == "ship",
                documents.c.doc_type.in_(["sales_order", "requisition"]),
            )
        ).scalar_one()
        shipped_requests = conn.execute(
            select(func.count(shipment.c.origin_id.distinct())).where(
                shipment.c.doc_type == "shipment"
            )
        ).scalar_one()
        threshold = {"requisition": 10_000_000_000, "sales_order": 20_000_000_000}
        approvals = {
            (r[0], r[1] is not None, r[2] > threshold[r[0]])
            for r in conn.execute(
                select(
                    documents.c.doc_type, documents.c.approved_by, documents.c.total_value
                ).where(
                    documents.c.doc_type.in_(["sales_order", "requisition"]),
                    documents.c.state.not_in(["draft", "submitted", "rejected", "cancelled"]),
                )
            )
        }
        requisitions = conn.execute(
            select(
                func.count(),
                func.count(documents.c.department),
                func.count(documents.c.plan_reference),
                func.count(documents.c.planned_on),
            ).where(documents.c.doc_type == "requisition")
        ).one()
        moved_by_picks = conn.execute(
            select(func.count()).where(
                moves.c.operation == "move", moves.c.document_type == "pick_list"
            )
        ).scalar_one()
        rules = conn.execute(
            select(
                approval_rules.c.doc_type,
                approval_rules.c.min_value,
                approval_rules.c.approver_role,
            ).order_by(approval_rules.c.doc_type)
        ).all()
        returned = conn.execute(
            select(document_lines.c.disposition, func.count())
            .join(documents)
            .where(documents.c.doc_type == "customer_return")
            .group_by(document_lines.c.disposition)
        ).all()
    assert set(issued) == {"requisition", "sales_order"}
    by_kind = {r[0]: (r[1], r[2], r[3]) for r in shipments}
    # sales shipments go by carrier with a tracking number; requisitions to the line
    so_shipments = by_kind["sales_order"][0]
    assert by_kind["sales_order"] == (so_shipments, so_shipments, so_shipments)
    assert by_kind["requisition"][1:] == (0, 0)
    # a shipment per ship step; every shipped, part shipped or closed request had one or more
    assert sum(n for n, _, _ in by_kind.values()) == states[("shipment", "shipped")] == ship_steps
    assert shipped_requests == sum(
        n
        for (kind, state), n in states.items()
        if kind in ("sales_order", "requisition")
        and state in ("shipped", "partially_shipped", "closed")
    )
    # a manager approved exactly the requests above the rules' thresholds
    assert all(approved == above for _, approved, above in approvals)
    assert requisitions[1:] == (requisitions[0],) * 3  # department, order, planned date
    assert moved_by_picks >= states[("pick_list", "done")]
    assert [(r[0], r[1], r[2]) for r in rules] == [
        ("requisition", 10_000_000_000, "warehouse_manager"),
        ("sales_order", 20_000_000_000, "warehouse_manager"),
    ]
    assert sorted((r[0], int(r[1])) for r in returned) == [("inspect", 1), ("restock", 1)]

    # what the last day leaves open, one at each step, whatever the date the demo is built on
    assert _open_outbound(db) == [
        ("pick_list", "open", "picker", "picker"),
        ("requisition", "allocated", "planner", None),
        ("requisition", "submitted", "planner", None),
        ("sales_order", "approved", "sales", None),
        ("sales_order", "draft", "sales", "sales"),
        ("sales_order", "partially_shipped", "sales", None),
        ("sales_order", "picking", "sales", None),
        ("sales_order", "picking", "sales", None),
        ("sales_order", "rejected", "sales", "sales"),
    ]
    assert states.get(("requisition", "draft"), 0) == 0
    assert states.get(("sales_order", "submitted"), 0) == 0
    assert states.get(("sales_order", "allocated"), 0) == 0
    with db.read() as conn:
        assert verify(conn).problems == []


def test_demo_leaves_reservations_only_on_the_open_requests(db: Database) -> None:
    small_demo(db)

    with db.read() as conn:
        held = conn.execute(
            select(documents.c.number, documents.c.state, locations.c.kind, func.count())
            .select_from(allocations)
            .join(documents, documents.c.id == allocations.c.document_id, isouter=True)
            .join(locations, locations.c.id == allocations.c.location_id)
            .group_by(documents.c.number, documents.c.state, locations.c.kind)
            .order_by(documents.c.state, locations.c.kind)
        ).all()
        short = conn.execute(
            select(document_lines.c.reason_code, document_lines.c.rejected, locations.c.code)
            .join(documents, documents.c.id == document_lines.c.document_id)
            .join(locations, locations.c.id == document_lines.c.location_id)
            .where(documents.c.doc_type == "pick_list", document_lines.c.rejected > 0)
            .order_by(document_lines.c.id.desc())
        ).first()
        backorder = conn.execute(
            select(func.sum(document_lines.c.quantity - document_lines.c.done))
            .join(documents, documents.c.id == document_lines.c.document_id)
            .where(documents.c.state == "partially_shipped")
        ).scalar_one()
        corrected = conn.execute(
            select(moves.c.quantity, locations.c.code)
            .join(locations, locations.c.id == moves.c.from_location_id)
            .where(moves.c.reason_code == "count_difference")
            .order_by(moves.c.id.desc())
        ).first()
    # the allocated requisition in its two bins, the open pick list's order in its bin, the
    # picked order at the shipping area; none without a request, none for the backorder
    assert [(r[1], r[2], r[3]) for r in held] == [
        ("allocated", "internal", 2),
        ("picking", "internal", 1),
        ("picking", "shipping", 1),
    ]
    assert all(r[0] is not None for r in held)
    # the last short pick: counted short, its shortfall backordered and taken off the bin
    assert short is not None and short[0] == "count_difference"
    assert backorder == short[1]
    assert corrected is not None and (corrected[0], corrected[1]) == (short[1], short[2])


def _tasks(db: Database, username: str) -> dict[tuple[str, str], tuple[int, int]]:
    actor = whoami(db, Context(username))
    today = utcnow().astimezone(ZoneInfo(get_company(db).time_zone)).date()
    with db.read() as conn:
        counts: list[TaskCount] = task_counts(conn, actor, today)
        assert my_tasks(conn, actor, today).total == sum(c.count for c in counts)
    return {(c.doc_type, c.step): (c.count, c.overdue) for c in counts}


def test_demo_leaves_work_in_each_roles_task_inbox(db: Database) -> None:
    small_demo(db)

    buyer, manager = _tasks(db, "buyer"), _tasks(db, "manager")
    clerk, inspector = _tasks(db, "clerk"), _tasks(db, "inspector")

    assert buyer == {("purchase_order", "confirm"): (1, 0)}
    assert inspector == {("inspection", "inspect"): (1, 0)}
    # orders still on their way: the late one is overdue (a weekend may leave another late)
    on_the_way, late = clerk.pop(("purchase_order", "receive"))
    assert on_the_way >= 1
    assert late >= 1
    assert clerk == {("putaway", "put_away"): (1, 0), ("supplier_return", "ship"): (1, 0)}
    assert manager.pop(("purchase_order", "receive")) == (on_the_way, late)
    outbound = {
        ("requisition", "pick"): (1, 0),  # allocated, waiting for its pick list
        ("sales_order", "allocate"): (2, 0),  # the approved order and the backorder
        ("sales_order", "ship"): (2, 0),  # the one on the open pick list and the one picked
    }
    assert manager == {
        ("inspection", "inspect"): (1, 0),
        ("purchase_order", "approve"): (1, 0),
        ("purchase_order", "confirm"): (1, 0),
        ("requisition", "approve"): (1, 0),
        ("supplier_return", "ship"): (1, 0),
        # the transfer on its way to Shenzhen, the one back to Shanghai the picker raised
        ("transfer", "receive"): (1, 0),
        ("transfer", "approve"): (1, 0),
        ("count", "close"): (1, 0),  # the month's count of the plan, being counted
        **outbound,
    }  # not the put-away nor the pick list: they were given to the clerk and the picker
    assert _tasks(db, "picker") == {("pick_list", "pick"): (1, 0), **outbound}
    # the draft and the rejected order are the sales staff's (given to them)
    assert _tasks(db, "sales") == {
        ("sales_order", "revise"): (1, 0),
        ("sales_order", "submit"): (1, 0),
    }
    assert _tasks(db, "counter") == {("count", "close"): (1, 0)}
    for nobody in ("planner", "auditor", "viewer"):
        assert _tasks(db, nobody) == {}
    today = utcnow().astimezone(ZoneInfo(get_company(db).time_zone)).date()
    with db.read() as conn:
        assert verify(conn).problems == []
        # the requisition waiting for the manager wants up to 300 kg more steel than is free:
        # the planner sees the shortage before it is approved
        short = demand(conn, today, 14, only_short=True)
    assert [(r.warehouse, r.item[:7]) for r in short] == [("SH", "RM-STCR")]
    assert Decimal(0) < short[0].demand - short[0].available <= Decimal(300)


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
        ("sales", "sales", None),
        ("planner", "planner", None),
    ]
    assert {c.role for c in summary.credentials} == {*BUILTIN_ROLES, "sales", "planner"}
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


def test_demo_plans_replenishment_and_checks_the_alerts(db: Database) -> None:
    small_demo(db)

    with db.read() as conn:
        levels = conn.execute(
            select(warehouses.c.code, func.count(), func.count(replenishment_levels.c.override_by))
            .join(warehouses, warehouses.c.id == replenishment_levels.c.warehouse_id)
            .group_by(warehouses.c.code)
        ).all()
        override = conn.execute(
            select(replenishment_levels.c.override_reason, users.c.username).join(
                users, users.c.id == replenishment_levels.c.override_by
            )
        ).one()
        budgets = conn.execute(
            select(purchase_budgets.c.amount, purchase_budgets.c.category_id.is_not(None)).order_by(
                purchase_budgets.c.id
            )
        ).all()
        channel = conn.execute(select(channels.c.kind, channels.c.active)).one()
        topics = conn.execute(select(subscriptions.c.topic)).scalars().all()
        opened = (
            conn.execute(select(alerts.c.kind).where(alerts.c.closed_at.is_(None)).distinct())
            .scalars()
            .all()
        )
        suggested = suggestions(conn, utcnow().date())
    # Shenzhen's levels computed (each with its method), one overridden by the buyer
    assert [(code, overridden) for code, _, overridden in levels] == [("SZ", 1)]
    assert levels[0][1] > 0
    assert override == ("春节前备货 Stock up before the Spring Festival", "buyer")
    assert [(int(amount), by_category) for amount, by_category in budgets] == [
        (300000 * 10**6, False),
        (1000 * 10**6, True),
    ]
    assert (channel, topics) == (("webhook", False), ["alert"])
    assert {"low_stock", "overstock", "count_due"} <= set(opened)
    # the buyer has suggestions to review
    assert suggested.lines
    # and the alerts in the inbox
    assert any(n.kind == "alert" for n in notifications_of(db, Context("buyer")))
