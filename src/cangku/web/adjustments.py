"""Adjustments on the web: a form to raise one of several lines (gain, loss or scrap, each
with a reason of the company's list), the buttons of its steps on the document page
(``web/documents.py`` adds ``STEP_SERVICES`` to its table), and the settings page of the
company's reason codes (for holders of ``reason_code.manage``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.adjustments import ADJUSTMENT, DIRECTIONS, REASON_KINDS
from cangku.domain.errors import CangkuError
from cangku.queries.adjustments import get_adjustment
from cangku.queries.documents import DocumentView
from cangku.routing import SegmentRouter
from cangku.services import adjustments as service
from cangku.services import reason_codes
from cangku.services.documents import StepResult
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import Fields, FormDep, new_key
from cangku.web.i18n import N_, reason_label
from cangku.web.outbound import values_of
from cangku.web.outbound_codes import refusal
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

__all__ = ["STEP_SERVICES", "document_context", "reason_options", "router"]

router = SegmentRouter(route_class=PageRoute)

NEW = "/adjustments/new"
SETTINGS = "/settings/reason-codes"
#: the rows of an empty form (``?rows=`` asks for more, up to ``MAX_ROWS``)
ROWS = 5
MAX_ROWS = 50
ROW_FIELDS = ("item", "location", "direction", "quantity", "unit", "lot", "reason", "unit_cost")

StepService = Callable[[Any, Any, str, str | None, Fields], StepResult]


def _plain(run: Callable[[Any, Any, str, str | None], StepResult]) -> StepService:
    def step(db: Any, ctx: Any, number: str, note: str | None, _fields: Fields) -> StepResult:
        return run(db, ctx, number, note)

    return step


#: (document type, step) -> the service behind its button on the document page
STEP_SERVICES: dict[tuple[str, str], StepService] = {
    ("adjustment", "submit"): _plain(service.submit_adjustment),
    ("adjustment", "approve"): _plain(service.approve_adjustment),
    ("adjustment", "reject"): _plain(service.reject_adjustment),
    ("adjustment", "post"): _plain(service.post_adjustment),
    ("adjustment", "cancel"): _plain(service.cancel_adjustment),
}


def _label(code: reason_codes.ReasonCode, lang: str) -> str:
    """A company code by its own label (in Chinese when it has one), a built-in one by the
    translated built-in label."""
    if code.builtin:
        return reason_label(code.code, lang)
    if lang.startswith("zh") and code.label_zh:
        return code.label_zh
    return code.label or code.code


def reason_options(request: Request, kind: str) -> list[tuple[str, str]]:
    """(code, label) of the active reason codes of ``kind``, in list order."""
    lang = language(request)
    found = reason_codes.list_reason_codes(db_of(request), kind)
    return [(c.code, _label(c, lang)) for c in found if c.active]


def document_context(request: Request, doc: DocumentView) -> dict[str, Any]:
    """What an adjustment's page shows beside the generic document: each line's direction."""
    if doc.doc_type != ADJUSTMENT.doc_type:
        return {"directions": {}, "direction_labels": {}}
    with db_of(request).read() as conn:
        found = get_adjustment(conn, doc.number)
    gettext = gettext_for(request)
    return {
        "directions": found.directions,
        "direction_labels": {code: gettext(text) for code, text in DIRECTION_LABELS.items()},
    }


DIRECTION_LABELS = {"gain": N_("Gain"), "loss": N_("Loss"), "scrap": N_("Scrap")}


# ---------------------------------------------------------------- raise an adjustment
def _rows_of(fields: Fields | None, count: int) -> list[dict[str, str]]:
    return [
        {name: (fields.raw(f"{name}-{i}") or "").strip() if fields else "" for name in ROW_FIELDS}
        for i in range(count)
    ]


def _form(
    request: Request,
    values: dict[str, str],
    rows: list[dict[str, str]],
    error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "adjustment_form.html",
        status=status,
        values=values,
        rows=rows,
        directions=list(DIRECTIONS),
        reasons={kind: reason_options(request, kind) for kind in REASON_KINDS},
        error=error,
    )


@router.get(NEW, response_class=HTMLResponse)
def adjustment_form(
    request: Request, _user: Annotated[WebUser, page(service.ADJUSTMENT_EDIT)]
) -> Response:
    """An empty form of ``?rows=`` lines (5 by default)."""
    given = request.query_params.get("rows", "")
    count = min(int(given), MAX_ROWS) if given.isdigit() and int(given) > 0 else ROWS
    return _form(request, {"idempotency_key": new_key(), "submit": "1"}, _rows_of(None, count))


@router.post(NEW, response_class=HTMLResponse)
def create_adjustment_page(
    request: Request, _user: Annotated[WebUser, page(service.ADJUSTMENT_EDIT)], fields: FormDep
) -> Response:
    """Raise the adjustment of the rows with an item (submitted, and posted when it needs no
    approval, as asked); a refusal keeps the form as typed."""
    values = values_of(fields)
    given = fields.text("rows")
    count = min(int(given), MAX_ROWS) if given.isdigit() else ROWS
    rows = _rows_of(fields, count)
    lines = [
        service.AdjustmentLineInput(
            row["item"],
            row["location"],
            row["direction"],
            row["quantity"],
            row["reason"],
            row["lot"] or None,
            row["unit"] or None,
            row["unit_cost"] or None,
        )  # fmt: skip
        for row in rows
        if row["item"]
    ]
    post = fields.flag("post")
    command = service.NewAdjustment(
        lines, fields.optional("warehouse"), fields.raw("note"), fields.flag("submit") or post, post
    )
    try:
        result = service.create_adjustment(
            db_of(request), acting(request, values["idempotency_key"]), command
        )
    except CangkuError as error:
        message = refusal(error, language(request))
        return _form(request, values, rows, message, form_status(error))
    gettext = gettext_for(request)
    text = gettext(_RAISED.get(result.state, _RAISED["draft"])) % {"number": result.number}
    return redirect(
        f"/documents/{result.number}", Flash("success", text, tuple(result.move_ids[:10]))
    )


_RAISED = {
    "draft": N_("Adjustment %(number)s was raised as a draft."),
    "submitted": N_("Adjustment %(number)s waits for approval."),
    "approved": N_("Adjustment %(number)s is approved; post it to move the stock."),
    "posted": N_("Adjustment %(number)s was posted."),
}


# ---------------------------------------------------------------- reason codes
def _settings(
    request: Request, values: dict[str, str], error: str | None = None, status: int = 200
) -> Response:
    lang = language(request)
    found = reason_codes.list_reason_codes(db_of(request))
    return render(
        request,
        "reason_codes.html",
        status=status,
        codes=[(c, _label(c, lang)) for c in found],
        kinds=REASON_KINDS,
        values=values,
        error=error,
    )


@router.get(SETTINGS, response_class=HTMLResponse)
def reason_codes_page(
    request: Request, _user: Annotated[WebUser, page(reason_codes.REASON_CODE_MANAGE)]
) -> Response:
    """The company's reason codes, active or not, and a form to add one."""
    return _settings(request, {"idempotency_key": new_key()})


