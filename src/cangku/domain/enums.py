"""Closed vocabularies of the domain."""

from __future__ import annotations

from enum import StrEnum


class ItemType(StrEnum):
    RAW_MATERIAL = "raw_material"
    SEMI_FINISHED = "semi_finished"
    FINISHED_GOOD = "finished_good"
    SPARE_PART = "spare_part"
    CONSUMABLE = "consumable"


class Tracking(StrEnum):
    NONE = "none"
    LOT = "lot"
    SERIAL = "serial"


class CostingMethod(StrEnum):
    FIFO = "fifo"
    MOVING_AVERAGE = "moving_average"


class LocationKind(StrEnum):
    INTERNAL = "internal"
    RECEIVING = "receiving"
    QUALITY = "quality"
    SHIPPING = "shipping"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    ADJUSTMENT = "adjustment"
    SCRAP = "scrap"
    PRODUCTION = "production"
    TRANSIT = "transit"

    @property
    def is_virtual(self) -> bool:
        return self in VIRTUAL_KINDS

    @property
    def is_valued(self) -> bool:
        """Stock in these locations is the company's own and carries value."""
        return self in VALUED_KINDS


#: Created automatically with every warehouse; they make every move balanced.
VIRTUAL_KINDS = frozenset(
    {
        LocationKind.SUPPLIER,
        LocationKind.CUSTOMER,
        LocationKind.ADJUSTMENT,
        LocationKind.SCRAP,
        LocationKind.PRODUCTION,
        LocationKind.TRANSIT,
    }
)
#: Physical kinds a user creates in the location tree.
STORAGE_KINDS = frozenset(
    {LocationKind.INTERNAL, LocationKind.RECEIVING, LocationKind.QUALITY, LocationKind.SHIPPING}
)
#: Goods in transit are still ours: they keep their value and may not go negative.
VALUED_KINDS = STORAGE_KINDS | {LocationKind.TRANSIT}


class LotStatus(StrEnum):
    AVAILABLE = "available"
    QUARANTINE = "quarantine"
    HOLD = "hold"
    RECALLED = "recalled"
    REJECTED = "rejected"


class Operation(StrEnum):
    RECEIVE = "receive"
    ISSUE = "issue"
    MOVE = "move"
    ADJUST = "adjust"
    SCRAP = "scrap"
    REVERSE = "reverse"
    IMPORT = "import"
    #: goods sent back to a supplier (a supplier return), at the cost they came in with
    RETURN = "return"


class PartnerRole(StrEnum):
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
