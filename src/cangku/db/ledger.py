"""The ledger store: append moves, update balances and costs, extend the hash chain.

One transaction posts a batch of moves (a single move is a batch of one). Locks are taken in a
fixed order so concurrent writers never deadlock (ADR 0003):

1. balance rows, sorted by (item, location, lot) — conditional updates, never check-then-act;
2. cost rows (item_costs, then that item's open FIFO layers), sorted by item;
3. ledger heads (one hash chain per warehouse), sorted by warehouse.

Nothing here commits: the service that opened the unit of work does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cangku.db.tables import (
    balances,
    checkpoints,
    cost_layers,
    item_costs,
    ledger_heads,
    locations,
    moves,
    periods,
)
from cangku.db.types import to_micros
from cangku.domain.costing import Layer, average_cost, average_issue_value, consume_fifo
from cangku.domain.enums import VALUED_KINDS, CostingMethod
from cangku.domain.errors import InsufficientStock, InvalidInput, RuleViolation
from cangku.domain.hashing import MOVE_HASH_FIELDS, move_hash_values
from cangku.domain.quantities import SCALE, from_scaled, scaled_product, scaled_ratio
from cangku.domain.stock import MoveLine, check_effective_time

BalanceKey = tuple[int, int, int]  # item, location, lot (0 = none)
#: no scaled figure may reach this (10**12 units or currency units)
MAX_SCALED = 10**18


def upsert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def _for_update(conn: Connection, stmt: Any) -> Any:
    return stmt.with_for_update() if conn.dialect.name == "postgresql" else stmt


@dataclass
class _Delta:
    quantity: int
    lot_id: int | None
    warehouse_id: int
    guarded: bool
    line: MoveLine
    location_code: str


def closed_through(conn: Connection) -> date | None:
    result: date | None = conn.execute(select(func.max(periods.c.closed_through))).scalar()
    return result


def post(conn: Connection, lines: Sequence[MoveLine], user_id: int, now: datetime) -> list[int]:
    """Post ``lines`` as moves; return their ids in order. Raises domain errors; writes nothing
    that survives if it raises (the caller's transaction is rolled back)."""
    if not lines:
        return []
    closed = closed_through(conn)
    for line in lines:
        line.effective_at = (line.effective_at or now).astimezone(UTC)
        check_effective_time(line.effective_at, now, closed)
    apply_balances(conn, lines)
    _check_limits(conn, lines)
    costs, new_layers = _apply_costs(conn, lines)
    chains = sorted({line.chain_warehouse_id for line in lines})
    heads = _lock_heads(conn, chains)
    closed_now = closed_through(conn)
    if closed_now != closed:  # a period was closed while we waited for the heads
        for line in lines:
            assert line.effective_at is not None
            check_effective_time(line.effective_at, now, closed_now)
    ids = _allocate_ids(conn, len(lines))
    sqlite = conn.dialect.name == "sqlite"
    recorded = to_micros(now) if sqlite else now
    params: list[tuple[Any, ...]] = []
    for move_id, line, (unit_cost, value) in zip(ids, lines, costs, strict=True):
        warehouse_id = line.chain_warehouse_id
        seq, prev = heads[warehouse_id]
        seq += 1
        fields = (
            warehouse_id,
            seq,
            line.item.id,
            line.lot.id if line.lot else None,
            line.quantity,
            line.source.id,
            line.dest.id,
            unit_cost,
            value,
            line.effective_at,
            now,
            line.operation.value,
            line.reason_code,
            line.document_type,
            line.document_id,
            line.document_line,
            user_id,
            line.reverses_move_id,
            line.note,
        )  # in MOVE_HASH_FIELDS order, which is also the table's column order
        digest = move_hash_values(fields, prev)
        heads[warehouse_id] = (seq, digest)
        if sqlite:  # UTCDateTime's SQLite form: integer microseconds since the epoch
            effective = to_micros(line.effective_at)  # type: ignore[arg-type]
            params.append((move_id, *fields[:9], effective, recorded, *fields[11:], prev, digest))
        else:
            params.append((move_id, *fields, prev, digest))
    conn.exec_driver_sql(_INSERT_SQLITE if sqlite else _INSERT_MOVES, params)
    if new_layers:
        _many(
            conn,
            _INSERT_LAYERS,
            [
                (
                    lines[index].item.id,
                    ids[index],
                    lines[index].quantity,
                    layer.unit_cost,
                    layer.remaining_qty,
                    layer.remaining_value,
                )
                for index, layer in new_layers
            ],
        )
    for warehouse_id, (seq, last_hash) in heads.items():
        conn.execute(
            update(ledger_heads)
            .where(ledger_heads.c.warehouse_id == warehouse_id)
            .values(last_seq=seq, last_hash=last_hash)
        )
    earliest = min(line.effective_at for line in lines if line.effective_at is not None)
    conn.execute(
        update(checkpoints)
        .where(checkpoints.c.valid.is_(True), checkpoints.c.as_of >= earliest)
        .values(valid=False)
    )
    return ids


_MOVE_COLUMNS = ("id", *MOVE_HASH_FIELDS, "prev_hash", "hash")
assert set(_MOVE_COLUMNS) == {c.name for c in moves.columns}
# built once from the table's own column names: no user input reaches this text
_INSERT_MOVES = (
    f"INSERT INTO moves ({', '.join(_MOVE_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(_MOVE_COLUMNS))})"
)
_INSERT_SQLITE = _INSERT_MOVES.replace("%s", "?")


def _allocate_ids(conn: Connection, count: int) -> list[int]:
    """Ids for ``count`` new moves. SQLite: we are the only writer (BEGIN IMMEDIATE), so the
    next ids follow the largest; PostgreSQL: drawn from the table's sequence."""
    if conn.dialect.name == "postgresql":
        result = conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('moves', 'id')) FROM generate_series(1, %(n)s)",
            {"n": count},
        )
        return sorted(int(r[0]) for r in result)
    last = conn.execute(select(func.max(moves.c.id))).scalar() or 0
    return list(range(last + 1, last + 1 + count))


