"""Delivery beyond the app (issue 16 point 6, ADR 0029): e-mail to a local SMTP server, signed
webhooks and the WeCom / DingTalk / Feishu robots to a local HTTP receiver, retries with
backoff, dead deliveries, replay, and one delivery per (outbox row, channel)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from cangku.db import deliveries as store
from cangku.db.documents import add_outbox
from cangku.db.tables import channels, deliveries, outbox, warehouses
from cangku.db.uow import Database
from cangku.domain.errors import Conflict, InvalidInput, RuleViolation
from cangku.services.delivery.channels import add_channel, subscribe_channel
from cangku.services.delivery.dispatch import dispatch_outbox, run_delivery
from cangku.services.delivery.send import replay, send_due
from tests.factories import build_company

#: a fixed instant: 2026-12-04 12:00 UTC = 1796385600 s since the epoch
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
EPOCH_S = 1796385600
#: a task row as the document framework writes it
TASK = {
    "action": "inbound.receive",
    "assignee_id": None,
    "doc_type": "receipt",
    "number": "RC-WH1-2026-00001",
    "state": "open",
    "step": "receive",
}


# ------------------------------------------------------------------ receivers
@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A local HTTP server: records every POST and answers the next queued (status, body),
    or 200 with ``ok`` when the queue is empty."""

    url: str
    ok: bytes = b'{"errcode": 0, "errmsg": "ok"}'
    answers: list[tuple[int, bytes]] = field(default_factory=list)
    got: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.got.append(Received(self.path, dict(self.headers.items()), body))
            status, answer = state.answers.pop(0) if state.answers else (200, state.ok)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@dataclass
class Mailbox:
    port: int
    got: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.got.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


# ------------------------------------------------------------------ helpers
def warehouse(db: Database, code: str) -> int:
    with db.read() as conn:
        return int(
            conn.execute(select(warehouses.c.id).where(warehouses.c.code == code)).scalar_one()
        )


def write_outbox(db: Database, topic: str, payload: dict[str, Any], at: datetime) -> int:
    with db.write() as uow:
        add_outbox(uow.conn, topic, None, payload, at)
        found = int(uow.conn.execute(select(func.max(outbox.c.id))).scalar_one())
        uow.commit()
    return found


def rows(db: Database) -> list[tuple[Any, ...]]:
    """(outbox id, channel id, status, attempts, next attempt, error, replay of) by id."""
    cols = deliveries.c
    with db.read() as conn:
        found = conn.execute(
            select(
                cols.outbox_id,
                cols.channel_id,
                cols.status,
                cols.attempts,
                cols.next_attempt_at,
                cols.last_error,
                cols.replay_of,
            ).order_by(cols.id)
        )
        return [tuple(r) for r in found]


def webhook(db: Database, receiver: Receiver, *, secret: str | None = "whsecret") -> int:
    """A webhook channel to the receiver, subscribed to tasks since an hour before NOW."""
    channel = add_channel(
        db, kind="webhook", name="erp", target=f"{receiver.url}/hook", secret=secret, now=NOW
    )
    subscribe_channel(db, channel, "task", now=NOW - timedelta(hours=1))
    return channel


# ------------------------------------------------------------------ e-mail
def test_an_email_reaches_the_local_smtp_server_with_its_subject_and_body(
    db: Database, mailbox: Mailbox
) -> None:
    build_company(db)
    wh1 = warehouse(db, "WH1")
    channel = add_channel(
        db,
        kind="email",
        name="buyers",
        target="buyer@example.com",
        config={"host": "127.0.0.1", "port": mailbox.port, "from": "cangku@example.com"},
        now=NOW,
    )
    subscribe_channel(db, channel, "task", now=NOW - timedelta(hours=1))
    row = write_outbox(db, "task", {**TASK, "warehouse_id": wh1}, NOW)

    run = run_delivery(db, now=NOW)

    assert run.created == 1
    assert [(o.status, o.attempts, o.error) for o in run.outcomes] == [("sent", 1, None)]
    [(sender, recipients, content)] = mailbox.got
    assert (sender, recipients) == ("cangku@example.com", ["buyer@example.com"])
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    # the title is the topic and the number; the lines are the other fields sorted by key,
    # assignee_id (null) left out
    assert message["Subject"] == "[cangku] task RC-WH1-2026-00001"
    assert message["X-Cangku-Delivery"] == str(run.outcomes[0].delivery_id)
    # as it came over the wire: SMTP ends lines in CRLF
    assert message.get_content() == (
        f"action: inbound.receive\r\ndoc_type: receipt\r\nstate: open\r\nstep: receive\r\n"
        f"warehouse_id: {wh1}\r\n"
    )
    assert rows(db) == [(row, channel, "sent", 1, None, None, None)]


