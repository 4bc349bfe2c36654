"""Allocation of request lines to balances: FIFO/FEFO order, what may never be taken, chosen
lots and bins, shared stock between lines, shortages, and the pick walk's natural order."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cangku.domain.allocation import (
    STRATEGIES,
    Allocation,
    AllocationPlan,
    Candidate,
    Need,
    allocate,
    default_strategy,
    pick_route,
    route_key,
)
from cangku.domain.errors import InvalidInput

U = 10**6  # one unit, scaled
TODAY = date(2026, 6, 1)


def cand(
    location_id: int,
    available: int,
    *,
    item_id: int = 1,
    lot_id: int | None = None,
    path: str | None = None,
    received: date | None = None,
    expires: date | None = None,
    status: str = "available",
    kind: str = "internal",
) -> Candidate:
    return Candidate(
        item_id=item_id,
        location_id=location_id,
        location_path=path if path is not None else f"SH/A/{location_id:02d}",
        lot_id=lot_id,
        received_on=received,
        expires_on=expires,
        available=available,
        lot_status=status,
        location_kind=kind,
    )


def taken(plan: AllocationPlan) -> list[tuple[int, int, int | None, int]]:
    """(line, location, lot, quantity) of each allocation, in plan order."""
    return [(a.line_id, a.location_id, a.lot_id, a.quantity) for a in plan.allocations]


# --- FIFO and FEFO order -------------------------------------------------------------------


def test_fifo_takes_the_oldest_receipt_first_and_splits_across_balances() -> None:
    candidates = [
        cand(1, 10 * U, lot_id=11, received=date(2026, 3, 1), expires=date(2026, 7, 1)),
        cand(2, 10 * U, lot_id=12, received=date(2026, 1, 1), expires=date(2027, 1, 1)),
        cand(3, 10 * U, lot_id=13, received=date(2026, 2, 1), expires=date(2026, 6, 15)),
    ]
    plan = allocate([Need(7, 1, 15 * U)], candidates, TODAY)
    assert taken(plan) == [(7, 2, 12, 10 * U), (7, 3, 13, 5 * U)]
    assert plan.allocations[0] == Allocation(7, 1, 2, 12, 10 * U)
    assert plan.shortages == {}
    assert plan.allocated == {7: 15 * U}


def test_fefo_takes_the_earliest_expiry_first() -> None:
    candidates = [
        cand(1, 10 * U, lot_id=11, received=date(2026, 3, 1), expires=date(2026, 7, 1)),
        cand(2, 10 * U, lot_id=12, received=date(2026, 1, 1), expires=date(2027, 1, 1)),
        cand(3, 10 * U, lot_id=13, received=date(2026, 2, 1), expires=date(2026, 6, 15)),
    ]
    plan = allocate([Need(7, 1, 15 * U, "fefo")], candidates, TODAY)
    assert taken(plan) == [(7, 3, 13, 10 * U), (7, 1, 11, 5 * U)]


def test_fifo_puts_undated_stock_last_then_breaks_ties_on_expiry_route_and_lot() -> None:
    day = date(2026, 1, 1)
    candidates = [
        cand(1, U, lot_id=1, path="A/1", received=None, expires=date(2026, 6, 2)),
        cand(2, U, lot_id=2, path="A/1", received=day, expires=None),
        cand(3, U, lot_id=3, path="A/1", received=day, expires=date(2026, 9, 1)),
        cand(4, U, lot_id=5, path="A/10", received=day, expires=date(2026, 8, 1)),
        cand(5, U, lot_id=4, path="A/2", received=day, expires=date(2026, 8, 1)),
        cand(6, U, lot_id=6, path="A/2", received=day, expires=date(2026, 8, 1)),
    ]
    plan = allocate([Need(1, 1, 6 * U)], candidates, TODAY)
    assert [a.location_id for a in plan.allocations] == [5, 6, 4, 3, 2, 1]


def test_fefo_puts_undated_lots_last_then_breaks_ties_on_receipt() -> None:
    candidates = [
        cand(1, U, lot_id=1, expires=None, received=date(2025, 1, 1)),
        cand(2, U, lot_id=2, expires=date(2026, 9, 1), received=date(2026, 2, 1)),
        cand(3, U, lot_id=3, expires=date(2026, 9, 1), received=date(2026, 1, 1)),
        cand(4, U, lot_id=4, expires=date.max, received=date(2026, 1, 1)),
        cand(5, U, lot_id=5, expires=date(2026, 9, 1), received=None),
    ]
    plan = allocate([Need(1, 1, 5 * U, "fefo")], candidates, TODAY)
    assert [a.lot_id for a in plan.allocations] == [3, 2, 5, 4, 1]


def test_untracked_stock_follows_the_pick_walk_in_natural_order() -> None:
    candidates = [
        cand(1, 4 * U, path="SH/A/10"),
        cand(2, 4 * U, path="SH/A/2"),
        cand(3, 4 * U, path="SH/B/1"),
        cand(4, 4 * U, path="SH/A/02/1"),
    ]
    plan = allocate([Need(1, 1, 14 * U)], candidates, TODAY)
    assert taken(plan) == [(1, 2, None, 4 * U), (1, 4, None, 4 * U), (1, 1, None, 4 * U)] + [
        (1, 3, None, 2 * U)
    ]


# --- chosen lot and bin, shared stock, shortages -------------------------------------------


def _lots_in_two_bins() -> list[Candidate]:
    return [
        cand(1, 5 * U, lot_id=10, received=date(2026, 1, 1)),
        cand(2, 5 * U, lot_id=10, received=date(2026, 1, 1)),
        cand(1, 5 * U, lot_id=20, received=date(2026, 2, 1)),
        cand(2, 5 * U, lot_id=20, received=date(2026, 2, 1)),
    ]


def test_a_chosen_lot_takes_only_that_lot() -> None:
    plan = allocate([Need(1, 1, 7 * U, lot_id=20)], _lots_in_two_bins(), TODAY)
    assert taken(plan) == [(1, 1, 20, 5 * U), (1, 2, 20, 2 * U)]


def test_a_chosen_bin_takes_only_that_location() -> None:
    plan = allocate([Need(1, 1, 7 * U, location_id=2)], _lots_in_two_bins(), TODAY)
    assert taken(plan) == [(1, 2, 10, 5 * U), (1, 2, 20, 2 * U)]


def test_a_chosen_lot_and_bin_take_only_that_balance_and_report_the_rest_short() -> None:
    plan = allocate([Need(1, 1, 7 * U, lot_id=20, location_id=2)], _lots_in_two_bins(), TODAY)
    assert taken(plan) == [(1, 2, 20, 5 * U)]
    assert plan.shortages == {1: 2 * U}


def test_a_chosen_lot_without_stock_is_short_by_the_whole_line() -> None:
    plan = allocate([Need(1, 1, 3 * U, lot_id=99)], _lots_in_two_bins(), TODAY)
    assert plan.allocations == ()
    assert plan.shortages == {1: 3 * U}
    assert plan.allocated == {}


def test_two_lines_of_one_item_share_the_stock_in_order() -> None:
    needs = [Need(1, 1, 7 * U), Need(2, 1, 7 * U), Need(3, 1, 10 * U)]
    plan = allocate(needs, _lots_in_two_bins(), TODAY)
    assert taken(plan) == [
        (1, 1, 10, 5 * U),
        (1, 2, 10, 2 * U),
        (2, 2, 10, 3 * U),
        (2, 1, 20, 4 * U),
        (3, 1, 20, 1 * U),
        (3, 2, 20, 5 * U),
    ]
    assert plan.allocated == {1: 7 * U, 2: 7 * U, 3: 6 * U}
    assert plan.shortages == {3: 4 * U}


def test_a_chosen_lot_line_takes_first_and_the_next_line_gets_what_is_left() -> None:
    needs = [Need(1, 1, 8 * U, lot_id=10), Need(2, 1, 4 * U)]
    plan = allocate(needs, _lots_in_two_bins(), TODAY)
    assert taken(plan) == [(1, 1, 10, 5 * U), (1, 2, 10, 3 * U), (2, 2, 10, 2 * U)] + [
        (2, 1, 20, 2 * U)
    ]


def test_lines_of_other_items_do_not_touch_each_others_stock() -> None:
    candidates = [cand(1, 5 * U, item_id=1), cand(1, 5 * U, item_id=2)]
    plan = allocate([Need(1, 2, 3 * U), Need(2, 1, 6 * U), Need(3, 3, U)], candidates, TODAY)
    assert [(a.line_id, a.item_id, a.quantity) for a in plan.allocations] == [
        (1, 2, 3 * U),
        (2, 1, 5 * U),
    ]
    assert plan.shortages == {2: U, 3: U}


def test_a_zero_quantity_asks_for_nothing() -> None:
    plan = allocate([Need(1, 1, 0)], [cand(1, 5 * U)], TODAY)
    assert (plan.allocations, plan.shortages) == ((), {})


def test_a_negative_quantity_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        allocate([Need(4, 1, -U)], [cand(1, 5 * U)], TODAY)
    assert caught.value.code == "invalid_quantity"
    assert caught.value.data == {"line_id": 4, "quantity": -U}


# --- what is never taken ---------------------------------------------------------------------


@pytest.mark.parametrize("status", ["quarantine", "hold", "recalled", "rejected"])
def test_a_lot_that_is_not_available_is_never_taken(status: str) -> None:
    candidates = [cand(1, 5 * U, lot_id=1, status=status), cand(2, 5 * U, lot_id=2)]
    plan = allocate([Need(1, 1, 8 * U)], candidates, TODAY)
    assert taken(plan) == [(1, 2, 2, 5 * U)]
    assert plan.shortages == {1: 3 * U}


@pytest.mark.parametrize(
    "kind",
    ["receiving", "quality", "shipping", "supplier", "customer", "adjustment", "scrap", "transit"],
)
def test_stock_outside_internal_locations_is_never_taken(kind: str) -> None:
    candidates = [cand(1, 5 * U, kind=kind), cand(2, 5 * U)]
    plan = allocate([Need(1, 1, 8 * U)], candidates, TODAY)
    assert taken(plan) == [(1, 2, None, 5 * U)]
    assert plan.shortages == {1: 3 * U}


@pytest.mark.parametrize("available", [0, -3 * U], ids=["zero", "negative"])
def test_a_balance_with_nothing_available_is_never_taken(available: int) -> None:
    plan = allocate([Need(1, 1, 2 * U)], [cand(1, available), cand(2, U)], TODAY)
    assert taken(plan) == [(1, 2, None, U)]
    assert plan.shortages == {1: U}


def _dated_lots() -> list[Candidate]:
    return [
        cand(1, 2 * U, lot_id=1, expires=TODAY - timedelta(days=1)),
        cand(2, 2 * U, lot_id=2, expires=TODAY),
        cand(3, 2 * U, lot_id=3, expires=TODAY + timedelta(days=1)),
    ]


def test_an_expired_lot_is_not_taken_but_one_expiring_today_is() -> None:
    plan = allocate([Need(1, 1, 6 * U, "fefo")], _dated_lots(), TODAY)
    assert taken(plan) == [(1, 2, 2, 2 * U), (1, 3, 3, 2 * U)]
    assert plan.shortages == {1: 2 * U}


def test_an_expired_lot_is_taken_first_by_fefo_when_expired_stock_is_allowed() -> None:
    plan = allocate([Need(1, 1, 6 * U, "fefo")], _dated_lots(), TODAY, allow_expired=True)
    assert taken(plan) == [(1, 1, 1, 2 * U), (1, 2, 2, 2 * U), (1, 3, 3, 2 * U)]
    assert plan.shortages == {}


def test_an_expired_lot_chosen_by_the_line_is_still_refused() -> None:
    plan = allocate([Need(1, 1, U, lot_id=1)], _dated_lots(), TODAY)
    assert (plan.allocations, plan.shortages) == ((), {1: U})


def test_excluded_balances_are_skipped_for_a_reallocation() -> None:
    candidates = _lots_in_two_bins() + [cand(3, 5 * U, received=date(2026, 3, 1))]
    excluded = [(1, 1, 10), (1, 2, 20), (1, 3, None)]
    plan = allocate([Need(1, 1, 12 * U)], candidates, TODAY, excluded=excluded)
    assert taken(plan) == [(1, 2, 10, 5 * U), (1, 1, 20, 5 * U)]
    assert plan.shortages == {1: 2 * U}


def test_an_excluded_key_of_another_item_changes_nothing() -> None:
    plan = allocate([Need(1, 1, U)], [cand(1, U, lot_id=5)], TODAY, excluded={(2, 1, 5)})
    assert taken(plan) == [(1, 1, 5, U)]


# --- strategies ----------------------------------------------------------------------------


def test_an_unknown_strategy_is_refused_before_anything_is_allocated() -> None:
    with pytest.raises(InvalidInput) as caught:
        allocate([Need(1, 1, U), Need(2, 1, U, "lifo")], [cand(1, 5 * U)], TODAY)
    assert caught.value.code == "unknown_strategy"
    assert caught.value.data == {"strategy": "lifo", "allowed": ["fifo", "fefo"], "line_id": 2}


@pytest.mark.parametrize(
    ("tracking", "shelf_life", "configured", "expected"),
    [
        ("lot", 365, None, "fefo"),
        ("serial", 30, None, "fefo"),
        ("lot", None, None, "fifo"),
        ("lot", 0, None, "fifo"),
        ("none", 365, None, "fifo"),
        ("none", None, "fefo", "fefo"),
        ("lot", 365, "fifo", "fifo"),
    ],
    ids=["lot-shelf-life", "serial", "lot-no-shelf-life", "zero-days", "untracked", "set-fefo"]
    + ["set-fifo"],
)
def test_default_strategy(
    tracking: str, shelf_life: int | None, configured: str | None, expected: str
) -> None:
    assert default_strategy(tracking, shelf_life, configured) == expected
    assert expected in STRATEGIES


def test_a_configured_unknown_strategy_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        default_strategy("lot", 10, "random")
    assert caught.value.code == "unknown_strategy"


# --- the pick walk -------------------------------------------------------------------------


def test_pick_route_sorts_numbers_by_value_and_keeps_each_location_once() -> None:
    paths = ["A/10", "A/2", "B/1", "A/2", "a/3", "A/02/1", "A", "A/1b", "A/1a10", "A/1a9"]
    assert pick_route(paths) == [
        "A",
        "A/1a9",
        "A/1a10",
        "A/1b",
        "A/2",
        "A/02/1",
        "a/3",
        "A/10",
        "B/1",
    ]


def test_route_key_orders_equal_numbers_with_leading_zeros_the_same_way_every_time() -> None:
    assert sorted(["A/1", "A/01", "A/001"], key=route_key) == ["A/001", "A/01", "A/1"]
    assert sorted(["A/001", "A/1", "A/01"], key=route_key) == ["A/001", "A/01", "A/1"]


# --- properties ----------------------------------------------------------------------------

ITEMS = (1, 2)
LOCATIONS = {1: "SH/A/2", 2: "SH/A/10", 3: "SH/B/1", 4: "SH/Q/1", 5: "SH/A/02"}
KINDS = {1: "internal", 2: "internal", 3: "internal", 4: "quality", 5: "internal"}
days = st.one_of(st.none(), st.integers(-3, 3).map(lambda n: TODAY + timedelta(days=n)))

candidate_lists = st.lists(
    st.builds(
        lambda item, location, lot, received, expires, available, status: Candidate(
            item,
            location,
            LOCATIONS[location],
            lot,
            received,
            expires,
            available,
            status,
            KINDS[location],
        ),
        st.sampled_from(ITEMS),
        st.sampled_from(sorted(LOCATIONS)),
        st.one_of(st.none(), st.integers(1, 4)),
        days,
        days,
        st.integers(-2, 12),
        st.sampled_from(["available", "available", "available", "hold", "recalled"]),
    ),
    max_size=14,
    unique_by=lambda c: (c.item_id, c.location_id, c.lot_id),
)


@st.composite
def need_lists(draw: st.DrawFn, *, plain: bool = False) -> list[Need]:
    count = draw(st.integers(0, 6))
    needs = []
    for line_id in range(1, count + 1):
        chosen_lot = None if plain else draw(st.one_of(st.none(), st.integers(1, 4)))
        chosen_bin = (
            None if plain else draw(st.one_of(st.none(), st.sampled_from(sorted(LOCATIONS))))
        )
        needs.append(
            Need(
                line_id,
                draw(st.sampled_from(ITEMS)),
                draw(st.integers(1, 25)),
                "fefo" if plain else draw(st.sampled_from(STRATEGIES)),
                chosen_lot,
                chosen_bin,
            )
        )
    return needs


def eligible(
    candidate: Candidate, allow_expired: bool, excluded: set[tuple[int, int, int | None]]
) -> bool:
    """The rules restated independently of the module."""
    expired = candidate.expires_on is not None and candidate.expires_on < TODAY
    return (
        candidate.available > 0
        and candidate.lot_status == "available"
        and candidate.location_kind == "internal"
        and (allow_expired or not expired)
        and (candidate.item_id, candidate.location_id, candidate.lot_id) not in excluded
    )


def serves(candidate: Candidate, need: Need) -> bool:
    return (
        candidate.item_id == need.item_id
        and need.lot_id in (None, candidate.lot_id)
        and need.location_id in (None, candidate.location_id)
    )


Key = tuple[int, int, int | None]


@st.composite
def candidates_and_excluded(draw: st.DrawFn) -> tuple[list[Candidate], set[Key]]:
    """Candidates and some of their own keys excluded (plus, maybe, a key of no candidate)."""
    candidates = draw(candidate_lists)
    keys = [(c.item_id, c.location_id, c.lot_id) for c in candidates]
    excluded = draw(st.sets(st.sampled_from(keys), max_size=3)) if keys else set()
    if draw(st.booleans()):
        excluded.add((3, 1, None))
    return candidates, excluded


@given(need_lists(), candidates_and_excluded(), st.booleans())
def test_every_allocation_is_eligible_and_every_line_is_accounted_for(
    needs: list[Need], drawn: tuple[list[Candidate], set[Key]], allow_expired: bool
) -> None:
    candidates, excluded = drawn
    plan = allocate(needs, candidates, TODAY, allow_expired=allow_expired, excluded=excluded)
    by_key = {(c.item_id, c.location_id, c.lot_id): c for c in candidates}
    by_line = {need.line_id: need for need in needs}
    used: Counter[tuple[int, int, int | None]] = Counter()
    for allocation in plan.allocations:
        key = (allocation.item_id, allocation.location_id, allocation.lot_id)
        candidate = by_key[key]
        assert allocation.quantity > 0
        assert eligible(candidate, allow_expired, excluded)
        assert serves(candidate, by_line[allocation.line_id])
        used[key] += allocation.quantity
    for key, quantity in used.items():
        assert quantity <= by_key[key].available
    for need in needs:
        short = plan.shortages.get(need.line_id, 0)
        assert plan.allocated.get(need.line_id, 0) + short == need.quantity
        assert need.line_id not in plan.shortages or short > 0


@given(need_lists(), candidate_lists, st.booleans())
def test_a_short_line_left_no_matching_stock_behind(
    needs: list[Need], candidates: list[Candidate], allow_expired: bool
) -> None:
    plan = allocate(needs, candidates, TODAY, allow_expired=allow_expired)
    used: Counter[tuple[int, int, int | None]] = Counter()
    for need in needs:  # replay the plan line by line
        for allocation in plan.allocations:
            if allocation.line_id == need.line_id:
                used[(allocation.item_id, allocation.location_id, allocation.lot_id)] += (
                    allocation.quantity
                )
        if need.line_id in plan.shortages:
            for candidate in candidates:
                if serves(candidate, need) and eligible(candidate, allow_expired, set()):
                    key = (candidate.item_id, candidate.location_id, candidate.lot_id)
                    assert used[key] == candidate.available


def _expiry(candidate: Candidate) -> date:
    return candidate.expires_on or date.max


@given(need_lists(plain=True), candidate_lists, st.booleans())
def test_fefo_never_takes_a_later_expiry_while_an_earlier_one_has_stock(
    needs: list[Need], candidates: list[Candidate], allow_expired: bool
) -> None:
    plan = allocate(needs, candidates, TODAY, allow_expired=allow_expired)
    by_key = {(c.item_id, c.location_id, c.lot_id): c for c in candidates}
    used: Counter[tuple[int, int, int | None]] = Counter()
    for need in needs:
        mine = [a for a in plan.allocations if a.line_id == need.line_id]
        for allocation in mine:
            used[(allocation.item_id, allocation.location_id, allocation.lot_id)] += (
                allocation.quantity
            )
        for allocation in mine:
            picked = by_key[(allocation.item_id, allocation.location_id, allocation.lot_id)]
            for other in candidates:
                earlier = other.expires_on is not None and (
                    picked.expires_on is None or other.expires_on < picked.expires_on
                )
                if (
                    other.item_id == need.item_id
                    and earlier
                    and eligible(other, allow_expired, set())
                ):
                    assert used[(other.item_id, other.location_id, other.lot_id)] == other.available


@given(need_lists(), candidate_lists, st.randoms(use_true_random=False))
def test_the_plan_does_not_depend_on_the_order_of_the_candidates(
    needs: list[Need], candidates: list[Candidate], shuffler: random.Random
) -> None:
    shuffled = list(candidates)
    shuffler.shuffle(shuffled)
    assert allocate(needs, shuffled, TODAY) == allocate(needs, candidates, TODAY)
