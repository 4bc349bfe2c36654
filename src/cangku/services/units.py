"""Use cases of units of measure: the built-in ones come from setup; users add their own."""

from __future__ import annotations

from datetime import datetime

from cangku.db import catalog
from cangku.db.catalog import Unit
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.catalog import check_code, check_decimals, check_name
from cangku.domain.errors import Conflict
from cangku.domain.permissions import WAREHOUSE_MANAGER, Actor, action
from cangku.services.common import Context, run_write

__all__ = ["Unit", "create_unit"]

UNIT_CREATE = action("unit.create", roles={WAREHOUSE_MANAGER})


def create_unit(db: Database, ctx: Context, code: str, name: str, decimals: int) -> Unit:
    """Add a custom unit of measure allowing ``decimals`` (0..6) decimal places.

    Raises InvalidInput ``invalid_code`` / ``invalid_name`` / ``invalid_decimals``, Conflict
    ``unit_code_taken``. Writes: one ``units`` row.
    """

    def work(uow: UnitOfWork, _actor: Actor, _now: datetime) -> str:
        check_code(code, max_length=16)
        check_name(name, 100)
        check_decimals(decimals)
        if catalog.unit_exists(uow.conn, code):
            raise Conflict(f"unit {code!r} already exists", code="unit_code_taken", unit=code)
        catalog.insert_unit(uow.conn, code, name, decimals)
        return code

    payload = {"code": code, "name": name, "decimals": decimals}
    run_write(db, ctx, UNIT_CREATE, payload, work)
    with db.read() as conn:
        return catalog.unit_by_code(conn, code)
