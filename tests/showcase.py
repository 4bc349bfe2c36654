"""A little history on top of ``tests.factories.build_company`` for tests that look at whole
pages (the browser tests, the walk of every page in Chinese): lots, serial numbers, moves of
every kind, location levels, a supplier, a second user."""

from __future__ import annotations

from datetime import date

from cangku.db.uow import Database
from cangku.services.locations import LocationInput, create_location
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.stock import adjust_stock, issue_stock, receive_stock, transfer_stock
from cangku.services.stock_commands import Adjust, Issue, Receive, Transfer
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX


def sample_history(db: Database) -> None:
    """Lots, serial numbers and moves of every kind (none of BOLT), a zone with a bin below
    it, a supplier and a clerk: enough for each main page to show what it is for."""
    create_location(db, CTX, LocationInput("WH1-Z", "Zone Z", warehouse="WH1", level="zone"))
    create_location(db, CTX, LocationInput("WH1-Z-01", "Bin Z-01", parent="WH1-Z", level="bin"))
    create_partner(db, CTX, PartnerInput("ACME", "Acme Trading Co.", is_supplier=True))
    create_user(db, CTX, "li", "李雷", PASSWORD, [("receiving_clerk", "WH1")])
    for lot, quantity, expires in [("F-2401", "250", "2027-06-30"), ("F-2402", "120.5", None)]:
        expires_on = date.fromisoformat(expires) if expires else None
        receive_stock(db, CTX, Receive("FLOUR", quantity, "WH1-A", lot=lot, unit_cost="3.25",
                                       expires_on=expires_on, supplier="ACME"))  # fmt: skip
    receive_stock(db, CTX, Receive("GLUE", "40", "WH1-Z-01", lot="GL-0001", unit_cost="12.8"))
    for serial in ("PUMP-SN-000017", "PUMP-SN-000018"):
        receive_stock(db, CTX, Receive("PUMP", "1", "WH1-B", lot=serial, unit_cost="1450"))
    transfer_stock(db, CTX, Transfer("FLOUR", "20", "WH1-A", "WH1-A-01", lot="F-2401"))
    issue_stock(db, CTX, Issue("FLOUR", "35.25", "WH1-A", lot="F-2401", to="production"))
    issue_stock(db, CTX, Issue("PUMP", "1", "WH1-B", lot="PUMP-SN-000017", customer=None))
    adjust_stock(db, CTX, Adjust("GLUE", "-2", "WH1-Z-01", "damaged", lot="GL-0001"))
