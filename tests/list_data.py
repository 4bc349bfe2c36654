"""The small company of ``tests.factories`` with something in every list: lots and a serial,
three partners, two more users (for the sorting and export tests of the list pages, the API
and the CLI)."""

from __future__ import annotations

from datetime import date

from cangku.db.uow import Database
from cangku.services.lots import LotInput, SerialInput, create_lot, create_serial
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.users import create_role, create_user
from tests.databases import build_once
from tests.factories import CTX, build_company


def build_lists(db: Database) -> None:
    """``build_company`` plus, built once per test process:

    - lots FLOUR/F-2 (made 2029-03-01, expires 2030-03-01, supplier lot S-9), FLOUR/F-1
      (expires 2031-01-01), GLUE/G-1 (no dates, quarantine) and the serial PUMP/SN-1;
    - partners ACME (Acme Tools, supplier, sales@acme.test), BETA (Beta Foods, customer,
      555-0100) and CORE (Core Parts, both);
    - users li.wei (Li Wei) and bo (Bo Zhang), neither with a password or a role;
    - the custom role night_shift (Night shift: item.view).
    """
    build_once(db, "lists", lambda: _build(db))


def _build(db: Database) -> None:
    build_company(db)
    create_lot(
        db,
        CTX,
        LotInput(
            "FLOUR",
            "F-2",
            manufactured_on=date(2029, 3, 1),
            expires_on=date(2030, 3, 1),
            supplier_lot="S-9",
        ),
    )
    create_lot(db, CTX, LotInput("FLOUR", "F-1", expires_on=date(2031, 1, 1)))
    create_lot(db, CTX, LotInput("GLUE", "G-1", status="quarantine"))
    create_serial(db, CTX, SerialInput("PUMP", "SN-1"))
    for partner in [
        PartnerInput("ACME", "Acme Tools", is_supplier=True, email="sales@acme.test"),
        PartnerInput("BETA", "Beta Foods", is_customer=True, phone="555-0100"),
        PartnerInput("CORE", "Core Parts", is_supplier=True, is_customer=True),
    ]:
        create_partner(db, CTX, partner)
    create_user(db, CTX, "li.wei", "Li Wei")
    create_user(db, CTX, "bo", "Bo Zhang")
    create_role(db, CTX, "night_shift", "Night shift", ["item.view"])
