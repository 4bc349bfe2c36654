"""Warehouses and locations: the service layer on a real database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from cangku.db.tables import balances, items, ledger_heads, locations, warehouses
from cangku.db.uow import Database
from cangku.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from cangku.domain.hashing import GENESIS
from cangku.queries.sites import (
    get_location,
    get_warehouse,
    list_locations,
    list_warehouses,
    location_subtree,
    warehouse_tree,
)
from cangku.services import setup
from cangku.services.common import Context
from cangku.services.warehouses import (
    LocationChanges,
    LocationInput,
    WarehouseChanges,
    WarehouseInput,
    create_location,
    create_warehouse,
    deactivate_location,
    deactivate_warehouse,
    reactivate_location,
    reactivate_warehouse,
    update_location,
    update_warehouse,
)

CTX = Context()
NOW = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture
def ready(db: Database) -> Database:
    setup.initialize(db)
    return db


def _count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_create_warehouse_writes_head_and_virtual_locations(ready: Database) -> None:
    warehouse = create_warehouse(ready, CTX, WarehouseInput("WH1", "Main warehouse"))

    assert warehouse.code == "WH1"
    assert warehouse.name == "Main warehouse"
    assert warehouse.allow_negative_stock is False
    assert warehouse.active is True
    assert warehouse.version == 1
    with ready.read() as conn:
        head = conn.execute(select(ledger_heads)).one()
        rows = conn.execute(
            select(
                locations.c.code, locations.c.kind, locations.c.level, locations.c.parent_id
            ).order_by(locations.c.id)
        ).all()
    assert (head.warehouse_id, head.last_seq, head.last_hash) == (warehouse.id, 0, GENESIS)
    assert [tuple(r) for r in rows] == [
        ("WH1/SUPPLIER", "supplier", "virtual", None),
        ("WH1/CUSTOMER", "customer", "virtual", None),
        ("WH1/ADJUSTMENT", "adjustment", "virtual", None),
        ("WH1/SCRAP", "scrap", "virtual", None),
        ("WH1/PRODUCTION", "production", "virtual", None),
        ("WH1/TRANSIT", "transit", "virtual", None),
    ]


@pytest.mark.parametrize("code", ["", "WH 1", "W/1", "x" * 33, "仓库"], ids=repr)
def test_create_warehouse_refuses_bad_code(ready: Database, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        create_warehouse(ready, CTX, WarehouseInput(code, "Main"))

    assert caught.value.code == "invalid_code"
    assert _count(ready, warehouses) == 0


def test_create_warehouse_refuses_duplicate_code(ready: Database) -> None:
    create_warehouse(ready, CTX, WarehouseInput("WH1", "Main"))

    with pytest.raises(Conflict) as caught:
        create_warehouse(ready, CTX, WarehouseInput("WH1", "Other"))

    assert caught.value.code == "warehouse_code_taken"
    assert _count(ready, warehouses) == 1
    assert _count(ready, locations) == 6


def test_create_location_under_parent_takes_parent_warehouse_and_path(ready: Database) -> None:
    create_warehouse(ready, CTX, WarehouseInput("WH1", "Main"))
    zone = create_location(
        ready, CTX, LocationInput("WH1-A", "Zone A", warehouse="WH1", level="zone")
    )

    bin_ = create_location(
        ready,
        CTX,
        LocationInput(
            "WH1-A-01",
            "Bin 1",
            parent="WH1-A",
            level="bin",
            capacity="12.5",
            allowed_item_types=["spare_part", "consumable"],
        ),
    )

    assert zone.path == f"/{zone.id}/"
    assert bin_.path == f"/{zone.id}/{bin_.id}/"
    assert bin_.warehouse == "WH1"
    assert bin_.parent == "WH1-A"
    assert bin_.kind == "internal"
    assert bin_.capacity == Decimal("12.5")
    assert bin_.allowed_item_types == ["consumable", "spare_part"]
    assert bin_.is_virtual is False


def test_create_location_refuses_virtual_kind(ready: Database) -> None:
    create_warehouse(ready, CTX, WarehouseInput("WH1", "Main"))

    with pytest.raises(RuleViolation) as caught:
        create_location(ready, CTX, LocationInput("X", "X", kind="scrap", warehouse="WH1"))

    assert caught.value.code == "virtual_kind_reserved"
    assert _count(ready, locations) == 6


def test_create_location_refuses_missing_warehouse(ready: Database) -> None:
    with pytest.raises(NotFound) as caught:
        create_location(ready, CTX, LocationInput("X", "X", warehouse="NOPE"))

    assert caught.value.code == "warehouse_not_found"
    assert _count(ready, locations) == 0


# ------------------------------------------------------------------ more warehouse cases


def _stock(db: Database, location_code: str, on_hand: int) -> None:
    """Put a balance row in place (as the ledger would), for the deactivation rules."""
    with db.write() as uow:
        loc = uow.conn.execute(
            select(locations.c.id, locations.c.warehouse_id).where(
                locations.c.code == location_code
            )
        ).one()
        item_id = uow.conn.execute(
            insert(items)
            .values(
                code=f"I-{location_code}",
                name="x",
                item_type="consumable",
                base_unit="pcs",
                tracking="none",
                costing_method="fifo",
                created_at=NOW,
                updated_at=NOW,
            )
            .returning(items.c.id)
        ).scalar_one()
        uow.conn.execute(
            insert(balances).values(
                item_id=item_id,
                location_id=loc.id,
                lot_key=0,
                warehouse_id=loc.warehouse_id,
                on_hand=on_hand,
            )
        )
        uow.commit()


@pytest.fixture
def site(ready: Database) -> Database:
    create_warehouse(ready, CTX, WarehouseInput("WH1", "Main"))
    create_location(ready, CTX, LocationInput("A", "Zone A", warehouse="WH1", level="zone"))
    create_location(ready, CTX, LocationInput("A-01", "Aisle 1", parent="A", level="aisle"))
    create_location(ready, CTX, LocationInput("A-01-01", "Bin 1", parent="A-01", level="bin"))
    create_location(ready, CTX, LocationInput("B", "Zone B", warehouse="WH1", level="zone"))
    return ready


def test_update_warehouse_changes_fields_and_bumps_version(ready: Database) -> None:
    create_warehouse(ready, CTX, WarehouseInput("WH1", "Main", address="Road 1"))

    updated = update_warehouse(
        ready, CTX, "WH1", WarehouseChanges(name="Central", address=None, version=1)
    )

    assert (updated.name, updated.address, updated.version) == ("Central", None, 2)
    assert updated.allow_negative_stock is False


def test_update_warehouse_refuses_stale_version(ready: Database) -> None:
    create_warehouse(ready, CTX, WarehouseInput("WH1", "Main"))
    update_warehouse(ready, CTX, "WH1", WarehouseChanges(name="Second"))

    with pytest.raises(Conflict) as caught:
        update_warehouse(ready, CTX, "WH1", WarehouseChanges(name="Third", version=1))

    assert caught.value.code == "version_conflict"
    assert get_warehouse(ready, "WH1").name == "Second"


def test_deactivate_warehouse_refused_while_it_holds_stock(site: Database) -> None:
    _stock(site, "A-01-01", 5_000_000)

    with pytest.raises(RuleViolation) as caught:
        deactivate_warehouse(site, CTX, "WH1")

    assert caught.value.code == "warehouse_has_stock"
    assert get_warehouse(site, "WH1").active is True


def test_deactivate_warehouse_ignores_virtual_balances(site: Database) -> None:
    _stock(site, "WH1/SUPPLIER", -5_000_000)

    closed = deactivate_warehouse(site, CTX, "WH1")
    reopened = reactivate_warehouse(site, CTX, "WH1")

    assert (closed.active, closed.version) == (False, 2)
    assert (reopened.active, reopened.version) == (True, 3)


def test_list_warehouses_searches_and_pages(ready: Database) -> None:
    for code in ("WH1", "WH2", "OUT"):
        create_warehouse(ready, CTX, WarehouseInput(code, f"Store {code}"))

    page = list_warehouses(ready, q="wh", limit=1, offset=1)

    assert [w.code for w in page.items] == ["WH2"]
    assert (page.total, page.limit, page.offset) == (2, 1, 1)


# ------------------------------------------------------------------ more location cases


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (LocationInput("A B", "x", warehouse="WH1"), InvalidInput, "invalid_code"),
        (LocationInput("X/SCRAP", "x", warehouse="WH1"), InvalidInput, "location_code_reserved"),
        (LocationInput("X", "  ", warehouse="WH1"), InvalidInput, "invalid_name"),
        (
            LocationInput("X", "x", kind="attic", warehouse="WH1"),
            InvalidInput,
            "invalid_location_kind",
        ),
        (LocationInput("X", "x"), InvalidInput, "warehouse_required"),
        (LocationInput("X", "x", warehouse="WH2", parent="A"), InvalidInput, "warehouse_mismatch"),
        (
            LocationInput("X", "x", warehouse="WH1", capacity="0"),
            InvalidInput,
            "quantity_not_positive",
        ),
        (
            LocationInput("X", "x", warehouse="WH1", allowed_item_types=["gold"]),
            InvalidInput,
            "invalid_item_type",
        ),
        (LocationInput("X", "x", parent="WH1/SUPPLIER"), RuleViolation, "virtual_parent"),
        (LocationInput("A", "x", warehouse="WH1"), Conflict, "location_code_taken"),
        (LocationInput("X", "x", parent="NOPE"), NotFound, "location_not_found"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_create_location_refusals(
    site: Database, data: LocationInput, error: type[Exception], code: str
) -> None:
    create_warehouse(site, CTX, WarehouseInput("WH2", "Other"))
    before = _count(site, locations)

    with pytest.raises(error) as caught:
        create_location(site, CTX, data)

    assert caught.value.code == code  # type: ignore[attr-defined]
    assert _count(site, locations) == before


def test_move_location_rewrites_subtree_paths(site: Database) -> None:
    b = get_location(site, "B")

    moved = update_location(site, CTX, "A-01", LocationChanges(parent="B"))

    bin_ = get_location(site, "A-01-01")
    assert moved.parent == "B"
    assert moved.path == f"{b.path}{moved.id}/"
    assert bin_.path == f"{b.path}{moved.id}/{bin_.id}/"
    assert [loc.code for loc in location_subtree(site, "B").items] == ["A-01", "A-01-01"]
    assert location_subtree(site, "A").total == 0


def test_move_location_to_root(site: Database) -> None:
    moved = update_location(site, CTX, "A-01", LocationChanges(parent=None))

    assert moved.parent is None
    assert moved.path == f"/{moved.id}/"
    assert get_location(site, "A-01-01").path == f"/{moved.id}/{get_location(site, 'A-01-01').id}/"


@pytest.mark.parametrize(
    ("code", "parent", "error"),
    [
        ("A", "A-01-01", "location_cycle"),
        ("A", "A", "location_cycle"),
        ("A", "W2-A", "cross_warehouse_move"),
        ("A", "WH1/TRANSIT", "virtual_parent"),
        ("WH1/SCRAP", "A", "virtual_location_fixed"),
    ],
)
def test_move_location_refusals(site: Database, code: str, parent: str, error: str) -> None:
    create_warehouse(site, CTX, WarehouseInput("W2", "Other"))
    create_location(site, CTX, LocationInput("W2-A", "Other zone", warehouse="W2"))
    before = get_location(site, code)

    with pytest.raises(RuleViolation) as caught:
        update_location(site, CTX, code, LocationChanges(parent=parent))

    assert caught.value.code == error
    assert get_location(site, code) == before


def test_update_location_fields(site: Database) -> None:
    updated = update_location(
        site,
        CTX,
        "A-01-01",
        LocationChanges(
            name="Bin one", capacity="7", allowed_item_types=["raw_material"], version=1
        ),
    )

    assert (updated.name, updated.capacity, updated.allowed_item_types) == (
        "Bin one",
        Decimal("7"),
        ["raw_material"],
    )
    assert updated.version == 2


def test_virtual_location_may_be_renamed_only(site: Database) -> None:
    renamed = update_location(site, CTX, "WH1/SCRAP", LocationChanges(name="Scrapyard"))

    assert renamed.name == "Scrapyard"
    with pytest.raises(RuleViolation) as caught:
        update_location(site, CTX, "WH1/SCRAP", LocationChanges(level="bin"))
    assert caught.value.code == "virtual_location_fixed"


def test_deactivate_location_refused_when_subtree_holds_stock(site: Database) -> None:
    _stock(site, "A-01-01", 1_000_000)

    with pytest.raises(RuleViolation) as caught:
        deactivate_location(site, CTX, "A")

    assert caught.value.code == "location_has_stock"
    assert get_location(site, "A").active is True


def test_deactivate_location_refusals_for_virtual_and_active_children(site: Database) -> None:
    with pytest.raises(RuleViolation) as virtual:
        deactivate_location(site, CTX, "WH1/SUPPLIER")
    with pytest.raises(RuleViolation) as parent:
        deactivate_location(site, CTX, "A-01")

    assert virtual.value.code == "virtual_location_fixed"
    assert parent.value.code == "location_has_active_children"
    assert get_location(site, "A-01").active is True


def test_deactivate_and_reactivate_location(site: Database) -> None:
    closed = deactivate_location(site, CTX, "A-01-01")
    parent_closed = deactivate_location(site, CTX, "A-01")

    with pytest.raises(RuleViolation) as caught:
        reactivate_location(site, CTX, "A-01-01")
    reopened = [reactivate_location(site, CTX, c) for c in ("A-01", "A-01-01")]

    assert (closed.active, parent_closed.active) == (False, False)
    assert caught.value.code == "parent_inactive"
    assert [loc.active for loc in reopened] == [True, True]


def test_list_locations_filters(site: Database) -> None:
    storage = list_locations(site, warehouse="WH1")
    everything = list_locations(site, warehouse="WH1", include_virtual=True, limit=500)
    children = list_locations(site, parent="A")
    scrap = list_locations(site, kind="scrap")
    found = list_locations(site, q="ZONE")

    assert [loc.code for loc in storage.items] == ["A", "A-01", "A-01-01", "B"]
    assert everything.total == 10
    assert [loc.code for loc in children.items] == ["A-01"]
    assert [loc.code for loc in scrap.items] == ["WH1/SCRAP"]
    assert [loc.code for loc in found.items] == ["A", "B"]


def test_get_virtual_location(site: Database) -> None:
    supplier = get_location(site, "WH1/SUPPLIER")

    assert (supplier.kind, supplier.is_virtual, supplier.warehouse) == ("supplier", True, "WH1")


def test_warehouse_tree_is_depth_first(site: Database) -> None:
    nodes = warehouse_tree(site, "WH1")

    assert [(n.location.code, n.depth) for n in nodes] == [
        ("A", 0),
        ("A-01", 1),
        ("A-01-01", 2),
        ("B", 0),
    ]


def test_sql_and_html_in_names_round_trip(ready: Database) -> None:
    name = "<script>alert('x')</script>'; DROP TABLE warehouses; --"

    create_warehouse(ready, CTX, WarehouseInput("WH1", name, address=name))
    loc = create_location(ready, CTX, LocationInput("X1", name, warehouse="WH1"))

    assert get_warehouse(ready, "WH1").name == name
    assert get_warehouse(ready, "WH1").address == name
    assert get_location(ready, loc.code).name == name
