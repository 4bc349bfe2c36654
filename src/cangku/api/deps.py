"""Dependencies shared by every router (``Annotated`` aliases): the database, who is calling
and what they may do.

A request authenticates with ``Authorization: Bearer <token>`` (an API token) or with the web
session cookie; a cookie-authenticated request that changes something must also carry the
session's CSRF token in ``X-CSRF-Token`` (a token cannot be sent by another site's form).

Every route declares the action it needs with ``permit(ACTION)``: the check runs before the
body is validated (so a refused caller learns nothing about the payload), and the matrix test
reads the declaration from the route to prove every denial and every permitted call.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from cangku.db.uow import Database
from cangku.domain.errors import NotAuthenticated, PermissionDenied
from cangku.domain.permissions import Action, Actor
from cangku.services.auth import (
    SESSION_COOKIE,
    Authenticated,
    authenticate_session,
    authenticate_token,
)
from cangku.services.common import Context

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def database(request: Request) -> Database:
    """The application's database."""
    db: Database = request.app.state.db
    return db


async def get_db(request: Request) -> Database:
    """``database`` as a dependency (async: no thread hop for what needs no I/O)."""
    return database(request)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def authenticate(request: Request) -> Authenticated:
    """Who is calling, with their permissions: one statement reads the token or session, its
    user and their grants (cached on the request). Raises NotAuthenticated (401)."""
    cached = getattr(request.state, "auth", None)
    if isinstance(cached, Authenticated):
        return cached
    db = database(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticated("use Authorization: Bearer <token>")
        auth = authenticate_token(db, value.strip())
    else:
        session_id = request.cookies.get(SESSION_COOKIE)
        if not session_id:
            raise NotAuthenticated("sign in or send an API token")
        auth = authenticate_session(db, session_id, request.app.state.settings)
        if request.method not in SAFE_METHODS and request.url.path.startswith("/api/"):
            sent = request.headers.get("x-csrf-token", "")
            if not hmac.compare_digest(sent, auth.csrf_token or ""):
                raise PermissionDenied("missing or wrong CSRF token", code="csrf_failed")
    request.state.auth = auth
    return auth


async def authenticated(request: Request) -> Authenticated:
    """``authenticate`` for the async dependencies: the database is read on a worker thread,
    once per request; after that the answer comes from the request without a thread hop."""
    cached = getattr(request.state, "auth", None)
    if isinstance(cached, Authenticated):
        return cached
    return await run_in_threadpool(authenticate, request)


async def get_context(
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> Context:
    """The Context the services act in, with the actor read when the request authenticated
    (the services use it instead of reading it again: ADR 0021)."""
    auth = await authenticated(request)
    return Context(
        username=auth.username,
        idempotency_key=idempotency_key,
        scopes=auth.scopes,
        origin=client_address(request),
        actor=auth.actor,
    )


def actor_of(request: Request) -> Actor:
    """The caller with their permissions (read once per request, when it authenticates)."""
    auth = authenticate(request)
    assert auth.actor is not None  # both ways of authenticating read it
    return auth.actor


async def get_actor(request: Request) -> Actor:
    """``actor_of`` for the async dependencies."""
    await authenticated(request)
    return actor_of(request)


def permit(act: Action) -> Any:
    """``Depends`` that refuses (403 ``permission_denied``) a caller without ``act`` anywhere;
    its value is the Actor, for warehouse scoping of what the route reads."""

    async def check(request: Request) -> Actor:
        actor = await get_actor(request)
        actor.require(act)
        return actor

    check.cangku_action = act  # type: ignore[attr-defined]
    return Depends(check)


def signed_in(*, refuse_tokens: str | None = None) -> Any:
    """For routes any signed-in user may call (their own profile, tokens, password).

    ``refuse_tokens`` names the refusal (403) for a caller using an API token: a token never
    manages credentials (making tokens, revoking them, changing the password), a session does.
    """

    async def check(request: Request) -> Actor:
        auth = await authenticated(request)
        if refuse_tokens is not None and auth.scopes is not None:
            raise PermissionDenied(
                "an API token cannot manage credentials; sign in", code=refuse_tokens
            )
        return await get_actor(request)

    check.cangku_action = None  # type: ignore[attr-defined]
    check.cangku_refuses_tokens = refuse_tokens  # type: ignore[attr-defined]
    return Depends(check)


def declared_action(call: Callable[..., Any]) -> Action | None | bool:
    """The action a dependency declares: an Action, None (any signed-in user), False (none)."""
    return getattr(call, "cangku_action", False)


def refuses_tokens(call: Callable[..., Any]) -> str | None:
    """The refusal code of a ``signed_in(refuse_tokens=...)`` dependency (None: tokens pass)."""
    found = getattr(call, "cangku_refuses_tokens", None)
    return found if isinstance(found, str) else None


DbDep = Annotated[Database, Depends(get_db)]
ContextDep = Annotated[Context, Depends(get_context)]
