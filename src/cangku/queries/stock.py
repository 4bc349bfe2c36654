"""Stock on hand, reserved and available; moves and their history.

Every read takes ``warehouses``: the warehouse ids the caller may see (``None`` = all, from
``Actor.warehouses(STOCK_VIEW)``). Rows of other warehouses are filtered out in SQL, and a
filter or a direct read naming another warehouse's object answers NotFound, as if it did not
exist (its existence is not revealed).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, and_, func, or_, select, true
from sqlalchemy.sql import ColumnElement

from cangku.db import driver, lookups
from cangku.db.ledger import Posted
from cangku.db.tables import balances, item_costs, items, locations, lots, moves, users
from cangku.db.tables import warehouses as warehouse_table
from cangku.db.types import UTCDateTime
from cangku.domain.enums import VALUED_KINDS
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled
from cangku.domain.stock import MoveLine
from cangku.queries.common import Page, Sorting, count_capped, driving_join, sorted_page

VALUED = [str(k) for k in VALUED_KINDS]


@dataclass(frozen=True)
class MoveRecord:
    id: int
    warehouse: str
    seq: int
    operation: str
    item: str
    item_name: str
    unit: str
    lot: str | None
    quantity: Decimal
    from_location: str
    from_kind: str
    to_location: str
    to_kind: str
    #: what the goods cost: None where the reader may not see it (``queries.cost_fields``)
    unit_cost: Decimal | None
    value: Decimal | None
    effective_at: datetime
    recorded_at: datetime
    reason_code: str | None
    document_type: str | None
    document_id: str | None
    document_line: int | None
    user: str
    reverses_move_id: int | None
    #: the move that reversed this one, if any
    reversed_by: int | None
    note: str | None
    hash: str
    #: the change this move made to the company's own (valued) stock: +, - or 0
    stock_change: Decimal


def _move_select() -> Select[Any]:
    """The select behind every move record (built once: aliases are costly to build)."""
    return _MOVE_SELECT


def _build_move_select(by_item: bool = False) -> Select[Any]:
    """``by_item``: read from the items (by code), then each item's moves (a sort by item)."""
    src = locations.alias("src")
    dst = locations.alias("dst")
    reversal = moves.alias("reversal")
    return (
        select(
            moves.c.id,
            warehouse_table.c.code.label("warehouse"),
            moves.c.seq,
            moves.c.operation,
            items.c.code.label("item"),
            items.c.name.label("item_name"),
            items.c.base_unit.label("unit"),
            lots.c.code.label("lot"),
            moves.c.quantity,
            src.c.code.label("from_location"),
            src.c.kind.label("from_kind"),
            dst.c.code.label("to_location"),
            dst.c.kind.label("to_kind"),
            moves.c.unit_cost,
            moves.c.value,
            moves.c.effective_at,
            moves.c.recorded_at,
            moves.c.reason_code,
            moves.c.document_type,
            moves.c.document_id,
            moves.c.document_line,
            users.c.username.label("user"),
            moves.c.reverses_move_id,
            select(reversal.c.id)
            .where(reversal.c.reverses_move_id == moves.c.id)
            .scalar_subquery()
            .label("reversed_by"),
            moves.c.note,
            moves.c.hash,
        )
        .select_from(
            driving_join(items, moves, items.c.id == moves.c.item_id).join(
                warehouse_table, warehouse_table.c.id == moves.c.warehouse_id
            )
            if by_item
            else moves.join(warehouse_table, warehouse_table.c.id == moves.c.warehouse_id).join(
                items, items.c.id == moves.c.item_id
            )
        )
        .outerjoin(lots, lots.c.id == moves.c.lot_id)
        .join(src, src.c.id == moves.c.from_location_id)
        .join(dst, dst.c.id == moves.c.to_location_id)
        .join(users, users.c.id == moves.c.user_id)
    )


