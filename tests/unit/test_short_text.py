"""``domain.operations.short_text``: the length-checked free text of partners, requests,
shipments and transfers (one rule, one error shape)."""

from __future__ import annotations

import pytest

from cangku.domain.errors import InvalidInput
from cangku.domain.operations import short_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("   ", None), (" DN-7 ", "DN-7"), ("x" * 10, "x" * 10)],
)
def test_short_text_is_trimmed_and_blank_is_none(value: str | None, expected: str | None) -> None:
    assert short_text(value, "reference", 10) == expected


@pytest.mark.parametrize("value", ["x" * 11, 12345], ids=["too-long", "not-text"])
def test_short_text_refuses_longer_text_with_the_fields_code(value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        short_text(value, "reference", 10)
    assert refused.value.code == "invalid_reference"
    assert str(refused.value) == "reference has at most 10 characters"
    assert refused.value.data == {"field": "reference", "limit": 10}
