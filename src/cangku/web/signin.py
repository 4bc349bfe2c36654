"""Signing in and out of the pages.

The sign-in form is protected against login CSRF by a double submit: showing the form sets a
random value in a cookie of its own and in a hidden field; a posted form whose field does not
match the cookie is refused before the password is looked at (another site can make a browser
post the form but cannot read or set the cookie). A signed-in session then gets its own CSRF
token, which every other form carries.

A refusal never says whether the user exists: a wrong password, an unknown user and a disabled
account read the same (401); too many failures answer 429 even with the right password.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import NotAuthenticated, TooManyAttempts
from cangku.routing import SegmentRouter
from cangku.services.auth import SESSION_COOKIE, sign_in, sign_out
from cangku.web.access import (
    CSRF_FIELD,
    PRE_SESSION_COOKIE,
    WebUser,
    client_address,
    public_page,
    same_token,
    signed_in_page,
)
from cangku.web.forms import FormDep
from cangku.web.i18n import N_
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    gettext_for,
    redirect,
    render,
    safe_next,
    settings_of,
)

router = SegmentRouter(route_class=PageRoute)

#: how long a shown sign-in form stays usable
FORM_MAX_AGE = 3600


def _form(
    request: Request,
    next_page: str,
    status: int = 200,
    error: str | None = None,
    username: str = "",
) -> Response:
    """The sign-in form with a (kept or new) double-submit token in a cookie and the form."""
    token = request.cookies.get(PRE_SESSION_COOKIE, "")
    if not (40 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()):
        token = secrets.token_urlsafe(32)
    response = render(
        request,
        "sign_in.html",
        status=status,
        user=None,
        form_token=token,
        next_page=next_page,
        error=error,
        username=username,
    )
    response.set_cookie(
        PRE_SESSION_COOKIE,
        token,
        max_age=FORM_MAX_AGE,
        path="/sign-in",
        secure=settings_of(request).secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(
    request: Request,
    visitor: Annotated[WebUser | None, public_page()],
    next: str | None = None,
) -> Response:
    """The sign-in form (a signed-in visitor goes on to ``next``)."""
    if visitor is not None:
        return redirect(safe_next(next))
    return _form(request, safe_next(next))


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in_submit(
    request: Request, _visitor: Annotated[WebUser | None, public_page()], fields: FormDep
) -> Response:
    """Check the password; on success open a session (cookie) and go on to ``next``."""
    gettext_ = gettext_for(request)
    next_page = safe_next(fields.text("next"))
    username = fields.text("username")[:64]
    if not same_token(fields.values.get(CSRF_FIELD), request.cookies.get(PRE_SESSION_COOKIE)):
        message = gettext_(N_("The sign-in form has expired; please try again."))
        return _form(request, next_page, 403, message, username)
    settings = settings_of(request)
    try:
        signed = sign_in(
            db_of(request),
            username,
            fields.values.get("password", ""),
            ip=client_address(request),
            user_agent=request.headers.get("user-agent"),
            settings=settings,
        )
    except TooManyAttempts:
        message = gettext_(
            N_("Too many failed sign-ins. Wait %(minutes)s minutes and try again.")
        ) % {"minutes": settings.sign_in_window_minutes}
        return _form(request, next_page, 429, message, username)
    except NotAuthenticated:
        message = gettext_(N_("Wrong user name or password."))
        return _form(request, next_page, 401, message, username)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # the browser's earlier session (of whichever user) ends here
        sign_out(db_of(request), previous, client_address(request))
    response = redirect(next_page)
    response.set_cookie(
        SESSION_COOKIE,
        signed.session_id,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    response.delete_cookie(
        PRE_SESSION_COOKIE,
        path="/sign-in",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/sign-out")
def sign_out_submit(request: Request, user: Annotated[WebUser, signed_in_page()]) -> Response:
    """End the session (its CSRF token was checked) and show the sign-in page."""
    sign_out(db_of(request), request.cookies.get(SESSION_COOKIE, ""), client_address(request))
    text = gettext_for(request)(N_("You have signed out."))
    response = redirect("/sign-in", Flash("success", text))
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=settings_of(request).secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response
