"""The data import page: master data and opening stock from a CSV or XLSX file.

One page per kind (``/import/<kind>``, needing that kind's import action): download the
template, upload a file. The upload is a dry run: a preview of the first rows, the counts and
every problem of every row (nothing written). The preview page carries the file itself (base64,
with its SHA-256) in its confirm form, so "Confirm import" posts the very file that was checked
without uploading it again; the digest is checked before anything is imported. The same form
downloads the error report (CSV or XLSX).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError, InvalidInput
from cangku.domain.imports import KINDS, RowError, sheet_of
from cangku.routing import SegmentRouter
from cangku.services.imports import (
    EXPORT_VIEWS,
    MEDIA_TYPES,
    ImportRejected,
    ImportSummary,
    error_report,
    import_action,
    import_file,
)
from cangku.services.imports.files import read_table
from cangku.web.access import WebUser, acting, current_user, page
from cangku.web.i18n import N_, error_message
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    form_status,
    gettext_for,
    language,
    redirect,
    render,
    settings_of,
)

router = SegmentRouter(route_class=PageRoute)

#: the first rows of a file shown before it is imported
PREVIEW_ROWS = 20
#: the kinds in the order the page offers them (items first: the usual start)
ORDER = ("items", *(kind for kind in KINDS if kind != "items"))
#: the form fields besides the file (CSRF token, digest, format) in the confirm form
_FORM_OVERHEAD = 4096

FILE_ERRORS = {
    "import_unknown_columns": N_(
        "The file has columns this kind does not know: %(unknown)s. The columns are: %(allowed)s."
    ),
    "import_missing_columns": N_("The file lacks the required columns %(missing)s."),
    "import_duplicate_columns": N_("The file names these columns twice: %(duplicate)s."),
    "file_changed": N_("The file changed since it was checked; upload it again."),
    "file_too_large_to_confirm": N_(
        "The file is too large to be confirmed from this page; import it with the command line "
        "(cangku import)."
    ),
}


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    code: str
    message: str


def kind_title(kind: str, lang: str) -> str:
    sheet = sheet_of(kind)
    return sheet.title_zh if lang.startswith("zh") else sheet.title


def _allowed_kinds(user: WebUser) -> list[str]:
    return [kind for kind in ORDER if user.may(import_action(kind).code)]


def _exports(user: WebUser) -> list[str]:
    return [kind for kind in ORDER if user.may(EXPORT_VIEWS[kind].code)]


def _problems(errors: list[RowError], lang: str) -> list[Problem]:
    """The row errors with their messages in ``lang`` where the code has a translation."""
    shown = []
    for found in errors:
        error = CangkuError(found.message, code=found.code)
        error.data = dict(found.data)
        shown.append(Problem(found.row, found.column, found.code, error_message(error, lang)))
    return shown


def _file_error(request: Request, error: CangkuError) -> str:
    template = FILE_ERRORS.get(error.code)
    if template is None:
        return error_message(error, language(request))
    data = {
        key: ", ".join(str(v) for v in value) if isinstance(value, list) else value
        for key, value in error.data.items()
    }
    try:
        return gettext_for(request)(template) % data
    except (KeyError, TypeError, ValueError):
        return error.message


def _confirm_limit(request: Request) -> int:
    """The largest file the confirm form can carry within the request size limit."""
    return max(0, (settings_of(request).max_upload_bytes - _FORM_OVERHEAD) * 3 // 4)


def _page(
    request: Request,
    user: WebUser,
    kind: str,
    status: int = 200,
    error: str | None = None,
    **preview: Any,
) -> Response:
    lang = language(request)
    return render(
        request,
        "data_import.html",
        status=status,
        user=user,
        kind=kind,
        kinds=[(k, kind_title(k, lang)) for k in _allowed_kinds(user)],
        exports=[(k, kind_title(k, lang)) for k in _exports(user)],
        title=kind_title(kind, lang),
        sheet=sheet_of(kind),
        template_lang="zh" if lang.startswith("zh") else "en",
        error=error,
        preview=preview.get("preview"),
        summary=preview.get("summary"),
        problems=preview.get("problems", []),
        payload=preview.get("payload", ""),
        digest=preview.get("digest", ""),
        filename=preview.get("filename", ""),
        confirmable=preview.get("confirmable", False),
    )


@dataclass(frozen=True)
class Preview:
    headers: list[str]
    rows: list[tuple[int, list[str]]]
    total: int


def _preview(kind: str, data: bytes) -> Preview:
    """The first rows of the file, read as the import reads them."""
    table = read_table(sheet_of(kind), data)
    names = list(table.headers)
    rows = [
        (row.number, [row.values.get(name, "") for name in names])
        for row in table.rows[:PREVIEW_ROWS]
    ]
    return Preview([table.headers[name] for name in names], rows, len(table.rows))


def _checked(request: Request, user: WebUser, kind: str, data: bytes, filename: str) -> Response:
    """The dry run of ``data``: its preview, counts and problems (nothing written)."""
    lang = language(request)
    try:
        shown = _preview(kind, data)
        summary = import_file(db_of(request), acting(request), kind, data, dry_run=True)
    except CangkuError as error:
        return _page(
            request, user, kind, status=form_status(error), error=_file_error(request, error)
        )
    too_large = len(data) > _confirm_limit(request)
    return _page(
        request,
        user,
        kind,
        status=422 if summary.errors else 200,
        error=_file_error(request, InvalidInput("", code="file_too_large_to_confirm"))
        if too_large
        else None,
        preview=shown,
        summary=summary,
        problems=_problems(summary.errors, lang),
        payload=base64.urlsafe_b64encode(data).decode() if not too_large else "",
        digest=hashlib.sha256(data).hexdigest(),
        filename=filename,
        confirmable=not summary.errors and not too_large,
    )


def _carried(payload: str, digest: str) -> bytes:
    """The file the preview carried, if its digest is the one that was checked."""
    try:
        data = base64.urlsafe_b64decode(payload.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidInput("the carried file is damaged", code="file_changed") from None
    if not data or not hmac.compare_digest(hashlib.sha256(data).hexdigest(), digest):
        raise InvalidInput("the file changed since it was checked", code="file_changed")
    return data


def _done(request: Request, summary: ImportSummary) -> Flash:
    gettext_ = gettext_for(request)
    text = gettext_(
        N_(
            "Imported %(rows)s rows: %(created)s created, %(updated)s updated, "
            "%(unchanged)s unchanged."
        )
    ) % {
        "rows": summary.rows,
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
    }
    if summary.posted:
        text += " " + gettext_(N_("%(posted)s moves posted.")) % {"posted": summary.posted}
    return Flash("success", text)


def _routes(kind: str) -> None:
    """The page of one kind, its upload (dry run), confirm and error report routes, all
    declaring the kind's import action."""
    act = import_action(kind)

    def import_page(request: Request) -> Response:
        return _page(request, current_user(request), kind)

    def check_file(
        request: Request,
        file: Annotated[UploadFile, File()],
    ) -> Response:
        data = file.file.read()  # a sync route: FastAPI runs it in a worker thread
        return _checked(request, current_user(request), kind, data, (file.filename or "")[:200])

    def confirm_import(
        request: Request,
        payload: Annotated[str, Form()] = "",
        digest: Annotated[str, Form(max_length=64)] = "",
        filename: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        user = current_user(request)  # signed in and allowed by the route's dependency
        try:
            data = _carried(payload, digest)
            summary = import_file(db_of(request), acting(request), kind, data)
        except ImportRejected as rejected:
            # the data changed since the dry run: show the problems as found now
            shown = _preview(kind, data)
            return _page(
                request,
                user,
                kind,
                status=422,
                preview=shown,
                summary=ImportSummary(kind, rejected.data["rows"], 0, 0, 0, True),
                problems=_problems(rejected.errors, language(request)),
                payload=payload,
                digest=digest,
                filename=filename,
            )
        except CangkuError as error:
            return _page(
                request, user, kind, status=form_status(error), error=_file_error(request, error)
            )
        return redirect(f"/import/{kind}", _done(request, summary))

    def download_errors(
        request: Request,
        payload: Annotated[str, Form()] = "",
        digest: Annotated[str, Form(max_length=64)] = "",
        format: Annotated[str, Form(max_length=8)] = "csv",
    ) -> Response:
        user = current_user(request)
        fmt = format if format in MEDIA_TYPES else "csv"
        try:
            data = _carried(payload, digest)
            summary = import_file(db_of(request), acting(request), kind, data, dry_run=True)
        except CangkuError as error:
            return _page(
                request, user, kind, status=form_status(error), error=_file_error(request, error)
            )
        shown = [
            RowError(p.row, p.column, p.code, p.message)
            for p in _problems(summary.errors, language(request))
        ]
        return Response(
            error_report(shown, fmt),
            media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{kind}-errors.{fmt}"'},
        )

    handlers: list[tuple[str, str, Callable[..., Any]]] = [
        ("GET", "", import_page),
        ("POST", "", check_file),
        ("POST", "/confirm", confirm_import),
        ("POST", "/errors", download_errors),
    ]
    for method, suffix, handler in handlers:
        handler.__name__ = f"{handler.__name__}_{kind}"
        router.add_api_route(
            f"/import/{kind}{suffix}",
            handler,
            methods=[method],
            response_class=HTMLResponse,
            dependencies=[page(act)],
        )


for _kind in ORDER:
    _routes(_kind)
