"""A transfer's steps on the document page (``web/documents.py`` adds them to its table): the
service behind each button (submit, approve, reject with the note as its reason, revise,
cancel, dispatch everything requested), the steps done on a screen of their own (receiving and
resolving at the destination, ``web/transfers.py``), and what the transfer's page shows beside
the generic one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request

from cangku.queries.documents import DocumentView
from cangku.services.documents import StepResult
from cangku.services.transfers import movement, requests
from cangku.web.access import WebUser
from cangku.web.forms import Fields
from cangku.web.i18n import N_
from cangku.web.outbound_codes import OUTCOMES, outcome_label
from cangku.web.render import language

__all__ = ["SCREEN_LINKS", "STEP_SCREENS", "STEP_SERVICES", "TYPES", "document_context"]

StepService = Callable[[Any, Any, str, str | None, Fields], StepResult]

#: the document types of this module, in the order of the documents' tabs
TYPES = ("transfer",)


def _plain(service: Callable[[Any, Any, str, str | None], StepResult]) -> StepService:
    def run(db: Any, ctx: Any, number: str, note: str | None, _fields: Fields) -> StepResult:
        return service(db, ctx, number, note)

    return run


def _reject(db: Any, ctx: Any, number: str, note: str | None, _fields: Fields) -> StepResult:
    # the note is the reason; an empty one is refused with ``reason_required``
    return requests.reject_transfer(db, ctx, number, note or "")


def _dispatch(db: Any, ctx: Any, number: str, note: str | None, _fields: Fields) -> StepResult:
    # from the button every line goes in full; a partial dispatch is the API's or the CLI's
    return movement.dispatch_transfer(db, ctx, number, None, note)


#: (document type, step) -> the service behind its button
STEP_SERVICES: dict[tuple[str, str], StepService] = {
    ("transfer", "submit"): _plain(requests.submit_transfer),
    ("transfer", "approve"): _plain(requests.approve_transfer),
    ("transfer", "reject"): _reject,
    ("transfer", "revise"): _plain(requests.revise_transfer),
    ("transfer", "cancel"): _plain(requests.cancel_transfer),
    ("transfer", "dispatch"): _dispatch,
}

#: steps done on a screen of their own (``web/transfers.py``): where it opens
STEP_SCREENS: dict[tuple[str, str], str] = {
    ("transfer", "receive"): "/transfers/{number}/receive",
    ("transfer", "resolve"): "/transfers/{number}/resolve",
}

#: what the screen links say
SCREEN_LINKS: dict[tuple[str, str], str] = {
    ("transfer", "receive"): N_("Receive the transfer"),
    ("transfer", "resolve"): N_("Resolve the discrepancy"),
}


def document_context(request: Request, user: WebUser, doc: DocumentView) -> dict[str, Any]:
    """The transfer's page: the generic one with its destination and each line's dispatched,
    received, damaged, resolved and in-transit figures."""
    if doc.doc_type not in TYPES:
        return {}
    lang = language(request)
    return {
        "template": "transfer_document.html",
        "outcomes": {code: outcome_label(code, lang) for code in OUTCOMES},
    }
