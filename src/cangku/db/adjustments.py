"""What adjustments read and write besides the document store: the company's reason codes,
the items' costs now, the warehouse's adjustment and scrap locations, the threshold."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from cangku.db.lookups import lot_columns, lot_info
from cangku.db.tables import company, document_lines, item_costs, locations, lots, reason_codes
from cangku.domain.adjustments import AdjustmentLine, unit_cost_now
from cangku.domain.enums import LocationKind
from cangku.domain.errors import NotFound
from cangku.domain.stock import LotInfo

__all__ = [
    "ReasonCode",
    "adjustment_lines",
    "lots_by_codes",
    "approval_threshold",
    "codes_of",
    "insert_reason_code",
    "reason_code",
    "reason_codes_of",
    "set_active",
    "unit_costs",
    "virtual_locations",
]


@dataclass(frozen=True)
class ReasonCode:
    kind: str
    code: str
    #: a company's own code's labels (a built-in one's are translated by the faces)
    label: str | None
    label_zh: str | None
    active: bool
    builtin: bool
    position: int


_CODE_COLUMNS = (
    reason_codes.c.kind,
    reason_codes.c.code,
    reason_codes.c.label,
    reason_codes.c.label_zh,
    reason_codes.c.active,
    reason_codes.c.builtin,
    reason_codes.c.position,
)


def _code(row: Any) -> ReasonCode:
    return ReasonCode(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]), int(row[6]))


def reason_codes_of(conn: Connection, kind: str | None = None) -> list[ReasonCode]:
    """The company's reason codes (of ``kind``), in their list order."""
    stmt = select(*_CODE_COLUMNS).order_by(
        reason_codes.c.kind, reason_codes.c.position, reason_codes.c.code
    )
    if kind is not None:
        stmt = stmt.where(reason_codes.c.kind == kind)
    return [_code(row) for row in conn.execute(stmt)]


def reason_code(conn: Connection, kind: str, code: str) -> ReasonCode:
    """Raises NotFound ``reason_code_not_found``."""
    row = conn.execute(
        select(*_CODE_COLUMNS).where(reason_codes.c.kind == kind, reason_codes.c.code == code)
    ).first()
    if row is None:
        raise NotFound("reason_code", f"{kind}/{code}")
    return _code(row)


def codes_of(conn: Connection, kinds: Iterable[str]) -> dict[str, dict[str, bool]]:
    """kind -> (code -> active) for the lists ``kinds``, in one statement."""
    wanted = sorted(set(kinds))
    found: dict[str, dict[str, bool]] = {kind: {} for kind in wanted}
    rows = conn.execute(
        select(reason_codes.c.kind, reason_codes.c.code, reason_codes.c.active).where(
            reason_codes.c.kind.in_(wanted)
        )
    )
    for kind, code, active in rows:
        found[kind][code] = bool(active)
    return found


def insert_reason_code(
    conn: Connection, kind: str, code: str, label: str, label_zh: str | None
) -> None:
    """Add a company code at the end of its list."""
    last = conn.execute(
        select(func.max(reason_codes.c.position)).where(reason_codes.c.kind == kind)
    ).scalar()
    conn.execute(
        insert(reason_codes).values(
            kind=kind,
            code=code,
            label=label,
            label_zh=label_zh,
            active=True,
            builtin=False,
            position=int(last or 0) + 10,
        )
    )


def set_active(conn: Connection, kind: str, code: str, active: bool) -> bool:
    """False when there is no such code."""
    result = conn.execute(
        update(reason_codes)
        .where(reason_codes.c.kind == kind, reason_codes.c.code == code)
        .values(active=active)
    )
    return bool(result.rowcount)


def unit_costs(conn: Connection, item_ids: Iterable[int]) -> dict[int, int]:
    """Each item's unit cost now (scaled per base unit; ``domain.adjustments.unit_cost_now``),
    in one statement; an item never costed is absent (worth 0)."""
    wanted = sorted(set(item_ids))
    if not wanted:
        return {}
    rows = conn.execute(
        select(
            item_costs.c.item_id, item_costs.c.quantity, item_costs.c.value, item_costs.c.last_cost
        ).where(item_costs.c.item_id.in_(wanted))
    )
    return {int(r[0]): unit_cost_now(int(r[1]), int(r[2]), int(r[3])) for r in rows}


def virtual_locations(conn: Connection, warehouse_id: int) -> dict[LocationKind, int]:
    """The warehouse's adjustment and scrap locations (the first of each kind)."""
    kinds = (str(LocationKind.ADJUSTMENT), str(LocationKind.SCRAP))
    rows = conn.execute(
        select(locations.c.kind, locations.c.id)
        .where(locations.c.warehouse_id == warehouse_id, locations.c.kind.in_(kinds))
        .order_by(locations.c.id.desc())
    )
    return {LocationKind(kind): int(location_id) for kind, location_id in rows}


def approval_threshold(conn: Connection) -> int | None:
    """Adjustments worth more than this (scaled money) wait for approval; None: none do."""
    value = conn.execute(
        select(company.c.adjustment_approval_threshold).where(company.c.id == 1)
    ).scalar()
    return None if value is None else int(value)


def adjustment_lines(conn: Connection, document_id: int) -> list[AdjustmentLine]:
    """An adjustment's lines in line order, in one statement."""
    c = document_lines.c
    rows = conn.execute(
        select(
            c.direction,
            c.quantity,
            c.item_id,
            c.base_price,
            c.id,
            c.line_no,
            c.location_id,
            c.lot_id,
            c.reason_code,
            c.note,
        )  # fmt: skip
        .where(c.document_id == document_id)
        .order_by(c.line_no)
    )
    return [
        AdjustmentLine(
            r[0],
            int(r[1]),
            int(r[2]),
            None if r[3] is None else int(r[3]),
            int(r[4]),
            int(r[5]),
            int(r[6]),
            r[7],
            r[8],
            r[9],
        )  # fmt: skip
        for r in rows
    ]


def lots_by_codes(
    conn: Connection, wanted: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], LotInfo]:
    """Lots by (item id, code), in one statement per 1,000 codes (unknown ones are left out)."""
    keys = sorted(set(wanted))
    found: dict[tuple[int, str], LotInfo] = {}
    for start in range(0, len(keys), 1000):
        chunk = set(keys[start : start + 1000])
        rows = conn.execute(
            select(*lot_columns()).where(
                lots.c.item_id.in_({k[0] for k in chunk}), lots.c.code.in_({k[1] for k in chunk})
            )
        )
        for row in rows:
            lot = lot_info(row)
            if (lot.item_id, lot.code) in chunk:
                found[(lot.item_id, lot.code)] = lot
    return found
