"""The demo's master data (``services.demo``): the warehouses with their location trees and
rejection locations, the units, categories and items of the catalogue, the partners with their
contacts and supplier items; and the go-live day's opening balances counted into the bins.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from cangku.db.tables import items, moves, warehouses
from cangku.db.uow import Database
from cangku.domain.errors import RuleViolation
from cangku.services.common import Context
from cangku.services.demo_catalogue import (
    CATEGORIES,
    INSPECTED_SUPPLIERS,
    LOCATIONS,
    OVER_RECEIPT_TOLERANCE,
    PARTNERS,
    REJECTION_LOCATIONS,
    SZ_BINS,
    DemoItem,
    Family,
    ean13,
    plausible_quantity,
)
from cangku.services.demo_story import _History, _new_lot, _serial
from cangku.services.items import ItemInput, create_category, create_item, create_unit
from cangku.services.partners import (
    ContactInput,
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
)
from cangku.services.warehouses import (
    LocationInput,
    WarehouseChanges,
    WarehouseInput,
    create_location,
    create_warehouse,
    update_warehouse,
)


# ------------------------------------------------------------------ master data
def _refuse_unless_empty(db: Database) -> None:
    with db.read() as conn:
        found = [
            name
            for name, table in (("items", items), ("warehouses", warehouses), ("moves", moves))
            if conn.execute(select(table.c.id).limit(1)).first() is not None
        ]
    if found:
        raise RuleViolation(
            "the demo company needs an empty database; this one already holds " + ", ".join(found),
            code="database_not_empty",
            found=found,
        )


def _build_sites(db: Database, ctx: Context) -> None:
    for code, name, address in (
        ("SH", "上海总仓 Shanghai main warehouse", "上海市嘉定区安亭镇园区路 88 号"),
        ("SZ", "深圳配送中心 Shenzhen distribution centre", "深圳市宝安区福永街道物流园 6 栋"),
    ):
        create_warehouse(db, ctx, WarehouseInput(code, name, address=address))
    for code, name, kind, parent, level, allowed in LOCATIONS:
        create_location(
            db,
            ctx,
            LocationInput(
                code,
                name,
                kind=kind,
                warehouse=None if parent else code[:2],
                parent=parent,
                level=level,
                allowed_item_types=allowed,
            ),
        )
    for warehouse, location in REJECTION_LOCATIONS.items():
        update_warehouse(db, ctx, warehouse, WarehouseChanges(rejection_location=location))


def _build_items(db: Database, ctx: Context, catalogue: list[DemoItem]) -> None:
    create_unit(db, ctx, "bag", "bag (25 kg)", 0)
    for code, zh, en, parent in CATEGORIES:
        create_category(db, ctx, code, f"{zh} {en}", parent)
    for number, item in enumerate(catalogue, start=1):
        family = item.family
        variant = item.code.removeprefix(family.code + "-")
        barcodes: list[tuple[str, str | None]] = []
        if family.item_type in ("finished_good", "consumable", "spare_part"):
            barcodes.append((ean13(f"69231{number:07d}"), None))
            barcodes += [(ean13(f"69232{number:07d}"), u) for u, _ in family.units[:1]]
        create_item(
            db,
            ctx,
            ItemInput(
                code=item.code,
                name=f"{family.zh} {variant} {family.en} {variant}",
                item_type=family.item_type,
                base_unit=family.unit,
                tracking=family.tracking,
                costing_method="moving_average" if family.item_type == "semi_finished" else "fifo",
                category=family.category,
                shelf_life_days=family.shelf_life,
                safety_stock=item.batch,
                reorder_point=item.reorder,
                max_stock=item.maximum,
                lead_time_days=_lead_time(family),
                default_location=item.home,
                standard_cost=item.cost,
                inspection_required=family.inspect,
                units=[(u, Decimal(f)) for u, f in family.units],
                barcodes=barcodes,
            ),
        )


def _lead_time(family: Family) -> int:
    by_code = {p[0]: p[6] for p in PARTNERS}
    return by_code[family.supplier] if family.supplier else 3


def _build_partners(db: Database, ctx: Context, catalogue: list[DemoItem]) -> None:
    for number, (code, name, supplier, customer, city, contact, _lead) in enumerate(PARTNERS):
        domain = code.lower().removeprefix("s-").removeprefix("c-") + ".example.cn"
        person = contact.split(" ", 1)[1].lower().replace(" ", ".")
        create_partner(
            db,
            ctx,
            PartnerInput(
                code=code,
                name=name,
                is_supplier=supplier,
                is_customer=customer,
                email=f"info@{domain}",
                phone=f"+86 400 820 {3100 + number * 17}",
                address=city,
                contacts=[
                    ContactInput(
                        contact,
                        "销售经理 Sales manager" if supplier else "采购经理 Purchasing manager",
                        f"{person}@{domain}",
                    ),
                    ContactInput("仓库收发 Warehouse desk", "物流 Logistics", f"wh@{domain}"),
                ],
                inspection_required=code in INSPECTED_SUPPLIERS,
                over_receipt_tolerance=OVER_RECEIPT_TOLERANCE.get(code, "0"),
            ),
        )
    for item in catalogue:
        family = item.family
        if family.supplier is None:
            continue
        set_supplier_item(
            db,
            ctx,
            SupplierItemInput(
                partner=family.supplier,
                item=item.code,
                supplier_code=f"{family.supplier[2:5]}-{item.code[3:]}",
                price=item.cost,
                currency="CNY",
                min_order_qty=item.batch,
                lead_time_days=_lead_time(family),
                # piece goods bought in cartons of 10 once a typical issue is 50 or more
                pack_size=Decimal(10) if family.unit == "pcs" and item.batch >= 50 else None,
                preferred=True,
            ),
        )


# ------------------------------------------------------------------ go-live
def _opening(h: _History, day: date) -> None:
    """Go-live: opening balances counted into the bins (adjustments with reason)."""
    h.start_day(day)
    for item in h.catalogue:
        family = item.family
        if family.tracking == "serial":
            for _ in range(h.rng.randint(1, 3)):
                serial = _serial(h, item)
                h.expiry[(item.code, serial)] = None
                h.adjust(item, Decimal(1), item.home, serial, "opening_balance", item.cost)
            continue
        lots: list[str | None] = [None]
        if family.tracking == "lot":
            lots = []
            for _ in range(h.rng.randint(1, 2)):
                code, _made, expires = _new_lot(h, item, day)
                h.expiry[(item.code, code)] = expires
                lots.append(code)
        for lot in lots:
            qty = plausible_quantity(item, float(item.batch) * h.rng.uniform(1.5, 5) / len(lots))
            h.adjust(item, qty, item.home, lot, "opening_balance", item.cost)
        if family.item_type == "finished_good":
            qty = plausible_quantity(item, float(item.batch) * h.rng.uniform(0.5, 2))
            h.adjust(item, qty, SZ_BINS[len(item.code) % 3], None, "opening_balance", item.cost)
