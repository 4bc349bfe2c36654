"""Roles: the built-in roles with the permissions the code gives them, and custom roles made
from the permission catalogue (creating and changing them needs ``role.manage``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from operator import attrgetter
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError
from cangku.routing import SegmentRouter
from cangku.services import users as user_service
from cangku.services.users import ROLE_MANAGE, USER_VIEW, RoleView, permission_catalogue
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import Fields, FormDep
from cangku.web.i18n import N_, ROLE_HELP, ROLES, error_message, vocabulary
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


def _catalogue() -> list[tuple[str, list[dict[str, Any]]]]:
    """The permission catalogue grouped by subject (``stock``, ``item``...), in code order."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for permission in permission_catalogue():
        groups[permission["code"].partition(".")[0]].append(permission)
    return sorted(groups.items())


def role_list(gettext: Callable[[str], str], lang: str) -> Listing:
    """The role list as a file, in the reader's language: what the page shows (a built-in
    role's name and description in that language)."""

    def name(role: RoleView) -> str:
        return vocabulary(ROLES, role.code, lang) if role.builtin else role.name

    def description(role: RoleView) -> str | None:
        return vocabulary(ROLE_HELP, role.code, lang) if role.builtin else role.description

    return Listing(
        "roles",
        [
            Column(N_("Code"), attrgetter("code")),
            Column(N_("Name"), name),
            Column(N_("Description"), description),
            Column(N_("Kind"), lambda r: gettext(N_("Built-in") if r.builtin else N_("Custom"))),
            Column(N_("Permissions"), lambda r: len(r.permissions), "number"),
            Column(N_("Status"), lambda r: "active" if r.active else "inactive", "label"),
        ],
    )


@router.get("/roles", response_class=HTMLResponse)
def roles_page(request: Request, user: Annotated[WebUser, page(USER_VIEW)]) -> Response:
    """Every role (one page), built-in ones first or as ``?sort=`` says."""
    pages = pager(request)
    found = user_service.list_roles(db_of(request), pages.sort)
    listing = role_list(gettext_for(request), language(request))
    if (file := exported(request, listing, pages_of(found))) is not None:
        return file
    return render(request, "roles.html", roles=found, pager=pages)


def _role_form(
    request: Request, role: user_service.RoleView | None, status: int = 200, **form: Any
) -> Response:
    form.setdefault("error", None)
    if "values" not in form:
        form["values"] = {}
        form["chosen"] = set(role.permissions) if role else set()
        if role is not None:
            form["values"] = {
                "code": role.code,
                "name": role.name,
                "description": role.description or "",
                "active": "1" if role.active else "",
            }
    return render(
        request, "role_form.html", status=status, role=role, catalogue=_catalogue(), **form
    )


def _changes(fields: Fields) -> dict[str, Any]:
    return {
        "name": fields.raw("name") or "",
        "description": fields.raw("description"),
        "permissions": fields.all("permissions"),
    }


def _kept(fields: Fields) -> dict[str, Any]:
    values = {k: v for k, v in fields.values.items() if k not in ("permissions", "csrf_token")}
    return {"values": values, "chosen": set(fields.all("permissions"))}


@router.get("/roles/new", response_class=HTMLResponse)
def new_role_page(request: Request, user: Annotated[WebUser, page(ROLE_MANAGE)]) -> Response:
    return _role_form(request, None)


@router.post("/roles/new", response_class=HTMLResponse)
def create_role(
    request: Request, user: Annotated[WebUser, page(ROLE_MANAGE)], fields: FormDep
) -> Response:
    """A custom role from the permissions ticked."""
    changes = _changes(fields)
    try:
        role = user_service.create_role(
            db_of(request),
            acting(request),
            fields.text("code"),
            changes["name"],
            changes["permissions"],
            changes["description"],
        )
    except CangkuError as error:
        message = error_message(error, language(request))
        return _role_form(request, None, form_status(error), error=message, **_kept(fields))
    text = gettext_for(request)(N_("Role %(code)s created.")) % {"code": role.code}
    return redirect(f"/roles/{path_part(role.code)}", Flash("success", text))


@router.get("/roles/{code:path}/edit", response_class=HTMLResponse)
def edit_role_page(
    request: Request, code: str, user: Annotated[WebUser, page(ROLE_MANAGE)]
) -> Response:
    return _role_form(request, user_service.get_role(db_of(request), code))


@router.post("/roles/{code:path}/edit", response_class=HTMLResponse)
def update_role(
    request: Request, code: str, user: Annotated[WebUser, page(ROLE_MANAGE)], fields: FormDep
) -> Response:
    """Change a custom role's name, description, permissions and whether it is in use."""
    role = user_service.get_role(db_of(request), code)
    try:
        role = user_service.update_role(
            db_of(request),
            acting(request),
            role.code,
            {**_changes(fields), "active": fields.flag("active")},
        )
    except CangkuError as error:
        message = error_message(error, language(request))
        return _role_form(request, role, form_status(error), error=message, **_kept(fields))
    text = gettext_for(request)(N_("Role %(code)s saved.")) % {"code": role.code}
    return redirect(f"/roles/{path_part(role.code)}", Flash("success", text))


@router.get("/roles/{code:path}", response_class=HTMLResponse)
def role_page(request: Request, code: str, user: Annotated[WebUser, page(USER_VIEW)]) -> Response:
    role = user_service.get_role(db_of(request), code)
    granted = set(role.permissions)
    catalogue = [
        (group, [p for p in permissions if p["code"] in granted])
        for group, permissions in _catalogue()
    ]
    return render(request, "role_detail.html", role=role, catalogue=[g for g in catalogue if g[1]])
