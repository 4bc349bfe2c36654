"""Signing in: passwords (argon2id), web sessions, API tokens, throttling of failed attempts.

Every face authenticates here and then acts through a ``Context`` naming the user; what the
user may do is decided by the services (``run_write`` and the actions they declare).
A refusal never says whether the user name exists, the password was wrong, the account is
disabled or the token expired: all are ``not_authenticated``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from cangku.db import auth as store
from cangku.db.auth import UserRecord
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import (
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)
from cangku.domain.permissions import Actor, check_scopes, resolve
from cangku.services import load_all
from cangku.services.common import Context, audit, load_actor, utcnow
from cangku.settings import Settings, get_settings

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = [
    "SESSION_COOKIE",
    "Authenticated",
    "NewToken",
    "SignedIn",
    "authenticate_session",
    "authenticate_token",
    "create_token",
    "hash_password",
    "list_tokens",
    "revoke_token",
    "sign_in",
    "sign_in_token",
    "sign_out",
    "sign_out_token",
    "verify_password",
    "whoami",
]

#: argon2id with the library's defaults (RFC 9106 low-memory profile); made on first use (the
#: library's import costs 25 ms that a command signing nobody in need not pay at start)
_HASHER: PasswordHasher | None = None


def _hasher() -> PasswordHasher:
    global _HASHER
    if _HASHER is None:
        from argon2 import PasswordHasher

        _HASHER = PasswordHasher()
    return _HASHER


@cache
def _dummy_hash() -> str:
    """Verified against when the user name is unknown, so both cases take the same time; made
    on first use (a hash costs a tenth of a second that a command signing nobody in need not
    pay at start)."""
    return _hasher().hash("not a real password, only for timing")


#: the web session cookie, read by the pages and the API (``__Host-`` is not used: it would
#: refuse plain-HTTP local use even where browsers accept Secure cookies)
SESSION_COOKIE = "cangku_session"
TOKEN_PREFIX = "ck_"
MAX_TOKEN_DAYS = 366


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """A new web session: the cookie value (shown once) and its CSRF token."""

    session_id: str
    csrf_token: str
    username: str
    expires_at: datetime


@dataclass(frozen=True)
class Authenticated:
    """Who a request comes from, and (for a session) its CSRF token; ``actor`` is the user with
    the permissions in effect (after the token's scopes), read in the same statement."""

    username: str
    scopes: tuple[str, ...] | None = None
    csrf_token: str | None = None
    session_hash: str | None = None
    actor: Actor | None = None


def _session_expiry(settings: Settings, created: datetime, now: datetime) -> datetime:
    return min(
        now + timedelta(minutes=settings.session_idle_minutes),
        created + timedelta(hours=settings.session_max_hours),
    )


def _check_sign_in(
    uow: UnitOfWork,
    username: str,
    password: str,
    ip: str | None,
    origin: str | None,
    settings: Settings,
    now: datetime,
) -> UserRecord:
    """The password check shared by every way of signing in (throttled and audited).
    A failure is committed (attempt and audit entry) before NotAuthenticated is raised."""
    since = now - timedelta(minutes=settings.sign_in_window_minutes)
    by_user, by_ip = store.recent_failures(uow.conn, username, ip, since)
    if by_user >= settings.sign_in_max_failures or by_ip >= 10 * settings.sign_in_max_failures:
        raise TooManyAttempts(
            "too many failed sign-ins; wait a few minutes and try again",
            retry_after_minutes=settings.sign_in_window_minutes,
        )
    user = store.user_by_username(uow.conn, username)
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.active
    store.record_attempt(uow.conn, username, ip, now, ok)
    ctx = Context(username=username, origin=origin)
    if not ok or user is None:
        audit(uow.conn, ctx, None, "auth.sign_in_failed", now, target_type="user",
              target=username)  # fmt: skip
        uow.commit()
        raise NotAuthenticated("wrong user name or password")
    store.clear_failures(uow.conn, username)
    store.update_user(uow.conn, user.id, {"last_sign_in_at": now}, now)
    actor = Actor(user.id, user.username)
    audit(uow.conn, ctx, actor, "auth.sign_in", now, target_type="user", target=username)
    return user


def sign_in(
    db: Database,
    username: str,
    password: str,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    settings: Settings | None = None,
) -> SignedIn:
    """Check the password and open a web session.

    Raises TooManyAttempts after too many recent failures for this user name or address
    (checked before the password, so guessing gains nothing), NotAuthenticated otherwise.
    Writes: a ``sign_in_attempts`` row, an audit entry (``auth.sign_in`` or
    ``auth.sign_in_failed``), and on success a ``sessions`` row.
    """
    settings = settings or get_settings()
    username = username.strip()[:64]
    with db.write() as uow:
        now = utcnow()
        user = _check_sign_in(uow, username, password, ip, ip, settings, now)
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = _session_expiry(settings, now, now)
        store.insert_session(
            uow.conn, _digest(session_id), user.id, csrf, now, expires, ip, (user_agent or "")[:200]
        )
        uow.commit()
    return SignedIn(session_id, csrf, user.username, expires)


def authenticate_session(
    db: Database, session_id: str, settings: Settings | None = None
) -> Authenticated:
    """The user of a live session with their permissions, in one statement (and extend its
    idle timeout). Raises NotAuthenticated."""
    settings = settings or get_settings()
    if not session_id or len(session_id) > 100:
        raise NotAuthenticated("sign in first")
    id_hash = _digest(session_id)
    now = utcnow()
    with db.read(transaction=False) as conn:
        session = store.session_caller(conn, id_hash, now)
    if session is None:
        raise NotAuthenticated("your session has ended; sign in again")
    # the maximum age as configured now (a shortened one applies to open sessions too)
    if now >= session.created_at + timedelta(hours=settings.session_max_hours):
        raise NotAuthenticated("your session has ended; sign in again")
    # extend the idle timeout at most once a minute (no write on every request)
    if now - session.last_seen_at > timedelta(minutes=1):
        with db.write() as uow:
            store.touch_session(
                uow.conn, id_hash, now, _session_expiry(settings, session.created_at, now)
            )
            uow.commit()
    actor = resolve(session.user_id, session.username, session.grants)
    return Authenticated(session.username, None, session.csrf_token, id_hash, actor)


def sign_out(db: Database, session_id: str, ip: str | None = None) -> None:
    """End a session (unknown or ended sessions are ignored). Writes: the session, audit."""
    id_hash = _digest(session_id)
    with db.write() as uow:
        now = utcnow()
        session = store.live_session(uow.conn, id_hash, now)
        if session is None:
            return
        store.revoke_sessions(uow.conn, now, user_id=session.user_id, id_hash=id_hash)
        ctx = Context(username=session.username, origin=ip)
        actor = Actor(session.user_id, session.username)
        audit(uow.conn, ctx, actor, "auth.sign_out", now, target_type="user",
              target=session.username)  # fmt: skip
        uow.commit()


def authenticate_token(db: Database, token: str) -> Authenticated:
    """The user, scopes and permissions of a live API token, in one statement. Raises
    NotAuthenticated (never says why)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise NotAuthenticated("invalid token")
    now = utcnow()
    with db.read(transaction=False) as conn:
        found = store.token_caller(conn, _digest(token), now)
    if found is None:
        raise NotAuthenticated("invalid, expired or revoked token")
    if found.last_used_at is None or now - found.last_used_at > timedelta(minutes=1):
        with db.write() as uow:
            store.mark_token_used(uow.conn, found.token_id, now)
            uow.commit()
    scopes = tuple(found.scopes.split())
    actor = resolve(found.user_id, found.username, found.grants, scopes)
    return Authenticated(found.username, scopes, actor=actor)


def whoami(db: Database, ctx: Context) -> Actor:
    """The acting user with the permissions in effect (after token scopes)."""
    with db.read() as conn:
        return load_actor(conn, ctx)


@dataclass(frozen=True)
class NewToken:
    """A token as created: ``token`` is shown this once and stored only as a hash."""

    id: int
    token: str
    name: str
    prefix: str
    scopes: list[str]
    expires_at: datetime


def _token_terms(name: str, days: int, scopes: list[str] | None) -> tuple[str, list[str]]:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("a token needs a name of 1 to 100 characters", code="invalid_name")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            f"a token lives 1 to {MAX_TOKEN_DAYS} days", code="invalid_days", days=days
        )
    # a scope must match a declared action: every service module declares its own
    load_all()
    return name, check_scopes(scopes or ["*"])


def _insert_token(
    uow: UnitOfWork,
    ctx: Context,
    actor: Actor,
    name: str,
    patterns: list[str],
    days: int,
    now: datetime,
    for_user: str | None,
) -> NewToken:
    from cangku.services.users import USER_MANAGE  # the user admin module declares it

    owner = actor.user_id
    if for_user is not None and for_user != actor.username:
        actor.require(USER_MANAGE)
        owner = store.get_user(uow.conn, for_user).id
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(days=days)
    token_id = store.insert_token(
        uow.conn, owner, name, token[:10], _digest(token), " ".join(patterns), now, expires
    )
    audit(uow.conn, ctx, actor, "token.create", now, target_type="token",
          target=str(token_id),
          details={"name": name, "scopes": patterns, "user": for_user or actor.username,
                   "expires_at": expires.isoformat()})  # fmt: skip
    return NewToken(token_id, token, name, token[:10], patterns, expires)


def create_token(
    db: Database,
    ctx: Context,
    name: str,
    scopes: list[str] | None = None,
    days: int = 90,
    *,
    for_user: str | None = None,
) -> NewToken:
    """Create a personal access token for the acting user (or, for an administrator with
    ``user.manage``, for ``for_user``).

    Raises InvalidInput (``invalid_name``, ``invalid_scope``, ``invalid_days``),
    PermissionDenied ``token_cannot_mint`` when the request itself comes with a token (a token
    cannot make tokens) or ``permission_denied`` for another user without ``user.manage``.
    Writes: an ``api_tokens`` row (hash only) and an audit entry.
    """
    name, patterns = _token_terms(name, days, scopes)
    if ctx.scopes is not None:
        raise PermissionDenied("a token cannot create tokens; sign in", code="token_cannot_mint")
    with db.write() as uow:
        now = utcnow()
        actor = load_actor(uow.conn, ctx)
        created = _insert_token(uow, ctx, actor, name, patterns, days, now, for_user)
        uow.commit()
    return created


def sign_in_token(
    db: Database,
    username: str,
    password: str,
    name: str,
    scopes: list[str] | None = None,
    days: int = 30,
    *,
    for_user: str | None = None,
    origin: str | None = "cli",
    settings: Settings | None = None,
) -> NewToken:
    """Check the password (throttled and audited as ``sign_in``) and create a personal access
    token in the same transaction: how the command line signs in, and how a token is made
    without a web session (a token cannot make tokens, a password can).

    Raises InvalidInput (``invalid_name``, ``invalid_scope``, ``invalid_days``, before the
    password is checked), TooManyAttempts, NotAuthenticated, PermissionDenied for ``for_user``
    without ``user.manage``. Writes: a ``sign_in_attempts`` row and audit entries
    (``auth.sign_in``/``auth.sign_in_failed``, ``token.create``), an ``api_tokens`` row.
    """
    settings = settings or get_settings()
    name, patterns = _token_terms(name, days, scopes)
    username = username.strip()[:64]
    with db.write() as uow:
        now = utcnow()
        user = _check_sign_in(uow, username, password, None, origin, settings, now)
        ctx = Context(username=user.username, origin=origin)
        actor = load_actor(uow.conn, ctx)
        created = _insert_token(uow, ctx, actor, name, patterns, days, now, for_user)
        uow.commit()
    return created


def sign_out_token(db: Database, token: str, origin: str | None = "cli") -> bool:
    """Revoke the token presented (signing out of the command line). An unknown, expired or
    revoked token is ignored (False). Writes: the token row, an audit entry ``auth.sign_out``.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return False
    with db.write() as uow:
        now = utcnow()
        found = store.live_token(uow.conn, _digest(token), now)
        if found is None:
            return False
        store.revoke_tokens(uow.conn, now, user_id=found.user_id, token_id=found.id)
        ctx = Context(username=found.username, origin=origin)
        actor = Actor(found.user_id, found.username)
        audit(uow.conn, ctx, actor, "auth.sign_out", now, target_type="token",
              target=str(found.id))  # fmt: skip
        uow.commit()
    return True


def list_tokens(db: Database, ctx: Context, *, everyone: bool = False) -> list[store.TokenRecord]:
    """The acting user's tokens (all users' with ``user.view``); never the secrets."""
    from cangku.services.users import USER_VIEW

    with db.read() as conn:
        actor = load_actor(conn, ctx)
        if everyone:
            actor.require(USER_VIEW)
            return store.list_tokens(conn, None)
        return store.list_tokens(conn, actor.user_id)


def revoke_token(db: Database, ctx: Context, token_id: int) -> None:
    """Revoke one of the acting user's tokens (any user's with ``user.manage``).

    Raises NotFound ``token_not_found`` (also for another user's token without the
    permission: its existence is not revealed). Writes: the token row, an audit entry.
    """
    from cangku.services.users import USER_MANAGE

    with db.write() as uow:
        now = utcnow()
        actor = load_actor(uow.conn, ctx)
        found = store.token_by_id(uow.conn, token_id)
        if found.user_id != actor.user_id and not actor.may(USER_MANAGE):
            raise NotFound("token", str(token_id))
        store.revoke_tokens(uow.conn, now, user_id=found.user_id, token_id=token_id)
        audit(uow.conn, ctx, actor, "token.revoke", now, target_type="token",
              target=str(token_id), details={"user": found.username})  # fmt: skip
        uow.commit()
