"""Replenishment suggestions confirmed into documents (issue 16 point 4, ADR 0033): a buyer
picks suggestions (or all of them) and gets draft purchase orders, one per supplier and
destination warehouse, and draft transfers, one per source and destination warehouse, raised
by the inbound and transfer services in one transaction.

The suggestions are worked out again inside that transaction (``queries.suggestions``), so
what is ordered is what the constraints let through now; a suggestion picked that is no longer
suggested refuses the whole request.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cangku.db import inbound as loads
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import Conflict, RuleViolation
from cangku.domain.operations import check_note
from cangku.domain.permissions import PURCHASER, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.suggestions import take_from_bins
from cangku.queries import suggestion_inputs as inputs
from cangku.queries.suggestions import Key, SuggestionLine, suggestions
from cangku.services.common import Context, run_write
from cangku.services.documents import deliver_outbox, today
from cangku.services.inbound.orders import NewPurchaseOrder, OrderLineInput, raise_purchase_order
from cangku.services.replenishment.actions import REPLENISHMENT_VIEW
from cangku.services.transfers.requests import NewTransfer, TransferLineInput, raise_transfer

__all__ = [
    "REPLENISHMENT_ORDER",
    "DocumentMade",
    "OrderSuggestions",
    "OrdersMade",
    "order_suggestions",
]

#: turn replenishment suggestions into draft purchase orders and transfers
REPLENISHMENT_ORDER = action(
    "replenishment.order",
    roles={PURCHASER, WAREHOUSE_MANAGER},
    scoped=True,
    description="Turn replenishment suggestions into draft purchase orders and transfers",
)


@dataclass(frozen=True)
class OrderSuggestions:
    """Which suggestions to order: ``picked`` (item, warehouse, source warehouse or None for
    the supplier), or every suggestion kept (``picked`` None), only into ``warehouse`` when
    given."""

    picked: list[Key] | None = None
    warehouse: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class DocumentMade:
    #: ``purchase_order`` or ``transfer``
    kind: str
    number: str
    warehouse: str
    #: the supplier (an order) or the source warehouse (a transfer)
    source: str
    lines: int


@dataclass(frozen=True)
class OrdersMade:
    documents: list[DocumentMade]
    replayed: bool


def _chosen(found: list[SuggestionLine], command: OrderSuggestions) -> list[SuggestionLine]:
    """The kept suggestions picked. Raises Conflict ``suggestion_gone`` naming the first
    picked that is not suggested (any more), RuleViolation ``nothing_to_order``."""
    kept = {line.key: line for line in found if line.quantity > 0}
    if command.picked is None:
        chosen = [
            line for line in kept.values()
            if command.warehouse is None or line.warehouse == command.warehouse
        ]  # fmt: skip
    else:
        chosen = []
        for key in dict.fromkeys(command.picked):
            if key not in kept:
                item, warehouse, source = key
                raise Conflict(
                    f"{item} into {warehouse} is not suggested now",
                    code="suggestion_gone",
                    item=item,
                    warehouse=warehouse,
                    source=source,
                )
            chosen.append(kept[key])
    if not chosen:
        raise RuleViolation("no suggestion to order", code="nothing_to_order")
    return chosen


def _orders(
    conn: Connection, actor: Actor, now: datetime, chosen: list[SuggestionLine], note: str | None
) -> list[DocumentMade]:
    groups: dict[tuple[str, str], list[SuggestionLine]] = defaultdict(list)
    for line in chosen:
        if line.source == "supplier" and line.supplier is not None:
            groups[(line.supplier, line.warehouse)].append(line)
    made = []
    for (supplier, warehouse), lines in sorted(groups.items()):
        order = NewPurchaseOrder(
            supplier,
            warehouse,
            [OrderLineInput(line.item, line.quantity) for line in lines],
            note=note,
        )
        number = raise_purchase_order(conn, actor, now, order)["number"]
        made.append(DocumentMade("purchase_order", number, warehouse, supplier, len(lines)))
    return made


def _transfers(
    conn: Connection, actor: Actor, now: datetime, chosen: list[SuggestionLine], note: str | None
) -> list[DocumentMade]:
    groups: dict[tuple[str, str], list[SuggestionLine]] = defaultdict(list)
    for line in chosen:
        if line.from_warehouse is not None:
            groups[(line.from_warehouse, line.warehouse)].append(line)
    made = []
    for (source, dest), lines in sorted(groups.items()):
        held = inputs.transfer_bins(conn, source, [line.item for line in lines])
        rows = [
            TransferLineInput(line.item, quantity, location, lot)
            for line in lines
            for location, lot, quantity in take_from_bins(
                line.quantity, [(b.location, b.lot, b.free) for b in held.get(line.item, [])]
            )
        ]
        transfer = NewTransfer(source, dest, rows, note=note)
        number = raise_transfer(conn, actor, now, transfer)["number"]
        made.append(DocumentMade("transfer", number, dest, source, len(rows)))
    return made


def order_suggestions(db: Database, ctx: Context, command: OrderSuggestions) -> OrdersMade:
    """Raise draft purchase orders (one per supplier and destination warehouse; each line the
    suggested quantity at the supplier's price) and draft transfers (one per source and
    destination; lines from the source's bins, see ``queries.suggestion_inputs.transfer_bins``)
    for the suggestions picked, in one transaction.

    Raises Conflict ``suggestion_gone`` (a suggestion picked is not suggested now),
    RuleViolation ``nothing_to_order``, PermissionDenied (``replenishment.order`` and
    ``po.edit`` in each destination, ``transfer.edit`` in each source), and whatever the order
    and transfer services raise. Writes: the documents with their lines, events and outbox
    rows, and one audit entry naming them."""
    note = check_note(command.note)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        seen = actor.warehouses(REPLENISHMENT_VIEW)
        found = suggestions(conn, today(conn, now), seen).lines
        chosen = _chosen(found, command)
        for warehouse_id in sorted({_warehouse_id(conn, line.warehouse) for line in chosen}):
            actor.require(REPLENISHMENT_ORDER, warehouse_id)
        made = _orders(conn, actor, now, chosen, note) + _transfers(conn, actor, now, chosen, note)
        return {"documents": [vars(doc) for doc in made]}

    payload = {
        "picked": None if command.picked is None else [list(key) for key in command.picked],
        "warehouse": command.warehouse,
        "note": note,
    }
    result, replayed = run_write(
        db, ctx, REPLENISHMENT_ORDER, payload, work, target_type="replenishment"
    )
    if not replayed:
        deliver_outbox(db)
    return OrdersMade([DocumentMade(**doc) for doc in result["documents"]], replayed)


def _warehouse_id(conn: Connection, code: str) -> int:
    return loads.active_warehouse(conn, code).id
