"""The task inbox through the REST API: each role sees the step that waits on it (overdue
first), counts per step, assign and take, and the in-app notifications that tell them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cangku.db.uow import Database
from tests.api.test_inbound_api import DOCUMENT_TABLES, ORDER, Api, ok, open_api, refused
from tests.snapshot import state

BIG = {**ORDER, "lines": [{"item": "BOLT", "quantity": "300"}]}  # 150.00: needs approval


@pytest.fixture
def api(db: Database, database_url: str) -> Iterator[Api]:
    yield from open_api(db, database_url)


def inbox(api: Api, user: str, **params: Any) -> list[tuple[str, str | None]]:
    page = ok(api.get(user, "/tasks", **params))
    return [(task["number"], task["next_step"]) for task in page["items"]]


def counts(api: Api, user: str) -> dict[str, Any]:
    return ok(api.get(user, "/tasks/counts"))


def test_each_role_sees_the_step_that_waits_on_it_and_is_told(api: Api, db: Database) -> None:
    number = ok(api.post("buyer", "/purchase-orders", BIG), 201)["number"]
    assert inbox(api, "buyer") == [(number, "confirm")]
    assert (inbox(api, "clerk"), inbox(api, "qc")) == ([], [])
    assert inbox(api, "boss") == [(number, "confirm")]

    ok(api.post("buyer", f"/purchase-orders/{number}/confirm"))
    assert inbox(api, "buyer") == [] and inbox(api, "boss") == [(number, "approve")]
    assert counts(api, "boss") == {
        "items": [{"doc_type": "purchase_order", "step": "approve", "count": 1, "overdue": 0}],
        "total": 1,
        "overdue": 0,
    }
    assert counts(api, "buyer") == {"items": [], "total": 0, "overdue": 0}
    told = ok(api.get("boss", "/notifications"))
    assert [n["message"]["step"] for n in told] == ["approve", "confirm"]
    assert {n["kind"] for n in told} == {"task"} and not any(n["read"] for n in told)

    ok(api.post("boss", f"/purchase-orders/{number}/approve"))
    assert inbox(api, "clerk") == [(number, "receive")]
    unread = ok(api.get("clerk", "/notifications", unread="true"))
    assert [n["message"] for n in unread] == [
        {"doc_type": "purchase_order", "number": number, "state": "confirmed", "step": "receive"}
    ]

    # given to the boss, the clerk no longer sees it; the clerk takes it back
    given = ok(api.post("boss", f"/documents/{number}/assign", {"user": "boss"}))
    assert given["assignee"] == "boss"
    assert inbox(api, "clerk") == [] and inbox(api, "boss") == [(number, "receive")]
    taken = ok(api.post("clerk", f"/documents/{number}/take"))
    assert taken["assignee"] == "clerk"
    assert inbox(api, "clerk") == [(number, "receive")] and inbox(api, "boss") == []
    freed = ok(api.post("boss", f"/documents/{number}/assign", {"user": None}))
    assert freed["assignee"] is None
    assert inbox(api, "boss") == [(number, "receive")]
    assert [(e["step"], e["user"]) for e in freed["events"]][-3:] == [
        ("assign", "boss"),
        ("take", "clerk"),
        ("assign", "boss"),
    ]

    # when the goods come, the put-away is the clerk's next task
    receipt = ok(api.post("clerk", "/receipts", {"order": number, "lines": [BIG["lines"][0]]}), 201)
    assert inbox(api, "clerk") == [(receipt["result"]["putaway"], "put_away")]
    assert inbox(api, "clerk", type="purchase_order") == []


def test_assign_and_take_refusals_write_nothing(api: Api, db: Database) -> None:
    number = ok(api.post("buyer", "/purchase-orders", BIG), 201)["number"]
    ok(api.post("buyer", f"/purchase-orders/{number}/confirm"))
    closed = ok(api.post("buyer", "/purchase-orders", ORDER), 201)["number"]
    ok(api.post("buyer", f"/purchase-orders/{closed}/cancel"))
    before = state(db, DOCUMENT_TABLES)
    cases = [
        ("boss", f"/documents/{number}/assign", {"user": "qc"}, 409, "assignee_cannot_do_step"),
        ("boss", f"/documents/{number}/assign", {"user": "nobody"}, 404, "user_not_found"),
        ("boss", "/documents/PO-NOPE/assign", {"user": "boss"}, 404, "document_not_found"),
        ("boss", f"/documents/{closed}/assign", {"user": "boss"}, 409, "nothing_to_assign"),
        ("boss", f"/documents/{number}/assign", {}, 422, "invalid_input"),
        ("clerk", f"/documents/{number}/assign", {"user": "clerk"}, 403, "permission_denied"),
        ("clerk", f"/documents/{number}/take", None, 403, "permission_denied"),
        ("buyer", f"/documents/{closed}/take", None, 409, "nothing_to_assign"),
    ]
    for user, path, body, status, code in cases:
        assert refused(api.post(user, path, body), status) == code, (user, path, body)
    assert state(db, DOCUMENT_TABLES) == before


def test_overdue_tasks_come_first(api: Api, db: Database) -> None:
    def order(due_on: str | None) -> str:
        # glue has no lead time anywhere: an order without a due date has none
        line = {"item": "GLUE", "quantity": "1", "unit_price": "1"}
        body = {**ORDER, "lines": [line], "due_on": due_on}
        return str(ok(api.post("buyer", "/purchase-orders", body), 201)["number"])

    later, undated, late = order("2070-01-01"), order(None), order("2020-01-31")
    page = ok(api.get("buyer", "/tasks"))
    assert [(t["number"], t["due_on"], t["overdue"]) for t in page["items"]] == [
        (late, "2020-01-31", True),
        (later, "2070-01-01", False),
        (undated, None, False),
    ]
    assert page["total"] == 3
    assert counts(api, "buyer") == {
        "items": [{"doc_type": "purchase_order", "step": "confirm", "count": 3, "overdue": 1}],
        "total": 3,
        "overdue": 1,
    }
    second = ok(api.get("buyer", "/tasks", limit=1, offset=1))
    assert [t["number"] for t in second["items"]] == [later]
    assert refused(api.get("buyer", "/tasks", limit=0), 422) == "invalid_limit"


def test_notifications_are_marked_read(api: Api, db: Database) -> None:
    number = ok(api.post("buyer", "/purchase-orders", BIG), 201)["number"]
    ok(api.post("buyer", f"/purchase-orders/{number}/confirm"))
    ok(api.post("boss", f"/purchase-orders/{number}/reject", {"note": "too many"}))
    # the buyer is told the order came back (not of the draft they raised); the boss of both
    told = ok(api.get("buyer", "/notifications"))
    assert [(n["message"]["state"], n["message"]["step"]) for n in told] == [("draft", "confirm")]
    boss = ok(api.get("boss", "/notifications"))
    assert [n["message"]["step"] for n in boss] == ["approve", "confirm"]
    # another's notification is not marked
    marked = ok(api.post("boss", "/notifications/read", {"ids": [boss[0]["id"], told[0]["id"]]}))
    assert marked == {"marked": 1}
    unread = ok(api.get("boss", "/notifications", unread="true"))
    assert [n["id"] for n in unread] == [boss[1]["id"]]
    assert [n["read"] for n in ok(api.get("boss", "/notifications"))] == [True, False]
    assert ok(api.post("boss", "/notifications/read", {"ids": None})) == {"marked": 1}
    assert ok(api.get("boss", "/notifications", unread="true")) == []
    assert ok(api.post("buyer", "/notifications/read")) == {"marked": 1}
    assert ok(api.post("buyer", "/notifications/read")) == {"marked": 0}
