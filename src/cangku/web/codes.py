"""Labels of the codes the audit trail and the location pages would otherwise show raw: audit
actions, kinds of record, where a request came from, the field names of a change, location
levels and yes/no values. Each label is English, marked for the catalogue and translated where
it is shown; a code without a label shows as it is (a custom location level, say)."""

from __future__ import annotations

from typing import Any

from cangku.domain.errors import CangkuError
from cangku.web.i18n import (
    KINDS,
    LABELS,
    N_,
    ROLES,
    error_message,
    reason_label,
    translations,
    vocabulary,
)

__all__ = [
    "AUDIT_ACTIONS",
    "DOCUMENT_ERRORS",
    "DOCUMENT_STATES",
    "DOCUMENT_TYPES",
    "FIELDS",
    "INSPECTION_REASON_LABELS",
    "LEVELS",
    "ORIGINS",
    "RECORD_TYPES",
    "RETURN_REASON_LABELS",
    "STEPS",
    "VIRTUAL_NAMES",
    "audit_action_label",
    "document_refusal",
    "document_state_label",
    "document_type_label",
    "fact_value",
    "field_label",
    "inspection_reason_label",
    "level_label",
    "line_reason_label",
    "location_name",
    "origin_label",
    "record_type_label",
    "return_reason_label",
    "step_label",
]

#: what each audit action did (the write actions' codes and the sign-in and token events)
AUDIT_ACTIONS: dict[str, str] = {
    "auth.sign_in": N_("Signed in"),
    "auth.sign_in_failed": N_("Sign-in failed"),
    "auth.sign_out": N_("Signed out"),
    "token.create": N_("API token created"),
    "token.revoke": N_("API token revoked"),
    "user.init": N_("Administrator set up"),
    "user.manage": N_("User changed"),
    "user.password_changed": N_("Password changed"),
    "user.time_zone_changed": N_("Own time zone changed"),
    "role.manage": N_("Role changed"),
    "company.manage": N_("Company settings changed"),
    "item.create": N_("Item created"),
    "item.update": N_("Item changed"),
    "item.deactivate": N_("Item deactivated or reactivated"),
    "item.import": N_("Items imported"),
    "category.manage": N_("Category changed"),
    "category.import": N_("Categories imported"),
    "unit.create": N_("Unit created"),
    "warehouse.create": N_("Warehouse created"),
    "warehouse.update": N_("Warehouse changed"),
    "warehouse.import": N_("Warehouses imported"),
    "location.manage": N_("Location changed"),
    "location.import": N_("Locations imported"),
    "lot.create": N_("Lot registered"),
    "lot.update": N_("Lot changed"),
    "lot.status": N_("Lot status changed"),
    "lot.import": N_("Lots imported"),
    "partner.create": N_("Partner created"),
    "partner.update": N_("Partner changed"),
    "partner.import": N_("Partners imported"),
    "supplier_item.manage": N_("Supplied items changed"),
    "supplier_item.import": N_("Supplied items imported"),
    "stock.reserve": N_("Stock reserved or released"),
    "stock.import": N_("Moves imported"),
    "period.close": N_("Period closed"),
    "checkpoint.take": N_("Checkpoint taken"),
    "ledger.verify": N_("Ledger verified"),
    "backup.create": N_("Backup made"),
    "backup.restore": N_("Backup restored"),
}

#: the kinds of record an audit entry names
RECORD_TYPES: dict[str, str] = dict(KINDS)

#: where a request came from, when it is not a network address
ORIGINS: dict[str, str] = {
    "cli": N_("Command line"),
    "api": N_("API"),
    "web": N_("Web page"),
}

#: the common location levels (a level is free text: others show as typed)
LEVELS: dict[str, str] = {
    "site": N_("Site"),
    "building": N_("Building"),
    "floor": N_("Floor"),
    "area": N_("Area"),
    "zone": N_("Zone"),
    "aisle": N_("Aisle"),
    "row": N_("Row"),
    "rack": N_("Rack"),
    "bay": N_("Bay"),
    "shelf": N_("Shelf"),
    "level": N_("Level"),
    "bin": N_("Bin"),
    "slot": N_("Slot"),
    "pallet": N_("Pallet"),
    "virtual": N_("Virtual"),
}

