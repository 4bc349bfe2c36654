"""Query filters that take one of a fixed set of values: the schema names them (an ``enum``),
the query checks them with its own stable code (``invalid_lot_status``,
``invalid_location_kind``, ``invalid_role``). (The items list's ``item_type`` and ``tracking``
are plain text: an unknown value matches no item.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from cangku.api.openapi import one_of
from cangku.domain.enums import LocationKind, LotStatus, PartnerRole
from cangku.queries.common import Sorting
from cangku.queries.items import ITEM_SORTING

LotStatusFilter = Annotated[str | None, Query(json_schema_extra=one_of(LotStatus))]
LocationKindFilter = Annotated[str | None, Query(json_schema_extra=one_of(LocationKind))]
PartnerRoleFilter = Annotated[str | None, Query(json_schema_extra=one_of(PartnerRole))]


def sort_values(sorting: Sorting) -> dict[str, Any]:
    """The ``sort`` values a list takes (each name, and with ``-`` for descending)."""
    return one_of([*sorting.names, *(f"-{name}" for name in sorting.names)])


SORT_HELP = "The order: a column name, with a leading `-` for descending (`invalid_sort`)."

ItemSort = Annotated[
    str | None, Query(description=SORT_HELP, json_schema_extra=sort_values(ITEM_SORTING))
]
