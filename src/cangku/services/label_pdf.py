"""Drawing labels into a PDF: reportlab for the page, the text and the Code 128; zxing-cpp (its
zint-based writer) for the 2-D symbols, a real GS1 DataMatrix (FNC1 first) and QR codes with
UTF-8 (ADR 0017).

On each label the Code 128 sits at the top left, the 2-D symbol at the top right, and the text
under them: the title in bold, then the lines, shrunk to fit and cut with "…" where too long.
Chinese text uses the embedded subset of a TrueType CJK font (cangku.services.pdf_fonts); Latin
text uses Helvetica.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

import zxingcpp
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from cangku.domain.labels import (
    Label,
    Layout,
    Symbol,
    code128_can_carry,
    gs1_bracketed,
    placements,
)
from cangku.services.pdf_fonts import cjk_font

__all__ = ["render_pdf", "symbol_input"]

LATIN = ("Helvetica", "Helvetica-Bold")
#: the largest module of a 2-D symbol, in mm (a short code need not fill a whole corner)
MAX_MODULE = 1.0
MAX_BAR = 0.33  # Code 128 narrow bar
GAP = 2.0


@dataclass(frozen=True)
class Matrix:
    """A 2-D symbol's modules (True: dark), rows top down, and its quiet zone in modules."""

    rows: list[list[bool]]
    quiet: int


def symbol_input(label: Label, symbol: Symbol) -> tuple[str, str, bool]:
    """What the 2-D symbol of ``label`` encodes: (kind ``qr`` / ``datamatrix``, the encoder's
    input, GS1 mode). A GS1 DataMatrix takes the bracketed element string."""
    if symbol is not Symbol.QR and label.gs1 is not None:
        return "datamatrix", gs1_bracketed(label.gs1), True
    if symbol is Symbol.DATAMATRIX:
        return "datamatrix", label.code, False
    return "qr", label.code, False


def _matrix(kind: str, content: str, gs1: bool) -> Matrix:
    if kind == "datamatrix":
        created = zxingcpp.create_barcode(
            content, zxingcpp.BarcodeFormat.DataMatrix, gs1=gs1, force_square=True
        )
        quiet = 1
    else:
        created = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
        quiet = 4
    image = memoryview(created.to_image(scale=1, add_quiet_zones=False))  # type: ignore[arg-type]
    height, width = image.shape or (0, 0)
    data = image.tobytes()
    rows = [[data[r * width + c] < 128 for c in range(width)] for r in range(height)]
    return Matrix(rows, quiet)


def _font(text: str, bold: bool = False) -> str:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return cjk_font()
    return LATIN[1] if bold else LATIN[0]


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with "…" to ``width`` (points)."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _draw_matrix(canvas: Canvas, matrix: Matrix, x: float, top: float, module: float) -> None:
    """Dark modules as filled squares, a row's run of dark modules as one rectangle."""
    for r, row in enumerate(matrix.rows):
        y = top - (matrix.quiet + r + 1) * module
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            left = x + (matrix.quiet + start) * module
            canvas.rect(left, y, (c - start) * module, module, stroke=0, fill=1)


def _draw_label(
    canvas: Canvas, label: Label, matrix: Matrix, layout: Layout, x: float, y: float
) -> None:
    pad = min(3.0, max(1.5, layout.label_height * 0.06)) * mm
    inner_w = layout.label_width * mm - 2 * pad
    inner_h = layout.label_height * mm - 2 * pad
    left, top = x * mm + pad, y * mm + layout.label_height * mm - pad

    band = min(inner_h * 0.45, 18 * mm)  # the symbols' height, the same on every label
    tall = len(matrix.rows) + 2 * matrix.quiet
    wide = len(matrix.rows[0]) + 2 * matrix.quiet
    module = min(MAX_MODULE * mm, band / tall, inner_w * 0.35 / wide)
    side = module * wide
    _draw_matrix(canvas, matrix, left + inner_w - side, top, module)

    if code128_can_carry(label.code):
        probe = Code128(label.code, barWidth=1, humanReadable=0, quiet=0)
        room = inner_w - side - GAP * mm
        bar = min(MAX_BAR * mm, room / (probe.width + 20))
        bars = Code128(label.code, barWidth=bar, barHeight=band - 1 * mm, humanReadable=0, quiet=0)
        bars.drawOn(canvas, left + 10 * bar, top - band + 1 * mm)

    lines = [(label.title, True), *((line, False) for line in label.lines if line)]
    text_h = inner_h - band - 1 * mm
    size = min(layout.label_height * 0.3, text_h / (1.25 * len(lines)))  # points
    size = max(5.0, size)
    baseline = top - band - 1 * mm
    for number, (text, bold) in enumerate(lines):
        face_size = size * (1.15 if number == 0 else 1.0)
        baseline -= face_size * 1.2
        font = _font(text, bold)
        canvas.setFont(font, face_size)
        canvas.drawString(left, baseline, _fit(text, font, face_size, inner_w))


def render_pdf(
    labels: Sequence[Label], layout: Layout, symbol: Symbol, copies: int = 1, skip: int = 0
) -> tuple[bytes, int]:
    """The PDF of ``labels`` (each ``copies`` times, one after the other) on ``layout``,
    starting after ``skip`` positions; returns the PDF and its page count."""
    buffer = BytesIO()
    canvas = Canvas(
        buffer, pagesize=(layout.page_width * mm, layout.page_height * mm), invariant=True
    )
    canvas.setTitle("cangku labels")
    canvas.setCreator("cangku")
    every = [label for label in labels for _ in range(copies)]
    matrices: dict[tuple[str, str, bool], Matrix] = {}
    page = 0
    for label, place in zip(every, placements(len(every), layout, skip), strict=True):
        if place.page != page:
            canvas.showPage()
            page = place.page
        key = symbol_input(label, symbol)
        if key not in matrices:
            matrices[key] = _matrix(*key)
        _draw_label(canvas, label, matrices[key], layout, place.x, place.y)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue(), page + 1
