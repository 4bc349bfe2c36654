"""Stock counts through the REST API: a blind count of WH1 started at once; the counter sees no
expected figures, the manager does; stock moves while counting; an unexpected lot is found; the
differences are shown at close against the books when each place was counted, with the moves
behind them; a recount by another counter; approval above the threshold by someone who did not
count; posting writes exactly the differences. Each refusal answers its code and writes
nothing; a viewer is refused every count write."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from cangku.app import create_app
from cangku.db import tables
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.api.routes import Route, api_routes
from tests.api.test_outbound_api import Api, ok, refused, sql, stock_of
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company
from tests.snapshot import WATCHED, state

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
TABLES = [
    *WATCHED,
    tables.documents,
    tables.document_events,
    tables.document_counters,
    tables.count_sessions,
    tables.count_heads,
    tables.count_lines,
    tables.lots,
    tables.outbox,
    tables.audit_log,
]
USERS: dict[str, tuple[str, str | None]] = {
    "zhao": ("stock_counter", "WH1"),
    "qian": ("warehouse_manager", "WH1"),  # a manager who counts too
    "boss": ("warehouse_manager", None),
    "far": ("stock_counter", "WH2"),
    "viewer": ("viewer", None),
}
ROUTES = [
    r
    for r in api_routes(create_app(Settings(database_url="sqlite://"), Database("sqlite://")))
    if r.path[len(API) :].startswith("/counts")
]


@pytest.fixture
def api(db: Database, database_url: str) -> Iterator[Api]:
    """WH1-A holds 100 BOLT at 0.50 and 40 GLUE of lot G1 at 2.00, WH1-B 10 BOLT, WH2-A 5 BOLT;
    a difference above 5.00 in value needs an approver who did not count."""
    build_company(db)
    headers = {"admin": admin_headers(db)}
    for name, role in USERS.items():
        headers[name] = token_headers(user_with_roles(db, name, role))
    sql(db, "UPDATE company SET adjustment_approval_threshold = 5000000")
    with TestClient(create_app(Settings(database_url=database_url), db)) as client:
        setup = Api(client, headers)
        for item, lot, quantity, where in [
            ("BOLT", None, "100", "WH1-A"), ("BOLT", None, "10", "WH1-B"),
            ("BOLT", None, "5", "WH2-A"), ("GLUE", "G1", "40", "WH1-A"),
        ]:  # fmt: skip
            cost = "2" if item == "GLUE" else "0.5"
            receipt = {"item": item, "quantity": quantity, "to_location": where, "lot": lot,
                       "unit_cost": cost}  # fmt: skip
            ok(setup.post("admin", "/stock/receive", receipt), 201)
        yield setup


def _start(api: Api, blind: bool = True) -> str:
    made = ok(api.post("zhao", "/counts", {"warehouse": "WH1", "blind": blind, "start": True}), 201)
    return str(made["number"])


def _move(api: Api, operation: str, **body: str) -> None:
    ok(api.post("admin", f"/stock/{operation}", body), 201)


def _lines(count: dict[str, Any], *fields: str) -> list[tuple[Any, ...]]:
    return [
        (ln["location"], ln["item"], ln["lot"], *(ln.get(f) for f in fields))
        for ln in count["lines"]
    ]


def test_a_blind_count_with_moves_while_counting_through_the_api(api: Api) -> None:
    made = ok(api.post("zhao", "/counts", {"warehouse": "WH1", "blind": True, "start": True},
                       key="cnt-1"), 201)  # fmt: skip
    number = made["number"]
    assert (made["state"], made["blind"], made["result"]["snapshot_lines"]) == ("counting", True, 3)
    again = api.post("zhao", "/counts", {"warehouse": "WH1", "blind": True, "start": True},
                     key="cnt-1")  # fmt: skip
    assert (again.status_code, again.headers["Idempotent-Replay"]) == (200, "true")
    # the counter counts blind; the manager sees what the books expect
    assert _lines(ok(api.get("zhao", f"/counts/{number}")), "expected", "counted") == [
        ("WH1-A", "BOLT", None, None, None),
        ("WH1-A", "GLUE", "G1", None, None),
        ("WH1-B", "BOLT", None, None, None),
    ]
    assert _lines(ok(api.get("boss", f"/counts/{number}")), "expected") == [
        ("WH1-A", "BOLT", None, "100"), ("WH1-A", "GLUE", "G1", "40"),
        ("WH1-B", "BOLT", None, "10"),
    ]  # fmt: skip
    # while counting, 5 BOLT leave WH1-A and 2 GLUE arrive
    _move(api, "issue", item="BOLT", quantity="5", from_location="WH1-A")
    _move(api, "receive", item="GLUE", quantity="2", lot="G1", to_location="WH1-A", unit_cost="2")
    # 94 BOLT (the books say 95), 42 GLUE (right), 10 BOLT in WH1-B, 3 GLUE of an unknown lot
    entries = [
        {"location": "WH1-A", "item": "BOLT", "quantity": "94"},
        {"location": "WH1-A", "item": "GLUE", "lot": "G1", "quantity": "42"},
        {"location": "WH1-B", "item": "BOLT", "quantity": "10"},
        {"location": "WH1-B", "item": "GLUE", "lot": "G2", "quantity": "3"},
    ]
    entered = ok(api.post("zhao", f"/counts/{number}/entries", {"entries": entries}))
    assert (entered["result"]["entered"], entered["result"]["new_lines"]) == (4, 1)
    assert entered["totals"] == {"lines": 4, "counted": 4, "right": None}
    # 2 BOLT leave WH1-B after it was counted: the shelf and the books lose them alike
    _move(api, "issue", item="BOLT", quantity="2", from_location="WH1-B")
    closed = ok(api.post("zhao", f"/counts/{number}/close"))
    assert closed["state"] == "review"
    # the counter sees the differences, not their value (no valuation.view)
    assert closed["totals"] == {"lines": 4, "counted": 4, "right": 2}
    assert _lines(closed, "moved", "book", "counted", "difference", "value") == [
        ("WH1-A", "BOLT", None, "-5", "95", "94", "-1", None),
        ("WH1-A", "GLUE", "G1", "2", "42", "42", "0", None),
        ("WH1-B", "BOLT", None, "0", "10", "10", "0", None),
        ("WH1-B", "GLUE", "G2", "0", "0", "3", "3", None),
    ]
    seen = ok(api.get("boss", f"/counts/{number}"))
    assert seen["totals"] == {"lines": 4, "counted": 4, "right": 2, "value_variance": "5.5",
                              "absolute_variance": "6.5"}  # fmt: skip
    assert [ln["value"] for ln in seen["lines"]] == ["-0.5", "0", "0", "6"]
    assert [[(m["operation"], m["quantity"]) for m in ln["moves"]] for ln in seen["lines"]] == [
        [("issue", "-5")],
        [("receive", "2")],
        [],
        [],
    ]
    # the manager has WH1-A's BOLT counted again, by someone else
    bolt_a = seen["lines"][0]["id"]
    again_counting = ok(api.post("boss", f"/counts/{number}/recount", {"lines": [bolt_a]}))
    assert (again_counting["state"], again_counting["lines"][0]["round"]) == ("counting", 2)
    recount = {"entries": [{"location": "WH1-A", "item": "BOLT", "quantity": "95"}]}
    assert refused(api.post("zhao", f"/counts/{number}/entries", recount), 409) == (
        "recount_by_same_counter"
    )
    ok(api.post("qian", f"/counts/{number}/entries", recount))
    closed = ok(api.post("qian", f"/counts/{number}/close"))
    assert (closed["totals"]["absolute_variance"], closed["lines"][0]["counted_by"]) == (
        "6",
        "qian",
    )
    # 6.00 is above 5.00: qian counted, so the boss approves
    assert refused(api.post("qian", f"/counts/{number}/approve"), 409) == "counter_cannot_approve"
    assert ok(api.post("boss", f"/counts/{number}/approve"))["state"] == "approved"
    posted = ok(api.post("boss", f"/counts/{number}/post"))
    assert (posted["state"], len(posted["result"]["move_ids"])) == ("posted", 1)
    assert stock_of(api, "GLUE") == {("WH1-A", "G1"): ("42", "0"), ("WH1-B", "G2"): ("3", "0")}
    assert stock_of(api, "BOLT") == {
        ("WH1-A", None): ("95", "0"), ("WH1-B", None): ("8", "0"), ("WH2-A", None): ("5", "0"),
    }  # fmt: skip


def test_a_count_that_is_not_blind_shows_the_counter_what_is_expected(api: Api) -> None:
    number = _start(api, blind=False)
    assert [ln["expected"] for ln in ok(api.get("zhao", f"/counts/{number}"))["lines"]] == [
        "100", "40", "10",
    ]  # fmt: skip


def test_a_count_of_a_zone_and_an_item_started_later(api: Api) -> None:
    body = {"warehouse": "WH1", "locations": ["WH1-A"], "items": ["BOLT"]}
    made = ok(api.post("zhao", "/counts", body), 201)
    assert (made["state"], made["lines"]) == ("draft", [])
    started = ok(api.post("zhao", f"/counts/{made['number']}/start"))
    assert _lines(started, "expected") == [("WH1-A", "BOLT", None, "100")]
    cancelled = ok(api.post("zhao", f"/counts/{made['number']}/cancel", {"note": "wrong day"}))
    assert (cancelled["state"], cancelled["steps"]) == ("cancelled", [])


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"warehouse": "NOPE"}, 404, "warehouse_not_found"),
        ({"locations": ["WH2-A"]}, 422, "location_not_in_warehouse"),
        ({"items": ["NOPE"]}, 404, "item_not_found"),
        ({"categories": ["NOPE"]}, 404, "category_not_found"),
        ({"warehouse": "WH2"}, 403, "permission_denied"),
    ],
    ids=["unknown-warehouse", "other-warehouse-bin", "unknown-item", "unknown-category",
         "not-my-warehouse"],
)  # fmt: skip
def test_a_bad_count_is_refused_and_writes_nothing(
    api: Api, db: Database, change: dict[str, Any], status: int, code: str
) -> None:
    before = state(db, TABLES)
    assert refused(api.post("zhao", "/counts", {"warehouse": "WH1", **change}), status) == code
    assert state(db, TABLES) == before


def test_refused_entries_and_steps_write_nothing(api: Api, db: Database) -> None:
    number = _start(api)
    before = state(db, TABLES)
    for user, step, body, status, code in [
        ("zhao", "entries", {"entries": [{"location": "WH2-A", "item": "BOLT", "quantity": "5"}]},
         409, "count_line_out_of_scope"),
        ("zhao", "entries", {"entries": [{"location": "WH1-A", "item": "BOLT", "quantity": "-1"}]},
         422, "negative_count"),
        ("zhao", "entries", {"entries": [{"location": "WH1-A", "item": "GLUE", "quantity": "1"}]},
         422, "lot_required"),
        ("zhao", "entries", {"entries": []}, 422, "no_lines"),
        ("zhao", "entries", {"entries": [{"location": "NOPE", "item": "BOLT", "quantity": "1"}]},
         404, "location_not_found"),
        ("far", "entries", {"entries": [{"location": "WH1-A", "item": "BOLT", "quantity": "1"}]},
         403, "permission_denied"),
        ("boss", "approve", {}, 409, "invalid_transition"),
        ("boss", "recount", {"lines": [1]}, 409, "invalid_transition"),
        ("zhao", "start", {}, 409, "invalid_transition"),
        ("zhao", "approve", {}, 403, "permission_denied"),
    ]:  # fmt: skip
        assert refused(api.post(user, f"/counts/{number}/{step}", body), status) == code, step
    assert state(db, TABLES) == before
    ok(api.post("zhao", f"/counts/{number}/close"))
    before = state(db, TABLES)
    for user, step, body, status, code in [
        ("boss", "recount", {"lines": [999999]}, 422, "unknown_line"),
        ("boss", "recount", {"lines": []}, 422, "no_lines"),
        ("boss", "post", {}, 409, "invalid_transition"),
        ("zhao", "entries", {"entries": [{"location": "WH1-A", "item": "BOLT", "quantity": "1"}]},
         409, "invalid_transition"),
    ]:  # fmt: skip
        assert refused(api.post(user, f"/counts/{number}/{step}", body), status) == code, step
    assert state(db, TABLES) == before
    assert refused(api.post("boss", "/counts/SO-WH1-2026-00001/approve"), 404) == (
        "count_not_found"
    )
    assert refused(api.get("boss", "/counts/SO-WH1-2026-00001"), 404) == "count_not_found"
    # a counter of WH2 does not see WH1's count
    assert refused(api.get("far", f"/counts/{number}"), 404) == "count_not_found"


def test_the_count_routes_are_these() -> None:
    assert sorted(r.id for r in ROUTES) == sorted(
        ["POST /counts", "GET /counts/{number}"]
        + [f"POST /counts/{{number}}/{step}" for step in
           ("start", "entries", "close", "recount", "approve", "post", "cancel")]
    )  # fmt: skip


@pytest.mark.parametrize("route", [r for r in ROUTES if r.writes], ids=lambda r: r.id)
def test_a_viewer_is_refused_every_count_write(api: Api, db: Database, route: Route) -> None:
    number = _start(api)
    before = state(db, TABLES)
    response = api.client.request(
        route.method, route.url({"number": number}), json={}, headers=api.headers["viewer"]
    )
    assert refused(response, 403) == "permission_denied"
    assert state(db, TABLES) == before
