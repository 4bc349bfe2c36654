"""User administration: the list of users, creating one (with a first role), and one user's
page with their roles per warehouse (grant, revoke), disabling and enabling, and resetting the
password. Seeing needs ``user.view``; every change needs ``user.manage``, and the services keep
the separation of duties (nobody changes their own roles or account) and the last
administrator."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.company import time_zones
from cangku.domain.errors import CangkuError
from cangku.queries.sites import list_warehouses
from cangku.routing import SegmentRouter
from cangku.services import users as user_service
from cangku.services.company import get_display, set_user_time_zone
from cangku.services.users import USER_MANAGE, USER_VIEW, UserView
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import Fields, FormDep
from cangku.web.i18n import N_, ROLES, error_message, vocabulary
from cangku.web.listing import Column, Listing, exported, pages_of
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    form_status,
    gettext_for,
    language,
    pager,
    path_part,
    redirect,
    render,
)

router = SegmentRouter(route_class=PageRoute)


def _choices(request: Request) -> dict[str, Any]:
    db = db_of(request)
    return {
        "roles": [r for r in user_service.list_roles(db) if r.active],
        "warehouses": list_warehouses(db, active=True, limit=500).items,
    }


def _grant_of(fields: Fields) -> tuple[str, str | None]:
    """The role and warehouse (None: all warehouses) chosen in a form."""
    return fields.text("role"), fields.optional("warehouse")


def user_list(gettext: Callable[[str], str], lang: str) -> Listing:
    """The user list as a file, in the reader's language: what the page shows."""

    def grants(shown: UserView) -> str:
        every = gettext(N_("all warehouses"))
        return "; ".join(
            f"{vocabulary(ROLES, g.role, lang)} ({g.warehouse or every})" for g in shown.grants
        )

    return Listing(
        "users",
        [
            Column(N_("User name"), attrgetter("username")),
            Column(N_("Name"), attrgetter("display_name")),
            Column(N_("Roles"), grants),
            Column(N_("Last sign-in"), attrgetter("last_sign_in_at"), "time"),
            Column(
                N_("Password"), lambda u: gettext(N_("Set") if u.has_password else N_("Not set"))
            ),
            Column(N_("Status"), lambda u: "active" if u.active else "inactive", "label"),
        ],
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: Annotated[WebUser, page(USER_VIEW)]) -> Response:
    """Every user (the list is short: one page), by user name or as ``?sort=`` says."""
    pages = pager(request)
    found = user_service.list_users(db_of(request), pages.sort)
    listing = user_list(gettext_for(request), language(request))
    if (file := exported(request, listing, pages_of(found))) is not None:
        return file
    return render(request, "users.html", users=found, pager=pages)


def _new_user_form(request: Request, status: int = 200, **form: Any) -> Response:
    form.setdefault("values", {})
    form.setdefault("error", None)
    return render(request, "user_form.html", status=status, **_choices(request), **form)


@router.get("/users/new", response_class=HTMLResponse)
def new_user_page(request: Request, user: Annotated[WebUser, page(USER_MANAGE)]) -> Response:
    return _new_user_form(request)


@router.post("/users/new", response_class=HTMLResponse)
def create_user(
    request: Request, user: Annotated[WebUser, page(USER_MANAGE)], fields: FormDep
) -> Response:
    """Create a user, with a password (or none yet) and optionally a first role."""
    role, warehouse = _grant_of(fields)
    try:
        created = user_service.create_user(
            db_of(request),
            acting(request),
            fields.text("username"),
            fields.raw("display_name") or "",
            fields.values.get("password") or None,
            [(role, warehouse)] if role else [],
        )
    except CangkuError as error:
        values = {k: v for k, v in fields.values.items() if k not in ("password", "csrf_token")}
        message = error_message(error, language(request))
        return _new_user_form(request, form_status(error), values=values, error=message)
    text = gettext_for(request)(N_("User %(user)s created.")) % {"user": created.username}
    return redirect(f"/users/{path_part(created.username)}", Flash("success", text))


def _user_page(request: Request, username: str, status: int = 200, **form: Any) -> Response:
    shown = user_service.get_user(db_of(request), username)
    form.setdefault("error", None)
    return render(
        request,
        "user_detail.html",
        status=status,
        shown=shown,
        zones_of=get_display(db_of(request), username),
        zones=sorted(time_zones()),
        **_choices(request),
        **form,
    )


def _change(request: Request, username: str, change: Any, done: str) -> Response:
    """Run ``change()`` and come back to the user's page with ``done`` or the refusal."""
    try:
        change()
    except CangkuError as error:
        message = error_message(error, language(request))
        return _user_page(request, username, form_status(error), error=message)
    text = gettext_for(request)(done) % {"user": username}
    return redirect(f"/users/{path_part(username)}", Flash("success", text))


@router.post("/users/{username:path}/grant", response_class=HTMLResponse)
def grant_role(
    request: Request, username: str, user: Annotated[WebUser, page(USER_MANAGE)], fields: FormDep
) -> Response:
    role, warehouse = _grant_of(fields)
    return _change(
        request,
        username,
        lambda: user_service.grant_role(db_of(request), acting(request), username, role, warehouse),
        N_("%(user)s was given the role."),
    )


@router.post("/users/{username:path}/revoke", response_class=HTMLResponse)
def revoke_role(
    request: Request, username: str, user: Annotated[WebUser, page(USER_MANAGE)], fields: FormDep
) -> Response:
    role, warehouse = _grant_of(fields)
    return _change(
        request,
        username,
        lambda: user_service.revoke_role(
            db_of(request), acting(request), username, role, warehouse
        ),
        N_("The role was taken from %(user)s."),
    )


@router.post("/users/{username:path}/disable", response_class=HTMLResponse)
def disable_user(
    request: Request, username: str, user: Annotated[WebUser, page(USER_MANAGE)]
) -> Response:
    """Disable a user: their sessions end and their tokens are revoked at once."""
    return _change(
        request,
        username,
        lambda: user_service.set_user_active(db_of(request), acting(request), username, False),
        N_("%(user)s is disabled; their sessions and tokens have ended."),
    )


@router.post("/users/{username:path}/enable", response_class=HTMLResponse)
def enable_user(
    request: Request, username: str, user: Annotated[WebUser, page(USER_MANAGE)]
) -> Response:
    return _change(
        request,
        username,
        lambda: user_service.set_user_active(db_of(request), acting(request), username, True),
        N_("%(user)s is enabled."),
    )


@router.post("/users/{username:path}/password", response_class=HTMLResponse)
def reset_password(
    request: Request, username: str, user: Annotated[WebUser, page(USER_MANAGE)], fields: FormDep
) -> Response:
    """Set another user's password (their sessions end)."""
    password = fields.values.get("password", "")
    return _change(
        request,
        username,
        lambda: user_service.set_password(db_of(request), acting(request), username, password),
        N_("The password of %(user)s was set; their sessions have ended."),
    )


@router.post("/users/{username:path}/time-zone", response_class=HTMLResponse)
def set_time_zone(
    request: Request, username: str, user: Annotated[WebUser, page(USER_MANAGE)], fields: FormDep
) -> Response:
    """Set the time zone a user's pages show times in (empty: the company's)."""
    zone = fields.text("time_zone") or None
    return _change(
        request,
        username,
        lambda: set_user_time_zone(db_of(request), acting(request), username, zone),
        N_("The time zone of %(user)s was saved."),
    )


@router.get("/users/{username:path}", response_class=HTMLResponse)
def user_page(
    request: Request, username: str, user: Annotated[WebUser, page(USER_VIEW)]
) -> Response:
    return _user_page(request, username)
