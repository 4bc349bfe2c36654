"""GS1 element strings: what a GS1-128 or GS1 DataMatrix (or GS1 QR) barcode carries.

A GS1 barcode holds a series of *application identifiers* (AIs) with their values::

    ]d2 01 09501101530003 17 261231 10 L42 <GS> 21 SN7 <GS> 30 12

Fixed-length values (GTIN, dates) simply end; a variable-length one (lot, serial, count)
ends at the group separator (GS, ``\\x1d``, the barcode's FNC1) or at the end of the string.
A scanner may put a symbology identifier in front (``]C1`` GS1-128, ``]d2`` DataMatrix,
``]Q3`` QR, ``]e0`` DataBar). The human-readable form under the bars writes the AIs in
parentheses: ``(01)09501101530003(17)261231(10)L42``. Both are read here, the same way by
every face (web page, API, CLI).

What cangku uses: 01 GTIN (-> item and unit), 10 lot, 21 serial, 17 expiry, 11 production
date, 30 / 37 count (-> quantity). Other common AIs are understood so that a label carrying
them still reads, and kept in ``elements``.

Rules (GS1 General Specifications):
- a GTIN (AI 01, 02) and an SSCC (AI 00) end with a mod-10 check digit, checked here;
- dates are YYMMDD; day 00 means the last day of the month; the century is the one that puts
  the year within 49 years back and 50 years ahead of ``today`` (the sliding window).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from cangku.domain.errors import InvalidInput

__all__ = [
    "GS",
    "Gs1Data",
    "check_digit",
    "gtin_forms",
    "is_valid_gtin",
    "parse",
    "read",
]

#: the group separator: what a barcode's FNC1 becomes in the scanned text
GS = "\x1d"
#: a printable stand-in some scanners can be set to send for GS ("␝", U+241D)
_GS_SYMBOL = "\u241d"
#: symbology identifiers of the GS1 barcodes (ISO/IEC 15424)
SYMBOLOGY_PREFIXES = ("]C1", "]d2", "]Q3", "]e0", "]J1")


@dataclass(frozen=True)
class _Spec:
    name: str
    #: fixed value length, else None (variable, up to ``longest``, ended by GS)
    length: int | None
    longest: int
    numeric: bool
    date: bool = False
    checked: bool = False


def _fixed(name: str, length: int, *, checked: bool = False, is_date: bool = False) -> _Spec:
    return _Spec(name, length, length, numeric=True, date=is_date, checked=checked)


def _text(name: str, longest: int) -> _Spec:
    return _Spec(name, None, longest, numeric=False)


def _count(name: str) -> _Spec:
    return _Spec(name, None, 8, numeric=True)


_AIS: dict[str, _Spec] = {
    "00": _fixed("sscc", 18, checked=True),
    "01": _fixed("gtin", 14, checked=True),
    "02": _fixed("content_gtin", 14, checked=True),
    "10": _text("lot", 20),
    "11": _fixed("produced_on", 6, is_date=True),
    "12": _fixed("due_on", 6, is_date=True),
    "13": _fixed("packed_on", 6, is_date=True),
    "15": _fixed("best_before", 6, is_date=True),
    "16": _fixed("sell_by", 6, is_date=True),
    "17": _fixed("expires_on", 6, is_date=True),
    "20": _fixed("variant", 2),
    "21": _text("serial", 20),
    "22": _text("consumer_product_variant", 20),
    "30": _count("count"),
    "37": _count("count_of_trade_items"),
    "240": _text("additional_item_id", 30),
    "241": _text("customer_part_number", 30),
    "250": _text("secondary_serial", 30),
    "251": _text("reference_to_source", 30),
    "400": _text("order_number", 30),
    "401": _text("consignment_number", 30),
    "410": _fixed("ship_to_gln", 13, checked=True),
    "414": _fixed("location_gln", 13, checked=True),
    "7003": _fixed("expires_at", 10),
}
# measures (310n net weight kg ... 369n): four-digit AIs, six digits, n = decimal places
for _prefix in range(310, 370):
    for _places in range(10):
        _AIS[f"{_prefix}{_places}"] = _fixed("measure", 6)

#: GS1 AI encodable character set 82 (what a lot or serial may hold)
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_HUMAN_READABLE = re.compile(r"\(([0-9]{2,4})\)")


@dataclass(frozen=True)
class Gs1Data:
    """The elements of one GS1 barcode, in order (AI, value as scanned), and what they mean."""

    elements: tuple[tuple[str, str], ...]
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    expires_on: date | None = None
    produced_on: date | None = None
    #: AI 30 (count), else AI 37 (count of trade items)
    count: int | None = None


def _refuse(message: str, code: str, text: str, **data: object) -> InvalidInput:
    return InvalidInput(message, code=code, scan=text[:100], **data)


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of ``body`` (the digits before it): weights 3 and 1
    alternating from the rightmost digit, which weighs 3."""
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    """Whether ``code`` is a GTIN-8, -12, -13 or -14 (or another GS1 key) with a right check
    digit."""
    if len(code) < 2 or _DIGITS.fullmatch(code) is None:
        return False
    return check_digit(code[:-1]) == int(code[-1])