# ------------------------------------------------------------------ balances
def apply_balances(conn: Connection, lines: Sequence[MoveLine]) -> None:
    deltas: dict[BalanceKey, _Delta] = {}
    for line in lines:
        lot_key = line.lot.id if line.lot else 0
        for location, sign in ((line.source, -1), (line.dest, 1)):
            key = (line.item.id, location.id, lot_key)
            delta = deltas.get(key)
            if delta is None:
                guarded = location.kind.is_valued and not location.allow_negative
                delta = deltas[key] = _Delta(
                    0,
                    line.lot.id if line.lot else None,
                    location.warehouse_id,
                    guarded,
                    line,
                    location.code,
                )
            delta.quantity += sign * line.quantity
    if len(deltas) > BATCH_THRESHOLD:
        _apply_balances_batched(conn, deltas)
        return
    statements = _statements(conn)
    for key in sorted(deltas):
        delta = deltas[key]
        if delta.quantity == 0:
            continue
        item_id, location_id, lot_key = key
        if delta.quantity < 0 and delta.guarded:
            result = conn.execute(
                statements.take_balance,
                {
                    "b_item": item_id,
                    "b_location": location_id,
                    "b_lot": lot_key,
                    "b_delta": delta.quantity,
                },
            )
            if result.rowcount != 1:
                raise _insufficient(conn, key, delta)
            continue
        conn.execute(
            statements.add_balance,
            {
                "item_id": item_id,
                "location_id": location_id,
                "lot_key": lot_key,
                "lot_id": delta.lot_id,
                "warehouse_id": delta.warehouse_id,
                "on_hand": delta.quantity,
                "reserved": 0,
            },
        )


#: above this many balance rows a posting updates them set-based
BATCH_THRESHOLD = 16


def _apply_balances_batched(conn: Connection, deltas: dict[BalanceKey, _Delta]) -> None:
    """One upsert for all rows (in key order, so locks are still taken in a fixed order), then
    one check that no guarded row went below its reservation. The rows stay locked by our
    update until commit, so the check cannot be overtaken (no check-then-act)."""
    keys = sorted(k for k, d in deltas.items() if d.quantity != 0)
    _many(
        conn,
        _ADD_BALANCES,
        [
            (k[0], k[1], k[2], deltas[k].lot_id, deltas[k].warehouse_id, deltas[k].quantity)
            for k in keys
        ],
    )
    guarded = [k for k in keys if deltas[k].guarded and deltas[k].quantity < 0]
    for start in range(0, len(guarded), 500):
        chunk = guarded[start : start + 500]
        short = conn.execute(
            select(balances.c.item_id, balances.c.location_id, balances.c.lot_key)
            .where(
                tuple_(balances.c.item_id, balances.c.location_id, balances.c.lot_key).in_(chunk),
                balances.c.on_hand - balances.c.reserved < 0,
            )
            .limit(1)
        ).first()
        if short is not None:
            key = (short.item_id, short.location_id, short.lot_key)
            delta = deltas[key]
            available = _available(conn, key) - delta.quantity  # before this batch
            line = delta.line
            raise InsufficientStock(
                f"not enough {line.item.code} at {delta.location_code}: "
                f"{from_scaled(-delta.quantity)} requested, {from_scaled(available)} available",
                item=line.item.code,
                location=delta.location_code,
                lot=line.lot.code if line.lot else None,
                requested=str(from_scaled(-delta.quantity)),
                available=str(from_scaled(available)),
            )


