"""Rendering pages: one Jinja2 environment per language, the shared layout's data (the signed-in
user, what they may use, the CSRF token of the forms), flash messages carried over a redirect,
pagination, and the route class that turns domain errors into an error page and an ended
session into the sign-in page."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from cangku.db.uow import Database
from cangku.domain.errors import CangkuError, NotAuthenticated, PermissionDenied
from cangku.headers import SECURITY_HEADERS
from cangku.services.auth import SESSION_COOKIE
from cangku.settings import Settings
from cangku.web import codes, display
from cangku.web.access import SAFE_METHODS, WebUser, optional_user
from cangku.web.i18n import (
    HTML_LANG,
    LANGUAGES,
    N_,
    PERMISSION_GROUPS,
    PERMISSIONS,
    ROLE_HELP,
    ROLES,
    choose_language,
    error_message,
    format_number,
    label,
    reason_label,
    translations,
    vocabulary,
)

TEMPLATES = Path(__file__).parent / "templates"
FLASH_COOKIE = "flash"
LANG_COOKIE = "lang"
#: headers of every page (and redirect) the web face answers (the app adds them to every
#: other response too: ``cangku.headers.SecurityHeaders``)
PAGE_HEADERS = SECURITY_HEADERS


def path_part(code: object) -> str:
    """A code as a URL path segment (slashes kept: the routes take ``{code:path}``)."""
    return quote(str(code), safe="/")


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        num=lambda v: format_number(v, lang),
        money=lambda v: display.money(v, lang),
        unit_cost=lambda v, currency=None: display.unit_cost(v, lang, currency),
        unit=display.unit_symbol,
        label=lambda v: label(v, lang),
        reason=lambda v: reason_label(v, lang),
        role=lambda v: vocabulary(ROLES, v, lang),
        role_help=lambda v: vocabulary(ROLE_HELP, v, lang),
        permission=lambda v: vocabulary(PERMISSIONS, v, lang),
        permission_group=lambda v: vocabulary(PERMISSION_GROUPS, v, lang),
        when=lambda v: display.when(v, lang),
        when_full=lambda v: display.when(v, lang, display.FULL),
        stamp=lambda v: display.stamp(v, lang),
        path=path_part,
        audit_action=lambda v: codes.audit_action_label(v, lang),
        record_type=lambda v: codes.record_type_label(v, lang),
        origin=lambda v: codes.origin_label(v, lang),
        level=lambda v: codes.level_label(v, lang),
        location_name=lambda v: codes.location_name(v, lang),
    )
    env.globals.update(
        LANGUAGES=LANGUAGES,
        HTML_LANG=HTML_LANG,
        zone_label=display.zone_label,
        page_sizes=PAGE_SIZES,
    )
    return env


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def db_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def language(request: Request) -> str:
    return choose_language(
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        settings_of(request).default_language,
    )


def gettext_for(request: Request) -> Callable[[str], str]:
    return translations(language(request)).gettext


# ------------------------------------------------------------------ flash messages


@dataclass(frozen=True)
class Flash:
    level: str  # success | error | info
    text: str
    moves: tuple[int, ...] = ()


def _encode(flashes: list[Flash]) -> str:
    raw = json.dumps([[f.level, f.text, list(f.moves)] for f in flashes], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(value: str | None) -> list[Flash]:
    if not value:
        return []
    try:
        entries = json.loads(base64.urlsafe_b64decode(value.encode()).decode())
        return [
            Flash(str(level), str(text), tuple(int(m) for m in moves))
            for level, text, moves in entries
        ][:5]
    except (ValueError, TypeError, binascii.Error):
        return []


def redirect(url: str, *flashes: Flash) -> RedirectResponse:
    """POST-redirect-GET: a 303 to ``url`` carrying ``flashes`` for the next page."""
    response = RedirectResponse(url, status_code=303)
    response.headers.update(PAGE_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    if flashes:
        response.set_cookie(FLASH_COOKIE, _encode(list(flashes)), httponly=True, samesite="lax")
    return response


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no ``//host``, no backslash) may be redirected to."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 32 for ch in target)
    ):
        return "/"
    return target


def sign_in_redirect(request: Request, ended: bool) -> RedirectResponse:
    """To the sign-in page, coming back here afterwards (a page, not a form's action)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/sign-in"
    if request.method in SAFE_METHODS and here != "/":
        target += "?" + urlencode({"next": here})
    flashes = []
    if ended:
        text = gettext_for(request)(N_("Your session has ended; please sign in again."))
        flashes.append(Flash("info", text))
    response = redirect(target, *flashes)
    if ended:
        secure = settings_of(request).secure_cookies
        response.delete_cookie(
            SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax"
        )
    return response


# ------------------------------------------------------------------ pagination


@dataclass(frozen=True)
class Pager:
    """One page of a list: its number, size and total, and links that keep the list's other
    parameters (filters, ``sort``, ``size``) in the URL."""

    page: int
    size: int
    total: int
    path: str
    #: the list's other query parameters (filters, sort, size), in the order they came
    params: tuple[tuple[str, str], ...] = ()
    sort: str = ""
    #: False when ``total`` is a lower bound (the count stopped at its cap)
    total_exact: bool = True
    #: a long list walked by cursors (``?cursor=``): previous / next, no page numbers
    keyset: bool = False
    next_cursor: str | None = None
    prev_cursor: str | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return min(self.total, self.offset + self.size)

    @property
    def base(self) -> str:
        return self._link(self.params)

    def _link(self, params: Sequence[tuple[str, str]]) -> str:
        return self.path + (f"?{urlencode(list(params))}" if params else "")

    def _without(self, *names: str) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.params if k not in names]

    def url(self, page: int) -> str:
        return self._link([*self.params, ("page", str(page))] if page > 1 else self.params)

    def sorted_by(self, name: str) -> str:
        """``ascending``, ``descending`` or ``none``: how the list is sorted by ``name``."""
        if self.sort == name:
            return "ascending"
        return "descending" if self.sort == f"-{name}" else "none"

    def sort_url(self, name: str) -> str:
        """The first page sorted by ``name``; descending if it is sorted by it already."""
        order = f"-{name}" if self.sort == name else name
        return self._link([*self._without("sort", "cursor"), ("sort", order)])

    def size_url(self, size: int) -> str:
        return self._link([*self._without("size", "cursor"), ("size", str(size))])

    def export_url(self, fmt: str) -> str:
        return self._link([*self._without("export", "cursor"), ("export", fmt)])

    def cursor_url(self, cursor: str) -> str:
        return self._link([*self._without("cursor"), ("cursor", cursor)])

    @property
    def first_url(self) -> str:
        return self._link(self._without("cursor"))

    @property
    def cursor(self) -> str | None:
        return next((v for k, v in self.params if k == "cursor"), None)


