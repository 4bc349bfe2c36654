"""The outbound documents' steps on the document page (``web/documents.py`` adds them to its
table): the service behind each button of a sales order, requisition, pick list, shipment and
customer return, the steps done on a screen of their own (making a pick list, picking), and
what the outbound document page shows beside the generic one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request

from cangku.domain.errors import InvalidInput
from cangku.queries.documents import DocumentView
from cangku.services.documents import StepResult
from cangku.services.outbound import allocation, picking, requests, returns, shipping
from cangku.services.outbound.returns import CUSTOMER_RETURN_RECEIVE
from cangku.web.access import WebUser
from cangku.web.forms import Fields
from cangku.web.i18n import N_
from cangku.web.outbound_codes import OUTBOUND_TYPES
from cangku.web.outbound_reads import outbound_facts
from cangku.web.render import db_of

__all__ = ["SCREEN_LINKS", "STEP_SCREENS", "STEP_SERVICES", "document_context"]

StepService = Callable[[Any, Any, str, str | None, Fields], StepResult]
KindStep = Callable[[Any, Any, str, str, str | None], StepResult]


def _request_step(kind: str, service: KindStep) -> StepService:
    def run(db: Any, ctx: Any, number: str, note: str | None, _fields: Fields) -> StepResult:
        return service(db, ctx, kind, number, note)

    return run


def _plain(service: Callable[[Any, Any, str, str | None], StepResult]) -> StepService:
    def run(db: Any, ctx: Any, number: str, note: str | None, _fields: Fields) -> StepResult:
        return service(db, ctx, number, note)

    return run


def packages_of(fields: Fields) -> int | None:
    """The number of packages typed (empty: none given). InvalidInput ``invalid_packages``."""
    text = fields.text("packages")
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise InvalidInput("packages is a whole number from 1", code="invalid_packages")
    return int(text)


def _ship(kind: str) -> StepService:
    def run(db: Any, ctx: Any, number: str, note: str | None, fields: Fields) -> StepResult:
        return shipping.ship_request(
            db, ctx, kind, number,
            carrier=fields.optional("carrier"),
            tracking_number=fields.optional("tracking_number"),
            packages=packages_of(fields),
            note=note,
        )  # fmt: skip

    return run


def _request_steps(kind: str) -> dict[tuple[str, str], StepService]:
    return {
        (kind, "submit"): _request_step(kind, requests.submit_request),
        (kind, "approve"): _request_step(kind, requests.approve_request),
        (kind, "reject"): _request_step(kind, requests.reject_request),
        (kind, "revise"): _request_step(kind, requests.revise_request),
        (kind, "allocate"): _request_step(kind, allocation.allocate_request),
        (kind, "release"): _request_step(kind, allocation.release_request),
        (kind, "ship"): _ship(kind),
        (kind, "close"): _request_step(kind, requests.close_request),
        (kind, "cancel"): _request_step(kind, requests.cancel_request),
    }


#: (document type, step) -> the service behind its button
STEP_SERVICES: dict[tuple[str, str], StepService] = {
    **_request_steps("sales_order"),
    **_request_steps("requisition"),
    ("pick_list", "cancel"): _plain(picking.cancel_pick_list),
    ("shipment", "deliver"): _plain(shipping.deliver_shipment),
    ("customer_return", "receive"): _plain(returns.receive_customer_return),
    ("customer_return", "cancel"): _plain(returns.cancel_customer_return),
}

#: steps done on a screen of their own (``web/outbound.py``): where it opens
STEP_SCREENS: dict[tuple[str, str], str] = {
    ("sales_order", "pick"): "/pick-lists/new?kind=sales_order&request={number}",
    ("requisition", "pick"): "/pick-lists/new?kind=requisition&request={number}",
    ("pick_list", "pick"): "/picking/{number}",
}

#: what the screen links say
SCREEN_LINKS: dict[tuple[str, str], str] = {
    ("sales_order", "pick"): N_("Make a pick list"),
    ("requisition", "pick"): N_("Make a pick list"),
    ("pick_list", "pick"): N_("Pick"),
}


def document_context(request: Request, user: WebUser, doc: DocumentView) -> dict[str, Any]:
    """What the outbound document page shows beside the generic page: the template, the
    outbound facts (reservations per request line...), whether a customer return may be
    registered against a shipment."""
    if doc.doc_type not in OUTBOUND_TYPES:
        return {}
    with db_of(request).read() as conn:
        facts = outbound_facts(conn, doc.number)
    return {
        "template": "outbound_document.html",
        "facts": facts,
        # a customer sends back what a sales order shipped (a requisition's went to production)
        "may_return": doc.doc_type == "shipment"
        and doc.partner is not None
        and user.may(CUSTOMER_RETURN_RECEIVE.code),
    }
