"""Query filters that take one of a fixed set of values: the schema names them (an ``enum``),
the query checks them with its own stable code (``invalid_lot_status``,
``invalid_location_kind``, ``invalid_role``). (The items list's ``item_type`` and ``tracking``
are plain text: an unknown value matches no item.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from cangku.api.openapi import one_of
from cangku.domain.enums import LocationKind, LotStatus, PartnerRole
from cangku.queries.audit import AUDIT_SORTING
from cangku.queries.common import Sorting
from cangku.queries.items import ITEM_SORTING
from cangku.queries.lots import LOT_SORTING
from cangku.queries.partners import PARTNER_SORTING
from cangku.queries.sites import LOCATION_SORTING, WAREHOUSE_SORTING
from cangku.services.users import ROLE_SORTING, USER_SORTING

LotStatusFilter = Annotated[str | None, Query(json_schema_extra=one_of(LotStatus))]
LocationKindFilter = Annotated[str | None, Query(json_schema_extra=one_of(LocationKind))]
PartnerRoleFilter = Annotated[str | None, Query(json_schema_extra=one_of(PartnerRole))]


def sort_values(sorting: Sorting) -> dict[str, Any]:
    """The ``sort`` values a list takes (each name, and with ``-`` for descending; empty is
    the list's default, as leaving it out)."""
    return one_of(["", *sorting.names, *(f"-{name}" for name in sorting.names)])


SORT_HELP = (
    "The order: a column name, with a leading `-` for descending (`invalid_sort`); empty or "
    "left out: the list's default order."
)

ItemSort = Annotated[
    str | None, Query(description=SORT_HELP, json_schema_extra=sort_values(ITEM_SORTING))
]


def sort_param(sorting: Sorting) -> Any:
    """The ``sort`` query parameter of a list read in ``sorting``'s orders."""
    return Query(description=SORT_HELP, json_schema_extra=sort_values(sorting))


LotSort = Annotated[str | None, sort_param(LOT_SORTING)]
PartnerSort = Annotated[str | None, sort_param(PARTNER_SORTING)]
WarehouseSort = Annotated[str | None, sort_param(WAREHOUSE_SORTING)]
LocationSort = Annotated[str | None, sort_param(LOCATION_SORTING)]
UserSort = Annotated[str | None, sort_param(USER_SORTING)]
RoleSort = Annotated[str | None, sort_param(ROLE_SORTING)]
AuditSort = Annotated[str | None, sort_param(AUDIT_SORTING)]
