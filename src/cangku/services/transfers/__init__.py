"""Transfers between bins and between warehouses (issue 14): requests and the goods' moves.
Importing the package declares every action (``services.load_all`` imports packages only)."""

from __future__ import annotations

from cangku.services.transfers import movement, requests

__all__ = ["movement", "requests"]
