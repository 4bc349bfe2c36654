"""``--idempotency-key`` is the signed-in user's own (ADR 0013): the README's ``r-1`` used by
two users posts twice, each user's repeat replays their own move, and another user neither
gets the first user's move nor learns that the key was used."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import Result

from cangku.db.uow import Database
from tests.auth import user_with_roles
from tests.cli.tree import Invoke
from tests.factories import build_company

RECEIVE = ["stock", "receive", "BOLT", "10", "--to", "WH1-A", "--unit-cost", "1"]
KEY = ["--idempotency-key", "r-1", "--json"]


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_key_is_the_signed_in_users_own(
    cangku: Invoke, db: Database, signed_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_company(db)
    first = ok(cangku(*RECEIVE, *KEY))
    clerk1 = user_with_roles(db, "clerk1", ("receiving_clerk", "WH1"))
    clerk2 = user_with_roles(db, "clerk2", ("receiving_clerk", "WH2"))

    monkeypatch.setenv("CANGKU_TOKEN", clerk2)
    refused = cangku(*RECEIVE, *KEY)
    assert refused.exit_code == 8  # PermissionDenied: WH1 is not clerk2's
    other = cangku("stock", "receive", "BOLT", "11", "--to", "WH2-A", *KEY)
    assert "idempotency_key_reused" not in other.output
    assert ok(other)["moves"][0]["user"] == "clerk2"

    monkeypatch.setenv("CANGKU_TOKEN", clerk1)
    own = ok(cangku(*RECEIVE, *KEY))
    assert own["replayed"] is False
    assert own["moves"][0]["user"] == "clerk1"
    assert ok(cangku(*RECEIVE, *KEY))["moves"] == own["moves"]

    monkeypatch.setenv("CANGKU_TOKEN", signed_in)
    again = ok(cangku(*RECEIVE, *KEY))
    assert (again["replayed"], again["moves"]) == (True, first["moves"])
