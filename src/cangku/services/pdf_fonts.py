"""The font for Chinese text in cangku's PDFs (labels, delivery notes).

WenQuanYi Micro Hei (Apache-2.0), installed from PyPI with the ``paperang-p2-fonts-cjk``
package: a TrueType-outline collection that reportlab embeds as a subset (only the glyphs a
document uses, a few kB each), so every viewer shows the text; pdfium and Chrome's viewer show
nothing for the non-embedded STSong-Light CID font. Without the package (a trimmed install),
STSong-Light is the fallback: the PDF stays valid, readers with Adobe's CJK fonts show it.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

__all__ = ["EMBEDDED_CJK", "FALLBACK_CJK", "cjk_font"]

EMBEDDED_CJK = "WenQuanYiMicroHei"
FALLBACK_CJK = "STSong-Light"
_PACKAGE, _FILE = "paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc"


@cache
def cjk_font() -> str:
    """The registered name of the Chinese font, registered on first use (reading the 5 MB
    collection costs about a tenth of a second, once per process)."""
    try:
        path = files(_PACKAGE).joinpath(_FILE)
        with path.open("rb") as source:  # a file object: works from a zip too
            font = TTFont(EMBEDDED_CJK, source, subfontIndex=0)
    except (ImportError, OSError, TTFError):
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CJK))
        return FALLBACK_CJK
    pdfmetrics.registerFont(font)
    return EMBEDDED_CJK
