"""``cangku stock ...``: stock operations, stock on hand, as-of, history and value.

Quantities are given as text (``10``, ``2.5``); an adjustment's may be negative (``-2``).
Times are ISO 8601 (``2024-05-01`` or ``2024-05-01T08:00:00+08:00``); without a zone, UTC.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from cangku.cli.common import (
    IdemOpt,
    JsonOpt,
    SortOpt,
    context,
    database,
    emit,
    handled,
    parse_when,
    reader,
    table,
)
from cangku.cli.signed import SignedNumbers
from cangku.domain.errors import InvalidInput
from cangku.queries import asof, series
from cangku.queries import stock as queries
from cangku.queries.common import Page, paging_fields
from cangku.queries.company import company_settings, display_settings
from cangku.queries.cost_fields import COST_FIELDS, cost_scope_of, move_fields, shown_cost
from cangku.queries.documents import on_order_of
from cangku.queries.stock import MoveRecord
from cangku.queries.valuation import stock_value_page
from cangku.services import stock as service
from cangku.services.common import utcnow
from cangku.services.scans import interpret_scan
from cangku.services.stock_commands import (
    Adjust,
    Issue,
    Receive,
    Reference,
    Reservation,
    Reverse,
    Scrap,
    Transfer,
)

NAME = "stock"
HELP = (
    "Stock operations, on hand, as of, history and value.\n\n"
    "The operations: receive, issue, move, adjust, scrap, reverse, reserve and release."
)
app = typer.Typer(no_args_is_help=True)

#: largest id the database holds (BIGINT)
MAX_ID = 2**63 - 1

ItemArg = Annotated[str, typer.Argument(help="Item code.", show_default=False)]
QtyArg = Annotated[str, typer.Argument(help="Quantity, e.g. 10 or 2.5.", show_default=False)]
UnitOpt = Annotated[str | None, typer.Option("--unit", help="Unit (default: base unit).")]
LotOpt = Annotated[str | None, typer.Option("--lot", help="Lot or serial number.")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Free text.")]
EffectiveOpt = Annotated[
    str | None, typer.Option("--effective-at", help="Business time (default: now).")
]
DocTypeOpt = Annotated[str | None, typer.Option("--doc-type", help="Source document type.")]
DocIdOpt = Annotated[str | None, typer.Option("--doc-id", help="Source document id.")]
DocLineOpt = Annotated[
    int | None, typer.Option("--doc-line", min=1, max=2**31 - 1, help="Source document line.")
]
ItemOpt = Annotated[str | None, typer.Option("--item", help="Only this item.")]
LocationOpt = Annotated[
    str | None, typer.Option("--location", help="Only this location (and sub-locations).")
]
WarehouseOpt = Annotated[str | None, typer.Option("--warehouse", help="Only this warehouse.")]
LotFilterOpt = Annotated[str | None, typer.Option("--lot", help="Only this lot.")]
LimitOpt = Annotated[int, typer.Option("--limit", help="Rows per page (1-500).")]
OffsetOpt = Annotated[int, typer.Option("--offset", max=MAX_ID, help="Rows to skip.")]
CursorOpt = Annotated[
    str | None,
    typer.Option(
        "--cursor",
        help="Start after this page: the next_cursor (or prev_cursor) a page printed; "
        "faster than --offset far into a long list.",
    ),
]


def paging(page: Page[Any]) -> dict[str, Any]:
    """The paging facts every list prints with --json."""
    return paging_fields(page)


def next_page(page: Page[Any]) -> None:
    """A table's last line when more follow: how to ask for them."""
    if page.next_cursor:
        typer.echo(f"more: --cursor {page.next_cursor}")


MoveIdArg = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="Move id.", show_default=False)]

MOVE_COLUMNS = [
    "id",
    "effective_at",
    "operation",
    "item",
    "lot",
    "quantity",
    "unit",
    "from_location",
    "to_location",
    "value",
    "user",
]


def _day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field} is not a date: {value!r}", code="invalid_date") from None


def _reference(doc_type: str | None, doc_id: str | None, doc_line: int | None) -> Reference:
    return Reference(doc_type, doc_id, doc_line)


def _moves_shown(records: list[MoveRecord]) -> list[dict[str, Any]]:
    """Moves as the signed-in user may see them: without unit cost and value (the keys left
    out) outside the warehouses where they hold valuation.view."""
    granted = reader().warehouses(service.VALUATION_VIEW)
    scope = cost_scope_of(database(), granted)
    return [move_fields(shown_cost(record, scope)) for record in records]


