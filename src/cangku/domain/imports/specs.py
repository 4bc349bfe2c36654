"""The columns of every kind of import (and export: the same columns, so files round-trip)."""

from __future__ import annotations

from cangku.domain.allocation import STRATEGIES
from cangku.domain.enums import STORAGE_KINDS, CostingMethod, ItemType, LotStatus, Tracking
from cangku.domain.errors import InvalidInput
from cangku.domain.imports.columns import Column, Sheet

__all__ = ["KINDS", "sheet_of"]

_ITEM_TYPES = tuple(str(t) for t in ItemType)
_STORAGE = tuple(sorted(str(k) for k in STORAGE_KINDS))

ITEMS = Sheet(
    "items",
    (
        Column("code", "物料编码", True, sample="BOLT-M8", help="unique item code"),
        Column("name", "名称", True, sample="Hex bolt M8"),
        Column("item_type", "物料类型", True, "choice", _ITEM_TYPES, "spare_part"),
        Column(
            "category",
            "分类",
            sample="FASTENERS/BOLTS",
            help="category codes from the root, separated by /; missing ones are created",
        ),
        Column("base_unit", "基本单位", sample="pcs", help="a unit code; empty: pcs"),
        Column(
            "units",
            "单位换算",
            type="list",
            sample="box=12; carton=144",
            help="unit=base units in one; separated by ;",
        ),
        Column(
            "barcodes",
            "条码",
            type="list",
            sample="6901234567892; 6901234567908=box",
            help="barcode or barcode=unit; separated by ;",
        ),
        Column("tracking", "追踪方式", False, "choice", tuple(str(t) for t in Tracking), "none"),
        Column(
            "costing_method",
            "计价方法",
            False,
            "choice",
            tuple(str(c) for c in CostingMethod),
            "fifo",
        ),
        Column("shelf_life_days", "保质期天数", type="days", sample=""),
        Column("safety_stock", "安全库存", type="number", sample="100"),
        Column("reorder_point", "再订货点", type="number", sample="200"),
        Column("max_stock", "最高库存", type="number", sample="1000"),
        Column("lead_time_days", "采购提前期天数", type="days", sample="7"),
        Column("default_location", "默认库位", help="a storage location code"),
        Column("standard_cost", "标准成本", type="number", sample="0.35"),
        Column("description", "描述"),
        Column(
            "inspection_required",
            "收货检验",
            type="bool",
            sample="false",
            help="received goods are inspected before put-away",
        ),
        Column(
            "allocation_strategy",
            "出库分配",
            False,
            "choice",
            STRATEGIES,
            help="fifo or fefo; empty: the default (fefo when lot or serial tracked with a "
            "shelf life, else fifo)",
        ),
    ),
    ("code",),
    "Items",
    "物料",
)

CATEGORIES = Sheet(
    "categories",
    (
        Column("code", "分类编码", True, sample="BOLTS"),
        Column("name", "名称", True, sample="Bolts"),
        Column("parent", "上级分类", sample="FASTENERS", help="the parent's code; empty: a root"),
        Column(
            "inspection_required",
            "收货检验",
            type="bool",
            sample="false",
            help="received goods of its items (and below) are inspected",
        ),
    ),
    ("code",),
    "Categories",
    "物料分类",
)

WAREHOUSES = Sheet(
    "warehouses",
    (
        Column("code", "仓库编码", True, sample="SH", help="letters, digits, - and _"),
        Column("name", "名称", True, sample="Shanghai warehouse"),
        Column("address", "地址", sample="88 Jinqiao Road, Shanghai"),
        Column("allow_negative_stock", "允许负库存", type="bool", sample="false"),
        Column(
            "allow_expired_issue",
            "允许发出过期批次",
            type="bool",
            sample="false",
            help="expired lots may be issued and reserved",
        ),
    ),
    ("code",),
    "Warehouses",
    "仓库",
)

LOCATIONS = Sheet(
    "locations",
    (
        Column("code", "库位编码", True, sample="SH-A-01", help="no spaces"),
        Column("name", "名称", True, sample="Aisle A, bin 01"),
        Column("warehouse", "仓库", sample="SH", help="needed when there is no parent"),
        Column("parent", "上级库位", sample="SH-A"),
        Column("kind", "库位类型", False, "choice", _STORAGE, "internal"),
        Column("level", "层级", sample="bin"),
        Column("capacity", "容量", type="number"),
        Column(
            "allowed_item_types",
            "允许物料类型",
            type="list",
            allowed=_ITEM_TYPES,
            help="item types separated by ;  empty: any",
        ),
    ),
    ("code",),
    "Locations",
    "库位",
)

