"""Valuation at posting: FIFO layers and moving average per item, in posting order (ADR 0004)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from cangku.db import arrays, driver
from cangku.db.statements import chunks, statements
from cangku.db.tables import item_costs
from cangku.domain.costing import (
    Layer,
    average_cost,
    average_issue_value,
    consume_fifo,
    receive_into,
)
from cangku.domain.enums import CostingMethod
from cangku.domain.errors import InvalidInput
from cangku.domain.quantities import scaled_product, scaled_ratio
from cangku.domain.stock import MoveLine

#: no scaled figure may reach this (10**12 units or currency units)
MAX_SCALED = 10**18


# ------------------------------------------------------------------ costs
#: a receipt that settled negative stock: (line index, quantity settled, cost correction)
Correction = tuple[int, int, int]


@dataclass
class Costed:
    """What ``apply_costs`` made of a posting's lines."""

    #: (unit cost, value) per line
    costs: list[tuple[int, int]]
    #: FIFO layers to open: (line index, layer)
    new_layers: list[tuple[int, Layer]] = field(default_factory=list)
    #: receipts that settled negative stock (ADR 0012)
    corrections: list[Correction] = field(default_factory=list)


def apply_costs(conn: Connection, lines: Sequence[MoveLine], tail: driver.Tail) -> Costed:
    """Return (unit cost, value) for each line, the FIFO layers to open and the cost
    corrections of receipts that settled negative stock.

    The item cost rows are locked here; their new figures and the consumed layers are written
    by ``tail`` (the rows stay locked until commit, so nobody reads them in between)."""
    costs: list[tuple[int, int]] = [(0, 0)] * len(lines)
    corrections: list[Correction] = []
    by_item: dict[int, list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        if line.source.kind.is_valued != line.dest.kind.is_valued:
            by_item[line.item.id].append(index)
    new_layers: list[tuple[int, Layer]] = []
    if not by_item:
        return Costed(costs)
    item_ids = sorted(by_item)
    prepared = statements(conn)
    state: dict[int, list[int]] = {}
    if len(item_ids) == 1:  # one statement creates, locks and reads the row
        row = driver.rows(conn, _LOCK_ONE_COST, (item_ids[0],))[0]
        state[row[0]] = [row[1], row[2], row[3]]
    else:
        driver.many(conn, _INIT_COSTS, [(i,) for i in item_ids])
        for chunk in chunks(item_ids):
            for row in conn.execute(prepared.lock_costs, {"ids": chunk}):
                state[row.item_id] = [row.quantity, row.value, row.last_cost]
    fifo_items = [
        i for i in item_ids if lines[by_item[i][0]].item.costing_method == CostingMethod.FIFO
    ]
    _prefer_own_layers_of_serials(conn, lines, [x for i in fifo_items for x in by_item[i]])
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
                if line.unit_cost is not None:
                    last_cost = cost
                receipt = receive_into(qty, value, q, cost)  # settles negative stock first
                moved = receipt.value
                if receipt.settled:
                    corrections.append((index, receipt.settled, receipt.correction))
                if item_id in layers and receipt.layer_qty:
                    layer = Layer(None, receipt.layer_qty, receipt.layer_value, cost)
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
        tail.add(_UPDATE_LAYER, [(x.remaining_qty, x.remaining_value, x.id) for x in changed])
    tail.add(_UPDATE_COSTS, [(s[0], s[1], s[2], i) for i, s in state.items()])
    return Costed(costs, new_layers, corrections)


# DO UPDATE (not DO NOTHING) so that the row is locked and returned even when it exists
_LOCK_ONE_COST = (
    "INSERT INTO item_costs (item_id, quantity, value, last_cost) VALUES (%s, 0, 0, 0)"
    " ON CONFLICT (item_id) DO UPDATE SET item_id = excluded.item_id"
    " RETURNING item_id, quantity, value, last_cost"
)
_INIT_COSTS = (
    "INSERT INTO item_costs (item_id, quantity, value, last_cost) VALUES (%s, 0, 0, 0)"
    " ON CONFLICT (item_id) DO NOTHING"
)
_UPDATE_LAYER = "UPDATE cost_layers SET remaining_qty = %s, remaining_value = %s WHERE id = %s"
_UPDATE_COSTS = "UPDATE item_costs SET quantity = %s, value = %s, last_cost = %s WHERE item_id = %s"
INSERT_CORRECTIONS = (
    "INSERT INTO cost_corrections (item_id, move_id, quantity, amount) VALUES (%s, %s, %s, %s)"
)
INSERT_LAYERS = (
    "INSERT INTO cost_layers (item_id, move_id, quantity, unit_cost, remaining_qty,"
    " remaining_value) VALUES (%s, %s, %s, %s, %s, %s)"
)
# large batches (a bulk import, a 5,000-line document) go as one statement over arrays
for _batch in (_INIT_COSTS, _UPDATE_LAYER, _UPDATE_COSTS, INSERT_CORRECTIONS, INSERT_LAYERS):
    arrays.register(_batch)


def _prefer_own_layers_of_serials(
    conn: Connection, lines: Sequence[MoveLine], indexes: list[int]
) -> None:
    """A serial number leaving stock takes its own cost (the open layer its receipt opened),
    not the item's oldest: two pumps bought at 100 and 200, the second one sold, cost 200."""
    serial = {
        lines[x].lot.id: lines[x]  # type: ignore[union-attr]
        for x in indexes
        if lines[x].lot is not None
        and lines[x].lot.is_serial  # type: ignore[union-attr]
        and not lines[x].dest.kind.is_valued
        and lines[x].prefer_layer_of_move is None
    }
    if not serial:
        return
    ids = sorted(serial)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = _SERIAL_LAYERS.format(marks=", ".join(["%s"] * len(chunk)))
        for lot_id, move_id in driver.rows(conn, sql, chunk):
            line = serial[lot_id]
            if line.prefer_layer_of_move is None:  # the oldest open one (a return reopens)
                line.prefer_layer_of_move = move_id


#: the open layers that the receipts of these serials opened, oldest first
_SERIAL_LAYERS = (
    "SELECT m.lot_id, c.move_id FROM cost_layers c JOIN moves m ON m.id = c.move_id"
    " WHERE m.lot_id IN ({marks}) AND c.remaining_qty > 0 ORDER BY c.id"
)


def _load_layers(
    conn: Connection, item_ids: list[int], lines: Sequence[MoveLine], by_item: dict[int, list[int]]
) -> dict[int, list[Layer]]:
    """The open FIFO layers this posting may consume, oldest first, per item.

    Only the oldest layers whose quantity covers what the lines take out of stock are read
    (issues consume the oldest layers first, and the layers this posting opens are newer than
    all of them); all open layers of an item that a line wants to take from a given layer
    (``prefer_layer_of_move``, a reversal). Reading every open layer of every touched item
    made a large batch cost as much as the open layers, not as much as the batch.
    """
    layers: dict[int, list[Layer]] = {i: [] for i in item_ids}
    if not item_ids:
        return layers
    needs: dict[int, int] = {}
    for item_id in item_ids:
        need = 0
        for index in by_item[item_id]:
            line = lines[index]
            if line.dest.kind.is_valued:
                continue
            if line.prefer_layer_of_move is not None:
                need = ALL_LAYERS
                break
            need += line.quantity
        if need:
            needs[item_id] = need
    if not needs:
        return layers
    sql = _OLDEST_LAYERS_PG if conn.dialect.name == "postgresql" else _OLDEST_LAYERS_SQLITE
    wanted = sorted(needs)
    for start in range(0, len(wanted), _NEED_CHUNK):
        chunk = wanted[start : start + _NEED_CHUNK]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        params = tuple(x for item_id in chunk for x in (item_id, needs[item_id]))
        for row_id, item_id, qty, value, unit_cost, move_id in driver.rows(
            conn, sql.format(values=values), params
        ):
            layers[item_id].append(Layer(row_id, qty, value, unit_cost, move_id))
    return layers


#: a need that covers every open layer of the item
ALL_LAYERS = -1
#: items per statement (two variables each; SQLite allows 32,766)
_NEED_CHUNK = 5000
# Per (item, quantity needed): the item's open layers in id order, up to and including the
# first whose running total reaches the quantity needed (all of them when the need is -1).
# Fixed text; only the number of (%s, %s) rows varies.
_OLDEST_LAYERS_SQLITE = (
    "SELECT id, item_id, remaining_qty, remaining_value, unit_cost, move_id FROM ("
    "SELECT l.id, l.item_id, l.remaining_qty, l.remaining_value, l.unit_cost, l.move_id,"
    " SUM(l.remaining_qty) OVER (PARTITION BY l.item_id ORDER BY l.id ROWS UNBOUNDED PRECEDING)"
    " - l.remaining_qty AS taken_before, n.column2 AS need"
    " FROM (VALUES {values}) AS n JOIN cost_layers l"
    " ON l.item_id = n.column1 AND l.remaining_qty > 0)"
    " WHERE need < 0 OR taken_before < need ORDER BY item_id, id"
)
# PostgreSQL cannot lock the rows of a window query (FOR UPDATE): lock the chosen layers by id
_OLDEST_LAYERS_PG = (
    "SELECT id, item_id, remaining_qty, remaining_value, unit_cost, move_id FROM cost_layers"
    " WHERE id IN (SELECT id FROM ("
    "SELECT l.id, n.need, SUM(l.remaining_qty) OVER (PARTITION BY l.item_id ORDER BY l.id"
    " ROWS UNBOUNDED PRECEDING) - l.remaining_qty AS taken_before"
    " FROM (VALUES {values}) AS n (item_id, need) JOIN cost_layers l"
    " ON l.item_id = n.item_id AND l.remaining_qty > 0) AS o"
    " WHERE need < 0 OR taken_before < need) ORDER BY item_id, id FOR UPDATE"
)


def _preferred_layer(layers: list[Layer], line: MoveLine) -> Layer | None:
    if line.prefer_layer_of_move is None:
        return None
    for layer in layers:
        if layer.source_move == line.prefer_layer_of_move:
            return layer
    return None


def current_unit_costs(conn: Connection, item_ids: Iterable[int]) -> dict[int, int]:
    """Each item's unit cost now (scaled per base unit): its average, else its last cost (an
    item never costed is missing). One statement."""
    rows = conn.execute(
        select(
            item_costs.c.item_id, item_costs.c.quantity, item_costs.c.value, item_costs.c.last_cost
        ).where(item_costs.c.item_id.in_(sorted(set(item_ids))))
    )
    return {int(r[0]): scaled_ratio(int(r[2]), int(r[1])) if r[1] > 0 else int(r[3]) for r in rows}