# ------------------------------------------------------------------ signed webhook
def test_a_webhook_arrives_signed_with_the_hmac_of_its_body(
    db: Database, receiver: Receiver
) -> None:
    build_company(db)
    channel = webhook(db, receiver)
    row = write_outbox(db, "task", TASK, NOW)

    run = run_delivery(db, now=NOW)

    [got] = receiver.got
    delivery_id = run.outcomes[0].delivery_id
    assert got.path == "/hook"
    # recomputed here: HMAC-SHA256 keyed with the channel's secret over the exact body bytes
    expected = hmac.new(b"whsecret", got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Cangku-Signature"] == f"sha256={expected}"
    assert got.headers["X-Cangku-Timestamp"] == str(EPOCH_S)
    assert got.headers["X-Cangku-Delivery"] == str(delivery_id)
    assert json.loads(got.body) == {
        "delivery": delivery_id,
        "outbox_id": row,
        "payload": TASK,
        "timestamp": EPOCH_S,
        "topic": "task",
    }
    assert rows(db) == [(row, channel, "sent", 1, None, None, None)]


def test_the_webhook_signature_is_the_hex_hmac_sha256_of_the_body() -> None:
    from cangku.services.delivery.formats import webhook_signature

    # printf '{"a": 1}' | openssl dgst -sha256 -hmac whsecret
    assert webhook_signature("whsecret", b'{"a": 1}') == (
        "sha256=b33560bf634b823737ead7e143ac34437e6cb01c7d82b9b3a82e3d24df1c8526"
    )


# ------------------------------------------------------------------ group robots
#: DingTalk: printf '1796385600000\nSECtest' | openssl dgst -sha256 -hmac SECtest -binary | base64
#: = yEsTPuuDGbgLYLR/w68bWOKOcDrHhpzo+s6KU8C4LHY=, url-encoded ('/' %2F, '+' %2B, '=' %3D)
DINGTALK_SIGN = "yEsTPuuDGbgLYLR%2Fw68bWOKOcDrHhpzo%2Bs6KU8C4LHY%3D"
#: Feishu keys the HMAC with the string to sign, over an empty message:
#: printf '' | openssl dgst -sha256 -mac HMAC -macopt "key:1796385600<newline>fsecret" -binary
#: | base64
FEISHU_SIGN = "RCVCDR1vTbOlM7mHPE6AB33IFkinLLGUQm/jj++0PEw="
TEXT = (
    "task RC-WH1-2026-00001\naction: inbound.receive\ndoc_type: receipt\nstate: open\nstep: receive"
)


@pytest.mark.parametrize(
    ("kind", "path", "secret", "config", "ok", "body", "query"),
    [
        pytest.param(
            "wecom",
            "/cgi-bin/webhook/send?key=K1",
            None,
            None,
            b'{"errcode": 0, "errmsg": "ok"}',
            {"msgtype": "text", "text": {"content": TEXT}},
            {"key": ["K1"]},
            id="wecom-text",
        ),
        pytest.param(
            "wecom",
            "/cgi-bin/webhook/send?key=K1",
            None,
            {"msgtype": "markdown"},
            b'{"errcode": 0, "errmsg": "ok"}',
            {
                "msgtype": "markdown",
                "markdown": {
                    "content": "**task RC-WH1-2026-00001**\naction: inbound.receive\n"
                    "doc_type: receipt\nstate: open\nstep: receive"
                },
            },
            {"key": ["K1"]},
            id="wecom-markdown",
        ),
        pytest.param(
            "dingtalk",
            "/robot/send?access_token=T1",
            "SECtest",
            None,
            b'{"errcode": 0, "errmsg": "ok"}',
            {"msgtype": "text", "text": {"content": TEXT}},
            # parse_qs decodes the sign: the base64 itself
            {
                "access_token": ["T1"],
                "timestamp": ["1796385600000"],
                "sign": ["yEsTPuuDGbgLYLR/w68bWOKOcDrHhpzo+s6KU8C4LHY="],
            },
            id="dingtalk-signed",
        ),
        pytest.param(
            "dingtalk",
            "/robot/send?access_token=T1",
            None,
            {"msgtype": "markdown"},
            b'{"errcode": 0, "errmsg": "ok"}',
            {
                "msgtype": "markdown",
                "markdown": {
                    "title": "task RC-WH1-2026-00001",
                    "text": "#### task RC-WH1-2026-00001\n\naction: inbound.receive\n\n"
                    "doc_type: receipt\n\nstate: open\n\nstep: receive",
                },
            },
            {"access_token": ["T1"]},
            id="dingtalk-markdown",
        ),
        pytest.param(
            "feishu",
            "/open-apis/bot/v2/hook/H1",
            "fsecret",
            None,
            b'{"code": 0, "msg": "success", "data": {}}',
            {
                "msg_type": "text",
                "content": {"text": TEXT},
                "timestamp": "1796385600",
                "sign": FEISHU_SIGN,
            },
            {},
            id="feishu-signed",
        ),
    ],
)
def test_a_group_robot_gets_its_documented_format(
    db: Database,
    receiver: Receiver,
    kind: str,
    path: str,
    secret: str | None,
    config: dict[str, str] | None,
    ok: bytes,
    body: dict[str, Any],
    query: dict[str, list[str]],
) -> None:
    build_company(db)
    receiver.ok = ok
    channel = add_channel(
        db, kind=kind, name="group", target=receiver.url + path, secret=secret, config=config
    )
    subscribe_channel(db, channel, "task", now=NOW - timedelta(hours=1))
    row = write_outbox(db, "task", TASK, NOW)

    run_delivery(db, now=NOW)

    [got] = receiver.got
    assert json.loads(got.body) == body
    assert parse_qs(urlsplit(got.path).query) == query
    assert rows(db) == [(row, channel, "sent", 1, None, None, None)]


def test_the_dingtalk_url_carries_the_timestamp_and_the_url_encoded_sign() -> None:
    from cangku.db.deliveries import Channel, Delivery
    from cangku.services.delivery.formats import http_request

    channel = Channel(1, "dingtalk", "g", "https://oapi.dingtalk.com/robot/send?access_token=T1",
                      "SECtest", {}, True)  # fmt: skip
    delivery = Delivery(7, 3, 1, None, "task", TASK, "pending", 0, NOW, None, None, NOW)

    request = http_request(delivery, channel, NOW)

    assert request.url == (
        "https://oapi.dingtalk.com/robot/send?access_token=T1"
        f"&timestamp=1796385600000&sign={DINGTALK_SIGN}"
    )


def test_a_robot_answering_an_error_code_is_retried(db: Database, receiver: Receiver) -> None:
    build_company(db)
    receiver.answers = [(200, b'{"errcode": 310000, "errmsg": "sign not match"}')]
    channel = add_channel(db, kind="dingtalk", name="g", target=f"{receiver.url}/robot/send")
    subscribe_channel(db, channel, "task", now=NOW - timedelta(hours=1))
    row = write_outbox(db, "task", TASK, NOW)

    run_delivery(db, now=NOW)

    error = "dingtalk error: {'errcode': 310000, 'errmsg': 'sign not match'}"
    assert rows(db) == [(row, channel, "pending", 1, NOW + timedelta(minutes=1), error, None)]


# ------------------------------------------------------------------ retries, dead, replay
def test_a_receiver_answering_500_leaves_it_pending_for_the_first_backoff(
    db: Database, receiver: Receiver
) -> None:
    build_company(db)
    channel = webhook(db, receiver)
    row = write_outbox(db, "task", TASK, NOW)
    receiver.answers = [(500, b"{}")]

    run = run_delivery(db, now=NOW)
    # not due 59 s later: nothing is sent
    again = send_due(db, now=NOW + timedelta(seconds=59))

    assert [(o.status, o.attempts) for o in run.outcomes] == [("pending", 1)]
    assert again == []
    assert len(receiver.got) == 1
    # the first wait of the schedule is one minute
    assert rows(db) == [(row, channel, "pending", 1, NOW + timedelta(minutes=1), "HTTP 500", None)]


def fail_until_dead(db: Database, receiver: Receiver) -> tuple[int, int, datetime]:
    """Six attempts, each answered 500, each at the time the one before scheduled; answers
    the outbox row, the delivery and the time of the last attempt."""
    row = write_outbox(db, "task", TASK, NOW)
    receiver.answers = [(500, b"{}")] * 6
    dispatch_outbox(db, now=NOW)
    at = NOW
    # the waits after the 1st to 5th failure: 1 min, 5 min, 30 min, 2 h, 12 h
    waits = [timedelta(minutes=m) for m in (1, 5, 30, 120, 720)]
    for attempt, wait in enumerate(waits, start=1):
        [outcome] = send_due(db, now=at)
        assert (outcome.status, outcome.attempts, outcome.next_attempt_at) == (
            "pending",
            attempt,
            at + wait,
        )
        at += wait
    [last] = send_due(db, now=at)
    assert (last.status, last.attempts, last.next_attempt_at) == ("dead", 6, None)
    return row, last.delivery_id, at


def test_the_sixth_failed_attempt_makes_the_delivery_dead(db: Database, receiver: Receiver) -> None:
    build_company(db)
    channel = webhook(db, receiver)

    row, _, last = fail_until_dead(db, receiver)

    # 1 + 5 + 30 + 120 + 720 minutes after the first attempt
    assert last == NOW + timedelta(minutes=876)
    assert rows(db) == [(row, channel, "dead", 6, None, "HTTP 500", None)]
    assert len(receiver.got) == 6
    assert send_due(db, now=last + timedelta(days=30)) == []


def test_replay_sends_a_dead_delivery_again_as_a_new_one(db: Database, receiver: Receiver) -> None:
    build_company(db)
    channel = webhook(db, receiver)
    row, dead_id, last = fail_until_dead(db, receiver)

    outcome = replay(db, dead_id, now=last + timedelta(hours=1))

    assert (outcome.status, outcome.attempts, outcome.error) == ("sent", 1, None)
    assert rows(db) == [
        (row, channel, "dead", 6, None, "HTTP 500", None),
        (None, channel, "sent", 1, None, None, dead_id),
    ]
    # the same payload as the failed attempts, under the new delivery's id
    first, replayed = json.loads(receiver.got[0].body), json.loads(receiver.got[-1].body)
    assert replayed["payload"] == first["payload"] == TASK
    assert (replayed["delivery"], replayed["outbox_id"]) == (outcome.delivery_id, None)


def test_a_pending_delivery_is_not_replayed(db: Database, receiver: Receiver) -> None:
    build_company(db)
    webhook(db, receiver)
    write_outbox(db, "task", TASK, NOW)
    receiver.answers = [(503, b"{}")]
    [outcome] = run_delivery(db, now=NOW).outcomes

    with pytest.raises(RuleViolation) as refused:
        replay(db, outcome.delivery_id, now=NOW)

    assert refused.value.code == "delivery_pending"
    assert len(rows(db)) == 1
    assert len(receiver.got) == 1


def test_a_4xx_refusal_fails_the_delivery_without_retry(db: Database, receiver: Receiver) -> None:
    build_company(db)
    channel = webhook(db, receiver)
    row = write_outbox(db, "task", TASK, NOW)
    receiver.answers = [(404, b"{}")]

    run_delivery(db, now=NOW)

    assert rows(db) == [(row, channel, "failed", 1, None, "HTTP 404", None)]
    assert send_due(db, now=NOW + timedelta(days=1)) == []


# ------------------------------------------------------------------ dispatch
def test_dispatch_run_twice_makes_one_delivery_per_outbox_row_and_channel(
    db: Database, receiver: Receiver
) -> None:
    build_company(db)
    wh1, wh2 = warehouse(db, "WH1"), warehouse(db, "WH2")
    every = add_channel(db, kind="webhook", name="all", target=f"{receiver.url}/a", now=NOW)
    second = add_channel(db, kind="webhook", name="wh2", target=f"{receiver.url}/b", now=NOW)
    alerts = add_channel(db, kind="webhook", name="low", target=f"{receiver.url}/c", now=NOW)
    since = NOW - timedelta(hours=2)
    subscribe_channel(db, every, "task", now=since)
    subscribe_channel(db, second, "task", warehouse_id=wh2, now=since)
    subscribe_channel(db, alerts, "alert.low_stock", now=since)
    t1 = write_outbox(db, "task", {**TASK, "warehouse_id": wh1}, NOW - timedelta(hours=1))
    t2 = write_outbox(db, "task", {**TASK, "warehouse_id": wh2}, NOW - timedelta(hours=1))
    low = write_outbox(db, "alert", {"kind": "low_stock", "warehouse_id": wh1}, NOW)
    write_outbox(db, "alert", {"kind": "overstock", "warehouse_id": wh1}, NOW)  # no one's
    write_outbox(db, "task", {**TASK, "warehouse_id": wh2}, since - timedelta(minutes=1))  # early

    first = dispatch_outbox(db, now=NOW)
    second_run = dispatch_outbox(db, now=NOW)

    # every: t1, t2; wh2 only: t2; low stock: the low_stock alert; the overstock alert has no
    # subscriber and the row older than the subscriptions goes to none
    assert (first, second_run) == (4, 0)
    assert sorted((r[0], r[1]) for r in rows(db)) == [
        (t1, every),
        (t2, every),
        (t2, second),
        (low, alerts),
    ]
    # the in-app delivery's mark on the outbox is left alone
    with db.read() as conn:
        marked = conn.execute(select(func.count()).where(outbox.c.delivered_at.is_not(None)))
        assert marked.scalar_one() == 0


def test_dispatchers_running_at_once_make_each_delivery_once(
    db: Database, receiver: Receiver
) -> None:
    build_company(db)
    webhook(db, receiver)
    for _ in range(20):
        write_outbox(db, "task", TASK, NOW)
    start = threading.Barrier(2)
    made: list[int] = []

    def dispatch() -> None:
        start.wait()
        made.append(dispatch_outbox(db, now=NOW))

    threads = [threading.Thread(target=dispatch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(made) == 20
    assert len(rows(db)) == 20


def test_the_database_refuses_a_second_delivery_of_an_outbox_row_to_a_channel(
    db: Database, receiver: Receiver
) -> None:
    build_company(db)
    channel = webhook(db, receiver)
    row = write_outbox(db, "task", TASK, NOW)
    values = {
        "outbox_id": row,
        "channel_id": channel,
        "topic": "task",
        "payload": "{}",
        "next_attempt_at": NOW,
        "created_at": NOW,
    }
    with db.write() as uow:
        store.insert_delivery(uow.conn, values)
        uow.commit()

    with pytest.raises(Conflict) as refused, db.write() as uow:
        store.insert_delivery(uow.conn, values)

    assert refused.value.code == "duplicate"
    assert len(rows(db)) == 1


@pytest.mark.parametrize(
    ("kind", "name", "target", "code"),
    [
        ("sms", "x", "http://127.0.0.1/", "invalid_channel_kind"),
        ("webhook", " ", "http://127.0.0.1/", "invalid_channel_name"),
        ("webhook", "x", "ftp://127.0.0.1/", "invalid_channel_target"),
        ("dingtalk", "x", "oapi.dingtalk.com/robot/send", "invalid_channel_target"),
        ("email", "x", "buyers", "invalid_channel_target"),
    ],
)
def test_a_channel_with_a_bad_kind_name_or_target_is_refused(
    db: Database, kind: str, name: str, target: str, code: str
) -> None:
    build_company(db)  # the library adds channels as the built-in administrator
    with pytest.raises(InvalidInput) as refused:
        add_channel(db, kind=kind, name=name, target=target)

    assert refused.value.code == code
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(channels)).scalar_one() == 0


def test_migration_0015_goes_down_and_up_again(db: Database) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from cangku.db.schema import alembic_config, current_revision, head_revision

    config = alembic_config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0014")
    down = set(inspect(db.engine).get_table_names())
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    up = set(inspect(db.engine).get_table_names())

    assert {"channels", "subscriptions", "deliveries"} & down == set()
    assert {"channels", "subscriptions", "deliveries"} <= up
    assert current_revision(db.engine) == head_revision()