def _move_table(moves: list[dict[str, Any]]) -> None:
    shows_value = any("value" in move for move in moves)
    table(moves, [c for c in MOVE_COLUMNS if shows_value or c not in COST_FIELDS])


def _show_posting(result: service.PostingResult, as_json: bool) -> None:
    moves = _moves_shown(result.moves)

    def render(_: Any) -> None:
        _move_table(moves)
        if result.replayed:
            typer.echo("(replayed: this idempotency key was used before; nothing was written)")

    emit({"moves": moves, "replayed": result.replayed}, as_json, render)


def _show_adjustment(result: service.PostingResult, as_json: bool) -> None:
    """An adjustment's or scrap's answer: its one-line adjustment document, and the move; or
    that it waits for approval (worth more than the company's threshold: no move yet)."""
    moves = _moves_shown(result.moves)

    def render(_: Any) -> None:
        if result.state == "submitted":
            typer.echo(
                f"{result.document}: waits for approval (above the company's adjustment"
                " approval threshold); no stock moved yet"
            )
        else:
            typer.echo(f"{result.document}: {result.state}")
            _move_table(moves)
        if result.replayed:
            typer.echo("(replayed: this idempotency key was used before; nothing was written)")

    data = {
        "moves": moves,
        "replayed": result.replayed,
        "document": result.document,
        "state": result.state,
    }
    emit(data, as_json, render)


