"""Overstock and whole packs: an order in whole packs may leave the stock up to one pack above
the maximum (ADR 0028's suggested quantity), so the overstock alert waits until the stock is
more than the preferred supplier's pack above it (no pack: above the maximum)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cangku.db.uow import Database
from cangku.services.alerts import check_alerts
from cangku.services.partners import (
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
)
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.factories import CTX, build_company, create_levelled_nut


@pytest.mark.parametrize(
    ("pack", "on_hand", "opened"),
    [
        (None, "100", 0),
        (None, "101", 1),
        ("10", "110", 0),  # a pack of 10 above the maximum 100: what an order may leave
        ("10", "111", 1),
    ],
    ids=["no-pack-at-max", "no-pack-above", "pack-within", "pack-beyond"],
)
def test_overstock_allows_one_pack_above_the_maximum(
    db: Database, pack: str | None, on_hand: str, opened: int
) -> None:
    build_company(db)
    create_levelled_nut(db, stocked=False)  # maximum 100
    create_partner(db, CTX, PartnerInput("ACME", "Acme", is_supplier=True))
    set_supplier_item(
        db,
        CTX,
        SupplierItemInput(
            "ACME", "NUT", pack_size=None if pack is None else Decimal(pack), preferred=True
        ),
    )
    receive_stock(db, CTX, Receive("NUT", on_hand, "WH1-A", unit_cost="1"))

    assert len(check_alerts(db, CTX, ["overstock"]).opened) == opened
