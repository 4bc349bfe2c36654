"""Recompute the stored replenishment levels (issue 16 point 3, ADR 0032).

For every active item with demand in a warehouse over the last ``weeks`` whole weeks (ending
yesterday, the company's days): the weekly forecast chosen by the backtest
(``queries.forecast``) gives the demand per day ``d`` = its mean per week / 7 and ``sd_d`` = the
weekly history's standard deviation / sqrt(7) (days taken as independent); the lead time and
its deviation come from the receipts (``queries.lead_times``); the ABC class of the warehouse's
latest ABC run sets the service level (no class: B's); ``domain.replenishment.reorder_levels``
gives safety stock, reorder point and max with a review period of ``REVIEW_DAYS``.

The rows are upserted (the override columns untouched); an item whose demand vanished (no net
demand in the window, or inactive) has its computed figures cleared, so the item's own levels
apply again (a row with an override keeps it; one without is deleted). Running it twice on the
same ledger gives the same figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, bindparam, delete, select, update

from cangku.db import lookups
from cangku.db.company import read_company
from cangku.db.sites import warehouse_by_code
from cangku.db.statements import upsert
from cangku.db.tables import replenishment_levels, warehouses
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput
from cangku.domain.permissions import Actor, Warehouses
from cangku.domain.quantities import to_scaled
from cangku.domain.replenishment import Levels, reorder_levels, service_level_for
from cangku.queries.forecast import Forecast, Settings, forecast_matrix
from cangku.queries.lead_times import LeadTime, lead_times
from cangku.queries.replenishment import abc_now, unit_decimals
from cangku.queries.weekly_demand import weekly_demand
from cangku.services.common import Context, audit, load_actor, utcnow
from cangku.services.replenishment.actions import REPLENISHMENT_MANAGE

__all__ = ["DEFAULT_WEEKS", "REVIEW_DAYS", "Recompute", "recompute_levels"]

#: the weeks of demand history a recompute reads (two years)
DEFAULT_WEEKS = 104
#: the shortest history: the backtest needs 3 x 4 weeks plus a moving average's 4 and one
MIN_WEEKS, MAX_WEEKS = 17, 156
#: days between two orders (the order-up-to level covers them)
REVIEW_DAYS = Decimal(7)
_PLACES = Decimal("0.000001")
_SQRT_7 = Decimal(7).sqrt()
#: the computed columns (cleared when demand vanishes)
COMPUTED = (
    "computed_at", "method", "mae", "mase", "demand", "demand_sd", "lead_time", "lead_time_sd",
    "lead_time_source", "lead_time_samples", "abc_class", "service_level", "z", "safety_stock",
    "reorder_point", "order_up_to", "working",
)  # fmt: skip


@dataclass(frozen=True)
class Recompute:
    """What a recompute did: the rows computed, those cleared, the methods chosen, the window."""

    computed: int
    cleared: int
    methods: dict[str, int]
    start: date
    end: date


@dataclass(frozen=True)
class _Scope:
    warehouses: Warehouses
    item_id: int | None


def _active_warehouses(conn: Connection) -> set[int]:
    stmt = select(warehouses.c.id).where(warehouses.c.active.is_(True))
    return {int(w) for w in conn.execute(stmt).scalars()}


def _scope(conn: Connection, actor: Actor, warehouse: str | None, item: str | None) -> _Scope:
    """The warehouses and item a recompute covers. Raises NotFound, PermissionDenied."""
    allowed = actor.warehouses(REPLENISHMENT_MANAGE)
    item_id = lookups.item_by_code(conn, item).id if item is not None else None
    if warehouse is not None:
        found = warehouse_by_code(conn, warehouse)
        actor.require(REPLENISHMENT_MANAGE, found.id)
        return _Scope(frozenset({found.id}), item_id)
    active = _active_warehouses(conn)
    return _Scope(frozenset(active if allowed is None else active & allowed), item_id)


def _window(conn: Connection, now: datetime, weeks: int) -> tuple[date, date]:
    end = now.astimezone(ZoneInfo(read_company(conn).time_zone)).date() - timedelta(days=1)
    return end - timedelta(days=7 * weeks - 1), end


def _text(value: Decimal) -> str:
    exponent = value.as_tuple().exponent
    return (
        str(value.quantize(_PLACES)) if isinstance(exponent, int) and exponent < -6 else str(value)
    )


def _working(f: Forecast, lt: LeadTime, levels: Levels, window: tuple[date, date]) -> str:
    return json.dumps(
        {
            "period": "week",
            "start": window[0].isoformat(),
            "end": window[1].isoformat(),
            "weekly_mean": _text(f.mean),
            "weekly_sd": _text(f.demand_sd),
            "forecast": [_text(v) for v in f.forecast],
            "candidates": [
                {
                    "method": c.method,
                    "mae": _text(c.mae),
                    "mase": _text(c.mase),
                    "rmse": _text(c.rmse),
                }
                for c in f.candidates
            ],  # fmt: skip
            "reason": f.reason,
            "intermittent": f.intermittent,
            "lead_time": {
                "source": lt.source,
                "scope": lt.scope,
                "samples": [
                    {"order": s.order, "receipt": s.receipt, "days": s.days} for s in lt.samples
                ],
            },
            "variance": _text(levels.variance),
            "deviation": _text(levels.deviation),
            "lead_time_demand": _text(levels.lead_time_demand),
            "review_period": _text(levels.review_period),
            "decimals": levels.decimals,
        },
        sort_keys=True,
    )


def _computed_row(
    key: tuple[int, int], f: Forecast, lt: LeadTime, abc: str | None, decimals: int,
    window: tuple[date, date], now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """One upserted row: the levels of ``key`` from its forecast, lead time and class."""
    demand = (f.mean / 7).quantize(_PLACES)
    demand_sd = (f.demand_sd / _SQRT_7).quantize(_PLACES)
    levels = reorder_levels(
        demand=demand, demand_sd=demand_sd, lead_time=lt.days, lead_time_sd=lt.sd,
        service_level=service_level_for(abc), review_period=REVIEW_DAYS, decimals=decimals,
    )  # fmt: skip
    chosen = f.chosen
    return {
        "item_id": key[0], "warehouse_id": key[1], "computed_at": now, "method": f.method,
        "mae": to_scaled(chosen.mae) if chosen else None,
        "mase": to_scaled(chosen.mase) if chosen else None,
        "demand": to_scaled(demand), "demand_sd": to_scaled(demand_sd),
        "lead_time": to_scaled(lt.days), "lead_time_sd": to_scaled(lt.sd),
        "lead_time_source": lt.source, "lead_time_samples": lt.count, "abc_class": abc,
        "service_level": to_scaled(levels.service_level), "z": to_scaled(levels.z),
        "safety_stock": to_scaled(levels.safety_stock),
        "reorder_point": to_scaled(levels.reorder_point),
        "order_up_to": to_scaled(levels.order_up_to),
        "working": _working(f, lt, levels, window),
    }  # fmt: skip


def _compute(
    conn: Connection, scope: _Scope, window: tuple[date, date], now: datetime
) -> list[dict[str, Any]]:
    """The rows of every active item with demand in the scope's warehouses (the reads)."""
    if not scope.warehouses:
        return []
    only = [scope.item_id] if scope.item_id is not None else None
    keys, matrix = weekly_demand(
        conn, window[0], (window[1] - window[0]).days // 7 + 1,
        stock_warehouses=scope.warehouses, item_ids=only,
    )  # fmt: skip
    decimals = unit_decimals(conn, only)
    active = _active_warehouses(conn)
    forecasts = forecast_matrix(keys, matrix, Settings()) if keys else {}
    found = {
        key: f
        for key, f in forecasts.items()
        if f.method != "none" and key[0] in decimals and key[1] in active
    }
    times = lead_times(conn, found)
    classes = abc_now(conn, scope.warehouses)
    return [
        _computed_row(key, f, times[key], classes.get(key), decimals[key[0]], window, now)
        for key, f in sorted(found.items())
    ]


