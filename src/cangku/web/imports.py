"""The import page: upload a CSV of moves (opening balances, data migration)."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError, InvalidInput
from cangku.services.bulk import STOCK_IMPORT, post_bulk
from cangku.services.bulk_csv import OPTIONAL, REQUIRED, read_moves
from cangku.web.access import WebUser, acting, page
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

router = APIRouter(route_class=PageRoute)


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


@router.get("/stock/import", response_class=HTMLResponse)
def import_page(request: Request, user: Annotated[WebUser, page(STOCK_IMPORT)]) -> Response:
    return _page(request)


@router.post("/stock/import", response_class=HTMLResponse)
async def import_moves(
    request: Request,
    user: Annotated[WebUser, page(STOCK_IMPORT)],
    file: Annotated[UploadFile, File()],
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Post the uploaded file's moves in batches; a refusal is shown with the move's position."""
    data = await file.read()
    try:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("the file is not UTF-8 text", code="file_not_utf8") from None
        ctx = acting(request, idempotency_key or None)
        result = post_bulk(db_of(request), ctx, read_moves(io.StringIO(text, newline="")))
    except CangkuError as error:
        message = error_message(error, language(request))
        # a translated message lacks the position that the English one already carries
        if "move_number" in error.data and message != error.message:
            message = gettext_for(request)(N_("Move %(number)s: %(message)s")) % {
                "number": error.data["move_number"],
                "message": message,
            }
        return _page(request, status=form_status(error), error=message)
    gettext_ = gettext_for(request)
    message = gettext_(N_("Imported %(posted)s moves in %(batches)s batches.")) % {
        "posted": result.posted,
        "batches": result.batches,
    }
    return redirect("/stock/import", Flash("success", message))
