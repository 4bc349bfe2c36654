"""Replenishment suggestions (issue 16 point 4, ADR 0033) on a real database: positions and
quantities worked out by hand (``tests.suggestion_factory``), transfer first from excess, the
budget and capacity cutting with ranking and reasons, and confirming into exactly the expected
draft orders and transfers, once (idempotent), nothing written on refusal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import select, update

from cangku.db.tables import (
    document_lines,
    documents,
    items,
    locations,
    lots,
    partners,
    warehouses,
)
from cangku.db.uow import Database
from cangku.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from cangku.queries.budgets import budget_rows
from cangku.queries.suggestions import SuggestionFilter, Suggestions, suggestions
from cangku.services.common import Context
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    confirm_order,
    create_purchase_order,
)
from cangku.services.locations import LocationInput, create_location
from cangku.services.replenishment.budgets import BudgetInput, delete_budget, save_budget
from cangku.services.replenishment.suggestions import (
    DocumentMade,
    OrderSuggestions,
    order_suggestions,
)
from cangku.services.reservations import reserve_stock
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive, Reservation
from cangku.services.transfers.requests import NewTransfer, TransferLineInput, create_transfer
from cangku.services.users import create_user
from tests.factories import CTX, build_company
from tests.snapshot import WATCHED, state
from tests.suggestion_factory import create_suggestion_story, set_levels_row

BUYER = Context(username="buyer")  # purchaser in WH1 only
PAM = Context(username="pam")  # purchaser in WH1, viewer in WH2
BOSS = Context(username="boss")  # warehouse manager in WH1
VIC = Context(username="vic")  # viewer everywhere
DOCS = [*WATCHED, documents, document_lines]


@pytest.fixture
def story(db: Database) -> Database:
    build_company(db)
    create_suggestion_story(db)
    for name, role, where in [
        ("buyer", "purchaser", "WH1"),
        ("boss", "warehouse_manager", "WH1"),
        ("vic", "viewer", None),
    ]:
        create_user(db, CTX, name, name.title(), roles=[(role, where)])
    create_user(db, CTX, "pam", "Pam", roles=[("purchaser", "WH1"), ("viewer", "WH2")])
    return db


def _now(db: Database, shown: SuggestionFilter | None = None) -> Suggestions:
    with db.read() as conn:
        return suggestions(conn, date.today(), None, shown)


def _rows(found: Suggestions) -> list[tuple[Any, ...]]:
    return [
        (ln.item, ln.warehouse, ln.source, ln.supplier or ln.from_warehouse, ln.wanted,
         ln.quantity, ln.rule, ln.reason)
        for ln in found.lines
    ]  # fmt: skip


def test_suggestions_worked_out_by_hand(story: Database) -> None:
    found = _now(story)
    # A first (WASHER, cover 2.5), B (NUT), then unclassed by code (GASKET, SPRING)
    assert _rows(found) == [
        ("WASHER", "WH1", "supplier", "ACME", D(48), D(48), "pack", None),
        ("NUT", "WH1", "transfer", "WH2", D(97), D(97), "transfer", None),
        ("GASKET", "WH1", "supplier", "ZETA", D(20), D(0), "max", "below_minimum"),
        ("SPRING", "WH1", "supplier", None, D(9), D(0), "to_max", "no_supplier"),
    ]
    washer = found.lines[0]
    assert (washer.on_hand, washer.on_order, washer.in_transit, washer.reserved) == (
        D(5), D(0), D(0), D(0)
    )  # fmt: skip
    assert (washer.position, washer.reorder_point, washer.order_up_to) == (D(5), D(20), D(50))
    assert (washer.pack_size, washer.minimum_order, washer.unit_price) == (D(12), D(30), D("2.5"))
    assert (washer.value, washer.price_source, washer.days_of_cover, washer.abc_class) == (
        D(120), "supplier", D("2.5"), "A"
    )  # fmt: skip
    nut = found.lines[1]
    assert (nut.days_of_cover, nut.abc_class, nut.value) == (D("6.0"), "B", None)
    assert [ln.key for ln in found.kept] == [("WASHER", "WH1", None), ("NUT", "WH1", "WH2")]
    assert [ln.item for ln in found.cut] == ["GASKET", "SPRING"]


def test_filters_choose_the_lines_shown(story: Database) -> None:
    assert [ln.item for ln in _now(story, SuggestionFilter(supplier="ACME")).lines] == ["WASHER"]
    assert [ln.item for ln in _now(story, SuggestionFilter(item="NUT")).lines] == ["NUT"]
    assert _now(story, SuggestionFilter(warehouse="WH2")).lines == []
    with pytest.raises(NotFound):
        _now(story, SuggestionFilter(category="nowhere"))


def test_what_is_on_order_and_on_the_way_counts(story: Database) -> None:
    # a confirmed order of 10 WASHER: position 15, shortfall 35 -> 3 packs = 36 (>= 30)
    order = NewPurchaseOrder("BETA", "WH1", [OrderLineInput("WASHER", "10")])
    confirm_order(story, CTX, create_purchase_order(story, CTX, order).number)
    washer = _now(story, SuggestionFilter(item="WASHER")).lines[0]
    assert (washer.on_order, washer.position, washer.quantity) == (D(10), D(15), D(36))
    # a draft transfer of 5 NUT from WH2: 5 on the way to WH1 (position 8, shortfall 92),
    # WH2's excess 200 - 5 leaving - 100 = 95: 92 more from WH2
    line = TransferLineInput("NUT", "5", "WH2-A")
    create_transfer(story, CTX, NewTransfer("WH2", "WH1", [line]))
    nut = _now(story, SuggestionFilter(item="NUT")).lines[0]
    assert (nut.in_transit, nut.position, nut.from_warehouse, nut.quantity) == (
        D(5), D(8), "WH2", D(92)
    )  # fmt: skip


def test_budget_cuts_in_rank_order_with_its_figures(story: Database) -> None:
    today = date.today()
    save_budget(story, CTX, BudgetInput(today, today, "100", warehouse="WH1"))
    washer = _now(story, SuggestionFilter(item="WASHER")).lines[0]
    # 100 / 2.5 = 40 -> 36 in packs of 12 (>= 30): value 90
    assert (washer.quantity, washer.value, washer.reason, washer.budget_left) == (
        D(36), D(90), "budget", D(100)
    )  # fmt: skip
    # a budget of another period or warehouse binds nothing
    save_budget(story, CTX, BudgetInput(today - timedelta(days=9), today - timedelta(days=1), "0"))
    save_budget(story, CTX, BudgetInput(today, today, "0", warehouse="WH2"))
    assert _now(story, SuggestionFilter(item="WASHER")).lines[0].quantity == D(36)


def test_capacity_cuts_the_most_urgent_last(story: Database) -> None:
    create_location(story, CTX, LocationInput("WH1-C", "Cage", warehouse="WH1", capacity="40"))
    found = _now(story)
    assert found.capacity == {"WH1": D(40)}
    washer, nut = found.lines[0], found.lines[1]
    # WASHER (A) first: 48 > 40 -> 36 in packs; NUT's transfer gets the 4 left
    assert (washer.quantity, washer.reason, washer.capacity_left) == (D(36), "capacity", D(40))
    assert (nut.quantity, nut.reason, nut.capacity_left) == (D(4), "capacity", D(4))


def _docs(db: Database) -> list[tuple[Any, ...]]:
    stmt = (
        select(
            documents.c.doc_type,
            documents.c.state,
            warehouses.c.code,
            partners.c.code,
            documents.c.to_warehouse_id,
            items.c.code,
            document_lines.c.quantity,
            document_lines.c.unit_price,
            locations.c.code,
        )  # fmt: skip
        .join(document_lines, document_lines.c.document_id == documents.c.id)
        .join(warehouses, warehouses.c.id == documents.c.warehouse_id)
        .join(items, items.c.id == document_lines.c.item_id)
        .outerjoin(partners, partners.c.id == documents.c.partner_id)
        .outerjoin(locations, locations.c.id == document_lines.c.location_id)
        .order_by(documents.c.id, document_lines.c.line_no)
    )
    with db.read() as conn:
        wh1 = conn.execute(select(warehouses.c.id).where(warehouses.c.code == "WH1")).scalar()
        return [
            (*r[:4], "WH1" if r[4] == wh1 else r[4], r[5], D(r[6]) / 10**6,
             None if r[7] is None else D(r[7]) / 10**6, r[8])
            for r in conn.execute(stmt)
        ]  # fmt: skip


def test_confirm_all_makes_one_draft_order_and_one_draft_transfer(story: Database) -> None:
    made = order_suggestions(story, CTX, OrderSuggestions())
    assert not made.replayed
    numbers = [doc.number for doc in made.documents]
    assert made.documents == [
        DocumentMade("purchase_order", numbers[0], "WH1", "ACME", 1),
        DocumentMade("transfer", numbers[1], "WH1", "WH2", 1),
    ]
    assert _docs(story) == [
        ("purchase_order", "draft", "WH1", "ACME", None, "WASHER", D(48), D("2.5"), None),
        ("transfer", "draft", "WH2", None, "WH1", "NUT", D(97), None, "WH2-A"),
    ]
    # on order and on the way now: nothing is below its reorder point but what was cut
    assert [(ln.item, ln.reason) for ln in _now(story).lines] == [
        ("GASKET", "below_minimum"), ("SPRING", "no_supplier")
    ]  # fmt: skip
    # drafts count against the budget at once: 120 committed
    today = date.today()
    save_budget(story, CTX, BudgetInput(today, today, "500"))
    with story.read() as conn:
        assert [(b.committed, b.left) for b in budget_rows(conn)] == [(D(120), D(380))]


def test_confirm_picked_only_and_replayed_once(story: Database) -> None:
    keyed = Context(username="admin", idempotency_key="order-1")
    picked = OrderSuggestions(picked=[("WASHER", "WH1", None)], note="weekly run")
    first = order_suggestions(story, keyed, picked)
    before = state(story, DOCS)
    again = order_suggestions(story, keyed, picked)
    assert again.replayed and again.documents == first.documents
    assert state(story, DOCS) == before
    assert [row[0] for row in _docs(story)] == ["purchase_order"]
    with pytest.raises(Conflict) as reused:
        order_suggestions(story, keyed, OrderSuggestions())
    assert reused.value.code == "idempotency_key_reused"


def test_refusals_write_nothing(story: Database) -> None:
    before = state(story, DOCS)
    refusals: list[tuple[Context, OrderSuggestions, type[Exception], str]] = [
        (CTX, OrderSuggestions(picked=[("GASKET", "WH1", None)]), Conflict, "suggestion_gone"),
        (CTX, OrderSuggestions(picked=[("NUT", "WH1", None)]), Conflict, "suggestion_gone"),
        (CTX, OrderSuggestions(warehouse="WH2"), RuleViolation, "nothing_to_order"),
        (VIC, OrderSuggestions(), PermissionDenied, "permission_denied"),
        # Pam sees WH2's excess but may not raise the transfer out of WH2
        (PAM, OrderSuggestions(), PermissionDenied, "permission_denied"),
        (CTX, OrderSuggestions(note="x" * 5000), InvalidInput, "note_too_long"),
    ]
    for ctx, command, error, code in refusals:
        with pytest.raises(error) as refused:
            order_suggestions(story, ctx, command)
        assert refused.value.code == code
    assert state(story, DOCS) == before


def test_the_buyer_sees_and_orders_only_in_their_warehouse(story: Database) -> None:
    # WH2 unseen: no excess there to transfer, so NUT has no source (no supplier)
    with story.read() as conn:
        seen = conn.execute(select(warehouses.c.id).where(warehouses.c.code == "WH1")).scalar()
        found = suggestions(conn, date.today(), frozenset({seen}))
    assert [(ln.item, ln.reason) for ln in found.lines if ln.item == "NUT"] == [
        ("NUT", "no_supplier")
    ]  # fmt: skip
    made = order_suggestions(story, BUYER, OrderSuggestions())
    assert [(d.kind, d.source) for d in made.documents] == [("purchase_order", "ACME")]


def test_budgets_saved_listed_and_deleted(story: Database) -> None:
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    first = save_budget(story, CTX, BudgetInput(start, end, "1000.50", note="Q1"))
    second = save_budget(story, BOSS, BudgetInput(start, end, "200", warehouse="WH1"))
    save_budget(story, BOSS, BudgetInput(start, end, "250", warehouse="WH1"), second)
    with story.read() as conn:
        rows = budget_rows(conn)
    assert [(r.id, r.warehouse, r.amount, r.committed, r.left, r.note) for r in rows] == [
        (first, None, D("1000.5"), D(0), D("1000.5"), "Q1"),
        (second, "WH1", D(250), D(0), D(250), None),
    ]
    delete_budget(story, CTX, first)
    with story.read() as conn:
        assert [r.id for r in budget_rows(conn)] == [second]


def test_budget_refusals_write_nothing(story: Database) -> None:
    from cangku.db.tables import purchase_budgets

    start, end = date(2026, 1, 1), date(2026, 3, 31)
    budget = save_budget(story, CTX, BudgetInput(start, end, "10", warehouse="WH2"))
    before = state(story, [purchase_budgets])
    refusals: list[tuple[Context, BudgetInput, int | None, type[Exception], str]] = [
        (CTX, BudgetInput(end, start, "1"), None, InvalidInput, "invalid_budget_period"),
        (CTX, BudgetInput(start, end, "-1"), None, InvalidInput, "negative_value"),
        (CTX, BudgetInput(start, end, "abc"), None, InvalidInput, "invalid_number"),
        (CTX, BudgetInput(start, end, "1", warehouse="WH9"), None, NotFound, "warehouse_not_found"),
        (CTX, BudgetInput(start, end, "1", category="none"), None, NotFound, "category_not_found"),
        (CTX, BudgetInput(start, end, "1"), 9999, NotFound, "budget_not_found"),
        # a manager of WH1: not a budget of every warehouse, not one of WH2
        (BOSS, BudgetInput(start, end, "1"), None, PermissionDenied, "permission_denied"),
        (BOSS, BudgetInput(start, end, "1", warehouse="WH1"), budget, PermissionDenied,
         "permission_denied"),
        (BUYER, BudgetInput(start, end, "1", warehouse="WH1"), None, PermissionDenied,
         "permission_denied"),
    ]  # fmt: skip
    for ctx, data, budget_id, error, code in refusals:
        with pytest.raises(error) as refused:
            save_budget(story, ctx, data, budget_id)
        assert refused.value.code == code, data
    with pytest.raises(PermissionDenied):
        delete_budget(story, BOSS, budget)
    with pytest.raises(NotFound):
        delete_budget(story, CTX, 9999)
    assert state(story, [purchase_budgets]) == before


def test_reserved_stock_counts_on_both_sides(story: Database) -> None:
    # WH1: 3 on hand, 2 reserved: position 1, shortfall 99, cover 1 / 0.5 = 2.0 days;
    # WH2: 200 - 20 reserved - 100 = 80 in excess: 80 by transfer, 19 wanted from no supplier
    reserve_stock(story, CTX, Reservation("NUT", "2", "WH1-A"))
    reserve_stock(story, CTX, Reservation("NUT", "20", "WH2-A"))
    lines = _now(story, SuggestionFilter(item="NUT")).lines
    assert [(ln.source, ln.from_warehouse, ln.wanted, ln.quantity, ln.reason) for ln in lines] == [
        ("transfer", "WH2", D(80), D(80), None), ("supplier", None, D(19), D(0), "no_supplier")
    ]  # fmt: skip
    assert (lines[0].reserved, lines[0].position, lines[0].days_of_cover) == (D(2), D(1), D("2.0"))


def test_a_transfer_of_lots_takes_the_lot_expiring_first(story: Database) -> None:
    # GLUE (lot-tracked): reorder point 10, max 40; WH2 holds G1 50 (later) and G2 30 (sooner):
    # 80 - 40 = 40 in excess; WH1 has none: 40 by transfer, 30 of G2 then 10 of G1
    with story.write() as uow:
        uow.conn.execute(
            update(items).where(items.c.code == "GLUE")
            .values(reorder_point=10 * 10**6, max_stock=40 * 10**6)
        )  # fmt: skip
        uow.commit()
    soon, later = date.today() + timedelta(days=30), date.today() + timedelta(days=300)
    receive_stock(
        story, CTX, Receive("GLUE", "50", "WH2-A", lot="G1", expires_on=later, unit_cost="1")
    )
    receive_stock(
        story, CTX, Receive("GLUE", "30", "WH2-A", lot="G2", expires_on=soon, unit_cost="1")
    )
    set_levels_row(story, "GLUE", "WH1", "C", None)
    made = order_suggestions(story, CTX, OrderSuggestions(picked=[("GLUE", "WH1", "WH2")]))
    assert [(d.kind, d.lines) for d in made.documents] == [("transfer", 2)]
    with story.read() as conn:
        rows = conn.execute(
            select(lots.c.code, document_lines.c.quantity)
            .join(lots, lots.c.id == document_lines.c.lot_id)
            .order_by(document_lines.c.line_no)
        ).all()
    assert [(code, D(qty) / 10**6) for code, qty in rows] == [("G2", D(30)), ("G1", D(10))]