def _write(conn: Connection, scope: _Scope, rows: list[dict[str, Any]]) -> int:
    """Upsert ``rows``; clear the computed figures of the scope's other rows. Answers how many
    were cleared."""
    lv = replenishment_levels.c
    held = select(lv.item_id, lv.warehouse_id, lv.override_at).where(
        lv.computed_at.is_not(None), lv.warehouse_id.in_(sorted(scope.warehouses or ()))
    )
    if scope.item_id is not None:
        held = held.where(lv.item_id == scope.item_id)
    fresh = {(r["item_id"], r["warehouse_id"]) for r in rows}
    gone = [r for r in conn.execute(held) if (int(r.item_id), int(r.warehouse_id)) not in fresh]
    keyed = and_(lv.item_id == bindparam("i"), lv.warehouse_id == bindparam("w"))
    bare = [{"i": r.item_id, "w": r.warehouse_id} for r in gone if r.override_at is None]
    kept = [{"i": r.item_id, "w": r.warehouse_id} for r in gone if r.override_at is not None]
    if bare:
        conn.execute(delete(replenishment_levels).where(keyed), bare)
    if kept:
        conn.execute(
            update(replenishment_levels).where(keyed).values(dict.fromkeys(COMPUTED)), kept
        )
    if rows:
        stmt = upsert(conn)(replenishment_levels)
        stmt = stmt.on_conflict_do_update(
            index_elements=["item_id", "warehouse_id"],
            set_={name: stmt.excluded[name] for name in COMPUTED},
        )
        conn.execute(stmt, rows)
    return len(gone)


