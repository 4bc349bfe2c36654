"""The hash chain over ledger moves: each move's hash covers its fields and the previous hash."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

GENESIS = "0" * 64

#: The fields of a move that the hash covers, in this order. Changing it breaks old chains.
MOVE_HASH_FIELDS = (
    "warehouse_id",
    "seq",
    "item_id",
    "lot_id",
    "quantity",
    "from_location_id",
    "to_location_id",
    "unit_cost",
    "value",
    "effective_at",
    "recorded_at",
    "operation",
    "reason_code",
    "document_type",
    "document_id",
    "document_line",
    "user_id",
    "reverses_move_id",
    "note",
)


def _canonical(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return str(value).replace("\\", "\\\\").replace("|", "\\|")


def move_hash(move: Mapping[str, object], prev_hash: str) -> str:
    text = "|".join(_canonical(move[name]) for name in MOVE_HASH_FIELDS)
    return hashlib.sha256(f"{text}|{prev_hash}".encode()).hexdigest()
