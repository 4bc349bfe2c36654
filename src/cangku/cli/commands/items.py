"""``cangku items ...``: list, show, create, change and (de)activate items; units, barcodes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer

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
    to_jsonable,
)
from cangku.domain.errors import InvalidInput
from cangku.domain.quantities import parse_decimal
from cangku.queries import items as queries
from cangku.queries import partners as partner_queries
from cangku.services import items as service
from cangku.services.partners import PARTNER_VIEW
from cangku.services.stock import STOCK_VIEW

NAME = "items"
HELP = "Items (SKUs): units of measure, barcodes, stock levels."
app = typer.Typer(no_args_is_help=True)

COLUMNS = ["code", "name", "item_type", "category", "base_unit", "tracking", "active", "version"]
UnitsOpt = Annotated[
    list[str] | None,
    typer.Option("--unit", help="A conversion UNIT=FACTOR (base units in one UNIT), e.g. box=12."),
]
BarcodesOpt = Annotated[
    list[str] | None,
    typer.Option("--barcode", help="A barcode, or BARCODE=UNIT for a barcode of a pack unit."),
]
VersionOpt = Annotated[
    int | None, typer.Option("--version", help="Refuse if the item changed since this version.")
]
DecimalOpt = Annotated[str | None, typer.Option()]
#: what --allocation-strategy takes; "default" stores nothing (the default by tracking)
DEFAULT_STRATEGY = "default"
StrategyOpt = Annotated[
    str | None,
    typer.Option(
        "--allocation-strategy",
        help="How outbound requests allocate the item: fifo (oldest receipt first), fefo "
        "(earliest expiry first) or default (fefo for a lot- or serial-tracked item with a "
        "shelf life, else fifo).",
    ),
]


def parse_units(values: list[str] | None) -> list[tuple[str, Decimal]]:
    pairs = []
    for value in values or []:
        unit, sep, factor = value.partition("=")
        if not sep or not unit:
            raise InvalidInput(
                f"--unit takes UNIT=FACTOR, e.g. box=12, not {value!r}", code="invalid_unit_option"
            )
        pairs.append((unit, parse_decimal(factor, "factor")))
    return pairs


def parse_barcodes(values: list[str] | None) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for value in values or []:
        if "=" in value:
            barcode, _, unit = value.rpartition("=")
            pairs.append((barcode, unit or None))
        else:
            pairs.append((value, None))
    return pairs


def _decimal(value: str | None, field: str) -> Decimal | None:
    return None if value is None else parse_decimal(value, field)


def _strategy(value: str | None) -> str | None:
    """The --allocation-strategy as the service takes it ("default": None, the default)."""
    return None if value == DEFAULT_STRATEGY else value


def shown(item: service.Item) -> dict[str, Any]:
    """An item as printed: its fields, with the allocation strategy it uses after the one set."""
    result: dict[str, Any] = {}
    for key, value in to_jsonable(item).items():
        result[key] = value
        if key == "allocation_strategy":
            result["effective_allocation_strategy"] = item.effective_allocation_strategy
    return result


def emit_page(page: Any, as_json: bool, columns: list[str]) -> None:
    if as_json:
        emit({**to_jsonable(page), "items": [shown(i) for i in page.items]}, True)
        return
    table(page.items, columns)
    typer.echo(f"({len(page.items)} of {page.total})")


@app.command("list")
def list_(
    q: Annotated[str | None, typer.Option("--q", help="Search code, name, barcodes.")] = None,
    item_type: Annotated[str | None, typer.Option("--type")] = None,
    category: Annotated[str | None, typer.Option(help="Includes sub-categories.")] = None,
    tracking: Annotated[str | None, typer.Option()] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-500).")] = 50,
    offset: int = 0,
    sort: SortOpt = None,
    stock: Annotated[
        str | None,
        typer.Option(
            "--stock",
            help="below_reorder: active items at or below their reorder point in your warehouses.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List items (by code, or in the order --sort names)."""
    with handled(as_json):
        actor = reader(service.ITEM_VIEW)
        if stock is not None:
            actor.require(STOCK_VIEW)
        page = queries.list_items(
            database(),
            q,
            item_type=item_type,
            category=category,
            tracking=tracking,
            active=active,
            limit=limit,
            offset=offset,
            sort=sort,
            stock=stock,
            warehouses=actor.warehouses(STOCK_VIEW),
        )
        emit_page(page, as_json, COLUMNS)


INSPECTION_HELP = "Received goods of the item go through inspection before put-away."


@app.command()
def show(
    code: Annotated[str, typer.Argument(help="Item code or barcode.")], as_json: JsonOpt = False
) -> None:
    """Show one item (by code or barcode)."""
    with handled(as_json):
        reader(service.ITEM_VIEW)
        emit(shown(queries.get_item(database(), code)), as_json)


