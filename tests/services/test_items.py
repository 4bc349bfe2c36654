"""Items: create, read, change, units and barcodes; conversions to the base unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.catalog import to_base_quantity
from cangku.db.lookups import item_by_code
from cangku.db.tables import item_barcodes, item_units, items
from cangku.db.uow import Database
from cangku.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from cangku.queries.items import (
    category_tree,
    get_category,
    get_item,
    get_item_by_barcode,
    list_categories,
    list_items,
    list_units,
)
from cangku.services.common import Context
from cangku.services.items import (
    ItemInput,
    create_category,
    create_item,
    create_unit,
    deactivate_category,
    deactivate_item,
    reactivate_category,
    reactivate_item,
    set_item_barcodes,
    set_item_units,
    update_category,
    update_item,
)
from cangku.services.setup import initialize
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.factories import build_company

CTX = Context()


@pytest.fixture
def cat(db: Database) -> Database:
    initialize(db)
    return db


def _count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _nothing_written(db: Database) -> None:
    assert _count(db, items) == 0
    assert _count(db, item_units) == 0
    assert _count(db, item_barcodes) == 0


def _bolt(**changes: object) -> ItemInput:
    data = ItemInput(
        code="BOLT-M6",
        name="Bolt M6",
        item_type="spare_part",
        units=[("box", Decimal("12"))],
        barcodes=[("6901234567892", None), ("6901234567908", "box")],
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_create_item_stores_every_field(cat: Database) -> None:
    item = create_item(
        cat,
        CTX,
        _bolt(
            safety_stock=Decimal("10"),
            reorder_point=Decimal("20"),
            max_stock=Decimal("100"),
            standard_cost=Decimal("0.125"),
            shelf_life_days=365,
            lead_time_days=7,
            description="zinc plated",
        ),
    )

    assert item.code == "BOLT-M6"
    assert item.base_unit == "pcs"
    assert item.tracking == "none"
    assert item.costing_method == "fifo"
    assert [(u.unit, u.factor) for u in item.units] == [("box", Decimal("12"))]
    assert [(b.barcode, b.unit) for b in item.barcodes] == [
        ("6901234567892", None),
        ("6901234567908", "box"),
    ]
    assert item.safety_stock == Decimal("10")
    assert item.reorder_point == Decimal("20")
    assert item.max_stock == Decimal("100")
    assert item.standard_cost == Decimal("0.125")
    assert item.shelf_life_days == 365
    assert item.lead_time_days == 7
    assert item.description == "zinc plated"
    assert item.active is True
    assert item.version == 1


def test_to_base_quantity_converts_boxes_to_pieces(cat: Database) -> None:
    create_item(cat, CTX, _bolt())
    with cat.read() as conn:
        info = item_by_code(conn, "BOLT-M6")

        assert to_base_quantity(conn, info, Decimal("3"), "box") == 36_000_000
        assert to_base_quantity(conn, info, Decimal("5"), None) == 5_000_000
        assert to_base_quantity(conn, info, Decimal("5"), "pcs") == 5_000_000


def test_to_base_quantity_refuses_fractional_pieces(cat: Database) -> None:
    create_item(cat, CTX, _bolt())
    with cat.read() as conn:
        info = item_by_code(conn, "BOLT-M6")

        with pytest.raises(InvalidInput) as err:
            to_base_quantity(conn, info, Decimal("1.5"), None)
        assert err.value.code == "too_many_decimals"
        with pytest.raises(InvalidInput) as err:
            to_base_quantity(conn, info, Decimal("0.5"), "box")
        assert err.value.code == "too_many_decimals"


def test_to_base_quantity_refuses_a_result_finer_than_the_base_unit(cat: Database) -> None:
    create_item(cat, CTX, _bolt(base_unit="kg", units=[("g", Decimal("0.001"))], barcodes=[]))
    with cat.read() as conn:
        info = item_by_code(conn, "BOLT-M6")

        assert to_base_quantity(conn, info, Decimal("2500"), "g") == 2_500_000
        with pytest.raises(InvalidInput) as err:
            to_base_quantity(conn, info, Decimal("0.5"), "g")
        assert err.value.code == "too_many_decimals"


def test_to_base_quantity_unknown_and_unconvertible_units(cat: Database) -> None:
    create_item(cat, CTX, _bolt())
    with cat.read() as conn:
        info = item_by_code(conn, "BOLT-M6")

        with pytest.raises(NotFound) as missing:
            to_base_quantity(conn, info, Decimal("1"), "crate")
        with pytest.raises(InvalidInput) as foreign:
            to_base_quantity(conn, info, Decimal("1"), "kg")

    assert missing.value.code == "unit_not_found"
    assert foreign.value.code == "unit_not_convertible"


def test_create_item_refuses_a_taken_code(cat: Database) -> None:
    create_item(cat, CTX, _bolt())

    with pytest.raises(Conflict) as err:
        create_item(cat, CTX, _bolt(barcodes=[]))

    assert err.value.code == "item_code_taken"
    assert _count(cat, items) == 1


def test_create_item_refuses_a_taken_barcode(cat: Database) -> None:
    create_item(cat, CTX, _bolt())

    with pytest.raises(Conflict) as err:
        create_item(cat, CTX, _bolt(code="NUT-M6", barcodes=[("6901234567892", None)]))

    assert err.value.code == "barcode_taken"
    assert _count(cat, items) == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"code": " BOLT"}, "invalid_code"),
        ({"code": "BO\x00LT"}, "invalid_code"),
        ({"code": "X" * 65}, "invalid_code"),
        ({"name": "  "}, "invalid_name"),
        ({"item_type": "gadget"}, "invalid_item_type"),
        ({"tracking": "rfid"}, "invalid_tracking"),
        ({"costing_method": "lifo"}, "invalid_costing_method"),
        ({"units": [("box", Decimal("0"))]}, "invalid_factor"),
        ({"units": [("box", Decimal("0.0000001"))]}, "invalid_factor"),
        ({"units": [("box", Decimal("12")), ("box", Decimal("10"))]}, "duplicate_unit"),
        ({"units": [("pcs", Decimal("1"))]}, "base_unit_conversion"),
        ({"safety_stock": Decimal("1.5")}, "too_many_decimals"),
        ({"safety_stock": Decimal("-1")}, "negative_value"),
        ({"safety_stock": Decimal("10"), "reorder_point": Decimal("5")}, "invalid_stock_levels"),
        ({"reorder_point": Decimal("10"), "max_stock": Decimal("5")}, "invalid_stock_levels"),
        ({"shelf_life_days": -1}, "invalid_days"),
        ({"allocation_strategy": "lifo"}, "invalid_allocation_strategy"),
        ({"allocation_strategy": "FEFO"}, "invalid_allocation_strategy"),
        ({"barcodes": [("A 1", None)]}, "invalid_barcode"),
        ({"barcodes": [("A1", None), ("A1", "box")]}, "duplicate_barcode"),
        ({"barcodes": [("A1", "kg")]}, "unit_not_convertible"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_create_item_refuses_invalid_input(
    cat: Database, changes: dict[str, object], code: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        create_item(cat, CTX, _bolt(**changes))

    assert err.value.code == code
    _nothing_written(cat)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"base_unit": "crate"}, "unit_not_found"),
        ({"units": [("crate", Decimal("2"))]}, "unit_not_found"),
        ({"category": "NOPE"}, "category_not_found"),
        ({"default_location": "WH1/NOPE"}, "location_not_found"),
    ],
    ids=["base-unit", "conversion-unit", "category", "location"],
)
def test_create_item_refuses_unknown_references(
    cat: Database, changes: dict[str, object], code: str
) -> None:
    with pytest.raises(NotFound) as err:
        create_item(cat, CTX, _bolt(**changes))

    assert err.value.code == code
    _nothing_written(cat)


def test_create_item_with_idempotency_key_replays(cat: Database) -> None:
    ctx = Context(idempotency_key="k-1")
    first = create_item(cat, ctx, _bolt())

    again = create_item(cat, ctx, _bolt())

    assert again == first
    assert _count(cat, items) == 1
    with pytest.raises(Conflict) as err:
        create_item(cat, ctx, _bolt(name="Other"))
    assert err.value.code == "idempotency_key_reused"


def test_sql_and_html_in_names_are_stored_verbatim(cat: Database) -> None:
    name = "Robert'); DROP TABLE items;--<script>alert(1)</script>"

    create_item(cat, CTX, _bolt(name=name, description=name))

    found = get_item(cat, "BOLT-M6")
    assert found.name == name
    assert found.description == name


def test_get_item_by_code_or_barcode(cat: Database) -> None:
    create_item(cat, CTX, _bolt())

    assert get_item(cat, "6901234567908").code == "BOLT-M6"
    assert get_item_by_barcode(cat, "6901234567892").code == "BOLT-M6"
    with pytest.raises(NotFound) as err:
        get_item(cat, "NOPE")
    assert err.value.code == "item_not_found"
    with pytest.raises(NotFound) as err:
        get_item_by_barcode(cat, "BOLT-M6")
    assert err.value.code == "barcode_not_found"


def test_update_item_changes_fields_and_bumps_version(cat: Database) -> None:
    create_item(cat, CTX, _bolt())

    item = update_item(
        cat, CTX, "BOLT-M6", {"name": "Bolt M6x20", "reorder_point": Decimal("40")}, version=1
    )

    assert item.name == "Bolt M6x20"
    assert item.reorder_point == Decimal("40")
    assert item.version == 2
    assert [u.unit for u in item.units] == ["box"]


def test_update_item_refuses_a_stale_version(cat: Database) -> None:
    create_item(cat, CTX, _bolt())
    update_item(cat, CTX, "BOLT-M6", {"name": "v2"})

    with pytest.raises(Conflict) as err:
        update_item(cat, CTX, "BOLT-M6", {"name": "v3"}, version=1)

    assert err.value.code == "version_conflict"
    assert get_item(cat, "BOLT-M6").name == "v2"


def test_update_item_refuses_the_code_and_unknown_fields(cat: Database) -> None:
    create_item(cat, CTX, _bolt())

    with pytest.raises(InvalidInput) as err:
        update_item(cat, CTX, "BOLT-M6", {"code": "NEW"})

    assert err.value.code == "unknown_field"
    assert get_item(cat, "BOLT-M6").version == 1


def test_update_item_refuses_invalid_values_and_writes_nothing(cat: Database) -> None:
    create_item(cat, CTX, _bolt())

    with pytest.raises(InvalidInput) as err:
        update_item(cat, CTX, "BOLT-M6", {"item_type": "gadget"})

    assert err.value.code == "invalid_item_type"
    item = get_item(cat, "BOLT-M6")
    assert (item.item_type, item.version) == ("spare_part", 1)


def test_update_item_may_change_tracking_before_any_move(cat: Database) -> None:
    create_item(cat, CTX, _bolt())

    item = update_item(cat, CTX, "BOLT-M6", {"tracking": "lot", "costing_method": "moving_average"})

    assert (item.tracking, item.costing_method) == ("lot", "moving_average")


def test_set_item_units_and_barcodes_replace_the_lists(cat: Database) -> None:
    create_item(cat, CTX, _bolt(barcodes=[("111", None)]))

    item = set_item_units(cat, CTX, "BOLT-M6", [("carton", Decimal("144")), ("box", Decimal("12"))])
    item = set_item_barcodes(cat, CTX, "BOLT-M6", [("222", "carton")], version=item.version)

    assert [(u.unit, u.factor) for u in item.units] == [
        ("box", Decimal("12")),
        ("carton", Decimal("144")),
    ]
    assert [(b.barcode, b.unit) for b in item.barcodes] == [("222", "carton")]
    assert item.version == 3
    assert _count(cat, item_barcodes) == 1


def test_set_item_units_refuses_removing_a_unit_a_barcode_uses(cat: Database) -> None:
    create_item(cat, CTX, _bolt())

    with pytest.raises(InvalidInput) as err:
        set_item_units(cat, CTX, "BOLT-M6", [])

    assert err.value.code == "unit_not_convertible"
    assert _count(cat, item_units) == 1


def test_set_item_barcodes_refuses_another_items_barcode(cat: Database) -> None:
    create_item(cat, CTX, _bolt())
    create_item(cat, CTX, _bolt(code="NUT-M6", barcodes=[], units=[]))

    with pytest.raises(Conflict) as err:
        set_item_barcodes(cat, CTX, "NUT-M6", [("6901234567892", None)])

    assert err.value.code == "barcode_taken"
    assert get_item(cat, "NUT-M6").barcodes == []


def test_deactivate_and_reactivate_item(cat: Database) -> None:
    create_item(cat, CTX, _bolt())

    off = deactivate_item(cat, CTX, "BOLT-M6")
    on = reactivate_item(cat, CTX, "BOLT-M6", version=off.version)

    assert (off.active, off.version) == (False, 2)
    assert (on.active, on.version) == (True, 3)


def test_list_items_searches_code_name_and_barcodes(cat: Database) -> None:
    create_item(cat, CTX, _bolt())
    create_item(cat, CTX, _bolt(code="NUT-M6", name="Nut 100%", barcodes=[], units=[]))
    create_item(cat, CTX, _bolt(code="OIL", name="Oil", item_type="consumable", barcodes=[]))

    assert [i.code for i in list_items(cat, "m6").items] == ["BOLT-M6", "NUT-M6"]
    assert [i.code for i in list_items(cat, "567908").items] == ["BOLT-M6"]
    assert [i.code for i in list_items(cat, "100%").items] == ["NUT-M6"]
    assert [i.code for i in list_items(cat, "0%").items] == ["NUT-M6"]
    assert [i.code for i in list_items(cat, item_type="consumable").items] == ["OIL"]
    page = list_items(cat, limit=2, offset=2)
    assert (page.total, [i.code for i in page.items]) == (3, ["OIL"])


def test_list_items_filters_by_category_subtree_and_active(cat: Database) -> None:
    create_category(cat, CTX, "HW", "Hardware")
    create_category(cat, CTX, "FAST", "Fasteners", parent="HW")
    create_category(cat, CTX, "FLUID", "Fluids")
    create_item(cat, CTX, _bolt(category="FAST"))
    create_item(cat, CTX, _bolt(code="OIL", name="Oil", barcodes=[], category="FLUID"))
    deactivate_item(cat, CTX, "OIL")

    assert [i.code for i in list_items(cat, category="HW").items] == ["BOLT-M6"]
    assert [i.code for i in list_items(cat, active=False).items] == ["OIL"]
    assert get_item(cat, "BOLT-M6").category == "FAST"


# ---------------------------------------------------------------- categories and units


def test_category_tree_and_paths(cat: Database) -> None:
    create_category(cat, CTX, "HW", "Hardware")
    create_category(cat, CTX, "FAST", "Fasteners", parent="HW")
    create_category(cat, CTX, "BOLTS", "Bolts", parent="FAST")

    flat = list_categories(cat)
    tree = category_tree(cat)

    assert [(c.code, c.parent, c.path, c.depth) for c in flat.items] == [
        ("HW", None, "HW", 0),
        ("FAST", "HW", "HW/FAST", 1),
        ("BOLTS", "FAST", "HW/FAST/BOLTS", 2),
    ]
    assert [n.code for n in tree] == ["HW"]
    assert [n.code for n in tree[0].children] == ["FAST"]
    assert [n.code for n in tree[0].children[0].children] == ["BOLTS"]


def test_moving_a_category_moves_its_subtree(cat: Database) -> None:
    create_category(cat, CTX, "HW", "Hardware")
    create_category(cat, CTX, "FAST", "Fasteners", parent="HW")
    create_category(cat, CTX, "BOLTS", "Bolts", parent="FAST")
    create_category(cat, CTX, "PARTS", "Parts")

    moved = update_category(cat, CTX, "FAST", {"parent": "PARTS", "name": "Fixings"})

    assert (moved.name, moved.path) == ("Fixings", "PARTS/FAST")
    assert get_category(cat, "BOLTS").path == "PARTS/FAST/BOLTS"
    assert update_category(cat, CTX, "FAST", {"parent": None}).path == "FAST"
    assert get_category(cat, "BOLTS").path == "FAST/BOLTS"


def test_moving_a_category_under_itself_is_refused(cat: Database) -> None:
    create_category(cat, CTX, "HW", "Hardware")
    create_category(cat, CTX, "FAST", "Fasteners", parent="HW")

    for parent in ("HW", "FAST"):
        with pytest.raises(InvalidInput) as err:
            update_category(cat, CTX, "HW", {"parent": parent})
        assert err.value.code == "category_cycle"
    assert get_category(cat, "HW").path == "HW"


def test_create_category_refusals(cat: Database) -> None:
    create_category(cat, CTX, "HW", "Hardware")

    with pytest.raises(Conflict) as taken:
        create_category(cat, CTX, "HW", "Again")
    with pytest.raises(NotFound) as parent:
        create_category(cat, CTX, "X", "X", parent="NOPE")

    assert taken.value.code == "category_code_taken"
    assert parent.value.code == "category_not_found"
    assert list_categories(cat).total == 1


def test_inactive_category_takes_no_new_items(cat: Database) -> None:
    create_category(cat, CTX, "HW", "Hardware")
    off = deactivate_category(cat, CTX, "HW")

    with pytest.raises(RuleViolation) as err:
        create_item(cat, CTX, _bolt(category="HW"))

    assert off.active is False
    assert err.value.code == "category_inactive"
    _nothing_written(cat)
    assert reactivate_category(cat, CTX, "HW").active is True


def test_create_custom_unit(cat: Database) -> None:
    unit = create_unit(cat, CTX, "drum", "drum (200 l)", 0)

    assert (unit.code, unit.name, unit.decimals) == ("drum", "drum (200 l)", 0)
    assert "drum" in [u.code for u in list_units(cat)]
    with pytest.raises(Conflict) as taken:
        create_unit(cat, CTX, "drum", "again", 0)
    with pytest.raises(InvalidInput) as places:
        create_unit(cat, CTX, "gal", "gallon", 7)
    assert taken.value.code == "unit_code_taken"
    assert places.value.code == "invalid_decimals"
    assert "gal" not in [u.code for u in list_units(cat)]


# ---------------------------------------------------------------- items already in the ledger


def test_update_item_refuses_tracking_costing_and_base_unit_once_moved(db: Database) -> None:
    build_company(db)
    receive_stock(
        db,
        CTX,
        Receive(item="BOLT", quantity=Decimal("5"), to_location="WH1-A", unit_cost=Decimal("1")),
    )

    for field, value in (
        ("tracking", "lot"),
        ("costing_method", "moving_average"),
        ("base_unit", "kg"),
    ):
        with pytest.raises(RuleViolation) as err:
            update_item(db, CTX, "BOLT", {field: value})
        assert err.value.code == "item_has_moves"
    renamed = update_item(db, CTX, "BOLT", {"name": "Hex bolt M8x30"})
    assert (renamed.tracking, renamed.costing_method, renamed.version) == ("none", "fifo", 2)


def test_default_location_must_be_a_storage_location(db: Database) -> None:
    build_company(db)

    item = create_item(db, CTX, _bolt(default_location="WH1-A-01", barcodes=[]))
    with pytest.raises(InvalidInput) as err:
        update_item(db, CTX, "BOLT-M6", {"default_location": "WH1/SUPPLIER"})

    assert item.default_location == "WH1-A-01"
    assert err.value.code == "not_storage_location"
    assert get_item(db, "BOLT-M6").default_location == "WH1-A-01"


# ---------------------------------------------------------------- allocation strategy (issue 13)


@pytest.mark.parametrize(
    ("changes", "stored", "effective"),
    [
        ({}, None, "fifo"),
        ({"allocation_strategy": ""}, None, "fifo"),
        ({"allocation_strategy": "fefo"}, "fefo", "fefo"),
        ({"tracking": "lot", "shelf_life_days": 180}, None, "fefo"),
        ({"tracking": "serial", "shelf_life_days": 30}, None, "fefo"),
        ({"tracking": "lot"}, None, "fifo"),
        ({"tracking": "lot", "shelf_life_days": 0}, None, "fifo"),
        (
            {"tracking": "lot", "shelf_life_days": 180, "allocation_strategy": "fifo"},
            "fifo",
            "fifo",
        ),
    ],
    ids=[
        "untracked",
        "empty-is-default",
        "set-fefo",
        "lot-with-shelf-life",
        "serial-with-shelf-life",
        "lot-without-shelf-life",
        "lot-zero-shelf-life",
        "fifo-set-over-default",
    ],
)
def test_create_item_stores_the_allocation_strategy_and_shows_the_effective_one(
    cat: Database, changes: dict[str, object], stored: str | None, effective: str
) -> None:
    item = create_item(cat, CTX, _bolt(**changes))

    assert (item.allocation_strategy, item.effective_allocation_strategy) == (stored, effective)
    with cat.read() as conn:
        column = conn.execute(select(items.c.allocation_strategy)).scalar_one()
    assert column == stored
    again = get_item(cat, "BOLT-M6")
    assert (again.allocation_strategy, again.effective_allocation_strategy) == (stored, effective)


def test_update_item_sets_and_clears_the_allocation_strategy(cat: Database) -> None:
    create_item(cat, CTX, _bolt(tracking="lot", shelf_life_days=90))

    fifo = update_item(cat, CTX, "BOLT-M6", {"allocation_strategy": "fifo"}, version=1)
    cleared = update_item(cat, CTX, "BOLT-M6", {"allocation_strategy": None}, version=2)
    renamed = update_item(cat, CTX, "BOLT-M6", {"name": "Bolt M6x30"}, version=3)

    assert (fifo.allocation_strategy, fifo.effective_allocation_strategy) == ("fifo", "fifo")
    assert (cleared.allocation_strategy, cleared.effective_allocation_strategy) == (None, "fefo")
    assert (cleared.version, renamed.allocation_strategy, renamed.version) == (3, None, 4)


def test_update_item_keeps_the_allocation_strategy_when_other_fields_change(
    cat: Database,
) -> None:
    create_item(cat, CTX, _bolt(allocation_strategy="fefo"))

    item = update_item(cat, CTX, "BOLT-M6", {"name": "Bolt M6x30", "shelf_life_days": 10})

    assert (item.allocation_strategy, item.effective_allocation_strategy) == ("fefo", "fefo")


@pytest.mark.parametrize("value", ["lifo", "default", "Fifo", 1], ids=str)
def test_update_item_refuses_an_unknown_allocation_strategy_and_writes_nothing(
    cat: Database, value: object
) -> None:
    create_item(cat, CTX, _bolt(allocation_strategy="fifo"))

    with pytest.raises(InvalidInput) as err:
        update_item(cat, CTX, "BOLT-M6", {"allocation_strategy": value, "name": "changed"})

    assert err.value.code == "invalid_allocation_strategy"
    assert err.value.data["allowed"] == ["fifo", "fefo"]
    assert err.value.data["field"] == "allocation_strategy"
    item = get_item(cat, "BOLT-M6")
    assert (item.allocation_strategy, item.name, item.version) == ("fifo", "Bolt M6", 1)


def test_create_item_refusing_the_allocation_strategy_names_the_choices(cat: Database) -> None:
    with pytest.raises(InvalidInput) as err:
        create_item(cat, CTX, _bolt(allocation_strategy="lifo"))

    assert (err.value.code, err.value.data["allowed"]) == (
        "invalid_allocation_strategy",
        ["fifo", "fefo"],
    )
    _nothing_written(cat)