@router.post(SETTINGS, response_class=HTMLResponse)
def add_reason_code_page(
    request: Request,
    _user: Annotated[WebUser, page(reason_codes.REASON_CODE_MANAGE)],
    fields: FormDep,
) -> Response:
    """Add the code typed; a refusal keeps the form as typed."""
    values = values_of(fields)
    new = reason_codes.NewReasonCode(
        fields.text("kind"), fields.text("code"), fields.raw("label") or "",
        fields.optional("label_zh"),
    )  # fmt: skip
    try:
        reason_codes.add_reason_code(
            db_of(request), acting(request, values["idempotency_key"]), new
        )
    except CangkuError as error:
        message = refusal(error, language(request))
        return _settings(request, values, message, form_status(error))
    text = gettext_for(request)(N_("The reason code %(code)s was added.")) % {"code": new.code}
    return redirect(SETTINGS, Flash("success", text))


@router.post(f"{SETTINGS}/active", response_class=HTMLResponse)
def set_reason_code_active_page(
    request: Request,
    _user: Annotated[WebUser, page(reason_codes.REASON_CODE_MANAGE)],
    fields: FormDep,
) -> Response:
    """Deactivate (``active`` 0) or activate (1) the code ``kind``/``code``."""
    active = fields.text("active") == "1"
    try:
        reason_codes.set_reason_code_active(
            db_of(request), acting(request), fields.text("kind"), fields.text("code"), active
        )
    except CangkuError as error:
        message = refusal(error, language(request))
        return _settings(request, {"idempotency_key": new_key()}, message, form_status(error))
    done = (
        N_("The reason code %(code)s is in use again.")
        if active
        else N_("The reason code %(code)s is no longer offered.")
    )
    text = gettext_for(request)(done) % {"code": fields.text("code")}
    return redirect(SETTINGS, Flash("success", text))
