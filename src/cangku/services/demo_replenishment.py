"""The demo's replenishment and alerts (issue 16): on the last day, after the history, the
buyer recomputes the Shenzhen distribution centre's levels from its demand and the receipts
(forecast, safety stock, reorder point, max: they show that it holds more finished goods than
its sales need, and the overstock alerts say so) and overrides one item's levels there for the
Spring Festival with the reason; Shanghai keeps the levels set on its items (two and six
typical issues), so the items below them there are the buyer's suggestions. The manager sets
this month's purchasing budgets (one for the company, a tight one for spare parts, so the
suggestions page shows what was cut and why) and checks the alerts (the buyer's and the
manager's inboxes get the stock alerts). An ERP webhook channel is set up and left off (its
target is a placeholder): the channels page shows one, and nothing is sent anywhere. The
suggestions themselves are left for the buyer to review and order."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from cangku.db.tables import items, replenishment_levels, warehouses
from cangku.db.uow import Database
from cangku.services.alerts import check_alerts
from cangku.services.common import Context
from cangku.services.delivery.channels import add_channel, deactivate_channel, subscribe_channel
from cangku.services.replenishment.budgets import BudgetInput, save_budget
from cangku.services.replenishment.levels import recompute_levels
from cangku.services.replenishment.overrides import OverrideInput, set_override

__all__ = ["plan_replenishment"]

BUYER = Context("buyer")
MANAGER = Context("manager")
ADMIN = Context("admin")


def _month(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _festival_item(db: Database) -> Any:
    """The finished good with the most demand per day in Shenzhen: stocked up before the
    holiday."""
    stmt = (
        select(items.c.code, replenishment_levels.c.reorder_point)
        .join(replenishment_levels, replenishment_levels.c.item_id == items.c.id)
        .join(warehouses, warehouses.c.id == replenishment_levels.c.warehouse_id)
        .where(items.c.item_type == "finished_good", warehouses.c.code == "SZ")
        .where(replenishment_levels.c.demand.is_not(None))
        .order_by(replenishment_levels.c.demand.desc(), items.c.code)
        .limit(1)
    )
    with db.read() as conn:
        return conn.execute(stmt).first()


def plan_replenishment(db: Database, today: date) -> dict[str, Any]:
    """Levels, an override, budgets, a channel and the alerts, as the module docstring says.
    Answers what it did (counts, for the summary and the tests)."""
    done = recompute_levels(db, BUYER, warehouse="SZ")
    festival = _festival_item(db)
    overridden = None
    if festival is not None and festival.reorder_point is not None:
        rop = Decimal(festival.reorder_point).scaleb(-6) * 2
        set_override(
            db,
            BUYER,
            festival.code,
            "SZ",
            OverrideInput(
                "春节前备货 Stock up before the Spring Festival",
                reorder_point=rop.quantize(Decimal(1)),
                order_up_to=(rop * 2).quantize(Decimal(1)),
            ),
        )
        overridden = festival.code
    start, end = _month(today)
    save_budget(
        db, MANAGER, BudgetInput(start, end, "300000", note="本月采购预算 This month's purchasing")
    )
    save_budget(
        db,
        MANAGER,
        BudgetInput(start, end, "1000", category="SP", note="备件 Spare parts: tight this month"),
    )
    channel = add_channel(
        db,
        ADMIN,
        kind="webhook",
        name="ERP 集成 ERP integration",
        target="https://erp.example.cn/cangku/alerts",
        secret="demo-webhook-secret",
    )
    subscribe_channel(db, channel, "alert", ctx=ADMIN)
    deactivate_channel(db, ADMIN, channel)
    alerts = check_alerts(db, MANAGER)
    return {
        "levels": done.computed,
        "overridden": overridden,
        "alerts_opened": len(alerts.opened),
    }
