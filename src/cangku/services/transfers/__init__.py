"""Transfers between bins and between warehouses (issue 14): requests and the goods' moves."""
