"""Alerts (issue 16 point 5, ADR 0030): an alert opens once, keeps its latest figures while its
condition holds and closes itself when it clears (one outbox row when it opens, one when it
closes, none in between); each kind opened by a small ledger worked out by hand; opened alerts
reach the inbox of their subscribers (or, when nobody subscribed, of the warehouse's managers
and purchasers); two checks at once open one alert; a refused check writes nothing."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from cangku.db.tables import alerts, items, outbox, users, warehouses
from cangku.db.uow import Database
from cangku.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from cangku.services.alert_subscriptions import subscribe_to_alerts as subscribe_alerts
from cangku.services.alerts import acknowledge_alert, check_alerts
from cangku.services.common import Context
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    cancel_order,
    create_purchase_order,
)
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from cangku.services.tasks import notifications_of
from cangku.services.users import create_user
from tests.factories import CTX, build_company, create_levelled_nut

BUYER = Context(username="buyer")  # purchaser in WH1
BOSS = Context(username="boss")  # warehouse manager in WH1
CLERK = Context(username="clerk")  # receiving clerk in WH1
PETE = Context(username="pete")  # purchaser in WH2
VIC = Context(username="vic")  # viewer everywhere
STOCK_KINDS = ["low_stock", "below_safety_stock", "stock_out", "overstock"]


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _sql(db: Database, statement: str, **params: Any) -> None:
    with db.write() as uow:
        uow.conn.execute(text(statement), params)
        uow.commit()


def _receive(db: Database, item: str, qty: str, where: str, **more: Any) -> None:
    receive_stock(db, CTX, Receive(item, qty, where, unit_cost="1", **more))


def _issue(db: Database, item: str, qty: str, where: str, **more: Any) -> None:
    issue_stock(db, CTX, Issue(item, qty, where, **more))


@pytest.fixture
def company(db: Database) -> Database:
    """The test company plus NUT (pcs): reorder point 10, safety stock 5, maximum 100."""
    build_company(db)
    create_levelled_nut(db, stocked=False)
    for name, role, where in [
        ("buyer", "purchaser", "WH1"),
        ("boss", "warehouse_manager", "WH1"),
        ("clerk", "receiving_clerk", "WH1"),
        ("pete", "purchaser", "WH2"),
        ("vic", "viewer", None),
    ]:
        create_user(db, CTX, name, name.title(), roles=[(role, where)])
    return db


def _ids(db: Database) -> dict[str, int]:
    """Ids of warehouses, items and users by code / user name."""
    with db.read() as conn:
        found = {str(c): int(i) for i, c in conn.execute(select(items.c.id, items.c.code))}
        found.update(
            {str(c): int(i) for i, c in conn.execute(select(warehouses.c.id, warehouses.c.code))}
        )
        found.update(
            {str(u): int(i) for i, u in conn.execute(select(users.c.id, users.c.username))}
        )
    return found


def _alerts(db: Database, *, open_only: bool = True) -> list[dict[str, Any]]:
    stmt = select(alerts).order_by(alerts.c.id)
    if open_only:
        stmt = stmt.where(alerts.c.closed_at.is_(None))
    with db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        row["opened_figures"] = json.loads(row["opened_figures"])
        row["last_figures"] = json.loads(row["last_figures"])
    return rows


def _open(db: Database) -> dict[tuple[str, str], dict[str, Any]]:
    """Open alerts by (kind, title): their last figures."""
    return {(a["kind"], a["title"]): a["last_figures"] for a in _alerts(db)}


def _outbox(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(
            select(outbox.c.payload).where(outbox.c.topic == "alert").order_by(outbox.c.id)
        )
        return [json.loads(r[0]) for r in rows]


def _count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _stock(on_hand: str, reserved: str = "0", **levels: str) -> dict[str, str]:
    available = str(Decimal(on_hand) - Decimal(reserved))
    return {"on_hand": on_hand, "reserved": reserved, "available": available, **levels}


# ------------------------------------------------------------------ open once, close itself
def test_an_alert_opens_once_stays_open_and_closes_when_stock_is_received(
    company: Database,
) -> None:
    db, ids = company, _ids(company)
    t1, t2, t3 = _at(date(2026, 12, 1)), _at(date(2026, 12, 2)), _at(date(2026, 12, 3))
    # 12 received, 4 issued: 8 available <= 10 (reorder point)
    _receive(db, "NUT", "12", "WH1-A")
    _issue(db, "NUT", "4", "WH1-A")

    first = check_alerts(db, CTX, ["low_stock"], now=t1)
    again = check_alerts(db, CTX, ["low_stock"], now=t1)

    assert (len(first.opened), first.still_open, first.closed) == (1, 0, [])
    assert (again.opened, again.still_open, again.closed) == ([], 1, [])
    (alert,) = _alerts(db)
    assert (alert["kind"], alert["subject_key"]) == (
        "low_stock",
        f"item:{ids['NUT']}/warehouse:{ids['WH1']}",
    )
    assert alert["opened_figures"] == _stock("8", reorder_point="10")
    assert alert["opened_at"] == t1 and alert["closed_at"] is None
    opened = {
        "event": "opened",
        "alert_id": alert["id"],
        "kind": "low_stock",
        "title": "Low stock: NUT in WH1",
        "warehouse_id": ids["WH1"],
        "warehouse": "WH1",
        "item_id": ids["NUT"],
        "item": "NUT",
        "lot_id": None,
        "document_id": None,
        "figures": _stock("8", reorder_point="10"),
    }
    assert _outbox(db) == [opened]

    # one more issued: 7 available, still low; the figures follow, no second outbox row
    _issue(db, "NUT", "1", "WH1-A")
    still = check_alerts(db, CTX, ["low_stock"], now=t2)
    (alert,) = _alerts(db)
    assert (still.opened, still.still_open) == ([], 1)
    assert alert["opened_figures"] == _stock("8", reorder_point="10")
    assert (alert["last_figures"], alert["changed_at"]) == (_stock("7", reorder_point="10"), t2)
    assert len(_outbox(db)) == 1

    # 5 received: 12 > 10, the alert closes itself with its last figures in the close row
    _receive(db, "NUT", "5", "WH1-A")
    cleared = check_alerts(db, CTX, ["low_stock"], now=t3)

    assert (cleared.opened, cleared.still_open, cleared.closed) == ([], 0, [alert["id"]])
    assert _alerts(db) == []
    (closed,) = _alerts(db, open_only=False)
    assert closed["closed_at"] == t3
    assert _outbox(db) == [
        opened,
        {
            **opened,
            "event": "closed",
            "title": "Cleared: Low stock: NUT in WH1",
            "figures": _stock("7", reorder_point="10"),
        },
    ]
    # low again later: a new alert for the same condition (the closed one stays as history)
    _issue(db, "NUT", "3", "WH1-A")
    reopened = check_alerts(db, CTX, ["low_stock"], now=t3)
    assert len(reopened.opened) == 1 and reopened.opened != [alert["id"]]
    assert len(_alerts(db, open_only=False)) == 2 and len(_outbox(db)) == 3


def test_a_check_of_some_kinds_leaves_the_other_kinds_open(company: Database) -> None:
    db = company
    _receive(db, "NUT", "3", "WH1-A")  # 3: low (<= 10) and below safety (< 5)
    check_alerts(db, CTX, ["low_stock", "below_safety_stock"])
    _receive(db, "NUT", "20", "WH1-A")  # 23: neither

    done = check_alerts(db, CTX, ["low_stock"])

    assert len(done.closed) == 1
    assert list(_open(db)) == [("below_safety_stock", "Below safety stock: NUT in WH1")]


# ------------------------------------------------------------------ each kind
def test_stock_levels_open_low_below_safety_stock_out_and_overstock(company: Database) -> None:
    db = company
    # WH1: 104 received > 100 maximum: 4 in excess. WH2: 3 received then 3 issued: 0 on hand,
    # so low (0 <= 10), below safety (0 < 5) and out (0 <= 0). BOLT has no levels: nothing.
    _receive(db, "NUT", "104", "WH1-A")
    _receive(db, "NUT", "3", "WH2-A")
    _issue(db, "NUT", "3", "WH2-A")
    _receive(db, "BOLT", "1", "WH1-A")

    done = check_alerts(db, CTX, STOCK_KINDS)

    assert len(done.opened) == 4
    assert _open(db) == {
        ("low_stock", "Low stock: NUT in WH2"): _stock("0", reorder_point="10"),
        ("below_safety_stock", "Below safety stock: NUT in WH2"): _stock("0", safety_stock="5"),
        ("stock_out", "Stock-out: NUT in WH2"): _stock("0"),
        ("overstock", "Overstock: NUT in WH1"): {
            **_stock("104", max_stock="100"),
            "excess": "4",
            # no computed demand: no days of supply (ADR 0032)
            "days_of_supply": None,
            "supply_days": 180,
        },
    }


def test_the_edges_of_the_stock_levels(company: Database) -> None:
    # 10 available: low (10 <= 10); 5 is not below safety (5 < 5 is false); 100 is not over
    db = company
    _receive(db, "NUT", "10", "WH1-A")
    _receive(db, "NUT", "5", "WH2-A")
    check_alerts(db, CTX, STOCK_KINDS)
    assert list(_open(db)) == [
        ("low_stock", "Low stock: NUT in WH1"),
        ("low_stock", "Low stock: NUT in WH2"),
    ]
    _receive(db, "NUT", "90", "WH1-A")  # 100: not low, not over the maximum
    check_alerts(db, CTX, STOCK_KINDS)
    assert list(_open(db)) == [("low_stock", "Low stock: NUT in WH2")]


def test_lots_expiring_within_the_window_and_expired_in_stock(company: Database) -> None:
    db = company
    # checked on 2036-03-01 with a 30-day window (to 2036-03-31): G1 (03-20) expires in 19
    # days, G2 (02-29, a leap day) expired a day ago, G3 (06-30) is not near
    for lot, expires in [("G1", date(2036, 3, 20)), ("G2", date(2036, 2, 29)),
                         ("G3", date(2036, 6, 30))]:  # fmt: skip
        _receive(db, "GLUE", "4", "WH1-A", lot=lot, expires_on=expires)
    now = _at(date(2036, 3, 1))

    check_alerts(db, CTX, ["expiring_lot", "expired_lot"], now=now)

    assert _open(db) == {
        ("expiring_lot", "Lot G1 of GLUE expires on 2036-03-20 in WH1"): {
            "lot": "G1", "expires_on": "2036-03-20", "days_left": 19, "on_hand": "4"},
        ("expired_lot", "Expired lot G2 of GLUE in WH1"): {
            "lot": "G2", "expires_on": "2036-02-29", "days_left": -1, "on_hand": "4"},
    }  # fmt: skip
    # G2 issued: the expired alert closes; a 10-day window drops G1 (19 days left)
    _issue(db, "GLUE", "4", "WH1-A", lot="G2")
    done = check_alerts(db, CTX, ["expiring_lot", "expired_lot"], expiring_days=10, now=now)
    assert (len(done.closed), _open(db)) == (2, {})


def test_slow_moving_after_ninety_days_without_an_issue(company: Database) -> None:
    db = company
    # WH1: BOLT in on 2026-01-05, 2 issued on 2026-03-02; WH2: BOLT in on 2026-05-01, never
    # issued. On 2026-05-31, WH1's last issue is 29 (rest of March) + 30 + 31 = 90 days ago:
    # slow; WH2's stock came 30 days ago: not slow. A day earlier WH1 is at 89: not slow.
    _receive(db, "BOLT", "10", "WH1-A", effective_at=_at(date(2026, 1, 5), 10))
    _issue(db, "BOLT", "2", "WH1-A", effective_at=_at(date(2026, 3, 2), 9))
    _receive(db, "BOLT", "5", "WH2-A", effective_at=_at(date(2026, 5, 1), 10))

    check_alerts(db, CTX, ["slow_moving"], now=_at(date(2026, 5, 30)))
    assert _open(db) == {}
    check_alerts(db, CTX, ["slow_moving"], now=_at(date(2026, 5, 31)))
    assert _open(db) == {
        ("slow_moving", "Slow-moving: BOLT in WH1"): {
            "on_hand": "8",
            "last_issue": "2026-03-02",
            "idle_days": 90,
        }
    }
    # WH2 never issued: slow once its first move is 90 days old (2026-05-01 + 90 = 07-30)
    check_alerts(db, CTX, ["slow_moving"], idle_days=90, now=_at(date(2026, 7, 30)))
    assert _open(db)[("slow_moving", "Slow-moving: BOLT in WH2")] == {
        "on_hand": "5",
        "last_issue": None,
        "idle_days": 90,
    }


def test_count_due_per_warehouse_from_the_cycle_count_plan(company: Database) -> None:
    # two places in WH1 hold stock and were never counted: both due at once; WH2 holds none
    db = company
    _receive(db, "BOLT", "10", "WH1-A")
    _receive(db, "BOLT", "5", "WH1-B")

    check_alerts(db, CTX, ["count_due"])

    assert _open(db) == {
        ("count_due", "Counts due in WH1"): {
            "places_due": 2,
            "never_counted": 2,
            "oldest_due_on": None,
        }
    }


def test_an_open_document_past_its_due_date_until_cancelled(company: Database) -> None:
    db = company
    create_partner(db, CTX, PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    order = create_purchase_order(
        db,
        CTX,
        NewPurchaseOrder("ACME", "WH1", [OrderLineInput("BOLT", "5")], due_on=date(2026, 11, 1)),
    ).number
    now = _at(date(2026, 12, 4))  # 30 (rest of November) + 3 = 33 days late

    check_alerts(db, CTX, ["overdue_document"], now=now)
    (alert,) = _alerts(db)
    assert (alert["title"], alert["last_figures"]) == (
        f"Overdue: {order}",
        {
            "number": order,
            "doc_type": "purchase_order",
            "state": "draft",
            "due_on": "2026-11-01",
            "days_overdue": 33,
        },
    )
    assert _outbox(db)[0]["document_id"] == alert["document_id"]
    cancel_order(db, CTX, order)
    assert len(check_alerts(db, CTX, ["overdue_document"], now=now).closed) == 1


def test_a_verify_failure_only_when_asked_for(company: Database) -> None:
    db = company
    _receive(db, "BOLT", "10", "WH1-A")
    # a balance changed behind the system's back: 11 on hand where the moves say 10
    _sql(db, "UPDATE balances SET on_hand = on_hand + 1000000 WHERE on_hand > 0")

    check_alerts(db, CTX)  # every kind but verify_failed
    assert [a["kind"] for a in _alerts(db) if a["kind"] == "verify_failed"] == []
    check_alerts(db, CTX, ["verify_failed"])
    (found,) = [a for a in _alerts(db) if a["kind"] == "verify_failed"]
    assert (found["subject_key"], found["title"], found["last_figures"]) == (
        "ledger",
        "Ledger verification failed",
        {"problems": 1, "checks": ["balance_mismatch"], "truncated": False},
    )

    _sql(db, "UPDATE balances SET on_hand = on_hand - 1000000 WHERE on_hand > 0")
    assert len(check_alerts(db, CTX, ["verify_failed"]).closed) == 1


# ------------------------------------------------------------------ concurrency, database rule
@pytest.mark.postgres_only
def test_two_checks_at_once_open_one_alert(
    company: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # both checks read the open alerts (none) before either inserts: the second insert waits
    # for the first transaction, then the partial unique index makes it do nothing
    import cangku.services.alerts as service

    db = company
    _receive(db, "NUT", "3", "WH1-A")
    start, read = threading.Barrier(2), threading.Barrier(2, timeout=10)
    real = service._open_alerts

    def open_alerts_then_wait(conn: Any, kinds: list[str]) -> Any:
        found = real(conn, kinds)
        read.wait()
        return found

    monkeypatch.setattr(service, "_open_alerts", open_alerts_then_wait)
    results: list[Any] = []

    def check() -> None:
        start.wait()
        results.append(check_alerts(db, CTX, ["low_stock"]))

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted((len(r.opened), r.still_open) for r in results) == [(0, 0), (1, 0)]
    assert len(_alerts(db, open_only=False)) == 1
    assert [p["event"] for p in _outbox(db)] == ["opened"]


def test_checks_one_after_another_from_threads_open_one_alert(company: Database) -> None:
    db = company
    _receive(db, "NUT", "3", "WH1-A")
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(check_alerts(db, CTX, ["low_stock"])))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(len(r.opened) for r in results) == [0, 0, 0, 1]
    assert len(_alerts(db, open_only=False)) == 1
    assert [p["event"] for p in _outbox(db)] == ["opened"]


def test_the_database_refuses_a_second_open_alert_of_a_condition(company: Database) -> None:
    db = company
    row = {"kind": "low_stock", "subject_key": "item:1/warehouse:1", "title": "t",
           "opened_figures": "{}", "last_figures": "{}"}  # fmt: skip
    closed_at = _at(date(2026, 12, 1))
    statement = (
        "INSERT INTO alerts (kind, subject_key, title, opened_at, closed_at, opened_figures,"
        " last_figures, changed_at) VALUES (:kind, :subject_key, :title, :at, :closed_at,"
        " :opened_figures, :last_figures, :at)"
    )
    _sql(db, statement, **row, at=closed_at, closed_at=closed_at)  # closed: history
    _sql(db, statement, **row, at=closed_at, closed_at=None)

    with pytest.raises(Conflict) as refused:
        _sql(db, statement, **row, at=closed_at, closed_at=None)

    assert refused.value.code == "duplicate"
    assert _count(db, alerts) == 2


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize(
    ("ctx", "kinds", "days", "error", "code"),
    [
        (CTX, ["low_stock", "rain"], {}, InvalidInput, "unknown_alert_kind"),
        (CTX, [], {}, InvalidInput, "no_alert_kinds"),
        (CTX, None, {"expiring_days": 3651}, InvalidInput, "invalid_alert_days"),
        (CTX, None, {"idle_days": 0}, InvalidInput, "invalid_alert_days"),
        (VIC, None, {}, PermissionDenied, "permission_denied"),
    ],
    ids=["unknown-kind", "no-kinds", "window-too-long", "idle-zero", "viewer"],
)
def test_a_refused_check_writes_nothing(
    company: Database,
    ctx: Context,
    kinds: list[str] | None,
    days: dict[str, int],
    error: type[Exception],
    code: str,
) -> None:
    db = company
    _receive(db, "NUT", "3", "WH1-A")  # low stock: a check that ran would open alerts

    with pytest.raises(error) as refused:
        check_alerts(db, ctx, kinds, **days)

    assert getattr(refused.value, "code", None) == code
    assert (_count(db, alerts), len(_outbox(db))) == (0, 0)


# ------------------------------------------------------------------ inbox, acknowledgement
def _alert_inbox(db: Database, ctx: Context) -> list[str]:
    return [n.message["title"] for n in notifications_of(db, ctx) if n.kind == "alert"]


def test_an_opened_alert_reaches_the_warehouses_buyers_and_managers_by_default(
    company: Database,
) -> None:
    db = company
    _receive(db, "NUT", "3", "WH1-A")

    (alert_id,) = check_alerts(db, CTX, ["low_stock"]).opened

    # admin (every warehouse), buyer and boss hold alert.acknowledge in WH1; the clerk does not,
    # pete holds it in WH2 only
    for ctx, expected in [(CTX, 1), (BUYER, 1), (BOSS, 1), (CLERK, 0), (PETE, 0)]:
        assert len(_alert_inbox(db, ctx)) == expected, ctx.username
    (note,) = [n for n in notifications_of(db, BUYER) if n.kind == "alert"]
    assert note.message == {
        "alert_id": alert_id,
        "kind": "low_stock",
        "title": "Low stock: NUT in WH1",
        "warehouse": "WH1",
        "item": "NUT",
        "figures": _stock("3", reorder_point="10"),
    }
    # closing tells nobody in the app
    _receive(db, "NUT", "20", "WH1-A")
    check_alerts(db, CTX, ["low_stock"])
    assert len(_alert_inbox(db, BUYER)) == 1


def test_once_someone_subscribes_only_the_subscribers_hear_of_the_kind_there(
    company: Database,
) -> None:
    db = company
    subscribe_alerts(db, CLERK, kind="low_stock", warehouse_id=_ids(db)["WH1"])
    subscribe_alerts(db, PETE)  # every kind, every warehouse: but alert.view only in WH2
    _receive(db, "NUT", "3", "WH1-A")  # low and below safety in WH1

    check_alerts(db, CTX, ["low_stock", "below_safety_stock"])

    # low stock in WH1: the clerk alone; below safety stock: nobody subscribed who may see
    # WH1's alerts (pete may not), so the default (admin, buyer, boss)
    assert _alert_inbox(db, CLERK) == ["Low stock: NUT in WH1"]
    assert _alert_inbox(db, PETE) == []
    assert _alert_inbox(db, BUYER) == ["Below safety stock: NUT in WH1"]
    assert _alert_inbox(db, BOSS) == ["Below safety stock: NUT in WH1"]


def test_a_subscription_needs_a_known_kind_and_alert_view_there(company: Database) -> None:
    with pytest.raises(InvalidInput) as unknown:
        subscribe_alerts(company, BUYER, kind="rain")
    with pytest.raises(PermissionDenied):
        subscribe_alerts(company, BUYER, warehouse_id=_ids(company)["WH2"])

    assert unknown.value.code == "unknown_alert_kind"


def test_acknowledge_an_alert_once_in_its_warehouse(company: Database) -> None:
    db, ids = company, _ids(company)
    _receive(db, "NUT", "3", "WH1-A")
    (alert_id,) = check_alerts(db, CTX, ["low_stock"]).opened

    with pytest.raises(PermissionDenied):
        acknowledge_alert(db, PETE, alert_id)
    with pytest.raises(NotFound) as missing:
        acknowledge_alert(db, BUYER, alert_id + 1000)
    acknowledge_alert(db, BUYER, alert_id)
    with pytest.raises(RuleViolation) as twice:
        acknowledge_alert(db, BOSS, alert_id)

    assert (missing.value.code, twice.value.code) == (
        "alert_not_found",
        "alert_already_acknowledged",
    )
    (alert,) = _alerts(db)
    assert alert["acknowledged_by"] == ids["buyer"] and alert["acknowledged_at"] is not None


def test_a_channel_subscribed_to_the_kind_hears_it_open_and_close(company: Database) -> None:
    from cangku.db.tables import deliveries
    from cangku.services.delivery.channels import add_channel, subscribe_channel
    from cangku.services.delivery.dispatch import dispatch_outbox

    db, ids = company, _ids(company)
    here = add_channel(db, kind="webhook", name="wh1", target="http://127.0.0.1:9/")
    there = add_channel(db, kind="webhook", name="wh2", target="http://127.0.0.1:9/")
    subscribe_channel(db, here, "alert.low_stock", warehouse_id=ids["WH1"])
    subscribe_channel(db, there, "alert.low_stock", warehouse_id=ids["WH2"])
    _receive(db, "NUT", "3", "WH1-A")
    check_alerts(db, CTX, ["low_stock"])
    _receive(db, "NUT", "20", "WH1-A")
    check_alerts(db, CTX, ["low_stock"])

    assert dispatch_outbox(db) == 2
    with db.read() as conn:
        sent = conn.execute(
            select(deliveries.c.channel_id, deliveries.c.payload).order_by(deliveries.c.id)
        ).all()
    assert [(c, json.loads(p)["event"]) for c, p in sent] == [(here, "opened"), (here, "closed")]


def test_migration_0016_goes_down_and_up_again(db: Database) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from cangku.db.schema import alembic_config, current_revision, head_revision

    config = alembic_config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0015")
    down = set(inspect(db.engine).get_table_names())
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    up = set(inspect(db.engine).get_table_names())

    assert "alerts" not in down and "alerts" in up
    assert current_revision(db.engine) == head_revision()
