"""Languages of the web pages: catalogues, choosing the language, numbers, error messages.

The catalogues are the ``.po`` files under ``web/locale`` (English is the message-id language);
they are read at start-up with Babel and turned into gettext translations in memory, so no
compiled ``.mo`` file is needed.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from cangku.domain.errors import CangkuError
from cangku.domain.reasons import ADJUSTMENT_REASONS, SCRAP_REASONS

LOCALE_DIR = Path(__file__).parent / "locale"
#: language code -> its name in that language (shown in the switch)
LANGUAGES: dict[str, str] = {"zh_CN": "简体中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
DEFAULT_LANGUAGE = "zh_CN"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated later, where it is shown."""
    return message


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The gettext translations of ``lang`` (English: the message ids themselves)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def supported(lang: str | None) -> str | None:
    """``lang`` if it is a language of the pages (``zh-CN`` and ``zh_CN`` alike), else None."""
    if not lang:
        return None
    wanted = lang.strip().replace("-", "_")
    for code in LANGUAGES:
        if wanted.lower() == code.lower():
            return code
    return None


def from_accept_language(header: str | None) -> str | None:
    """The first supported language of an ``Accept-Language`` header, by preference."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        ranked.append((-weight, position, tag.strip().lower()))
    for negative_weight, _, tag in sorted(ranked):
        if negative_weight >= 0:
            continue
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return None


def choose_language(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The cookie's language, else the browser's, else the configured default."""
    return (
        supported(cookie)
        or from_accept_language(accept_language)
        or supported(default)
        or DEFAULT_LANGUAGE
    )


# ------------------------------------------------------------------ numbers


def format_number(value: Decimal | int | None, lang: str) -> str:
    """A quantity with every significant decimal, grouped the way ``lang`` groups numbers."""
    if value is None:
        return ""
    return format_decimal(value, locale=lang, decimal_quantization=False)


# ------------------------------------------------------------------ labels of closed vocabularies

LABELS: dict[str, str] = {
    # item types
    "raw_material": N_("Raw material"),
    "semi_finished": N_("Semi-finished good"),
    "finished_good": N_("Finished good"),
    "spare_part": N_("Spare part"),
    "consumable": N_("Consumable"),
    # tracking and costing
    "none": N_("None"),
    "lot": N_("Lot"),
    "serial": N_("Serial number"),
    "fifo": N_("FIFO"),
    "moving_average": N_("Moving average"),
    # a record's status
    "active": N_("Active"),
    "inactive": N_("Inactive"),
    # location kinds
    "internal": N_("Internal storage"),
    "receiving": N_("Receiving"),
    "quality": N_("Quality / quarantine"),
    "shipping": N_("Shipping"),
    "supplier": N_("Supplier"),
    "customer": N_("Customer"),
    "adjustment": N_("Inventory adjustment"),
    "scrap": N_("Scrap"),
    "production": N_("Production"),
    "transit": N_("In transit"),
    # lot statuses
    "available": N_("Available"),
    "quarantine": N_("Quarantine"),
    "hold": N_("On hold"),
    "recalled": N_("Recalled"),
    "rejected": N_("Rejected"),
    # expiry statuses (computed on the company's day)
    "expired": N_("Expired"),
    "expiring_soon": N_("Expiring soon"),
    "ok": N_("Not expiring soon"),
    "no_expiry": N_("No expiry date"),
    # operations
    "receive": N_("Receive"),
    "issue": N_("Issue"),
    "move": N_("Transfer"),
    "adjust": N_("Adjust"),
    "reverse": N_("Reverse"),
    "import": N_("Import"),
    # how an item moves (the ageing report)
    "slow": N_("Slow-moving"),
    "dead": N_("Dead stock"),
    # when a lot expires (the expiry report), whether a line was on time or in full
    "within_30": N_("Within 30 days"),
    "within_60": N_("In 31 to 60 days"),
    "within_90": N_("In 61 to 90 days"),
    "yes": N_("Yes"),
    "no": N_("No"),
    # the unit of a key figure (the kpis report)
    "money": N_("Value"),
    "times": N_("times"),
    "days": N_("days"),
    "items": N_("items"),
    "percent": N_("%"),
}