def _available(conn: Connection, key: BalanceKey) -> int:
    item_id, location_id, lot_key = key
    value = conn.execute(
        select(balances.c.on_hand - balances.c.reserved).where(
            balances.c.item_id == item_id,
            balances.c.location_id == location_id,
            balances.c.lot_key == lot_key,
        )
    ).scalar()
    return int(value or 0)


def _insufficient(conn: Connection, key: BalanceKey, delta: _Delta) -> InsufficientStock:
    available = _available(conn, key)
    line = delta.line
    lot = f" lot {line.lot.code}" if line.lot else ""
    return InsufficientStock(
        f"not enough {line.item.code}{lot} at {delta.location_code}: "
        f"{from_scaled(-delta.quantity)} requested, {from_scaled(available)} available",
        item=line.item.code,
        location=delta.location_code,
        lot=line.lot.code if line.lot else None,
        requested=str(from_scaled(-delta.quantity)),
        available=str(from_scaled(available)),
    )


def change_reservation(conn: Connection, key: BalanceKey, quantity: int) -> None:
    """Reserve (``quantity`` > 0) or release (< 0); refuses more than available / reserved."""
    item_id, location_id, lot_key = key
    where = [
        balances.c.item_id == item_id,
        balances.c.location_id == location_id,
        balances.c.lot_key == lot_key,
    ]
    if quantity > 0:
        where.append(balances.c.on_hand - balances.c.reserved >= quantity)
    else:
        where.append(balances.c.reserved + quantity >= 0)
    result = conn.execute(
        update(balances).where(*where).values(reserved=balances.c.reserved + quantity)
    )
    if result.rowcount != 1:
        if quantity > 0:
            available = _available(conn, key)
            raise InsufficientStock(
                f"cannot reserve {from_scaled(quantity)}: {from_scaled(available)} available",
                requested=str(from_scaled(quantity)),
                available=str(from_scaled(available)),
            )
        raise RuleViolation(
            f"cannot release {from_scaled(-quantity)}: more than is reserved",
            code="release_exceeds_reserved",
        )


def _check_limits(conn: Connection, lines: Sequence[MoveLine]) -> None:
    """Location capacity and one-place-only serials, read after our own balance updates (so a
    concurrent writer of the same rows waits for us)."""
    capacities = {ln.dest.id: ln.dest for ln in lines if ln.dest.capacity is not None}
    for location_id, location in sorted(capacities.items()):
        held = conn.execute(
            select(func.coalesce(func.sum(balances.c.on_hand), 0)).where(
                balances.c.location_id == location_id
            )
        ).scalar_one()
        if location.capacity is not None and int(held) > location.capacity:
            raise RuleViolation(
                f"location {location.code} holds at most {from_scaled(location.capacity)}",
                code="location_capacity_exceeded",
                location=location.code,
                capacity=str(from_scaled(location.capacity)),
                would_hold=str(from_scaled(int(held))),
            )
    serials = {ln.lot.id: ln for ln in lines if ln.lot is not None and ln.lot.is_serial}
    for lot_id, line in sorted(serials.items()):
        if not line.dest.kind.is_valued:
            continue
        in_stock = conn.execute(
            select(func.coalesce(func.sum(balances.c.on_hand), 0))
            .join(locations, locations.c.id == balances.c.location_id)
            .where(balances.c.lot_id == lot_id, locations.c.kind.in_(_VALUED_KINDS))
        ).scalar_one()
        if int(in_stock) > SCALE:
            assert line.lot is not None
            raise RuleViolation(
                f"serial number {line.lot.code} of {line.item.code} is already in stock",
                code="serial_in_stock",
                item=line.item.code,
                serial=line.lot.code,
            )


_VALUED_KINDS = [str(kind) for kind in VALUED_KINDS]


