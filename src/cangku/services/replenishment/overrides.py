"""A manual override of an item's replenishment levels in one warehouse (issue 16 point 3,
ADR 0032): kept beside the computed levels, with who set it, when and why; cleared to let the
computed (or the item's own) levels apply again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, delete, select, update

from cangku.db import lookups
from cangku.db.sites import warehouse_by_code
from cangku.db.statements import upsert
from cangku.db.tables import items, replenishment_levels, units
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.permissions import Actor
from cangku.domain.quantities import check_places, from_scaled, parse_decimal, to_scaled
from cangku.queries.levels import LEVELS
from cangku.services.common import Context, Subject, refuse_unless_allowed, run_write
from cangku.services.replenishment.actions import REPLENISHMENT_MANAGE

__all__ = ["OverrideInput", "clear_override", "set_override"]

MAX_REASON = 500
_ITEM_COLUMN = {"safety_stock": "safety_stock", "reorder_point": "reorder_point",
                "order_up_to": "max_stock"}  # fmt: skip


@dataclass(frozen=True)
class OverrideInput:
    """The levels to hold instead of the computed ones (None: not overridden) and why."""

    reason: str
    safety_stock: Decimal | str | None = None
    reorder_point: Decimal | str | None = None
    order_up_to: Decimal | str | None = None


def _checked(command: OverrideInput) -> tuple[dict[str, Decimal | None], str]:
    """The parsed levels and the reason. Raises InvalidInput ``reason_required``,
    ``reason_too_long``, ``no_override_levels``, ``invalid_number``, ``negative_level``."""
    reason = (command.reason or "").strip()
    if not reason:
        raise InvalidInput("say why the levels are overridden", code="reason_required")
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            f"a reason has at most {MAX_REASON} characters", code="reason_too_long",
            most=MAX_REASON,
        )  # fmt: skip
    values: dict[str, Decimal | None] = {}
    for level in LEVELS:
        given = getattr(command, level)
        number = None if given is None or given == "" else parse_decimal(given, level)
        if number is not None and number < 0:
            raise InvalidInput(f"{level} may not be negative", code="negative_level", field=level)
        values[level] = number
    if all(v is None for v in values.values()):
        raise InvalidInput("override at least one level", code="no_override_levels")
    return values, reason


def _current(conn: Connection, item_id: int) -> Any:
    return conn.execute(
        select(items, units.c.decimals)
        .join(units, units.c.code == items.c.base_unit)
        .where(items.c.id == item_id)
    ).one()


def _in_force_after(
    conn: Connection, item: Any, warehouse_id: int, values: Mapping[str, Decimal | None]
) -> dict[str, Decimal | None]:
    """The levels that will be in force with the override ``values``."""
    lv = replenishment_levels.c
    row = conn.execute(
        select(replenishment_levels).where(lv.item_id == item.id, lv.warehouse_id == warehouse_id)
    ).first()
    out: dict[str, Decimal | None] = {}
    for level in LEVELS:
        computed = None if row is None else row._mapping[level]
        own = item._mapping[_ITEM_COLUMN[level]]
        fallback = computed if computed is not None else own
        out[level] = values[level] if values[level] is not None else from_scaled(fallback)
    return out


def _check_order(levels: Mapping[str, Decimal | None]) -> None:
    """Raises InvalidInput ``reorder_point_below_safety_stock``, ``max_below_reorder_point``."""
    ss, rop, top = levels["safety_stock"], levels["reorder_point"], levels["order_up_to"]
    if ss is not None and rop is not None and rop < ss:
        raise InvalidInput(
            f"the reorder point {rop} would be below the safety stock {ss}",
            code="reorder_point_below_safety_stock",
            reorder_point=str(rop), safety_stock=str(ss),
        )  # fmt: skip
    if rop is not None and top is not None and top < rop:
        raise InvalidInput(
            f"the maximum {top} would be below the reorder point {rop}",
            code="max_below_reorder_point",
            order_up_to=str(top), reorder_point=str(rop),
        )  # fmt: skip


def _place(conn: Connection, item: str, warehouse: str) -> tuple[int, int]:
    return lookups.item_by_code(conn, item).id, warehouse_by_code(conn, warehouse).id


def set_override(
    db: Database, ctx: Context, item: str, warehouse: str, command: OverrideInput
) -> dict[str, Decimal | None]:
    """Hold ``command``'s levels for ``item`` in ``warehouse`` instead of the computed ones (a
    level not given is not overridden), with its reason, the acting user and the time; replaces
    any override before. Answers the levels in force after. Raises InvalidInput
    (``reason_required``, ``reason_too_long``, ``no_override_levels``, ``invalid_number``,
    ``negative_level``, ``too_many_decimals``, ``reorder_point_below_safety_stock``,
    ``max_below_reorder_point``: checked against the levels in force after), NotFound (item,
    warehouse), PermissionDenied (``replenishment.manage`` there). Writes the override and the
    audit entry."""
    refuse_unless_allowed(db, ctx, REPLENISHMENT_MANAGE)  # before the input is looked at
    values, reason = _checked(command)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, str | None]:
        conn = uow.conn
        item_id, warehouse_id = _place(conn, item, warehouse)
        actor.require(REPLENISHMENT_MANAGE, warehouse_id)
        found = _current(conn, item_id)
        for level, value in values.items():
            if value is not None:
                check_places(value, int(found.decimals), level, found.base_unit)
        after = _in_force_after(conn, found, warehouse_id, values)
        _check_order(after)
        columns: dict[str, Any] = {
            f"override_{level}": None if v is None else to_scaled(v) for level, v in values.items()
        }
        columns.update(override_reason=reason, override_by=actor.user_id, override_at=now)
        stmt = upsert(conn)(replenishment_levels).values(
            item_id=item_id, warehouse_id=warehouse_id, **columns
        )
        conn.execute(
            stmt.on_conflict_do_update(index_elements=["item_id", "warehouse_id"], set_=columns)
        )
        return {level: None if v is None else str(v) for level, v in after.items()}

    payload = {"item": item, "warehouse": warehouse, "reason": reason,
               **{k: None if v is None else str(v) for k, v in values.items()}}  # fmt: skip
    result, _ = run_write(
        db, ctx, REPLENISHMENT_MANAGE, payload, work,
        subject=Subject("replenishment_override", f"{item}@{warehouse}"),
    )  # fmt: skip
    return {k: None if v is None else Decimal(v) for k, v in result.items()}


def clear_override(db: Database, ctx: Context, item: str, warehouse: str) -> None:
    """Remove the override of ``item`` in ``warehouse``: the computed (or the item's own) levels
    apply again. Raises NotFound (item, warehouse; ``override_not_found`` when none is set),
    PermissionDenied (``replenishment.manage`` there). Writes the row and the audit entry."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> None:
        conn = uow.conn
        item_id, warehouse_id = _place(conn, item, warehouse)
        actor.require(REPLENISHMENT_MANAGE, warehouse_id)
        lv = replenishment_levels.c
        cleared = dict.fromkeys(
            [*(f"override_{level}" for level in LEVELS), "override_reason", "override_by",
             "override_at"]
        )  # fmt: skip
        done = conn.execute(
            update(replenishment_levels)
            .where(and_(lv.item_id == item_id, lv.warehouse_id == warehouse_id))
            .where(lv.override_at.is_not(None))
            .values(cleared)
        )
        if done.rowcount != 1:
            raise NotFound("override", f"{item}@{warehouse}")
        # nothing computed either: the row says nothing any more
        conn.execute(
            delete(replenishment_levels).where(
                lv.item_id == item_id, lv.warehouse_id == warehouse_id, lv.computed_at.is_(None)
            )
        )
        return None

    run_write(
        db, ctx, REPLENISHMENT_MANAGE, {"item": item, "warehouse": warehouse}, work,
        subject=Subject("replenishment_override", f"{item}@{warehouse}"),
    )  # fmt: skip