#: the names a warehouse's virtual locations are given (``domain.sites.VIRTUAL_LOCATIONS``);
#: one renamed by its users shows as they named it
VIRTUAL_NAMES: dict[str, str] = {
    "Suppliers": N_("Suppliers"),
    "Customers": N_("Customers"),
    "Inventory adjustment": N_("Inventory adjustment"),
    "Scrap": N_("Scrap"),
    "Production": N_("Production"),
    "Goods in transit": N_("Goods in transit"),
}

#: the states of documents (``domain.inbound`` machines), as the pages show them
DOCUMENT_STATES: dict[str, str] = {
    "draft": N_("Draft"),
    "awaiting_approval": N_("Awaiting approval"),
    "confirmed": N_("Confirmed"),
    "partially_received": N_("Partially received"),
    "received": N_("Received"),
    "registered": N_("Registered"),
    "closed": N_("Closed"),
    "cancelled": N_("Cancelled"),
    "open": N_("Open"),
    "done": N_("Done"),
    "returned": N_("Returned"),
    "posted": N_("Posted"),
}

#: why an inspection rejects goods (``domain.inbound.INSPECTION_REASONS``)
INSPECTION_REASON_LABELS: dict[str, str] = {
    "damaged": N_("Damaged in transit or packing"),
    "defective": N_("Fails the quality specification"),
    "wrong_item": N_("Not the item ordered"),
    "short_shelf_life": N_("Expires too soon"),
    "expired": N_("Already expired"),
    "missing_documents": N_("Certificate or documents missing"),
    "other": N_("Other (explain in the note)"),
}

#: why goods go back to a supplier (``domain.inbound.RETURN_REASONS``)
RETURN_REASON_LABELS: dict[str, str] = {
    "rejected_in_inspection": N_("Rejected in inspection"),
    "damaged": N_("Damaged"),
    "defective": N_("Defective"),
    "wrong_item": N_("Not the item ordered"),
    "over_delivery": N_("Delivered more than ordered"),
    "expired": N_("Expired or too short a shelf life"),
    "other": N_("Other (explain in the note)"),
}

#: the names of the fields an audit entry lists (a record's fields and a request's)
FIELDS: dict[str, str] = {
    "active": N_("Active"),
    "address": N_("Address"),
    "allow_expired_issue": N_("Allow issuing expired lots"),
    "allow_negative_stock": N_("Allow negative stock"),
    "allowed_item_types": N_("Allowed item types"),
    "barcodes": N_("Barcodes"),
    "base_unit": N_("Base unit"),
    "capacity": N_("Capacity"),
    "category": N_("Category"),
    "changes": N_("Changes"),
    "code": N_("Code"),
    "contact_id": N_("Contact"),
    "contacts": N_("Contacts"),
    "costing_method": N_("Costing method"),
    "currency": N_("Currency"),
    "decimals": N_("Decimal places"),
    "default_location": N_("Default location"),
    "description": N_("Description"),
    "display_name": N_("Display name"),
    "email": N_("Email"),
    "expires_at": N_("Expires"),
    "expires_on": N_("Expires"),
    "expiring_soon_days": N_("Expiring soon (days)"),
    "factor": N_("Factor"),
    "grant": N_("Role grant"),
    "inspection_required": N_("Inspection on receipt"),
    "is_customer": N_("Customer"),
    "is_serial": N_("Serial number"),
    "is_supplier": N_("Supplier"),
    "is_virtual": N_("Virtual"),
    "item": N_("Item"),
    "item_type": N_("Item type"),
    "kind": N_("Kind"),
    "lead_time_days": N_("Lead time (days)"),
    "level": N_("Level"),
    "location": N_("Location"),
    "lot": N_("Lot"),
    "manufactured_on": N_("Manufactured"),
    "max_stock": N_("Maximum stock"),
    "min_order_qty": N_("Minimum order quantity"),
    "name": N_("Name"),
    "note": N_("Note"),
    "notes": N_("Notes"),
    "over_receipt_tolerance": N_("Over-receipt tolerance"),
    "parent": N_("Parent"),
    "password": N_("Password"),
    "password_set": N_("Password set"),
    "path": N_("Path"),
    "permissions": N_("Permissions"),
    "phone": N_("Phone"),
    "po_approval_threshold": N_("Purchase approval threshold"),
    "adjustment_approval_threshold": N_("Adjustment approval threshold"),
    "price": N_("Price"),
    "priority": N_("Priority"),
    "putaway_rules": N_("Put-away rules"),
    "quality_location": N_("Quality location"),
    "quantity": N_("Quantity"),
    "reason": N_("Reason"),
    "receiving_location": N_("Receiving location"),
    "rejection_location": N_("Rejection location"),
    "reorder_point": N_("Reorder point"),
    "request": N_("Request"),
    "result": N_("Result"),
    "role": N_("Role"),
    "roles": N_("Roles"),
    "rows": N_("Rows"),
    "safety_stock": N_("Safety stock"),
    "scopes": N_("Scopes"),
    "shelf_life_days": N_("Shelf life (days)"),
    "standard_cost": N_("Standard cost"),
    "status": N_("Status"),
    "supplier_code": N_("Supplier's code"),
    "supplier_items": N_("Supplied items"),
    "supplier_lot": N_("Supplier lot"),
    "tax_id": N_("Tax ID"),
    "through": N_("Through"),
    "time_zone": N_("Time zone"),
    "tracking": N_("Tracking"),
    "unit": N_("Unit"),
    "unit_cost_places": N_("Unit cost decimal places"),
    "units": N_("Units"),
    "user": N_("User"),
    "username": N_("User name"),
    "version": N_("Version"),
    "warehouse": N_("Warehouse"),
}

