"""The count's pure rules: differences against the books now (snapshot + moves since), value
variance, accuracy, scope, approval above the threshold, ABC classes and what is due."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cangku.domain.counts import (
    COUNT,
    DEFAULT_FREQUENCY_DAYS,
    CountLine,
    Scope,
    abc_classes,
    accuracy,
    check_approver,
    check_counted,
    due_for_counting,
    variance,
)
from cangku.domain.cycle_counts import xyz_class
from cangku.domain.errors import InvalidInput, RuleViolation

U = 1_000_000  # one unit (or one yuan), scaled


def test_the_difference_counts_the_moves_since_the_snapshot() -> None:
    # 10 expected at the snapshot; 4 issued while counting; 5 found on the shelf: one missing
    line = CountLine(expected=10 * U, moved=-4 * U, counted=5 * U, unit_cost=2 * U)
    assert (line.book, line.difference) == (6 * U, -1 * U)
    # a blind overwrite would have booked 5 - 10 = -5 and lost the 4 issued a second time
    assert CountLine(10 * U, 0, None).difference == 0  # not counted: nothing to post


def test_variance_and_accuracy() -> None:
    lines = [
        CountLine(10 * U, 0, 10 * U, 3 * U),  # right
        CountLine(10 * U, 2 * U, 11 * U, 3 * U),  # one short of 12: -3.00
        CountLine(0, 0, 2 * U, 5 * U),  # found, not expected: +10.00
        CountLine(4 * U, 0, None, 1 * U),  # not counted
    ]
    assert variance(lines) == (7 * U, 13 * U)
    assert accuracy(lines) == (1, 3)


def test_a_negative_count_is_refused() -> None:
    assert check_counted(0, item="BOLT") == 0
    with pytest.raises(InvalidInput) as refused:
        check_counted(-1, item="BOLT")
    assert refused.value.code == "negative_count"


def test_above_the_threshold_someone_who_did_not_count_approves() -> None:
    check_approver(7, [7], 100 * U, None, "CNT-1")  # no threshold
    check_approver(7, [7], 100 * U, 100 * U, "CNT-1")  # at the threshold: the counter may
    check_approver(8, [7], 101 * U, 100 * U, "CNT-1")
    with pytest.raises(RuleViolation) as refused:
        check_approver(7, [7, 9], 101 * U, 100 * U, "CNT-1")
    assert refused.value.code == "counter_cannot_approve"


def test_a_scope_limits_warehouse_zones_locations_items_and_categories() -> None:
    whole = Scope(1)
    assert whole.covers(1, 5, "A/01", 9, None)
    assert not whole.covers(2, 5, "A/01", 9, None)
    zone = Scope(1, zones=("A",))
    assert zone.covers(1, 5, "A/01/02", 9, None) and zone.covers(1, 5, "A", 9, None)
    assert not zone.covers(1, 5, "AB/01", 9, None)
    assert not Scope(1, location_ids=(4,)).covers(1, 5, "A", 9, None)
    assert not Scope(1, item_ids=(8,)).covers(1, 5, "A", 9, None)
    tools = Scope(1, categories=("HW/TOOLS",))
    assert tools.covers(1, 5, "A", 9, "HW/TOOLS/HAND")
    assert not tools.covers(1, 5, "A", 9, "HW") and not tools.covers(1, 5, "A", 9, None)


def test_abc_classes_from_consumption_value() -> None:
    # 1,000 in all: item 1 (600) and item 2 (250) make the first 80 % (item 2 crosses it),
    # item 3 (100) reaches 95 %, item 4 (50) is C, item 5 consumed nothing
    classes = abc_classes({1: 600, 2: 250, 3: 100, 4: 50, 5: 0})
    assert classes == {1: "A", 2: "A", 3: "B", 4: "C", 5: "C"}
    assert abc_classes({}) == {}
    # 2 and 3 tie at 50: the lower id comes first and is B, the other falls past 95 %
    assert abc_classes({5: 900, 3: 50, 2: 50}) == {5: "A", 2: "B", 3: "C"}


def test_due_for_counting_by_class() -> None:
    today = date(2026, 12, 3)
    assert due_for_counting(None, "C", today, DEFAULT_FREQUENCY_DAYS)
    assert due_for_counting(date(2026, 11, 3), "A", today, DEFAULT_FREQUENCY_DAYS)
    assert not due_for_counting(date(2026, 11, 4), "A", today, DEFAULT_FREQUENCY_DAYS)
    assert not due_for_counting(date(2026, 11, 3), "B", today, DEFAULT_FREQUENCY_DAYS)
    assert due_for_counting(date(2026, 11, 3), "B", today, {"B": 7})


def test_the_count_machine() -> None:
    assert COUNT.next("review", "recount") == "counting"
    assert COUNT.final == frozenset({"posted", "cancelled"})
    assert [s.code for s in COUNT.steps_from("review")] == ["recount", "approve", "cancel"]


def test_the_docs_print_the_state_table() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "workflows" / "stocktaking.md"
    assert COUNT.markdown() in docs.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("weekly", "expected"),
    [
        ([10, 10, 10, 10], ("X", 0)),
        ([5, 15], ("X", 500_000)),  # CV exactly 0.5: still X
        ([4, 16], ("Y", 600_000)),
        ([0, 20, 0, 20], ("Y", 1_000_000)),  # CV exactly 1.0: still Y
        ([0, 0, 0, 40], ("Z", 1_732_050)),  # sqrt(3), six decimals rounded down
        ([0, 0], ("Z", None)),  # no demand
        ([], ("Z", None)),
        ([30, -10], ("Z", 2_000_000)),  # a week of returns counts against the demand
    ],
    ids=["steady", "half", "over-half", "one", "lumpy", "none", "no-weeks", "returns"],
)
def test_xyz_class_from_the_weekly_demand(
    weekly: list[int], expected: tuple[str, int | None]
) -> None:
    assert xyz_class(weekly) == expected
