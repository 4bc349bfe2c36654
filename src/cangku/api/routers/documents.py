"""Documents and the task inbox: ``/api/v1/documents``, ``/tasks``, ``/notifications`` and
``/on-order``.

Every read is scoped: a document in a warehouse the caller may not see (``documents.view``)
answers 404 as if it did not exist. A document's answer names the steps the caller may take on
it now (its machine's steps from its state, those whose permission the caller holds in its
warehouse): the buttons a face offers.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Query, Request
from sqlalchemy import Connection, select

from cangku.api.deps import ContextDep, DbDep, actor_of, permit
from cangku.api.openapi import one_of
from cangku.api.schemas_documents import (
    AssignIn,
    ChildOut,
    DocumentOut,
    DocumentPage,
    DocumentSummaryOut,
    NotificationOut,
    OnOrderOut,
    ReadIn,
    ReadOut,
    StepOut,
    TaskCountOut,
    TaskCountsOut,
    document_types,
)
from cangku.api.schemas_stock import MAX_ID
from cangku.db.tables import items as item_table
from cangku.db.uow import Database
from cangku.domain.documents import machines
from cangku.domain.errors import InvalidInput
from cangku.domain.permissions import Actor
from cangku.queries import documents as queries
from cangku.queries.common import MAX_LIMIT, Page, paging_fields
from cangku.queries.cost_fields import cost_scope, cost_scope_of
from cangku.queries.partners import get_partner
from cangku.queries.sites import warehouse_codes
from cangku.queries.stock import item_code, item_id, warehouse_id
from cangku.routing import SegmentRouter
from cangku.services import tasks as task_services
from cangku.services.common import utcnow
from cangku.services.documents import DOCUMENTS_ASSIGN, DOCUMENTS_VIEW, step_action, today
from cangku.services.stock import VALUATION_VIEW
from cangku.services.tasks import DOCUMENTS_TAKE, NOTIFICATIONS_READ, NOTIFICATIONS_VIEW

router = SegmentRouter(tags=["documents"])

Viewer = Annotated[Actor, permit(DOCUMENTS_VIEW)]
Limit = Annotated[int, Query(description=f"1 to {MAX_LIMIT}")]
Offset = Annotated[int, Query(description="rows to skip", le=MAX_ID)]
DocType = Annotated[
    str | None,
    Query(
        alias="type", description="the document type", json_schema_extra=one_of(document_types())
    ),
]
#: how many notifications a read answers (the newest)
NOTIFICATIONS = 50
ALL_STATES = sorted({state for m in machines().values() for state in m.states})


def steps_for(
    actor: Actor, doc_type: str, state: str, warehouse: int, destination: int | None = None
) -> list[StepOut]:
    """The steps a user may take on a document now (its page's buttons); a step taken where
    the goods arrive is checked in the ``destination`` warehouse."""
    machine = machines()[doc_type]
    return [
        StepOut(code=step.code, permission=step.action, ends=step.ends)
        for step in machine.steps_from(state)
        if actor.may(
            step_action(step.action),
            destination if step.at_destination and destination is not None else warehouse,
        )
    ]


def read_document(conn: Connection, actor: Actor, number: str) -> DocumentOut:
    """The document as the caller sees it (NotFound outside the warehouses they see)."""
    seen = actor.warehouses(DOCUMENTS_VIEW)
    view = queries.get_document(conn, number, seen, today(conn, utcnow()))
    where = warehouse_id(conn, view.warehouse)
    view = queries.priced_for(view, cost_scope(conn, actor.warehouses(VALUATION_VIEW)))
    fields: dict[str, Any] = {
        **vars(view),
        "children": [ChildOut(number=n, doc_type=t, state=s) for n, t, s in view.children],
        "steps": steps_for(
            actor,
            view.doc_type,
            view.state,
            where,
            warehouse_id(conn, view.to_warehouse) if view.to_warehouse else None,
        ),
    }
    return DocumentOut.model_validate(fields, from_attributes=True)


def document_of(db: Database, actor: Actor, number: str) -> DocumentOut:
    with db.read() as conn:
        return read_document(conn, actor, number)


def summaries(db: Database, actor: Actor, page: Page[queries.DocumentSummary]) -> DocumentPage:
    """A page of documents without their values where the caller may not see costs."""
    scope = cost_scope_of(db, actor.warehouses(VALUATION_VIEW))
    return DocumentPage(
        items=[
            DocumentSummaryOut.model_validate(
                d if scope is None or d.warehouse in scope else replace(d, total_value=None)
            )
            for d in page.items
        ],
        **paging_fields(page),
    )


# ---------------------------------------------------------------- documents
@router.get("/documents", summary="Documents, newest first")
def list_documents(
    actor: Viewer,
    db: DbDep,
    doc_type: DocType = None,
    state: Annotated[
        str | None,
        Query(
            description="a state of the type (`unknown_state` when the type never takes it)",
            json_schema_extra=one_of(ALL_STATES),
        ),
    ] = None,
    warehouse: str | None = None,
    partner: str | None = None,
    item: str | None = None,
    q: Annotated[str | None, Query(description="search the number and reference")] = None,
    open_only: Annotated[
        bool, Query(alias="open", description="only documents still open")
    ] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DocumentPage:
    seen = actor.warehouses(DOCUMENTS_VIEW)
    if state is not None and state not in ALL_STATES:
        raise InvalidInput(f"no document is ever {state!r}", code="unknown_state")
    if partner is not None:
        get_partner(db, partner)  # 404 for a partner that does not exist
    with db.read() as conn:
        if warehouse is not None:
            warehouse_id(conn, warehouse, seen)  # 404 for one the caller cannot see
        if item is not None:
            item = item_code(conn, item)  # 404 for none; a barcode names its item
        page = queries.list_documents(
            conn, doc_type, state=state, warehouse=warehouse, partner=partner, item=item, q=q,
            open_only=open_only, warehouses_seen=seen, today=today(conn, utcnow()),
            limit=limit, offset=offset,
        )  # fmt: skip
    return summaries(db, actor, page)


@router.get(
    "/documents/{number}",
    summary="One document: lines, timeline, moves, follow-ups and the caller's steps",
)
def get_document(number: str, actor: Viewer, db: DbDep) -> DocumentOut:
    return document_of(db, actor, number)


@router.post(
    "/documents/{number}/assign",
    dependencies=[permit(DOCUMENTS_ASSIGN)],
    summary="Give a document's next step to a user (null: to anyone who holds its role)",
)
def assign(
    number: str, body: AssignIn, db: DbDep, ctx: ContextDep, request: Request
) -> DocumentOut:
    task_services.assign_document(db, ctx, number, body.user)
    return document_of(db, actor_of(request), number)


@router.post(
    "/documents/{number}/take",
    dependencies=[permit(DOCUMENTS_TAKE)],
    summary="Take a document's next step yourself",
)
def take(number: str, db: DbDep, ctx: ContextDep, request: Request) -> DocumentOut:
    task_services.take_document(db, ctx, number)
    return document_of(db, actor_of(request), number)


# ---------------------------------------------------------------- the task inbox
@router.get(
    "/tasks",
    summary="My tasks: documents whose next step is mine; overdue first",
    description="Overdue means due before today, the company's local day.",
)
def my_tasks(
    actor: Viewer, db: DbDep, doc_type: DocType = None, limit: Limit = 50, offset: Offset = 0
) -> DocumentPage:
    if doc_type is not None:
        queries.machine_of(doc_type)  # unknown_document_type
    with db.read() as conn:
        page = queries.my_tasks(
            conn, actor, today(conn, utcnow()), doc_type=doc_type, limit=limit, offset=offset
        )
    return summaries(db, actor, page)


@router.get("/tasks/counts", summary="How many tasks wait on me, per document type and step")
def task_counts(actor: Viewer, db: DbDep) -> TaskCountsOut:
    with db.read() as conn:
        counts = queries.task_counts(conn, actor, today(conn, utcnow()))
    return TaskCountsOut(
        items=[TaskCountOut.model_validate(c) for c in counts],
        total=sum(c.count for c in counts),
        overdue=sum(c.overdue for c in counts),
    )


# ---------------------------------------------------------------- notifications
@router.get(
    "/notifications",
    dependencies=[permit(NOTIFICATIONS_VIEW)],
    summary=f"My in-app notifications, the newest {NOTIFICATIONS}",
)
def notifications(db: DbDep, ctx: ContextDep, unread: bool = False) -> list[NotificationOut]:
    found = task_services.notifications_of(db, ctx, unread_only=unread, limit=NOTIFICATIONS)
    return [NotificationOut.model_validate(n) for n in found]


@router.post(
    "/notifications/read",
    dependencies=[permit(NOTIFICATIONS_READ)],
    summary="Mark my notifications read (the ids given, or all)",
)
def mark_read(db: DbDep, ctx: ContextDep, body: ReadIn | None = None) -> ReadOut:
    return ReadOut(marked=task_services.mark_read(db, ctx, body.ids if body else None))


# ---------------------------------------------------------------- on order
@router.get(
    "/on-order",
    summary="Ordered and not yet received, per item and warehouse (base units)",
    description="Over confirmed and partly received purchase orders, in the warehouses the "
    "caller sees.",
)
def on_order(
    actor: Viewer, db: DbDep, item: str | None = None, warehouse: str | None = None
) -> list[OnOrderOut]:
    seen = actor.warehouses(DOCUMENTS_VIEW)
    with db.read() as conn:
        items = [item_id(conn, item)] if item is not None else None
        where = warehouse_id(conn, warehouse, seen) if warehouse is not None else None
        found = queries.on_order(conn, items, where)
        visible = {k: v for k, v in found.items() if seen is None or k[1] in seen}
        names = _items(conn, sorted({k[0] for k in visible}))
    codes = warehouse_codes(db) if visible else {}
    rows = [
        OnOrderOut(
            item=names[i][0],
            item_name=names[i][1],
            warehouse=codes[w],
            quantity=q,
            unit=names[i][2],
        )
        for (i, w), q in visible.items()
        if q != Decimal(0)
    ]
    return sorted(rows, key=lambda r: (r.item, r.warehouse))


def _items(conn: Connection, ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """id -> (code, name, base unit) of the items on order."""
    if not ids:
        return {}
    t = item_table
    rows = conn.execute(select(t.c.id, t.c.code, t.c.name, t.c.base_unit).where(t.c.id.in_(ids)))
    return {int(r[0]): (r[1], r[2], r[3]) for r in rows}
