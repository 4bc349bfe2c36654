"""Alerts through the REST API (ADR 0030): a check opens, keeps and closes alerts and answers
how many; the list shows open alerts newest first in the warehouses the caller sees, filtered
and paged; an acknowledgement records who; each refusal answers its status and code and writes
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db import tables
from cangku.db.uow import Database
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.api.test_inbound_api import Api, ok, open_api, refused
from tests.factories import CTX, create_levelled_nut

STOCK_KINDS = ["low_stock", "below_safety_stock", "stock_out", "overstock"]


@pytest.fixture
def api(db: Database, database_url: str) -> Iterator[Api]:
    """The inbound API's users (boss: warehouse manager in WH1, buyer: purchaser in WH1, clerk:
    receiving clerk in WH1) and NUT (reorder point 10, safety stock 5, maximum 100) with 3 in
    WH1 and 200 in WH2."""
    for session in open_api(db, database_url):
        create_levelled_nut(db)
        yield session


def written(db: Database) -> tuple[Any, ...]:
    """Every alert row as it is, and how many outbox rows and audit entries there are."""
    with db.read() as conn:
        rows = [tuple(r) for r in conn.execute(select(tables.alerts).order_by(tables.alerts.c.id))]
        counts = [
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (tables.outbox, tables.audit_log)
        ]
    return (rows, *counts)


def listed(api: Api, user: str, **params: Any) -> list[tuple[str, str | None, str]]:
    page = ok(api.get(user, "/alerts", **params))
    return [(a["kind"], a["warehouse"], a["title"]) for a in page["items"]]


def check(api: Api, user: str = "boss", **body: Any) -> dict[str, Any]:
    return ok(api.post(user, "/alerts/check", body or {"kinds": STOCK_KINDS}))


def test_a_check_opens_the_alerts_and_each_user_sees_those_of_their_warehouses(api: Api) -> None:
    # WH1: 3 <= 10 (low) and 3 < 5 (below safety); 3 > 0, no stock-out. WH2: 200 > 100 (over)
    assert check(api) == {"kinds": STOCK_KINDS, "opened": 3, "closed": 0, "still_open": 0}
    assert check(api) == {"kinds": STOCK_KINDS, "opened": 0, "closed": 0, "still_open": 3}

    # opened in KINDS order in one statement (ids 1, 2, 3): newest first is the reverse
    assert listed(api, "admin") == [
        ("overstock", "WH2", "Overstock: NUT in WH2"),
        ("below_safety_stock", "WH1", "Below safety stock: NUT in WH1"),
        ("low_stock", "WH1", "Low stock: NUT in WH1"),
    ]
    assert listed(api, "boss") == [
        ("below_safety_stock", "WH1", "Below safety stock: NUT in WH1"),
        ("low_stock", "WH1", "Low stock: NUT in WH1"),
    ]
    assert listed(api, "boss", kind="low_stock") == [("low_stock", "WH1", "Low stock: NUT in WH1")]
    assert listed(api, "admin", warehouse="WH2") == [("overstock", "WH2", "Overstock: NUT in WH2")]


def test_an_alert_answers_its_figures_exactly(api: Api) -> None:
    check(api)

    (low,) = ok(api.get("boss", "/alerts", kind="low_stock"))["items"]
    (over,) = ok(api.get("admin", "/alerts", kind="overstock"))["items"]

    assert {k: low[k] for k in ("item", "warehouse", "lot", "document", "closed_at")} == {
        "item": "NUT",
        "warehouse": "WH1",
        "lot": None,
        "document": None,
        "closed_at": None,
    }
    # 3 on hand, none reserved: available 3, compared with the reorder point 10
    expected = {"on_hand": "3", "reserved": "0", "available": "3", "reorder_point": "10"}
    assert low["figures"] == low["opened_figures"] == expected
    assert (low["acknowledged_by"], low["acknowledged_at"]) == (None, None)
    assert low["opened_at"] == low["changed_at"]
    # 200 on hand over the maximum 100: 100 in excess
    assert over["figures"]["excess"] == "100" and over["figures"]["on_hand"] == "200"


def test_the_list_is_paged(api: Api) -> None:
    check(api)

    first = ok(api.get("admin", "/alerts", limit=2))
    second = ok(api.get("admin", "/alerts", limit=2, offset=2))

    assert [a["kind"] for a in first["items"]] == ["overstock", "below_safety_stock"]
    assert [a["kind"] for a in second["items"]] == ["low_stock"]
    assert (first["total"], first["limit"], first["offset"], first["total_exact"]) == (
        3,
        2,
        0,
        True,
    )


def test_a_cleared_condition_closes_its_alert_and_the_list_shows_it_only_when_asked(
    api: Api, db: Database
) -> None:
    check(api)
    receive_stock(db, CTX, Receive("NUT", "20", "WH1-A", unit_cost="1"))  # 23: > 10, >= 5

    assert check(api) == {"kinds": STOCK_KINDS, "opened": 0, "closed": 2, "still_open": 1}
    assert listed(api, "boss") == []
    closed = ok(api.get("boss", "/alerts", include_closed="true"))["items"]
    assert [(a["kind"], a["closed_at"] is not None) for a in closed] == [
        ("below_safety_stock", True),
        ("low_stock", True),
    ]
    # the last figures seen while it held stay with it
    assert closed[1]["figures"]["available"] == "3"


def test_acknowledging_records_who_and_once(api: Api, db: Database) -> None:
    check(api)
    (low,) = ok(api.get("boss", "/alerts", kind="low_stock"))["items"]

    done = ok(api.post("buyer", f"/alerts/{low['id']}/acknowledge"))
    before = written(db)
    again = api.post("boss", f"/alerts/{low['id']}/acknowledge")

    assert (done["id"], done["acknowledged_by"]) == (low["id"], "buyer")
    assert done["acknowledged_at"] is not None
    assert refused(again, 409) == "alert_already_acknowledged"
    assert written(db) == before


@pytest.mark.parametrize(
    ("user", "path", "body", "status", "code"),
    [
        ("clerk", "/alerts/check", {"kinds": STOCK_KINDS}, 403, "permission_denied"),
        ("boss", "/alerts/check", {"kinds": ["nope"]}, 422, "unknown_alert_kind"),
        ("boss", "/alerts/check", {"kinds": []}, 422, "invalid_input"),
        ("boss", "/alerts/check", {"expiring_days": 3651}, 422, "invalid_input"),
        ("boss", "/alerts/check", {"idle_days": 0}, 422, "invalid_input"),
        ("boss", "/alerts/{wh2}/acknowledge", None, 403, "permission_denied"),
        ("clerk", "/alerts/{wh1}/acknowledge", None, 403, "permission_denied"),
        ("boss", "/alerts/999/acknowledge", None, 404, "alert_not_found"),
    ],
    ids=[
        "clerk-checks",
        "unknown-kind",
        "no-kinds",
        "expiring-too-far",
        "idle-zero",
        "other-warehouse",
        "clerk-acknowledges",
        "no-such-alert",
    ],
)
def test_each_refusal_answers_its_code_and_writes_nothing(
    api: Api, db: Database, user: str, path: str, body: Any, status: int, code: str
) -> None:
    check(api)
    ids = {a["warehouse"]: a["id"] for a in ok(api.get("admin", "/alerts"))["items"]}
    before = written(db)

    answer = api.post(user, path.format(wh1=ids["WH1"], wh2=ids["WH2"]), body)

    assert refused(answer, status) == code
    assert written(db) == before


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"kind": "nope"}, 422, "unknown_alert_kind"),
        ({"warehouse": "WH2"}, 404, "warehouse_not_found"),  # the boss does not see WH2
        ({"warehouse": "NOPE"}, 404, "warehouse_not_found"),
        ({"limit": 0}, 422, "invalid_input"),
    ],
    ids=["unknown-kind", "unseen-warehouse", "no-such-warehouse", "limit-zero"],
)
def test_a_refused_list_answers_its_code(
    api: Api, params: dict[str, Any], status: int, code: str
) -> None:
    assert refused(api.get("boss", "/alerts", **params), status) == code