_MOVE_SELECT = _build_move_select()
_MOVE_SELECT_BY_ITEM = _build_move_select(by_item=True)


def _stock_change(qty: Decimal, out_of_stock: bool, into_stock: bool) -> Decimal:
    """What a move did to the company's own (valued) stock: +qty, -qty or nothing."""
    if into_stock and not out_of_stock:
        return qty
    if out_of_stock and not into_stock:
        return -qty
    return Decimal(0)


def _record(row: Any) -> MoveRecord:
    qty = from_scaled(row.quantity)
    change = _stock_change(qty, row.from_kind in VALUED, row.to_kind in VALUED)
    return MoveRecord(
        id=row.id,
        warehouse=row.warehouse,
        seq=row.seq,
        operation=row.operation,
        item=row.item,
        item_name=row.item_name,
        unit=row.unit,
        lot=row.lot,
        quantity=qty,
        from_location=row.from_location,
        from_kind=row.from_kind,
        to_location=row.to_location,
        to_kind=row.to_kind,
        unit_cost=from_scaled(row.unit_cost),
        value=from_scaled(row.value),
        effective_at=row.effective_at,
        recorded_at=row.recorded_at,
        reason_code=row.reason_code,
        document_type=row.document_type,
        document_id=row.document_id,
        document_line=row.document_line,
        user=row.user,
        reverses_move_id=row.reverses_move_id,
        reversed_by=row.reversed_by,
        note=row.note,
        hash=row.hash,
        stock_change=change,
    )


# The answer of every posting reads its moves back: at driver level (db/driver.py), the same
# projection as _MOVE_SELECT (a test compares the two), by primary key.
_MOVE_FIELDS = [column.name for column in _MOVE_SELECT.selected_columns]
_MoveRow = namedtuple("_MoveRow", _MOVE_FIELDS)  # type: ignore[misc]
_MOVES_BY_ID = (
    "SELECT m.id, w.code, m.seq, m.operation, i.code, i.name, i.base_unit, l.code, m.quantity,"
    " s.code, s.kind, d.code, d.kind, m.unit_cost, m.value, m.effective_at, m.recorded_at,"
    " m.reason_code, m.document_type, m.document_id, m.document_line, u.username,"
    " m.reverses_move_id, (SELECT r.id FROM moves r WHERE r.reverses_move_id = m.id),"
    " m.note, m.hash FROM moves m JOIN warehouses w ON w.id = m.warehouse_id"
    " JOIN items i ON i.id = m.item_id LEFT JOIN lots l ON l.id = m.lot_id"
    " JOIN locations s ON s.id = m.from_location_id JOIN locations d ON d.id = m.to_location_id"
    " JOIN users u ON u.id = m.user_id WHERE m.id IN ({marks})"
)
_INSTANT = UTCDateTime()
_AT = (_MOVE_FIELDS.index("effective_at"), _MOVE_FIELDS.index("recorded_at"))


def moves_by_ids(conn: Connection, ids: list[int]) -> list[MoveRecord]:
    """The moves ``ids``, in that order."""
    found: dict[int, MoveRecord] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = _MOVES_BY_ID.format(marks=", ".join(["%s"] * len(chunk)))
        for raw in driver.rows(conn, sql, chunk):
            values = list(raw)
            for index in _AT:
                values[index] = _INSTANT.process_result_value(values[index], conn.dialect)
            found[int(values[0])] = _record(_MoveRow(*values))
    return [found[i] for i in ids]


