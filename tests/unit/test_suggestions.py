"""Suggestions' pure part (ADR 0033): supplier choice, transfer first, ranking and cutting, by
hand."""

from __future__ import annotations

from decimal import Decimal as D

from cangku.domain.suggestions import (
    Budget,
    Candidate,
    Kept,
    Term,
    choose_supplier,
    cut_to_constraints,
    days_of_cover,
    rank_key,
    split_sources,
    take_from_bins,
)

ACME = Term("ACME", D("2.5"), D(30), D(12), True)
BETA = Term("BETA", D(2), None, None, False)
ZETA = Term("ZETA", D(1), None, None, False)


def test_the_preferred_supplier_else_the_only_one_else_none() -> None:
    assert choose_supplier([BETA, ACME]) == ACME
    assert choose_supplier([BETA]) == BETA
    assert choose_supplier([BETA, ZETA]) is None
    assert choose_supplier([]) is None


def test_days_of_cover_to_a_tenth_rounded_down() -> None:
    assert days_of_cover(D(5), D(2)) == D("2.5")
    assert days_of_cover(D(10), D(3)) == D("3.3")
    assert days_of_cover(D(-4), D(2)) == D(0)
    assert days_of_cover(D(5), None) is None
    assert days_of_cover(D(5), D(0)) is None


def test_rank_a_first_then_least_cover_unknown_cover_last() -> None:
    keys = {
        "c": rank_key("C", D(1), "C1", "WH1"),
        "a_long": rank_key("A", D(30), "A1", "WH1"),
        "a_short": rank_key("A", D(2), "A2", "WH1"),
        "a_unknown": rank_key("A", None, "A0", "WH1"),
        "none": rank_key(None, D(0), "N", "WH1"),
        "b": rank_key("B", D(9), "B1", "WH1"),
    }
    assert sorted(keys, key=keys.__getitem__) == [
        "a_short",
        "a_long",
        "a_unknown",
        "b",
        "c",
        "none",
    ]


def _split(on_hand: str, excess: dict[str, D], term: Term | None = ACME, on_order: str = "0"):  # type: ignore[no-untyped-def]
    return split_sources(
        on_hand=D(on_hand), on_order=D(on_order), in_transit=D(0), reserved=D(0),
        reorder_point=D(20), order_up_to=D(50), excess=excess, term=term, decimals=0,
    )  # fmt: skip


def test_from_the_supplier_in_packs_when_no_warehouse_has_excess() -> None:
    # position 5: shortfall 45 -> 4 packs of 12 = 48 (>= 30); ceiling floor(57 / 12) x 12 = 48
    whole, sources = _split("5", {})
    assert (whole.quantity, whole.rule) == (D(48), "pack")
    assert [(s.warehouse, s.quantity) for s in sources] == [(None, D(48))]


def test_above_the_reorder_point_nothing() -> None:
    whole, sources = _split("21", {"WH2": D(100)})
    assert (whole.quantity, sources) == (D(0), [])


def test_a_transfer_from_the_warehouse_with_most_excess_covers_the_shortfall() -> None:
    # shortfall 45; WH3 has the most excess (60): 45 from WH3, nothing from the supplier
    whole, sources = _split("5", {"WH2": D(10), "WH3": D(60)})
    assert [(s.warehouse, s.quantity) for s in sources] == [("WH3", D(45))]
    assert whole.shortfall == D(45)


def test_the_rest_from_the_supplier_in_packs_and_at_least_the_minimum() -> None:
    # shortfall 45, 10 from WH2; rest 35 -> 3 packs = 36 (>= 30), position 15 after it:
    # ceiling floor((50 + 12 - 15) / 12) x 12 = 36
    _, sources = _split("5", {"WH2": D(10)})
    assert [(s.warehouse, s.quantity) for s in sources] == [("WH2", D(10)), (None, D(36))]
    assert sources[1].working is not None and sources[1].working.rule == "pack"
    # 40 moved: rest 5 -> one pack 12, the minimum 30 -> 36 (ceiling floor(17 / 12) x 12 = 12):
    # cut to 12 by the max, below the minimum
    _, sources = _split("5", {"WH2": D(40)})
    part = sources[1].working
    assert part is not None
    assert (part.quantity, part.rule, part.below_minimum) == (D(12), "max", True)


def test_ties_of_excess_go_to_the_first_code() -> None:
    _, sources = _split("5", {"WH3": D(5), "WH2": D(5)})
    assert sources[0].warehouse == "WH2"


