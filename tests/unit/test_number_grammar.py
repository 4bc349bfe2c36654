"""The one number grammar of quantities and money (``cangku.domain.quantities``).

Accepted: ASCII digits, an optional leading minus, at most one decimal point with digits on
both sides. Refused as ``invalid_number``: everything else Python's ``Decimal`` would take.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cangku.domain.errors import CangkuError
from cangku.domain.quantities import (
    NUMBER_PATTERN,
    is_number_text,
    number_text,
    parse_decimal,
    positive_quantity,
)
from cangku.services.imports.files import _text as xlsx_cell_text

ACCEPTED = ["12", "0", "0.5", "12.500", "-3", "-0.000001", "007", "999999999999.999999"]
REFUSED = [
    "1_000", "1_0", "٣", "١٢", "３", "1２", "+3", "5.", ".5", "-.5", " 1", "1 ", "1\n", "\t1",
    "1 000", "1e3", "1E3", "1e-3", "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "",
    "-", "+", ".", "--1", "1.2.3", "1,5", "0x10", "٫5", "1.٥", "𝟏", "½", "abc",
]  # fmt: skip


@pytest.mark.parametrize("text", ACCEPTED)
def test_the_grammar_accepts(text: str) -> None:
    parsed = parse_decimal(text)
    assert parsed == Decimal(text)
    assert parse_decimal(str(parsed)) == parsed
    if not re.match(r"-?0[0-9]", text):  # leading zeros are accepted and dropped (007 is 7)
        assert str(parsed) == text  # otherwise the text is kept as written (12.500 stays)


@pytest.mark.parametrize("text", REFUSED)
def test_the_grammar_refuses_with_the_stable_code(text: str) -> None:
    with pytest.raises(CangkuError) as refused:
        parse_decimal(text, "quantity")
    assert refused.value.code == "invalid_number"
    assert refused.value.data["field"] == "quantity"


def test_a_minus_is_refused_by_meaning_where_no_sign_is_allowed() -> None:
    assert parse_decimal("-3") == Decimal(-3)  # an adjustment's signed quantity
    with pytest.raises(CangkuError) as refused:
        positive_quantity("-3")
    assert refused.value.code == "quantity_not_positive"


def test_the_api_pattern_is_the_domain_grammar() -> None:
    for text in ACCEPTED:
        assert re.fullmatch(NUMBER_PATTERN, text)
    for text in REFUSED:
        assert not re.fullmatch(NUMBER_PATTERN, text), text


@pytest.mark.parametrize(
    ("value", "text"),
    [(12, "12"), (-3, "-3"), (0.1, "0.1"), (12.5, "12.5"), (1e-07, "0.0000001"),
     (Decimal("1E+3"), "1000"), (Decimal("12.500"), "12.500")],
)  # fmt: skip
def test_numbers_become_grammar_text(value: int | float | Decimal, text: str) -> None:
    assert number_text(value) == text
    assert is_number_text(text)


@pytest.mark.parametrize(
    ("cell", "text"), [(3.0, "3"), (0.1, "0.1"), (2.675, "2.675"), (1e-07, "0.0000001"), (7, "7")]
)
def test_xlsx_numeric_cells_arrive_as_their_shortest_text(cell: float, text: str) -> None:
    assert xlsx_cell_text(cell) == text
    assert parse_decimal(xlsx_cell_text(cell)) == Decimal(text)


def test_non_text_values() -> None:
    assert parse_decimal(0.1) == Decimal("0.1")  # a float through its shortest repr
    assert parse_decimal(7) == Decimal(7)
    for value in (True, float("nan"), float("inf"), Decimal("NaN")):
        with pytest.raises(CangkuError) as refused:
            parse_decimal(value)
        assert refused.value.code == "invalid_number"


# ---------------------------------------------------------------- properties

_grammar_text = st.from_regex(r"\A-?[0-9]{1,12}(\.[0-9]{1,6})?\Z")
#: the grammar without leading zeros: the text ``str`` writes back exactly
_canonical_text = st.from_regex(r"\A-?(0|[1-9][0-9]{0,11})(\.[0-9]{1,6})?\Z")


@given(_grammar_text)
def test_every_accepted_text_parses_to_its_decimal(text: str) -> None:
    parsed = parse_decimal(text)
    assert parsed == Decimal(text)
    assert parse_decimal(str(parsed)) == parsed


@given(_canonical_text)
def test_every_canonical_text_round_trips(text: str) -> None:
    parsed = parse_decimal(text)
    assert parsed == Decimal(text)
    assert str(parsed) == text
    assert number_text(parsed) == text
    assert parse_decimal(number_text(parsed)) == parsed


_NON_ASCII_DIGITS = st.characters(categories=["Nd"]).filter(lambda c: not "0" <= c <= "9")
_FORBIDDEN = st.one_of(
    _NON_ASCII_DIGITS, st.sampled_from(["_", " ", "\t", "\u00a0", "\u3000", "+", "e", "E"])
)


@given(_grammar_text, _FORBIDDEN, st.integers(min_value=0, max_value=30))
def test_a_forbidden_character_anywhere_is_refused(text: str, bad: str, where: int) -> None:
    position = where % (len(text) + 1)
    candidate = text[:position] + bad + text[position:]
    with pytest.raises(CangkuError) as refused:
        parse_decimal(candidate)
    assert refused.value.code == "invalid_number"


@given(st.text(max_size=20))
def test_random_text_is_accepted_only_in_the_grammar(text: str) -> None:
    try:
        parsed = parse_decimal(text)
    except CangkuError as refused:
        assert refused.code in {"invalid_number", "number_too_large"}
        assert not is_number_text(text) or refused.code == "number_too_large"
    else:
        assert is_number_text(text)
        assert parsed == Decimal(text)
