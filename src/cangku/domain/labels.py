"""Labels to scan: what a label says, where it sits on its page, and the GS1 element string of
its DataMatrix.

A label carries its code as a Code 128 bar code (when the code is printable ASCII, all Code 128
can carry) and a 2-D symbol: a GS1 DataMatrix when the item has a GTIN (AI 01, with the lot's
expiry, AI 17, and its lot, AI 10, or serial, AI 21), else a QR code of the code. Layouts are
the common label stocks: A4 sheets (a grid of labels) or a label printer's roll (one label per
page). Sizes are millimetres; positions count from the page's bottom-left corner, as in PDF.
What a label's GS1 DataMatrix carries reads back through ``domain.gs1`` (the scan fields).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cangku.domain.errors import InvalidInput
from cangku.domain.gs1 import GS, check_digit

__all__ = [
    "DEFAULT_LAYOUT",
    "LAYOUTS",
    "MAX_COPIES",
    "MAX_LABELS",
    "Label",
    "Layout",
    "Placement",
    "Symbol",
    "as_gtin14",
    "check_copies",
    "check_count",
    "check_layout",
    "check_skip",
    "check_symbol",
    "code128_can_carry",
    "gs1_bracketed",
    "gs1_elements",
    "gs1_transmitted",
    "item_gtin",
    "item_label",
    "location_label",
    "lot_label",
    "placements",
]

#: labels in one PDF (labels x copies): 21 A4 sheets of 24, or a long roll
MAX_LABELS = 500
MAX_COPIES = 100


@dataclass(frozen=True)
class Layout:
    """A label stock: the page, the label, and (for sheets) the grid and its margins."""

    name: str
    description: str
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int = 1
    rows: int = 1
    left: float = 0.0  # page edge to the first column
    top: float = 0.0  # page edge to the first row
    column_gap: float = 0.0
    row_gap: float = 0.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


A4 = (210.0, 297.0)

LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            "a4-3x8",
            "A4 sheet, 3 x 8 labels of 70 x 37 mm (24 per sheet, no margins)",
            *A4,
            70.0,
            37.0,
            columns=3,
            rows=8,
            top=0.5,
        ),
        Layout(
            "a4-2x7",
            "A4 sheet, 2 x 7 labels of 99.1 x 38.1 mm (14 per sheet)",
            *A4,
            99.1,
            38.1,
            columns=2,
            rows=7,
            left=4.65,
            top=15.15,
            column_gap=2.5,
        ),
        Layout("62x29", "label printer, one 62 x 29 mm label per page", 62.0, 29.0, 62.0, 29.0),
        Layout("100x50", "label printer, one 100 x 50 mm label per page", 100.0, 50.0, 100.0, 50.0),
    )
}
DEFAULT_LAYOUT = "a4-3x8"


class Symbol(StrEnum):
    """The 2-D symbol beside the Code 128: ``auto`` is a GS1 DataMatrix where there is a GTIN,
    else a QR code; ``datamatrix`` without a GTIN is a plain DataMatrix of the code."""

    AUTO = "auto"
    QR = "qr"
    DATAMATRIX = "datamatrix"


def check_layout(name: str) -> Layout:
    """The layout ``name``; InvalidInput ``invalid_layout`` naming the allowed ones."""
    found = LAYOUTS.get(name)
    if found is None:
        raise InvalidInput(
            f"layout must be one of {', '.join(LAYOUTS)}",
            code="invalid_layout",
            layout=str(name)[:40],
            allowed=list(LAYOUTS),
        )
    return found


def check_symbol(value: str) -> Symbol:
    try:
        return Symbol(value)
    except ValueError:
        raise InvalidInput(
            f"symbol must be one of {', '.join(s.value for s in Symbol)}",
            code="invalid_symbol",
            symbol=str(value)[:40],
            allowed=[s.value for s in Symbol],
        ) from None


def check_copies(copies: int) -> int:
    if not 1 <= copies <= MAX_COPIES:
        raise InvalidInput(
            f"copies must be between 1 and {MAX_COPIES}", code="invalid_copies", limit=MAX_COPIES
        )
    return copies


def check_skip(skip: int, layout: Layout) -> int:
    """Positions left empty on the first sheet (a sheet already partly used)."""
    if not 0 <= skip < layout.per_page:
        raise InvalidInput(
            f"skip must be between 0 and {layout.per_page - 1} for layout {layout.name}",
            code="invalid_skip",
            limit=layout.per_page - 1,
        )
    return skip


def check_count(found: int, copies: int) -> int:
    """The number of labels to print; InvalidInput ``no_labels`` for none, ``too_many_labels``
    (with ``limit`` and ``requested``) over ``MAX_LABELS``."""
    requested = found * copies
    if found == 0:
        raise InvalidInput("nothing to print: no labels were selected", code="no_labels")
    if requested > MAX_LABELS:
        raise InvalidInput(
            f"at most {MAX_LABELS} labels at once ({requested} asked for); "
            "select fewer or print in parts",
            code="too_many_labels",
            limit=MAX_LABELS,
            requested=requested,
        )
    return requested


@dataclass(frozen=True)
class Placement:
    """Where one label goes: its page (0-based) and its bottom-left corner in mm."""

    page: int
    x: float
    y: float


def placements(count: int, layout: Layout, skip: int = 0) -> list[Placement]:
    """The places of ``count`` labels, row by row from the top left, after ``skip`` empty
    positions on the first page."""
    found = []
    for index in range(skip, skip + count):
        page, slot = divmod(index, layout.per_page)
        row, column = divmod(slot, layout.columns)
        x = layout.left + column * (layout.label_width + layout.column_gap)
        top = layout.top + row * (layout.label_height + layout.row_gap)
        found.append(Placement(page, x, layout.page_height - top - layout.label_height))
    return found


# ------------------------------------------------------------------ GS1

#: what GS1 allows in AI 10 and 21 (the 82 characters of "CSET 82")
GS1_CHARACTERS = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
#: the longest value of each AI cangku writes
GS1_AIS = {"01": 14, "17": 6, "10": 20, "21": 20}
VARIABLE_AIS = frozenset({"10", "21"})


def as_gtin14(barcode: str) -> str | None:
    """``barcode`` as a 14-digit GTIN when it is a GTIN-8, -12 (UPC-A), -13 (EAN) or -14 with a
    right check digit; None otherwise."""
    if len(barcode) not in (8, 12, 13, 14) or not barcode.isascii() or not barcode.isdigit():
        return None
    if check_digit(barcode[:-1]) != int(barcode[-1]):
        return None
    return barcode.zfill(14)


def item_gtin(barcodes: Iterable[tuple[str, str | None]]) -> str | None:
    """The GTIN of an item's base unit: its first barcode without a unit that is a GTIN
    (a box's barcode names its unit and identifies the box, not the item)."""
    for barcode, unit in barcodes:
        if unit is None and (gtin := as_gtin14(barcode)) is not None:
            return gtin
    return None


def _gs1_value(value: str, ai: str) -> bool:
    return 0 < len(value) <= GS1_AIS[ai] and all(ch in GS1_CHARACTERS for ch in value)


def gs1_elements(
    gtin: str | None,
    expires_on: date | None = None,
    lot: str | None = None,
    *,
    serial: bool = False,
) -> tuple[tuple[str, str], ...] | None:
    """The GS1 element string as (AI, value) pairs: GTIN (01), expiry (17, YYMMDD), then the
    lot (10) or serial (21) last, so the only variable-length field needs no separator.

    None without a GTIN, or when the lot code is not what GS1 allows (at most 20 of its 82
    characters): a label then shows a QR code of its code instead."""
    if gtin is None or len(gtin) != 14 or as_gtin14(gtin) != gtin:
        return None
    elements = [("01", gtin)]
    if expires_on is not None:
        elements.append(("17", expires_on.strftime("%y%m%d")))
    if lot is not None:
        ai = "21" if serial else "10"
        if not _gs1_value(lot, ai):
            return None
        elements.append((ai, lot))
    return tuple(elements)


def gs1_bracketed(elements: Sequence[tuple[str, str]]) -> str:
    """The element string with bracketed AIs, as the DataMatrix encoder takes it:
    ``[01]06901234567892[17]261231[10]L7``."""
    return "".join(f"[{ai}]{value}" for ai, value in elements)


def gs1_transmitted(elements: Sequence[tuple[str, str]]) -> str:
    """What a scanner sends after the symbol's leading FNC1 (symbology identifier ``]d2``):
    the AIs and values run together, a GS after a variable-length value that is not last."""
    parts = []
    for index, (ai, value) in enumerate(elements):
        parts.append(ai + value)
        if ai in VARIABLE_AIS and index < len(elements) - 1:
            parts.append(GS)
    return "".join(parts)


# ------------------------------------------------------------------ what a label says


@dataclass(frozen=True)
class Label:
    """One label: ``code`` goes into the Code 128 and the QR code; ``title`` and ``lines`` are
    the text under the symbols; ``gs1`` the DataMatrix's element string (None: no GTIN)."""

    code: str
    title: str
    lines: tuple[str, ...]
    gs1: tuple[tuple[str, str], ...] | None = None


def code128_can_carry(code: str) -> bool:
    """Code 128 carries printable ASCII only (a code in Chinese goes into the QR code)."""
    return bool(code) and all(32 <= ord(ch) < 127 for ch in code)


def item_label(code: str, name: str, barcodes: Iterable[tuple[str, str | None]]) -> Label:
    gtin = item_gtin(barcodes)
    lines = (name, f"GTIN {gtin}") if gtin else (name,)
    return Label(code, code, lines, gs1_elements(gtin))


def lot_label(
    item_code: str,
    item_name: str,
    barcodes: Iterable[tuple[str, str | None]],
    lot: str,
    expires_on: date | None,
    *,
    serial: bool = False,
) -> Label:
    """A lot's (or serial's) label: the Code 128 carries the lot code, the DataMatrix the
    item's GTIN with the expiry and the lot."""
    gtin = item_gtin(barcodes)
    lines = [item_name, f"{'SN' if serial else 'LOT'} {lot}"]
    if expires_on is not None:
        lines.append(f"EXP {expires_on.isoformat()}")
    return Label(lot, item_code, tuple(lines), gs1_elements(gtin, expires_on, lot, serial=serial))


def location_label(code: str, name: str, path: Sequence[str]) -> Label:
    """A location's label; ``path`` is its warehouse and the locations above it."""
    return Label(code, code, (name, " › ".join(path)) if path else (name,))
