"""The operation pages' scan field: what a scan fills in, where the cursor goes next, and what
stays for the next scan after a post.

A scan is read on the server (``services/scans.py``), the same way with or without the page's
script (``static/scanner.js``): without it, the scanner's Enter presses the form's first
button (Check) and the page comes back with the fields filled; with it, the script asks
``POST /stock/operations/{name}/scan`` and fills the fields in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from cangku.services.scans import ScanResult

#: the location fields a scanned location fills: the first empty one of the operation's, else
#: its last (a transfer: from, then to)
LOCATION_FIELDS = ("from_location", "to_location", "location")
#: what stays on the form for the next scan after a post (the place, the reason, the partner)
STICKY_FIELDS = (
    "to_location",
    "from_location",
    "location",
    "reason_code",
    "to",
    "supplier",
    "customer",
)
#: fields typed by hand after a scan, in the order the cursor visits them
TYPED_FIELDS = ("quantity", "reason_code", "move_id")


def merge_scan(fields: Sequence[str], values: dict[str, str], scan: ScanResult) -> dict[str, str]:
    """``values`` with what ``scan`` names put in the operation's ``fields``; the scan field
    emptied for the next scan."""
    merged = dict(values)
    merged["scan"] = ""
    present = set(fields)

    def put(field: str, value: object) -> None:
        if field in present and value is not None:
            merged[field] = str(value)

    if scan.item is not None and "item" in present:
        if scan.unit is not None or merged.get("item", "") != scan.item:
            merged["unit"] = scan.unit or ""  # another item: its barcode's unit, else the base
        merged["item"] = scan.item
    put("lot", scan.lot)
    put("expires_on", scan.expires_on.isoformat() if scan.expires_on else None)
    put("manufactured_on", scan.manufactured_on.isoformat() if scan.manufactured_on else None)
    put("quantity", scan.quantity)
    targets = [field for field in LOCATION_FIELDS if field in present]
    if scan.location is not None and targets:
        empty = [field for field in targets if not merged.get(field, "").strip()]
        merged[(empty or targets[-1:])[0]] = scan.location
    return merged


def next_focus(fields: Sequence[str], values: dict[str, str]) -> str:
    """Where the cursor goes: back to the scan field while a scanned field is missing, else
    the first empty typed field (the quantity after an item), else the scan field."""
    for field in fields:
        if field in ("item", *LOCATION_FIELDS) and not values.get(field, "").strip():
            return "scan"
    for field in TYPED_FIELDS:
        if field in fields and not values.get(field, "").strip():
            return field
    return "scan"


def sticky_query(fields: Sequence[str], values: dict[str, str]) -> str:
    """The query string that keeps the sticky fields on the form after a post ("" if none)."""
    kept = {
        field: values[field].strip()
        for field in STICKY_FIELDS
        if field in fields and values.get(field, "").strip()
    }
    return f"?{urlencode(kept)}" if kept else ""
