"""Every web route (page or form action) with the action it declares, read from the app itself:
a new page is in the matrix the moment it exists, and a page that declares nothing (or twice)
fails the tests that walk this list. Also: what a refused request must leave unchanged."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import Table

from cangku.db import tables
from cangku.db.uow import Database
from cangku.domain.permissions import Action
from cangku.services.common import Context
from cangku.services.counts import NewCount, create_count
from cangku.services.delivery.channels import add_channel, subscribe_channel
from cangku.services.delivery.dispatch import dispatch_outbox
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    confirm_order,
    create_purchase_order,
)
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.outbound.allocation import allocate_request
from cangku.services.outbound.picking import confirm_pick, create_pick_list
from cangku.services.outbound.requests import NewRequest, RequestLineInput, create_request
from cangku.services.outbound.shipping import ship_request
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.transfers.movement import dispatch_transfer
from cangku.services.transfers.requests import (
    NewTransfer,
    TransferLineInput,
    approve_transfer,
    create_transfer,
)
from cangku.services.users import create_user
from cangku.web.access import PUBLIC, declared_actions_of
from tests import snapshot
from tests.auth import PASSWORD
from tests.factories import CTX


@dataclass(frozen=True)
class WebRoute:
    method: str
    path: str
    #: what the route's dependencies declare: Actions, None (any signed-in user), "public"
    declared: tuple[Action | str | None, ...]

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def action(self) -> Action | str | None:
        return self.declared[0]

    @property
    def public(self) -> bool:
        return self.action == PUBLIC

    def url(self, values: dict[str, str]) -> str:
        given = {**SAMPLES, **values}
        prefix = TYPED_PAGES.get(self.path.split("/")[1])
        if prefix is not None:  # a page of one document type: that type's first document
            given["number"] = prefix + given["number"][2:]
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: given[m.group(1)], self.path)


#: path values a walk does not give itself (a page of a record the walk's data may lack
#: answers its 404 page): ``number`` is a document's (``seed_documents`` makes this one)
SAMPLES = {
    "number": "PO-WH1-2026-00001", "alert_id": "1", "warehouse": "WH1", "budget_id": "1",
    "channel_id": "1", "subscription_id": "1", "delivery_id": "1", "name": "deliveries",
}  # fmt: skip


#: pages of one document type (the inbound screens), by their path's first segment: the
#: number's prefix their sample takes (``seed_documents`` makes the first of each)
TYPED_PAGES = {
    "inspections": "QC",
    "putaways": "PA",
    "picking": "PK",
    "shipments": "SH",
    "transfers": "TR",
    "counts": "CNT",
}


def seed_documents(db: Database) -> str:
    """A draft purchase order of 10 BOLT from ACME in WH1 (ACME must exist): the document the
    walks open. Answers its number. Then a second order received in part (2 BOLT, 1 GLUE of
    lot GS-1, GLUE inspected on receipt): the first receipt, inspection and put-away, which the
    inbound screens open. Then the first pick list, shipment, transfer and count."""
    order = NewPurchaseOrder("ACME", "WH1", [OrderLineInput("BOLT", "10", unit_price="1.5")])
    number = create_purchase_order(db, CTX, order).number
    with db.write() as uow:
        uow.conn.execute(
            tables.items.update()
            .where(tables.items.c.code == "GLUE")
            .values(inspection_required=True)
        )
        uow.commit()
    lines = [
        OrderLineInput("BOLT", "5", unit_price="1.5"),
        OrderLineInput("GLUE", "3", unit_price="2"),
    ]
    second = create_purchase_order(db, CTX, NewPurchaseOrder("ACME", "WH1", lines)).number
    confirm_order(db, CTX, second)
    received = [ReceiptLineInput("BOLT", "2"), ReceiptLineInput("GLUE", "1", lot="GS-1")]
    create_receipt(db, CTX, NewReceipt(received, order=second))
    # a sales order of 3 BOLT from 5 in WH1-A, allocated and on the first pick list (the
    # picking screen opens it)
    create_partner(db, CTX, PartnerInput("CUS-W", "Walk customer", is_customer=True))
    receive_stock(db, CTX, Receive("BOLT", "5", "WH1-A", unit_cost="1"))
    request = NewRequest("sales_order", "WH1", [RequestLineInput("BOLT", "3")], customer="CUS-W")
    sales = create_request(db, CTX, replace(request, submit=True)).number
    allocate_request(db, CTX, "sales_order", sales)
    create_pick_list(db, CTX, [sales])
    # and one of 1 BOLT picked and shipped: the first shipment (its delivery note)
    shipped = create_request(
        db, CTX, replace(request, lines=[RequestLineInput("BOLT", "1")], submit=True)
    ).number
    allocate_request(db, CTX, "sales_order", shipped)
    confirm_pick(db, CTX, create_pick_list(db, CTX, [shipped]).number)
    ship_request(db, CTX, "sales_order", shipped)
    # and a transfer of 1 BOLT from WH1-A to WH2, approved by a manager and in transit: the
    # first transfer, which the receiving screen opens
    create_user(db, CTX, "walkboss", "Walk boss", PASSWORD, [("warehouse_manager", None)])
    line = TransferLineInput("BOLT", "1", "WH1-A", to_location="WH2-A")
    transfer = create_transfer(db, CTX, NewTransfer("WH1", "WH2", [line], submit=True)).number
    approve_transfer(db, Context("walkboss"), transfer)
    dispatch_transfer(db, CTX, transfer)
    # and a count of WH1, started: the first count, which the scan screen opens
    create_count(db, CTX, NewCount("WH1", start=True))
    # and a webhook channel subscribed to the tasks, their deliveries made (not sent: nobody
    # listens on port 9): channel 1 and delivery 1, which the delivery pages open
    hook = add_channel(db, kind="webhook", name="walk hook", target="http://127.0.0.1:9/")
    subscribe_channel(db, hook, "task", now=datetime(2000, 1, 1, tzinfo=UTC))
    dispatch_outbox(db)
    return number


def _calls(dependant: Dependant) -> list[Any]:
    found: list[Any] = []
    for sub in dependant.dependencies:
        found.append(sub.call)
        found.extend(_calls(sub))
    return found


def _routes(app: FastAPI) -> list[Any]:
    """The app's routes with their full paths (newer FastAPI keeps included routers apart)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes holds every route with its full path
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return [r for r in iter_route_contexts(app.routes) if getattr(r, "dependant", None)]


def web_routes(app: FastAPI) -> list[WebRoute]:
    """Every (method, path) outside /api and the API's docs, in the app's order."""
    found = []
    for route in _routes(app):
        path = route.path
        if path.startswith("/api/") or path.startswith("/docs"):
            continue
        declared = tuple(declared_actions_of(_calls(route.dependant)))
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append(WebRoute(method, path, declared))
    return found


#: the tables a refused page action must leave as they were (sign-ins and the trail too)
WATCHED: list[Table] = [
    *snapshot.WATCHED,
    tables.sessions,
    tables.sign_in_attempts,
    tables.audit_log,
    tables.count_sessions,
    tables.count_lines,
]


def state(db: Database) -> dict[str, Any]:
    """The fingerprint of the watched tables (``tests.snapshot.state``)."""
    return snapshot.state(db, WATCHED)