REASONS: dict[str, str] = {
    "count_difference": N_("Difference found by a stock count"),
    "found": N_("Goods found"),
    "lost": N_("Goods lost or missing"),
    "damaged": N_("Damaged"),
    "expired": N_("Expired"),
    "theft": N_("Theft"),
    "data_correction": N_("Correction of a data-entry mistake"),
    "sample": N_("Samples given or taken"),
    "opening_balance": N_("Opening balance at go-live"),
    "other": N_("Other (explain in the note)"),
    "defective": N_("Defective / failed inspection"),
    "obsolete": N_("Obsolete"),
}

#: what NotFound's ``kind`` is called on the pages
KINDS: dict[str, str] = {
    "item": N_("Item"),
    "location": N_("Location"),
    "warehouse": N_("Warehouse"),
    "lot": N_("Lot"),
    "move": N_("Move"),
    "operation": N_("Operation"),
    "unit": N_("Unit"),
    "category": N_("Category"),
    "partner": N_("Partner"),
    "contact": N_("Contact"),
    "user": N_("User"),
    "barcode": N_("Barcode"),
    "supplier_item": N_("Supplier item"),
    "role": N_("Role"),
    "grant": N_("Role grant"),
    "token": N_("Token"),
    "company": N_("Company settings"),
    "count": N_("Stock counts"),
    "report": N_("Report"),
    "channel": N_("Delivery channel"),
    "delivery": N_("Delivery"),
    "subscription": N_("Subscription"),
    "job": N_("Background job"),
    "replenishment_levels": N_("Replenishment levels"),
    "override": N_("Override"),
}