def gtin_forms(gtin: str) -> list[str]:
    """The ways an item's barcode may be stored for this GTIN-14: as scanned, then without
    the leading zeros that pad a GTIN-13 (EAN-13), GTIN-12 (UPC-A) or GTIN-8 (EAN-8)."""
    forms = [gtin]
    for shorter in (13, 12, 8):
        padding = gtin[: len(gtin) - shorter]
        if len(gtin) > shorter and padding == "0" * len(padding):
            forms.append(gtin[-shorter:])
    return forms


def gs1_date(value: str, today: date) -> date:
    """A YYMMDD date: day 00 is the month's last day; the century by the sliding window."""
    yy, month, day = int(value[:2]), int(value[2:4]), int(value[4:6])
    difference = yy - today.year % 100
    century = today.year // 100 * 100
    if 51 <= difference <= 99:
        century -= 100
    elif -99 <= difference <= -50:
        century += 100
    year = century + yy
    if not 1 <= month <= 12:
        raise ValueError("month")
    last = calendar.monthrange(year, month)[1]
    if day == 0:
        day = last
    return date(year, month, day)


def _strip(text: str) -> str:
    text = text.replace(_GS_SYMBOL, GS).strip(" \r\n\t")
    for prefix in SYMBOLOGY_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _ai_at(text: str, pos: int) -> str | None:
    for size in (2, 3, 4):
        candidate = text[pos : pos + size]
        if len(candidate) == size and candidate in _AIS:
            return candidate
    return None


def _split_raw(text: str) -> list[tuple[str, str]]:
    """Elements of an element string as a barcode carries it (GS after variable values)."""
    elements: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos] == GS:
            pos += 1
            continue
        ai = _ai_at(text, pos)
        if ai is None:
            raise _refuse(
                f"unknown GS1 application identifier at {text[pos : pos + 4]!r}",
                "gs1_unknown_ai",
                text,
                at=pos,
            )
        spec = _AIS[ai]
        start = pos + len(ai)
        if spec.length is not None:
            end = start + spec.length
        else:
            found = text.find(GS, start)
            end = len(text) if found < 0 else found
        elements.append((ai, text[start:end]))
        pos = end
    return elements


def _split_human_readable(text: str) -> list[tuple[str, str]]:
    """Elements of the form printed under the bars: ``(01)...(10)...``."""
    parts = _HUMAN_READABLE.split(text)
    if parts[0].strip(GS):
        raise _refuse("text before the first (AI)", "gs1_malformed", text)
    elements = []
    for ai, value in zip(parts[1::2], parts[2::2], strict=True):
        if ai not in _AIS:
            raise _refuse(
                f"unknown GS1 application identifier ({ai})", "gs1_unknown_ai", text, ai=ai
            )
        elements.append((ai, value.strip(GS)))
    return elements


