"""What transfers read beyond the document store: free stock of many balances at once and the
warehouses at both ends."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select, tuple_

from cangku.db.balances import BalanceKey
from cangku.db.tables import balances

__all__ = ["available"]

#: keys per statement (a tuple IN list; 3 parameters a key)
_CHUNK = 3000


def available(conn: Connection, keys: Iterable[BalanceKey]) -> dict[BalanceKey, int]:
    """On hand less reserved of each (item, location, lot key); a key without a balance is 0.
    One statement per 3,000 keys."""
    wanted = sorted(set(keys))
    out = dict.fromkeys(wanted, 0)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = conn.execute(
            select(
                balances.c.item_id,
                balances.c.location_id,
                balances.c.lot_key,
                balances.c.on_hand - balances.c.reserved,
            ).where(
                tuple_(balances.c.item_id, balances.c.location_id, balances.c.lot_key).in_(chunk)
            )
        )
        for item_id, location_id, lot_key, free in rows:
            out[(int(item_id), int(location_id), int(lot_key))] = int(free)
    return out