#: built-in roles (custom roles show the name they were given)
ROLES: dict[str, str] = {
    "administrator": N_("Administrator"),
    "warehouse_manager": N_("Warehouse manager"),
    "purchaser": N_("Purchaser"),
    "receiving_clerk": N_("Receiving clerk"),
    "quality_inspector": N_("Quality inspector"),
    "picker_shipper": N_("Picker / shipper"),
    "stock_counter": N_("Stock counter"),
    "auditor": N_("Auditor"),
    "viewer": N_("Viewer"),
}
ROLE_HELP: dict[str, str] = {
    "administrator": N_("Everything, including users, roles and backups"),
    "warehouse_manager": N_("Runs a warehouse: every stock operation"),
    "purchaser": N_("Suppliers, purchase orders and their items"),
    "receiving_clerk": N_("Receives goods and puts them away"),
    "quality_inspector": N_("Inspects receipts, holds and releases lots"),
    "picker_shipper": N_("Picks, moves and ships goods"),
    "stock_counter": N_("Counts stock and posts counts"),
    "auditor": N_("Reads everything, including the audit trail; changes nothing"),
    "viewer": N_("Reads master data and stock"),
}
#: what each permission allows (a permission declared later shows its code until it has one)
PERMISSIONS: dict[str, str] = {
    "alert.acknowledge": N_("Acknowledge stock alerts"),
    "alert.check": N_("Check for stock alerts now"),
    "alert.subscribe": N_("Subscribe oneself to stock alerts"),
    "alert.view": N_("See stock alerts"),
    "audit.view": N_("See the audit trail"),
    "category.manage": N_("Create and change item categories"),
    "channel.manage": N_("Manage delivery channels, the delivery log and replays"),
    "checkpoint.take": N_("Take stock checkpoints"),
    "item.create": N_("Create items"),
    "item.deactivate": N_("Deactivate and reactivate items"),
    "item.update": N_("Change items, their units and barcodes"),
    "item.view": N_("See items"),
    "job.run": N_("Run background jobs now"),
    "job.view": N_("See background jobs and their runs"),
    "ledger.verify": N_("Verify the ledger and the audit trail"),
    "location.manage": N_("Create and change locations"),
    "lot.create": N_("Register lots and serial numbers"),
    "lot.status": N_("Hold, release, recall or reject lots"),
    "lot.update": N_("Change lot data"),
    "lot.view": N_("See lots and serial numbers"),
    "partner.create": N_("Create suppliers and customers"),
    "partner.update": N_("Change suppliers and customers, their contacts"),
    "partner.view": N_("See suppliers and customers"),
    "period.close": N_("Close accounting periods"),
    "period.view": N_("See closed periods"),
    "replenishment.manage": N_("Recompute replenishment levels and override them"),
    "replenishment.view": N_("See replenishment levels and their working"),
    "replenishment.order": N_("Turn replenishment suggestions into draft orders and transfers"),
    "budget.manage": N_("Set purchasing budgets"),
    "role.manage": N_("Create and change custom roles"),
    "stock.adjust": N_("Adjust stock (gains and losses)"),
    "stock.import": N_("Import moves from a file"),
    "stock.issue": N_("Issue goods"),
    "stock.receive": N_("Receive goods"),
    "stock.reserve": N_("Reserve and release stock"),
    "stock.reverse": N_("Reverse moves"),
    "stock.scrap": N_("Scrap goods"),
    "stock.transfer": N_("Transfer goods between locations"),
    "stock.view": N_("See stock, moves and history"),
    "supplier_item.manage": N_("Manage what suppliers supply"),
    "unit.create": N_("Create units of measure"),
    "user.manage": N_("Create users, give and take roles, disable users, set passwords"),
    "user.view": N_("See users and roles"),
    "valuation.view": N_("See what stock is worth"),
    "warehouse.create": N_("Create warehouses"),
    "warehouse.update": N_("Change warehouses"),
    "warehouse.view": N_("See warehouses and locations"),
    "item.import": N_("Import items from a file"),
    "category.import": N_("Import item categories from a file"),
    "warehouse.import": N_("Import warehouses from a file"),
    "location.import": N_("Import locations from a file"),
    "partner.import": N_("Import suppliers, customers and their contacts from a file"),
    "supplier_item.import": N_("Import what suppliers supply from a file"),
    "lot.import": N_("Import lots and serial numbers from a file"),
    "company.manage": N_("Change the company settings"),
    "documents.view": N_("See documents, their timelines and the task inbox"),
    "documents.assign": N_("Assign a document's next step to someone"),
    "po.edit": N_("Raise purchase orders"),
    "po.confirm": N_("Confirm purchase orders"),
    "po.approve": N_("Approve or reject purchase orders"),
    "po.close": N_("Cancel or close purchase orders"),
    "receipt.receive": N_("Receive goods against receipts"),
    "inspection.record": N_("Record inspection results"),
    "putaway.confirm": N_("Put received goods away"),
    "supplier_return.create": N_("Raise returns to suppliers"),
    "supplier_return.ship": N_("Send returns back to suppliers"),
    "documents.take": N_("Take a task yourself"),
    "notifications.view": N_("Read one's notifications"),
    "notifications.mark": N_("Mark one's notifications read"),
    "so.edit": N_("Raise, submit, cancel and close sales orders"),
    "so.approve": N_("Approve or reject sales orders"),
    "requisition.edit": N_("Raise, submit, cancel and close material requisitions"),
    "requisition.approve": N_("Approve or reject material requisitions"),
    "outbound.allocate": N_("Allocate stock to requests, release it and make pick lists"),
    "pick.confirm": N_("Confirm picks by scanning"),
    "shipment.ship": N_("Ship picked goods and record deliveries"),
    "customer_return.receive": N_("Register and receive customer returns"),
    "approval_rule.manage": N_("Set when outbound requests wait for approval"),
    "lot.recall": N_("Recall lots and lift recalls"),
    "adjustment.edit": N_("Raise, submit, post and cancel adjustments"),
    "adjustment.approve": N_("Approve or reject adjustments"),
    "reason_code.manage": N_("Keep the company's reason codes of adjustments and scrap"),
    "transfer.edit": N_("Raise, submit and cancel transfers"),
    "transfer.approve": N_("Approve or reject transfers between warehouses"),
    "transfer.dispatch": N_("Dispatch transfers from their bins"),
    "transfer.receive": N_("Receive transfers where they arrive"),
    "transfer.resolve": N_("Resolve what of a transfer did not arrive"),
    "count.manage": N_("Raise, start, count and close stock counts"),
    "count.approve": N_("Have count lines recounted, approve and post counts"),
}
PERMISSION_GROUPS: dict[str, str] = {
    "adjustment": N_("Adjustments"),
    "audit": N_("Audit trail"),
    "backup": N_("Backups"),
    "category": N_("Categories"),
    "channel": N_("Delivery channels"),
    "checkpoint": N_("Checkpoints"),
    "company": N_("Company settings"),
    "count": N_("Stock counts"),
    "item": N_("Items"),
    "job": N_("Background jobs"),
    "ledger": N_("Ledger"),
    "location": N_("Locations"),
    "lot": N_("Lots"),
    "partner": N_("Partners"),
    "period": N_("Periods"),
    "reason_code": N_("Reason codes"),
    "role": N_("Roles"),
    "stock": N_("Stock"),
    "supplier_item": N_("Supplied items"),
    "transfer": N_("Transfers"),
    "unit": N_("Units"),
    "user": N_("Users"),
    "valuation": N_("Valuation"),
    "warehouse": N_("Warehouses"),
}


