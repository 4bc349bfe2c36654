"""Outbound: sales orders and material requisitions, approval, allocation, pick lists,
shipments and customer returns, on the document framework (``services.documents``).
Importing the package declares every action (``services.load_all`` imports packages only)."""

from __future__ import annotations

from cangku.services.outbound import allocation, picking, requests, returns, rules, shipping

__all__ = ["allocation", "picking", "requests", "returns", "rules", "shipping"]