# ------------------------------------------------------------------ costs
def _apply_costs(
    conn: Connection, lines: Sequence[MoveLine]
) -> tuple[list[tuple[int, int]], list[tuple[int, Layer]]]:
    """Return (unit cost, value) for each line, and the FIFO layers to open (line index, layer)."""
    costs: list[tuple[int, int]] = [(0, 0)] * len(lines)
    by_item: dict[int, list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        if line.source.kind.is_valued != line.dest.kind.is_valued:
            by_item[line.item.id].append(index)
    new_layers: list[tuple[int, Layer]] = []
    if not by_item:
        return costs, new_layers
    item_ids = sorted(by_item)
    statements = _statements(conn)
    _many(conn, _INIT_COSTS, [(i,) for i in item_ids])
    state: dict[int, list[int]] = {}
    for chunk in _chunks(item_ids):
        for row in conn.execute(statements.lock_costs, {"ids": chunk}):
            state[row.item_id] = [row.quantity, row.value, row.last_cost]
    fifo_items = [
        i for i in item_ids if lines[by_item[i][0]].item.costing_method == CostingMethod.FIFO
    ]
    layers = _load_layers(conn, fifo_items, lines, by_item)
    touched: list[Layer] = []
    for item_id in item_ids:
        qty, value, last_cost = state[item_id]
        item_layers = layers.get(item_id, [])
        for index in by_item[item_id]:
            line = lines[index]
            q = line.quantity
            fallback = average_cost(qty, value) or last_cost
            if line.dest.kind.is_valued:  # goods come into our stock
                cost = line.unit_cost if line.unit_cost is not None else fallback
                moved = scaled_product(q, cost)
                if line.unit_cost is not None:
                    last_cost = cost
                if item_id in layers:
                    layer = Layer(None, q, moved, cost)
                    item_layers.append(layer)
                    new_layers.append((index, layer))
                qty, value = qty + q, value + moved
            else:  # goods leave our stock
                if item_id in layers:
                    prefer = _preferred_layer(item_layers, line)
                    consumption = consume_fifo(item_layers, q, fallback, prefer)
                    touched.extend(layer for layer, _, _ in consumption.taken)
                    moved = consumption.value
                elif (
                    line.prefer_layer_of_move is not None and line.unit_cost is not None and q < qty
                ):
                    moved = scaled_product(q, line.unit_cost)  # a reversal gives back what it cost
                else:
                    moved = (
                        average_issue_value(qty, value, q)
                        if qty > 0
                        else scaled_product(q, fallback)
                    )
                cost = scaled_ratio(moved, q)
                qty, value = qty - q, value - moved
            if abs(moved) >= MAX_SCALED:
                raise InvalidInput(
                    f"the value of this move of {line.item.code} is too large",
                    code="number_too_large",
                    field="unit_cost",
                )
            costs[index] = (cost, moved)
        state[item_id] = [qty, value, last_cost]
    changed = list({id(x): x for x in touched if x.id is not None}.values())
    if changed:
        _many(conn, _UPDATE_LAYER, [(x.remaining_qty, x.remaining_value, x.id) for x in changed])
    _many(conn, _UPDATE_COSTS, [(s[0], s[1], s[2], i) for i, s in state.items()])
    return costs, new_layers


# Statements run with many parameter sets go straight to the driver's executemany: SQLAlchemy's
# per-row parameter processing cost more than the statements themselves (ADR 0003). The text is
# fixed (no user input); placeholders are %s (psycopg) and become ? for sqlite3.
_ADD_BALANCES = (
    "INSERT INTO balances (item_id, location_id, lot_key, lot_id, warehouse_id, on_hand, reserved)"
    " VALUES (%s, %s, %s, %s, %s, %s, 0) ON CONFLICT (item_id, location_id, lot_key)"
    " DO UPDATE SET on_hand = balances.on_hand + excluded.on_hand"
)
_INIT_COSTS = (
    "INSERT INTO item_costs (item_id, quantity, value, last_cost) VALUES (%s, 0, 0, 0)"
    " ON CONFLICT (item_id) DO NOTHING"
)
_UPDATE_LAYER = "UPDATE cost_layers SET remaining_qty = %s, remaining_value = %s WHERE id = %s"
_UPDATE_COSTS = "UPDATE item_costs SET quantity = %s, value = %s, last_cost = %s WHERE item_id = %s"
_INSERT_LAYERS = (
    "INSERT INTO cost_layers (item_id, move_id, quantity, unit_cost, remaining_qty,"
    " remaining_value) VALUES (%s, %s, %s, %s, %s, %s)"
)


def _many(conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    if not params:
        return
    if conn.dialect.name == "sqlite":
        sql = sql.replace("%s", "?")
    conn.exec_driver_sql(sql, params)


#: at most this many values in one IN list (SQLite allows 32,766 variables)
CHUNK = 5000


def _chunks(values: list[int]) -> list[list[int]]:
    return [values[start : start + CHUNK] for start in range(0, len(values), CHUNK)]


@dataclass(frozen=True)
class _Statements:
    """Statements built once per dialect (building them per call costs more than running them)."""

    add_balance: Any
    take_balance: Any
    lock_costs: Any
    open_layers: Any
    lock_heads: Any


_BUILT: dict[str, _Statements] = {}


def _statements(conn: Connection) -> _Statements:
    dialect = conn.dialect.name
    built = _BUILT.get(dialect)
    if built is None:
        built = _BUILT[dialect] = _build_statements(dialect)
    return built


def _build_statements(dialect: str) -> _Statements:
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    locking = dialect == "postgresql"
    add = insert_(balances)
    add = add.on_conflict_do_update(
        index_elements=["item_id", "location_id", "lot_key"],
        set_={"on_hand": balances.c.on_hand + add.excluded.on_hand},
    )
    take = (
        update(balances)
        .where(
            balances.c.item_id == bindparam("b_item"),
            balances.c.location_id == bindparam("b_location"),
            balances.c.lot_key == bindparam("b_lot"),
            balances.c.on_hand - balances.c.reserved + bindparam("b_delta") >= 0,
        )
        .values(on_hand=balances.c.on_hand + bindparam("b_delta"))
    )
    lock_costs = (
        select(item_costs)
        .where(item_costs.c.item_id.in_(bindparam("ids", expanding=True)))
        .order_by(item_costs.c.item_id)
    )
    open_layers = (
        select(
            cost_layers.c.id,
            cost_layers.c.item_id,
            cost_layers.c.remaining_qty,
            cost_layers.c.remaining_value,
            cost_layers.c.unit_cost,
            cost_layers.c.move_id,
        )
        .where(
            cost_layers.c.item_id.in_(bindparam("ids", expanding=True)),
            cost_layers.c.remaining_qty > 0,
        )
        .order_by(cost_layers.c.item_id, cost_layers.c.id)
    )
    heads = (
        select(ledger_heads.c.warehouse_id, ledger_heads.c.last_seq, ledger_heads.c.last_hash)
        .where(ledger_heads.c.warehouse_id.in_(bindparam("ids", expanding=True)))
        .order_by(ledger_heads.c.warehouse_id)
    )
    if locking:
        lock_costs = lock_costs.with_for_update()
        open_layers = open_layers.with_for_update()
        heads = heads.with_for_update()
    return _Statements(
        add_balance=add,
        take_balance=take,
        lock_costs=lock_costs,
        open_layers=open_layers,
        lock_heads=heads,
    )


def _load_layers(
    conn: Connection, item_ids: list[int], lines: Sequence[MoveLine], by_item: dict[int, list[int]]
) -> dict[int, list[Layer]]:
    layers: dict[int, list[Layer]] = {i: [] for i in item_ids}
    if not item_ids:
        return layers
    needs_open = [i for i in item_ids if any(not lines[x].dest.kind.is_valued for x in by_item[i])]
    if not needs_open:
        return layers
    statement = _statements(conn).open_layers
    for chunk in _chunks(needs_open):
        for row in conn.execute(statement, {"ids": chunk}):
            layers[row.item_id].append(
                Layer(row.id, row.remaining_qty, row.remaining_value, row.unit_cost, row.move_id)
            )
    return layers


def _preferred_layer(layers: list[Layer], line: MoveLine) -> Layer | None:
    if line.prefer_layer_of_move is None:
        return None
    for layer in layers:
        if layer.source_move == line.prefer_layer_of_move:
            return layer
    return None


# ------------------------------------------------------------------ chain heads
def _lock_heads(conn: Connection, warehouse_ids: list[int]) -> dict[int, tuple[int, str]]:
    heads = {
        row.warehouse_id: (row.last_seq, row.last_hash)
        for row in conn.execute(_statements(conn).lock_heads, {"ids": warehouse_ids})
    }
    missing = set(warehouse_ids) - set(heads)
    if missing:
        raise RuleViolation("warehouse has no ledger head", code="ledger_head_missing")
    return heads


def lock_all_heads(conn: Connection) -> None:
    """Serialise with every poster (closing a period, taking a checkpoint)."""
    stmt = select(ledger_heads.c.warehouse_id).order_by(ledger_heads.c.warehouse_id)
    conn.execute(_for_update(conn, stmt)).all()
