"""``cangku verify``: re-fold the ledger and compare it with everything derived from it.

Checks, each reported with exactly what differs:
1. every warehouse's hash chain (each move's hash, the link to the previous one, the head);
2. every balance = sum of moves in - sum of moves out, per (item, location, lot);
3. per item, the valued quantity and value = what the moves added and took away;
4. FIFO items: the open layers hold exactly that quantity and value (none below zero); no
   item is worth something with nothing on hand, or has a value of the other sign than its
   quantity (negative stock included: a receipt settles it first, ADR 0012);
5. no balance at a guarded location is negative, no reservation exceeds on hand;
6. the audit trail's hash chain (each entry's hash, no missing number, the head).

The comparisons run in the database: the folded ledger and the stored projections are summed
side by side in one grouped query per check, so only the rows that differ come back to Python,
and the hash chain is streamed as plain tuples. Memory stays flat whatever the ledger's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Select,
    and_,
    case,
    false,
    func,
    literal_column,
    or_,
    select,
    union_all,
)

from cangku.db.tables import (
    allocations,
    audit_head,
    audit_log,
    balances,
    cost_layers,
    item_costs,
    items,
    ledger_heads,
    locations,
    moves,
    warehouses,
)
from cangku.domain.audit import entry_hash
from cangku.domain.hashing import GENESIS, MOVE_HASH_FIELDS, move_hash_values
from cangku.domain.quantities import from_scaled
from cangku.queries.stock import VALUED

MAX_REPORTED = 200
STREAM = {"yield_per": 20_000, "stream_results": True}


@dataclass
class VerifyReport:
    moves_checked: int = 0
    balances_checked: int = 0
    items_checked: int = 0
    audit_entries_checked: int = 0
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
    _reservations(conn, report)
    _costs(conn, report)
    _audit_chain(conn, report)
    return report


def _text(scaled: Any) -> str:
    return str(from_scaled(int(scaled)))


def _count(conn: Connection, table: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


# ------------------------------------------------------------------ 1. hash chains
def _chains(conn: Connection, report: VerifyReport) -> None:
    heads = {r.warehouse_id: (r.last_seq, r.last_hash) for r in conn.execute(select(ledger_heads))}
    codes = dict(conn.execute(select(warehouses.c.id, warehouses.c.code)).all())
    # (id, prev_hash, hash, *MOVE_HASH_FIELDS): warehouse_id and seq come first among the fields
    columns = [moves.c.id, moves.c.prev_hash, moves.c.hash] + [
        moves.c[name] for name in MOVE_HASH_FIELDS
    ]
    stmt = select(*columns).order_by(moves.c.warehouse_id, moves.c.seq)
    current: int | None = None
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    tails: dict[int, tuple[int, str]] = {}
    for row in conn.execution_options(**STREAM).execute(stmt):
        move_id, prev_hash, stored = row[0], row[1], row[2]
        values = row[3:]
        warehouse_id, seq = values[0], values[1]
        checked += 1
        if warehouse_id != current:
            if current is not None:
                tails[current] = (expected_seq - 1, expected_prev)
            current, expected_prev, expected_seq = warehouse_id, GENESIS, 1
        if seq != expected_seq or prev_hash != expected_prev:
            _link_problems(report, row, codes, expected_seq, expected_prev)
        recomputed = move_hash_values(values, prev_hash)
        if recomputed != stored:
            where = {"move": move_id, "warehouse": codes.get(warehouse_id), "seq": seq}
            report.add("move_hash_mismatch", stored=stored, recomputed=recomputed, **where)
        expected_prev, expected_seq = stored, seq + 1
    if current is not None:
        tails[current] = (expected_seq - 1, expected_prev)
    report.moves_checked = checked
    for warehouse_id, head in heads.items():
        tail = tails.get(warehouse_id, (0, GENESIS))
        if head != tail:
            report.add(
                "chain_head_mismatch",
                warehouse=codes.get(warehouse_id),
                head_seq=head[0],
                ledger_seq=tail[0],
            )


def _link_problems(
    report: VerifyReport,
    row: Any,
    codes: dict[int, str],
    expected_seq: int,
    expected_prev: str,
) -> None:
    move_id, prev_hash, warehouse_id, seq = row[0], row[1], row[3], row[4]
    where = {"move": move_id, "warehouse": codes.get(warehouse_id), "seq": seq}
    if seq != expected_seq:
        report.add("chain_gap", expected_seq=expected_seq, **where)
    if prev_hash != expected_prev:
        report.add("chain_link_broken", expected_prev=expected_prev, found_prev=prev_hash, **where)


# ------------------------------------------------------------------ 2 and 5. balances
def _balance_differences() -> Select[Any]:
    """Per (item, location, lot): the stored balance next to the folded ledger, only where a
    check fails (or may fail: a negative balance, refined by the location below)."""
    zero = literal_column("0", BigInteger)
    lot_key = func.coalesce(moves.c.lot_id, 0)
    parts = union_all(
        select(
            balances.c.item_id,
            balances.c.location_id.label("loc"),
            balances.c.lot_key.label("lot"),
            balances.c.on_hand.label("b"),
            balances.c.reserved.label("r"),
            literal_column("1", BigInteger).label("n"),
            zero.label("l"),
        ),
        select(
            moves.c.item_id, moves.c.to_location_id, lot_key, zero, zero, zero, moves.c.quantity
        ),
        select(
            moves.c.item_id, moves.c.from_location_id, lot_key, zero, zero, zero, -moves.c.quantity
        ),
    ).subquery("parts")
    on_hand, reserved, ledger = func.sum(parts.c.b), func.sum(parts.c.r), func.sum(parts.c.l)
    suspect = or_(
        on_hand != ledger,
        on_hand < 0,
        reserved < 0,
        reserved > case((on_hand > 0, on_hand), else_=0),
    )
    return (
        select(
            parts.c.item_id,
            parts.c.loc,
            parts.c.lot,
            on_hand.label("on_hand"),
            reserved.label("reserved"),
            func.sum(parts.c.n).label("present"),
            ledger.label("ledger"),
        )
        .group_by(parts.c.item_id, parts.c.loc, parts.c.lot)
        .having(suspect)
    )


def _balances(conn: Connection, report: VerifyReport) -> None:
    report.balances_checked = _count(conn, balances)
    g = _balance_differences().subquery("g")
    guarded = and_(
        locations.c.kind.in_(VALUED),
        func.coalesce(warehouses.c.allow_negative_stock, false()) == false(),
    )
    stmt = (
        select(g, items.c.code.label("item"), locations.c.code.label("location"), guarded)
        .outerjoin(items, items.c.id == g.c.item_id)
        .outerjoin(locations, locations.c.id == g.c.loc)
        .outerjoin(warehouses, warehouses.c.id == locations.c.warehouse_id)
        .where(
            or_(
                g.c.on_hand != g.c.ledger,
                and_(g.c.on_hand < 0, guarded),
                g.c.reserved < 0,
                g.c.reserved > case((g.c.on_hand > 0, g.c.on_hand), else_=0),
            )
        )
        .order_by(g.c.item_id, g.c.loc, g.c.lot)
    )
    missing: list[dict[str, object]] = []
    for row in conn.execution_options(**STREAM).execute(stmt):
        where = {"item": row.item, "location": row.location or "?", "lot_id": row.lot or None}
        on_hand, reserved, ledger = int(row.on_hand), int(row.reserved), int(row.ledger)
        if not row.present:  # a ledger total with no balance row
            if len(missing) <= MAX_REPORTED:
                missing.append({**where, "ledger": _text(ledger)})
            continue
        if on_hand != ledger:
            report.add("balance_mismatch", balance=_text(on_hand), ledger=_text(ledger), **where)
        if on_hand < 0 and row[-1]:
            report.add("negative_stock", on_hand=_text(on_hand), **where)
        if reserved > max(on_hand, 0) or reserved < 0:
            report.add("reserved_exceeds_on_hand", reserved=_text(reserved), **where)
    for problem in missing:
        report.add("balance_missing", **problem)


def _reservations(conn: Connection, report: VerifyReport) -> None:
    """A balance's reserved figure is the sum of its reservation rows (``allocations``)."""
    held = (
        select(
            allocations.c.item_id,
            allocations.c.location_id,
            allocations.c.lot_key,
            func.sum(allocations.c.quantity).label("rows"),
        )
        .group_by(allocations.c.item_id, allocations.c.location_id, allocations.c.lot_key)
        .subquery("held")
    )
    joined = balances.outerjoin(
        held,
        and_(
            held.c.item_id == balances.c.item_id,
            held.c.location_id == balances.c.location_id,
            held.c.lot_key == balances.c.lot_key,
        ),
    )
    stmt = (
        select(
            items.c.code,
            locations.c.code,
            balances.c.lot_key,
            balances.c.reserved,
            func.coalesce(held.c.rows, 0),
        )  # fmt: skip
        .select_from(joined)
        .join(items, items.c.id == balances.c.item_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(balances.c.reserved != func.coalesce(held.c.rows, 0))
        .order_by(balances.c.item_id, balances.c.location_id, balances.c.lot_key)
    )
    for item, location, lot_key, reserved, rows in conn.execute(stmt):
        report.add(
            "reserved_mismatch",
            item=item,
            location=location,
            lot_id=lot_key or None,
            reserved=_text(reserved),
            reservations=_text(rows),
        )
    orphans = conn.execute(
        select(func.count())
        .select_from(
            held.outerjoin(
                balances,
                and_(
                    held.c.item_id == balances.c.item_id,
                    held.c.location_id == balances.c.location_id,
                    held.c.lot_key == balances.c.lot_key,
                ),
            )
        )  # fmt: skip
        .where(balances.c.item_id.is_(None))
    ).scalar_one()
    if orphans:
        report.add("reservation_without_balance", count=int(orphans))


# ------------------------------------------------------------------ 3 and 4. item costs
def _cost_sums() -> Select[Any]:
    """Per item: what the moves added to and took from valued stock, the stored totals and
    the FIFO layers, side by side."""
    src = locations.alias("s")
    dst = locations.alias("d")
    into = dst.c.kind.in_(VALUED) & ~src.c.kind.in_(VALUED)
    out = src.c.kind.in_(VALUED) & ~dst.c.kind.in_(VALUED)
    zero = literal_column("0", BigInteger)
    parts = union_all(
        select(
            moves.c.item_id,
            case((into, moves.c.quantity), (out, -moves.c.quantity), else_=0).label("q"),
            case((into, moves.c.value), (out, -moves.c.value), else_=0).label("v"),
            zero.label("sq"),
            zero.label("sv"),
            zero.label("lq"),
            zero.label("lv"),
        )
        .join(src, src.c.id == moves.c.from_location_id)
        .join(dst, dst.c.id == moves.c.to_location_id),
        select(item_costs.c.item_id, zero, zero, item_costs.c.quantity, item_costs.c.value,
               zero, zero),
        select(cost_layers.c.item_id, zero, zero, zero, zero, cost_layers.c.remaining_qty,
               cost_layers.c.remaining_value),
    ).subquery("parts")  # fmt: skip
    sums = [func.sum(parts.c[name]).label(name) for name in ("q", "v", "sq", "sv", "lq", "lv")]
    return select(parts.c.item_id, *sums).group_by(parts.c.item_id)


def _costs(conn: Connection, report: VerifyReport) -> None:
    report.items_checked = _count(conn, items)
    g = _cost_sums().subquery("g")
    q, v, sq, sv, lq, lv = (func.coalesce(g.c[n], 0) for n in ("q", "v", "sq", "sv", "lq", "lv"))
    stmt = (
        select(items.c.code, items.c.costing_method, q, v, sq, sv, lq, lv)
        .outerjoin(g, g.c.item_id == items.c.id)
        .where(
            or_(
                sq != q,
                sv != v,
                and_(items.c.costing_method == "fifo", sq >= 0, or_(lq != sq, lv != sv)),
                # below zero a FIFO item has no open layer (a receipt settles first)
                and_(items.c.costing_method == "fifo", sq < 0, or_(lq != 0, lv != 0)),
                and_(sq == 0, sv != 0),
                and_(sq > 0, sv < 0),
                and_(sq < 0, sv > 0),
            )
        )
        .order_by(items.c.id)
    )
    for row in conn.execution_options(**STREAM).execute(stmt):
        code, method = row[0], row[1]
        ledger, stored, layers = (
            (int(row[2]), int(row[3])),
            (int(row[4]), int(row[5])),
            (int(row[6]), int(row[7])),
        )
        if stored != ledger:
            report.add(
                "item_cost_mismatch",
                item=code,
                stored_quantity=_text(stored[0]),
                ledger_quantity=_text(ledger[0]),
                stored_value=_text(stored[1]),
                ledger_value=_text(ledger[1]),
            )
        expected_layers = stored if stored[0] >= 0 else (0, 0)
        if method == "fifo" and layers != expected_layers:
            report.add(
                "fifo_layers_mismatch",
                item=code,
                layer_quantity=_text(layers[0]),
                layer_value=_text(layers[1]),
                stock_quantity=_text(stored[0]),
                stock_value=_text(stored[1]),
            )
        quantity, value = stored
        if (quantity == 0 and value != 0) or (quantity > 0 > value) or (quantity < 0 < value):
            # value and quantity disagree: stock worth something with nothing on hand, or
            # a value of the other sign (ADR 0012)
            report.add(
                "value_quantity_mismatch",
                item=code,
                stock_quantity=_text(quantity),
                stock_value=_text(value),
            )


# ------------------------------------------------------------------ 6. the audit trail
def _audit_chain(conn: Connection, report: VerifyReport) -> None:
    """Re-hash the audit trail in order: an edited entry no longer matches its hash, a deleted
    one leaves a gap in the numbers (or, the last one, a head that points past the end)."""
    stmt = select(
        audit_log.c.seq,
        audit_log.c.at,
        audit_log.c.user_id,
        audit_log.c.username,
        audit_log.c.action,
        audit_log.c.target_type,
        audit_log.c.target,
        audit_log.c.warehouse_id,
        audit_log.c.origin,
        audit_log.c.details,
        audit_log.c.prev_hash,
        audit_log.c.hash,
    ).order_by(audit_log.c.seq)
    expected_seq, expected_prev, checked = 1, GENESIS, 0
    for row in conn.execution_options(**STREAM).execute(stmt):
        seq, prev_hash, stored = int(row[0]), row[10], row[11]
        checked += 1
        if seq != expected_seq:
            report.add("audit_gap", seq=seq, missing_from=expected_seq, missing_to=seq - 1)
        elif prev_hash != expected_prev:
            report.add(
                "audit_link_broken", seq=seq, expected_prev=expected_prev, found_prev=prev_hash
            )
        if entry_hash(seq, *row[1:10], prev_hash) != stored:
            report.add("audit_hash_mismatch", seq=seq, action=row[4], target=row[6])
        expected_seq, expected_prev = seq + 1, stored
    report.audit_entries_checked = checked
    head = conn.execute(select(audit_head.c.last_seq, audit_head.c.last_hash)).first()
    tail = (expected_seq - 1, expected_prev)
    if head is None:
        report.add("audit_head_missing", log_seq=tail[0])
    elif (int(head[0]), head[1]) != tail:
        report.add(
            "audit_head_mismatch",
            head_seq=int(head[0]),
            log_seq=tail[0],
            head_hash=head[1],
            log_hash=tail[1],
        )