#: fields whose values are codes of a closed vocabulary (shown by their label)
_CODED_FIELDS = frozenset({"item_type", "tracking", "costing_method", "kind", "status"})


def audit_action_label(code: str | None, lang: str) -> str:
    return vocabulary(AUDIT_ACTIONS, code, lang)


def record_type_label(code: str | None, lang: str) -> str:
    return vocabulary(RECORD_TYPES, code, lang)


def origin_label(origin: str | None, lang: str) -> str:
    """``cli`` and the like by their label; a network address as it is."""
    return vocabulary(ORIGINS, origin, lang)


def level_label(level: str | None, lang: str) -> str:
    return vocabulary(LEVELS, level, lang)


def location_name(name: str | None, lang: str) -> str:
    """A location's name; a virtual location's given name in the page's language."""
    return vocabulary(VIRTUAL_NAMES, name, lang)


def document_state_label(state: str | None, lang: str) -> str:
    return vocabulary(DOCUMENT_STATES, state, lang)


def inspection_reason_label(code: str | None, lang: str) -> str:
    return vocabulary(INSPECTION_REASON_LABELS, code, lang)


def return_reason_label(code: str | None, lang: str) -> str:
    return vocabulary(RETURN_REASON_LABELS, code, lang)


def field_label(path: str, lang: str) -> str:
    """A field, or a nested one (``supplier_items.CS-1.2mm.price``: the first and the last
    part are field names, what lies between is a key, such as an item code, shown as it is)."""
    head, dot, rest = path.partition(".")
    if not dot:
        return vocabulary(FIELDS, path, lang)
    middle, _, last = rest.rpartition(".")
    parts = [vocabulary(FIELDS, head, lang)]
    if middle:
        parts.append(middle)
    parts.append(vocabulary(FIELDS, last, lang) if last in FIELDS else last)
    return " · ".join(parts)


def fact_value(field: str, value: Any, lang: str) -> Any:
    """Yes and no for true and false; a vocabulary code or a location level by its label;
    anything else as it is."""
    gettext = translations(lang).gettext
    if value is True:
        return gettext("Yes")
    if value is False:
        return gettext("No")
    name = field.rpartition(".")[2]
    if isinstance(value, str) and name in _CODED_FIELDS and value in LABELS:
        return gettext(LABELS[value])
    if isinstance(value, str) and name == "level":
        return level_label(value, lang)
    if name == "roles" and isinstance(value, list):
        return [_grant(grant, lang) for grant in value]
    return value


