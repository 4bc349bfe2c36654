"""Query filters that take one of a fixed set of values: the schema names them (an ``enum``),
the query checks them with its own stable code (``invalid_lot_status``,
``invalid_location_kind``, ``invalid_role``). (The items list's ``item_type`` and ``tracking``
are plain text: an unknown value matches no item.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from cangku.api.openapi import one_of
from cangku.domain.enums import LocationKind, LotStatus, PartnerRole

LotStatusFilter = Annotated[str | None, Query(json_schema_extra=one_of(LotStatus))]
LocationKindFilter = Annotated[str | None, Query(json_schema_extra=one_of(LocationKind))]
PartnerRoleFilter = Annotated[str | None, Query(json_schema_extra=one_of(PartnerRole))]
