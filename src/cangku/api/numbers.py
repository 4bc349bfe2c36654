"""The number grammar in request bodies (see ``cangku.domain.quantities``).

``Amount`` (a quantity or money, kept as text for the service) and ``DecimalIn`` (a number the
schema hands over as a Decimal) accept a JSON number or a string in the one grammar: ASCII
digits, an optional leading minus, at most one decimal point with digits on both sides. The
schema documents it as a ``pattern``; a string outside it is refused with the stable code
``invalid_number`` (the services parse the text again with ``parse_decimal``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from cangku.domain.quantities import (
    MAX_MAGNITUDE,
    NUMBER_HINT,
    NUMBER_PATTERN,
    is_number_text,
    number_text,
)

#: the pydantic error type the problem handler answers as ``invalid_number``
INVALID_NUMBER = "invalid_number"


def _as_text(value: Any) -> Any:
    """Numbers become their text in the grammar (floats through their shortest repr)."""
    if isinstance(value, bool):
        return value  # refused by the str type: true is not a quantity
    if isinstance(value, (int, float, Decimal)):
        return number_text(value)
    return value


def _grammar(text: str) -> str:
    if not is_number_text(text):
        raise PydanticCustomError(
            INVALID_NUMBER, "must be a number ({hint}), not {text!r}",
            {"hint": NUMBER_HINT, "text": text[:40]},
        )  # fmt: skip
    return text


#: the grammar with its bound (``MAX_MAGNITUDE``, 10^12: ``number_too_large``) for the schema
_BOUNDED_PATTERN = NUMBER_PATTERN.replace("[0-9]+", "0*[0-9]{1,12}", 1)
_TEXT_SCHEMA = {"type": "string", "pattern": _BOUNDED_PATTERN, "maxLength": 64, "examples": ["10"]}
_NUMBER_SCHEMA = {
    "type": "number",
    "exclusiveMinimum": -int(MAX_MAGNITUDE),
    "exclusiveMaximum": int(MAX_MAGNITUDE),
}

#: the same for a number that is never negative (``negative_value``) or always above zero
#: (``quantity_not_positive``): the text has no minus sign, and (positive) a non-zero digit
_POSITIVE_PATTERN = r"^0*([1-9][0-9]{0,11}(\.[0-9]+)?|0\.[0-9]*[1-9][0-9]*)$"
_BOUND = {"type": "number", "exclusiveMaximum": int(MAX_MAGNITUDE)}
_NON_NEGATIVE = {
    "anyOf": [
        {**_TEXT_SCHEMA, "pattern": _BOUNDED_PATTERN.replace("-?", "", 1)},
        {**_BOUND, "minimum": 0},
    ]
}
_POSITIVE = {
    "anyOf": [{**_TEXT_SCHEMA, "pattern": _POSITIVE_PATTERN}, {**_BOUND, "exclusiveMinimum": 0}]
}

#: a quantity or amount: "12.5" or 12.5 (strings are exact, prefer them)
Amount = Annotated[
    str,
    BeforeValidator(_as_text),
    Field(max_length=64),
    AfterValidator(_grammar),
    WithJsonSchema(
        {"anyOf": [_TEXT_SCHEMA, _NUMBER_SCHEMA], "examples": ["10"]}, mode="validation"
    ),
]

#: a number handed to the service as a Decimal: "12.5" or 12.5, same grammar as ``Amount``
DecimalIn = Annotated[
    Decimal,
    BeforeValidator(lambda value: _grammar(v) if isinstance(v := _as_text(value), str) else v),
    WithJsonSchema({"anyOf": [_TEXT_SCHEMA, _NUMBER_SCHEMA]}, mode="validation"),
]
#: ``DecimalIn`` that is never negative (levels, costs, prices: ``negative_value``)
NonNegativeIn = Annotated[DecimalIn, WithJsonSchema(_NON_NEGATIVE, mode="validation")]
#: ``DecimalIn`` above zero (a unit's factor, a capacity: ``quantity_not_positive``)
PositiveIn = Annotated[DecimalIn, WithJsonSchema(_POSITIVE, mode="validation")]
#: an ``Amount`` above zero (the quantity of a receipt, issue, transfer, scrap, reservation)
PositiveAmount = Annotated[Amount, WithJsonSchema(_POSITIVE, mode="validation")]
