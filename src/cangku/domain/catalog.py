"""Pure rules of master data: codes, names, day counts, stock levels, unit conversions.

Shared by the item catalogue (items, categories, units) and by partners; nothing here does I/O.
Also the small vocabulary every master-data change request uses: ``UNSET`` (a field an update
leaves alone), ``plain`` (the JSON-able form of an input, hashed for idempotency) and
``refuse_unknown_fields``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from cangku.domain.allocation import STRATEGIES
from cangku.domain.enums import CostingMethod, ItemType, Tracking
from cangku.domain.errors import InvalidInput
from cangku.domain.quantities import (
    MAX_MAGNITUDE,
    SCALE,
    SCALE_DIGITS,
    check_places,
    decimal_places,
    parse_decimal,
    to_scaled,
)

__all__ = [
    "UNSET",
    "Unset",
    "check_allocation_strategy",
    "check_barcode",
    "check_barcode_once",
    "check_bool",
    "check_choice",
    "check_code",
    "check_conversion",
    "check_days",
    "check_decimals",
    "check_factor",
    "check_item_kinds",
    "check_name",
    "check_tolerance",
    "changed_fields",
    "check_stock_levels",
    "check_unit_allowed",
    "given_changes",
    "non_negative",
    "plain",
    "refuse_unknown_fields",
    "scaled_base_quantity",
    "stock_levels",
]


# ---------------------------------------------------------------- change requests


class Unset:
    """Marks a field an update leaves as it is (``None`` means: clear it)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()


def plain(value: Any) -> Any:
    """A JSON-able copy of an input (dataclasses as dicts, Decimals and dates as strings) for
    hashing the request of an idempotent write."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def given_changes(changes: object) -> dict[str, Any]:
    """The fields of a changes dataclass that are not ``UNSET``, as they were given."""
    return {name: value for name, value in vars(changes).items() if not isinstance(value, Unset)}


def refuse_unknown_fields(changes: Iterable[str], allowed: Iterable[str]) -> None:
    """InvalidInput ``unknown_field`` naming every change outside ``allowed``."""
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"these fields cannot be changed: {', '.join(unknown)}",
            code="unknown_field",
            fields=unknown,
        )


# ---------------------------------------------------------------- codes and names


def check_code(code: str, field_name: str = "code", max_length: int = 64) -> str:
    """A code: 1..max_length characters, no spaces at the ends, no control characters."""
    if (
        not isinstance(code, str)
        or not 1 <= len(code) <= max_length
        or code != code.strip()
        or any(unicodedata.category(ch).startswith("C") for ch in code)
    ):
        raise InvalidInput(
            f"{field_name} must have 1 to {max_length} characters, no control characters and no "
            "spaces at either end",
            code=f"invalid_{field_name}",
            field=field_name,
        )
    return code


def check_barcode(barcode: str) -> str:
    """A barcode: a code without any whitespace."""
    check_code(barcode, "barcode")
    if any(ch.isspace() for ch in barcode):
        raise InvalidInput("a barcode has no spaces", code="invalid_barcode", field="barcode")
    return barcode


def check_name(name: str, max_length: int = 300) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > max_length:
        raise InvalidInput(
            f"name must have 1 to {max_length} characters", code="invalid_name", field="name"
        )
    return name


def check_choice(value: str, allowed: type[Any], field_name: str) -> str:
    """``value`` must be one of the members of the enum ``allowed``."""
    options = [str(v) for v in allowed]
    if value not in options:
        raise InvalidInput(
            f"{field_name} must be one of {', '.join(options)}",
            code=f"invalid_{field_name}",
            field=field_name,
            allowed=options,
        )
    return value


def check_bool(value: object, field_name: str) -> bool:
    """A yes/no field (``inspection_required``): true or false, never null; InvalidInput
    ``invalid_flag`` otherwise."""
    if not isinstance(value, bool):
        raise InvalidInput(
            f"{field_name} must be true or false", code="invalid_flag", field=field_name
        )
    return value


def check_allocation_strategy(value: object) -> str | None:
    """An item's allocation strategy as stored: ``None`` (or ``""``) for the default (FEFO for
    a lot- or serial-tracked item with a shelf life, else FIFO; ``allocation.default_strategy``),
    else one of ``allocation.STRATEGIES``; InvalidInput ``invalid_allocation_strategy``
    (with ``allowed``) otherwise."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in STRATEGIES:
        raise InvalidInput(
            f"allocation_strategy must be one of {', '.join(STRATEGIES)} or empty (the default)",
            code="invalid_allocation_strategy",
            field="allocation_strategy",
            allowed=list(STRATEGIES),
        )
    return value


def check_decimals(decimals: int) -> int:
    """The decimal places a unit of measure allows: 0 to 6."""
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6:
        raise InvalidInput("decimals must be 0 to 6", code="invalid_decimals", field="decimals")
    return decimals


def check_item_kinds(item_type: str, tracking: str, costing_method: str) -> None:
    """An item's type, tracking and costing method are each one of their closed vocabularies."""
    check_choice(item_type, ItemType, "item_type")
    check_choice(tracking, Tracking, "tracking")
    check_choice(costing_method, CostingMethod, "costing_method")


# ---------------------------------------------------------------- numbers


