"""Persistence: tables, engines, the unit of work and the ledger store (SQLAlchemy 2 Core)."""
