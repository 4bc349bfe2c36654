"""The array forms of the posting path's batch statements (PostgreSQL, db/arrays.py)."""

from __future__ import annotations

import pytest

from cangku.db import arrays, balances, costs


def test_an_upsert_keeps_its_literals_and_its_conflict_clause() -> None:
    assert arrays.form(balances._ADD_BALANCES, 32) == (
        "INSERT INTO balances (item_id, location_id, lot_key, lot_id, warehouse_id, on_hand,"
        " reserved) SELECT u.c1, u.c2, u.c3, u.c4, u.c5, u.c6, 0 FROM unnest(%s::BIGINT[],"
        " %s::BIGINT[], %s::BIGINT[], %s::BIGINT[], %s::BIGINT[], %s::BIGINT[])"
        " AS u(c1, c2, c3, c4, c5, c6) ON CONFLICT (item_id, location_id, lot_key)"
        " DO UPDATE SET on_hand = balances.on_hand + excluded.on_hand"
    )


def test_an_update_takes_its_key_from_the_arrays() -> None:
    assert arrays.form(costs._UPDATE_LAYER, 100) == (
        "UPDATE cost_layers SET remaining_qty = u.c1, remaining_value = u.c2"
        " FROM unnest(%s::BIGINT[], %s::BIGINT[], %s::BIGINT[]) AS u(c1, c2, c3) WHERE id = u.c3"
    )


def test_small_batches_and_unregistered_statements_keep_the_executemany() -> None:
    assert arrays.form(costs._UPDATE_LAYER, 31) is None
    assert arrays.form("UPDATE items SET name = %s WHERE id = %s", 1000) is None


def test_columns_are_typed_from_the_tables_even_when_every_value_is_null() -> None:
    from cangku.db import ledger

    form = arrays.form(ledger._INSERT_MOVES, 32)
    assert form is not None
    assert "%s::TIMESTAMP WITH TIME ZONE[]" in form and "%s::VARCHAR(64)[]" in form
    assert arrays.columns([(1, None, "a"), (2, None, "b")]) == [[1, 2], [None, None], ["a", "b"]]


@pytest.mark.parametrize(
    "sql",
    ["DELETE FROM moves WHERE id = %s", "UPDATE items SET name = upper(%s) WHERE id = %s"],
)
def test_a_statement_of_another_shape_is_refused_when_registered(sql: str) -> None:
    with pytest.raises(ValueError, match="cannot batch"):
        arrays.register(sql)
