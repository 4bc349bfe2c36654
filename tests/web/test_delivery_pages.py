"""The delivery channels, delivery log, jobs and alert subscription pages (ADR 0034): an
administrator adds a channel, subscribes it, sends a test message and replays a delivery to a
local receiver; a manager sees the jobs but may not run them or touch channels (refusals write
nothing); anyone who sees alerts keeps their own subscriptions."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from cangku.db import tables
from cangku.db.uow import Database
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.services.test_delivery import (  # the local HTTP receiver
    Receiver,
    receiver,  # noqa: F401 (a fixture)
)
from tests.services.test_delivery_admin import hook_with_a_task
from tests.web.browsing import Browser, browser, key_of, sign_in_as

DELIVERY = re.compile(r'<tr data-delivery="(\d+)" data-status="(\w+)">')
SUBSCRIPTION = re.compile(r'<tr data-subscription="(\d+)">')


@pytest.fixture
def site(db: Database, database_url: str) -> Iterator[Browser]:
    """boss: a warehouse manager in WH1 (job.view only); jobs on huey's memory storage."""
    build_company(db)
    client = browser(db, database_url, jobs_url="memory:")
    create_user(db, CTX, "boss", "Boss", PASSWORD, [("warehouse_manager", "WH1")])
    client.cookies.set("lang", "en")
    with client:
        yield client


def written(db: Database) -> tuple[int, ...]:
    with db.read() as conn:
        return tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (tables.channels, tables.subscriptions, tables.deliveries, tables.audit_log)
        )


def test_an_administrator_adds_subscribes_tests_and_changes_a_channel(
    site: Browser,
    db: Database,
    receiver: Receiver,  # noqa: F811
) -> None:
    sign_in_as(site, db)
    form = site.get("/admin/channels")
    fields = {
        "idempotency_key": key_of(form.text), "kind": "webhook", "name": "Hook",
        "target": f"{receiver.url}/in", "secret": "s3cret", "config": "",
    }  # fmt: skip

    added = site.post("/admin/channels", data=fields, follow_redirects=False)
    subscribed = site.post(
        "/admin/channels/1/subscriptions", data={"topic": "alert.low_stock", "warehouse_id": "1"},
        follow_redirects=False,
    )  # fmt: skip
    tested = site.post("/admin/channels/1/test", follow_redirects=False)
    page = site.get("/admin/channels/1")

    assert (added.status_code, added.headers["location"]) == (303, "/admin/channels/1")
    assert (subscribed.status_code, tested.status_code) == (303, 303)
    assert "Test message sent." in page.text
    assert "s3cret" not in page.text and "set; leave blank to keep it" in page.text
    assert SUBSCRIPTION.findall(page.text) == ["1"]
    assert "Alert: Low stock" in page.text
    assert len(receiver.got) == 1

    changed = site.post(
        "/admin/channels/1", data={"name": "Hook 2", "target": f"{receiver.url}/in", "config": ""},
        follow_redirects=False,
    )  # fmt: skip
    removed = site.post("/admin/channels/1/subscriptions/1/delete", follow_redirects=False)
    listed = site.get("/admin/channels")

    assert (changed.status_code, removed.status_code) == (303, 303)
    assert 'data-channel="1"' in listed.text and "Hook 2" in listed.text
    with db.read() as conn:
        row = conn.execute(select(tables.channels.c.name, tables.channels.c.active)).one()
    assert tuple(row) == ("Hook 2", False)  # the Active box was left unticked
    assert written(db)[1] == 0


def test_a_bad_channel_form_is_shown_again_and_writes_nothing(site: Browser, db: Database) -> None:
    sign_in_as(site, db)
    before = written(db)
    fields = {"kind": "webhook", "name": "n", "target": "ftp://x", "config": ""}

    bad_target = site.post("/admin/channels", data=fields)
    bad_config = site.post(
        "/admin/channels", data={**fields, "target": "http://x/", "config": "[1]"}
    )
    unknown = site.get("/admin/channels/9")

    assert (bad_target.status_code, 'value="ftp://x"' in bad_target.text) == (422, True)
    assert bad_config.status_code == 422
    assert (unknown.status_code, "channel_not_found" in unknown.text) == (404, True)
    assert written(db) == before


