"""Channels, subscriptions, test messages, replays and the delivery log as the faces use them
(ADR 0034): each write audited as ``channel.manage`` with no secret in the trail, each refusal
writing nothing, a test message and a replay sent to a local HTTP receiver."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import audit_log, channels, deliveries, subscriptions
from cangku.db.uow import Database
from cangku.domain.errors import (
    CangkuError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from cangku.queries import deliveries as queries
from cangku.services.alert_subscriptions import subscribe_to_alerts as subscribe_alerts
from cangku.services.alert_subscriptions import unsubscribe_alerts
from cangku.services.common import Context
from cangku.services.delivery.channels import (
    ChannelChanges,
    add_channel,
    deactivate_channel,
    subscribe_channel,
    unsubscribe_channel,
    update_channel,
)
from cangku.services.delivery.dispatch import run_delivery
from cangku.services.delivery.manual import replay_delivery, send_test
from cangku.services.delivery.send import Outcome
from tests.auth import user_with_roles
from tests.factories import CTX, build_company
from tests.services.test_delivery import (  # the local HTTP receiver and its helpers
    NOW,
    TASK,
    Receiver,
    receiver,  # noqa: F401 (a fixture)
    warehouse,
    write_outbox,
)

ROBOT = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123"
#: nobody listens on port 9: a delivery there fails and is retried
NOWHERE = "http://127.0.0.1:9/"


def hook_with_a_task(
    db: Database, target: str, answer: tuple[Receiver, int, bytes] | None = None
) -> tuple[int, Outcome]:
    """A webhook channel ``hook`` to ``target`` subscribed to the tasks, one task written at NOW
    and delivered at once: delivery 1, which the receiver answers ``answer`` (status, body) when
    given. Answers the channel's id and the delivery's outcome."""
    hook = add_channel(db, kind="webhook", name="hook", target=target)
    subscribe_channel(db, hook, "task", now=NOW - timedelta(hours=1))
    write_outbox(db, "task", TASK, NOW)
    if answer is not None:
        answer[0].answers.append((answer[1], answer[2]))
    return hook, run_delivery(db, now=NOW).outcomes[0]


@pytest.fixture
def company(db: Database) -> Database:
    """The company and boss, a warehouse manager in every warehouse (no channel.manage)."""
    build_company(db)
    user_with_roles(db, "boss", ("warehouse_manager", None))
    return db


def counts(db: Database) -> tuple[int, ...]:
    """How many channels, subscriptions, deliveries and audit entries there are."""
    with db.read() as conn:
        return tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (channels, subscriptions, deliveries, audit_log)
        )


def last_audit(db: Database) -> tuple[Any, ...]:
    with db.read() as conn:
        row = conn.execute(
            select(audit_log.c.action, audit_log.c.target_type, audit_log.c.target,
                   audit_log.c.username, audit_log.c.details)
            .order_by(audit_log.c.seq.desc()).limit(1)
        ).one()  # fmt: skip
    return (row[0], row[1], row[2], row[3], json.loads(row[4]))


def refused(db: Database, error: type[CangkuError], call: Any) -> str:
    """The refusal's code, once it is seen to write nothing."""
    before = counts(db)
    with pytest.raises(error) as caught:
        call()
    assert counts(db) == before
    return caught.value.code


def test_adding_a_channel_is_audited_without_its_secret_or_its_robots_key(
    company: Database,
) -> None:
    found = add_channel(company, CTX, kind="wecom", name=" Buyers ", target=ROBOT, secret="s3")

    with company.read() as conn:
        row = queries.get_channel(conn, found)
    assert (row.kind, row.name, row.target, row.has_secret, row.config, row.active) == (
        "wecom", "Buyers", ROBOT, True, {}, True,
    )  # fmt: skip
    action, kind, target, user, details = last_audit(company)
    assert (action, kind, target, user) == ("channel.manage", "channel", "Buyers", "admin")
    assert details["request"] == {
        "kind": "wecom",
        "name": "Buyers",
        "target": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***",
        "secret_set": True,
        "config": {},
    }
    assert details["result"] == found
    assert "s3" not in json.dumps(details) and "abc-123" not in json.dumps(details)