def posted_record(
    line: MoveLine, posted: Posted, username: str, recorded_at: datetime
) -> MoveRecord | None:
    """The record of a move just posted, from what the posting had in hand (no read-back);
    None when a look-up did not carry the item's name or the warehouse's code. A test holds it
    equal to ``get_move``'s record of the same move."""
    chain = line.source if line.source.kind.is_valued else line.dest
    if line.item.name is None or chain.warehouse_code is None or line.effective_at is None:
        return None
    qty = from_scaled(line.quantity)
    return MoveRecord(
        id=posted.id,
        warehouse=chain.warehouse_code,
        seq=posted.seq,
        operation=line.operation.value,
        item=line.item.code,
        item_name=line.item.name,
        unit=line.item.base_unit,
        lot=line.lot.code if line.lot else None,
        quantity=qty,
        from_location=line.source.code,
        from_kind=str(line.source.kind),
        to_location=line.dest.code,
        to_kind=str(line.dest.kind),
        unit_cost=from_scaled(posted.unit_cost),
        value=from_scaled(posted.value),
        effective_at=line.effective_at,
        recorded_at=recorded_at,
        reason_code=line.reason_code,
        document_type=line.document_type,
        document_id=line.document_id,
        document_line=line.document_line,
        user=username,
        reverses_move_id=line.reverses_move_id,
        reversed_by=None,  # nothing can reverse it before it is committed
        note=line.note,
        hash=posted.hash,
        stock_change=_stock_change(qty, line.source.kind.is_valued, line.dest.kind.is_valued),
    )


def locations_in(warehouses: frozenset[int]) -> Select[Any]:
    """Ids of every location of ``warehouses``."""
    return select(locations.c.id).where(locations.c.warehouse_id.in_(sorted(warehouses)))


def move_visible(warehouses: Warehouses) -> list[ColumnElement[bool]]:
    """A move is seen where it took goods from or brought them to (a transfer: both ends)."""
    if warehouses is None:
        return []
    inside = locations_in(warehouses)
    return [or_(moves.c.from_location_id.in_(inside), moves.c.to_location_id.in_(inside))]


def get_move(conn: Connection, move_id: int, *, warehouses: Warehouses = None) -> MoveRecord:
    """One move; NotFound (``move_not_found``) also for a move outside ``warehouses``."""
    row = conn.execute(
        _move_select().where(moves.c.id == move_id, *move_visible(warehouses))
    ).first()
    if row is None:
        raise NotFound("move", move_id)
    return _record(row)


# ------------------------------------------------------------------ filters
def item_id(conn: Connection, code: str) -> int:
    """The id of the item ``code`` names: its code or one of its barcodes (``resolve_item``,
    the one resolver every item filter uses). Raises NotFound ``item_not_found``."""
    return lookups.resolve_item(conn, code)[0].id


def item_code(conn: Connection, text: str) -> str:
    """The code of the item ``text`` names (its code or one of its barcodes)."""
    return lookups.resolve_item(conn, text)[0].code


def location_subtree(conn: Connection, code: str, warehouses: Warehouses = None) -> Select[Any]:
    """Ids of a location and everything below it (NotFound outside ``warehouses``)."""
    row = conn.execute(
        select(locations.c.path, locations.c.warehouse_id).where(locations.c.code == code)
    ).first()
    if row is None or (warehouses is not None and row.warehouse_id not in warehouses):
        raise NotFound("location", code)
    return select(locations.c.id).where(locations.c.path.startswith(row.path, autoescape=True))


def warehouse_id(conn: Connection, code: str, warehouses: Warehouses = None) -> int:
    """The warehouse's id (NotFound also outside ``warehouses``)."""
    found = conn.execute(
        select(warehouse_table.c.id).where(warehouse_table.c.code == code)
    ).scalar()
    if found is None or (warehouses is not None and int(found) not in warehouses):
        raise NotFound("warehouse", code)
    return int(found)


def lot_ids(conn: Connection, code: str, item: int | None) -> Select[Any]:
    stmt = select(lots.c.id).where(lots.c.code == code)
    if item is not None:
        stmt = stmt.where(lots.c.item_id == item)
    if conn.execute(stmt.limit(1)).first() is None:
        raise NotFound("lot", code)
    return stmt


