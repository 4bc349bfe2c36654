"""``cangku verify``: re-fold the ledger and compare it with everything derived from it.

Checks, each reported with exactly what differs:
1. every warehouse's hash chain (each move's hash, the link to the previous one, the head);
2. every balance = sum of moves in - sum of moves out, per (item, location, lot);
3. per item, the valued quantity and value = what the moves added and took away;
4. FIFO items: the open layers hold exactly that quantity and value;
5. no balance at a guarded location is negative, no reservation exceeds on hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select, union_all

from cangku.db.tables import (
    balances,
    cost_layers,
    item_costs,
    items,
    ledger_heads,
    locations,
    moves,
    warehouses,
)
from cangku.domain.hashing import GENESIS, MOVE_HASH_FIELDS, move_hash
from cangku.domain.quantities import from_scaled
from cangku.queries.stock import VALUED

MAX_REPORTED = 200


@dataclass
class VerifyReport:
    moves_checked: int = 0
    balances_checked: int = 0
    items_checked: int = 0
    problems: list[dict[str, object]] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, check: str, **details: object) -> None:
        if len(self.problems) >= MAX_REPORTED:
            self.truncated = True
            return
        self.problems.append({"check": check, **details})


def verify(conn: Connection) -> VerifyReport:
    report = VerifyReport()
    _chains(conn, report)
    _balances(conn, report)
    _costs(conn, report)
    return report


def _chains(conn: Connection, report: VerifyReport) -> None:
    heads = {r.warehouse_id: (r.last_seq, r.last_hash) for r in conn.execute(select(ledger_heads))}
    codes = dict(conn.execute(select(warehouses.c.id, warehouses.c.code)).all())
    columns = [moves.c.id, moves.c.prev_hash, moves.c.hash] + [
        moves.c[name] for name in MOVE_HASH_FIELDS
    ]
    stmt = select(*columns).order_by(moves.c.warehouse_id, moves.c.seq)
    current: int | None = None
    expected_prev, expected_seq = GENESIS, 1
    tails: dict[int, tuple[int, str]] = {}
    for row in conn.execution_options(yield_per=20_000).execute(stmt):
        report.moves_checked += 1
        if row.warehouse_id != current:
            current, expected_prev, expected_seq = row.warehouse_id, GENESIS, 1
        where = {"move": row.id, "warehouse": codes.get(row.warehouse_id), "seq": row.seq}
        if row.seq != expected_seq:
            report.add("chain_gap", expected_seq=expected_seq, **where)
        if row.prev_hash != expected_prev:
            report.add(
                "chain_link_broken", expected_prev=expected_prev, found_prev=row.prev_hash, **where
            )
        recomputed = move_hash(dict(row._mapping), row.prev_hash)
        if recomputed != row.hash:
            report.add("move_hash_mismatch", stored=row.hash, recomputed=recomputed, **where)
        expected_prev, expected_seq = row.hash, row.seq + 1
        tails[row.warehouse_id] = (row.seq, row.hash)
    for warehouse_id, head in heads.items():
        tail = tails.get(warehouse_id, (0, GENESIS))
        if head != tail:
            report.add(
                "chain_head_mismatch",
                warehouse=codes.get(warehouse_id),
                head_seq=head[0],
                ledger_seq=tail[0],
            )


def _balances(conn: Connection, report: VerifyReport) -> None:
    lot_key = func.coalesce(moves.c.lot_id, 0)
    parts = union_all(
        select(
            moves.c.item_id,
            moves.c.to_location_id.label("loc"),
            lot_key.label("lot"),
            moves.c.quantity.label("q"),
        ),
        select(
            moves.c.item_id,
            moves.c.from_location_id.label("loc"),
            lot_key.label("lot"),
            (-moves.c.quantity).label("q"),
        ),
    ).subquery()
    folded: dict[tuple[int, int, int], int] = {
        (r[0], r[1], r[2]): int(r[3])
        for r in conn.execute(
            select(parts.c.item_id, parts.c.loc, parts.c.lot, func.sum(parts.c.q)).group_by(
                parts.c.item_id, parts.c.loc, parts.c.lot
            )
        )
    }
    item_codes = dict(conn.execute(select(items.c.id, items.c.code)).all())
    location_rows = {
        r.id: (r.code, r.kind, r.allow)
        for r in conn.execute(
            select(
                locations.c.id,
                locations.c.code,
                locations.c.kind,
                warehouses.c.allow_negative_stock.label("allow"),
            ).join(warehouses, warehouses.c.id == locations.c.warehouse_id)
        )
    }
    seen: set[tuple[int, int, int]] = set()
    stmt = select(
        balances.c.item_id,
        balances.c.location_id,
        balances.c.lot_key,
        balances.c.on_hand,
        balances.c.reserved,
    )
    for row in conn.execution_options(yield_per=20_000).execute(stmt):
        report.balances_checked += 1
        key = (row.item_id, row.location_id, row.lot_key)
        seen.add(key)
        expected = folded.get(key, 0)
        code, kind, allow = location_rows.get(row.location_id, ("?", "?", False))
        where = {
            "item": item_codes.get(row.item_id),
            "location": code,
            "lot_id": row.lot_key or None,
        }
        if row.on_hand != expected:
            report.add(
                "balance_mismatch",
                balance=str(from_scaled(row.on_hand)),
                ledger=str(from_scaled(expected)),
                **where,
            )
        if row.on_hand < 0 and kind in VALUED and not allow:
            report.add("negative_stock", on_hand=str(from_scaled(row.on_hand)), **where)
        if row.reserved > max(row.on_hand, 0) or row.reserved < 0:
            report.add("reserved_exceeds_on_hand", reserved=str(from_scaled(row.reserved)), **where)
    for key, expected in folded.items():
        if key not in seen and expected != 0:
            code = location_rows.get(key[1], ("?",))[0]
            report.add(
                "balance_missing",
                item=item_codes.get(key[0]),
                location=code,
                lot_id=key[2] or None,
                ledger=str(from_scaled(expected)),
            )


def _costs(conn: Connection, report: VerifyReport) -> None:
    src = locations.alias("s")
    dst = locations.alias("d")
    into = dst.c.kind.in_(VALUED) & ~src.c.kind.in_(VALUED)
    out = src.c.kind.in_(VALUED) & ~dst.c.kind.in_(VALUED)
    from sqlalchemy import case

    folded = {
        r.item_id: (int(r.q), int(r.v))
        for r in conn.execute(
            select(
                moves.c.item_id,
                func.sum(case((into, moves.c.quantity), (out, -moves.c.quantity), else_=0)).label(
                    "q"
                ),
                func.sum(case((into, moves.c.value), (out, -moves.c.value), else_=0)).label("v"),
            )
            .join(src, src.c.id == moves.c.from_location_id)
            .join(dst, dst.c.id == moves.c.to_location_id)
            .group_by(moves.c.item_id)
        )
    }
    layers = {
        r.item_id: (int(r.q), int(r.v))
        for r in conn.execute(
            select(
                cost_layers.c.item_id,
                func.sum(cost_layers.c.remaining_qty).label("q"),
                func.sum(cost_layers.c.remaining_value).label("v"),
            ).group_by(cost_layers.c.item_id)
        )
    }
    rows = conn.execute(
        select(
            items.c.id,
            items.c.code,
            items.c.costing_method,
            item_costs.c.quantity,
            item_costs.c.value,
        ).outerjoin(item_costs, item_costs.c.item_id == items.c.id)
    )
    for row in rows:
        report.items_checked += 1
        stored = (int(row.quantity or 0), int(row.value or 0))
        expected = folded.get(row.id, (0, 0))
        if stored != expected:
            report.add(
                "item_cost_mismatch",
                item=row.code,
                stored_quantity=str(from_scaled(stored[0])),
                ledger_quantity=str(from_scaled(expected[0])),
                stored_value=str(from_scaled(stored[1])),
                ledger_value=str(from_scaled(expected[1])),
            )
        if row.costing_method == "fifo" and stored[0] >= 0:
            in_layers = layers.get(row.id, (0, 0))
            if in_layers != stored:
                report.add(
                    "fifo_layers_mismatch",
                    item=row.code,
                    layer_quantity=str(from_scaled(in_layers[0])),
                    layer_value=str(from_scaled(in_layers[1])),
                    stock_quantity=str(from_scaled(stored[0])),
                    stock_value=str(from_scaled(stored[1])),
                )
