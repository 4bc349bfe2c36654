"""The hash chain over ledger moves: each move's hash covers its fields and the previous hash."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _text(value: object) -> str:
    """Free text: escaped so that no value can forge a field boundary."""
    if value is None:
        return ""
    return str(value).replace("\\", "\\\\").replace("|", "\\|")


def _micros(value: datetime) -> int:
    """A UTC instant as integer microseconds since the epoch (exact, format-free)."""
    return (value - _EPOCH) // _MICRO


def _int(value: object) -> object:
    return "" if value is None else value


def move_hash(m: Mapping[str, Any], prev_hash: str) -> str:
    """sha256 over the fields of ``MOVE_HASH_FIELDS`` in order, then the previous hash."""
    text = (
        f"{m['warehouse_id']}|{m['seq']}|{m['item_id']}|{_int(m['lot_id'])}|{m['quantity']}|"
        f"{m['from_location_id']}|{m['to_location_id']}|{m['unit_cost']}|{m['value']}|"
        f"{_micros(m['effective_at'])}|{_micros(m['recorded_at'])}|{m['operation']}|"
        f"{_text(m['reason_code'])}|{_text(m['document_type'])}|{_text(m['document_id'])}|"
        f"{_int(m['document_line'])}|{m['user_id']}|{_int(m['reverses_move_id'])}|"
        f"{_text(m['note'])}|{prev_hash}"
    )
    return hashlib.sha256(text.encode()).hexdigest()
