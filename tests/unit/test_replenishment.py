"""Safety stock, reorder point, order-up-to level and suggested quantities (issue 16), worked
out by hand in the comments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cangku.domain.errors import InvalidInput
from cangku.domain.replenishment import (
    Suggestion,
    reorder_levels,
    service_level_for,
    suggest_quantity,
    z_for,
)

D = Decimal


def test_service_levels_per_class_and_their_z() -> None:
    assert [service_level_for(c) for c in ("A", "B", "C", None)] == [
        D("0.98"), D("0.95"), D("0.90"), D("0.95"),
    ]  # fmt: skip
    # the normal quantiles to 4 places, as printed tables give them
    assert [z_for(D(p)) for p in ("0.98", "0.95", "0.90", "0.5")] == [
        D("2.0537"), D("1.6449"), D("1.2816"), D("0.0000"),
    ]  # fmt: skip
    for bad in ("1", "0.4", "1.5"):
        with pytest.raises(InvalidInput) as refused:
            z_for(D(bad))
        assert refused.value.code == "invalid_service_level"


def test_safety_stock_from_demand_variability_alone() -> None:
    levels = reorder_levels(demand=D(10), demand_sd=D(3), lead_time=D(4), lead_time_sd=D(0),
                            service_level=D("0.95"), decimals=2)  # fmt: skip
    # variance 4 x 3^2 + 10^2 x 0 = 36, sqrt 6; SS = 1.6449 x 6 = 9.8694 -> up to 9.87
    assert (levels.variance, levels.deviation) == (D(36), D(6))
    assert levels.safety_stock == D("9.87")
    # ROP = 10 x 4 + 9.87 = 49.87; no review period: max = ROP
    assert (levels.lead_time_demand, levels.reorder_point) == (D(40), D("49.87"))
    assert levels.order_up_to == D("49.87")


def test_safety_stock_with_lead_time_variability_and_a_review_period() -> None:
    levels = reorder_levels(demand=D(5), demand_sd=D(4), lead_time=D(4), lead_time_sd=D("1.2"),
                            service_level=service_level_for("A"), review_period=D(2),
                            decimals=1)  # fmt: skip
    # variance 4 x 16 + 25 x 1.44 = 64 + 36 = 100, sqrt 10; SS = 2.0537 x 10 = 20.537 -> 20.6
    assert (levels.z, levels.variance, levels.safety_stock) == (D("2.0537"), D(100), D("20.6"))
    # ROP = 5 x 4 + 20.6 = 40.6; max = 40.6 + 5 x 2 = 50.6
    assert (levels.reorder_point, levels.order_up_to) == (D("40.6"), D("50.6"))


def test_class_c_rounds_up_to_whole_units() -> None:
    levels = reorder_levels(demand=D(100), demand_sd=D(20), lead_time=D(4), lead_time_sd=D(1),
                            service_level=service_level_for("C"), review_period=D(1))  # fmt: skip
    # variance 4 x 400 + 10000 x 1 = 11600, sqrt 107.7033; SS = 1.2816 x 107.7033 = 138.03
    # -> 139; ROP = 400 + 139 = 539; max = 539 + 100 = 639
    assert (levels.safety_stock, levels.reorder_point, levels.order_up_to) == (
        D(139), D(539), D(639),
    )  # fmt: skip


def test_negative_inputs_are_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        reorder_levels(demand=D(-1), demand_sd=D(0), lead_time=D(1), lead_time_sd=D(0),
                       service_level=D("0.95"))  # fmt: skip
    assert refused.value.code == "negative_planning_input"
    assert refused.value.data["field"] == "demand"


def suggest(**given: Decimal | int | None) -> Suggestion:
    base: dict[str, Decimal | int | None] = {
        "on_hand": D(0), "on_order": D(0), "in_transit": D(0), "reserved": D(0),
        "reorder_point": D(50), "order_up_to": D(100),
    }  # fmt: skip
    return suggest_quantity(**{**base, **given})  # type: ignore[arg-type]


def test_a_position_above_the_reorder_point_orders_nothing() -> None:
    found = suggest(on_hand=D(60), reserved=D(5), minimum_order=D(20))
    # position 60 - 5 = 55 > ROP 50
    assert (found.position, found.quantity, found.rule) == (D(55), D(0), "above_reorder_point")


def test_the_pack_size_rounds_the_shortfall_up() -> None:
    found = suggest(on_hand=D(30), on_order=D(10), in_transit=D(5), reserved=D(7),
                    pack_size=D(12), minimum_order=D(24))  # fmt: skip
    # position 30 + 10 + 5 - 7 = 38 <= 50; shortfall 100 - 38 = 62 -> 6 packs of 12 = 72;
    # MOQ 24 met; the position ends at 110, under 100 + one pack
    assert (found.position, found.shortfall, found.in_packs) == (D(38), D(62), D(72))
    assert (found.quantity, found.rule, found.below_minimum) == (D(72), "pack", False)


def test_the_minimum_order_quantity_lifts_the_order() -> None:
    found = suggest(on_hand=D(60), reorder_point=D(60), pack_size=D(10), minimum_order=D(45))
    # position 60 <= 60; shortfall 40 (4 packs); MOQ 45 -> 5 packs = 50; the position ends
    # at 110 = max + one pack: allowed
    assert (found.shortfall, found.minimum_in_packs, found.ceiling) == (D(40), D(50), D(50))
    assert (found.quantity, found.rule) == (D(50), "moq")


def test_the_max_caps_a_minimum_order_too_big() -> None:
    found = suggest(on_hand=D(60), reorder_point=D(60), pack_size=D(10), minimum_order=D(100))
    # MOQ 100 would end at 160; at most 100 + 10 - 60 = 50 (5 packs): cut, below the minimum
    assert (found.quantity, found.rule, found.below_minimum) == (D(50), "max", True)


def test_no_pack_rounds_up_to_the_units_decimals() -> None:
    found = suggest(on_hand=D("3.333"), reorder_point=D("10.5"), order_up_to=D("20.25"),
                    decimals=2)  # fmt: skip
    # shortfall 20.25 - 3.333 = 16.917 -> up to 0.01: 16.92 (the unit's step is the pack)
    assert (found.shortfall, found.quantity, found.rule) == (D("16.917"), D("16.92"), "pack")


def test_exactly_the_shortfall_when_it_is_whole_packs() -> None:
    found = suggest(on_hand=D(40), pack_size=D(20))
    assert (found.quantity, found.rule) == (D(60), "to_max")


def test_bad_pack_sizes_and_minimums_are_refused() -> None:
    for given, code in (
        ({"pack_size": D("0.5")}, "invalid_pack_size"),
        ({"pack_size": D(0)}, "invalid_pack_size"),
        ({"minimum_order": D(-1)}, "negative_minimum_order"),
        ({"decimals": 7}, "invalid_decimals"),
    ):
        with pytest.raises(InvalidInput) as refused:
            suggest(**given)  # type: ignore[arg-type]
        assert refused.value.code == code
