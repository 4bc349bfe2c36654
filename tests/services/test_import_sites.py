"""Importing warehouses and locations: create, update, unchanged, location trees in any row
order, subtree moves, every refusal, Chinese headers; one bad row refuses the whole file."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.tables import audit_log, ledger_heads, locations, warehouses
from cangku.db.uow import Database
from cangku.domain.errors import PermissionDenied
from cangku.services.common import Context
from cangku.services.imports import ImportRejected, import_file
from cangku.services.warehouses import WarehouseInput, create_warehouse, deactivate_warehouse
from tests.auth import user_with_roles
from tests.factories import CTX, build_company
from tests.importing import count, last_audit_entries
from tests.importing import csv_file as csv

WAREHOUSES = "code,name,address,allow_negative_stock"
LOCATIONS = "code,name,warehouse,parent,kind,level,capacity,allowed_item_types"


def written(db: Database) -> tuple[int, int, int]:
    return count(db, warehouses), count(db, locations), count(db, audit_log)


def tree(db: Database, *codes: str) -> dict[str, tuple[str, str | None, str]]:
    """code -> (warehouse, parent code, path of codes from the root)."""
    with db.read() as conn:
        rows = conn.execute(
            select(
                locations.c.id,
                locations.c.code,
                locations.c.parent_id,
                locations.c.path,
                warehouses.c.code.label("warehouse"),
            ).join(warehouses, warehouses.c.id == locations.c.warehouse_id)
        ).all()
    by_id = {r.id: r.code for r in rows}
    return {
        r.code: (
            r.warehouse,
            by_id.get(r.parent_id),
            "/".join(by_id[int(i)] for i in r.path.strip("/").split("/")),
        )
        for r in rows
        if r.code in codes
    }


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    return db


def test_a_new_warehouse_comes_with_its_ledger_head_and_virtual_locations(
    company: Database,
) -> None:
    summary = import_file(
        company, CTX, "warehouses", csv(WAREHOUSES, "SH,Shanghai,88 Jinqiao Road,true")
    )
    assert (summary.created, summary.updated, summary.unchanged) == (1, 0, 0)
    with company.read() as conn:
        row = conn.execute(
            select(
                warehouses.c.id,
                warehouses.c.name,
                warehouses.c.address,
                warehouses.c.allow_negative_stock,
                warehouses.c.version,
            ).where(warehouses.c.code == "SH")
        ).one()
        virtual = sorted(
            conn.execute(
                select(locations.c.code, locations.c.kind).where(locations.c.warehouse_id == row.id)
            ).all()
        )
        heads = conn.execute(
            select(func.count())
            .select_from(ledger_heads)
            .where(ledger_heads.c.warehouse_id == row.id)
        ).scalar_one()
    assert (row.name, row.address, bool(row.allow_negative_stock), row.version) == (
        "Shanghai",
        "88 Jinqiao Road",
        True,
        1,
    )
    assert [tuple(v) for v in virtual] == [
        ("SH/ADJUSTMENT", "adjustment"),
        ("SH/CUSTOMER", "customer"),
        ("SH/PRODUCTION", "production"),
        ("SH/SCRAP", "scrap"),
        ("SH/SUPPLIER", "supplier"),
        ("SH/TRANSIT", "transit"),
    ]
    assert heads == 1


def test_warehouses_again_are_unchanged_and_a_changed_row_is_updated(company: Database) -> None:
    first = csv(WAREHOUSES, "WH1,Main warehouse,,false", "SH,Shanghai,,false")
    summary = import_file(company, CTX, "warehouses", first)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 0, 1)
    again = import_file(company, CTX, "warehouses", first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = csv(WAREHOUSES, "WH1,Main warehouse,1 Road,yes", "SH,Shanghai,,false")
    summary = import_file(company, CTX, "warehouses", changed)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    with company.read() as conn:
        row = conn.execute(
            select(
                warehouses.c.address, warehouses.c.allow_negative_stock, warehouses.c.version
            ).where(warehouses.c.code == "WH1")
        ).one()
    assert (row.address, bool(row.allow_negative_stock), row.version) == ("1 Road", True, 2)


def test_a_warehouse_keeps_the_fields_the_file_leaves_out(company: Database) -> None:
    import_file(company, CTX, "warehouses", csv(WAREHOUSES, "WH2,Second warehouse,Somewhere,"))
    summary = import_file(company, CTX, "warehouses", csv("code,name", "WH2,Second warehouse"))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)
    with company.read() as conn:
        address = conn.execute(
            select(warehouses.c.address).where(warehouses.c.code == "WH2")
        ).scalar_one()
    assert address == "Somewhere"


def test_warehouses_and_locations_take_chinese_headers(company: Database) -> None:
    summary = import_file(
        company, CTX, "warehouses", "仓库编码,名称,地址,允许负库存\nBJ,北京仓,朝阳区,否\n".encode()
    )
    assert summary.created == 1
    head = "库位编码,名称,仓库,上级库位,库位类型,层级,容量,允许物料类型"
    data = f"{head}\nBJ-A,甲区,BJ,,internal,zone,,\n"
    summary = import_file(company, CTX, "locations", data.encode())
    assert summary.created == 1
    with company.read() as conn:
        row = conn.execute(
            select(locations.c.name, locations.c.level).where(locations.c.code == "BJ-A")
        ).one()
    assert tuple(row) == ("甲区", "zone")
    assert tree(company, "BJ-A") == {"BJ-A": ("BJ", None, "BJ-A")}


def test_a_location_tree_may_list_children_before_their_parents(company: Database) -> None:
    data = csv(
        LOCATIONS,
        "SH-A-01-1,Shelf 1,,SH-A-01,,bin,2.5,spare_part; consumable",
        "SH-A-01,Rack 01,,SH-A,,rack,,",
        "SH-A,Aisle A,SH,,internal,aisle,,",
        "SH-Q,Quality,SH,,quality,,,",
    )
    import_file(company, CTX, "warehouses", csv(WAREHOUSES, "SH,Shanghai,,"))
    summary = import_file(company, CTX, "locations", data)
    assert (summary.created, summary.updated, summary.unchanged) == (4, 0, 0)
    assert tree(company, "SH-A", "SH-A-01", "SH-A-01-1", "SH-Q") == {
        "SH-A": ("SH", None, "SH-A"),
        "SH-A-01": ("SH", "SH-A", "SH-A/SH-A-01"),
        "SH-A-01-1": ("SH", "SH-A-01", "SH-A/SH-A-01/SH-A-01-1"),
        "SH-Q": ("SH", None, "SH-Q"),
    }
    with company.read() as conn:
        row = conn.execute(
            select(
                locations.c.kind,
                locations.c.level,
                locations.c.capacity,
                locations.c.allowed_item_types,
            ).where(locations.c.code == "SH-A-01-1")
        ).one()
        kind = conn.execute(select(locations.c.kind).where(locations.c.code == "SH-Q")).scalar_one()
    assert tuple(row) == ("internal", "bin", 2_500_000, "consumable,spare_part")
    assert kind == "quality"
    again = import_file(company, CTX, "locations", data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_locations_are_updated_and_a_new_parent_moves_the_subtree(company: Database) -> None:
    data = csv(
        "code,name,parent,level",
        "WH1-A,Aisle A,WH1-B,aisle",
        "WH1-B,Location WH1-B,,",
        "WH1-RCV,Location WH1-RCV,,",
    )
    summary = import_file(company, CTX, "locations", data)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 2)
    assert tree(company, "WH1-A", "WH1-A-01", "WH1-B") == {
        "WH1-A": ("WH1", "WH1-B", "WH1-B/WH1-A"),
        "WH1-A-01": ("WH1", "WH1-A", "WH1-B/WH1-A/WH1-A-01"),
        "WH1-B": ("WH1", None, "WH1-B"),
    }
    with company.read() as conn:
        row = conn.execute(
            select(
                locations.c.name, locations.c.level, locations.c.kind, locations.c.version
            ).where(locations.c.code == "WH1-A")
        ).one()
    assert tuple(row) == ("Aisle A", "aisle", "internal", 2)


def test_a_location_keeps_the_fields_the_file_leaves_out(company: Database) -> None:
    import_file(
        company,
        CTX,
        "locations",
        csv(LOCATIONS, "WH1-B,Location WH1-B,WH1,,,bin,7,raw_material"),
    )
    summary = import_file(company, CTX, "locations", csv("code,name", "WH1-B,Location WH1-B"))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)
    with company.read() as conn:
        row = conn.execute(
            select(locations.c.level, locations.c.capacity, locations.c.allowed_item_types).where(
                locations.c.code == "WH1-B"
            )
        ).one()
    assert tuple(row) == ("bin", 7 * 10**6, "raw_material")
    assert Decimal(row.capacity) / 10**6 == Decimal(7)


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        pytest.param("W H,Name,,", "code", "invalid_code", id="code-with-space"),
        pytest.param("W" * 33 + ",Name,,", "code", "invalid_code", id="code-too-long"),
        pytest.param("WX," + "n" * 201 + ",,", "name", "invalid_name", id="name-too-long"),
        pytest.param("WX,,,", "name", "import_cell_required", id="name-empty"),
        pytest.param("WX,Name,,maybe", "allow_negative_stock", "invalid_boolean", id="flag"),
        pytest.param("GOOD,Again,,", "code", "import_duplicate_row", id="duplicate-row"),
    ],
)
def test_a_bad_warehouse_row_refuses_the_whole_file(
    company: Database, line: str, column: str, code: str
) -> None:
    before = written(company)
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "warehouses", csv(WAREHOUSES, "GOOD,Good,,", line))
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(3, column, code)]
    assert refused.value.code == "import_rows_invalid"
    assert written(company) == before


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        pytest.param("X 1,Name,WH1,,,,,", "code", "invalid_code", id="code-with-space"),
        pytest.param("X/SCRAP,Name,WH1,,,,,", "code", "location_code_reserved", id="reserved"),
        pytest.param("X1," + "n" * 201 + ",WH1,,,,,", "name", "invalid_name", id="long-name"),
        pytest.param("X1,,WH1,,,,,", "name", "import_cell_required", id="name-empty"),
        pytest.param("X1,Name,WH1,,attic,,,", "kind", "invalid_location_kind", id="kind"),
        pytest.param("X1,Name,WH1,,supplier,,,", "kind", "virtual_kind_reserved", id="virtual"),
        pytest.param("X1,Name,WH1,,," + "l" * 21 + ",,", "level", "invalid_level", id="level"),
        pytest.param("X1,Name,WH1,,,,0,", "capacity", "quantity_not_positive", id="capacity"),
        pytest.param(
            "X1,Name,WH1,,,,,gadget", "allowed_item_types", "invalid_item_type", id="type"
        ),
        pytest.param("X1,Name,,,,,,", "warehouse", "warehouse_required", id="no-home"),
        pytest.param("X1,Name,NOPE,,,,,", "warehouse", "warehouse_not_found", id="no-warehouse"),
        pytest.param("X1,Name,WH3,,,,,", "warehouse", "warehouse_inactive", id="inactive"),
        pytest.param("X1,Name,WH2,WH1-A,,,,", "warehouse", "warehouse_mismatch", id="mismatch"),
        pytest.param("X1,Name,,NOPE,,,,", "parent", "location_not_found", id="no-parent"),
        pytest.param("X1,Name,,X1,,,,", "parent", "location_cycle", id="own-parent"),
        pytest.param("WH1-A,Name,,WH1-A-01,,,,", "parent", "location_cycle", id="below-itself"),
        pytest.param(
            "X1,Name,,WH1/ADJUSTMENT,,,,", "parent", "virtual_parent", id="virtual-parent"
        ),
        pytest.param("WH1-B,Name,WH2,,,,,", "warehouse", "cross_warehouse_move", id="cross"),
        pytest.param("GOOD,Again,WH1,,,,,", "code", "import_duplicate_row", id="duplicate-row"),
    ],
)
def test_a_bad_location_row_refuses_the_whole_file(
    company: Database, line: str, column: str, code: str
) -> None:
    create_warehouse(company, CTX, WarehouseInput("WH3", "Closed warehouse"))
    deactivate_warehouse(company, CTX, "WH3")
    before = written(company)
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "locations", csv(LOCATIONS, "GOOD,Good,WH1,,,,,", line))
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(3, column, code)]
    assert refused.value.code == "import_rows_invalid"
    assert written(company) == before


def test_a_cycle_within_the_file_is_refused(company: Database) -> None:
    before = written(company)
    data = csv(LOCATIONS, "X1,One,,X2,,,,", "X2,Two,,X1,,,,")
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "locations", data)
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [
        (2, "parent", "location_cycle"),
        (3, "parent", "location_cycle"),
    ]
    assert written(company) == before


def test_the_dry_run_reports_every_problem_and_writes_nothing(company: Database) -> None:
    before = written(company)
    data = csv(LOCATIONS, "X1,One,WH1,,,,,", "X2,Two,,,,,,", "X3,Three,WH9,,,,,")
    summary = import_file(company, CTX, "locations", data, dry_run=True)
    assert (summary.dry_run, summary.created) == (True, 1)
    assert [(e.row, e.code) for e in summary.errors] == [
        (3, "warehouse_required"),
        (4, "warehouse_not_found"),
    ]
    assert written(company) == before


def test_one_audit_entry_summarises_each_import(company: Database) -> None:
    before = count(company, audit_log)
    import_file(company, CTX, "warehouses", csv(WAREHOUSES, "SH,Shanghai,,"))
    import_file(company, CTX, "locations", csv(LOCATIONS, "SH-A,A,SH,,,,,", "SH-B,B,SH,,,,,"))
    entries = last_audit_entries(company, 2)
    assert count(company, audit_log) == before + 2
    assert [(e.action, e.target) for e in entries] == [
        ("location.import", "locations"),
        ("warehouse.import", "warehouses"),
    ]
    assert '"created":2' in entries[0].details.replace(" ", "")


def test_a_viewer_may_not_import_sites(company: Database) -> None:
    user_with_roles(company, "viewer1", ("viewer", None))
    for kind, data in [
        ("warehouses", csv(WAREHOUSES, "SH,Shanghai,,")),
        ("locations", csv(LOCATIONS, "X1,One,WH1,,,,,")),
    ]:
        with pytest.raises(PermissionDenied):
            import_file(company, Context("viewer1"), kind, data, dry_run=True)
