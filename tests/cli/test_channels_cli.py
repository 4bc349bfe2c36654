"""``cangku channels`` and ``cangku deliveries`` (ADR 0034): exact table and JSON (never a
secret), a test message and a replay to a local receiver, each refusal's code and exit status
writing nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select, update
from typer.testing import Result

from cangku.db.tables import audit_log, channels, deliveries, subscriptions
from cangku.db.uow import Database
from cangku.services.delivery.channels import add_channel
from tests.auth import user_with_roles
from tests.cli.tree import Invoke
from tests.factories import build_company
from tests.services.test_delivery import (  # the local HTTP receiver
    TASK,
    Receiver,
    receiver,  # noqa: F401 (a fixture)
)
from tests.services.test_delivery_admin import NOWHERE, hook_with_a_task


@pytest.fixture
def as_user(cangku: Invoke, db: Database, signed_in: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The company and boss, a warehouse manager everywhere (no channel.manage);
    ``as_user(name, *args)`` runs ``cangku args`` signed in as boss or admin."""
    build_company(db)
    tokens = {"admin": signed_in, "boss": user_with_roles(db, "boss", ("warehouse_manager", None))}

    def run(username: str, *args: str) -> Result:
        monkeypatch.setenv("CANGKU_TOKEN", tokens[username])
        return cangku(*args)

    return run


def written(db: Database) -> tuple[int, ...]:
    with db.read() as conn:
        return tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (channels, subscriptions, deliveries, audit_log)
        )


