"""Channels, the delivery log, the jobs and my alert subscriptions through the REST API
(ADR 0034): exact answers (never a secret), a test message and a replay to a local receiver,
each refusal's status and code writing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db import tables
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.api.test_inbound_api import API, Api, ok, refused
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company
from tests.services.test_delivery import (  # the local HTTP receiver
    TASK,
    Receiver,
    receiver,  # noqa: F401 (a fixture)
)
from tests.services.test_delivery_admin import hook_with_a_task

ROBOT = "https://oapi.dingtalk.com/robot/send?access_token=t0k"
HOOK = {"kind": "webhook", "name": "Hook", "target": "http://x/"}


@pytest.fixture
def api(db: Database, database_url: str) -> Iterator[Api]:
    """admin; boss, a warehouse manager in WH1 (job.view, no channel.manage nor job.run);
    viewer, a viewer in WH1; jobs on huey's memory storage."""
    build_company(db)
    headers = {"admin": admin_headers(db)}
    for name, role in (("boss", "warehouse_manager"), ("viewer", "viewer")):
        headers[name] = token_headers(user_with_roles(db, name, (role, "WH1")))
    settings = Settings(database_url=database_url, jobs_url="memory:")
    with TestClient(create_app(settings, db)) as client:
        yield Api(client, headers)


def written(db: Database) -> tuple[int, ...]:
    """How many channels, subscriptions, deliveries and audit entries there are."""
    with db.read() as conn:
        return tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (tables.channels, tables.subscriptions, tables.deliveries, tables.audit_log)
        )


def call(api: Api, method: str, user: str, path: str, body: Any = None) -> Any:
    return api.client.request(method, f"{API}{path}", json=body, headers=api.headers[user])


def test_a_channel_is_added_changed_subscribed_and_never_shows_its_secret(api: Api) -> None:
    body = {"kind": "dingtalk", "name": "Ding", "target": ROBOT, "secret": "SEC"}
    made = ok(api.post("admin", "/channels", body), 201)
    created = made.pop("created_at")

    assert made == {
        "id": 1, "kind": "dingtalk", "name": "Ding", "target": ROBOT, "has_secret": True,
        "config": {}, "active": True, "subscriptions": [],
    }  # fmt: skip
    sub = ok(
        api.post("admin", "/channels/1/subscriptions", {"topic": "alert", "warehouse": "WH1"}), 201
    )
    assert (sub["id"], sub["topic"], sub["warehouse"]) == (1, "alert", "WH1")

    changed = ok(
        call(
            api, "PATCH", "admin", "/channels/1", {"config": {"msgtype": "markdown"}, "secret": ""}
        )
    )
    assert (changed["has_secret"], changed["config"], changed["created_at"]) == (
        False, {"msgtype": "markdown"}, created,
    )  # fmt: skip
    assert [s["topic"] for s in changed["subscriptions"]] == ["alert"]
    assert ok(api.post("admin", "/channels/1/deactivate"))["active"] is False
    assert call(api, "DELETE", "admin", "/channels/1/subscriptions/1").status_code == 204
    listed = ok(api.get("admin", "/channels"))
    assert [(c["name"], c["active"], c["subscriptions"]) for c in listed] == [("Ding", False, [])]
    assert "SEC" not in api.get("admin", "/channels/1").text


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/channels", HOOK, 409, "channel_exists"),
        ("POST", "/channels", {**HOOK, "name": "n", "kind": "sms"}, 422, "invalid_channel_kind"),
        ("POST", "/channels", {**HOOK, "name": "n", "target": "x"}, 422, "invalid_channel_target"),
        ("POST", "/channels", {**HOOK, "name": "n", "config": {"port": 1}}, 422,
         "invalid_channel_config"),
        ("PATCH", "/channels/9", {"active": False}, 404, "channel_not_found"),
        ("POST", "/channels/1/subscriptions", {"topic": "rain"}, 422, "unknown_topic"),
        ("POST", "/channels/1/subscriptions", {"topic": "task", "warehouse": "WH9"}, 404,
         "warehouse_not_found"),
        ("POST", "/channels/9/subscriptions", {"topic": "task"}, 404, "channel_not_found"),
        ("DELETE", "/channels/1/subscriptions/9", None, 404, "subscription_not_found"),
        ("POST", "/channels/9/test", None, 404, "channel_not_found"),
        ("GET", "/deliveries/9", None, 404, "delivery_not_found"),
        ("POST", "/deliveries/9/replay", None, 404, "delivery_not_found"),
        ("GET", "/deliveries?status=lost", None, 422, "invalid_delivery_status"),
    ],
)  # fmt: skip
def test_each_refusal_answers_its_code_and_writes_nothing(
    api: Api, db: Database, method: str, path: str, body: Any, status: int, code: str
) -> None:
    ok(
        api.post("admin", "/channels", {"kind": "webhook", "name": "Hook", "target": "http://x/"}),
        201,
    )
    before = written(db)

    assert refused(call(api, method, "admin", path, body), status) == code
    assert written(db) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/channels"),
        ("POST", "/channels"),
        ("GET", "/channels/1"),
        ("PATCH", "/channels/1"),
        ("POST", "/channels/1/deactivate"),
        ("POST", "/channels/1/test"),
        ("POST", "/channels/1/subscriptions"),
        ("DELETE", "/channels/1/subscriptions/1"),
        ("GET", "/deliveries"),
        ("GET", "/deliveries/1"),
        ("POST", "/deliveries/1/replay"),
        ("POST", "/jobs/deliveries/run"),
    ],
)
def test_a_manager_may_not_manage_channels_deliveries_or_run_jobs(
    api: Api, db: Database, method: str, path: str
) -> None:
    before = written(db)

    assert refused(call(api, method, "boss", path, {}), 403) == "permission_denied"
    assert written(db) == before