PARTNERS = Sheet(
    "partners",
    (
        Column("code", "伙伴编码", True, sample="SUP-001"),
        Column("name", "名称", True, sample="Shanghai Fasteners Co."),
        Column("is_supplier", "供应商", type="bool", sample="true"),
        Column("is_customer", "客户", type="bool", sample="false"),
        Column("email", "邮箱", sample="sales@example.com"),
        Column("phone", "电话", sample="+86 21 5555 0100"),
        Column("address", "地址"),
        Column("tax_id", "税号"),
        Column("notes", "备注"),
        Column(
            "inspection_required",
            "收货检验",
            type="bool",
            sample="false",
            help="a supplier's goods are inspected before put-away",
        ),
        Column(
            "over_receipt_tolerance",
            "超收容差",
            type="number",
            sample="0",
            help="percent (0 to 100) a confirmed receipt may exceed the order by",
        ),
    ),
    ("code",),
    "Partners",
    "合作伙伴",
)

CONTACTS = Sheet(
    "contacts",
    (
        Column("partner", "伙伴编码", True, sample="SUP-001"),
        Column("name", "联系人", True, sample="Li Wei"),
        Column("role", "职务", sample="Sales"),
        Column("email", "邮箱", sample="li.wei@example.com"),
        Column("phone", "电话", sample="+86 138 0000 0000"),
    ),
    ("partner", "name"),
    "Contacts",
    "联系人",
)

SUPPLIER_ITEMS = Sheet(
    "supplier_items",
    (
        Column("partner", "供应商编码", True, sample="SUP-001"),
        Column("item", "物料编码", True, sample="BOLT-M8"),
        Column("supplier_code", "供应商物料编码", sample="SF-M8-20"),
        Column("price", "价格", type="number", sample="0.32"),
        Column("currency", "币种", sample="CNY", help="ISO 4217; needed with a price"),
        Column("min_order_qty", "最小订购量", type="number", sample="1000"),
        Column("lead_time_days", "提前期天数", type="days", sample="5"),
        Column("pack_size", "包装数量", type="number", sample="100"),
        Column(
            "preferred",
            "首选供应商",
            type="bool",
            sample="true",
            help="the supplier replenishment orders from; one per item",
        ),
    ),
    ("partner", "item"),
    "Supplier items",
    "供应商物料",
)

LOTS = Sheet(
    "lots",
    (
        Column("item", "物料编码", True, sample="GLUE-500"),
        Column("code", "批号", True, sample="L2026-001"),
        Column("manufactured_on", "生产日期", type="date", sample="2026-01-15"),
        Column("expires_on", "有效期至", type="date", sample="2027-01-15"),
        Column("supplier_lot", "供应商批号"),
        Column("status", "状态", False, "choice", tuple(str(s) for s in LotStatus), "available"),
        Column("notes", "备注"),
    ),
    ("item", "code"),
    "Lots",
    "批次",
)

OPENING_STOCK = Sheet(
    "opening_stock",
    (
        Column("item", "物料编码", True, sample="BOLT-M8"),
        Column("location", "库位编码", True, sample="SH-A-01"),
        Column("lot", "批号", help="required for lot- and serial-tracked items"),
        Column("lot_expires_on", "批次有效期", type="date"),
        Column("quantity", "数量", True, "number", sample="240"),
        Column("unit", "单位", sample="pcs", help="empty: the item's base unit"),
        Column("unit_cost", "单位成本", type="number", sample="0.35", help="per unit of the row"),
        Column("date", "日期", True, "date", sample="2026-01-01", help="the opening date"),
    ),
    ("item", "location", "lot"),
    "Opening stock",
    "期初库存",
)

#: every kind, in the order a company moves in (each may refer to the ones before it)
KINDS: dict[str, Sheet] = {
    sheet.kind: sheet
    for sheet in (
        CATEGORIES,
        WAREHOUSES,
        LOCATIONS,
        ITEMS,
        PARTNERS,
        CONTACTS,
        SUPPLIER_ITEMS,
        LOTS,
        OPENING_STOCK,
    )
}


def sheet_of(kind: str) -> Sheet:
    """The columns of ``kind``; InvalidInput ``unknown_import_kind`` for any other name."""
    found = KINDS.get(kind)
    if found is None:
        raise InvalidInput(
            f"unknown kind {kind[:40]!r}; one of {', '.join(KINDS)}",
            code="unknown_import_kind",
            allowed=list(KINDS),
        )
    return found