def out(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_channel_is_added_subscribed_updated_and_listed(as_user: Any) -> None:
    made = out(
        as_user(
            "admin", "channels", "add", "email", "Buyers", "buyers@example.com",
            "--secret", "pw", "--config", "host=127.0.0.1", "--config", "port=2525",
            "--config", "starttls=false", "--json",
        )
    )  # fmt: skip
    sub = out(
        as_user(
            "admin", "channels", "subscribe", "1", "alert.low_stock", "--warehouse", "WH1", "--json"
        )
    )
    changed = out(
        as_user("admin", "channels", "update", "1", "--clear-secret", "--inactive", "--json")
    )
    shown = as_user("admin", "channels")

    assert {k: made[k] for k in ("id", "kind", "name", "has_secret", "config", "active")} == {
        "id": 1, "kind": "email", "name": "Buyers", "has_secret": True,
        "config": {"host": "127.0.0.1", "port": 2525, "starttls": False}, "active": True,
    }  # fmt: skip
    assert "secret" not in made
    assert sub == {"subscription": 1, "channel": 1, "topic": "alert.low_stock"}
    assert (changed["has_secret"], changed["active"]) == (False, False)
    assert [s["topic"] for s in changed["subscriptions"]] == ["alert.low_stock"]
    assert shown.exit_code == 0, shown.output
    head, row = shown.stdout.splitlines()
    assert head.split() == ["id", "kind", "name", "target", "has_secret", "active", "subscriptions"]
    assert row.split() == [
        "1",
        "email",
        "Buyers",
        "buyers@example.com",
        "False",
        "False",
        '["alert.low_stock@WH1#1"]',
    ]
    assert out(as_user("admin", "channels", "unsubscribe", "1", "--json")) == {"removed": 1}


@pytest.mark.parametrize(
    ("args", "code", "status"),
    [
        (["add", "sms", "n", "http://x/"], "invalid_channel_kind", 4),
        (["add", "webhook", "Hook", "http://x/"], "channel_exists", 6),
        (["add", "webhook", "n", "http://x/", "--config", "msgtype"], "invalid_channel_config", 4),
        (["update", "9", "--name", "x"], "channel_not_found", 3),
        (["subscribe", "1", "rain"], "unknown_topic", 4),
        (["subscribe", "1", "task", "--warehouse", "WH9"], "warehouse_not_found", 3),
        (["unsubscribe", "9"], "subscription_not_found", 3),
        (["test", "9"], "channel_not_found", 3),
        (["deactivate", "9"], "channel_not_found", 3),
    ],
)
def test_each_refusal_prints_its_code_and_writes_nothing(
    as_user: Any, db: Database, args: list[str], code: str, status: int
) -> None:
    out(as_user("admin", "channels", "add", "webhook", "Hook", "http://x/", "--json"))
    before = written(db)

    result = as_user("admin", "channels", *args, "--json")

    assert (result.exit_code, json.loads(result.stdout)["error"]["code"]) == (status, code)
    assert written(db) == before


@pytest.mark.parametrize(
    "args",
    [
        ["channels"],
        ["channels", "add", "webhook", "n", "http://x/"],
        ["channels", "test", "1"],
        ["deliveries"],
        ["deliveries", "show", "1"],
        ["deliveries", "replay", "1"],
    ],
)
def test_a_manager_is_refused(as_user: Any, db: Database, args: list[str]) -> None:
    before = written(db)

    result = as_user("boss", *args, "--json")

    assert (result.exit_code, json.loads(result.stdout)["error"]["code"]) == (
        8,
        "permission_denied",
    )
    assert written(db) == before


def test_a_test_message_the_log_and_a_replay(
    as_user: Any,
    db: Database,
    receiver: Receiver,  # noqa: F811
) -> None:
    hook, _ = hook_with_a_task(db, f"{receiver.url}/in", (receiver, 410, b"gone"))  # failed

    tested = out(as_user("admin", "channels", "test", str(hook), "--json"))
    replayed = out(as_user("admin", "deliveries", "replay", "1", "--json"))
    failed = out(as_user("admin", "deliveries", "--status", "failed", "--json"))
    shown = as_user("admin", "deliveries", "--channel", str(hook))

    assert tested == {"delivery_id": 2, "status": "sent", "error": None}
    assert {k: replayed[k] for k in ("id", "replay_of", "status", "topic", "payload")} == {
        "id": 3, "replay_of": 1, "status": "sent", "topic": "task", "payload": TASK,
    }  # fmt: skip
    assert [(d["id"], d["last_error"], d["payload"]) for d in failed["items"]] == [
        (1, "HTTP 410", None)
    ]
    lines = shown.stdout.splitlines()
    assert lines[0].split() == [
        "id",
        "channel",
        "topic",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "last_error",
    ]
    assert [line.split()[:5] for line in lines[1:4]] == [
        ["3", "hook", "task", "sent", "1"],
        ["2", "hook", "test", "sent", "1"],
        ["1", "hook", "task", "failed", "1"],
    ]
    assert lines[4] == "(3 of 3)"
    assert out(as_user("admin", "deliveries", "show", "1", "--json"))["payload"] == TASK


def test_a_failed_test_message_exits_1(
    as_user: Any,
    db: Database,
    receiver: Receiver,  # noqa: F811
) -> None:
    hook = add_channel(db, kind="webhook", name="hook", target=f"{receiver.url}/in")
    receiver.answers.append((503, b"busy"))

    result = as_user("admin", "channels", "test", str(hook), "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"delivery_id": 1, "status": "failed", "error": "HTTP 503"}
    with db.read() as conn:
        assert conn.execute(select(deliveries.c.status, deliveries.c.attempts)).one() == (
            "failed",
            1,
        )


def test_a_replay_of_a_pending_delivery_exits_5(as_user: Any, db: Database) -> None:
    hook_with_a_task(db, NOWHERE)
    with db.write() as uow:  # still being tried
        uow.conn.execute(update(deliveries).values(status="pending"))
        uow.commit()
    before = written(db)

    result = as_user("admin", "deliveries", "replay", "1", "--json")

    assert (result.exit_code, json.loads(result.stdout)["error"]["code"]) == (5, "delivery_pending")
    assert written(db) == before


def test_my_alert_subscriptions(as_user: Any, db: Database) -> None:
    made = out(
        as_user(
            "boss", "alerts", "subscribe", "--kind", "low_stock", "--warehouse", "WH1", "--json"
        )
    )
    every = out(as_user("admin", "alerts", "subscribe", "--json"))
    mine = out(as_user("boss", "alerts", "subscriptions", "--json"))
    shown = as_user("boss", "alerts", "subscriptions")

    assert {k: made[k] for k in ("id", "kind", "warehouse")} == {
        "id": 1,
        "kind": "low_stock",
        "warehouse": "WH1",
    }
    assert (every["kind"], every["warehouse"]) == (None, None)
    assert [(s["id"], s["kind"]) for s in mine["items"]] == [(1, "low_stock")]
    assert shown.stdout.splitlines() == ["id  kind       warehouse", "1   low_stock  WH1      "]
    before = written(db)
    theirs = as_user("boss", "alerts", "unsubscribe", str(every["id"]), "--json")
    unknown = as_user("boss", "alerts", "subscribe", "--kind", "rain", "--json")
    assert (theirs.exit_code, json.loads(theirs.stdout)["error"]["code"]) == (
        3,
        "subscription_not_found",
    )
    assert (unknown.exit_code, json.loads(unknown.stdout)["error"]["code"]) == (
        4,
        "unknown_alert_kind",
    )
    assert written(db) == before
    assert out(as_user("boss", "alerts", "unsubscribe", "1", "--json")) == {"removed": 1}
    assert out(as_user("boss", "alerts", "subscriptions", "--json")) == {"items": []}
