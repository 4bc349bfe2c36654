"""The audit trail (``/api/v1/audit``): who changed what, when and from where, newest first.
Read-only, for holders of ``audit.view`` (auditors, administrators)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from cangku.api.deps import DbDep, permit
from cangku.api.filters import AuditSort
from cangku.api.routers.stock import utc
from cangku.api.schemas_stock import Instant
from cangku.domain.permissions import Actor
from cangku.queries import audit as queries
from cangku.queries.common import MAX_LIMIT, MAX_OFFSET
from cangku.routing import SegmentRouter
from cangku.services.audit import AUDIT_VIEW

router = SegmentRouter(prefix="/audit", tags=["audit"])

Filter = Annotated[str | None, Query(max_length=queries.MAX_FILTER)]


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int = Field(description="the entry's number in the chain (1, 2, 3, ...)")
    at: datetime
    user: str | None = Field(description="who acted (for a failed sign-in: the name given)")
    action: str = Field(description="what was done, e.g. item.update, auth.sign_in")
    target_type: str | None
    target: str | None
    warehouse: str | None
    origin: str | None = Field(description="where from: the client address, or cli")
    details: dict[str, Any] = Field(
        description="the request, the result and, for records, the fields that changed "
        '({"name": {"before": ..., "after": ...}})'
    )
    hash: str = Field(description="sha256 over the entry and the previous entry's hash")


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int


@router.get("", response_model=AuditPage, summary="Search the audit trail, newest first")
def search(
    _actor: Annotated[Actor, permit(AUDIT_VIEW)],
    db: DbDep,
    user: Filter = None,
    action: Annotated[
        str | None,
        Query(max_length=queries.MAX_FILTER, description="exact, or a prefix: item. or item.*"),
    ] = None,
    target_type: Filter = None,
    target: Filter = None,
    warehouse: Filter = None,
    since: Annotated[Instant | None, Query(description="at or after (UTC)")] = None,
    until: Annotated[Instant | None, Query(description="at or before (UTC)")] = None,
    q: Annotated[
        str | None,
        Query(max_length=queries.MAX_FILTER, description="text in the target or the details"),
    ] = None,
    limit: Annotated[int, Query(description=f"1 to {MAX_LIMIT}")] = 50,
    offset: Annotated[int, Query(le=MAX_OFFSET)] = 0,
    sort: AuditSort = None,
) -> AuditPage:
    f = queries.AuditFilter(user, action, target_type, target, warehouse, utc(since), utc(until), q)
    with db.read() as conn:
        page = queries.list_entries(conn, f, limit, offset, sort)
    return AuditPage(
        items=[AuditEntryOut.model_validate(row) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{seq}", response_model=AuditEntryOut, summary="One audit entry")
def get_entry(
    _actor: Annotated[Actor, permit(AUDIT_VIEW)],
    seq: Annotated[int, Path(ge=1, le=MAX_OFFSET)],
    db: DbDep,
) -> AuditEntryOut:
    with db.read() as conn:
        return AuditEntryOut.model_validate(queries.get_entry(conn, seq))
