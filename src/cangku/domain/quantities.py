"""Exact quantities and money.

Everything is ``Decimal`` in Python. The database stores scaled integers (see ADR 0002):
quantities and money both with six decimal places. A unit of measure may allow fewer.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from cangku.domain.errors import InvalidInput

SCALE_DIGITS = 6
SCALE: int = 10**SCALE_DIGITS
_QUANTUM = Decimal(1).scaleb(-SCALE_DIGITS)
#: The largest magnitude a scaled BIGINT column holds, with room for sums.
MAX_MAGNITUDE = Decimal(10) ** 12


def parse_decimal(value: object, field: str = "quantity") -> Decimal:
    """Turn user input (str, int, Decimal) into a finite Decimal, or refuse it."""
    if isinstance(value, bool) or isinstance(value, float):
        # floats are inexact by nature; accept them only through their shortest repr
        if isinstance(value, bool):
            raise InvalidInput(f"{field} must be a number", code="invalid_number", field=field)
        value = repr(value)
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            f"{field} must be a number, not {str(value)[:40]!r}", code="invalid_number", field=field
        ) from None
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