def vocabulary(mapping: Mapping[str, str], code: str | None, lang: str) -> str:
    """The translated entry of ``code`` in ``mapping`` (the code itself when unknown)."""
    if code is None:
        return ""
    known = mapping.get(code)
    return translations(lang).gettext(known) if known else code


def label(code: str | None, lang: str) -> str:
    """The translated label of a vocabulary code (the code itself when unknown)."""
    if code is None:
        return ""
    known = LABELS.get(code)
    return translations(lang).gettext(known) if known else code


def reason_label(code: str | None, lang: str) -> str:
    if not code:
        return ""
    known = REASONS.get(code)
    if known:
        return translations(lang).gettext(known)
    return ADJUSTMENT_REASONS.get(code) or SCRAP_REASONS.get(code) or code


# ------------------------------------------------------------------ error messages

ERRORS: dict[str, str] = {
    "insufficient_stock": N_(
        "Not enough stock of %(item)s at %(location)s: %(requested)s requested, "
        "%(available)s available."
    ),
    "lot_required": N_("Item %(item)s is lot-tracked: enter a lot."),
    "invalid_over_receipt_tolerance": N_(
        "The over-receipt tolerance is a percentage from 0 to 100 with at most 2 decimals."
    ),
    "wrong_location_kind": N_("%(location)s is a %(kind)s location; a %(expected)s one is needed."),
    "putaway_rule_subject": N_(
        "A put-away rule names exactly one of: an item, a category, an item type."
    ),
    "putaway_rule_exists": N_("This warehouse already has this put-away rule for %(location)s."),
    "invalid_priority": N_("The priority is a whole number from 0 to 1,000,000."),
    "no_receiving_location": N_(
        "Warehouse %(warehouse)s has no receiving location: add one (kind receiving)."
    ),
    "no_quality_location": N_(
        "Warehouse %(warehouse)s has no quality location: add one (kind quality)."
    ),
    "below_minimum_order": N_("The supplier's minimum order of %(item)s is %(minimum)s."),
    "stock_under_inspection": N_(
        "%(item)s at %(location)s is under inspection and cannot be issued or reserved."
    ),
    "serial_required": N_("Item %(item)s is serial-tracked: enter a serial number."),
    "period_closed": N_("The period up to %(closed_through)s is closed; choose a later date."),
    "idempotency_key_reused": N_("This form was already submitted with different values."),
    "concurrent_update": N_("The database was busy; please try again."),
    "version_conflict": N_("Someone else changed this record meanwhile; reload and try again."),
    "duplicate": N_("A record with this value already exists."),
    "invalid_number": N_("Enter a number."),
    "number_too_large": N_("The number is too large."),
    "quantity_not_positive": N_("The quantity must be greater than zero."),
    "quantity_zero": N_("An adjustment needs a non-zero quantity."),
    "too_many_decimals": N_("Too many decimal places for this unit."),
    "negative_cost": N_("The unit cost must not be negative."),
    "negative_value": N_("The value must not be negative."),
    "note_too_long": N_("The note is too long."),
    "invalid_code": N_("Invalid code: use 1 to 64 characters without spaces at either end."),
    "invalid_name": N_("Enter a name."),
    "invalid_item_type": N_("Choose an item type."),
    "invalid_tracking": N_("Choose a tracking method."),
    "invalid_costing_method": N_("Choose a costing method."),
    "invalid_stock_levels": N_(
        "Stock levels must satisfy safety stock ≤ reorder point ≤ maximum stock."
    ),
    "invalid_days": N_("Enter a whole number of days from 0 to 36500."),
    "invalid_factor": N_("A unit factor must be a number greater than zero."),
    "invalid_barcode": N_("Invalid barcode."),
    "invalid_date": N_("Enter a date as YYYY-MM-DD."),
    "invalid_datetime": N_("Enter a date and time as YYYY-MM-DD HH:MM."),
    "invalid_location_kind": N_("Choose a location kind."),
    "invalid_level": N_("A level has 1 to 20 characters."),
    "invalid_lot_status": N_("Choose a lot status."),
    "invalid_lot_code": N_("Invalid lot code."),
    "invalid_layout": N_("Choose a label layout."),
    "invalid_copies": N_("Copies must be a whole number from 1 to %(limit)s."),
    "invalid_skip": N_("Positions to skip must be from 0 to %(limit)s on this sheet."),
    "invalid_symbol": N_("Choose a symbol: automatic, QR code or DataMatrix."),
    "no_labels": N_("Nothing to print: tick the rows to print, or print all found."),
    "too_many_labels": N_(
        "At most %(limit)s labels at once (%(requested)s asked for): select fewer or print "
        "in parts."
    ),
    "lot_ambiguous": N_("Lot %(lot)s exists for several items: name the item."),
    "invalid_email": N_("Enter a valid email address."),
    "invalid_issue_target": N_("Issue to a customer or to production."),
    "item_code_taken": N_("An item with code %(item)s already exists."),
    "barcode_taken": N_("Barcode %(barcode)s already belongs to another item."),
    "duplicate_barcode": N_("Barcode %(barcode)s is listed twice."),
    "duplicate_unit": N_("Unit %(unit)s is listed twice."),
    "base_unit_conversion": N_("%(unit)s is the base unit; it needs no conversion."),
    "unit_not_convertible": N_("The item has no conversion for unit %(unit)s."),
    "unit_conflicts_with_barcode": N_(
        "Barcode %(barcode)s is one %(barcode_unit)s of %(item)s: leave the unit empty or give "
        "%(barcode_unit)s."
    ),
    "item_has_moves": N_(
        "The base unit, tracking and costing method cannot change: the item has stock moves."
    ),
    "item_inactive": N_("Item %(item)s is deactivated."),
    "item_not_lot_tracked": N_("This item is not lot-tracked."),
    "item_not_serial_tracked": N_("This item is not serial-tracked."),
    "item_is_serial_tracked": N_("This item is serial-tracked: register serial numbers instead."),
    "item_type_not_allowed": N_("This location does not accept items of this type."),
    "lot_not_allowed": N_("Item %(item)s is not lot- or serial-tracked; leave the lot empty."),
    "lot_not_available": N_("This lot is not available (quarantine, hold, recalled or rejected)."),
    "lot_expired": N_(
        "Lot %(lot)s of %(item)s expired on %(expires_on)s; warehouse %(warehouse)s does not"
        " issue or reserve expired lots (scrap it, or move it to quarantine)."
    ),
    "reason_not_allowed": N_("A %(operation)s takes no reason code; leave it empty."),
    "unit_cost_not_allowed": N_(
        "A unit cost is given only where goods arrive; this %(operation)s takes the cost of "
        "the stock it moves."
    ),
    "location_warehouse_mismatch": N_(
        "%(location)s belongs to another warehouse than %(storage_location)s."
    ),
    "lot_item_mismatch": N_("Lot %(lot)s belongs to another item."),
    "location_capacity_exceeded": N_(
        "Location %(location)s holds at most %(capacity)s; this would make %(would_hold)s."
    ),
    "serial_in_stock": N_("Serial number %(serial)s of %(item)s is already in stock."),
    "category_cycle": N_("Category %(parent)s is inside the category being moved."),
    "category_path_mismatch": N_(
        "Category %(category)s is under %(parent)s, not where the path puts it."
    ),
    "invalid_list": N_("Write a list as name=value entries separated by semicolons."),
    "invalid_currency": N_("A currency is a three-letter ISO 4217 code such as CNY or USD."),
    "currency_required": N_("A price needs its currency."),
    "opening_stock_exists": N_(
        "The opening balance of %(item)s at %(location)s is already posted with another "
        "quantity or value; correct it with an adjustment."
    ),
    "csv_malformed": N_("Row %(row)s cannot be read as CSV."),
    "lot_code_taken": N_("Item %(item)s already has lot %(lot)s."),
    "serial_taken": N_("Item %(item)s already has serial number %(lot)s."),
    "serial_quantity_not_one": N_("A serial number moves with quantity 1."),
    "expiry_before_manufacture": N_("The expiry date is before the manufacture date."),
    "same_location": N_("The source and destination must differ."),
    "location_inactive": N_("This location is deactivated."),
    "location_kind_not_allowed": N_("This operation is not allowed at this kind of location."),
    "location_code_taken": N_("This location code is already taken."),
    "location_code_reserved": N_("This location code is reserved for virtual locations."),
    "location_has_stock": N_("The location or a location below it still holds stock."),
    "location_has_active_children": N_("The location has active locations below it."),
    "location_cycle": N_("A location cannot move below itself."),
    "not_storage_location": N_("A default location must be a storage location."),
    "virtual_kind_reserved": N_("Virtual locations are created with their warehouse."),
    "virtual_parent": N_("A virtual location cannot have sub-locations."),
    "virtual_location_fixed": N_("Only the name of a virtual location may change."),
    "parent_inactive": N_("The parent location is deactivated."),
    "cross_warehouse_move": N_("A location cannot move to another warehouse."),
    "warehouse_code_taken": N_("Warehouse code %(warehouse)s is already taken."),
    "warehouse_has_stock": N_("Warehouse %(warehouse)s still holds stock."),
    "warehouse_inactive": N_("This warehouse is deactivated."),
    "warehouse_mismatch": N_("The parent location belongs to another warehouse."),
    "warehouse_required": N_("Choose the warehouse or the parent location."),
    "category_inactive": N_("This category is deactivated."),
    "category_code_taken": N_("This category code is already taken."),
    "partner_code_taken": N_("A partner with this code already exists."),
    "partner_needs_role": N_("A partner is a supplier, a customer or both."),
    "partner_not_supplier": N_("This partner is not a supplier."),
    "move_already_reversed": N_("This move is already reversed."),
    "cannot_reverse_reversal": N_("A reversal cannot be reversed; post a new move."),
    "effective_in_future": N_("The effective time cannot lie in the future."),
    "reason_required": N_("Choose a reason."),
    "unknown_reason_code": N_(
        "There is no reason code %(reason)s; choose one of these: %(allowed)s."
    ),
    "user_inactive": N_("The acting user is deactivated."),
    "release_exceeds_reserved": N_("More than reserved cannot be released."),
    "invalid_idempotency_key": N_("The form is damaged; reload the page."),
    "csv_missing_columns": N_(
        "The CSV file lacks a required column (item, quantity, from_location, to_location)."
    ),
    "csv_unknown_columns": N_("The CSV file has a column that is not known."),
    "csv_empty_cell": N_("Row %(row)s: the column %(column)s is empty."),
    "file_not_utf8": N_("The file is not UTF-8 text."),
    "import_cell_required": N_("This cell must not be empty."),
    "import_duplicate_row": N_("The same key is already in row %(first_row)s."),
    "invalid_boolean": N_("Enter true or false (yes/no, 1/0, 是/否)."),
    "file_unreadable": N_("The file cannot be read as CSV or XLSX."),
    "import_empty_file": N_("The file is empty or has no header row."),
    "invalid_operation": N_("Unknown operation."),
    "invalid_value": N_("A value cannot be stored (a NUL character or a number out of range)."),
    "permission_denied": N_("You are not allowed to do this."),
    # permission_denied naming what was refused (``PermissionDenied.to_do``): see error_message
    "permission_denied:permission": N_(
        "You are not allowed to do this: it needs the permission %(permission)s."
    ),
    "permission_denied:warehouse": N_(
        "You are not allowed to do this in warehouse %(warehouse)s: it needs the permission "
        "%(permission)s there."
    ),
    "csrf_failed": N_(
        "The form has expired or was not sent from this site; reload the page and try again."
    ),
    "not_authenticated": N_("Please sign in."),
    "too_many_attempts": N_("Too many failed sign-ins. Wait a few minutes and try again."),
    "separation_of_duties": N_(
        "Separation of duties: you cannot do this to your own account or your own request."
    ),
    "last_administrator": N_(
        "The last administrator of all warehouses cannot lose the role or be disabled."
    ),
    "weak_password": N_(
        "The password is too weak: use at least 10 characters, at least 4 different ones, "
        "not the user name and not a common password."
    ),
    "wrong_password": N_("The current password is wrong."),
    "passwords_differ": N_("The two new passwords differ."),
    "username_taken": N_("This user name is already taken."),
    "role_code_taken": N_("A role with this code already exists."),
    "role_inactive": N_("This role is not in use."),
    "builtin_role": N_("Built-in roles cannot be changed."),
    "unknown_permission": N_("Unknown permission %(permission)s."),
    "invalid_scope": N_("A scope must be a permission code or a pattern such as stock.*."),
    "token_cannot_mint": N_("A token cannot create tokens; sign in."),
    "route_not_found": N_("This page does not exist."),
    "method_not_allowed": N_("This page cannot be used this way."),
    "invalid_time_zone": N_(
        "%(time_zone)s is not a known time zone; choose one such as Asia/Shanghai."
    ),
    "invalid_unit_cost_places": N_("Unit cost decimals are a whole number from 0 to 6."),
    "invalid_expiring_soon_days": N_("Expiring soon is a whole number of days from 0 to 3650."),
    "scan_not_found": N_("Nothing has the code %(key)s: no item, barcode, location or lot."),
    "scan_empty": N_("The scan is empty."),
    "scan_too_long": N_("This scan is too long to be a barcode."),
    "gs1_unknown_ai": N_("This GS1 barcode has an application identifier cangku does not know."),
    "gs1_malformed": N_(
        "This GS1 barcode does not read: an element is missing, too long or holds a character "
        "it may not hold."
    ),
    "gs1_check_digit": N_("The check digit of GS1 element (%(ai)s) is wrong: scan it again."),
    "gs1_invalid_date": N_("GS1 element (%(ai)s) is not a valid date (YYMMDD)."),
    "invalid_sort": N_("This list cannot be sorted by “%(sort)s”. Sort by one of: %(allowed)s."),
    "invalid_cursor": N_(
        "This page link does not belong to this list and order: start again from the first page."
    ),
    "invalid_export_format": N_(
        "This list cannot be exported as “%(format)s”. Export as one of: %(allowed)s."
    ),
    "invalid_stock_filter": N_("The stock level filter is one of: %(allowed)s."),
    "invalid_balance_filter": N_("The balance filter is one of: %(allowed)s."),
    "invalid_series_days": N_("The range is one of: %(allowed)s days."),
    "invalid_chart_size": N_("The chart size is one of: %(allowed)s."),
    "lot_not_held": N_("Lot %(lot)s is not on hold, quarantined or recalled: nothing to release."),
    "lot_already_held": N_("Lot %(lot)s is already on hold."),
    "lot_already_quarantined": N_("Lot %(lot)s is already in quarantine."),
    "lot_already_recalled": N_("Lot %(lot)s is already recalled."),
    "lot_recalled": N_("Lot %(lot)s is recalled: release it first."),
    "lot_rejected": N_("Lot %(lot)s was rejected: change its status first."),
    "invalid_lot_verb": N_("Choose hold, quarantine, recall or release."),
    # adjustments and reason codes (issue 14)
    "reason_code_inactive": N_(
        "The reason code %(reason)s is no longer in use; choose one of these: %(allowed)s."
    ),
    "invalid_direction": N_("Choose gain, loss or scrap for each line."),
    "invalid_reason_code": N_("A reason code is 1 to 64 lower-case letters, digits or _."),
    "invalid_reason_kind": N_("Choose gain or loss, or scrap."),
    "reason_code_exists": N_("The reason code %(reason)s exists already."),
    "label_required": N_("Give the reason code's label."),
    # the cycle-count plan (issue 14)
    "nothing_due": N_("Nothing is due for counting in %(warehouse)s today."),
    "invalid_frequency": N_("A counting frequency is 1 to 3650 days."),
    "invalid_abc_class": N_("An ABC class is A, B or C."),
    "invalid_months": N_("ABC classes look back 1 to 60 months."),
    "no_changes": N_("Nothing was changed."),
    # the analysis reports (issue 15); the web names the field and the option in the page's
    # language (``web.reports``) before the message is made
    "invalid_report_date": N_("%(field)s: enter a day as YYYY-MM-DD."),
    "period_reversed": N_("The period starts on %(start)s, after its end on %(end)s."),
    "period_too_long": N_("A period covers at most %(most)s days."),
    "invalid_report_option": N_("%(option)s is one of: %(allowed)s."),
    "invalid_report_option:range": N_("%(option)s is a whole number from %(low)s to %(high)s."),
    "too_many_intervals": N_(
        "A trend shows at most %(most)s intervals: choose a longer interval or a shorter period."
    ),
    "compare_not_before": N_("Compare with a day before %(at)s (%(compare)s is not)."),
    "report_format_not_offered": N_("This report is downloaded as one of: %(offered)s."),
    "invalid_buckets": N_(
        "Age bands are up to eight ascending whole numbers of days from 1 to 3650, separated by "
        "commas."
    ),
}
NOT_FOUND = N_("%(kind)s %(key)s does not exist.")


