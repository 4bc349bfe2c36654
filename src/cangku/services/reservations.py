"""Reservations: promising available stock to an order or requisition before it is issued.
Reserved never exceeds on hand (a conditional update in the ledger store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection

from cangku.db import balances, lookups
from cangku.db import outbound as reservations
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.enums import LocationKind, LotStatus
from cangku.domain.errors import RuleViolation
from cangku.domain.permissions import PICKER_SHIPPER, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.quantities import from_scaled, positive_quantity
from cangku.domain.stock import check_lot_not_expired
from cangku.queries.lots import expiry_settings
from cangku.services.common import Context, run_write
from cangku.services.stock_commands import Reservation
from cangku.services.stock_inputs import base_quantity, existing_lot, item_and_unit, payload

#: reserve stock for an order and release it (in the warehouses granted)
STOCK_RESERVE = action("stock.reserve", roles={WAREHOUSE_MANAGER, PICKER_SHIPPER}, scoped=True)


@dataclass(frozen=True)
class ReservationResult:
    item: str
    location: str
    lot: str | None
    quantity: Decimal
    replayed: bool


def _reservation(db: Database, ctx: Context, command: Reservation, sign: int) -> ReservationResult:
    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, str]:
        conn = uow.conn
        item, unit = item_and_unit(conn, command.item, command.unit)
        location = lookups.location_by_code(conn, command.location)
        actor.require(STOCK_RESERVE, location.warehouse_id)
        if not location.kind.is_valued:
            raise RuleViolation(
                "only stock in a storage location can be reserved", code="location_kind_not_allowed"
            )
        if sign > 0 and location.kind is LocationKind.QUALITY:
            raise RuleViolation(
                f"{item.code} at {location.code} is under inspection and cannot be reserved",
                code="stock_under_inspection",
                item=item.code,
                location=location.code,
            )
        lot = existing_lot(conn, item, command.lot)
        if sign > 0 and lot is not None and lot.status is not LotStatus.AVAILABLE:
            raise RuleViolation(
                f"lot {lot.code} is {lot.status} and cannot be reserved",
                code="lot_not_available",
                lot=lot.code,
                status=str(lot.status),
            )
        if lot is not None and lot.expires_on is not None and sign > 0:
            # a promise to issue: the expiry rule (ADR 0016); a release is always fine
            check_lot_not_expired(lot, item.code, expiry_settings(conn).today(now), location)
        qty = base_quantity(conn, item, command.quantity, unit)
        lot_id = lot.id if lot else None
        if sign > 0:
            # a bare reservation is a row without a document (``allocations``)
            available = balances.available_of(conn, (item.id, location.id, lot_id or 0))
            if available < qty:
                balances.change_reservation(conn, (item.id, location.id, lot_id or 0), qty)
            reservations.add_allocations(
                conn,
                [
                    {
                        "item_id": item.id,
                        "location_id": location.id,
                        "lot_id": lot_id,
                        "warehouse_id": location.warehouse_id,
                        "quantity": qty,
                    }
                ],
                actor.user_id,
                now,
            )
        else:
            _release_bare(conn, item.id, location.id, lot_id, qty)
        return {"item": item.code, "location": location.code, "lot": lot.code if lot else ""}

    request = {**payload(command), "reserve": sign > 0}
    result, replayed = run_write(db, ctx, STOCK_RESERVE, request, work)
    return ReservationResult(
        result["item"],
        result["location"],
        result["lot"] or None,
        positive_quantity(command.quantity),
        replayed,
    )


def _release_bare(
    conn: Connection, item_id: int, location_id: int, lot_id: int | None, quantity: int
) -> None:
    """Release ``quantity`` of the bare reservations on a balance, the newest first; a
    reservation that belongs to an outbound request is released on the request."""
    rows = reservations.bare_allocations(conn, item_id, location_id, lot_id or 0)
    bare = sum(row.quantity for row in rows)
    if quantity > bare:
        raise RuleViolation(
            f"cannot release {from_scaled(quantity)}: {from_scaled(bare)} is reserved here"
            " without a request (release a request's reservation on the request)",
            code="release_exceeds_reserved",
            reserved=str(from_scaled(bare)),
        )
    taken: list[reservations.AllocationRow | tuple[reservations.AllocationRow, int]] = []
    for row in reversed(rows):
        if quantity <= 0:
            break
        part = min(row.quantity, quantity)
        taken.append(row if part == row.quantity else (row, part))
        quantity -= part
    reservations.remove_allocations(conn, taken)


def reserve_stock(db: Database, ctx: Context, command: Reservation) -> ReservationResult:
    """Reserve available stock for a later issue (reserved never exceeds on hand).

    Raises NotFound, InvalidInput, InsufficientStock, RuleViolation (``lot_expired``: an
    expired lot in a warehouse that does not allow issuing it). Writes: the balance's reserved
    figure.
    """
    return _reservation(db, ctx, command, 1)


def release_stock(db: Database, ctx: Context, command: Reservation) -> ReservationResult:
    """Release a reservation. Raises RuleViolation (more than reserved). Writes: reserved."""
    return _reservation(db, ctx, command, -1)