def _candidate(item: str, qty: str, *, abc: str | None = None, cover: str | None = None,
               pack: str = "1", minimum: str = "0", price: str | None = "1",
               transfer: bool = False, warehouse: str = "WH1") -> Candidate:  # fmt: skip
    return Candidate(
        (item, warehouse, "WH2" if transfer else None), item, warehouse, "/1/", abc,
        None if cover is None else D(cover), D(qty), D(pack), D(minimum),
        None if price is None else D(price), transfer,
    )  # fmt: skip


def test_nothing_binds_everything_is_kept() -> None:
    kept = cut_to_constraints([_candidate("X", "10")], [], {})
    assert kept[("X", "WH1", None)] == Kept(D(10), D(10), None, None, None)


def test_a_budget_keeps_the_most_urgent_first_and_cuts_the_rest() -> None:
    # budget 100: A (price 2.5, 20 -> 50) fits, left 50; B (price 2, 30 -> 60) does not:
    # floor(50 / 2 / 5) x 5 = 25 (packs of 5), 50 spent; C (price 1, 10) gets nothing
    cands = [
        _candidate("C", "10", abc="C", cover="1"),
        _candidate("B", "30", abc="B", cover="1", price="2", pack="5"),
        _candidate("A", "20", abc="A", cover="9", price="2.5"),
    ]
    budget = Budget(1, D(100), None, None)
    kept = cut_to_constraints(cands, [budget], {})
    assert kept[("A", "WH1", None)] == Kept(D(20), D(50), None, D(100), None)
    assert kept[("B", "WH1", None)] == Kept(D(25), D(50), "budget", D(50), None)
    assert kept[("C", "WH1", None)] == Kept(D(0), D(0), "budget", D(0), None)


def test_a_cut_below_the_minimum_order_is_cut_to_nothing() -> None:
    # budget 50 at 2 a piece: 25 -> 24 in packs of 12, below the minimum 30: nothing
    cands = [_candidate("A", "36", price="2", pack="12", minimum="30")]
    kept = cut_to_constraints(cands, [Budget(1, D(50), None, None)], {})
    assert kept[("A", "WH1", None)] == Kept(D(0), D(0), "budget", D(50), None)


def test_only_the_budgets_covering_the_line_bind() -> None:
    other_wh = Budget(1, D(0), "WH2", None)
    other_cat = Budget(2, D(0), None, "/7/")
    own_cat = Budget(3, D(15), "WH1", "/1/")
    kept = cut_to_constraints([_candidate("A", "20")], [other_wh, other_cat, own_cat], {})
    assert kept[("A", "WH1", None)] == Kept(D(15), D(15), "budget", D(15), None)
    assert own_cat.covers("WH1", "/1/4/") and not own_cat.covers("WH1", "/12/")
    assert not own_cat.covers("WH1", None)


def test_capacity_binds_transfers_and_purchases_alike_a_transfer_first() -> None:
    # 40 free in WH1: A's transfer 25 first (transfer first), then A's purchase 30 -> 15;
    # B's gets nothing; transfers are not valued and no budget binds them
    cands = [
        _candidate("B", "5", abc="B"),
        _candidate("A", "30", abc="A"),
        _candidate("A", "25", abc="A", transfer=True, price=None),
    ]
    kept = cut_to_constraints(cands, [Budget(1, D(1000), None, None)], {"WH1": D(40)})
    assert kept[("A", "WH1", "WH2")] == Kept(D(25), None, None, None, D(40))
    assert kept[("A", "WH1", None)] == Kept(D(15), D(15), "capacity", D(1000), D(15))
    assert kept[("B", "WH1", None)] == Kept(D(0), D(0), "capacity", D(985), D(0))


def test_over_capacity_or_overspent_keeps_nothing() -> None:
    kept = cut_to_constraints([_candidate("A", "5")], [], {"WH1": D(-3)})
    assert kept[("A", "WH1", None)].quantity == D(0)
    kept = cut_to_constraints([_candidate("A", "5")], [Budget(1, D(-1), None, None)], {})
    assert kept[("A", "WH1", None)] == Kept(D(0), D(0), "budget", D(-1), None)


def test_the_max_alone_below_the_minimum() -> None:
    kept = cut_to_constraints([_candidate("A", "20", minimum="40", pack="10")], [], {})
    assert kept[("A", "WH1", None)] == Kept(D(0), D(0), "below_minimum", None, None)


def test_take_from_bins_in_order_up_to_each_free() -> None:
    bins = [("A-01", None, D(5)), ("A-02", "L1", D(10)), ("A-03", None, D(7))]
    assert take_from_bins(D(12), bins) == [("A-01", None, D(5)), ("A-02", "L1", D(7))]
    assert take_from_bins(D(40), bins) == [
        ("A-01", None, D(5)), ("A-02", "L1", D(10)), ("A-03", None, D(7))
    ]  # fmt: skip
    assert take_from_bins(D(0), bins) == []
