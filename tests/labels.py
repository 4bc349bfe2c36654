"""Reading label PDFs back in the tests: the page count and size (pypdf) and what every bar code
on each page decodes to (the page rendered by pypdfium2 at 300 dpi, read by zxing-cpp)."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import pypdfium2
import zxingcpp
from pypdf import PdfReader

MM = 72 / 25.4


@dataclass(frozen=True)
class Decoded:
    """One bar code as a scanner reports it: format, symbology identifier (``]d2`` = GS1
    DataMatrix, its FNC1 first), and the bytes (a GS, ``\\x1d``, for each later FNC1)."""

    format: str
    symbology: str
    content: bytes


def pages_of(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's size in mm (rounded to 0.1)."""
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(BytesIO(pdf))
    return [
        (round(float(p.mediabox.width) / MM, 1), round(float(p.mediabox.height) / MM, 1))
        for p in reader.pages
    ]


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def decoded(pdf: bytes) -> list[list[Decoded]]:
    """What each page's bar codes decode to, sorted by format and content."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        found = []
        for index in range(len(document)):
            image = document[index].render(scale=300 / 72).to_pil()
            codes = zxingcpp.read_barcodes(image)
            found.append(
                sorted(
                    (Decoded(c.format.name, c.symbology_identifier, c.bytes) for c in codes),
                    key=lambda d: (d.format, d.content),
                )
            )
        return found
    finally:
        document.close()
