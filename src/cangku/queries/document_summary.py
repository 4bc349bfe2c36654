"""A document's summary, as lists and the task inbox show it: the columns and joins that read it,
its next step, and which documents a reader may see (``warehouses_seen``, None: all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import aliased

import cangku.domain.outbound  # noqa: F401 - declares the inbound and outbound machines
from cangku.db.tables import documents, partners, users, warehouses
from cangku.domain.documents import machines
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled

__all__ = [
    "DocumentSummary",
    "next_step",
    "open_condition",
    "origins",
    "summary_columns",
    "summary_from",
    "summary_of",
    "visible",
]


@dataclass(frozen=True)
class DocumentSummary:
    number: str
    doc_type: str
    state: str
    warehouse: str
    partner: str | None
    partner_name: str | None
    created_by: str
    assignee: str | None
    due_on: date | None
    reference: str | None
    total_value: Decimal | None
    created_at: datetime
    updated_at: datetime
    origin: str | None
    #: the step that is this document's next task (None: nothing waits on it)
    next_step: str | None
    overdue: bool = False


_creator = aliased(users, name="creator")
_assignee = aliased(users, name="assignee")
origins = aliased(documents, name="origin")


def summary_columns() -> list[Any]:
    return [
        documents.c.number,
        documents.c.doc_type,
        documents.c.state,
        warehouses.c.code,
        partners.c.code,
        partners.c.name,
        _creator.c.username,
        _assignee.c.username,
        documents.c.due_on,
        documents.c.reference,
        documents.c.total_value,
        documents.c.created_at,
        documents.c.updated_at,
        origins.c.number,
    ]


def summary_from() -> Any:
    return (
        documents.join(warehouses, warehouses.c.id == documents.c.warehouse_id)
        .outerjoin(partners, partners.c.id == documents.c.partner_id)
        .join(_creator, _creator.c.id == documents.c.created_by)
        .outerjoin(_assignee, _assignee.c.id == documents.c.assignee_id)
        .outerjoin(origins, origins.c.id == documents.c.origin_id)
    )


def next_step(doc_type: str, state: str) -> str | None:
    machine = machines().get(doc_type)
    task = machine.task(state) if machine else None
    return task.code if task else None


def summary_of(row: Any, today: date | None = None) -> DocumentSummary:
    due = row[8]
    step = next_step(row[1], row[2])
    return DocumentSummary(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], due, row[9],
        from_scaled(row[10]) if row[10] is not None else None, row[11], row[12], row[13], step,
        overdue=bool(step and due is not None and today is not None and due < today),
    )  # fmt: skip


def visible(warehouses_seen: Warehouses) -> ColumnElement[bool] | None:
    if warehouses_seen is None:
        return None
    if not warehouses_seen:
        return false()
    seen = sorted(warehouses_seen)
    # a transfer is seen in both warehouses: where it leaves and where it arrives
    return or_(documents.c.warehouse_id.in_(seen), documents.c.to_warehouse_id.in_(seen))


def open_condition() -> ColumnElement[bool]:
    parts = [
        and_(documents.c.doc_type == m.doc_type, documents.c.state.in_(m.open_states()))
        for m in machines().values()
    ]
    return or_(*parts) if parts else false()
