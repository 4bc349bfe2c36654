"""The hash chain over ledger moves: each move's hash covers its fields and the previous hash."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
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


def move_hash_values(values: Sequence[Any], prev_hash: str) -> str:
    """sha256 over a move's fields in ``MOVE_HASH_FIELDS`` order, then the previous hash."""
    return move_hash_micros(values, _micros(values[9]), _micros(values[10]), prev_hash)


def move_hash_micros(
    values: Sequence[Any], effective_us: int, recorded_us: int, prev_hash: str
) -> str:
    """``move_hash_values`` with the two times already in microseconds (a posting of many moves
    converts each time once)."""
    (warehouse, seq, item, lot, qty, source, dest, cost, value, _, _, operation,
     reason, doc_type, doc_id, doc_line, user, reverses, note) = values  # fmt: skip
    text = (
        f"{warehouse}|{seq}|{item}|{'' if lot is None else lot}|{qty}|{source}|{dest}|{cost}|"
        f"{value}|{effective_us}|{recorded_us}|{operation}|"
        f"{'' if reason is None else _text(reason)}|"
        f"{'' if doc_type is None else _text(doc_type)}|"
        f"{'' if doc_id is None else _text(doc_id)}|{'' if doc_line is None else doc_line}|"
        f"{user}|{'' if reverses is None else reverses}|{'' if note is None else _text(note)}|"
        f"{prev_hash}"
    )
    return hashlib.sha256(text.encode()).hexdigest()


def move_hash(move: Mapping[str, Any], prev_hash: str) -> str:
    """The hash of a move given as a mapping of its columns."""
    return move_hash_values([move[name] for name in MOVE_HASH_FIELDS], prev_hash)