# ------------------------------------------------------------------ writes
@app.command(cls=SignedNumbers)
def receive(
    item: ItemArg,
    quantity: QtyArg,
    to: Annotated[str, typer.Option("--to", help="Receiving or storage location.")],
    unit: UnitOpt = None,
    lot: LotOpt = None,
    expires_on: Annotated[str | None, typer.Option("--expires-on", help="Lot expiry.")] = None,
    unit_cost: Annotated[str | None, typer.Option("--unit-cost", help="Cost per unit.")] = None,
    supplier: Annotated[str | None, typer.Option("--supplier", help="Supplier code.")] = None,
    source: Annotated[
        str, typer.Option("--source", help="'supplier', 'customer' (a return) or 'production'.")
    ] = "supplier",
    note: NoteOpt = None,
    effective_at: EffectiveOpt = None,
    doc_type: DocTypeOpt = None,
    doc_id: DocIdOpt = None,
    doc_line: DocLineOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Receive goods into a location.

    From a supplier, a customer's return or production (--source)."""
    with handled(as_json):
        ctx = context(idempotency_key)
        command = Receive(
            item,
            quantity,
            to,
            unit=unit,
            lot=lot,
            expires_on=_day(expires_on, "expires_on"),
            unit_cost=unit_cost,
            supplier=supplier,
            source=source,
            note=note,
            effective_at=parse_when(effective_at),
            reference=_reference(doc_type, doc_id, doc_line),
        )
        _show_posting(service.receive_stock(database(), ctx, command), as_json)


@app.command(cls=SignedNumbers)
def issue(
    item: ItemArg,
    quantity: QtyArg,
    source: Annotated[str, typer.Option("--from", help="Storage location.")],
    to: Annotated[str, typer.Option("--to", help="'customer' or 'production'.")] = "customer",
    unit: UnitOpt = None,
    lot: LotOpt = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Customer code.")] = None,
    note: NoteOpt = None,
    effective_at: EffectiveOpt = None,
    doc_type: DocTypeOpt = None,
    doc_id: DocIdOpt = None,
    doc_line: DocLineOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue goods to a customer or to production."""
    with handled(as_json):
        ctx = context(idempotency_key)
        command = Issue(
            item,
            quantity,
            source,
            unit=unit,
            lot=lot,
            to=to,
            customer=customer,
            note=note,
            effective_at=parse_when(effective_at),
            reference=_reference(doc_type, doc_id, doc_line),
        )
        _show_posting(service.issue_stock(database(), ctx, command), as_json)


@app.command(cls=SignedNumbers)
def move(
    item: ItemArg,
    quantity: QtyArg,
    source: Annotated[str, typer.Option("--from", help="From location.")],
    dest: Annotated[str, typer.Option("--to", help="To location.")],
    unit: UnitOpt = None,
    lot: LotOpt = None,
    note: NoteOpt = None,
    effective_at: EffectiveOpt = None,
    doc_type: DocTypeOpt = None,
    doc_id: DocIdOpt = None,
    doc_line: DocLineOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move goods between two locations."""
    with handled(as_json):
        ctx = context(idempotency_key)
        command = Transfer(
            item,
            quantity,
            source,
            dest,
            unit=unit,
            lot=lot,
            note=note,
            effective_at=parse_when(effective_at),
            reference=_reference(doc_type, doc_id, doc_line),
        )
        _show_posting(service.transfer_stock(database(), ctx, command), as_json)


@app.command(cls=SignedNumbers)
def adjust(
    item: ItemArg,
    quantity: Annotated[str, typer.Argument(help="Signed: 5 is a gain, -2 a loss.")],
    location: Annotated[str, typer.Option("--location", help="Storage location.")],
    reason: Annotated[str, typer.Option("--reason", help="Reason code, e.g. found, lost.")],
    unit: UnitOpt = None,
    lot: LotOpt = None,
    unit_cost: Annotated[str | None, typer.Option("--unit-cost", help="For a gain.")] = None,
    expires_on: Annotated[str | None, typer.Option("--expires-on", help="New lot.")] = None,
    note: NoteOpt = None,
    effective_at: EffectiveOpt = None,
    doc_type: DocTypeOpt = None,
    doc_id: DocIdOpt = None,
    doc_line: DocLineOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Correct stock at a location, with a reason.

    A positive quantity is a gain, a negative one (-2) a loss. It is a one-line adjustment
    document, posted at once unless worth more than the company's adjustment approval
    threshold: then it waits for approval (cangku adjustment approve NUMBER)."""
    with handled(as_json):
        ctx = context(idempotency_key)
        command = Adjust(
            item,
            quantity,
            location,
            reason,
            unit=unit,
            lot=lot,
            unit_cost=unit_cost,
            expires_on=_day(expires_on, "expires_on"),
            note=note,
            effective_at=parse_when(effective_at),
            reference=_reference(doc_type, doc_id, doc_line),
        )
        _show_adjustment(service.adjust_stock(database(), ctx, command), as_json)


@app.command(cls=SignedNumbers)
def scrap(
    item: ItemArg,
    quantity: QtyArg,
    source: Annotated[str, typer.Option("--from", help="Storage location.")],
    reason: Annotated[str, typer.Option("--reason", help="Reason code.")] = "damaged",
    unit: UnitOpt = None,
    lot: LotOpt = None,
    note: NoteOpt = None,
    effective_at: EffectiveOpt = None,
    doc_type: DocTypeOpt = None,
    doc_id: DocIdOpt = None,
    doc_line: DocLineOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Scrap goods (damaged, expired, defective, obsolete)."""
    with handled(as_json):
        ctx = context(idempotency_key)
        command = Scrap(
            item,
            quantity,
            source,
            reason,
            unit=unit,
            lot=lot,
            note=note,
            effective_at=parse_when(effective_at),
            reference=_reference(doc_type, doc_id, doc_line),
        )
        _show_adjustment(service.scrap_stock(database(), ctx, command), as_json)


@app.command()
def reverse(
    move_id: MoveIdArg,
    note: NoteOpt = None,
    effective_at: EffectiveOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reverse a move with an opposite move."""
    with handled(as_json):
        ctx = context(idempotency_key)
        command = Reverse(move_id, note=note, effective_at=parse_when(effective_at))
        _show_posting(service.reverse_move(database(), ctx, command), as_json)


def _reservation(
    sign: int,
    item: str,
    quantity: str,
    location: str,
    unit: str | None,
    lot: str | None,
    key: str | None,
    as_json: bool,
) -> None:
    with handled(as_json):
        ctx = context(key)
        command = Reservation(item, quantity, location, unit=unit, lot=lot)
        do = service.reserve_stock if sign > 0 else service.release_stock
        emit(do(database(), ctx, command), as_json)


LocationReq = Annotated[str, typer.Option("--location", help="Storage location.")]


@app.command(cls=SignedNumbers)
def reserve(
    item: ItemArg,
    quantity: QtyArg,
    location: LocationReq,
    unit: UnitOpt = None,
    lot: LotOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reserve available stock for a later issue."""
    _reservation(1, item, quantity, location, unit, lot, idempotency_key, as_json)


@app.command(cls=SignedNumbers)
def release(
    item: ItemArg,
    quantity: QtyArg,
    location: LocationReq,
    unit: UnitOpt = None,
    lot: LotOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Release a reservation."""
    _reservation(-1, item, quantity, location, unit, lot, idempotency_key, as_json)


# ------------------------------------------------------------------ reads
@app.command()
def scan(
    text: Annotated[str, typer.Argument(help="The scanned text.", show_default=False)],
    as_json: JsonOpt = False,
) -> None:
    """Show what a scanned code names.

    An item code or barcode (with its unit), a GS1-128 or GS1 DataMatrix string (raw, or
    "(01)...(17)...(10)..."), a location or a lot: read the way the operation pages read it.
    """
    with handled(as_json):
        seen = reader(service.STOCK_VIEW).warehouses(service.STOCK_VIEW)
        emit(interpret_scan(database(), text, warehouses=seen), as_json)


@app.command("on-hand")
def on_hand(
    item: ItemOpt = None,
    location: LocationOpt = None,
    warehouse: WarehouseOpt = None,
    lot: LotFilterOpt = None,
    q: Annotated[str | None, typer.Option("--q", "--search", help="Item code or name.")] = None,
    include_virtual: Annotated[bool, typer.Option("--include-virtual")] = False,
    include_zero: Annotated[bool, typer.Option("--include-zero")] = False,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    balance: Annotated[
        str | None,
        typer.Option(
            "--balance",
            help="negative, over_reserved (reserved above on hand) or unusual (either).",
        ),
    ] = None,
    sort: SortOpt = None,
    cursor: CursorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """On hand, reserved and available by item, location and lot.

    --sort: item, location, warehouse, lot, expires_on, on_hand, available."""
    with handled(as_json):
        seen = reader(service.STOCK_VIEW).warehouses(service.STOCK_VIEW)
        f = queries.StockFilter(
            item, location, warehouse, lot, q, include_virtual, include_zero, balance=balance
        )
        with database().read() as conn:
            page = queries.on_hand(
                conn, f, limit, offset, warehouses=seen, sort=sort, cursor=cursor
            )
            sums = queries.totals(conn, f, warehouses=seen)
            by_unit = queries.unit_totals(conn, f, warehouses=seen)
            # one item asked for: what is on order for it too (confirmed purchase orders)
            ordered = on_order_of(conn, queries.item_code(conn, item), seen) if item else None
        data = {
            "items": page.items,
            **paging(page),
            "totals": sums,
            "unit_totals": by_unit,
            **({"on_order": ordered} if ordered is not None else {}),
        }

        def render(_: Any) -> None:
            table(
                page.items, ["item", "location", "lot", "on_hand", "reserved", "available", "unit"]
            )
            # one line per base unit: pieces are never added to kilograms
            for t in by_unit:
                typer.echo(
                    f"total  on hand {t.on_hand} {t.unit}  reserved {t.reserved}  "
                    f"available {t.available}"
                )
            if ordered is not None:
                typer.echo(f"on order {ordered}")
            typer.echo(f"({page.total}{'' if page.total_exact else '+'} rows)")
            next_page(page)

        emit(data, as_json, render)


@app.command("as-of")
def as_of(
    at: Annotated[str, typer.Option("--at", help="The past time (ISO 8601).")],
    item: ItemOpt = None,
    location: LocationOpt = None,
    warehouse: WarehouseOpt = None,
    lot: LotFilterOpt = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    cursor: CursorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Stock as it stood at a past time, a page at a time.

    By item, location and lot."""
    with handled(as_json):
        seen = reader(service.STOCK_VIEW).warehouses(service.STOCK_VIEW)
        when = parse_when(at)
        assert when is not None
        f = queries.StockFilter(item=item, location=location, warehouse=warehouse, lot=lot)
        with database().read() as conn:
            page = asof.stock_as_of_page(
                conn, when, f, utcnow(), limit, offset, cursor, warehouses=seen
            )

        def render(_: Any) -> None:
            table(page.items, ["item", "location", "lot", "on_hand", "unit"])
            next_page(page)

        emit({"at": when, "items": page.items, **paging(page)}, as_json, render)


@app.command()
def history(
    item: ItemOpt = None,
    location: LocationOpt = None,
    lot: LotFilterOpt = None,
    doc_type: DocTypeOpt = None,
    doc_id: DocIdOpt = None,
    operation: Annotated[str | None, typer.Option("--operation", help="e.g. receive")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Effective at or after.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Effective at or before.")] = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    sort: SortOpt = None,
    cursor: CursorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move history, newest first.

    --sort: effective_at, id, item, quantity."""
    with handled(as_json):
        seen = reader(service.STOCK_VIEW).warehouses(service.STOCK_VIEW)
        f = queries.HistoryFilter(
            item,
            location,
            lot,
            doc_type,
            doc_id,
            operation,
            parse_when(since),
            parse_when(until),
        )
        with database().read() as conn:
            page = queries.history(
                conn, f, limit, offset, warehouses=seen, sort=sort, cursor=cursor
            )
        moves = _moves_shown(page.items)

        def render(_: Any) -> None:
            _move_table(moves)
            next_page(page)

        emit({"items": moves, **paging(page)}, as_json, render)


@app.command()
def value(
    at: Annotated[str | None, typer.Option("--at", help="As of this time (default now).")] = None,
    item: ItemOpt = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    cursor: CursorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Stock value per item, a page of items at a time.

    FIFO layers or moving average, as each item is costed; the total value is every item's."""
    with handled(as_json):
        seen = reader(service.VALUATION_VIEW).warehouses(service.VALUATION_VIEW)
        when = parse_when(at)
        with database().read() as conn:
            valuation = stock_value_page(
                conn, utcnow(), when, item, limit, offset, cursor, warehouses=seen
            )
            currency = company_settings(conn).currency

        def render(_: Any) -> None:
            table(
                valuation.items,
                ["item", "costing_method", "quantity", "unit", "value", "average_cost"],
            )
            next_page(valuation.page)
            typer.echo(f"total value {valuation.total_value} {currency}")

        data = {
            "at": valuation.at,
            "items": valuation.items,
            "total_value": valuation.total_value,
            "currency": currency,
            **paging(valuation.page),
        }
        emit(data, as_json, render)


@app.command("move-show")
def move_show(
    move_id: MoveIdArg,
    as_json: JsonOpt = False,
) -> None:
    """One move with all its fields (also: ``show-move``)."""
    with handled(as_json):
        seen = reader(service.STOCK_VIEW).warehouses(service.STOCK_VIEW)
        with database().read() as conn:
            record = queries.get_move(conn, move_id, warehouses=seen)
        emit(_moves_shown([record])[0], as_json)


app.command("show-move", hidden=True)(move_show)


# ------------------------------------------------------------------ over time (queries.series)
@app.command("monthly")
def value_series(
    months: Annotated[int, typer.Option(help="How many month ends (1-36).", min=1, max=36)] = 12,
    as_json: JsonOpt = False,
) -> None:
    """Stock value at each of the last month ends and now."""
    with handled(as_json):
        actor = reader(service.VALUATION_VIEW)
        with database().read() as conn:
            shown = display_settings(conn, actor.username)
            points = series.month_ends(utcnow(), ZoneInfo(shown.time_zone), months)
            found = series.value_series(
                conn, points, warehouses=actor.warehouses(service.VALUATION_VIEW)
            )
        data = {
            "currency": shown.company.currency,
            "time_zone": shown.time_zone,
            "points": [{"at": p.at, "value": p.amount} for p in found],
        }
        emit(data, as_json, lambda d: table(d["points"], ["at", "value"]))


@app.command("trend")
def on_hand_series(
    item: Annotated[str, typer.Option("--item", help="Item code or barcode.")],
    days: Annotated[int, typer.Option(help="30, 90 (daily) or 365 (weekly).")] = 90,
    as_json: JsonOpt = False,
) -> None:
    """One item's on hand at each day or week end, and now."""
    with handled(as_json):
        actor = reader(service.STOCK_VIEW)
        with database().read() as conn:
            code, unit = series.item_and_unit(conn, item)
            shown = display_settings(conn, actor.username)
            points = series.day_ends(utcnow(), ZoneInfo(shown.time_zone), series.check_days(days))
            found = series.on_hand_series(
                conn, code, points, warehouses=actor.warehouses(service.STOCK_VIEW)
            )
        data = {
            "item": code,
            "unit": unit,
            "days": days,
            "time_zone": shown.time_zone,
            "points": [{"at": p.at, "on_hand": p.amount} for p in found],
        }
        emit(data, as_json, lambda d: table(d["points"], ["at", "on_hand"]))
