"""Sign-in, sessions, API tokens, throttling and user administration through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from cangku.db import driver
from cangku.db.tables import (
    api_tokens,
    audit_log,
    moves,
    sessions,
    sign_in_attempts,
    users,
    warehouses,
)
from cangku.db.uow import Database
from cangku.domain.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RuleViolation,
    TooManyAttempts,
)
from cangku.services.auth import (
    authenticate_session,
    authenticate_token,
    create_token,
    list_tokens,
    revoke_token,
    sign_in,
    sign_out,
    whoami,
)
from cangku.services.common import Context
from cangku.services.setup import initialize
from cangku.services.stock import Receive, receive_stock
from cangku.services.users import (
    USER_MANAGE,
    change_own_password,
    create_role,
    create_user,
    grant_role,
    revoke_role,
    set_password,
    set_user_active,
)
from cangku.settings import Settings
from tests.auth import PASSWORD
from tests.factories import build_company

ADMIN = Context("admin")


def count(db: Database, table: object, *where: object) -> int:
    with db.read() as conn:
        stmt = select(func.count()).select_from(table)  # type: ignore[arg-type]
        return int(conn.execute(stmt.where(*where)).scalar_one())  # type: ignore[arg-type]


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    initialize(db, admin_password="main office key 1")
    create_user(db, ADMIN, "clerk", "Clerk", PASSWORD, [("receiving_clerk", "WH1")])
    return db


def audit_actions(db: Database) -> list[str]:
    with db.read() as conn:
        return list(conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq)).scalars())


def test_a_right_password_opens_a_session_that_authenticates(company: Database) -> None:
    signed = sign_in(company, "clerk", PASSWORD, ip="10.0.0.5", user_agent="scanner")
    auth = authenticate_session(company, signed.session_id)
    assert (auth.username, auth.csrf_token, auth.scopes) == ("clerk", signed.csrf_token, None)
    with company.read() as conn:
        stored = conn.execute(select(sessions.c.id_hash, sessions.c.ip)).one()
    assert stored.id_hash != signed.session_id  # only a hash is stored
    assert stored.ip == "10.0.0.5"
    assert audit_actions(company)[-1] == "auth.sign_in"


@pytest.mark.parametrize(
    ("username", "password"),
    [("clerk", "wrong password!"), ("nobody", PASSWORD), ("clerk", "")],
    ids=["wrong-password", "unknown-user", "empty"],
)
def test_a_failed_sign_in_says_the_same_thing_whatever_was_wrong(
    company: Database, username: str, password: str
) -> None:
    with pytest.raises(NotAuthenticated) as refused:
        sign_in(company, username, password)
    assert (refused.value.code, refused.value.message) == (
        "not_authenticated",
        "wrong user name or password",
    )
    assert count(company, sessions) == 0
    assert count(company, sign_in_attempts, sign_in_attempts.c.succeeded.is_(False)) == 1
    assert audit_actions(company)[-1] == "auth.sign_in_failed"


def test_too_many_failures_lock_the_user_name_even_with_the_right_password(
    company: Database,
) -> None:
    settings = Settings(database_url=company.url, sign_in_max_failures=3)
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            sign_in(company, "clerk", "wrong password!", settings=settings)
    with pytest.raises(TooManyAttempts) as refused:
        sign_in(company, "clerk", PASSWORD, settings=settings)
    assert refused.value.code == "too_many_attempts"
    assert count(company, sessions) == 0
    # another user is not locked out
    sign_in(company, "admin", "main office key 1", settings=settings)


def test_a_success_clears_the_failures_of_the_user_name(company: Database) -> None:
    settings = Settings(database_url=company.url, sign_in_max_failures=3)
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            sign_in(company, "clerk", "wrong password!", settings=settings)
    sign_in(company, "clerk", PASSWORD, settings=settings)
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            sign_in(company, "clerk", "wrong password!", settings=settings)
    sign_in(company, "clerk", PASSWORD, settings=settings)


def test_an_idle_session_expires_and_sign_out_ends_one(company: Database) -> None:
    first = sign_in(company, "clerk", PASSWORD)
    second = sign_in(company, "clerk", PASSWORD)
    with company.write() as uow:
        past = datetime.now(UTC) - timedelta(seconds=1)
        uow.conn.execute(update(sessions).values(expires_at=past).where(
            sessions.c.csrf_token == first.csrf_token))  # fmt: skip
        uow.commit()
    with pytest.raises(NotAuthenticated):
        authenticate_session(company, first.session_id)
    sign_out(company, second.session_id)
    with pytest.raises(NotAuthenticated):
        authenticate_session(company, second.session_id)


def test_a_session_is_extended_but_never_beyond_its_maximum_age(company: Database) -> None:
    settings = Settings(database_url=company.url, session_idle_minutes=60, session_max_hours=2)
    signed = sign_in(company, "clerk", PASSWORD, settings=settings)
    created = datetime.now(UTC) - timedelta(minutes=119)
    with company.write() as uow:
        uow.conn.execute(update(sessions).values(created_at=created, last_seen_at=created))
        uow.commit()
    authenticate_session(company, signed.session_id, settings)
    with company.read() as conn:
        expires = conn.execute(select(sessions.c.expires_at)).scalar_one()
    assert expires == created + timedelta(hours=2)


def test_a_token_is_shown_once_stored_hashed_and_authenticates(company: Database) -> None:
    new = create_token(company, Context("clerk"), "scanner", ["stock.*"], days=30)
    assert new.token.startswith("ck_") and new.prefix == new.token[:10]
    with company.read() as conn:
        stored = conn.execute(select(api_tokens.c.token_hash, api_tokens.c.scopes)).one()
    assert new.token not in stored.token_hash
    assert stored.scopes == "stock.*"
    auth = authenticate_token(company, new.token)
    assert (auth.username, auth.scopes) == ("clerk", ("stock.*",))
    assert [t.name for t in list_tokens(company, Context("clerk"))] == ["scanner"]


def test_expired_revoked_and_malformed_tokens_are_refused(company: Database) -> None:
    expired = create_token(company, Context("clerk"), "old").token
    with company.write() as uow:
        uow.conn.execute(
            update(api_tokens).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        uow.commit()
    revoked = create_token(company, Context("clerk"), "gone")
    revoke_token(company, Context("clerk"), revoked.id)
    for token in (expired, revoked.token, "ck_made_up", "not a token", "ck_" + "x" * 200):
        with pytest.raises(NotAuthenticated):
            authenticate_token(company, token)


def test_a_token_cannot_mint_tokens(company: Database) -> None:
    with pytest.raises(PermissionDenied) as refused:
        create_token(company, Context("clerk", scopes=("*",)), "child")
    assert refused.value.code == "token_cannot_mint"
    assert count(company, api_tokens) == 0


def test_a_user_cannot_revoke_someone_elses_token(company: Database) -> None:
    admins = create_token(company, ADMIN, "admin's")
    with pytest.raises(NotFound):
        revoke_token(company, Context("clerk"), admins.id)
    authenticate_token(company, admins.token)


def test_a_scoped_token_cannot_write_beyond_its_scope(company: Database) -> None:
    receipt = Receive(item="BOLT", quantity=Decimal("1"), to_location="WH1-A")
    reading = Context("clerk", scopes=("*.view",))
    with pytest.raises(PermissionDenied):
        receive_stock(company, reading, receipt)
    assert count(company, moves) == 0
    receive_stock(company, Context("clerk", scopes=("stock.receive",)), receipt)
    assert count(company, moves) == 1


def test_a_clerk_of_one_warehouse_cannot_receive_into_another(company: Database) -> None:
    with pytest.raises(PermissionDenied) as refused:
        receive_stock(
            company,
            Context("clerk"),
            Receive(item="BOLT", quantity=Decimal("1"), to_location="WH2-A"),
        )
    assert refused.value.message == "you are not allowed to do stock.receive in warehouse WH2"
    assert refused.value.data == {"permission": "stock.receive", "warehouse": "WH2"}
    assert count(company, moves) == 0


def test_disabling_a_user_ends_sessions_and_tokens_at_once(company: Database) -> None:
    signed = sign_in(company, "clerk", PASSWORD)
    token = create_token(company, Context("clerk"), "scanner").token
    set_user_active(company, ADMIN, "clerk", False)
    with pytest.raises(NotAuthenticated):
        authenticate_session(company, signed.session_id)
    with pytest.raises(NotAuthenticated):
        authenticate_token(company, token)
    with pytest.raises(NotAuthenticated):
        whoami(company, Context("clerk"))
    with pytest.raises(NotAuthenticated):
        sign_in(company, "clerk", PASSWORD)
    # enabling again does not bring the old credentials back
    set_user_active(company, ADMIN, "clerk", True)
    with pytest.raises(NotAuthenticated):
        authenticate_token(company, token)
    sign_in(company, "clerk", PASSWORD)


def test_nobody_changes_their_own_roles_or_disables_themselves(company: Database) -> None:
    for attempt in (
        lambda: grant_role(company, ADMIN, "admin", "viewer"),
        lambda: revoke_role(company, ADMIN, "admin", "administrator"),
        lambda: set_user_active(company, ADMIN, "admin", False),
        lambda: set_password(company, ADMIN, "admin", "a brand new password"),
    ):
        with pytest.raises(PermissionDenied) as refused:
            attempt()
        assert refused.value.code == "separation_of_duties"


def test_the_last_administrator_is_kept(company: Database) -> None:
    create_user(company, ADMIN, "boss", "Boss", PASSWORD, [("administrator", None)])
    revoke_role(company, Context("boss"), "admin", "administrator")  # two became one
    with pytest.raises(PermissionDenied):
        set_user_active(company, ADMIN, "boss", False)  # admin holds no role any more
    create_role(company, Context("boss"), "hr", "Human resources", ["user.manage"])
    create_user(company, Context("boss"), "hr1", "HR", PASSWORD, [("hr", None)])
    for attempt in (
        lambda: revoke_role(company, Context("hr1"), "boss", "administrator"),
        lambda: set_user_active(company, Context("hr1"), "boss", False),
    ):
        with pytest.raises(RuleViolation) as refused:
            attempt()
        assert refused.value.code == "last_administrator"
    assert whoami(company, Context("boss")).may(USER_MANAGE) is True


def test_only_user_managers_administer_users(company: Database) -> None:
    with pytest.raises(PermissionDenied):
        create_user(company, Context("clerk"), "mallory", "Mallory", PASSWORD)
    with pytest.raises(PermissionDenied):
        grant_role(company, Context("clerk"), "clerk", "administrator")
    assert count(company, users, users.c.username == "mallory") == 0


def test_a_custom_role_gives_exactly_its_permissions(company: Database) -> None:
    create_role(company, ADMIN, "counter_plus", "Counter plus", ["stock.view", "stock.adjust"])
    create_user(company, ADMIN, "cp", "CP", PASSWORD, [("counter_plus", "WH2")])
    actor = whoami(company, Context("cp"))
    assert dict(actor.permissions) == {
        "stock.view": frozenset({2}),
        "stock.adjust": frozenset({2}),
    }
    with pytest.raises(Conflict):
        create_role(company, ADMIN, "counter_plus", "Again", ["stock.view"])


def test_changing_ones_own_password_needs_the_current_one(company: Database) -> None:
    with pytest.raises(PermissionDenied) as refused:
        change_own_password(company, Context("clerk"), "wrong password!", "a new passphrase 2")
    assert refused.value.code == "wrong_password"
    change_own_password(company, Context("clerk"), PASSWORD, "a new passphrase 2")
    with pytest.raises(NotAuthenticated):
        sign_in(company, "clerk", PASSWORD)
    sign_in(company, "clerk", "a new passphrase 2")


def test_passwords_never_reach_the_audit_trail(company: Database) -> None:
    set_password(company, ADMIN, "clerk", "another passphrase 3")
    change_own_password(company, Context("clerk"), "another passphrase 3", "a new passphrase 4")
    with pytest.raises(NotAuthenticated):
        sign_in(company, "clerk", "guess passphrase 5")
    with company.read() as conn:
        details = " ".join(conn.execute(select(audit_log.c.details)).scalars())
    for secret in (PASSWORD, "another passphrase 3", "a new passphrase 4", "guess passphrase 5"):
        assert secret not in details


def test_a_token_and_a_session_read_their_caller_with_every_grant_in_one_statement(
    company: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a clerk (receiving clerk in WH1) with a custom role in WH2 and another everywhere
    create_role(company, ADMIN, "counter2", "Counter", ["stock.view", "lot.view"])
    grant_role(company, ADMIN, "clerk", "counter2", "WH2")
    create_role(company, ADMIN, "auditor2", "Auditor", ["audit.view"])
    grant_role(company, ADMIN, "clerk", "auditor2")
    token = create_token(company, Context("clerk"), "t", ["stock.*", "audit.view"]).token
    session = sign_in(company, "clerk", PASSWORD)
    authenticate_token(company, token)  # its first use is recorded (a write, once a minute)
    wh1, wh2 = (warehouse_id(company, code) for code in ("WH1", "WH2"))
    # every statement counted: those on the driver and those through SQLAlchemy
    statements: list[str] = []
    real_rows = driver.rows

    def counted_rows(conn: Any, sql: str, params: Any = ()) -> Any:
        statements.append(sql)
        return real_rows(conn, sql, params)

    def counted(*_: object) -> None:
        statements.append("through SQLAlchemy")

    monkeypatch.setattr(driver, "rows", counted_rows)
    event.listen(company.engine, "before_cursor_execute", counted)
    try:
        # when the token and the session authenticate
        by_token = authenticate_token(company, token)
        by_session = authenticate_session(company, session.session_id)
    finally:
        event.remove(company.engine, "before_cursor_execute", counted)
    # then one statement each, and the permissions are exact (the token's scopes narrow them)
    assert len(statements) == 2 and "through SQLAlchemy" not in statements
    assert by_token.actor is not None and by_session.actor is not None
    assert by_token.actor.permissions["stock.view"] == frozenset({wh1, wh2})
    assert by_token.actor.permissions["audit.view"] is None
    assert "lot.view" not in by_token.actor.permissions  # outside the token's scopes
    assert by_session.actor.permissions["lot.view"] == frozenset({wh1, wh2})
    assert by_session.actor.permissions["audit.view"] is None
    assert by_session.actor.permissions["stock.receive"] == frozenset({wh1})


def warehouse_id(db: Database, code: str) -> int:
    with db.read() as conn:
        found = conn.execute(select(warehouses.c.id).where(warehouses.c.code == code))
        return int(found.scalar_one())
