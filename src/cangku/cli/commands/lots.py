"""``cangku lots ...``: lots (batches) and serial numbers."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

import typer

from cangku.cli.commands.warehouses import LimitOpt, OffsetOpt, emit_page
from cangku.cli.common import (
    IdemOpt,
    JsonOpt,
    SortOpt,
    context,
    database,
    emit,
    handled,
    reader,
    table,
)
from cangku.domain.errors import InvalidInput
from cangku.queries import lots as queries
from cangku.services import lots as service

NAME = "lots"
HELP = "Lots (batches) and serial numbers."
app = typer.Typer(no_args_is_help=True)

COLUMNS = [
    "item",
    "code",
    "is_serial",
    "status",
    "manufactured_on",
    "expires_on",
    "expiry_status",
    "supplier_lot",
]
ExpiryOpt = Annotated[
    str | None,
    typer.Option(
        "--expiry",
        help="expired, expiring_soon (within the company's expiring-soon days), ok or"
        " no_expiry; sorted by expiry date.",
    ),
]
MadeOpt = Annotated[str | None, typer.Option("--manufactured-on", help="YYYY-MM-DD.")]
ExpiresOpt = Annotated[str | None, typer.Option("--expires-on", help="YYYY-MM-DD.")]
SupplierLotOpt = Annotated[str | None, typer.Option("--supplier-lot", help="The supplier's lot.")]
NotesOpt = Annotated[str | None, typer.Option("--notes", help="Free text.")]
StatusOpt = Annotated[str, typer.Option("--status", help="Initial status.")]


def parse_date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{field} is not a date (YYYY-MM-DD): {value[:40]!r}", code="invalid_date", field=field
        ) from None


def _dated(lot: queries.Lot) -> queries.LotView:
    """A lot a service answered with, with its expiry status today."""
    return queries.with_expiry(lot, queries.expiry_day(database()))


@app.command("list")
def list_(
    item: Annotated[str | None, typer.Option(help="Item code.")] = None,
    status: Annotated[str | None, typer.Option(help="Lot status.")] = None,
    expiring_before: Annotated[str | None, typer.Option(help="Expiry before YYYY-MM-DD.")] = None,
    q: Annotated[
        str | None, typer.Option("--q", help="Search lot code, supplier lot, item.")
    ] = None,
    serial: Annotated[bool | None, typer.Option("--serial/--no-serial")] = None,
    expiry: ExpiryOpt = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    sort: SortOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List and search lots and serials with their expiry status.

    By item and lot (by expiry date with --expiry), or in the order --sort names."""
    with handled(as_json):
        reader(service.LOT_VIEW)
        page = queries.list_lots(
            database(),
            item=item,
            status=status,
            expiring_before=parse_date(expiring_before, "expiring_before"),
            q=q,
            is_serial=serial,
            limit=limit,
            offset=offset,
            expiry=expiry,
            sort=sort,
        )
        emit_page(page, as_json, COLUMNS)