def _shown(value: Any) -> Any:
    """A data value in a message: lists as "a, b, c", nothing as ""."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else value


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def error_message(error: CangkuError, lang: str) -> str:
    """The human message of a domain error in ``lang`` (the error's English one when the code
    has no entry in the catalogue)."""
    gettext_ = translations(lang).gettext
    data = _Lenient({k: _shown(v) for k, v in error.data.items()})
    template = ERRORS.get(error.code)
    if error.code == "permission_denied" and error.data.get("permission"):
        variant = "warehouse" if error.data.get("warehouse") else "permission"
        template = ERRORS[f"permission_denied:{variant}"]
    if error.code == "invalid_report_option" and "allowed" not in error.data:
        template = ERRORS["invalid_report_option:range"]
    if template is None and error.code.endswith("_not_found"):
        kind = error.code.removesuffix("_not_found")
        data["kind"] = gettext_(KINDS[kind]) if kind in KINDS else kind
        template = NOT_FOUND
    if template is None:
        return error.message
    try:
        return gettext_(template) % data
    except (TypeError, ValueError):
        return error.message


def translated(mapping: Mapping[str, str], lang: str) -> dict[str, str]:
    """A code -> label mapping with its labels translated."""
    gettext_ = translations(lang).gettext
    return {code: gettext_(text) for code, text in mapping.items()}
