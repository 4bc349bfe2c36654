"""Rendering pages: one Jinja2 environment per language, the shared layout's data, flash
messages carried over a redirect, pagination, and the route class that turns domain errors
into an error page."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from cangku.db.uow import Database
from cangku.domain.errors import CangkuError
from cangku.services.common import Context
from cangku.settings import Settings
from cangku.web.i18n import (
    HTML_LANG,
    LANGUAGES,
    choose_language,
    error_message,
    format_money,
    format_number,
    label,
    reason_label,
    translations,
)

TEMPLATES = Path(__file__).parent / "templates"
FLASH_COOKIE = "flash"
LANG_COOKIE = "lang"
#: pages may load nothing from elsewhere and run no inline script
SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def when(value: datetime | date | None) -> str:
    """ISO date / date-time (UTC, to the second) for display."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.isoformat()


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
        money=lambda v: format_money(v, lang),
        label=lambda v: label(v, lang),
        reason=lambda v: reason_label(v, lang),
        when=when,
        path=path_part,
    )
    env.globals.update(LANGUAGES=LANGUAGES, HTML_LANG=HTML_LANG)
    return env


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def db_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def acting(request: Request, idempotency_key: str | None = None) -> Context:
    """Who acts (the configured default user until sign-in exists) and the form's key."""
    return Context(
        username=settings_of(request).default_user, idempotency_key=idempotency_key or None
    )


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
    if flashes:
        response.set_cookie(FLASH_COOKIE, _encode(list(flashes)), httponly=True, samesite="lax")
    return response


# ------------------------------------------------------------------ pagination


@dataclass(frozen=True)
class Pager:
    page: int
    size: int
    total: int
    base: str  # the page's path and its other query parameters

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

    def url(self, page: int) -> str:
        joiner = "&" if "?" in self.base else "?"
        return f"{self.base}{joiner}page={page}"


def pager(request: Request, total: int = 0) -> Pager:
    """The page asked for (``?page=``, 1-based) and links that keep the other parameters."""
    raw = request.query_params.get("page", "1")
    page = int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1
    others = [(k, v) for k, v in request.query_params.multi_items() if k != "page" and v != ""]
    base = request.url.path + (f"?{urlencode(others)}" if others else "")
    return Pager(page, settings_of(request).page_size, total, base)


# ------------------------------------------------------------------ rendering


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` in the request's language inside the shared layout."""
    lang = language(request)
    flashes = _decode(request.cookies.get(FLASH_COOKIE))
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
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    if flashes:
        response.delete_cookie(FLASH_COOKIE)
    return response


def error_page(request: Request, error: CangkuError) -> HTMLResponse:
    message = error_message(error, language(request))
    return render(request, "error.html", status=error.status, message=message, code=error.code)


class PageRoute(APIRoute):
    """A page route: a domain error becomes the error page in the user's language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except CangkuError as error:
                return error_page(request, error)

        return guarded
