"""A small, known company for tests: two warehouses, a few locations, four kinds of item."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cangku.db.uow import Database
from cangku.services.common import Context
from cangku.services.items import ItemInput, create_item
from cangku.services.setup import initialize
from cangku.services.warehouses import (
    LocationInput,
    WarehouseInput,
    create_location,
    create_warehouse,
)
from tests.databases import build_once

CTX = Context(username="admin")


@dataclass(frozen=True)
class Company:
    db: Database


def build_company(db: Database, *, allow_negative_wh2: bool = False) -> Company:
    """WH1 (locations WH1-A, WH1-A-01 under it, WH1-B, WH1-RCV, WH1-QC, WH1-SHIP) and WH2 (WH2-A).

    Items: BOLT (pcs, FIFO, box = 12 pcs), FLOUR (kg, moving average, lot-tracked, 365 days
    shelf life), PUMP (serial-tracked), GLUE (lot-tracked, FIFO).

    Built once per test process and variant; later tests get a copy of that database.
    """
    key = "company_neg" if allow_negative_wh2 else "company"
    build_once(db, key, lambda: _build_company(db, allow_negative_wh2=allow_negative_wh2))
    return Company(db)


def _build_company(db: Database, *, allow_negative_wh2: bool) -> None:
    initialize(db)
    create_warehouse(db, CTX, WarehouseInput("WH1", "Main warehouse"))
    create_warehouse(
        db, CTX, WarehouseInput("WH2", "Second warehouse", allow_negative_stock=allow_negative_wh2)
    )
    for code, kind, parent, warehouse in [
        ("WH1-A", "internal", None, "WH1"),
        ("WH1-A-01", "internal", "WH1-A", None),
        ("WH1-B", "internal", None, "WH1"),
        ("WH1-RCV", "receiving", None, "WH1"),
        ("WH1-QC", "quality", None, "WH1"),
        ("WH1-SHIP", "shipping", None, "WH1"),
        ("WH2-A", "internal", None, "WH2"),
    ]:
        create_location(
            db,
            CTX,
            LocationInput(code, f"Location {code}", kind=kind, warehouse=warehouse, parent=parent),
        )
    create_item(
        db,
        CTX,
        ItemInput(
            "BOLT",
            "Hex bolt M8",
            "spare_part",
            units=[("box", Decimal(12))],
            barcodes=[("6901234567892", None)],
        ),
    )
    create_item(
        db,
        CTX,
        ItemInput(
            "FLOUR",
            "Wheat flour",
            "raw_material",
            base_unit="kg",
            tracking="lot",
            costing_method="moving_average",
            shelf_life_days=365,
        ),
    )
    create_item(db, CTX, ItemInput("PUMP", "Water pump", "finished_good", tracking="serial"))
    create_item(db, CTX, ItemInput("GLUE", "Wood glue", "consumable", tracking="lot"))


def create_levelled_nut(db: Database, *, stocked: bool = True) -> None:
    """NUT (spare part, pcs) with reorder point 10, safety stock 5 and maximum 100; ``stocked``:
    3 received into WH1-A and 200 into WH2-A at 1 each (low and below safety stock in WH1,
    overstock in WH2). Needs ``build_company``."""
    from cangku.services.stock import receive_stock
    from cangku.services.stock_commands import Receive

    levels = {"safety_stock": Decimal(5), "reorder_point": Decimal(10), "max_stock": Decimal(100)}
    create_item(db, CTX, ItemInput("NUT", "Hex nut M8", "spare_part", **levels))
    if stocked:
        receive_stock(db, CTX, Receive("NUT", "3", "WH1-A", unit_cost="1"))
        receive_stock(db, CTX, Receive("NUT", "200", "WH2-A", unit_cost="1"))