def check_days(value: int | None, field_name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 36500:
        raise InvalidInput(
            f"{field_name} must be a whole number of days from 0 to 36500",
            code="invalid_days",
            field=field_name,
        )
    return value


def non_negative(value: object, field_name: str, places: int, unit: str) -> int | None:
    """A quantity or amount >= 0 as a scaled integer (None stays None)."""
    if value is None:
        return None
    number = parse_decimal(value, field_name)
    if number < 0:
        raise InvalidInput(
            f"{field_name} must not be negative", code="negative_value", field=field_name
        )
    check_places(number, places, field_name, unit)
    return to_scaled(number)


#: the highest over-receipt tolerance, in percent
MAX_TOLERANCE = Decimal(100)
#: decimals a percentage may have
PERCENT_PLACES = 2


def check_tolerance(value: object, field_name: str = "over_receipt_tolerance") -> int:
    """A percentage from 0 to 100 with at most two decimals, returned scaled (10 % is
    10_000_000); InvalidInput ``invalid_{field_name}`` otherwise."""
    refused = InvalidInput(
        f"{field_name} is a percentage from 0 to {MAX_TOLERANCE} with at most "
        f"{PERCENT_PLACES} decimals",
        code=f"invalid_{field_name}",
        field=field_name,
        min=0,
        max=int(MAX_TOLERANCE),
    )
    if value is None or isinstance(value, bool):
        raise refused
    try:
        number = parse_decimal(value, field_name)
    except InvalidInput:
        raise refused from None
    if not 0 <= number <= MAX_TOLERANCE or decimal_places(number) > PERCENT_PLACES:
        raise refused
    return to_scaled(number)


def check_stock_levels(safety: int | None, reorder: int | None, maximum: int | None) -> None:
    """Safety stock <= reorder point <= max stock, wherever both sides are given."""
    floor = safety
    for ceiling in (reorder, maximum):
        if ceiling is None:
            continue
        if floor is not None and ceiling < floor:
            raise InvalidInput(
                "stock levels must satisfy safety stock <= reorder point <= max stock",
                code="invalid_stock_levels",
            )
        floor = ceiling


def stock_levels(
    levels: Mapping[str, object], places: int, unit: str
) -> tuple[int | None, int | None, int | None]:
    """Safety stock, reorder point and max stock (by those names in ``levels``) as scaled
    integers: each >= 0 with the decimals ``unit`` allows, and in that order."""
    safety, reorder, maximum = (
        non_negative(levels[name], name, places, unit)
        for name in ("safety_stock", "reorder_point", "max_stock")
    )
    check_stock_levels(safety, reorder, maximum)
    return safety, reorder, maximum


# ---------------------------------------------------------------- unit conversion


def check_factor(value: object, unit: str) -> int:
    """Base units in one ``unit``: > 0, at most six decimals; returned scaled."""
    number = parse_decimal(value, "factor")
    if number <= 0 or decimal_places(number) > SCALE_DIGITS:
        raise InvalidInput(
            f"the factor of {unit!r} must be > 0 with at most {SCALE_DIGITS} decimals",
            code="invalid_factor",
            unit=unit,
        )
    return to_scaled(number)


def check_conversion(unit: str, factor: object, base_unit: str, seen: set[str]) -> int:
    """One conversion of a list (``seen`` holds the units before it): never the base unit
    itself, each unit once, a valid factor. Returns the scaled factor and adds ``unit`` to
    ``seen``."""
    if unit == base_unit:
        raise InvalidInput(
            f"{unit!r} is the base unit; it needs no conversion",
            code="base_unit_conversion",
            unit=unit,
        )
    if unit in seen:
        raise InvalidInput(f"unit {unit!r} is listed twice", code="duplicate_unit", unit=unit)
    seen.add(unit)
    return check_factor(factor, unit)


def check_unit_allowed(unit: str, allowed: Iterable[str]) -> None:
    """A barcode's unit must be the base unit or one the item converts."""
    if unit not in set(allowed):
        raise InvalidInput(
            f"the item has no conversion for unit {unit!r}",
            code="unit_not_convertible",
            unit=unit,
        )


def check_barcode_once(barcode: str, seen: set[str]) -> str:
    """One barcode of a list (``seen`` holds the barcodes before it): valid and not repeated."""
    check_barcode(barcode)
    if barcode in seen:
        raise InvalidInput(
            f"barcode {barcode!r} is listed twice", code="duplicate_barcode", barcode=barcode
        )
    seen.add(barcode)
    return barcode


def scaled_base_quantity(
    quantity: Decimal, factor: int, unit: str, unit_places: int, base_unit: str, base_places: int
) -> int:
    """Pure arithmetic: ``quantity`` of ``unit`` (``factor`` scaled base units each) -> scaled base.

    Refuses more decimals than ``unit`` allows, and a result with more decimals than the base
    unit allows (InvalidInput ``too_many_decimals``). Exact: integers only, no rounding.
    """
    check_places(quantity, unit_places, "quantity", unit)
    product = to_scaled(quantity) * factor
    base, remainder = divmod(product, int(SCALE))
    step = 10 ** (SCALE_DIGITS - base_places)
    if remainder or base % step:
        converted = Decimal(product).scaleb(-2 * SCALE_DIGITS).normalize()
        raise InvalidInput(
            f"{quantity} {unit} is {converted} {base_unit}, more decimals than {base_unit!r} "
            f"allows ({base_places})",
            code="too_many_decimals",
            field="quantity",
            unit=base_unit,
            allowed=base_places,
        )
    if abs(base) >= int(MAX_MAGNITUDE) * SCALE:
        raise InvalidInput("quantity is too large", code="number_too_large", field="quantity")
    return int(base)


def changed_fields(before: object, after: object, names: Iterable[str]) -> list[str]:
    """Which of ``names`` differ between two snapshots (in the order of ``names``)."""
    return [name for name in names if getattr(after, name) != getattr(before, name)]
