"""Outbound: sales orders and material requisitions, approval, allocation, pick lists,
shipments and customer returns, on the document framework (``services.documents``)."""