@pytest.mark.parametrize(
    ("kind", "config", "code"),
    [
        ("email", {"port": "25"}, "invalid_channel_config"),
        ("email", {"port": 0}, "invalid_channel_config"),
        ("email", {"starttls": 1}, "invalid_channel_config"),
        ("email", {"relay": "x"}, "invalid_channel_config"),
        ("wecom", {"msgtype": "card"}, "invalid_channel_config"),
        ("webhook", {"msgtype": "text"}, "invalid_channel_config"),
    ],
)
def test_a_config_the_kind_does_not_read_is_refused(
    company: Database, kind: str, config: dict[str, Any], code: str
) -> None:
    target = "buyers@example.com" if kind == "email" else "http://127.0.0.1:9/"

    def add() -> int:
        return add_channel(company, CTX, kind=kind, name="x", target=target, config=config)

    assert refused(company, InvalidInput, add) == code


def test_an_email_channel_keeps_its_smtp_config(company: Database) -> None:
    config = {"host": "127.0.0.1", "port": 2525, "from": "cangku@example.com", "starttls": False}
    found = add_channel(
        company, CTX, kind="email", name="mail", target="a@example.com, b@example.com",
        config=config,
    )  # fmt: skip

    with company.read() as conn:
        assert queries.get_channel(conn, found).config == config


def test_a_taken_name_and_a_user_without_channel_manage_are_refused(company: Database) -> None:
    add_channel(company, CTX, kind="webhook", name="hook", target="http://127.0.0.1:9/")

    def again() -> int:
        return add_channel(company, CTX, kind="webhook", name="hook", target="http://x/")

    def boss() -> int:
        return add_channel(company, Context("boss"), kind="webhook", name="b", target="http://x/")

    assert refused(company, Conflict, again) == "channel_exists"
    assert refused(company, PermissionDenied, boss) == "permission_denied"


def test_updating_a_channel_records_what_changed_and_never_the_secret(company: Database) -> None:
    found = add_channel(company, CTX, kind="dingtalk", name="ding", target="http://127.0.0.1:9/")

    changes = ChannelChanges(
        name="DingTalk",
        target="http://127.0.0.1:8/robot",
        secret="SEC",
        config={"msgtype": "markdown"},
    )
    update_channel(company, CTX, found, changes)

    with company.read() as conn:
        row = queries.get_channel(conn, found)
    assert (row.name, row.target, row.has_secret, row.config, row.active) == (
        "DingTalk", "http://127.0.0.1:8/robot", True, {"msgtype": "markdown"}, True,
    )  # fmt: skip
    action, kind, target, _, details = last_audit(company)
    assert (action, kind, target) == ("channel.manage", "channel", str(found))
    assert details["changes"] == {
        "name": {"before": "ding", "after": "DingTalk"},
        "target": {"before": "http://127.0.0.1:9/", "after": "http://127.0.0.1:8/robot"},
        "secret_set": {"before": False, "after": True},
        "config.msgtype": {"before": None, "after": "markdown"},
    }
    assert "SEC" not in json.dumps(details)

    update_channel(company, CTX, found, ChannelChanges(secret=""))
    deactivate_channel(company, CTX, found)
    with company.read() as conn:
        row = queries.get_channel(conn, found)
    assert (row.has_secret, row.active) == (False, False)
    assert last_audit(company)[4]["changes"] == {"active": {"before": True, "after": False}}


def test_updating_refuses_an_unknown_channel_a_taken_name_and_a_bad_target(
    company: Database,
) -> None:
    first = add_channel(company, CTX, kind="webhook", name="one", target="http://127.0.0.1:9/")
    add_channel(company, CTX, kind="email", name="two", target="a@example.com")

    def unknown() -> None:
        update_channel(company, CTX, 999, ChannelChanges(active=False))

    def taken() -> None:
        update_channel(company, CTX, first, ChannelChanges(name="two"))

    def target() -> None:
        update_channel(company, CTX, first, ChannelChanges(target="a@example.com"))

    assert refused(company, NotFound, unknown) == "channel_not_found"
    assert refused(company, Conflict, taken) == "channel_exists"
    assert refused(company, InvalidInput, target) == "invalid_channel_target"


