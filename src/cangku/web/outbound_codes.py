"""Labels and refusal messages of the outbound documents (issue 13) on the pages: the document
types, states and steps of ``domain.outbound``'s machines, the short-pick and customer-return
reasons, the dispositions, and the messages of the outbound refusals.

The functions here cover the inbound documents too (they fall back to ``web.codes``), so the
document pages install them as their filters. A step is labelled by its document's type: a
supplier return's ``ship`` sends goods back, a sales order's ships them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from cangku.domain.errors import CangkuError
from cangku.web import codes
from cangku.web.count_codes import COUNT_MESSAGES, COUNT_STATES, COUNT_STEPS, COUNT_TYPES
from cangku.web.i18n import N_, ROLES, error_message, translations, vocabulary
from cangku.web.inbound import MESSAGES as INBOUND_MESSAGES

__all__ = [
    "DISPOSITIONS",
    "OUTBOUND_TYPES",
    "REQUEST_TYPES",
    "document_state_label",
    "document_type_label",
    "outcome_label",
    "refusal",
    "return_reason_label",
    "short_pick_reason_label",
    "step_label",
]

#: the outbound document types (``domain.outbound``)
OUTBOUND_TYPES: dict[str, str] = {
    "sales_order": N_("Sales order"),
    "requisition": N_("Material requisition"),
    "pick_list": N_("Pick list"),
    "shipment": N_("Shipment"),
    "customer_return": N_("Customer return"),
}
#: the transfer (``domain.transfers``; issue 14)
TRANSFER_TYPES: dict[str, str] = {"transfer": N_("Transfer order")}

#: the request kinds (a pick list serves requests of one kind)
REQUEST_TYPES = ("sales_order", "requisition")

#: the states the outbound machines add to the inbound ones
STATES: dict[str, str] = {
    "submitted": N_("Submitted"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected in approval"),
    "allocated": N_("Allocated"),
    "picking": N_("Picking"),
    "partially_shipped": N_("Partially shipped"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    # a transfer's
    "in_transit": N_("In transit"),
    "discrepancy": N_("Discrepancy"),
}

#: the outbound steps (a request's ``ship`` is not a supplier return's "Send back")
STEPS: dict[str, str] = {
    "submit": N_("Submit"),
    "revise": N_("Revise"),
    "allocate": N_("Allocate stock"),
    "release": N_("Release reservations"),
    "pick": N_("Pick"),
    "ship": N_("Ship"),
    "deliver": N_("Record delivery"),
}

#: a transfer's steps (its ``receive`` is signing for goods at the destination)
TRANSFER_STEPS: dict[str, str] = {
    "dispatch": N_("Dispatch"),
    "receive": N_("Receive at destination"),
    "resolve": N_("Resolve discrepancy"),
}

#: what became of a transfer's goods that did not arrive (``domain.transfers.Outcome``)
OUTCOMES: dict[str, str] = {
    "lost": N_("Lost in transit"),
    "returned": N_("Returned to the bin it left"),
    "found": N_("Found: to the destination bin"),
    "scrapped": N_("Scrapped"),
}

#: why a picker picked less (``domain.outbound.SHORT_PICK_REASONS``)
SHORT_PICK_REASONS: dict[str, str] = {
    "not_found": N_("Not at the location"),
    "damaged": N_("Damaged"),
    "wrong_lot": N_("Another lot is at the location"),
    "count_difference": N_("Less there than the system says"),
    "other": N_("Other (explain in the note)"),
}

#: why a customer sends goods back (``domain.outbound.RETURN_REASONS``)
RETURN_REASONS: dict[str, str] = {
    "damaged": N_("Damaged in transit"),
    "defective": N_("Defective"),
    "wrong_item": N_("Not the item ordered"),
    "not_needed": N_("No longer needed"),
    "over_delivery": N_("More than ordered"),
    "expired": N_("Expired or too short a shelf life"),
    "other": N_("Other (explain in the note)"),
}

#: where returned goods go (``domain.outbound.DISPOSITIONS``)
DISPOSITIONS: dict[str, str] = {
    "restock": N_("Back to stock"),
    "inspect": N_("To inspection"),
    "scrap": N_("Scrap"),
}

#: the messages of the outbound refusals (the shared catalogue has none of these)
MESSAGES: dict[str, str] = {
    "customer_required": N_("Choose the customer."),
    "not_a_customer": N_("%(partner)s is not a customer."),
    "partner_inactive": N_("Partner %(partner)s is deactivated."),
    "unknown_request_kind": N_("There is no such kind of request."),
    "rejection_reason_required": N_("Give the reason for the rejection in the note."),
    "approver_role_required": N_("%(document)s needs the approval of a %(role)s."),
    "nothing_to_allocate": N_(
        "Every line of %(document)s is covered: nothing is left to allocate."
    ),
    "no_stock_to_allocate": N_(
        "No stock of %(document)s's items can be allocated: none is available, or only held, "
        "quarantined, expired or waiting for inspection."
    ),
    "nothing_to_release": N_("%(document)s holds no reservation that is not on a pick list."),
    "picked_not_shipped": N_(
        "%(document)s has goods on a pick list or picked and not shipped: ship them or cancel "
        "the pick list first."
    ),
    "requests_in_several_warehouses": N_("A pick list serves requests of one warehouse."),
    "no_requests_chosen": N_("Tick at least one request."),
    "nothing_to_pick": N_("Nothing is allocated and waiting to be picked on these requests."),
    "wrong_location": N_("Line %(line)s: pick from %(expected)s, not %(scanned)s."),
    "location_not_found": N_("There is no location with this code."),
    "lot_not_allocated": N_(
        "Line %(line)s: lot %(scanned)s is not the allocated lot %(expected)s. Pick the "
        "allocated lot, or release and allocate again."
    ),
    "pick_exceeds_allocation": N_("Line %(line)s: at most %(allocated)s were allocated."),
    "short_pick_reason_required": N_(
        "Line %(line)s: less than allocated was picked. Choose the reason of the short pick."
    ),
    "line_already_picked": N_("Line %(line)s is already picked."),
    "bin_scan_required": N_("Scan the bin first."),
    "lot_scan_required": N_("Scan the lot."),
    "nothing_picked": N_("%(document)s has nothing picked to ship."),
    "invalid_packages": N_("The number of packages is a whole number from 1."),
    "invalid_carrier": N_("The carrier has at most 100 characters."),
    "invalid_tracking": N_("The tracking number has at most 100 characters."),
    "invalid_ship_to": N_("The ship-to address has at most %(limit)s characters."),
    "invalid_department": N_("The department has at most %(limit)s characters."),
    "invalid_plan_reference": N_("The plan reference has at most %(limit)s characters."),
    "invalid_reference": N_("The reference has at most %(limit)s characters."),
    "return_exceeds_shipped": N_(
        "%(item)s: at most %(returnable)s were shipped and not returned yet."
    ),
    "not_shipped": N_("%(item)s was not shipped on %(shipment)s."),
    "unknown_disposition": N_("Choose where the returned goods go."),
    "return_location_required": N_("Scan the bin the returned goods go back to."),
    "return_location_not_storage": N_(
        "%(location)s is not a storage location of the shipment's warehouse."
    ),
    "threshold_required": N_("A rule needs a value or a quantity threshold."),
    "invalid_threshold": N_("A threshold cannot be negative."),
    "unknown_role": N_("There is no such role."),
    "approval_rule_not_found": N_("There is no such approval rule."),
    "shipment_required": N_("Enter the shipment's number."),
    # transfers (issue 14)
    "dispatched_more_than_requested": N_(
        "Line %(line)s (%(item)s): %(dispatched)s is more than the %(requested)s requested."
    ),
    "nothing_to_dispatch": N_("Nothing to dispatch: every quantity is 0."),
    "received_more_than_dispatched": N_(
        "Line %(line)s (%(item)s): %(received)s received (with the damaged), but only "
        "%(dispatched)s was dispatched. Record less; what is missing becomes a discrepancy."
    ),
    "resolved_more_than_missing": N_(
        "Line %(line)s (%(item)s): at most %(missing)s is still in transit."
    ),
    "to_location_required": N_("Line %(line)s: scan or enter the bin the goods go to."),
    "to_location_not_in_warehouse": N_(
        "%(location)s is not a storage location of the warehouse the goods go to."
    ),
    "from_location_not_in_warehouse": N_(
        "%(location)s is not a storage location of warehouse %(warehouse)s."
    ),
    "unknown_outcome": N_("Choose what became of the goods: lost, returned, found or scrapped."),
    "no_resolutions": N_("Choose an outcome for at least one line."),
    # a transfer's ``invalid_quantity`` (``_template`` tells them apart)
    "quantity_negative": N_("A quantity cannot be negative."),
    "quantity_not_positive": N_("A resolved quantity is more than 0."),
}


def document_type_label(code: str | None, lang: str) -> str:
    if code in OUTBOUND_TYPES:
        return vocabulary(OUTBOUND_TYPES, code, lang)
    if code in TRANSFER_TYPES:
        return vocabulary(TRANSFER_TYPES, code, lang)
    if code in COUNT_TYPES:
        return vocabulary(COUNT_TYPES, code, lang)
    return codes.document_type_label(code, lang)


def document_state_label(code: str | None, lang: str) -> str:
    if code in STATES:
        return vocabulary(STATES, code, lang)
    if code in COUNT_STATES:
        return vocabulary(COUNT_STATES, code, lang)
    return codes.document_state_label(code, lang)


def step_label(code: str | None, lang: str, doc_type: str | None = None) -> str:
    """A step by its label; ``ship`` of a supplier return is "Send back", of a request "Ship"
    (without a type: as the inbound documents have it); a transfer's ``receive`` is signing
    for the goods at the destination; a count's ``close`` ends counting."""
    if code in COUNT_STEPS and (doc_type in COUNT_TYPES or code not in codes.STEPS):
        return vocabulary(COUNT_STEPS, code, lang)
    if code in TRANSFER_STEPS and (doc_type in TRANSFER_TYPES or code not in codes.STEPS):
        return vocabulary(TRANSFER_STEPS, code, lang)
    if code in STEPS and (doc_type in OUTBOUND_TYPES or code not in codes.STEPS):
        return vocabulary(STEPS, code, lang)
    return codes.step_label(code, lang)