@app.command()
def serials(
    item: Annotated[str | None, typer.Option(help="Item code.")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Search serial and item.")] = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """List serial numbers."""
    with handled(as_json):
        reader(service.LOT_VIEW)
        page = queries.list_serials(database(), item=item, q=q, limit=limit, offset=offset)
        emit_page(page, as_json, COLUMNS)


HISTORY = ["at", "user", "from_status", "to_status", "reason", "document"]


def _with_history(lot: queries.LotView) -> dict[str, Any]:
    with database().read() as conn:
        history = queries.lot_history(conn, lot.id)
    return {**asdict(lot), "history": history}


def _show(data: dict[str, Any]) -> None:
    """The lot's fields, then its status history as a table."""
    emit({k: v for k, v in data.items() if k not in ("history", "released")}, False)
    for released in data.get("released", []):
        typer.echo(f"released {released.quantity} reserved for {released.document}")
    if data["history"]:
        typer.echo("")
        table(data["history"], HISTORY)


@app.command()
def show(item: str, code: str, as_json: JsonOpt = False) -> None:
    """Show one lot (or serial) of an item, with its status history."""
    with handled(as_json):
        reader(service.LOT_VIEW)
        emit(_with_history(queries.get_lot(database(), item, code)), as_json, _show)


@app.command()
def create(
    item: str,
    code: str,
    manufactured_on: MadeOpt = None,
    expires_on: ExpiresOpt = None,
    supplier_lot: SupplierLotOpt = None,
    status: StatusOpt = "available",
    notes: NotesOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a lot of a lot-tracked item."""
    with handled(as_json):
        ctx = context(idempotency_key)
        data = service.LotInput(
            item,
            code,
            parse_date(manufactured_on, "manufactured_on"),
            parse_date(expires_on, "expires_on"),
            supplier_lot,
            status,
            notes,
        )
        emit(_dated(service.create_lot(database(), ctx, data)), as_json)


@app.command("serial-create")
def serial_create(
    item: str,
    serial: str,
    manufactured_on: MadeOpt = None,
    expires_on: ExpiresOpt = None,
    supplier_lot: SupplierLotOpt = None,
    status: StatusOpt = "available",
    notes: NotesOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a serial number of a serial-tracked item."""
    with handled(as_json):
        ctx = context(idempotency_key)
        data = service.SerialInput(
            item,
            serial,
            parse_date(manufactured_on, "manufactured_on"),
            parse_date(expires_on, "expires_on"),
            supplier_lot,
            status,
            notes,
        )
        emit(_dated(service.create_serial(database(), ctx, data)), as_json)


@app.command()
def update(
    item: str,
    code: str,
    manufactured_on: MadeOpt = None,
    expires_on: ExpiresOpt = None,
    supplier_lot: SupplierLotOpt = None,
    notes: NotesOpt = None,
    version: Annotated[int | None, typer.Option(help="Refuse unless this is current.")] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a lot's dates, supplier lot or notes."""
    with handled(as_json):
        ctx = context(idempotency_key)
        changes: dict[str, Any] = {"version": version}
        if manufactured_on is not None:
            changes["manufactured_on"] = parse_date(manufactured_on, "manufactured_on")
        if expires_on is not None:
            changes["expires_on"] = parse_date(expires_on, "expires_on")
        if supplier_lot is not None:
            changes["supplier_lot"] = supplier_lot
        if notes is not None:
            changes["notes"] = notes
        updated = service.update_lot(database(), ctx, item, code, service.LotChanges(**changes))
        emit(_dated(updated), as_json)


@app.command()
def status(
    item: str,
    code: str,
    new_status: Annotated[
        str, typer.Argument(help="available, quarantine, hold, recalled, rejected.")
    ],
    reason: Annotated[str | None, typer.Option(help="Why (kept in the lot's notes).")] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put a lot or serial in another status."""
    with handled(as_json):
        lot = service.set_lot_status(
            database(), context(idempotency_key), item, code, new_status, reason
        )
        emit(_dated(lot), as_json)


ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (required).")]


def _verb(verb: str, item: str, code: str, reason: str, key: str | None, as_json: bool) -> None:
    with handled(as_json):
        changed = service.change_lot_status(database(), context(key), item, code, verb, reason)
        shown = {**_with_history(_dated(changed.lot)), "released": changed.released}
        emit(shown, as_json, _show)


@app.command()
def hold(
    item: str, code: str, reason: ReasonOpt, idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Put a lot on hold: it is not reserved or issued.

    Its reservations not yet on a pick list are released (the requests' timelines say so)."""
    _verb("hold", item, code, reason, idempotency_key, as_json)


@app.command()
def quarantine(
    item: str, code: str, reason: ReasonOpt, idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Quarantine a lot: it is not reserved or issued.

    Its reservations not yet on a pick list are released (the requests' timelines say so)."""
    _verb("quarantine", item, code, reason, idempotency_key, as_json)


@app.command()
def recall(
    item: str, code: str, reason: ReasonOpt, idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Recall a lot: blocked like a hold (warehouse managers).

    `cangku trace ITEM LOT` shows where every unit is now and where the rest went."""
    _verb("recall", item, code, reason, idempotency_key, as_json)


@app.command()
def release(
    item: str, code: str, reason: ReasonOpt, idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Release a held, quarantined or recalled lot: available again."""
    _verb("release", item, code, reason, idempotency_key, as_json)