def test_subscribing_and_unsubscribing_a_channel(company: Database) -> None:
    found = add_channel(company, CTX, kind="webhook", name="hook", target="http://127.0.0.1:9/")
    wh2 = warehouse(company, "WH2")

    every = subscribe_channel(company, found, "task", ctx=CTX)
    low = subscribe_channel(company, found, " alert.low_stock ", warehouse_id=wh2, ctx=CTX)

    with company.read() as conn:
        subs = queries.get_channel(conn, found).subscriptions
    assert [(s.id, s.topic, s.warehouse) for s in subs] == [
        (every, "task", None),
        (low, "alert.low_stock", "WH2"),
    ]
    action, kind, _, _, details = last_audit(company)
    assert (action, kind) == ("channel.manage", "subscription")
    assert details["request"] == {"channel": found, "topic": "alert.low_stock", "warehouse_id": wh2}

    unsubscribe_channel(company, CTX, every)
    with company.read() as conn:
        assert [s.id for s in queries.get_channel(conn, found).subscriptions] == [low]
    assert last_audit(company)[4]["result"] == {"channel": found, "topic": "task"}


def test_subscribing_refuses_an_unknown_topic_channel_or_warehouse(company: Database) -> None:
    found = add_channel(company, CTX, kind="webhook", name="hook", target="http://127.0.0.1:9/")
    user_sub = subscribe_alerts(company, Context("boss"))

    def topic() -> int:
        return subscribe_channel(company, found, "alert.rain", ctx=CTX)

    def channel() -> int:
        return subscribe_channel(company, 999, "task", ctx=CTX)

    def place() -> int:
        return subscribe_channel(company, found, "task", warehouse_id=999, ctx=CTX)

    def users_own() -> None:
        unsubscribe_channel(company, CTX, user_sub)

    assert refused(company, InvalidInput, topic) == "unknown_topic"
    assert refused(company, NotFound, channel) == "channel_not_found"
    assert refused(company, NotFound, place) == "warehouse_not_found"
    assert refused(company, NotFound, users_own) == "subscription_not_found"


def test_a_test_message_is_sent_once_and_logged(
    company: Database,
    receiver: Receiver,  # noqa: F811
) -> None:
    found = add_channel(company, CTX, kind="webhook", name="hook", target=f"{receiver.url}/in")

    outcome = send_test(company, CTX, found)

    assert (outcome.status, outcome.attempts, outcome.error) == ("sent", 1, None)
    body = json.loads(receiver.got[0].body)
    assert (body["topic"], body["payload"]["title"]) == ("test", "cangku test message to hook")
    with company.read() as conn:
        row = queries.get_delivery(conn, outcome.delivery_id)
    assert (row.topic, row.status, row.attempts, row.channel) == ("test", "sent", 1, "hook")
    assert last_audit(company)[:3] == ("channel.manage", "channel", str(found))


def test_a_test_message_that_fails_is_not_retried(
    company: Database,
    receiver: Receiver,  # noqa: F811
) -> None:
    found = add_channel(company, CTX, kind="webhook", name="hook", target=f"{receiver.url}/in")
    receiver.answers.append((503, b"busy"))

    outcome = send_test(company, CTX, found)

    assert (outcome.status, outcome.attempts, outcome.next_attempt_at) == ("failed", 1, None)
    assert outcome.error == "HTTP 503"
    with company.read() as conn:
        row = queries.get_delivery(conn, outcome.delivery_id)
    assert (row.status, row.next_attempt_at, row.last_error) == ("failed", None, "HTTP 503")


def test_a_test_message_to_an_inactive_or_unknown_channel_is_refused(company: Database) -> None:
    found = add_channel(company, CTX, kind="webhook", name="hook", target="http://127.0.0.1:9/")
    deactivate_channel(company, CTX, found)

    assert refused(company, RuleViolation, lambda: send_test(company, CTX, found)) == (
        "channel_inactive"
    )
    assert refused(company, NotFound, lambda: send_test(company, CTX, 999)) == "channel_not_found"
    boss = Context("boss")
    assert refused(company, PermissionDenied, lambda: send_test(company, boss, found)) == (
        "permission_denied"
    )


