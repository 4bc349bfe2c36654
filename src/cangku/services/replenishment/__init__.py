"""Replenishment (issue 16): the stored levels recomputed and overridden (``levels``,
``overrides``); importing the package declares every action."""

from __future__ import annotations

from cangku.services.replenishment import actions, budgets, levels, overrides, suggestions

__all__ = ["actions", "budgets", "levels", "overrides", "suggestions"]