def test_the_log_filters_shows_a_payload_and_replays(
    site: Browser,
    db: Database,
    receiver: Receiver,  # noqa: F811
) -> None:
    hook_with_a_task(db, f"{receiver.url}/in", (receiver, 404, b"gone"))  # delivery 1: failed
    sign_in_as(site, db)

    every = site.get("/admin/deliveries")
    failed = site.get("/admin/deliveries?status=failed&channel=1")
    one = site.get("/admin/deliveries/1")
    replayed = site.post("/admin/deliveries/1/replay", follow_redirects=False)
    after = site.get("/admin/deliveries")

    assert DELIVERY.findall(every.text) == [("1", "failed")]
    assert DELIVERY.findall(failed.text) == [("1", "failed")]
    assert "RC-WH1-2026-00001" in one.text and "HTTP 404" in one.text
    assert 'action="/admin/deliveries/1/replay"' in one.text
    assert (replayed.status_code, replayed.headers["location"]) == (303, "/admin/deliveries/2")
    assert DELIVERY.findall(after.text) == [("2", "sent"), ("1", "failed")]
    assert site.get("/admin/deliveries?status=lost").status_code == 422
    assert site.get("/admin/deliveries/x").status_code == 404


def test_jobs_are_listed_to_a_manager_and_run_by_an_administrator(
    site: Browser, db: Database
) -> None:
    sign_in_as(site, db, "boss")
    seen = site.get("/admin/jobs")
    before = written(db)
    refused = site.post("/admin/jobs/deliveries/run", follow_redirects=False)

    assert seen.status_code == 200
    assert 'data-job="deliveries"' in seen.text and "/run" not in seen.text
    assert 'href="/admin/jobs"' in seen.text and 'href="/admin/channels"' not in seen.text
    assert refused.status_code == 403
    assert written(db) == before
    assert site.get("/admin/channels").status_code == 403
    assert site.get("/admin/deliveries").status_code == 403

    sign_in_as(site, db)
    ran = site.post("/admin/jobs/deliveries/run", follow_redirects=False)
    page = site.get("/admin/jobs")
    unconfigured = site.post("/admin/jobs/backup/run", follow_redirects=False)

    assert ran.status_code == 303
    assert "Job deliveries ran in" in page.text
    assert 'action="/admin/jobs/deliveries/run"' in page.text
    assert 'action="/admin/jobs/backup/run"' not in page.text  # off: no backup folder
    assert (unconfigured.status_code, "job_not_configured" in unconfigured.text) == (422, True)
    assert 'href="/admin/deliveries"' in page.text


def test_a_user_keeps_their_own_alert_subscriptions(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "boss")
    alerts = site.get("/alerts")

    added = site.post(
        "/alerts/subscriptions", data={"kind": "low_stock", "warehouse_id": "1"},
        follow_redirects=False,
    )  # fmt: skip
    mine = site.get("/alerts/subscriptions")
    elsewhere = site.post("/alerts/subscriptions", data={"kind": "", "warehouse_id": "2"})

    assert 'href="/alerts/subscriptions"' in alerts.text
    assert added.status_code == 303
    assert SUBSCRIPTION.findall(mine.text) == ["1"]
    assert "Low stock" in mine.text.split('id="subscriptions"')[1].split("</table>")[0]
    assert elsewhere.status_code == 403  # WH2 is not boss's
    before = written(db)
    assert site.post("/alerts/subscriptions/9/delete").status_code == 404
    assert written(db) == before
    removed = site.post("/alerts/subscriptions/1/delete", follow_redirects=False)
    assert removed.status_code == 303
    assert SUBSCRIPTION.findall(site.get("/alerts/subscriptions").text) == []