@app.command()
def create(
    code: str,
    name: str,
    item_type: Annotated[
        str,
        typer.Option(
            "--type", help="raw_material, semi_finished, finished_good, spare_part or consumable."
        ),
    ],
    base_unit: Annotated[str, typer.Option(help="Unit stock is kept in.")] = "pcs",
    tracking: Annotated[str, typer.Option(help="none, lot or serial.")] = "none",
    costing: Annotated[str, typer.Option(help="fifo or moving_average.")] = "fifo",
    category: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    shelf_life_days: Annotated[int | None, typer.Option()] = None,
    safety_stock: DecimalOpt = None,
    reorder_point: DecimalOpt = None,
    max_stock: DecimalOpt = None,
    lead_time_days: Annotated[int | None, typer.Option()] = None,
    default_location: Annotated[str | None, typer.Option()] = None,
    standard_cost: DecimalOpt = None,
    inspection: Annotated[bool, typer.Option("--inspection", help=INSPECTION_HELP)] = False,
    allocation_strategy: StrategyOpt = None,
    unit: UnitsOpt = None,
    barcode: BarcodesOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an item."""
    with handled(as_json):
        ctx = context(idempotency_key)
        data = service.ItemInput(
            code,
            name,
            item_type,
            base_unit,
            tracking,
            costing,
            category,
            description,
            shelf_life_days,
            _decimal(safety_stock, "safety_stock"),
            _decimal(reorder_point, "reorder_point"),
            _decimal(max_stock, "max_stock"),
            lead_time_days,
            default_location,
            _decimal(standard_cost, "standard_cost"),
            inspection_required=inspection,
            allocation_strategy=_strategy(allocation_strategy),
            units=parse_units(unit),
            barcodes=parse_barcodes(barcode),
        )
        emit(shown(service.create_item(database(), ctx, data)), as_json)


@app.command()
def update(
    code: str,
    name: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    item_type: Annotated[str | None, typer.Option("--type")] = None,
    category: Annotated[str | None, typer.Option()] = None,
    base_unit: Annotated[str | None, typer.Option()] = None,
    tracking: Annotated[str | None, typer.Option()] = None,
    costing: Annotated[str | None, typer.Option()] = None,
    shelf_life_days: Annotated[int | None, typer.Option()] = None,
    safety_stock: DecimalOpt = None,
    reorder_point: DecimalOpt = None,
    max_stock: DecimalOpt = None,
    lead_time_days: Annotated[int | None, typer.Option()] = None,
    default_location: Annotated[str | None, typer.Option()] = None,
    standard_cost: DecimalOpt = None,
    inspection: Annotated[
        bool | None, typer.Option("--inspection/--no-inspection", help=INSPECTION_HELP)
    ] = None,
    allocation_strategy: StrategyOpt = None,
    clear: Annotated[
        list[str] | None, typer.Option("--clear", help="Empty this field (repeatable).")
    ] = None,
    version: VersionOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change fields of an item (only the options given)."""
    with handled(as_json):
        ctx = context(idempotency_key)
        given: dict[str, Any] = {
            "name": name,
            "description": description,
            "item_type": item_type,
            "category": category,
            "base_unit": base_unit,
            "tracking": tracking,
            "costing_method": costing,
            "shelf_life_days": shelf_life_days,
            "safety_stock": _decimal(safety_stock, "safety_stock"),
            "reorder_point": _decimal(reorder_point, "reorder_point"),
            "max_stock": _decimal(max_stock, "max_stock"),
            "lead_time_days": lead_time_days,
            "default_location": default_location,
            "standard_cost": _decimal(standard_cost, "standard_cost"),
            "inspection_required": inspection,
        }
        changes = {k: v for k, v in given.items() if v is not None}
        if allocation_strategy is not None:
            changes["allocation_strategy"] = _strategy(allocation_strategy)
        changes.update({field.replace("-", "_"): None for field in clear or []})
        emit(shown(service.update_item(database(), ctx, code, changes, version)), as_json)


@app.command()
def deactivate(
    code: str,
    version: VersionOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deactivate an item (kept for history)."""
    with handled(as_json):
        ctx = context(idempotency_key)
        emit(shown(service.deactivate_item(database(), ctx, code, version)), as_json)


@app.command()
def reactivate(
    code: str,
    version: VersionOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reactivate an item."""
    with handled(as_json):
        ctx = context(idempotency_key)
        emit(shown(service.reactivate_item(database(), ctx, code, version)), as_json)


@app.command()
def units(
    code: str,
    unit: UnitsOpt = None,
    version: VersionOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replace the item's unit conversions with the --unit options.

    No --unit removes them all."""
    with handled(as_json):
        ctx = context(idempotency_key)
        item = service.set_item_units(database(), ctx, code, parse_units(unit), version)
        emit(shown(item), as_json)


@app.command()
def barcodes(
    code: str,
    barcode: BarcodesOpt = None,
    version: VersionOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replace the item's barcodes with the --barcode options.

    No --barcode removes them all."""
    with handled(as_json):
        ctx = context(idempotency_key)
        item = service.set_item_barcodes(database(), ctx, code, parse_barcodes(barcode), version)
        emit(shown(item), as_json)


@app.command()
def suppliers(code: str, as_json: JsonOpt = False) -> None:
    """Every supplier's terms for the item."""
    with handled(as_json):
        reader(PARTNER_VIEW)
        found = partner_queries.suppliers_of_item(database(), code)
        if as_json:
            emit(found, True)
        else:
            table(
                found,
                [
                    "partner",
                    "supplier_code",
                    "price",
                    "currency",
                    "min_order_qty",
                    "lead_time_days",
                ],
            )
