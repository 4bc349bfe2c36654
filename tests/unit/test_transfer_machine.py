"""The transfer's machine and decisions, without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from cangku.domain.errors import InvalidInput, RuleViolation
from cangku.domain.transfers import (
    TRANSFER,
    Outcome,
    TransferLine,
    check_dispatch,
    check_outcome,
    check_receipt,
    check_resolution,
    open_in_transit,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "workflows" / "transfers.md"
U = 1_000_000  # one unit, scaled


def _lines(*rows: tuple[int, int, int, int, int]) -> dict[int, TransferLine]:
    """(requested, dispatched, received, damaged, resolved) in units, lines numbered from 1."""
    return {
        n: TransferLine(n, f"I{n}", q * U, d * U, a * U, r * U, s * U)
        for n, (q, d, a, r, s) in enumerate(rows, start=1)
    }


def test_the_docs_print_the_state_table() -> None:
    assert TRANSFER.markdown() in DOCS.read_text(encoding="utf-8")


def test_the_receipt_is_the_destinations_step() -> None:
    assert [s.code for s in TRANSFER.steps if s.at_destination] == ["receive", "resolve"]
    assert TRANSFER.final == frozenset({"received", "cancelled"})
    assert TRANSFER.next("draft", "submit", "approved") == "approved"


def test_dispatch_takes_each_line_in_full_unless_told() -> None:
    lines = _lines((10, 0, 0, 0, 0), (5, 0, 0, 0, 0))
    assert check_dispatch(lines, {}) == {1: 10 * U, 2: 5 * U}
    assert check_dispatch(lines, {2: 0}) == {1: 10 * U}
    assert check_dispatch(lines, {1: 4 * U}) == {1: 4 * U, 2: 5 * U}


@pytest.mark.parametrize(
    ("picked", "code"),
    [
        ({1: 11 * U}, "dispatched_more_than_requested"),
        ({1: 0, 2: 0}, "nothing_to_dispatch"),
        ({3: U}, "unknown_line"),
        ({1: -U}, "invalid_quantity"),
    ],
)
def test_dispatch_refusals(picked: dict[int, int], code: str) -> None:
    with pytest.raises((InvalidInput, RuleViolation)) as refused:
        check_dispatch(_lines((10, 0, 0, 0, 0), (5, 0, 0, 0, 0)), picked)
    assert refused.value.code == code


def test_a_receipt_short_or_damaged_leaves_a_discrepancy() -> None:
    lines = _lines((10, 8, 0, 0, 0), (5, 5, 0, 0, 0))
    assert check_receipt(lines, {}, {}) == ({1: 8 * U, 2: 5 * U}, "received")
    assert check_receipt(lines, {}, {2: U}) == ({1: 8 * U, 2: 4 * U}, "discrepancy")
    assert check_receipt(lines, {1: 7 * U}, {}) == ({1: 7 * U, 2: 5 * U}, "discrepancy")
    assert check_receipt(lines, {1: 0}, {}) == ({2: 5 * U}, "discrepancy")
    with pytest.raises(RuleViolation) as more:
        check_receipt(lines, {1: 8 * U}, {1: U})
    assert more.value.code == "received_more_than_dispatched"


def test_resolutions_settle_what_is_missing() -> None:
    lines = _lines((10, 10, 7, 1, 0), (5, 5, 5, 0, 0))
    assert open_in_transit(list(lines.values())) == 3 * U
    assert check_resolution(lines, [(1, Outcome.LOST, U)]) == "discrepancy"
    assert check_resolution(lines, [(1, Outcome.LOST, U), (1, Outcome.FOUND, 2 * U)]) == "received"
    with pytest.raises(RuleViolation) as over:
        check_resolution(lines, [(1, Outcome.LOST, 2 * U), (1, Outcome.FOUND, 2 * U)])
    assert over.value.code == "resolved_more_than_missing"
    with pytest.raises(RuleViolation):
        check_resolution(lines, [(2, Outcome.RETURNED, U)])  # nothing missing there
    with pytest.raises(InvalidInput) as none:
        check_resolution(lines, [])
    assert none.value.code == "no_resolutions"
    with pytest.raises(InvalidInput) as odd:
        check_outcome("stolen")
    assert odd.value.code == "unknown_outcome"