# ------------------------------------------------------------------ on hand
@dataclass(frozen=True)
class StockRow:
    item: str
    item_name: str
    unit: str
    warehouse: str
    location: str
    location_kind: str
    lot: str | None
    expires_on: date | None
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


@dataclass(frozen=True)
class StockFilter:
    item: str | None = None
    location: str | None = None
    warehouse: str | None = None
    lot: str | None = None
    q: str | None = None
    include_virtual: bool = False
    include_zero: bool = False
    #: only the unusual balances: ``negative`` on hand, reserved above on hand
    #: (``over_reserved``), or either (``unusual``); see ``BALANCE_FILTERS``
    balance: str | None = None


#: the balances a ``balance=`` filter keeps
BALANCE_FILTERS = {
    "negative": balances.c.on_hand < 0,
    # ``reserved <> 0`` is the predicate of the partial index ix_balances_reserved: with it
    # the few reserved balances are read, not every one (reserved is never negative)
    "over_reserved": (balances.c.reserved != 0) & (balances.c.reserved > balances.c.on_hand),
    # a balance reserved above on hand with nothing reserved is a negative one: one index each
    "unusual": or_(
        balances.c.on_hand < 0,
        (balances.c.reserved != 0) & (balances.c.reserved > balances.c.on_hand),
    ),
}


def balance_condition(name: str) -> ColumnElement[bool]:
    """The condition of a ``balance=`` filter; InvalidInput ``invalid_balance_filter``."""
    if name not in BALANCE_FILTERS:
        raise InvalidInput(
            f"balance must be one of {', '.join(BALANCE_FILTERS)}",
            code="invalid_balance_filter",
            allowed=list(BALANCE_FILTERS),
        )
    return BALANCE_FILTERS[name]


