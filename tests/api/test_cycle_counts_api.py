"""The cycle-count plan through the REST API: ABC classes recomputed from the last 12 months'
consumption, the places due (never counted first), frequencies per class and location, a
count of the plan covering its due places only, and the accuracy of the posted count. Each
refusal answers its code and writes nothing."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cangku.app import create_app
from cangku.db import tables
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.api.test_outbound_api import API, Api, ok, refused
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company
from tests.snapshot import WATCHED, state

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TABLES = [*WATCHED, tables.abc_runs, tables.abc_classes, tables.count_frequencies,
          tables.documents, tables.count_plan_places, tables.audit_log]  # fmt: skip
USERS = {"zhao": ("stock_counter", "WH1"), "boss": ("warehouse_manager", "WH1"),
         "far": ("warehouse_manager", "WH2")}  # fmt: skip


@pytest.fixture
def api(db: Database, database_url: str) -> Iterator[Api]:
    """WH1-A: 100 BOLT at 0.50, 40 GLUE lot G1 at 2.00; WH1-B: 10 BOLT. 60 BOLT (30.00) and
    2 GLUE (4.00) issued to customers since: BOLT is A, GLUE B (30 / 34 = 88 % before it)."""
    build_company(db)
    headers = {"admin": admin_headers(db)}
    for name, role in USERS.items():
        headers[name] = token_headers(user_with_roles(db, name, role))
    with TestClient(create_app(Settings(database_url=database_url), db)) as client:
        setup = Api(client, headers)
        for item, lot, quantity, where, cost in [
            ("BOLT", None, "100", "WH1-A", "0.5"), ("BOLT", None, "10", "WH1-B", "0.5"),
            ("GLUE", "G1", "40", "WH1-A", "2"),
        ]:  # fmt: skip
            receipt = {"item": item, "quantity": quantity, "to_location": where, "lot": lot,
                       "unit_cost": cost}  # fmt: skip
            ok(setup.post("admin", "/stock/receive", receipt), 201)
        ok(setup.post("admin", "/stock/issue", {"item": "BOLT", "quantity": "60",
                                                "from_location": "WH1-A"}), 201)  # fmt: skip
        ok(setup.post("admin", "/stock/issue", {"item": "GLUE", "quantity": "2", "lot": "G1",
                                                "from_location": "WH1-A"}), 201)  # fmt: skip
        yield setup


def _put(api: Api, user: str, body: Any) -> Any:
    return api.client.put(f"{API}/cycle-counts/frequencies", json=body, headers=api.headers[user])


def test_a_plan_from_abc_classes_through_the_api(api: Api, db: Database) -> None:
    refused_abc = api.get("boss", "/cycle-counts/abc", warehouse="WH1")
    assert refused(refused_abc, 404) == "abc_run_not_found"
    run = ok(api.post("boss", "/cycle-counts/abc", {"warehouse": "WH1"}, key="abc-1"), 201)
    assert run["items"] == {"A": 1, "B": 1, "C": 0}
    again = api.post("boss", "/cycle-counts/abc", {"warehouse": "WH1"}, key="abc-1")
    assert (again.status_code, again.headers["Idempotent-Replay"]) == (200, "true")
    shown = ok(api.get("zhao", "/cycle-counts/abc", warehouse="WH1"))
    assert [(i["item"], i["abc_class"], i["consumption"]) for i in shown["items"]] == [
        ("BOLT", "A", "30"),
        ("GLUE", "B", "4"),
    ]
    assert [(c["abc_class"], c["items"], c["share"]) for c in shown["classes"]] == [
        ("A", 1, "88.2"), ("B", 1, "11.8"), ("C", 0, "0.0"),
    ]  # fmt: skip

    frequencies = ok(_put(api, "admin", {"classes": {"A": 14}, "locations": {"WH1-B": 7}}))
    assert frequencies == {"classes": {"A": 14, "B": 91, "C": 365}, "set_classes": ["A"],
                           "locations": [{"location": "WH1-B", "days": 7}]}  # fmt: skip
    due = ok(api.get("zhao", "/cycle-counts/due", warehouse="WH1"))
    assert (due["places"], due["due"], due["abc_run_id"]) == (3, 3, run["run_id"])
    assert [
        (r["item"], r["location"], r["days"], r["source"], r["due_on"]) for r in due["rows"]
    ] == [
        ("BOLT", "WH1-A", 14, "A", None),
        ("BOLT", "WH1-B", 7, "WH1-B", None),
        ("GLUE", "WH1-A", 91, "B", None),
    ]

    made = ok(api.post("zhao", "/counts", {"warehouse": "WH1", "plan": True, "limit": 2,
                                            "start": True}), 201)  # fmt: skip
    number = made["number"]
    assert made["result"]["snapshot_lines"] == 2
    glue = {"location": "WH1-A", "item": "GLUE", "lot": "G1", "quantity": "38"}
    out = api.post("zhao", f"/counts/{number}/entries", {"entries": [glue]})
    assert refused(out, 409) == "count_line_out_of_scope"
    entries = [{"location": "WH1-A", "item": "BOLT", "quantity": "39"},
               {"location": "WH1-B", "item": "BOLT", "quantity": "10"}]  # fmt: skip
    ok(api.post("zhao", f"/counts/{number}/entries", {"entries": entries}))
    for step in ("close", "approve", "post"):
        ok(api.post("boss", f"/counts/{number}/{step}"))

    today = datetime.now(UTC).date()
    assert ok(api.get("zhao", "/cycle-counts/due", warehouse="WH1"))["due"] == 1
    later = ok(api.get("zhao", "/cycle-counts/due", warehouse="WH1", every_place="true",
                       on=str(today + timedelta(days=7))))  # fmt: skip
    assert [(r["item"], r["location"], r["last_counted"], r["due"]) for r in later["rows"]] == [
        ("GLUE", "WH1-A", None, True),
        ("BOLT", "WH1-B", str(today), True),
        ("BOLT", "WH1-A", str(today), False),
    ]
    history = ok(api.get("admin", "/cycle-counts/accuracy", warehouse="WH1"))
    assert [(c["number"], c["lines_counted"], c["lines_right"], c["accuracy"], c["net_variance"],
             c["absolute_variance"]) for c in history["counts"]] == [
        (number, 2, 1, "50.0", "-0.5", "0.5")
    ]  # fmt: skip
    # the counter may not see what goods cost: the same figures without the value
    [seen] = ok(api.get("zhao", "/cycle-counts/accuracy", warehouse="WH1"))["counts"]
    assert (seen["accuracy"], seen["net_variance"], seen["absolute_variance"]) == (
        "50.0",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("user", "method", "path", "body", "status", "code"),
    [
        ("zhao", "post", "/cycle-counts/abc", {"warehouse": "WH1"}, 403, "permission_denied"),
        ("far", "post", "/cycle-counts/abc", {"warehouse": "WH1"}, 403, "permission_denied"),
        ("boss", "post", "/cycle-counts/abc", {"warehouse": "NOPE"}, 404, "warehouse_not_found"),
        ("boss", "post", "/cycle-counts/abc", {"warehouse": "WH1", "months": 0}, 422,
         "invalid_input"),
        ("boss", "put", "", {"classes": {"A": 7}}, 403, "permission_denied"),
        ("boss", "put", "", {"locations": {"WH2-A": 7}}, 403, "permission_denied"),
        ("admin", "put", "", {"classes": {"D": 7}}, 422, "invalid_input"),
        ("admin", "put", "", {"classes": {"A": 0}}, 422, "invalid_input"),
        ("admin", "put", "", {}, 422, "no_changes"),
        ("admin", "put", "", {"locations": {"NOPE": 7}}, 404, "location_not_found"),
        ("zhao", "post", "/counts", {"warehouse": "WH2", "plan": True}, 403, "permission_denied"),
        ("admin", "post", "/counts", {"warehouse": "WH2", "plan": True, "limit": 0}, 422,
         "invalid_input"),
    ],
    ids=["counter-abc", "other-warehouse", "unknown-warehouse", "zero-months", "class-not-admin",
         "location-elsewhere", "unknown-class", "zero-days", "nothing", "unknown-location",
         "plan-elsewhere", "zero-limit"],
)  # fmt: skip
def test_refusals_write_nothing(
    api: Api, db: Database, user: str, method: str, path: str, body: Any, status: int, code: str
) -> None:
    before = state(db, TABLES)
    answer = _put(api, user, body) if method == "put" else api.post(user, path, body)
    assert refused(answer, status) == code
    assert state(db, TABLES) == before


def test_nothing_due_and_unseen_warehouses(api: Api, db: Database) -> None:
    before = state(db, TABLES)
    assert refused(api.post("admin", "/counts", {"warehouse": "WH2", "plan": True}), 409) == (
        "nothing_due"
    )
    assert state(db, TABLES) == before
    for path in ("/cycle-counts/due", "/cycle-counts/accuracy", "/cycle-counts/abc"):
        assert refused(api.get("far", path, warehouse="WH1"), 404) == "warehouse_not_found"
