r"""Exact quantities and money.

Everything is ``Decimal`` in Python. The database stores scaled integers (see ADR 0002):
quantities and money both with six decimal places. A unit of measure may allow fewer.

The one number grammar
----------------------
Every face (API, CLI, web forms, CSV/XLSX imports, bulk CSV) hands text to ``parse_decimal``,
which accepts exactly ``-?[0-9]+(\.[0-9]+)?``:

- ASCII digits only (no Arabic-Indic, full-width or other Unicode digits);
- at most one decimal point, with digits on both sides: ``0.5`` yes, ``.5`` and ``5.`` no;
- an optional leading minus; no plus sign, no spaces (not even around the number), no ``_``
  digit separators, no exponent (``1e3``), no ``NaN`` or ``Infinity``;
- leading zeros are allowed (``007`` is 7) and trailing zeros kept (``12.500``).

The minus is part of the grammar so that a value which may not be negative is refused by its
meaning, with that field's own code (``quantity_not_positive``, ``negative_cost``, ...); only an
adjustment's quantity carries a sign. Anything else is ``invalid_number``.

Values that are numbers already are not text: an ``int`` is exact; a ``Decimal`` must be
finite; a ``float`` (a JSON number, an XLSX numeric cell) is taken through its shortest
``repr`` (``0.1`` -> ``Decimal("0.1")``, never the binary expansion) -- ``number_text`` writes
such values in the grammar (positional notation, no exponent) for faces that need text.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from cangku.domain.errors import InvalidInput

SCALE_DIGITS = 6
SCALE: int = 10**SCALE_DIGITS
_QUANTUM = Decimal(1).scaleb(-SCALE_DIGITS)
#: The largest magnitude a scaled BIGINT column holds, with room for sums.
MAX_MAGNITUDE = Decimal(10) ** 12

#: The number grammar (also the API schemas' ``pattern``): ASCII digits, an optional leading
#: minus, at most one decimal point with digits on both sides.
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
#: What the refusal says the grammar is.
NUMBER_HINT = "digits with an optional leading minus and decimal point, e.g. 12, 0.5 or -3"


def is_number_text(text: str) -> bool:
    """Whether ``text`` is written in the number grammar (see the module docstring)."""
    return _NUMBER.fullmatch(text) is not None


def number_text(value: int | float | Decimal) -> str:
    """A number as text in the grammar: ints as they are, floats through their shortest
    ``repr``, Decimals and floats in positional notation (no exponent). Non-finite values
    give text the grammar refuses (``NaN``, ``Infinity``)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return str(value)
    number = Decimal(repr(value)) if isinstance(value, float) else value
    if not number.is_finite():
        return str(number)
    return format(number, "f")


def _refuse(field: str, value: object) -> InvalidInput:
    return InvalidInput(
        f"{field} must be a number ({NUMBER_HINT}), not {str(value)[:40]!r}",
        code="invalid_number",
        field=field,
    )


def parse_decimal(value: object, field: str = "quantity") -> Decimal:
    """Turn user input into a finite Decimal, or refuse it (``invalid_number``,
    ``number_too_large``). Text must follow the number grammar exactly; ints, floats (through
    their shortest repr) and finite Decimals are taken as the numbers they are."""
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a number", code="invalid_number", field=field)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        try:
            number = Decimal(repr(value))
        except (InvalidOperation, ValueError):  # pragma: no cover - repr of a float parses
            raise _refuse(field, value) from None
    else:
        text = value if isinstance(value, str) else str(value)
        if not is_number_text(text):
            raise _refuse(field, text)
        number = Decimal(text)
    if not number.is_finite():
        raise InvalidInput(f"{field} must be a finite number", code="invalid_number", field=field)
    if abs(number) >= MAX_MAGNITUDE:
        raise InvalidInput(f"{field} is too large", code="number_too_large", field=field)
    return number


def decimal_places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def check_places(number: Decimal, allowed: int, field: str, unit: str) -> None:
    """Refuse more decimals than the unit allows (e.g. 1.5 pieces)."""
    if decimal_places(number) > allowed:
        raise InvalidInput(
            f"{field} {number} has more decimals than unit {unit!r} allows ({allowed})",
            code="too_many_decimals",
            field=field,
            unit=unit,
            allowed=allowed,
        )


def positive_quantity(value: object, field: str = "quantity") -> Decimal:
    number = parse_decimal(value, field)
    if number <= 0:
        raise InvalidInput(
            f"{field} must be greater than zero", code="quantity_not_positive", field=field
        )
    return number


def to_scaled(number: Decimal) -> int:
    """Decimal -> scaled integer, exact (rounds half-even beyond six places)."""
    return int(number.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN).scaleb(SCALE_DIGITS))


def from_scaled(value: int | None) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(value).scaleb(-SCALE_DIGITS).normalize() + Decimal(0)


def scaled_product(qty: int, unit_cost: int) -> int:
    """Value (scaled) of ``qty`` scaled units at ``unit_cost`` scaled money, rounded half-even."""
    numerator = qty * unit_cost
    quotient, remainder = divmod(numerator, SCALE)
    twice = 2 * remainder
    if twice > SCALE or (twice == SCALE and quotient % 2 == 1):
        quotient += 1
    return quotient


def scaled_ratio(value: int, qty: int) -> int:
    """Unit cost (scaled) of ``value`` for ``qty`` scaled units, rounded half-even."""
    if qty == 0:
        return 0
    numerator = value * SCALE
    quotient, remainder = divmod(numerator, qty)
    twice = 2 * remainder
    if twice > abs(qty) or (twice == abs(qty) and quotient % 2 == 1):
        quotient += 1
    return quotient
