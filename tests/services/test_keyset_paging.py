"""Keyset paging and sorting (``queries.common``): every row exactly once, in order, forward
and back, with ties broken by id; cursors and sorts that do not belong to the list refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cangku.db.tables import items
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput
from cangku.queries.common import Sorting, count_capped, keyset_page
from cangku.services.items import ItemInput, create_item
from tests.factories import CTX, build_company

SORTING = Sorting(
    {
        "code": items.c.code,
        "type": items.c.item_type,
        "lead": func.coalesce(items.c.lead_time_days, -1),
    },
    default="code",
    tiebreak=[items.c.id],
)
STMT = select(items.c.id, items.c.code)


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    return db


def walk(db: Database, sort: str, limit: int) -> tuple[list[str], list[list[str]]]:
    """Every page forward from the first, then every page back from the last."""
    key = SORTING.parse(sort)
    forward: list[list[str]] = []
    cursor = None
    with db.read() as conn:
        while True:
            rows, page = keyset_page(conn, STMT, SORTING, key, limit, cursor)
            forward.append([r.code for r in rows])
            last = page
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        back: list[list[str]] = []
        cursor = last.prev_cursor
        while cursor is not None:
            rows, page = keyset_page(conn, STMT, SORTING, key, limit, cursor)
            back.append([r.code for r in rows])
            cursor = page.prev_cursor
    return [c for p in forward for c in p], [forward[-1], *back][::-1] if back else forward


def test_pages_forward_and_back_give_every_row_once_in_order(company: Database) -> None:
    flat, pages = walk(company, "code", 3)
    assert flat == ["BOLT", "FLOUR", "GLUE", "PUMP"]
    assert pages == [["BOLT", "FLOUR", "GLUE"], ["PUMP"]]


def test_a_descending_sort_with_ties_breaks_them_by_id_and_walks_back_the_same(
    company: Database,
) -> None:
    for code in ("W1", "W2", "W3"):
        create_item(company, CTX, ItemInput(code=code, name=code, item_type="consumable"))
    with company.read() as conn:
        kinds = {r.code: (r.item_type, r.id) for r in conn.execute(select(*items.c))}
    flat, pages = walk(company, "-type", 2)
    expected = sorted(kinds, key=lambda c: kinds[c], reverse=True)
    assert flat == expected
    assert [c for p in pages for c in p] == expected
    assert [len(p) for p in pages] == [2, 2, 2, 1]


def test_a_cursor_of_another_sort_or_garbage_is_refused(company: Database) -> None:
    with company.read() as conn:
        _rows, page = keyset_page(conn, STMT, SORTING, SORTING.parse("code"), 2)
        assert page.next_cursor is not None and page.prev_cursor is None
        for sort, cursor in [
            ("-code", page.next_cursor),
            ("code", "not-a-cursor"),
            ("code", "e30"),
        ]:
            with pytest.raises(InvalidInput) as refused:
                keyset_page(conn, STMT, SORTING, SORTING.parse(sort), 2, cursor)
            assert refused.value.code == "invalid_cursor"


def test_an_unknown_sort_names_the_allowed_ones() -> None:
    with pytest.raises(InvalidInput) as refused:
        SORTING.parse("-price")
    assert refused.value.code == "invalid_sort"
    assert "code, type, lead" in refused.value.message


def test_counts_stop_at_the_cap(company: Database) -> None:
    with company.read() as conn:
        assert count_capped(conn, STMT, cap=3) == (3, False)
        assert count_capped(conn, STMT, cap=4) == (4, True)
        assert count_capped(conn, STMT, cap=10) == (4, True)


def test_a_cursor_on_a_true_false_column_walks_on(company: Database) -> None:
    sorting = Sorting({"active": items.c.active}, default="active", tiebreak=[items.c.id])
    key = sorting.parse("-active")
    with company.read() as conn:
        first, page = keyset_page(conn, STMT, sorting, key, 3)
        rest, _ = keyset_page(conn, STMT, sorting, key, 3, page.next_cursor)
    assert len(first) == 3 and len(rest) == 1
