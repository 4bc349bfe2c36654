"""The replenishment actions (issue 16, ADR 0032): read the stored levels and suggestions, and
manage them (recompute, override, clear)."""

from __future__ import annotations

from cangku.domain.permissions import AUDITOR, PURCHASER, VIEWER, WAREHOUSE_MANAGER, action

__all__ = ["REPLENISHMENT_MANAGE", "REPLENISHMENT_VIEW"]

#: see the replenishment levels (and their working) in the warehouses granted
REPLENISHMENT_VIEW = action(
    "replenishment.view",
    roles={PURCHASER, WAREHOUSE_MANAGER, VIEWER, AUDITOR},
    scoped=True,
    description="See replenishment levels and their working",
)
#: recompute the levels and set or clear a manual override
REPLENISHMENT_MANAGE = action(
    "replenishment.manage",
    roles={PURCHASER, WAREHOUSE_MANAGER},
    scoped=True,
    description="Recompute replenishment levels and override them",
)