def recompute_levels(
    db: Database,
    ctx: Context,
    *,
    warehouse: str | None = None,
    item: str | None = None,
    weeks: int = DEFAULT_WEEKS,
    now: datetime | None = None,
) -> Recompute:
    """Recompute the levels of every active item with demand in ``warehouse`` (None: every
    warehouse where the actor may manage replenishment), or of ``item`` only, from the last
    ``weeks`` whole weeks (see the module docstring). The reads and the forecast run first on
    their own connection; the writes in one transaction with one audit entry. Raises NotFound
    (item, warehouse), InvalidInput ``invalid_weeks`` (17 to 156) and
    ``invalid_idempotency_key``, PermissionDenied (``replenishment.manage`` there). Writes
    replenishment_levels and the audit entry."""
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise InvalidInput(
            f"a recompute reads {MIN_WEEKS} to {MAX_WEEKS} weeks", code="invalid_weeks",
            weeks=weeks,
        )  # fmt: skip
    key = ctx.idempotency_key
    if key is not None and not 0 < len(key) <= 200:
        # a recompute is idempotent by itself: a key is only checked, as every write checks it
        raise InvalidInput(
            "an idempotency key has 1 to 200 characters", code="invalid_idempotency_key"
        )
    at = now or utcnow()
    with db.read() as conn:
        actor = load_actor(conn, ctx)
        actor.require(REPLENISHMENT_MANAGE)
        scope = _scope(conn, actor, warehouse, item)
        window = _window(conn, at, weeks)
        rows = _compute(conn, scope, window, at)
    methods: dict[str, int] = {}
    for row in rows:
        methods[row["method"]] = methods.get(row["method"], 0) + 1
    with db.write() as uow:
        cleared = _write(uow.conn, scope, rows)
        result = {"computed": len(rows), "cleared": cleared, "methods": methods}
        request = {"warehouse": warehouse, "item": item, "weeks": weeks}
        # the scheduled job's system actor is no user: its entry names no user id
        audit(
            uow.conn, ctx, actor if actor.user_id else None, REPLENISHMENT_MANAGE.code, at,
            target_type="replenishment_levels", target=warehouse,
            details={"request": request, "result": result},
        )  # fmt: skip
        uow.commit()
    return Recompute(len(rows), cleared, methods, window[0], window[1])
