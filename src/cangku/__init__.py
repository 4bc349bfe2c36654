"""cangku (仓库): inventory management on an append-only, hash-chained stock ledger."""

__version__ = "0.1.0"