def test_a_replay_is_a_new_delivery_naming_the_old_one(
    company: Database,
    receiver: Receiver,  # noqa: F811
) -> None:
    _, first = hook_with_a_task(company, f"{receiver.url}/in", (receiver, 404, b"gone"))
    assert (first.status, first.error) == ("failed", "HTTP 404")

    again = replay_delivery(company, CTX, first.delivery_id)

    assert (again.status, again.attempts) == ("sent", 1)
    with company.read() as conn:
        row = queries.get_delivery(conn, again.delivery_id)
    assert (row.replay_of, row.outbox_id, row.topic, row.payload) == (
        first.delivery_id, None, "task", TASK,
    )  # fmt: skip
    assert [json.loads(got.body)["payload"] for got in receiver.got] == [TASK, TASK]
    assert last_audit(company)[:3] == ("channel.manage", "delivery", str(first.delivery_id))


def test_a_replay_of_a_pending_or_unknown_delivery_is_refused(company: Database) -> None:
    _, pending = hook_with_a_task(company, NOWHERE)
    assert pending.status == "pending"

    assert refused(
        company, RuleViolation, lambda: replay_delivery(company, CTX, pending.delivery_id)
    ) == ("delivery_pending")
    assert refused(company, NotFound, lambda: replay_delivery(company, CTX, 999)) == (
        "delivery_not_found"
    )


def test_the_log_lists_newest_first_filtered_and_paged(
    company: Database,
    receiver: Receiver,  # noqa: F811
) -> None:
    hook, _ = hook_with_a_task(company, f"{receiver.url}/in", (receiver, 400, b"no"))  # failed
    other = add_channel(company, CTX, kind="webhook", name="other", target=f"{receiver.url}/o")
    send_test(company, CTX, other)  # 2: sent
    send_test(company, CTX, hook)  # 3: sent

    def ids(**f: Any) -> list[int]:
        with company.read() as conn:
            return [r.id for r in queries.list_deliveries(conn, queries.DeliveryFilter(**f)).items]

    assert ids() == [3, 2, 1]
    assert ids(channel_id=hook) == [3, 1]
    assert ids(status="failed") == [1]
    assert ids(topic="test", channel_id=hook) == [3]
    with company.read() as conn:
        page = queries.list_deliveries(conn, queries.DeliveryFilter(), limit=1, offset=1)
        with pytest.raises(InvalidInput) as bad:
            queries.list_deliveries(conn, queries.DeliveryFilter(status="lost"))
    assert ([r.id for r in page.items], page.total) == ([2], 3)
    assert page.items[0].payload is None
    assert bad.value.code == "invalid_delivery_status"


def test_a_user_lists_and_takes_out_only_their_own_alert_subscriptions(company: Database) -> None:
    boss = Context("boss")
    wh1 = warehouse(company, "WH1")
    mine = subscribe_alerts(company, boss, kind="low_stock", warehouse_id=wh1)
    theirs = subscribe_alerts(company, CTX)

    with company.read() as conn:
        from cangku.services.common import load_actor

        boss_id = load_actor(conn, boss).user_id
        listed = queries.user_subscriptions(conn, boss_id)
    assert [(s.id, s.topic, s.warehouse) for s in listed] == [(mine, "alert.low_stock", "WH1")]

    assert refused(company, NotFound, lambda: unsubscribe_alerts(company, boss, theirs)) == (
        "subscription_not_found"
    )
    unsubscribe_alerts(company, boss, mine)
    with company.read() as conn:
        assert queries.user_subscriptions(conn, boss_id) == []
    action, kind, target, user, details = last_audit(company)
    assert (action, kind, target, user) == ("alert.subscribe", "subscription", str(mine), "boss")
    assert details["result"] == {"topic": "alert.low_stock", "warehouse_id": wh1}
