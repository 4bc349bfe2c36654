"""Replenishment suggestions worked out by hand (ADR 0033), shared by the service, API, CLI
and web tests. Needs ``build_company``.

- NUT (``create_levelled_nut``): reorder point 10, max 100 everywhere; 3 in WH1-A, 200 in WH2-A.
  WH1: position 3 <= 10, shortfall 97; WH2 has 200 - 100 = 100 in excess: a transfer of 97
  from WH2 (WH2-A). No supplier needed. Levels row in WH1: class B, demand 0.5 a day (cover
  3 / 0.5 = 6.0 days).
- WASHER (pcs): reorder point 20, max 50; 5 in WH1-A; ACME (preferred) sells it at 2.5 in
  packs of 12, at least 30. WH1: position 5, shortfall 45, 4 packs = 48 (rule ``pack``;
  ceiling floor((50 + 12 - 5) / 12) x 12 = 48), value 120. Levels row: class A, demand 2 a
  day (cover 2.5 days). BETA also sells it (not preferred).
- GASKET (pcs): reorder point 10, max 20; 8 in WH1-A; only ZETA sells it, at 1, packs of 10,
  at least 40: shortfall 12, 2 packs = 20, the minimum 40 would pass the max by more than a
  pack (ceiling floor((20 + 10 - 8) / 10) x 10 = 20): 20, rule ``max``, below the minimum:
  cut (``below_minimum``).
- SPRING (pcs): reorder point 5, max 10; 1 in WH1-A; BETA and ZETA sell it, neither
  preferred: ``no_supplier`` (wanted 9).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import insert, select

from cangku.db.tables import items, replenishment_levels, warehouses
from cangku.db.uow import Database
from cangku.domain.quantities import to_scaled
from cangku.services.items import ItemInput, create_item
from cangku.services.partners import (
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
)
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.factories import CTX, create_levelled_nut


def _item(db: Database, code: str, rop: int, top: int, stock: int) -> None:
    levels = {"reorder_point": Decimal(rop), "max_stock": Decimal(top)}
    create_item(db, CTX, ItemInput(code, code.title(), "consumable", **levels))
    receive_stock(db, CTX, Receive(code, str(stock), "WH1-A", unit_cost="1"))


def _terms(db: Database, partner: str, item: str, **terms: object) -> None:
    set_supplier_item(
        db,
        CTX,
        SupplierItemInput(partner, item, currency="CNY", **terms),  # type: ignore[arg-type]
    )


def set_levels_row(
    db: Database, item: str, warehouse: str, abc: str | None, demand: str | None
) -> None:
    """A levels row with only its ABC class and demand per day (the levels stay the item's)."""
    with db.write() as uow:
        conn = uow.conn
        item_id = conn.execute(select(items.c.id).where(items.c.code == item)).scalar_one()
        wh = conn.execute(select(warehouses.c.id).where(warehouses.c.code == warehouse))
        conn.execute(
            insert(replenishment_levels).values(
                item_id=item_id,
                warehouse_id=wh.scalar_one(),
                abc_class=abc,
                demand=None if demand is None else to_scaled(Decimal(demand)),
            )
        )
        uow.commit()


def create_suggestion_story(db: Database) -> None:
    """The items, suppliers and stock of the module docstring."""
    create_levelled_nut(db)
    for code in ("ACME", "BETA", "ZETA"):
        create_partner(db, CTX, PartnerInput(code, f"{code.title()} Ltd", is_supplier=True))
    _item(db, "WASHER", 20, 50, 5)
    _item(db, "GASKET", 10, 20, 8)
    _item(db, "SPRING", 5, 10, 1)
    _terms(db, "ACME", "WASHER", price=Decimal("2.5"), min_order_qty=Decimal(30),
           pack_size=Decimal(12), preferred=True)  # fmt: skip
    _terms(db, "BETA", "WASHER", price=Decimal("2"))
    _terms(db, "ZETA", "GASKET", price=Decimal(1), min_order_qty=Decimal(40), pack_size=Decimal(10))
    _terms(db, "BETA", "SPRING", price=Decimal(3))
    _terms(db, "ZETA", "SPRING", price=Decimal(4))
    set_levels_row(db, "NUT", "WH1", "B", "0.5")
    set_levels_row(db, "WASHER", "WH1", "A", "2")
