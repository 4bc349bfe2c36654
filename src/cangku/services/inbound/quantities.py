"""Quantities of document lines in base units: a line names an item, a quantity and maybe a
unit (a purchase unit, converted by the item's conversion), resolved for all lines at once."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection

from cangku.db import inbound as loads
from cangku.domain.catalog import scaled_base_quantity
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.quantities import SCALE, positive_quantity


class Converter:
    """Unit conversions for a set of items, loaded in two statements."""

    def __init__(
        self, conn: Connection, items: list[loads.InboundItem], extra_units: set[str]
    ) -> None:
        self.factors = loads.factors(conn, [item.id for item in items])
        self.places = loads.unit_places(
            conn, {item.base_unit for item in items} | {u for _, u in self.factors} | extra_units
        )

    def base(
        self, item: loads.InboundItem, raw: Decimal | str, unit: str | None
    ) -> tuple[Decimal, int, int]:
        """(quantity as typed, the factor, base quantity scaled). Raises InvalidInput
        (quantity, ``unit_not_convertible``, ``too_many_decimals``), NotFound ``unit_not_found``."""
        quantity = positive_quantity(raw)
        base_places = self.places[item.base_unit]
        if unit is None or unit == item.base_unit:
            return (
                quantity,
                SCALE,
                scaled_base_quantity(
                    quantity, SCALE, item.base_unit, base_places, item.base_unit, base_places
                ),
            )
        if unit not in self.places:
            raise NotFound("unit", unit)
        factor = self.factors.get((item.id, unit))
        if factor is None:
            raise InvalidInput(
                f"item {item.code} has no conversion from {unit!r} to {item.base_unit!r}",
                code="unit_not_convertible",
                item=item.code,
                unit=unit,
            )
        scaled = scaled_base_quantity(
            quantity, factor, unit, self.places[unit], item.base_unit, base_places
        )
        return quantity, factor, scaled


def items_by_code(conn: Connection, codes: list[str]) -> dict[str, loads.InboundItem]:
    """Items named by the lines, all at once. Raises NotFound for the first unknown code."""
    found = loads.inbound_items(conn, codes=codes)
    for code in codes:
        if code not in found:
            raise NotFound("item", code)
    return {code: found[code] for code in codes}
