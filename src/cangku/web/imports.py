"""The import page: upload a CSV of moves (opening balances, data migration).

All or nothing by default; "in chunks" commits each batch and resumes on the next upload of
the same file. A file already imported is refused (who posted it, when) unless "import it
again" is ticked; the same form submitted twice is a replay that posts nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError, InvalidInput
from cangku.routing import SegmentRouter
from cangku.services.bulk import STOCK_IMPORT, BulkResult, post_bulk
from cangku.services.bulk_csv import OPTIONAL, REQUIRED, CsvMoves
from cangku.web.access import WebUser, acting, page
from cangku.web.display import display_of, stamp
from cangku.web.forms import new_key
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
)

router = SegmentRouter(route_class=PageRoute)

#: refusals of the import itself, with their data in the message
IMPORT_ERRORS = {
    "import_already_posted": N_(
        "This file was already imported: import %(import_id)s posted %(moves)s moves on "
        "%(posted_at)s by %(posted_by)s. Nothing was posted. Tick “Import it again” to post it "
        "once more."
    ),
    "import_unfinished": N_(
        "An earlier import of this file in chunks (import %(import_id)s) stopped after move "
        "%(resume_after)s. Nothing was posted. Tick “In chunks” to continue it, or “Import it "
        "again” to post the whole file."
    ),
    "import_in_progress": N_(
        "Another run of this import posted moves meanwhile; nothing was posted by this one."
    ),
}
STAY_POSTED = N_(
    "Moves 1 to %(resume_after)s of import %(import_id)s stay posted: fix the file and upload "
    "it again with “In chunks” ticked to continue after move %(resume_after)s."
)


def _page(request: Request, status: int = 200, error: str | None = None) -> Response:
    return render(
        request,
        "stock_import.html",
        status=status,
        error=error,
        idempotency_key=new_key(),
        required=REQUIRED,
        optional=OPTIONAL,
    )


def _when(request: Request, value: Any) -> str:
    """When a file was posted, in the user's time zone."""
    return str(stamp(value or "", language(request), display_of(request)))


def _refusal(request: Request, error: CangkuError) -> str:
    gettext_ = gettext_for(request)
    data = {k: "" if v is None else v for k, v in error.data.items()}
    if error.code in IMPORT_ERRORS:
        return gettext_(IMPORT_ERRORS[error.code]) % {
            **data,
            "posted_at": _when(request, data.get("posted_at")),
        }
    message = error_message(error, language(request))
    # a translated message lacks the position that the English one already carries
    if "move_number" in error.data and message != error.message:
        message = gettext_(N_("Move %(number)s: %(message)s")) % {
            "number": error.data["move_number"],
            "message": message,
        }
        if "resume_after" in error.data:
            message = f"{message} {gettext_(STAY_POSTED) % data}"
    return message


def _done(request: Request, result: BulkResult) -> Flash:
    gettext_ = gettext_for(request)
    if result.replayed:
        text = gettext_(
            N_(
                "This form was already submitted: import %(import_id)s posted %(moves)s moves on "
                "%(when)s by %(user)s. Nothing was posted again."
            )
        ) % {
            "import_id": result.import_id,
            "moves": result.previously_posted,
            "when": _when(request, result.posted_at),
            "user": result.posted_by,
        }
        return Flash("info", text)
    if result.resumed_from:
        text = gettext_(
            N_(
                "Continued import %(import_id)s after move %(resumed)s: imported %(posted)s more "
                "moves in %(batches)s batches."
            )
        ) % {
            "import_id": result.import_id,
            "resumed": result.resumed_from,
            "posted": result.posted,
            "batches": result.batches,
        }
        return Flash("success", text)
    text = gettext_(N_("Imported %(posted)s moves in %(batches)s batches.")) % {
        "posted": result.posted,
        "batches": result.batches,
    }
    return Flash("success", text)


@router.get("/stock/import", response_class=HTMLResponse)
def import_page(request: Request, user: Annotated[WebUser, page(STOCK_IMPORT)]) -> Response:
    return _page(request)


@router.post("/stock/import", response_class=HTMLResponse)
async def import_moves(
    request: Request,
    user: Annotated[WebUser, page(STOCK_IMPORT)],
    file: Annotated[UploadFile, File()],
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
    chunked: Annotated[str, Form(max_length=5)] = "",
    allow_repeat: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Post the uploaded file's moves; a refusal is shown with the move's position."""
    data = await file.read()
    try:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("the file is not UTF-8 text", code="file_not_utf8") from None
        ctx = acting(request, idempotency_key or None)
        result = post_bulk(
            db_of(request),
            ctx,
            CsvMoves.from_text(text),
            chunked=bool(chunked),
            allow_repeat=bool(allow_repeat),
            source=(file.filename or "upload")[:200],
        )
    except CangkuError as error:
        status = error.status if error.code in IMPORT_ERRORS else form_status(error)
        return _page(request, status=status, error=_refusal(request, error))
    return redirect("/stock/import", _done(request, result))
