"""Inbound: purchase orders, receipts, inspections, put-aways and returns to suppliers, on the
document framework (``services.documents``). Importing the package declares every action."""

from __future__ import annotations

from cangku.services.inbound import inspections, orders, putaways, receipts, returns

__all__ = ["inspections", "orders", "putaways", "receipts", "returns"]
