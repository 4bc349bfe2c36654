"""Stored replenishment levels through the REST API (ADR 0032): recompute, the list with its
filters and paging, one row with its working, an override set and cleared with who and why;
each refusal answers its status and code and writes nothing."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db import tables
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.api.test_inbound_api import API, Api, ok, refused
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company
from tests.replenishment_factory import WEEKS, build_levelled_bolt

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def api(db: Database, database_url: str) -> Iterator[Api]:
    """The hand-worked ledger; buyer: purchaser in WH1, pete: purchaser in WH2, vic: viewer in
    WH1, clerk: receiving clerk in WH1 (no replenishment permission)."""
    build_company(db)
    build_levelled_bolt(db)
    headers = {"admin": admin_headers(db)}
    for name, role, where in [
        ("buyer", "purchaser", "WH1"),
        ("pete", "purchaser", "WH2"),
        ("vic", "viewer", "WH1"),
        ("clerk", "receiving_clerk", "WH1"),
    ]:
        headers[name] = token_headers(user_with_roles(db, name, (role, where)))
    with TestClient(create_app(Settings(database_url=database_url), db)) as client:
        yield Api(client, headers)


def put(api: Api, user: str, path: str, body: Any) -> Any:
    return api.client.put(f"{API}{path}", json=body, headers=api.headers[user])


def delete(api: Api, user: str, path: str) -> Any:
    return api.client.delete(f"{API}{path}", headers=api.headers[user])


def written(db: Database) -> tuple[Any, ...]:
    with db.read() as conn:
        rows = [tuple(r) for r in conn.execute(select(tables.replenishment_levels))]
        audits = conn.execute(select(func.count()).select_from(tables.audit_log)).scalar_one()
    return rows, audits


LEVELS = {"safety_stock": "15", "reorder_point": "29", "order_up_to": "43"}


def test_recompute_then_list_and_show_the_working(api: Api) -> None:
    done = ok(api.post("buyer", "/replenishment/recompute", {"weeks": WEEKS}))
    assert (done["computed"], done["cleared"], done["methods"]) == (1, 0, {"moving_average": 1})
    page = ok(api.get("vic", "/replenishment/levels"))
    assert (page["total"], page["limit"], page["offset"]) == (1, 50, 0)
    (row,) = page["items"]
    assert (row["item"], row["warehouse"], row["in_force"], row["computed"]) == (
        "BOLT", "WH1", LEVELS, LEVELS
    )  # fmt: skip
    assert row["source"] == dict.fromkeys(LEVELS, "computed")
    assert (row["demand"], row["demand_sd"], row["lead_time"], row["lead_time_sd"]) == (
        "2", "2.566756", "7", "2.828427"
    )  # fmt: skip
    assert (row["method"], row["mase"], row["z"], row["lead_time_source"]) == (
        "moving_average", "0", "1.6449", "receipts"
    )  # fmt: skip
    shown = ok(api.get("vic", "/replenishment/levels/BOLT/WH1"))
    assert shown["working"]["deviation"] == "8.838419"
    assert [s["days"] for s in shown["working"]["lead_time"]["samples"]] == [5, 9]
    # filters: another warehouse, overridden rows only, an item, a category
    assert ok(api.get("admin", "/replenishment/levels", warehouse="WH2"))["total"] == 0
    assert ok(api.get("admin", "/replenishment/levels", only_with_override=True))["total"] == 0
    assert ok(api.get("admin", "/replenishment/levels", item="BOLT"))["total"] == 1
    # pete sees only WH2's rows
    assert ok(api.get("pete", "/replenishment/levels"))["total"] == 0


def test_an_override_is_set_shown_and_cleared(api: Api) -> None:
    ok(api.post("buyer", "/replenishment/recompute", {"weeks": WEEKS}))
    body = {"reason": "supplier strike", "reorder_point": "60", "order_up_to": "80"}
    after = ok(put(api, "buyer", "/replenishment/levels/BOLT/WH1/override", body))
    assert after == {"safety_stock": "15", "reorder_point": "60", "order_up_to": "80"}
    (row,) = ok(api.get("buyer", "/replenishment/levels", only_with_override=True))["items"]
    override = row["override"]
    assert (override["reason"], override["by"], override["reorder_point"]) == (
        "supplier strike", "buyer", "60"
    )  # fmt: skip
    assert row["source"]["reorder_point"] == "override"
    cleared = delete(api, "buyer", "/replenishment/levels/BOLT/WH1/override")
    assert cleared.status_code == 204
    (row,) = ok(api.get("buyer", "/replenishment/levels"))["items"]
    assert (row["in_force"], row["override"]["by"]) == (LEVELS, None)


@pytest.mark.parametrize(
    ("user", "path", "body", "status", "code"),
    [
        ("buyer", "BOLT/WH1", {"reason": " ", "safety_stock": "1"}, 422, "reason_required"),
        ("buyer", "BOLT/WH1", {"reason": "x"}, 422, "no_override_levels"),
        ("buyer", "BOLT/WH1", {"reason": "x", "safety_stock": "-1"}, 422, "invalid_input"),
        ("buyer", "BOLT/WH1", {"reason": "x", "reorder_point": "10"}, 422,
         "reorder_point_below_safety_stock"),
        ("buyer", "BOLT/WH1", {"reason": "x", "reorder_point": "50"}, 422,
         "max_below_reorder_point"),
        ("buyer", "NOPE/WH1", {"reason": "x", "safety_stock": "1"}, 404, "item_not_found"),
        ("buyer", "BOLT/WH9", {"reason": "x", "safety_stock": "1"}, 404, "warehouse_not_found"),
        ("pete", "BOLT/WH1", {"reason": "x", "safety_stock": "1"}, 403, "permission_denied"),
        ("vic", "BOLT/WH1", {"reason": "x", "safety_stock": "1"}, 403, "permission_denied"),
        ("buyer", "BOLT/WH1", {"safety_stock": "1"}, 422, "invalid_input"),
    ],
    ids=["no reason", "no level", "negative", "rop below ss", "max below rop", "unknown item",
         "unknown warehouse", "other warehouse", "viewer", "shape"],
)  # fmt: skip
def test_override_refusals_write_nothing(
    api: Api, db: Database, user: str, path: str, body: Any, status: int, code: str
) -> None:
    ok(api.post("admin", "/replenishment/recompute", {"weeks": WEEKS}))
    before = written(db)
    answer = put(api, user, f"/replenishment/levels/{path}/override", body)
    assert refused(answer, status) == code
    assert written(db) == before


def test_other_refusals_write_nothing(api: Api, db: Database) -> None:
    ok(api.post("admin", "/replenishment/recompute", {"weeks": WEEKS}))
    before = written(db)
    assert refused(delete(api, "buyer", "/replenishment/levels/BOLT/WH1/override"), 404) == (
        "override_not_found"
    )
    assert refused(api.post("pete", "/replenishment/recompute", {"warehouse": "WH1"}), 403) == (
        "permission_denied"
    )
    assert refused(api.post("clerk", "/replenishment/recompute", {}), 403) == "permission_denied"
    assert refused(api.post("buyer", "/replenishment/recompute", {"weeks": 16}), 422) == (
        "invalid_input"
    )
    assert refused(api.get("clerk", "/replenishment/levels"), 403) == "permission_denied"
    assert refused(api.get("pete", "/replenishment/levels", warehouse="WH1"), 403) == (
        "permission_denied"
    )
    assert refused(api.get("vic", "/replenishment/levels/GLUE/WH1"), 404) == (
        "replenishment_levels_not_found"
    )
    assert written(db) == before