#: the page sizes a list offers
PAGE_SIZES = (25, 50, 100, 200)


def page_size(request: Request, default: int) -> int:
    """The rows per page asked for (``?size=``, one of ``PAGE_SIZES``), else ``default``."""
    raw = request.query_params.get("size", "")
    return int(raw) if raw.isdigit() and int(raw) in PAGE_SIZES else default


def pager(request: Request, total: int = 0) -> Pager:
    """The page asked for (``?page=``, 1-based, ``?size=`` rows, ``?sort=``) and links that
    keep the other parameters."""
    query = request.query_params
    raw = query.get("page", "1")
    page = int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1
    others = tuple(
        (k, v) for k, v in query.multi_items() if k not in ("page", "export") and v != ""
    )
    size = page_size(request, settings_of(request).page_size)
    return Pager(page, size, total, request.url.path, others, query.get("sort", ""))


# ------------------------------------------------------------------ rendering


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` in the request's language inside the shared layout, with the
    signed-in user (``user``, None on the sign-in page), ``may(code, ...)`` for showing only
    what they may use, and the session's ``csrf_token`` for the forms."""
    lang = language(request)
    flashes = _decode(request.cookies.get(FLASH_COOKIE))
    user: WebUser | None = context.pop("user", None) or optional_user(request)
    with display.showing(display.display_of(request)):
        html = (
            environment(lang)
            .get_template(template)
            .render(
                request=request,
                lang=lang,
                flashes=flashes,
                here=request.url.path,
                back=quote(
                    str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
                ),
                user=user,
                may=user.may if user is not None else _nothing,
                csrf_token=user.csrf_token if user is not None else "",
                **context,
            )
        )
    response = HTMLResponse(html, status_code=status)
    response.headers.update(PAGE_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    if flashes:
        response.delete_cookie(FLASH_COOKIE)
    return response


def form_status(error: CangkuError) -> int:
    """The status of a form shown again with an error: 403 when the services refused the user
    (a warehouse not granted, separation of duties), 422 for everything wrong with the input."""
    return 403 if isinstance(error, PermissionDenied) else 422


def _nothing(*_codes: str) -> bool:
    return False


def error_page(request: Request, error: CangkuError) -> HTMLResponse:
    message = error_message(error, language(request))
    return render(request, "error.html", status=error.status, message=message, code=error.code)


class PageRoute(APIRoute):
    """A page route: no session (or an ended one) goes to the sign-in page; a domain error
    becomes the error page in the user's language (403 for a refused permission or CSRF
    token)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except NotAuthenticated:
                return sign_in_redirect(request, ended=bool(request.cookies.get(SESSION_COOKIE)))
            except CangkuError as error:
                return error_page(request, error)

        return guarded