def test_a_test_message_and_a_replay_reach_the_receiver(
    api: Api,
    db: Database,
    receiver: Receiver,  # noqa: F811
) -> None:
    hook, _ = hook_with_a_task(db, f"{receiver.url}/in", (receiver, 500, b"down"))  # pending

    assert refused(api.post("admin", "/deliveries/1/replay"), 409) == "delivery_pending"
    assert ok(api.post("admin", f"/channels/{hook}/test")) == {
        "delivery_id": 2, "status": "sent", "error": None,
    }  # fmt: skip
    with db.write() as uow:  # the retries ran out
        uow.conn.execute(
            tables.deliveries.update().values(status="dead").where(tables.deliveries.c.id == 1)
        )
        uow.commit()
    replayed = ok(api.post("admin", "/deliveries/1/replay"), 201)

    fields = ("id", "replay_of", "status", "attempts", "topic", "payload")
    assert {k: replayed[k] for k in fields} == {
        "id": 3, "replay_of": 1, "status": "sent", "attempts": 1, "topic": "task", "payload": TASK,
    }  # fmt: skip
    page = ok(api.get("admin", "/deliveries", channel=hook, limit=2))
    assert [(d["id"], d["topic"], d["status"], d["payload"]) for d in page["items"]] == [
        (3, "task", "sent", None),
        (2, "test", "sent", None),
    ]
    assert (page["total"], page["limit"]) == (3, 2)
    assert (
        ok(api.get("admin", "/deliveries", status="dead"))["items"][0]["last_error"] == "HTTP 500"
    )
    assert ok(api.get("admin", "/deliveries/1"))["payload"] == TASK
    assert len(receiver.got) == 3


def test_jobs_are_listed_to_a_manager_and_run_by_an_administrator(api: Api) -> None:
    listed = {j["name"]: j for j in ok(api.get("boss", "/jobs"))}
    assert (listed["backup"]["enabled"], listed["backup"]["next_run"]) == (False, None)
    assert listed["deliveries"]["last_run"] is None

    run = ok(api.post("admin", "/jobs/deliveries/run"))
    assert (run["job"], run["ok"], run["error"]) == ("deliveries", True, None)
    assert run["result"] == {
        "created": 0,
        "attempted": 0,
        "sent": 0,
        "pending": 0,
        "failed": 0,
        "dead": 0,
    }
    assert Decimal(run["seconds"]) >= 0
    last = {j["name"]: j for j in ok(api.get("admin", "/jobs"))}["deliveries"]["last_run"]
    assert last == run
    assert refused(api.post("admin", "/jobs/backup/run"), 422) == "job_not_configured"
    assert refused(api.post("admin", "/jobs/laundry/run"), 404) == "job_not_found"
    assert refused(api.get("viewer", "/jobs"), 403) == "permission_denied"


def test_my_alert_subscriptions(api: Api, db: Database) -> None:
    made = ok(
        api.post("boss", "/alerts/subscriptions", {"kind": "low_stock", "warehouse": "WH1"}), 201
    )
    every = ok(api.post("admin", "/alerts/subscriptions", {}), 201)
    # read-only roles write nothing, their own subscriptions neither
    assert refused(api.post("viewer", "/alerts/subscriptions", {}), 403) == "permission_denied"

    assert {k: made[k] for k in ("id", "kind", "warehouse")} == {
        "id": 1,
        "kind": "low_stock",
        "warehouse": "WH1",
    }
    assert [
        (s["id"], s["kind"], s["warehouse"]) for s in ok(api.get("boss", "/alerts/subscriptions"))
    ] == [(1, "low_stock", "WH1")]
    assert [(s["id"], s["kind"]) for s in ok(api.get("admin", "/alerts/subscriptions"))] == [
        (every["id"], None)
    ]
    before = written(db)
    assert refused(call(api, "DELETE", "boss", f"/alerts/subscriptions/{every['id']}"), 404) == (
        "subscription_not_found"
    )
    assert (
        refused(api.post("boss", "/alerts/subscriptions", {"kind": "rain"}), 422)
        == "unknown_alert_kind"
    )
    assert refused(api.post("boss", "/alerts/subscriptions", {"warehouse": "WH2"}), 404) == (
        "warehouse_not_found"
    )
    assert written(db) == before
    assert call(api, "DELETE", "boss", "/alerts/subscriptions/1").status_code == 204
    assert ok(api.get("boss", "/alerts/subscriptions")) == []
