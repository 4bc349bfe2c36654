"""Safety stock, reorder point, order-up-to level and the suggested order quantity (issue 16,
ADR 0028): pure formulas on ``Decimal``, each returning its working so a page can show it.

Periods: demand (``d`` its mean per period, ``sd_d`` its standard deviation), the lead time
(``LT``, ``sd_LT``) and the review period are in the same periods (days or weeks).

- **Service level -> z**: the standard normal quantile (``statistics.NormalDist().inv_cdf``),
  rounded to 4 decimals as printed tables give it, so the working can be checked by hand
  (0.95 -> 1.6449). Default service level per ABC class (``DEFAULT_SERVICE_LEVELS``): A 0.98,
  B 0.95, C 0.90 (an item without a class gets B's).
- **Safety stock** SS = z x sqrt(LT x sd_d^2 + d^2 x sd_LT^2): demand varying over the lead
  time plus the lead time varying at the mean demand.
- **Reorder point** ROP = d x LT + SS; **order-up-to (max)** = ROP + d x review period.
- SS, ROP and max are rounded **up** to the item's unit decimals (never below the formula).
- **Suggested quantity** for a position (on hand + on order + in transit - reserved): see
  ``suggest_quantity``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from statistics import NormalDist

from cangku.domain.errors import InvalidInput

__all__ = [
    "DEFAULT_SERVICE_LEVELS",
    "Levels",
    "Suggestion",
    "reorder_levels",
    "service_level_for",
    "suggest_quantity",
    "z_for",
]

#: the service level (chance of no stock-out in a replenishment cycle) per ABC class
DEFAULT_SERVICE_LEVELS = {"A": Decimal("0.98"), "B": Decimal("0.95"), "C": Decimal("0.90")}
_Z_PLACES = Decimal("0.0001")


def service_level_for(abc_class: str | None) -> Decimal:
    """The default service level of ``abc_class`` (``A``, ``B``, ``C``; None or another: B's)."""
    return DEFAULT_SERVICE_LEVELS.get(abc_class or "B", DEFAULT_SERVICE_LEVELS["B"])


def z_for(service_level: Decimal) -> Decimal:
    """The standard normal quantile of ``service_level`` to 4 decimals. Raises InvalidInput
    ``invalid_service_level`` unless 0.5 <= level < 1 (below one half the safety stock would be
    negative)."""
    if not Decimal("0.5") <= service_level < 1:
        raise InvalidInput(
            "a service level is at least 0.5 and below 1",
            code="invalid_service_level",
            service_level=str(service_level),
        )
    z = NormalDist().inv_cdf(float(service_level))
    return Decimal(repr(z)).quantize(_Z_PLACES)


@dataclass(frozen=True)
class Levels:
    """The working of ``reorder_levels``: its inputs and each figure computed from them."""

    service_level: Decimal
    z: Decimal
    demand: Decimal
    demand_sd: Decimal
    lead_time: Decimal
    lead_time_sd: Decimal
    review_period: Decimal
    #: LT x sd_d^2 + d^2 x sd_LT^2 (the variance of demand over the lead time)
    variance: Decimal
    #: its square root (unrounded)
    deviation: Decimal
    safety_stock: Decimal
    #: d x LT (demand over the lead time, unrounded)
    lead_time_demand: Decimal
    reorder_point: Decimal
    order_up_to: Decimal
    decimals: int


def _up(value: Decimal, step: Decimal) -> Decimal:
    """``value`` rounded up to a multiple of ``step``."""
    return (value / step).to_integral_value(ROUND_CEILING) * step


def _down(value: Decimal, step: Decimal) -> Decimal:
    """``value`` rounded down to a multiple of ``step``."""
    return (value / step).to_integral_value(ROUND_FLOOR) * step


def _unit_step(decimals: int) -> Decimal:
    if not 0 <= decimals <= 6:
        raise InvalidInput("a unit has 0 to 6 decimals", code="invalid_decimals", decimals=decimals)
    return Decimal(1).scaleb(-decimals)


def reorder_levels(
    *,
    demand: Decimal,
    demand_sd: Decimal,
    lead_time: Decimal,
    lead_time_sd: Decimal,
    service_level: Decimal,
    review_period: Decimal = Decimal(0),
    decimals: int = 0,
) -> Levels:
    """Safety stock, reorder point and order-up-to level (see the module docstring), rounded
    up to ``decimals``. Raises InvalidInput ``invalid_service_level``, ``invalid_decimals`` and
    ``negative_planning_input`` (a negative demand, deviation, lead time or review period)."""
    for name, value in (
        ("demand", demand), ("demand_sd", demand_sd), ("lead_time", lead_time),
        ("lead_time_sd", lead_time_sd), ("review_period", review_period),
    ):  # fmt: skip
        if value < 0:
            raise InvalidInput(
                f"{name} may not be negative", code="negative_planning_input", field=name
            )
    step = _unit_step(decimals)
    z = z_for(service_level)
    variance = lead_time * demand_sd**2 + demand**2 * lead_time_sd**2
    deviation = variance.sqrt()
    safety = _up(z * deviation, step)
    lead_time_demand = demand * lead_time
    reorder = _up(lead_time_demand + safety, step)
    up_to = _up(reorder + demand * review_period, step)
    return Levels(
        service_level, z, demand, demand_sd, lead_time, lead_time_sd, review_period,
        variance, deviation, safety, lead_time_demand, reorder, up_to, decimals,
    )  # fmt: skip


@dataclass(frozen=True)
class Suggestion:
    """The working of ``suggest_quantity``: the position, each rule's figure and which rule
    set the quantity (``rule``: ``above_reorder_point``, ``to_max``, ``pack``, ``moq``,
    ``max``)."""

    on_hand: Decimal
    on_order: Decimal
    in_transit: Decimal
    reserved: Decimal
    position: Decimal
    reorder_point: Decimal
    order_up_to: Decimal
    pack_size: Decimal
    minimum_order: Decimal
    #: order-up-to less the position (0 above the reorder point)
    shortfall: Decimal
    #: the shortfall rounded up to the pack
    in_packs: Decimal
    #: the minimum order quantity rounded up to the pack
    minimum_in_packs: Decimal
    #: the most the max allows: the position may end at most one pack above it
    ceiling: Decimal
    quantity: Decimal
    rule: str
    #: whether the quantity is below the minimum order quantity (the max cut it: a buyer decides)
    below_minimum: bool


def suggest_quantity(
    *,
    on_hand: Decimal,
    on_order: Decimal,
    in_transit: Decimal,
    reserved: Decimal,
    reorder_point: Decimal,
    order_up_to: Decimal,
    pack_size: Decimal | None = None,
    minimum_order: Decimal = Decimal(0),
    decimals: int = 0,
) -> Suggestion:
    """The quantity to order for the position on hand + on order + in transit - reserved:

    1. **above the reorder point** (position > ROP): nothing;
    2. otherwise the shortfall to the order-up-to level (max - position), **rounded up to the
       pack size** (no pack: the unit's smallest step, 10^-decimals);
    3. **at least the minimum order quantity**, itself rounded up to the pack;
    4. **never leaving the position more than one pack above max**: when the minimum order
       would, the quantity is cut to the most whole packs that do not (``below_minimum`` says
       the minimum is then not met; the buyer decides).

    Raises InvalidInput ``invalid_decimals``, ``invalid_pack_size`` (not positive or finer than
    the unit), ``negative_minimum_order``."""
    step = _unit_step(decimals)
    pack = step if pack_size is None else pack_size
    if pack <= 0 or pack % step != 0:
        raise InvalidInput(
            "a pack size is positive and a multiple of the unit's step",
            code="invalid_pack_size",
            pack_size=str(pack),
        )
    if minimum_order < 0:
        raise InvalidInput("a minimum order may not be negative", code="negative_minimum_order")
    position = on_hand + on_order + in_transit - reserved
    minimum = _up(minimum_order, pack)
    ceiling = max(_down(order_up_to + pack - position, pack), Decimal(0))
    if position > reorder_point:
        return Suggestion(
            on_hand, on_order, in_transit, reserved, position, reorder_point, order_up_to, pack,
            minimum_order, Decimal(0), Decimal(0), minimum, ceiling, Decimal(0),
            "above_reorder_point", False,
        )  # fmt: skip
    shortfall = max(order_up_to - position, Decimal(0))
    in_packs = _up(shortfall, pack)
    quantity, rule = in_packs, ("pack" if in_packs != shortfall else "to_max")
    if quantity < minimum:
        quantity, rule = minimum, "moq"
    if quantity > ceiling:
        quantity, rule = ceiling, "max"
    return Suggestion(
        on_hand, on_order, in_transit, reserved, position, reorder_point, order_up_to, pack,
        minimum_order, shortfall, in_packs, minimum, ceiling, quantity, rule,
        quantity < minimum_order,
    )  # fmt: skip
