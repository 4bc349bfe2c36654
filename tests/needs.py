"""A company with something to attend to (the dashboard's cards, the filters they link to):
items at or below their reorder point, an expired and an expiring lot, a negative balance;
users who see all of it, one warehouse of it, or none of the stock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from cangku.db.uow import Database
from cangku.services.items import ItemInput, create_item, deactivate_item
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from cangku.services.users import create_role, create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company

TODAY = datetime.now(UTC).date()
#: items with a reorder point: (code, reorder point, on hand in WH1-A, on hand in WH2-A)
REORDER = [
    ("NUT", "20", "15", "10"),
    ("RIVET", "10", "10", None),
    ("SCREW", "5", "100", None),
    ("WASHER", "0", None, None),
]
#: at or below the reorder point, by who looks: everything, WH1 only, WH2 only
BELOW = {
    "all": ["RIVET", "WASHER"],  # NUT: 25 > 20; SCREW: 100 > 5
    "WH1": ["NUT", "RIVET", "WASHER"],  # NUT: 15 <= 20
    "WH2": ["NUT", "RIVET", "SCREW", "WASHER"],  # nothing of RIVET and SCREW in WH2
}
#: the users: a manager of everything, one of WH1 and one of WH2, a receiving clerk (no
#: valuation.view), and one who may see items and lots only (no stock.view)
USERS = {
    "boss": [("warehouse_manager", None)],
    "boss1": [("warehouse_manager", "WH1")],
    "boss2": [("warehouse_manager", "WH2")],
    "clerk": [("receiving_clerk", None)],
    "lister": [("lister", None)],
}


def build_needs(db: Database) -> None:
    """The test company (WH2 may go negative) and: NUT, RIVET, SCREW, WASHER with reorder
    points and stock as ``REORDER`` says, OLD (inactive, reorder point 10, no stock); GLUE lots
    L1 (expired), SOON (expires in 5 days) and LATER (in a year), 4 each in WH1-A; BOLT at
    -3 in WH2-A (issued with nothing there); the ``USERS``."""
    build_company(db, allow_negative_wh2=True)
    for code, point, first, second in REORDER:
        create_item(
            db, CTX, ItemInput(code, code.title(), "spare_part", reorder_point=Decimal(point))
        )
        for location, quantity in (("WH1-A", first), ("WH2-A", second)):
            if quantity is not None:
                receive_stock(db, CTX, Receive(code, quantity, location, unit_cost="1"))
    create_item(db, CTX, ItemInput("OLD", "Old part", "spare_part", reorder_point=Decimal(10)))
    deactivate_item(db, CTX, "OLD")
    for lot, expiry in (
        ("L1", date(2020, 1, 1)),
        ("SOON", TODAY + timedelta(days=5)),
        ("LATER", TODAY + timedelta(days=365)),
    ):
        receive_stock(
            db, CTX, Receive("GLUE", "4", "WH1-A", lot=lot, unit_cost="2", expires_on=expiry)
        )
    issue_stock(db, CTX, Issue("BOLT", "3", "WH2-A"))
    create_role(db, CTX, "lister", "Lister", ["item.view", "lot.view"])
    for username, roles in USERS.items():
        create_user(db, CTX, username, username.title(), PASSWORD, list(roles))