def _check(ai: str, value: str, text: str) -> None:
    spec = _AIS[ai]
    if spec.length is not None and len(value) != spec.length:
        raise _refuse(
            f"({ai}) needs {spec.length} digits, got {len(value)}",
            "gs1_malformed",
            text,
            ai=ai,
        )
    if not value or len(value) > spec.longest:
        raise _refuse(f"({ai}) takes 1 to {spec.longest} characters", "gs1_malformed", text, ai=ai)
    pattern = _DIGITS if spec.numeric else _CSET82
    if pattern.fullmatch(value) is None:
        raise _refuse(f"({ai}) has a character it may not hold", "gs1_malformed", text, ai=ai)
    if spec.checked and not is_valid_gtin(value):
        raise _refuse(
            f"({ai}) {value} has a wrong check digit (expected {check_digit(value[:-1])})",
            "gs1_check_digit",
            text,
            ai=ai,
        )


def parse(text: str, *, today: date) -> Gs1Data:
    """The GS1 element string ``text`` (raw, with a symbology identifier or not, or in the
    human-readable form), read into its elements and meanings.

    Raises InvalidInput: ``gs1_unknown_ai`` (an AI not known here), ``gs1_malformed`` (a
    value of the wrong length or characters, an AI twice, nothing at all),
    ``gs1_check_digit`` (a GTIN, SSCC or GLN whose check digit is wrong), ``gs1_invalid_date``.
    """
    body = _strip(text)
    human = body.startswith("(")
    elements = _split_human_readable(body) if human else _split_raw(body)
    if not elements:
        raise _refuse("no GS1 element in the scan", "gs1_malformed", text)
    meanings: dict[str, object] = {}
    seen: set[str] = set()
    for ai, value in elements:
        _check(ai, value, text)
        if ai in seen:
            raise _refuse(f"({ai}) appears twice", "gs1_malformed", text, ai=ai)
        seen.add(ai)
        spec = _AIS[ai]
        if spec.date:
            try:
                meanings[spec.name] = gs1_date(value, today)
            except ValueError:
                raise _refuse(
                    f"({ai}) {value} is not a date (YYMMDD)", "gs1_invalid_date", text, ai=ai
                ) from None
        else:
            meanings[spec.name] = value
    count = meanings.get("count", meanings.get("count_of_trade_items"))
    return Gs1Data(
        tuple(elements),
        gtin=_text_of(meanings, "gtin"),
        lot=_text_of(meanings, "lot"),
        serial=_text_of(meanings, "serial"),
        expires_on=_date_of(meanings, "expires_on"),
        produced_on=_date_of(meanings, "produced_on"),
        count=int(str(count)) if count is not None else None,
    )


def _text_of(meanings: dict[str, object], name: str) -> str | None:
    value = meanings.get(name)
    return value if isinstance(value, str) else None


def _date_of(meanings: dict[str, object], name: str) -> date | None:
    value = meanings.get(name)
    return value if isinstance(value, date) else None


def read(text: str, *, today: date) -> Gs1Data | None:
    """``text`` as a GS1 barcode if it is one, else None (an item code, a plain EAN-13, a
    location code: the caller resolves those).

    A scan is GS1 when it says so (a GS1 symbology identifier, a GS in it, or the ``(AI)``
    form), or when it starts with AI 01 and a GTIN-14 with a valid check digit and the whole
    of it reads as GS1. Raises InvalidInput (see ``parse``) only for a scan that says it is
    GS1 but does not read."""
    body = _strip(text)
    declared = (
        body != text.strip(" \r\n\t").replace(_GS_SYMBOL, GS)
        or GS in body
        or (_HUMAN_READABLE.match(body) is not None)
    )
    if declared:
        return parse(text, today=today)
    if len(body) >= 16 and body.startswith("01") and is_valid_gtin(body[2:16]):
        try:
            return parse(body, today=today)
        except InvalidInput:
            return None
    return None
