"""``cangku stock scan TEXT``: a scan read the way the operation pages read it."""

from __future__ import annotations

import json

from cangku.db.uow import Database
from cangku.services.items import set_item_barcodes
from tests.cli.tree import Invoke
from tests.factories import CTX, build_company

BOX = "6901234567908"


def test_a_human_readable_gs1_string(db: Database, cangku: Invoke) -> None:
    build_company(db)
    set_item_barcodes(db, CTX, "BOLT", [(BOX, "box")])
    result = cangku("stock", "scan", f"(01)0{BOX}(17)270200(10)B-7(30)2", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert (found["item"], found["unit"], found["lot"], found["quantity"]) == (
        "BOLT",
        "box",
        "B-7",
        2,
    )
    assert found["expires_on"] == "2027-02-28"


def test_a_code_nothing_has_exits_3(db: Database, cangku: Invoke) -> None:
    build_company(db)
    result = cangku("stock", "scan", "NOPE")
    assert result.exit_code == 3
    assert result.stderr == (
        "error [scan_not_found]: nothing has the code NOPE: no item, barcode, location or lot\n"
    )
