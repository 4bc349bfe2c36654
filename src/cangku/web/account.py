"""The signed-in user's own account: their roles, the time zone they see times in, changing
their password, and their API tokens (a new token is shown once, on the page that created it,
and never again)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.company import time_zones
from cangku.domain.errors import CangkuError, InvalidInput, NotFound
from cangku.routing import SegmentRouter
from cangku.services.auth import MAX_TOKEN_DAYS, NewToken, create_token, list_tokens, revoke_token
from cangku.services.common import utcnow
from cangku.services.company import get_display, set_own_time_zone
from cangku.services.users import change_own_password, get_user
from cangku.web.access import WebUser, acting, signed_in_page
from cangku.web.forms import FormDep
from cangku.web.i18n import N_, error_message
from cangku.web.render import Flash, PageRoute, db_of, gettext_for, language, redirect, render

router = SegmentRouter(route_class=PageRoute)


def _page(
    request: Request,
    user: WebUser,
    status: int = 200,
    *,
    new_token: NewToken | None = None,
    **forms: Any,
) -> Response:
    db = db_of(request)
    forms.setdefault("password_error", None)
    forms.setdefault("token_error", None)
    forms.setdefault("token_values", {"days": "90", "scopes": "*"})
    forms.setdefault("zone_error", None)
    display = get_display(db, user.username)
    return render(
        request,
        "account.html",
        status=status,
        user=user,
        me=get_user(db, user.username),
        tokens=list_tokens(db, acting(request)),
        now=utcnow(),
        new_token=new_token,
        max_days=MAX_TOKEN_DAYS,
        own_time_zone=display.own_time_zone,
        company_time_zone=display.company.time_zone,
        zones=sorted(time_zones()),
        **forms,
    )


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, user: Annotated[WebUser, signed_in_page()]) -> Response:
    return _page(request, user)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request, user: Annotated[WebUser, signed_in_page()], fields: FormDep
) -> Response:
    """Change one's own password, giving the current one; the new one is typed twice."""
    current = fields.values.get("current_password", "")
    new = fields.values.get("new_password", "")
    try:
        if new != fields.values.get("confirm_password", ""):
            raise InvalidInput("the new passwords differ", code="passwords_differ")
        change_own_password(db_of(request), acting(request), current, new)
    except CangkuError as error:
        # a wrong current password is a mistake in the form here, not a refused permission
        message = error_message(error, language(request))
        return _page(request, user, 422, password_error=message)
    text = gettext_for(request)(N_("Your password has been changed."))
    return redirect("/account", Flash("success", text))


@router.post("/account/tokens", response_class=HTMLResponse)
def create_own_token(
    request: Request, user: Annotated[WebUser, signed_in_page()], fields: FormDep
) -> Response:
    """A new personal API token, shown on this page only (it is stored as a hash)."""
    values = {name: fields.values.get(name, "") for name in ("name", "days", "scopes")}
    try:
        days = fields.integer("days") or 90
        scopes = fields.text("scopes").split() or ["*"]
        token = create_token(db_of(request), acting(request), fields.text("name"), scopes, days)
    except CangkuError as error:
        message = error_message(error, language(request))
        return _page(request, user, 422, token_error=message, token_values=values)
    return _page(request, user, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_own_token(
    request: Request, token_id: str, user: Annotated[WebUser, signed_in_page()]
) -> Response:
    """Revoke one of the user's tokens (another user's answers 404, as if it did not exist)."""
    if not token_id.isdigit() or len(token_id) > 18:
        raise NotFound("token", token_id)
    revoke_token(db_of(request), acting(request), int(token_id))
    text = gettext_for(request)(N_("The token has been revoked."))
    return redirect("/account", Flash("success", text))


@router.post("/account/time-zone", response_class=HTMLResponse)
def change_time_zone(
    request: Request, user: Annotated[WebUser, signed_in_page()], fields: FormDep
) -> Response:
    """Choose the time zone the pages show and read times in (empty: the company's)."""
    try:
        set_own_time_zone(db_of(request), acting(request), fields.text("time_zone") or None)
    except CangkuError as error:
        return _page(request, user, 422, zone_error=error_message(error, language(request)))
    text = gettext_for(request)(N_("Your time zone has been saved."))
    return redirect("/account", Flash("success", text))
