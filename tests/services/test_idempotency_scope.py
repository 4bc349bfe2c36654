"""Idempotency keys are each user's own, and a replay checks permissions again (ADR 0013).

User A's key K never answers user B: B's identical request with K runs as B's own (posted by
B, or refused by B's permissions), B's other request with K is not told the key exists, A's
own repeat still replays the first result, and a replay by a user who lost the warehouse (or
the action) since is refused."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import bindparam, func, select, text

from cangku.db.schema import alembic_config, current_revision, head_revision
from cangku.db.tables import idempotency_keys, moves
from cangku.db.uow import Database
from cangku.domain.errors import IdempotencyMismatch, PermissionDenied
from cangku.services.common import Context
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.users import grant_role, revoke_role
from tests.auth import user_with_roles
from tests.factories import CTX, build_company

KEY = "r-1"
RECEIPT = Receive("BOLT", "10", "WH1-A", unit_cost="2", note="for the admin")


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    user_with_roles(db, "clerk1", ("receiving_clerk", "WH1"))
    user_with_roles(db, "other1", ("receiving_clerk", "WH1"))
    user_with_roles(db, "clerk2", ("receiving_clerk", "WH2"))
    return db


def as_user(username: str) -> Context:
    return Context(username, idempotency_key=KEY)


def count_moves(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


def test_another_users_identical_request_with_the_key_is_refused_by_their_permissions(
    company: Database,
) -> None:
    receive_stock(company, as_user("admin"), RECEIPT)
    with pytest.raises(PermissionDenied):
        receive_stock(company, as_user("clerk2"), RECEIPT)  # WH1 is not clerk2's
    with pytest.raises(PermissionDenied):
        receive_stock(company, Context("clerk2", idempotency_key="fresh"), RECEIPT)
    assert count_moves(company) == 1


def test_another_users_identical_request_with_the_key_is_posted_as_their_own(
    company: Database,
) -> None:
    first = receive_stock(company, as_user("clerk1"), RECEIPT)
    second = receive_stock(company, as_user("other1"), RECEIPT)
    assert not second.replayed
    assert second.moves[0].id != first.moves[0].id
    assert [m.user for m in first.moves + second.moves] == ["clerk1", "other1"]
    assert count_moves(company) == 2
    # each one's repeat replays their own first result
    assert receive_stock(company, as_user("clerk1"), RECEIPT).moves == first.moves
    assert receive_stock(company, as_user("other1"), RECEIPT).moves == second.moves
    assert count_moves(company) == 2


def test_another_users_key_with_another_body_is_not_reported_as_reused(
    company: Database,
) -> None:
    receive_stock(company, as_user("admin"), RECEIPT)
    other = Receive("BOLT", "3", "WH2-A", unit_cost="1")
    posted = receive_stock(company, as_user("clerk2"), other)
    assert not posted.replayed
    assert (posted.moves[0].user, posted.moves[0].quantity) == ("clerk2", 3)
    # the key is still the admin's own: the admin's other body is refused
    with pytest.raises(IdempotencyMismatch):
        receive_stock(company, as_user("admin"), other)


def test_the_senders_own_replay_returns_the_first_result(company: Database) -> None:
    first = receive_stock(company, as_user("admin"), RECEIPT)
    again = receive_stock(company, as_user("admin"), RECEIPT)
    assert again.replayed
    assert again.moves == first.moves
    assert count_moves(company) == 1


def test_a_replay_after_the_warehouse_was_taken_away_is_refused(company: Database) -> None:
    first = receive_stock(company, as_user("clerk1"), RECEIPT)
    grant_role(company, CTX, "clerk1", "receiving_clerk", "WH2")  # still holds the action
    revoke_role(company, CTX, "clerk1", "receiving_clerk", "WH1")
    with pytest.raises(PermissionDenied):
        receive_stock(company, as_user("clerk1"), RECEIPT)
    grant_role(company, CTX, "clerk1", "receiving_clerk", "WH1")
    assert receive_stock(company, as_user("clerk1"), RECEIPT).moves == first.moves
    assert count_moves(company) == 1


def test_a_replay_after_the_action_was_taken_away_is_refused(company: Database) -> None:
    receive_stock(company, as_user("clerk1"), RECEIPT)
    revoke_role(company, CTX, "clerk1", "receiving_clerk", "WH1")
    with pytest.raises(PermissionDenied):
        receive_stock(company, as_user("clerk1"), RECEIPT)
    assert count_moves(company) == 1


def test_a_replay_through_a_narrower_token_scope_is_refused(company: Database) -> None:
    receive_stock(company, as_user("admin"), RECEIPT)
    narrowed = Context("admin", idempotency_key=KEY, scopes=("stock.view",))
    with pytest.raises(PermissionDenied):
        receive_stock(company, narrowed, RECEIPT)


def _rows(db: Database) -> list[tuple[Any, ...]]:
    with db.read() as conn:
        query = select(idempotency_keys.c.key, idempotency_keys.c.user_id).order_by("key")
        return [tuple(row) for row in conn.execute(query)]


def test_migration_0005_keeps_each_rows_user_and_leaves_a_userless_row_to_nobody(
    company: Database,
) -> None:
    first = receive_stock(company, as_user("admin"), RECEIPT)
    config = alembic_config()
    with company.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")
    admin_id = next(user for key, user in _rows(company) if key == KEY)
    with company.engine.begin() as conn:
        # the 0004 table has no id (tables.py's insert would return one)
        conn.execute(
            text(
                'INSERT INTO idempotency_keys ("key", request_hash, response, user_id, created_at)'
                " VALUES ('old', :digest, '[1]', NULL, :at)"
            ).bindparams(bindparam("at", type_=idempotency_keys.c.created_at.type)),
            {"digest": "0" * 64, "at": first.moves[0].recorded_at},
        )
    with company.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    assert current_revision(company.engine) == head_revision()
    assert _rows(company) == [("old", None), (KEY, admin_id)]
    # the admin's row still replays (no recorded checks: the action is checked)
    assert receive_stock(company, as_user("admin"), RECEIPT).moves == first.moves
    assert count_moves(company) == 1