def step_filter(lang: str) -> Callable[..., str]:
    """The templates' ``step`` filter: a step by its label as its document's type has it (the
    type given, else the page's ``doc``)."""

    @pass_context
    def step(context: Context, code: str | None, doc_type: str | None = None) -> str:
        doc = context.get("doc")
        kind = doc_type or getattr(doc, "doc_type", None)
        return step_label(code, lang, kind if isinstance(kind, str) else None)

    return step


def outcome_label(code: str | None, lang: str) -> str:
    return vocabulary(OUTCOMES, code, lang)


def short_pick_reason_label(code: str | None, lang: str) -> str:
    return vocabulary(SHORT_PICK_REASONS, code, lang)


def return_reason_label(code: str | None, lang: str) -> str:
    return vocabulary(RETURN_REASONS, code, lang)


def disposition_label(code: str | None, lang: str) -> str:
    return vocabulary(DISPOSITIONS, code, lang)


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _template(error: CangkuError) -> str | None:
    code = error.code
    if code == "reason_required" and "allowed" not in error.data:
        return MESSAGES["rejection_reason_required"]
    if code == "no_lines" and error.message.startswith("nothing is allocated"):
        return MESSAGES["nothing_to_pick"]
    if code == "no_lines" and error.message.startswith("choose the lines to recount"):
        return COUNT_MESSAGES["no_recount_lines"]
    if code == "invalid_quantity" and error.message.startswith("a quantity is"):
        positive = error.message.endswith("greater than zero")
        return MESSAGES["quantity_not_positive" if positive else "quantity_negative"]
    if code == "location_required" and "returned goods" in error.message:
        return MESSAGES["return_location_required"]
    return (
        MESSAGES.get(code)
        or COUNT_MESSAGES.get(code)
        or codes.DOCUMENT_ERRORS.get(code)
        or INBOUND_MESSAGES.get(code)
    )


def refusal(error: CangkuError, lang: str) -> str:
    """The message of a refused step or form in ``lang``, the states, steps and roles it names
    by their labels; any other error as ``i18n.error_message`` has it."""
    template = _template(error)
    if template is None:
        return error_message(error, lang)
    shown = _Lenient()
    for key, value in error.data.items():
        if isinstance(value, list | tuple):
            value = ", ".join(map(str, value))
        shown[key] = "" if value is None else value
    shown["state"] = document_state_label(str(shown.get("state") or "") or None, lang)
    kind = error.data.get("document_type")
    shown["step"] = step_label(
        str(shown.get("step") or "") or None, lang, kind if isinstance(kind, str) else None
    )
    if error.data.get("role"):
        shown["role"] = vocabulary(ROLES, str(error.data["role"]), lang)
    if "expected" in error.data and error.data["expected"] is None:
        shown["expected"] = translations(lang).gettext(N_("(no lot)"))
    shown.setdefault("document", "")
    try:
        return translations(lang).gettext(template) % shown
    except (KeyError, TypeError, ValueError):
        return error_message(error, lang)
