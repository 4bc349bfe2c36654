"""Signing tests in: users with roles, API tokens and web sessions made through the services."""

from __future__ import annotations

from cangku.db.uow import Database
from cangku.services.auth import create_token, sign_in
from cangku.services.common import Context
from cangku.services.setup import initialize
from cangku.services.users import create_user

#: a password that satisfies the policy, for test users
PASSWORD = "correct horse battery"


def admin_token(db: Database, scopes: list[str] | None = None) -> str:
    """Initialize (idempotent) and return a new API token of the administrator ``admin``."""
    initialize(db)
    return create_token(db, Context("admin"), "tests", scopes).token


def admin_headers(db: Database) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(db)}"}


def user_with_roles(db: Database, username: str, *roles: tuple[str, str | None]) -> str:
    """Create ``username`` (password ``PASSWORD``) with ``roles`` and return an API token."""
    initialize(db)
    create_user(db, Context("admin"), username, username.title(), PASSWORD, list(roles))
    return create_token(db, Context(username), "tests").token


def token_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def session_of(db: Database, username: str = "admin", password: str = PASSWORD) -> tuple[str, str]:
    """Sign ``username`` in; returns (session cookie value, CSRF token)."""
    signed = sign_in(db, username, password)
    return signed.session_id, signed.csrf_token
