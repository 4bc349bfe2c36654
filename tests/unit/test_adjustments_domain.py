"""The adjustment decisions without a database: value, approval, reason codes, moves."""

from __future__ import annotations

import pytest

from cangku.domain.adjustments import (
    ADJUSTMENT,
    AdjustmentLine,
    approval_decision,
    check_approver,
    check_reason_code,
    check_reason_code_format,
    unit_cost_now,
    value_of,
)
from cangku.domain.errors import CangkuError

M = 1_000_000


def test_gains_and_losses_add_up_a_gain_at_its_own_cost() -> None:
    lines = [
        AdjustmentLine("loss", 3 * M, 1),
        AdjustmentLine("gain", 2 * M, 1, unit_cost=5 * M),
        AdjustmentLine("scrap", 1 * M, 2, unit_cost=9 * M),  # a cost on scrap is not its value
        AdjustmentLine("gain", 1 * M, 3),  # never costed: worth 0
    ]
    assert value_of(lines, {1: 2 * M, 2: 3 * M}) == 19 * M


def test_the_cost_now_is_the_average_else_the_last_cost() -> None:
    assert unit_cost_now(4 * M, 10 * M, 7 * M) == 2_500_000
    assert unit_cost_now(0, 0, 7 * M) == 7 * M
    assert unit_cost_now(-2 * M, 5 * M, 7 * M) == 7 * M


@pytest.mark.parametrize(
    ("value", "threshold", "state", "why"),
    [
        (6 * M, None, "approved", "no approval threshold set"),
        (6 * M, 6 * M, "approved", "not above the approval threshold"),
        (6 * M + 1, 6 * M, "submitted", None),
    ],
)
def test_approval_above_the_threshold_only(
    value: int, threshold: int | None, state: str, why: str | None
) -> None:
    target, data = approval_decision(value, threshold)
    assert (target, data.get("why")) == (state, why)


def test_nobody_approves_their_own() -> None:
    with pytest.raises(CangkuError) as refused:
        check_approver(7, 7, "ADJ-WH1-2026-00001")
    assert refused.value.code == "own_document_approval"
    check_approver(8, 7, "ADJ-WH1-2026-00001")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("lost", None),
        ("", "reason_required"),
        (None, "reason_required"),
        ("whim", "unknown_reason_code"),
        ("theft", "reason_code_inactive"),
    ],
)
def test_a_reason_must_be_an_active_code_of_the_list(
    code: str | None, expected: str | None
) -> None:
    codes = {"lost": True, "theft": False}
    if expected is None:
        assert check_reason_code(code, "adjustment", codes) == code
        return
    with pytest.raises(CangkuError) as refused:
        check_reason_code(code, "adjustment", codes)
    assert refused.value.code == expected


@pytest.mark.parametrize("code", ["a", "forklift_2", "x" * 64])
def test_company_codes_are_lower_case_words(code: str) -> None:
    assert check_reason_code_format(code) == code


@pytest.mark.parametrize("code", ["", "A", "a-b", "a b", "x" * 65, "码", 5])
def test_other_codes_are_refused(code: object) -> None:
    with pytest.raises(CangkuError) as refused:
        check_reason_code_format(code)
    assert refused.value.code == "invalid_reason_code"


def test_the_machine() -> None:
    assert ADJUSTMENT.final == frozenset({"posted", "rejected", "cancelled"})
    assert [s.code for s in ADJUSTMENT.steps_from("submitted")] == ["approve", "reject", "cancel"]
    with pytest.raises(CangkuError) as twice:
        ADJUSTMENT.check("posted", "post", "ADJ-WH1-2026-00001")
    assert twice.value.code == "invalid_transition"
