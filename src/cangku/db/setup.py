"""First-run data: standard units of measure."""

from __future__ import annotations

from sqlalchemy import Connection

from cangku.db.statements import upsert
from cangku.db.tables import units

#: code, English name, decimals allowed
STANDARD_UNITS: list[tuple[str, str, int]] = [
    ("pcs", "piece", 0),
    ("box", "box", 0),
    ("carton", "carton", 0),
    ("pack", "pack", 0),
    ("pair", "pair", 0),
    ("set", "set", 0),
    ("roll", "roll", 0),
    ("pallet", "pallet", 0),
    ("kg", "kilogram", 3),
    ("g", "gram", 1),
    ("t", "tonne", 3),
    ("l", "litre", 3),
    ("ml", "millilitre", 0),
    ("m", "metre", 3),
    ("m2", "square metre", 3),
    ("h", "hour", 2),
]


def ensure_units(conn: Connection) -> int:
    stmt = upsert(conn)(units).values(
        [{"code": c, "name": n, "decimals": d} for c, n, d in STANDARD_UNITS]
    )
    added = conn.execute(
        stmt.on_conflict_do_nothing(index_elements=["code"]).returning(units.c.code)
    )
    return len(added.all())
