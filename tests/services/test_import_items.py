"""Importing items and categories: create, update, unchanged, every refusal, Chinese headers,
CSV and XLSX, the dry run writes nothing, one bad row refuses the whole file."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from cangku.db.catalog import load_item
from cangku.db.tables import audit_log, categories, items
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, PermissionDenied
from cangku.services.bulk import BulkMove, post_bulk
from cangku.services.common import Context
from cangku.services.imports import ImportRejected, export_rows_of, import_file
from cangku.services.imports.files import write_file
from tests.auth import user_with_roles
from tests.factories import CTX, build_company
from tests.importing import count, csv_file

HEAD = "code,name,item_type,category,base_unit,units,barcodes,safety_stock,reorder_point,max_stock"


def csv(*lines: str, head: str = HEAD) -> bytes:
    return csv_file(head, *lines)


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    return db


def test_items_are_created_with_units_barcodes_and_category_paths(company: Database) -> None:
    data = csv("NUT,Hex nut M8,spare_part,HW/NUTS,pcs,box=100; carton=1000,111; 222=box,5,10,50")
    summary = import_file(company, CTX, "items", data)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 0, 0)
    with company.read() as conn:
        item = load_item(
            conn, conn.execute(select(items.c.id).where(items.c.code == "NUT")).scalar_one()
        )
        paths = dict(conn.execute(select(categories.c.code, categories.c.parent_id)).all())
    assert [(u.unit, u.factor) for u in item.units] == [
        ("box", Decimal(100)),
        ("carton", Decimal(1000)),
    ]
    assert [(b.barcode, b.unit) for b in item.barcodes] == [("111", None), ("222", "box")]
    assert (item.category, item.safety_stock, item.max_stock) == ("NUTS", Decimal(5), Decimal(50))
    assert paths["HW"] is None and paths["NUTS"] is not None


def test_the_same_file_again_is_unchanged_and_a_changed_row_is_updated(company: Database) -> None:
    first = csv("NUT,Hex nut,spare_part,,pcs,box=100,111,,,", "WASHER,Washer,spare_part,,pcs,,,,,")
    import_file(company, CTX, "items", first)
    again = import_file(company, CTX, "items", first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = csv(
        "NUT,Hex nut M8,spare_part,,pcs,box=50,111,,,", "WASHER,Washer,spare_part,,pcs,,,,,"
    )
    summary = import_file(company, CTX, "items", changed)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    with company.read() as conn:
        row = conn.execute(select(items.c.name, items.c.version).where(items.c.code == "NUT")).one()
    assert tuple(row) == ("Hex nut M8", 2)


def test_an_existing_item_keeps_the_fields_the_file_leaves_out(company: Database) -> None:
    summary = import_file(
        company, CTX, "items", csv("BOLT,Hex bolt M8,spare_part", head="code,name,item_type")
    )
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)


def test_chinese_headers_and_xlsx_are_read_alike(company: Database) -> None:
    data = write_file(
        "xlsx", ["物料编码", "名称", "物料类型", "条码"], [["NUT", "螺母", "spare_part", 6901234]]
    )
    summary = import_file(company, CTX, "items", data)
    assert summary.created == 1
    with company.read() as conn:
        item = load_item(
            conn, conn.execute(select(items.c.id).where(items.c.code == "NUT")).scalar_one()
        )
    assert (item.name, [b.barcode for b in item.barcodes]) == ("螺母", ["6901234"])


def test_the_dry_run_reports_and_writes_nothing(company: Database) -> None:
    before = (count(company, items), count(company, audit_log))
    summary = import_file(
        company, CTX, "items", csv("NUT,Nut,spare_part,NEW/CAT,,,,,,"), dry_run=True
    )
    assert (summary.dry_run, summary.created, summary.errors) == (True, 1, [])
    assert (count(company, items), count(company, audit_log)) == before
    assert count(company, categories) == 0


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        ("X" * 65 + ",Nut,spare_part,,,,,,,", "code", "invalid_code"),
        ("NUT,,spare_part,,,,,,,", "name", "import_cell_required"),
        ("NUT,Nut,gadget,,,,,,,", "item_type", "invalid_item_type"),
        ("NUT,Nut,spare_part,,parsec,,,,,", "base_unit", "unit_not_found"),
        ("NUT,Nut,spare_part,,,box=0,,,,", "units", "invalid_factor"),
        ("NUT,Nut,spare_part,,,box=2; box=3,,,,", "units", "duplicate_unit"),
        ("NUT,Nut,spare_part,,,pcs=1,,,,", "units", "base_unit_conversion"),
        ("NUT,Nut,spare_part,,,box,,,,", "units", "invalid_list"),
        ("NUT,Nut,spare_part,,,,1 2,,,", "barcodes", "invalid_barcode"),
        ("NUT,Nut,spare_part,,,,7; 7,,,", "barcodes", "duplicate_barcode"),
        ("NUT,Nut,spare_part,,,,7=box,,,", "barcodes", "unit_not_convertible"),
        ("NUT,Nut,spare_part,,,,6901234567892,,,", "barcodes", "barcode_taken"),
        ("NUT,Nut,spare_part,,,,,1.5,,", "safety_stock", "too_many_decimals"),
        ("NUT,Nut,spare_part,,,,,-1,,", "safety_stock", "negative_value"),
        ("NUT,Nut,spare_part,,,,,9,5,", "safety_stock", "invalid_stock_levels"),
        ("NUT,Nut,spare_part,,,,,x,,", "safety_stock", "invalid_number"),
        ("BOLT,Bolt,spare_part,,kg,,,,,", "base_unit", "item_has_moves"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(
    company: Database, line: str, column: str, code: str
) -> None:
    post_bulk(
        company, CTX, [BulkMove("BOLT", "1", "WH1/SUPPLIER", "WH1-A", "receive", unit_cost="1")]
    )
    before = (count(company, items), count(company, audit_log))
    data = csv("GOOD,Good item,spare_part,,,,,,,", line)
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "items", data)
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(3, column, code)]
    assert refused.value.code == "import_rows_invalid"
    assert (count(company, items), count(company, audit_log)) == before


@pytest.mark.parametrize(
    ("extra", "path", "code"),
    [
        ("", "A/ /B", "invalid_code"),
        ("TOOLS,Tools,\nHAND,Hand,TOOLS\n", "OTHER/HAND", "category_path_mismatch"),
    ],
)
def test_category_paths_are_checked(company: Database, extra: str, path: str, code: str) -> None:
    if extra:
        import_file(company, CTX, "categories", f"code,name,parent\n{extra}".encode())
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "items", csv(f"NUT,Nut,spare_part,{path},,,,,,"))
    assert [(e.column, e.code) for e in refused.value.errors] == [("category", code)]


def test_a_barcode_given_up_by_one_item_of_the_file_may_go_to_another(company: Database) -> None:
    data = csv(
        "BOLT,Hex bolt M8,spare_part,,pcs,box=12,,,,", "NUT,Nut,spare_part,,,,6901234567892,,,"
    )
    summary = import_file(company, CTX, "items", data)
    assert (summary.created, summary.updated) == (1, 1)


def test_file_problems_are_refused_before_any_row(company: Database) -> None:
    for data, code in [
        (b"", "import_empty_file"),
        (b"code,name,colour\n", "import_unknown_columns"),
        (b"code,name\n", "import_missing_columns"),
        (b"code,Code,name,item_type\n", "import_duplicate_columns"),
        (b"\xff\xfe\x00", "file_not_utf8"),
        (b"PK\x03\x04broken", "file_unreadable"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            import_file(company, CTX, "items", data)
        assert refused.value.code == code


def test_one_audit_entry_summarises_the_import(company: Database) -> None:
    before = count(company, audit_log)
    import_file(company, CTX, "items", csv("A,A,spare_part,,,,,,,", "B,B,spare_part,,,,,,,"))
    with company.read() as conn:
        entry = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc())).first()
    assert count(company, audit_log) == before + 1
    assert entry is not None and (entry.action, entry.target) == ("item.import", "items")
    assert '"created":2' in entry.details.replace(" ", "")


def test_categories_are_created_moved_and_renamed_parents_first(company: Database) -> None:
    first = import_file(
        company, CTX, "categories", b"code,name,parent\nBOLTS,Bolts,HW\nHW,Hardware,\n"
    )
    assert first.created == 2
    second = import_file(
        company, CTX, "categories", "分类编码,名称,上级分类\nBOLTS,螺栓,\nHW,Hardware,\n".encode()
    )
    assert (second.updated, second.unchanged) == (1, 1)
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "categories", b"code,name,parent\nA,A,B\nB,B,A\n")
    assert {e.code for e in refused.value.errors} == {"category_cycle"}


def test_a_viewer_may_not_import(company: Database) -> None:
    token_user = "viewer1"
    user_with_roles(company, token_user, ("viewer", None))
    with pytest.raises(PermissionDenied):
        import_file(
            company, Context(token_user), "items", csv("A,A,spare_part,,,,,,,"), dry_run=True
        )


# ---------------------------------------------------------------- allocation strategy (issue 13)


def _strategies(db: Database) -> dict[str, str | None]:
    with db.read() as conn:
        rows = conn.execute(select(items.c.code, items.c.allocation_strategy))
        return {row.code: row.allocation_strategy for row in rows}


def test_the_allocation_strategy_column_sets_keeps_and_clears(company: Database) -> None:
    head = "code,name,item_type,allocation_strategy"
    first = import_file(
        company,
        CTX,
        "items",
        csv(
            "NUT,Nut,spare_part,fefo",
            "WASHER,Washer,spare_part,",
            "BOLT,Hex bolt M8,spare_part,fifo",
            head=head,
        ),
    )
    assert (first.created, first.updated, first.unchanged) == (2, 1, 0)
    assert {k: v for k, v in _strategies(company).items() if k in {"NUT", "WASHER", "BOLT"}} == {
        "NUT": "fefo",
        "WASHER": None,
        "BOLT": "fifo",
    }
    # a file without the column leaves it as it is
    kept = import_file(company, CTX, "items", csv("NUT,Nut,spare_part", head="code,name,item_type"))
    assert (kept.updated, kept.unchanged, _strategies(company)["NUT"]) == (0, 1, "fefo")
    # an empty cell is the default; the Chinese header is read alike
    cleared = import_file(
        company, CTX, "items", "物料编码,名称,物料类型,出库分配\nNUT,Nut,spare_part,\n".encode()
    )
    assert (cleared.updated, _strategies(company)["NUT"]) == (1, None)


@pytest.mark.parametrize("cell", ["lifo", "FEFO", "default"])
def test_an_unknown_allocation_strategy_refuses_the_file(company: Database, cell: str) -> None:
    before = (count(company, items), count(company, audit_log), _strategies(company))
    data = csv(
        "GOOD,Good item,spare_part,fefo",
        f"BOLT,Hex bolt M8,spare_part,{cell}",
        head="code,name,item_type,allocation_strategy",
    )
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "items", data)
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [
        (3, "allocation_strategy", "invalid_allocation_strategy")
    ]
    assert (count(company, items), count(company, audit_log), _strategies(company)) == before


def test_the_export_has_the_allocation_strategy_and_round_trips(company: Database) -> None:
    import_file(
        company,
        CTX,
        "items",
        csv("NUT,Nut,spare_part,fefo", head="code,name,item_type,allocation_strategy"),
    )
    exported = export_rows_of(company, CTX, "items")
    chinese = export_rows_of(company, CTX, "items", "zh_CN")
    column = exported.headers.index("allocation_strategy")
    assert exported.headers[-1] == "allocation_strategy"
    assert chinese.headers[column] == "出库分配"
    assert {row[0]: row[column] for row in exported.rows} == {
        "BOLT": None,
        "FLOUR": None,
        "GLUE": None,
        "NUT": "fefo",
        "PUMP": None,
    }
    again = import_file(company, CTX, "items", exported.file("csv"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
