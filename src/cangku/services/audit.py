"""Reading the audit trail (who changed what, when, from where).

The trail is written by the other services (``run_write`` and the sign-in functions); here it
is only read, by users holding ``audit.view``: auditors and administrators, in every
warehouse (the trail also records sign-ins and grants, which belong to no warehouse).
"""

from __future__ import annotations

from cangku.db.uow import Database
from cangku.domain.permissions import AUDITOR, action
from cangku.queries import audit as queries
from cangku.queries.audit import AuditFilter, AuditRow
from cangku.queries.common import Page
from cangku.services.common import Context, load_actor

__all__ = ["AUDIT_VIEW", "AuditFilter", "AuditRow", "get_audit_entry", "search_audit"]

#: search and read the audit trail (all of it: it is not split by warehouse)
AUDIT_VIEW = action("audit.view", roles={AUDITOR}, description="search and read the audit trail")


def search_audit(
    db: Database,
    ctx: Context,
    f: AuditFilter,
    limit: int = 50,
    offset: int = 0,
    sort: str | None = None,
) -> Page[AuditRow]:
    """Entries matching ``f``, newest first (or in the order ``sort`` names).

    Raises NotAuthenticated (unknown or disabled user), PermissionDenied ``permission_denied``
    without ``audit.view``, InvalidInput (paging, ``invalid_filter``, ``invalid_sort``). Writes
    nothing.
    """
    with db.read() as conn:
        load_actor(conn, ctx).require(AUDIT_VIEW)
        return queries.list_entries(conn, f, limit, offset, sort)


def get_audit_entry(db: Database, ctx: Context, seq: int) -> AuditRow:
    """One entry by its number in the chain. Raises as ``search_audit``, and NotFound
    ``audit_entry_not_found``. Writes nothing."""
    with db.read() as conn:
        load_actor(conn, ctx).require(AUDIT_VIEW)
        return queries.get_entry(conn, seq)
