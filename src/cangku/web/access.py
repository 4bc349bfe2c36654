"""Who is signed in to the pages, what each page lets them do, and the CSRF check.

Every page route declares the action it needs exactly once, as a parameter::

    def items_page(request: Request, user: Annotated[WebUser, page(ITEM_VIEW)]) -> Response:

``page(ACTION)`` signs the visitor in from the session cookie (none or an ended session: a 303
to the sign-in page), checks the CSRF token of every POST (the session's token in the form's
hidden ``csrf_token`` field) and refuses a user without the action with the 403 page, before the
form is looked at. ``signed_in_page()`` is for pages any signed-in user may use (the dashboard,
their own account), ``public_page()`` for the sign-in page and the language switch. The
declaration rides on the dependency (``.cangku_action``), so the matrix test enumerates every
route with what it needs, as the API's ``permit(ACTION)`` does.

Permissions are read fresh on every request: a revoked role or a disabled user stops working
at once. Pages never accept API tokens; the API never reads the form field.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request

from cangku.db.uow import Database
from cangku.domain.errors import NotAuthenticated, PermissionDenied
from cangku.domain.permissions import Action, Actor, Warehouses
from cangku.services.auth import SESSION_COOKIE, authenticate_session
from cangku.services.common import Context
from cangku.settings import Settings

#: a random value set with the sign-in form and sent back in it (double submit): another site
#: cannot sign a browser in to an account of its choosing
PRE_SESSION_COOKIE = "cangku_sign_in"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: the declaration of a public route (no sign-in)
PUBLIC = "public"


@dataclass(frozen=True)
class WebUser:
    """The signed-in user of a page request: name, the session's CSRF token, permissions."""

    username: str
    csrf_token: str
    actor: Actor

    def may(self, *codes: str) -> bool:
        """May the user do any of the actions ``codes`` (anywhere)? No codes: yes."""
        return not codes or any(code in self.actor.permissions for code in codes)

    def warehouses(self, act: Action) -> Warehouses:
        """Where the user may do ``act`` (None: everywhere); what the pages pass to queries."""
        return self.actor.warehouses(act)


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_user(request: Request) -> WebUser:
    """The user of the request's session (cached on the request). Raises NotAuthenticated."""
    cached = getattr(request.state, "web_user", None)
    if isinstance(cached, WebUser):
        return cached
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if not session_id:
        raise NotAuthenticated("sign in first")
    auth = authenticate_session(_db(request), session_id, _settings(request))
    assert auth.actor is not None  # read with the session, in one statement
    user = WebUser(auth.username, auth.csrf_token or "", auth.actor)
    request.state.web_user = user
    return user


def optional_user(request: Request) -> WebUser | None:
    """The signed-in user, or None (for pages shown to anyone: sign-in, errors)."""
    try:
        return current_user(request)
    except NotAuthenticated:
        return None


def same_token(sent: object, expected: str | None) -> bool:
    """Constant-time comparison of a submitted token with the expected one."""
    if not isinstance(sent, str) or not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


async def check_csrf(request: Request, expected: str | None) -> None:
    """Refuse (403 ``csrf_failed``) a form without the expected token, before anything else."""
    form = await request.form()  # parsed once; the route reads the same parsed form
    if not same_token(form.get(CSRF_FIELD), expected):
        raise PermissionDenied("missing or wrong CSRF token", code="csrf_failed")


async def _enter(request: Request, act: Action | None) -> WebUser:
    user = current_user(request)
    if request.method not in SAFE_METHODS:
        await check_csrf(request, user.csrf_token)
    if act is not None:
        user.actor.require(act)
    return user


def _declare(check: Callable[..., Any], declared: Action | str | None) -> Any:
    check.cangku_action = declared  # type: ignore[attr-defined]
    return Depends(check)


def page(act: Action) -> Any:
    """``Depends`` for a page or form action that needs ``act`` (in some warehouse); its value
    is the WebUser, whose ``warehouses(...)`` scopes what the page reads."""

    async def check(request: Request) -> WebUser:
        return await _enter(request, act)

    return _declare(check, act)


def signed_in_page() -> Any:
    """``Depends`` for a page any signed-in user may use (their account, the dashboard)."""

    async def check(request: Request) -> WebUser:
        return await _enter(request, None)

    return _declare(check, None)


def public_page() -> Any:
    """``Depends`` for the few routes open without sign-in (the sign-in page, the language)."""

    def check(request: Request) -> WebUser | None:
        return optional_user(request)

    return _declare(check, PUBLIC)


def declared_actions_of(calls: Iterable[Callable[..., Any]]) -> list[Action | str | None]:
    """What the dependencies ``calls`` of a route declare (the matrix test reads this)."""
    return [call.cangku_action for call in calls if hasattr(call, "cangku_action")]


def acting(request: Request, idempotency_key: str | None = None) -> Context:
    """The Context the services act in: the signed-in user, the client address, the key."""
    user = current_user(request)
    return Context(
        username=user.username,
        idempotency_key=idempotency_key or None,
        origin=client_address(request),
        actor=user.actor,
    )
