"""``queries.valuation.value_share``: an item's value in proportion to part of its units."""

from __future__ import annotations

import pytest

from cangku.queries.valuation import value_share


@pytest.mark.parametrize(
    ("value", "part", "whole", "share"),
    [
        (1000, 3, 10, 300),
        (10, 1, 3, 3),  # 3.33 down
        (20, 1, 3, 7),  # 6.67 up
        (5, 1, 2, 2),  # 2.5: half to even, down
        (15, 1, 2, 8),  # 7.5: half to even, up
        (-15, 1, 2, -8),  # a negative value rounds the same way
        (1000, 10, 10, 1000),  # the whole: all of the value
        (1000, 0, 10, 0),
        (1000, 5, 0, 0),  # nothing to share
        (1000, 5, -5, 0),
    ],
)
def test_value_share_rounds_half_even(value: int, part: int, whole: int, share: int) -> None:
    assert value_share(value, part, whole) == share