def _grant(grant: Any, lang: str) -> Any:
    """``receiving_clerk@WH1`` as "Receiving clerk @ WH1" (``@*``: all warehouses)."""
    if not isinstance(grant, str) or "@" not in grant:
        return grant
    role, _, warehouse = grant.rpartition("@")
    where = translations(lang).gettext("all warehouses") if warehouse == "*" else warehouse
    return f"{vocabulary(ROLES, role, lang)} @ {where}"


# ------------------------------------------------------------------ documents (issue 12)

#: the document types (``domain.inbound``'s machines)
DOCUMENT_TYPES: dict[str, str] = {
    "purchase_order": N_("Purchase order"),
    "receipt": N_("Goods receipt"),
    "inspection": N_("Inspection"),
    "putaway": N_("Put-away"),
    "supplier_return": N_("Return to supplier"),
    "adjustment": N_("Adjustment"),
}

#: the steps of the machines, and the timeline's own events (create, assign, take)
STEPS: dict[str, str] = {
    "create": N_("Create"),
    "confirm": N_("Confirm"),
    "approve": N_("Approve"),
    "reject": N_("Reject"),
    "receive": N_("Receive goods"),
    "register": N_("Register"),
    "close": N_("Close"),
    "cancel": N_("Cancel"),
    "inspect": N_("Inspect"),
    "put_away": N_("Put away"),
    "ship": N_("Send back"),
    "assign": N_("Assign"),
    "take": N_("Take"),
    "post": N_("Post"),
}

#: the refusals of document steps, with their data shown by label (see ``document_refusal``)
DOCUMENT_ERRORS: dict[str, str] = {
    "document_not_found": N_("Document %(key)s does not exist."),
    "invalid_transition": N_("%(document)s is %(state)s: “%(step)s” cannot be done now."),
    "own_document_approval": N_("You raised %(document)s: someone else must approve it."),
    "nothing_to_assign": N_("%(document)s is %(state)s: no step waits on it."),
    "assignee_cannot_do_step": N_("%(user)s may not do “%(step)s” in this document's warehouse."),
    "user_inactive": N_("User %(user)s is disabled."),
    "over_receipt": N_(
        "%(document)s: lines %(lines)s would be received over the quantity ordered. "
        "Confirm the over-receipt to go on."
    ),
    "over_receipt_beyond_tolerance": N_(
        "%(document)s line %(line)s (%(item)s): receiving %(receiving)s goes beyond the "
        "supplier's tolerance; at most %(most)s more may be received."
    ),
    "item_not_on_order": N_("Item %(item)s is not on order %(document)s."),
    "stock_under_inspection": N_("This stock waits for inspection and cannot be used yet."),
    "unknown_document_type": N_("There is no such document type."),
    "unknown_state": N_("Documents of this type are never in that state."),
}


def document_type_label(code: str | None, lang: str) -> str:
    return vocabulary(DOCUMENT_TYPES, code, lang)


def step_label(code: str | None, lang: str) -> str:
    return vocabulary(STEPS, code, lang)


def line_reason_label(code: str | None, lang: str) -> str:
    """An inspection's, a return's or an adjustment's reason code by its label."""
    if code in INSPECTION_REASON_LABELS:
        return inspection_reason_label(code, lang)
    if code in RETURN_REASON_LABELS:
        return return_reason_label(code, lang)
    return reason_label(code, lang)


def document_refusal(error: CangkuError, lang: str) -> str:
    """The message of a refused document step in ``lang``: the states and steps it names by
    their labels; any other error as ``i18n.error_message`` has it."""
    template = DOCUMENT_ERRORS.get(error.code)
    if template is None:
        return error_message(error, lang)
    shown: dict[str, Any] = {k: "" if v is None else v for k, v in error.data.items()}
    shown["state"] = document_state_label(shown.get("state") or None, lang)
    shown["step"] = step_label(shown.get("step") or None, lang)
    if isinstance(shown.get("lines"), list):
        shown["lines"] = ", ".join(str(n) for n in shown["lines"])
    shown.setdefault("document", "")
    try:
        return translations(lang).gettext(template) % shown
    except (KeyError, TypeError, ValueError):
        return error_message(error, lang)