def _balance_conditions(
    conn: Connection, f: StockFilter, warehouses: Warehouses
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    the_item = item_id(conn, f.item) if f.item else None
    if the_item is not None:
        where.append(balances.c.item_id == the_item)
    if f.location:
        where.append(balances.c.location_id.in_(location_subtree(conn, f.location, warehouses)))
    if f.warehouse:
        where.append(balances.c.warehouse_id == warehouse_id(conn, f.warehouse, warehouses))
    if warehouses is not None:
        where.append(balances.c.warehouse_id.in_(sorted(warehouses)))
    if f.lot:
        where.append(balances.c.lot_id.in_(lot_ids(conn, f.lot, the_item)))
    if not f.include_virtual:
        where.append(locations.c.kind.in_(VALUED))
    if not f.include_zero:
        where.append(or_(balances.c.on_hand != 0, balances.c.reserved != 0))
    if f.balance is not None:
        where.append(balance_condition(f.balance))
    if f.q and f.q.strip():
        needle = f.q.strip().lower()
        where.append(
            or_(
                func.lower(items.c.code).contains(needle, autoescape=True),
                func.lower(items.c.name).contains(needle, autoescape=True),
            )
        )
    return where


_LOT_CODE = func.coalesce(lots.c.code, "")
_LAST_DAY = date(9999, 12, 31)
#: the orders of the stock list; each ends with the balance's key (item, location, lot ids).
#: ``item`` walks the items' code index and each item's balances by primary key; ``on_hand``
#: and ``available`` walk their own indexes (migration 0007)
STOCK_SORTING = Sorting(
    {
        "item": (items.c.code, locations.c.code, _LOT_CODE),
        "location": (locations.c.code, items.c.code, _LOT_CODE),
        "warehouse": (warehouse_table.c.code, items.c.code, locations.c.code, _LOT_CODE),
        "lot": (_LOT_CODE, items.c.code, locations.c.code),
        "expires_on": (
            func.coalesce(lots.c.expires_on, _LAST_DAY),
            items.c.code,
            locations.c.code,
            _LOT_CODE,
        ),
        "on_hand": balances.c.on_hand,
        "available": balances.c.on_hand - balances.c.reserved,
    },
    default="item",
    tiebreak=[balances.c.item_id, balances.c.location_id, balances.c.lot_key],
)


def _stock_from(sort: str) -> Any:
    """The joins of the stock list, read from the table whose index gives ``sort``'s order."""
    item_of = items.c.id == balances.c.item_id
    location_of = locations.c.id == balances.c.location_id
    warehouse_of = warehouse_table.c.id == balances.c.warehouse_id
    if sort == "item":
        joined = driving_join(items, balances, item_of).join(locations, location_of)
        joined = joined.join(warehouse_table, warehouse_of)
    elif sort == "location":
        joined = driving_join(locations, balances, location_of).join(items, item_of)
        joined = joined.join(warehouse_table, warehouse_of)
    elif sort == "warehouse":
        pairs = driving_join(warehouse_table, items, true())
        joined = driving_join(pairs, balances, and_(warehouse_of, item_of))
        joined = joined.join(locations, location_of)
    else:
        joined = balances.join(items, item_of).join(locations, location_of)
        joined = joined.join(warehouse_table, warehouse_of)
    return joined.outerjoin(lots, lots.c.id == balances.c.lot_id)


def _rows_of(f: StockFilter) -> Select[Any]:
    """The stock list's rows with only the joins its conditions need (for counting)."""
    rows = select(balances.c.item_id).join(locations, locations.c.id == balances.c.location_id)
    return rows.join(items, items.c.id == balances.c.item_id) if f.q else rows


def count_on_hand(
    conn: Connection,
    f: StockFilter,
    *,
    warehouses: Warehouses = None,
    also: Sequence[ColumnElement[bool]] = (),
) -> int:
    """How many rows ``on_hand`` lists for ``f`` (and the conditions ``also``), counted up to
    ``COUNT_CAP``."""
    where = [*_balance_conditions(conn, f, warehouses), *also]
    return count_capped(conn, _rows_of(f).where(*where))[0]


def on_hand(
    conn: Connection,
    f: StockFilter,
    limit: int = 50,
    offset: int = 0,
    *,
    warehouses: Warehouses = None,
    sort: str | None = None,
    cursor: str | None = None,
) -> Page[StockRow]:
    """Balances by item, location and lot (location includes its sub-locations), in
    ``warehouses`` (None: all), in the order ``sort`` names (``STOCK_SORTING``; default by
    item, location and lot), from ``cursor`` (keyset, see ``queries.common``) or ``offset``.
    The total is counted up to ``COUNT_CAP``. Raises NotFound for a filter naming an unknown
    (or unseen) item, location, warehouse or lot; InvalidInput ``invalid_sort`` /
    ``invalid_cursor``."""
    key = STOCK_SORTING.parse(sort)
    where = _balance_conditions(conn, f, warehouses)
    stmt = (
        select(
            items.c.code.label("item"),
            items.c.name.label("item_name"),
            items.c.base_unit.label("unit"),
            warehouse_table.c.code.label("warehouse"),
            locations.c.code.label("location"),
            locations.c.kind.label("location_kind"),
            lots.c.code.label("lot"),
            lots.c.expires_on,
            balances.c.on_hand,
            balances.c.reserved,
        )
        .select_from(_stock_from(key.name))
        .where(*where)
    )
    rows, page = sorted_page(
        conn, stmt, STOCK_SORTING, key, limit, offset, cursor, count=_rows_of(f).where(*where)
    )
    return Page(
        [
            StockRow(
                item=r.item,
                item_name=r.item_name,
                unit=r.unit,
                warehouse=r.warehouse,
                location=r.location,
                location_kind=r.location_kind,
                lot=r.lot,
                expires_on=r.expires_on,
                on_hand=from_scaled(r.on_hand),
                reserved=from_scaled(r.reserved),
                available=from_scaled(r.on_hand - r.reserved),
            )
            for r in rows
        ],
        page.total,
        limit,
        page.offset,
        page.total_exact,
        page.next_cursor,
        page.prev_cursor,
    )


@dataclass(frozen=True)
class StockTotals:
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


def _whole_stock(f: StockFilter, warehouses: Warehouses) -> bool:
    """Whether ``f`` keeps every valued balance of the company (its sums need no scan)."""
    narrowed = (f.item, f.location, f.warehouse, f.lot, f.q, f.include_virtual, f.balance)
    return warehouses is None and not any(narrowed)


def _whole_stock_by_unit(conn: Connection) -> dict[str, tuple[int, int]]:
    """(on hand, reserved), scaled, per base unit over every valued balance, without reading
    every balance: the valued quantity of each item is kept in ``item_costs`` (equal to the sum
    of its valued balances, which ``verify`` proves), and the few reserved balances are read
    through their own partial index (migration 0007)."""
    found: dict[str, tuple[int, int]] = {}
    on_hand_sums = (
        select(items.c.base_unit, func.sum(item_costs.c.quantity))
        .join(items, items.c.id == item_costs.c.item_id)
        .group_by(items.c.base_unit)
    )
    for unit, quantity in conn.execute(on_hand_sums):
        found[unit] = (int(quantity or 0), 0)
    reserved_sums = (
        select(items.c.base_unit, func.sum(balances.c.reserved))
        .select_from(balances)
        .join(items, items.c.id == balances.c.item_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(balances.c.reserved != 0, locations.c.kind.in_(VALUED))
        .group_by(items.c.base_unit)
    )
    for unit, reserved in conn.execute(reserved_sums):
        found[unit] = (found.get(unit, (0, 0))[0], int(reserved or 0))
    return found


def _has_balances(conn: Connection, unit: str) -> bool:
    """Whether an item kept in ``unit`` has a valued balance that is not zero (a unit whose
    sums are zero is listed when its balances cancel out, as the scan would list it)."""
    found = (
        select(balances.c.item_id)
        .join(items, items.c.id == balances.c.item_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(
            items.c.base_unit == unit,
            locations.c.kind.in_(VALUED),
            or_(balances.c.on_hand != 0, balances.c.reserved != 0),
        )
        .limit(1)
    )
    return conn.execute(found).first() is not None


def totals(conn: Connection, f: StockFilter, *, warehouses: Warehouses = None) -> StockTotals:
    """Sum of on hand / reserved / available over the (valued) balances matching ``f`` in
    ``warehouses`` (None: all)."""
    if _whole_stock(f, warehouses):
        sums = _whole_stock_by_unit(conn).values()
        on, reserved = sum(s[0] for s in sums), sum(s[1] for s in sums)
        return StockTotals(from_scaled(on), from_scaled(reserved), from_scaled(on - reserved))
    stmt = (
        select(
            func.coalesce(func.sum(balances.c.on_hand), 0),
            func.coalesce(func.sum(balances.c.reserved), 0),
        )
        .select_from(balances)
        .join(locations, locations.c.id == balances.c.location_id)
    )
    needs_items = bool(f.q)
    if needs_items:
        stmt = stmt.join(items, items.c.id == balances.c.item_id)
    row = conn.execute(stmt.where(*_balance_conditions(conn, f, warehouses))).one()
    on, reserved = int(row[0]), int(row[1])
    return StockTotals(from_scaled(on), from_scaled(reserved), from_scaled(on - reserved))


@dataclass(frozen=True)
class UnitTotals:
    """The sums of the balances of the items kept in one base unit."""

    unit: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


def unit_totals(
    conn: Connection, f: StockFilter, *, warehouses: Warehouses = None
) -> list[UnitTotals]:
    """Sums of on hand / reserved / available over the (valued) balances matching ``f``, one
    per base unit (pieces are never added to kilograms), ordered by unit."""
    if _whole_stock(f, warehouses) and not f.include_zero:
        by_unit = sorted(_whole_stock_by_unit(conn).items())
        return [
            UnitTotals(unit, from_scaled(on), from_scaled(reserved), from_scaled(on - reserved))
            for unit, (on, reserved) in by_unit
            if on or reserved or _has_balances(conn, unit)
        ]
    stmt = (
        select(
            items.c.base_unit,
            func.coalesce(func.sum(balances.c.on_hand), 0),
            func.coalesce(func.sum(balances.c.reserved), 0),
        )
        .select_from(balances)
        .join(locations, locations.c.id == balances.c.location_id)
        .join(items, items.c.id == balances.c.item_id)
        .where(*_balance_conditions(conn, f, warehouses))
        .group_by(items.c.base_unit)
        .order_by(items.c.base_unit)
    )
    found = []
    for unit, on_scaled, reserved_scaled in conn.execute(stmt):
        on, reserved = int(on_scaled), int(reserved_scaled)
        found.append(
            UnitTotals(unit, from_scaled(on), from_scaled(reserved), from_scaled(on - reserved))
        )
    return found


# ------------------------------------------------------------------ history
@dataclass(frozen=True)
class HistoryFilter:
    item: str | None = None
    location: str | None = None
    lot: str | None = None
    document_type: str | None = None
    document_id: str | None = None
    operation: str | None = None
    since: datetime | None = None
    until: datetime | None = None


#: the orders of the moves list, each ending with the move's id. ``effective_at`` and ``id``
#: walk the moves' own indexes, ``item`` the items' code index and each item's moves by time,
#: ``quantity`` its index (migration 0007)
MOVE_SORTING = Sorting(
    {
        "effective_at": moves.c.effective_at,
        "id": moves.c.id,
        "item": (items.c.code, moves.c.effective_at),
        "quantity": moves.c.quantity,
    },
    default="-effective_at",
    tiebreak=[moves.c.id],
)


def history(
    conn: Connection,
    f: HistoryFilter,
    limit: int = 50,
    offset: int = 0,
    *,
    warehouses: Warehouses = None,
    sort: str | None = None,
    cursor: str | None = None,
) -> Page[MoveRecord]:
    """Moves matching ``f`` that touched ``warehouses`` (None: all), in the order ``sort``
    names (``MOVE_SORTING``; default newest first: by business time, then posting order),
    from ``cursor`` (keyset) or ``offset``; the total counted up to ``COUNT_CAP``. Raises
    NotFound for a filter naming an unknown thing; InvalidInput ``invalid_sort`` /
    ``invalid_cursor``."""
    key = MOVE_SORTING.parse(sort)
    where: list[ColumnElement[bool]] = move_visible(warehouses)
    the_item = item_id(conn, f.item) if f.item else None
    if the_item is not None:
        where.append(moves.c.item_id == the_item)
    if f.location:
        subtree = location_subtree(conn, f.location, warehouses)
        where.append(
            or_(moves.c.from_location_id.in_(subtree), moves.c.to_location_id.in_(subtree))
        )
    if f.lot:
        where.append(moves.c.lot_id.in_(lot_ids(conn, f.lot, the_item)))
    if f.document_type:
        where.append(moves.c.document_type == f.document_type)
    if f.document_id:
        where.append(moves.c.document_id == f.document_id)
    if f.operation:
        where.append(moves.c.operation == f.operation)
    if f.since:
        where.append(moves.c.effective_at >= f.since)
    if f.until:
        where.append(moves.c.effective_at <= f.until)
    count = select(moves.c.id).where(*where)
    select_ = _MOVE_SELECT_BY_ITEM if key.name == "item" else _move_select()
    rows, page = sorted_page(
        conn, select_.where(*where), MOVE_SORTING, key, limit, offset, cursor, count=count
    )
    return Page(
        [_record(r) for r in rows],
        page.total,
        limit,
        page.offset,
        page.total_exact,
        page.next_cursor,
        page.prev_cursor,
    )
