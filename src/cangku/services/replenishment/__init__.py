"""Replenishment (issue 16): the stored levels recomputed and overridden (``levels``,
``overrides``); importing the package declares every action."""

from __future__ import annotations

from cangku.services.replenishment import actions, levels, overrides

__all__ = ["actions", "levels", "overrides"]
