"""What transfers read beyond the document store: the free stock of many balances at once."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from cangku.db.balances import BalanceKey

__all__ = ["available"]

#: keys per statement (3 parameters a key, under SQLite's 32,766)
_CHUNK = 5000
#: a join from the VALUES rows searches the balances' primary key once per key (SQLite plans
#: ``(a, b, c) IN (VALUES ...)`` as a scan of the whole table, see ``db.balances``)
_SQLITE = (
    "SELECT k.column1, k.column2, k.column3, coalesce(b.on_hand - b.reserved, 0)"
    " FROM (VALUES {rows}) AS k LEFT JOIN balances b ON b.item_id = k.column1"
    " AND b.location_id = k.column2 AND b.lot_key = k.column3"
)
_PG = (
    "SELECT k.item_id, k.location_id, k.lot_key, coalesce(b.on_hand - b.reserved, 0)"
    " FROM (VALUES {rows}) AS k (item_id, location_id, lot_key) LEFT JOIN balances b"
    " ON b.item_id = k.item_id AND b.location_id = k.location_id AND b.lot_key = k.lot_key"
)


def available(conn: Connection, keys: Iterable[BalanceKey]) -> dict[BalanceKey, int]:
    """On hand less reserved of each (item, location, lot key); a key without a balance is 0.
    One statement per 5,000 keys."""
    wanted = sorted(set(keys))
    out: dict[BalanceKey, int] = {}
    sqlite = conn.dialect.name == "sqlite"
    row = "(?,?,?)" if sqlite else "(%s::bigint,%s::bigint,%s::bigint)"
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        sql = (_SQLITE if sqlite else _PG).format(rows=",".join([row] * len(chunk)))
        params = tuple(x for key in chunk for x in key)
        for item_id, location_id, lot_key, free in conn.exec_driver_sql(sql, params):
            out[(int(item_id), int(location_id), int(lot_key))] = int(free)
    return out
