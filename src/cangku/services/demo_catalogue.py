# ruff: noqa: E501  (the catalogue tables keep one entry per line)
"""The demo company's catalogue: categories, item families, partners and locations."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from cangku.domain.errors import InvalidInput

__all__ = [
    "CATEGORIES",
    "FAMILIES",
    "FRACTIONAL_UNITS",
    "INSPECTED_SUPPLIERS",
    "LOCATIONS",
    "OVER_RECEIPT_TOLERANCE",
    "PARTNERS",
    "PO_APPROVAL_THRESHOLD",
    "REJECTION_LOCATIONS",
    "DemoItem",
    "Family",
    "ean13",
    "plausible_quantity",
]


DAYS_PER_MONTH = 30
STORAGE = ["internal", "receiving", "quality", "shipping"]

# ------------------------------------------------------------------ the catalogue
#: code, Chinese name, English name, parent
CATEGORIES = [
    ("RM", "原材料", "Raw materials", None),
    ("RM-METAL", "金属材料", "Metals", "RM"),
    ("RM-PLASTIC", "塑料粒子", "Plastics", "RM"),
    ("RM-CHEM", "化工材料", "Chemicals and coatings", "RM"),
    ("RM-HW", "紧固件", "Fasteners", "RM"),
    ("SF", "半成品", "Semi-finished goods", None),
    ("FG", "成品", "Finished goods", None),
    ("FG-HOME", "家用电器", "Home appliances", "FG"),
    ("FG-IND", "工业设备", "Industrial equipment", "FG"),
    ("SP", "备品备件", "Spare parts", None),
    ("SP-MECH", "机械备件", "Mechanical spares", "SP"),
    ("SP-ELEC", "电气备件", "Electrical spares", "SP"),
    ("CS", "耗材", "Consumables", None),
    ("CS-PACK", "包装材料", "Packaging", "CS"),
    ("CS-PPE", "劳保用品", "Personal protective equipment", "CS"),
    ("CS-MRO", "维修耗材", "Maintenance supplies", "CS"),
]


@dataclass(frozen=True)
class Family:
    """A family of items that differ by one attribute (thickness, size, model, colour...)."""

    item_type: str
    code: str
    zh: str
    en: str
    unit: str
    variants: tuple[str, ...]
    cost: str  # per base unit, CNY
    batch: int  # a typical issue, in base units
    category: str
    tracking: str = "none"
    units: tuple[tuple[str, int], ...] = ()
    shelf_life: int | None = None
    supplier: str | None = None  # None: made in-house
    #: received goods go through quality inspection (the item's mark)
    inspect: bool = False


def _f(
    spec: str,
    variants: str,
    cost: str,
    batch: int,
    category: str,
    *,
    tracking: str = "none",
    units: tuple[tuple[str, int], ...] = (),
    shelf_life: int | None = None,
    supplier: str | None = None,
    inspect: bool = False,
) -> Family:
    """A family from "type|code|中文|English|unit" and comma-separated variants."""
    item_type, code, zh, en, unit = spec.split("|")
    return Family(
        item_type,
        code,
        zh,
        en,
        unit,
        tuple(variants.split(",")),
        cost,
        batch,
        category,
        tracking,
        units,
        shelf_life,
        supplier,
        inspect,
    )


# fmt: off
FAMILIES = [
    _f("raw_material|RM-STCR|冷轧钢板|Cold-rolled steel sheet|kg", "0.8mm,1.0mm,1.2mm,1.5mm,2.0mm,3.0mm", "6.80", 400, "RM-METAL", units=(("t", 1000),), supplier="S-HDSTEEL"),
    _f("raw_material|RM-STGI|镀锌钢板|Galvanised steel sheet|kg", "0.6mm,0.8mm,1.0mm,1.2mm,1.5mm", "7.40", 300, "RM-METAL", units=(("t", 1000),), supplier="S-HDSTEEL"),
    _f("raw_material|RM-AL|铝板 5052|Aluminium sheet 5052|kg", "1.0mm,2.0mm,3.0mm,5.0mm", "24.50", 120, "RM-METAL", supplier="S-NHAL"),
    _f("raw_material|RM-SSR|不锈钢圆棒 304|Stainless round bar 304|kg", "D10,D16,D20,D25", "18.00", 80, "RM-METAL", supplier="S-HDSTEEL"),
    _f("raw_material|RM-CU|漆包铜线|Enamelled copper wire|kg", "0.5mm,0.8mm,1.0mm,1.5mm", "68.00", 40, "RM-METAL", supplier="S-NHAL"),
    _f("raw_material|RM-ABS|ABS 树脂颗粒|ABS resin pellets|kg", "WHITE,BLACK,GREY,NATURAL", "14.20", 250, "RM-PLASTIC", tracking="lot", units=(("bag", 25),), shelf_life=365, supplier="S-JSPOLY", inspect=True),
    _f("raw_material|RM-PP|PP 聚丙烯颗粒|PP resin pellets|kg", "NATURAL,BLACK", "9.60", 200, "RM-PLASTIC", tracking="lot", units=(("bag", 25),), shelf_life=365, supplier="S-JSPOLY", inspect=True),
    _f("raw_material|RM-PC|PC 聚碳酸酯颗粒|PC resin pellets|kg", "CLEAR,SMOKE", "21.00", 100, "RM-PLASTIC", tracking="lot", units=(("bag", 25),), shelf_life=365, supplier="S-JSPOLY", inspect=True),
    _f("raw_material|RM-PWD|粉末涂料|Powder coating|kg", "RAL9003,RAL7035,RAL9005", "32.00", 40, "RM-CHEM", tracking="lot", shelf_life=270, supplier="S-LBCHEM"),
    _f("raw_material|RM-GLUE|结构胶|Structural adhesive|kg", "EPOXY,PU", "86.00", 10, "RM-CHEM", tracking="lot", shelf_life=150, supplier="S-LBCHEM"),
    _f("raw_material|RM-SCR|机螺钉|Machine screw|pcs", "M3x8,M4x10,M4x16,M5x12,M6x20,M8x25", "0.06", 3000, "RM-HW", units=(("box", 1000),), supplier="S-WZFAST"),
    _f("raw_material|RM-NUT|六角螺母|Hex nut|pcs", "M4,M5,M6,M8", "0.04", 2000, "RM-HW", units=(("box", 1000),), supplier="S-WZFAST"),
    _f("raw_material|RM-SEAL|橡胶密封条|Rubber sealing strip|m", "8x4,10x6,12x8", "2.30", 150, "RM-CHEM", supplier="S-LBCHEM"),
    _f("semi_finished|SF-BRK|冲压支架|Stamped bracket|pcs", "A,B,C,D,E,F", "3.20", 300, "SF"),
    _f("semi_finished|SF-HSG|注塑外壳|Injection-moulded housing|pcs", "FS30,FS40,AP200,AP300,LAMP", "12.50", 120, "SF"),
    _f("semi_finished|SF-PCB|PCB 组件|PCB assembly|pcs", "FAN-CTRL,AP-MAIN,AP-SENSOR,PUMP-DRV", "45.00", 80, "SF"),
    _f("semi_finished|SF-FRM|焊接框架|Welded frame|pcs", "S,M,L,XL", "88.00", 20, "SF"),
    _f("semi_finished|SF-STA|电机定子|Motor stator|pcs", "40W,60W,90W,120W", "36.00", 60, "SF"),
    _f("semi_finished|SF-HRN|线束|Wiring harness|pcs", "FAN,AP,PUMP,CAB,LAMP", "8.40", 150, "SF"),
    _f("semi_finished|SF-PNL|喷涂面板|Powder-coated panel|pcs", "CC-S,CC-M,CC-L,FRONT,SIDE", "22.00", 40, "SF"),
    _f("semi_finished|SF-IMP|叶轮|Impeller|pcs", "WP370,WP750,WP1100,WP1500", "16.00", 30, "SF"),
    _f("finished_good|FG-FAN|落地扇|Floor fan|pcs", "FS-30,FS-40,FS-40R,FS-50", "168.00", 24, "FG-HOME", units=(("carton", 2),)),
    _f("finished_good|FG-DFN|台扇|Desk fan|pcs", "DF-20,DF-25,DF-30", "89.00", 40, "FG-HOME", units=(("carton", 4),)),
    _f("finished_good|FG-AP|空气净化器|Air purifier|pcs", "AP-200,AP-300,AP-500", "620.00", 10, "FG-HOME", units=(("carton", 1),)),
    _f("finished_good|FG-LMP|LED 台灯|LED desk lamp|pcs", "L1,L2,L3,L4,L5,L6", "45.00", 60, "FG-HOME", units=(("carton", 12),)),
    _f("finished_good|FG-HTR|暖风机|Fan heater|pcs", "H1,H2,H3,H4", "135.00", 20, "FG-HOME", units=(("carton", 4),)),
    _f("finished_good|FG-DHM|除湿机|Dehumidifier|pcs", "DH-12,DH-20,DH-30", "980.00", 6, "FG-HOME"),
    _f("finished_good|FG-EXF|排气扇|Exhaust fan|pcs", "EF-150,EF-200,EF-250,EF-300", "76.00", 30, "FG-IND", units=(("carton", 6),)),
    _f("finished_good|FG-PMP|离心水泵|Centrifugal water pump|pcs", "WP-370,WP-750,WP-1100,WP-1500", "1450.00", 2, "FG-IND", tracking="serial"),
    _f("finished_good|FG-CAB|电气控制柜|Electrical control cabinet|pcs", "CC-S,CC-M,CC-L", "3800.00", 1, "FG-IND", tracking="serial"),
    _f("spare_part|SP-BRG|深沟球轴承|Deep-groove ball bearing|pcs", "6201,6202,6203,6204,6205,6206,6305,6306", "6.50", 20, "SP-MECH", units=(("box", 12),), supplier="S-LYBRG"),
    _f("spare_part|SP-ORG|O 型圈|O-ring NBR|pcs", "10x2,16x2,20x3,25x3,32x3,40x4", "0.35", 100, "SP-MECH", units=(("pack", 100),), supplier="S-LBCHEM"),
    _f("spare_part|SP-BLT|三角带|V-belt|pcs", "A-800,A-1000,B-1200,B-1500", "18.00", 4, "SP-MECH", supplier="S-LYBRG"),
    _f("spare_part|SP-SEAL|机械密封|Mechanical seal|pcs", "WP370,WP750,WP1100,WP1500", "58.00", 4, "SP-MECH", tracking="serial", supplier="S-LYBRG", inspect=True),
    _f("spare_part|SP-FUS|玻璃管保险丝|Glass fuse|pcs", "1A,2A,5A,10A", "0.80", 48, "SP-ELEC", units=(("box", 12),), supplier="S-SZELEC"),
    _f("spare_part|SP-CAP|电机电容|Motor run capacitor|pcs", "2uF,4uF,6uF,8uF", "4.20", 24, "SP-ELEC", units=(("box", 12),), supplier="S-SZELEC"),
    _f("spare_part|SP-BRS|电机碳刷|Motor carbon brush|pair", "5x8,6x10,8x12", "9.50", 6, "SP-ELEC", supplier="S-SZELEC"),
    _f("spare_part|SP-FLT|HEPA 滤芯|HEPA filter element|pcs", "AP-200,AP-300,AP-500,CARBON", "38.00", 24, "SP-ELEC", units=(("carton", 12),), supplier="S-SZELEC"),
    _f("spare_part|SP-SW|微动开关|Micro switch|pcs", "KW11,KW12,V-15", "2.10", 50, "SP-ELEC", units=(("box", 12),), supplier="S-SZELEC"),
    _f("consumable|CS-GLV|丁腈手套|Nitrile gloves|pair", "S,M,L,XL", "1.20", 48, "CS-PPE", units=(("box", 12),), supplier="S-SHMRO"),
    _f("consumable|CS-MSK|防尘口罩|Dust mask KN95|pcs", "STD,VALVE", "1.80", 50, "CS-PPE", units=(("box", 50),), supplier="S-SHMRO"),
    _f("consumable|CS-TAP|封箱胶带|Packing tape|roll", "48MM-CLEAR,48MM-BROWN,60MM-CLEAR", "3.60", 36, "CS-PACK", units=(("carton", 36),), supplier="S-DGPACK"),
    _f("consumable|CS-CTN|瓦楞纸箱|Corrugated carton|pcs", "S,M,L,XL", "2.40", 200, "CS-PACK", units=(("pack", 20),), supplier="S-DGPACK"),
    _f("consumable|CS-LBL|条码标签|Barcode labels|roll", "50x30,100x50,100x150", "12.00", 10, "CS-PACK", supplier="S-DGPACK"),
    _f("consumable|CS-TIE|尼龙扎带|Nylon cable ties|pack", "100MM,200MM,300MM", "4.50", 20, "CS-MRO", supplier="S-SHMRO"),
    _f("consumable|CS-LUB|润滑油|Lubricating oil|l", "VG32,VG46,VG68", "22.00", 20, "CS-MRO", tracking="lot", shelf_life=365, supplier="S-SHMRO"),
    _f("consumable|CS-GRS|润滑脂|Lubricating grease|kg", "EP2,EP3", "28.00", 5, "CS-MRO", tracking="lot", shelf_life=365, supplier="S-SHMRO"),
    _f("consumable|CS-CLN|工业清洗剂|Industrial cleaner|l", "ALKALINE,SOLVENT", "15.00", 20, "CS-MRO", tracking="lot", shelf_life=90, supplier="S-LBCHEM"),
    _f("consumable|CS-WLD|CO2 焊丝|MIG welding wire|kg", "0.8mm,1.0mm,1.2mm", "11.50", 30, "CS-MRO", supplier="S-WZFAST"),
]
# fmt: on

#: code, name, is supplier, is customer, city, contact, lead time (days)
# fmt: off
PARTNERS = [
    ("S-HDSTEEL", "华东钢材贸易有限公司 Huadong Steel Trading Co., Ltd.", True, False, "上海 Shanghai", "王伟 Wang Wei", 5),
    ("S-NHAL", "南海铝业有限公司 Nanhai Aluminium Co., Ltd.", True, False, "佛山 Foshan", "陈静 Chen Jing", 7),
    ("S-JSPOLY", "江苏新材塑化有限公司 Jiangsu Xincai Polymers Co., Ltd.", True, False, "苏州 Suzhou", "刘洋 Liu Yang", 4),
    ("S-LBCHEM", "立邦工业化学品有限公司 Libang Industrial Chemicals Co., Ltd.", True, False, "上海 Shanghai", "张敏 Zhang Min", 6),
    ("S-WZFAST", "温州紧固件制造有限公司 Wenzhou Fasteners Manufacturing Co., Ltd.", True, False, "温州 Wenzhou", "李强 Li Qiang", 3),
    ("S-LYBRG", "洛阳精密轴承有限公司 Luoyang Precision Bearing Co., Ltd.", True, False, "洛阳 Luoyang", "赵磊 Zhao Lei", 8),
    ("S-SZELEC", "深圳华强电子元器件有限公司 Shenzhen Huaqiang Components Co., Ltd.", True, True, "深圳 Shenzhen", "黄丽 Huang Li", 3),
    ("S-SHMRO", "上海工品汇工业用品有限公司 Shanghai MRO Supplies Co., Ltd.", True, False, "上海 Shanghai", "周杰 Zhou Jie", 2),
    ("S-DGPACK", "东莞包装材料有限公司 Dongguan Packaging Materials Co., Ltd.", True, False, "东莞 Dongguan", "吴芳 Wu Fang", 4),
    ("C-SUNING", "苏宁家电连锁 Suning Appliance Retail", False, True, "南京 Nanjing", "孙浩 Sun Hao", 0),
    ("C-JDLOG", "京东物流华东仓 JD Logistics East China DC", False, True, "昆山 Kunshan", "马超 Ma Chao", 0),
    ("C-GZBUILD", "广州建工机电安装公司 Guangzhou Construction M&E", False, True, "广州 Guangzhou", "林涛 Lin Tao", 0),
    ("C-HZWATER", "杭州水务设备工程公司 Hangzhou Water Works Engineering", False, True, "杭州 Hangzhou", "何雪 He Xue", 0),
    ("C-XMHOTEL", "厦门海景酒店管理公司 Xiamen Seaview Hotels", False, True, "厦门 Xiamen", "郭峰 Guo Feng", 0),
    ("C-CDTRADE", "成都西部商贸有限公司 Chengdu Western Trading Co., Ltd.", False, True, "成都 Chengdu", "罗琳 Luo Lin", 0),
]
# fmt: on
CUSTOMERS = [p[0] for p in PARTNERS if p[3]]
#: suppliers whose every delivery is inspected (chemicals: certificates of analysis)
INSPECTED_SUPPLIERS = frozenset({"S-LBCHEM"})
#: suppliers that may deliver more than ordered, in percent (steel and aluminium by weight)
OVER_RECEIPT_TOLERANCE = {"S-HDSTEEL": "5", "S-NHAL": "3"}
#: purchase orders above this (CNY) wait for the warehouse manager's approval
PO_APPROVAL_THRESHOLD = "10000"
#: each warehouse's rejection location (a second quality location)
REJECTION_LOCATIONS = {"SH": "SH-QC-REJ", "SZ": "SZ-QC-REJ"}

#: code, name, kind, parent, level, allowed item types
# fmt: off
LOCATIONS = [
    ("SH-RCV", "收货区 Receiving dock", "receiving", None, "zone", None),
    ("SH-QC", "质检区 Quality control", "quality", None, "zone", None),
    ("SH-QC-REJ", "不合格品区 Rejected goods", "quality", None, "zone", None),
    ("SH-SHIP", "发货暂存区 Shipping staging", "shipping", None, "zone", None),
    ("SH-A", "A区 原材料 Raw materials", "internal", None, "zone", None),
    ("SH-A-01", "A01 巷道 Aisle A01", "internal", "SH-A", "aisle", None),
    ("SH-A-01-01", "A01-01 货位 Bin", "internal", "SH-A-01", "bin", None),
    ("SH-A-01-02", "A01-02 货位 Bin", "internal", "SH-A-01", "bin", None),
    ("SH-A-02", "A02 巷道 Aisle A02", "internal", "SH-A", "aisle", None),
    ("SH-A-02-01", "A02-01 货位 Bin", "internal", "SH-A-02", "bin", None),
    ("SH-A-02-02", "A02-02 货位 Bin", "internal", "SH-A-02", "bin", None),
    ("SH-B", "B区 成品与半成品 Finished and semi-finished", "internal", None, "zone", None),
    ("SH-B-01", "B01 巷道 Aisle B01", "internal", "SH-B", "aisle", None),
    ("SH-B-01-01", "B01-01 货位 Bin", "internal", "SH-B-01", "bin", None),
    ("SH-B-01-02", "B01-02 货位 Bin", "internal", "SH-B-01", "bin", None),
    ("SH-B-01-03", "B01-03 货位 Bin", "internal", "SH-B-01", "bin", None),
    ("SH-C", "C区 备件与耗材 Spares and consumables", "internal", None, "zone", None),
    ("SH-C-01", "C01 货架 Rack C01", "internal", "SH-C", "aisle", None),
    ("SH-C-01-01", "C01-01 货位 Bin", "internal", "SH-C-01", "bin", ["spare_part", "consumable"]),
    ("SH-C-01-02", "C01-02 货位 Bin", "internal", "SH-C-01", "bin", ["spare_part", "consumable"]),
    ("SZ-RCV", "收货区 Receiving dock", "receiving", None, "zone", None),
    ("SZ-QC", "质检区 Quality control", "quality", None, "zone", None),
    ("SZ-QC-REJ", "不合格品区 Rejected goods", "quality", None, "zone", None),
    ("SZ-SHIP", "发货暂存区 Shipping staging", "shipping", None, "zone", None),
    ("SZ-A", "A区 成品 Finished goods", "internal", None, "zone", None),
    ("SZ-A-01", "A01 巷道 Aisle A01", "internal", "SZ-A", "aisle", None),
    ("SZ-A-01-01", "A01-01 货位 Bin", "internal", "SZ-A-01", "bin", ["finished_good"]),
    ("SZ-A-01-02", "A01-02 货位 Bin", "internal", "SZ-A-01", "bin", ["finished_good"]),
    ("SZ-A-02", "A02 巷道 Aisle A02", "internal", "SZ-A", "aisle", None),
    ("SZ-A-02-01", "A02-01 货位 Bin", "internal", "SZ-A-02", "bin", ["finished_good"]),
    ("SZ-B", "B区 售后备件 After-sales spares", "internal", None, "zone", None),
    ("SZ-B-01-01", "B01-01 货位 Bin", "internal", "SZ-B", "bin", None),
]
# fmt: on
HOME_BINS = {
    "raw_material": ["SH-A-01-01", "SH-A-01-02", "SH-A-02-01"],
    "semi_finished": ["SH-A-02-02", "SH-B-01-03"],
    "finished_good": ["SH-B-01-01", "SH-B-01-02"],
    "spare_part": ["SH-C-01-01"],
    "consumable": ["SH-C-01-02"],
}
SZ_BINS = ["SZ-A-01-01", "SZ-A-01-02", "SZ-A-02-01"]


def ean13(twelve_digits: str) -> str:
    """The EAN-13 barcode of 12 digits: they and their check digit."""
    if len(twelve_digits) != 12 or not twelve_digits.isdigit():
        raise InvalidInput("an EAN-13 body has 12 digits", code="invalid_barcode")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve_digits))
    return twelve_digits + str((10 - total % 10) % 10)


#: base units counted with one decimal; the others are whole units
FRACTIONAL_UNITS = frozenset({"kg", "l", "m", "t"})


def plausible_quantity(item: DemoItem, amount: float) -> Decimal:
    """A plausible quantity: whole units, or one decimal for kg, litres and metres."""
    places = Decimal("0.1") if item.family.unit in FRACTIONAL_UNITS else Decimal(1)
    return max(places, Decimal(str(amount)).quantize(places, ROUND_HALF_UP))


@dataclass
class DemoItem:
    code: str
    family: Family
    batch: Decimal  # a typical issue in base units
    cost: Decimal
    home: str
    reorder: Decimal = Decimal(0)
    maximum: Decimal = Decimal(0)


def draw_catalogue(rng: random.Random) -> list[DemoItem]:
    result = []
    for family in FAMILIES:
        bins = HOME_BINS[family.item_type]
        for index, variant in enumerate(family.variants):
            batch = Decimal(max(1, round(family.batch * rng.uniform(0.6, 1.4))))
            cost = (
                Decimal(family.cost) * Decimal(str(round(rng.uniform(0.85, 1.25), 2)))
            ).quantize(Decimal("0.01"), ROUND_HALF_UP)
            item = DemoItem(
                f"{family.code}-{variant}", family, batch, cost, bins[index % len(bins)]
            )
            item.reorder = batch * 2
            item.maximum = batch * 6
            result.append(item)
    return result
