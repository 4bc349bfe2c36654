"""One rule set for the single operations and the bulk import (domain/operations.py).

Every refused single-operation case is posted once through its service and once through
``post_bulk`` (after a good move, in the same import): both refuse with the same code and
nothing is written either time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import balances, lots, move_imports, moves
from cangku.db.uow import Database
from cangku.domain.errors import CangkuError, InsufficientStock
from cangku.services import bulk_lines
from cangku.services.bulk import BulkMove, post_bulk
from cangku.services.items import ItemInput, create_item, deactivate_item
from cangku.services.lots import set_lot_status
from cangku.services.periods import close_period
from cangku.services.stock import (
    adjust_stock,
    issue_stock,
    receive_stock,
    scrap_stock,
    transfer_stock,
)
from cangku.services.stock_commands import Adjust, Issue, Receive, Scrap, Transfer
from cangku.services.warehouses import LocationInput, create_location
from tests.factories import CTX, build_company
from tests.importing import assert_ledger_verifies

NOW = datetime.now(UTC)
LONG_AGO = NOW - timedelta(days=40)
FUTURE = NOW + timedelta(days=2)

Command = Receive | Issue | Transfer | Adjust | Scrap
SERVICES: dict[type, Any] = {
    Receive: receive_stock,
    Issue: issue_stock,
    Transfer: transfer_stock,
    Adjust: adjust_stock,
    Scrap: scrap_stock,
}


@pytest.fixture
def stocked(db: Database) -> Iterator[Database]:
    """5 BOLT, GLUE lots G1, OLD (expired) and HELD (on hold), serial PUMP SN-1, all in WH1-A;
    WH1-SMALL holds 10, WH1-TOOLS takes spare parts only; OLDPART is deactivated; the period
    up to 30 days ago is closed."""
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "5", "WH1-A", unit_cost="1"))
    for lot, expiry in (("G1", None), ("OLD", date(2020, 1, 1)), ("HELD", None)):
        receive_stock(
            db, CTX, Receive("GLUE", "5", "WH1-A", lot=lot, unit_cost="1", expires_on=expiry)
        )
    set_lot_status(db, CTX, "GLUE", "HELD", "hold")
    receive_stock(db, CTX, Receive("PUMP", "1", "WH1-A", lot="SN-1", unit_cost="100"))
    create_location(db, CTX, LocationInput("WH1-SMALL", "Small bin", warehouse="WH1", capacity=10))
    create_location(
        db,
        CTX,
        LocationInput("WH1-TOOLS", "Tools", warehouse="WH1", allowed_item_types=["spare_part"]),
    )
    create_item(db, CTX, ItemInput("OLDPART", "Old part", "spare_part"))
    deactivate_item(db, CTX, "OLDPART")
    close_period(db, CTX, (NOW - timedelta(days=30)).date())
    yield db
    assert_ledger_verifies(db)  # after every accepted or refused import


def _warehouse(location: str) -> str:
    return location.replace("/", "-").split("-")[0]


def as_bulk(command: Command) -> BulkMove:
    """The same request as one line of an import (the virtual side named by its code)."""
    if isinstance(command, Receive):
        return BulkMove(
            command.item, command.quantity,
            f"{_warehouse(command.to_location)}/{command.source.upper()}", command.to_location,
            "receive", lot=command.lot, lot_expires_on=command.expires_on,
            unit_cost=command.unit_cost, effective_at=command.effective_at, note=command.note,
        )  # fmt: skip
    if isinstance(command, Issue):
        return BulkMove(
            command.item, command.quantity, command.from_location,
            f"{_warehouse(command.from_location)}/{command.to.upper()}", "issue",
            lot=command.lot, effective_at=command.effective_at, note=command.note,
        )  # fmt: skip
    if isinstance(command, Transfer):
        return BulkMove(
            command.item, command.quantity, command.from_location, command.to_location, "move",
            lot=command.lot, effective_at=command.effective_at, note=command.note,
        )  # fmt: skip
    if isinstance(command, Adjust):
        signed = str(command.quantity)
        adjustment = f"{_warehouse(command.location)}/ADJUSTMENT"
        ends = (command.location, adjustment) if signed.startswith("-") else (
            adjustment, command.location)  # fmt: skip
        return BulkMove(
            command.item, signed.lstrip("-"), *ends, "adjust", lot=command.lot,
            lot_expires_on=command.expires_on, unit_cost=command.unit_cost,
            effective_at=command.effective_at, reason_code=command.reason_code,
            note=command.note,
        )  # fmt: skip
    return BulkMove(
        command.item, command.quantity, command.from_location,
        f"{_warehouse(command.from_location)}/SCRAP", "scrap", lot=command.lot,
        effective_at=command.effective_at, reason_code=command.reason_code, note=command.note,
    )  # fmt: skip


CASES = [
    # receive
    pytest.param(Receive("NOPE", "1", "WH1-A"), "item_not_found", id="receive-unknown-item"),
    pytest.param(Receive("BOLT", "1", "NOWHERE"), "location_not_found", id="receive-unknown-bin"),
    pytest.param(Receive("BOLT", "0", "WH1-A"), "quantity_not_positive", id="receive-zero"),
    pytest.param(Receive("BOLT", "-3", "WH1-A"), "quantity_not_positive", id="receive-negative"),
    pytest.param(Receive("BOLT", "abc", "WH1-A"), "invalid_number", id="receive-not-a-number"),
    pytest.param(Receive("BOLT", "1.5", "WH1-A"), "too_many_decimals", id="receive-decimals"),
    pytest.param(Receive("FLOUR", "1", "WH1-A"), "lot_required", id="receive-lot-missing"),
    pytest.param(Receive("PUMP", "1", "WH1-A"), "serial_required", id="receive-serial-missing"),
    pytest.param(
        Receive("PUMP", "2", "WH1-A", lot="SN-9"), "serial_quantity_not_one", id="receive-serial-2"
    ),
    pytest.param(
        Receive("PUMP", "1", "WH1-B", lot="SN-1"), "serial_in_stock", id="receive-serial-twice"
    ),
    pytest.param(
        Receive("BOLT", "1", "WH1-A", lot="L1"), "lot_not_allowed", id="receive-lot-untracked"
    ),
    pytest.param(
        Receive("GLUE", "1", "WH1-A", lot=" L1"), "invalid_lot_code", id="receive-lot-code"
    ),
    pytest.param(
        Receive("BOLT", "1", "WH1/CUSTOMER"),
        "location_kind_not_allowed",
        id="receive-into-customer",
    ),
    pytest.param(
        Receive("BOLT", "1", "WH1-A", effective_at=FUTURE),
        "effective_in_future",
        id="receive-future",
    ),
    pytest.param(
        Receive("BOLT", "1", "WH1-A", effective_at=LONG_AGO), "period_closed", id="receive-closed"
    ),
    pytest.param(Receive("BOLT", "1", "WH1-A", unit_cost="-1"), "negative_cost", id="receive-cost"),
    pytest.param(
        Receive("BOLT", "1", "WH1-A", note="x" * 2001), "note_too_long", id="receive-note"
    ),
    pytest.param(Receive("OLDPART", "1", "WH1-A"), "item_inactive", id="receive-inactive-item"),
    pytest.param(
        Receive("GLUE", "1", "WH1-TOOLS", lot="G1"), "item_type_not_allowed", id="receive-item-type"
    ),
    pytest.param(
        Receive("BOLT", "11", "WH1-SMALL"), "location_capacity_exceeded", id="receive-capacity"
    ),
    # issue
    pytest.param(Issue("BOLT", "6", "WH1-A"), "insufficient_stock", id="issue-too-much"),
    pytest.param(Issue("GLUE", "1", "WH1-A", lot="NOLOT"), "lot_not_found", id="issue-unknown-lot"),
    pytest.param(Issue("GLUE", "1", "WH1-A"), "lot_required", id="issue-lot-missing"),
    pytest.param(Issue("GLUE", "1", "WH1-A", lot="OLD"), "lot_expired", id="issue-expired-lot"),
    pytest.param(Issue("GLUE", "1", "WH1-A", lot="HELD"), "lot_not_available", id="issue-held-lot"),
    pytest.param(
        Issue("BOLT", "1", "WH1/SUPPLIER"), "location_kind_not_allowed", id="issue-from-supplier"
    ),
    pytest.param(Issue("BOLT", "1", "WH1-A", note="x" * 2001), "note_too_long", id="issue-note"),
    # transfer
    pytest.param(Transfer("BOLT", "1", "WH1-A", "WH1-A"), "same_location", id="move-same-bin"),
    pytest.param(Transfer("BOLT", "6", "WH1-A", "WH1-B"), "insufficient_stock", id="move-too-much"),
    pytest.param(
        Transfer("BOLT", "1", "WH1-A", "WH1/CUSTOMER"), "location_kind_not_allowed", id="move-out"
    ),
    pytest.param(
        Transfer("GLUE", "1", "WH1-A", "WH1-B", lot="NOLOT"), "lot_not_found", id="move-unknown-lot"
    ),
    pytest.param(
        Transfer("PUMP", "1", "WH1-A", "WH1-B", lot="SN-2"),
        "lot_not_found",
        id="move-unknown-serial",
    ),
    # adjust
    pytest.param(Adjust("BOLT", "1", "WH1-A", "whim"), "unknown_reason_code", id="adjust-reason"),
    pytest.param(Adjust("BOLT", "1", "WH1-A", ""), "reason_required", id="adjust-no-reason"),
    pytest.param(Adjust("BOLT", "0", "WH1-A", "found"), "quantity_zero", id="adjust-zero"),
    pytest.param(Adjust("BOLT", "-6", "WH1-A", "lost"), "insufficient_stock", id="adjust-loss"),
    pytest.param(
        Adjust("GLUE", "-1", "WH1-A", "lost", lot="NOLOT"), "lot_not_found", id="adjust-loss-lot"
    ),
    pytest.param(
        Adjust("BOLT", "1", "WH1-A", "found", unit_cost="-2"), "negative_cost", id="adjust-cost"
    ),
    pytest.param(Adjust("FLOUR", "1", "WH1-A", "found"), "lot_required", id="adjust-lot-missing"),
    # scrap
    pytest.param(Scrap("BOLT", "1", "WH1-A", "whim"), "unknown_reason_code", id="scrap-reason"),
    pytest.param(Scrap("BOLT", "1", "WH1-A", ""), "reason_required", id="scrap-no-reason"),
    pytest.param(Scrap("BOLT", "6", "WH1-A"), "insufficient_stock", id="scrap-too-much"),
    pytest.param(Scrap("GLUE", "1", "WH1-A", lot="NOLOT"), "lot_not_found", id="scrap-unknown-lot"),
    pytest.param(
        Scrap("BOLT", "1", "WH1/SUPPLIER"), "location_kind_not_allowed", id="scrap-from-supplier"
    ),
]


def written(db: Database) -> tuple[Any, ...]:
    """Everything a posting could write: moves, balances, lots, import records."""
    with db.read() as conn:
        counts = tuple(
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (moves, lots, move_imports)
        )
        rows = conn.execute(select(balances).order_by(*balances.primary_key.columns)).all()
    return counts, [tuple(row) for row in rows]


GOOD = BulkMove("BOLT", "1", "WH1/SUPPLIER", "WH1-B", "receive", unit_cost="1")


@pytest.mark.parametrize(("command", "code"), CASES)
def test_the_single_operation_and_the_import_refuse_alike_and_write_nothing(
    stocked: Database, command: Command, code: str
) -> None:
    before = written(stocked)
    with pytest.raises(CangkuError) as single:
        SERVICES[type(command)](stocked, CTX, command)
    assert single.value.code == code
    assert written(stocked) == before
    with pytest.raises(CangkuError) as bulk:
        post_bulk(stocked, CTX, [GOOD, as_bulk(command)])
    assert bulk.value.code == code
    assert bulk.value.data["move_number"] == 2
    assert written(stocked) == before


@pytest.mark.parametrize(
    ("move", "code"),
    [
        pytest.param(
            BulkMove("BOLT", "1", "WH2/SUPPLIER", "WH1-A", "receive"),
            "location_warehouse_mismatch",
            id="supplier-of-another-warehouse",
        ),
        pytest.param(
            BulkMove("BOLT", "1", "WH1-A", "WH2/CUSTOMER", "issue"),
            "location_warehouse_mismatch",
            id="customer-of-another-warehouse",
        ),
        pytest.param(
            BulkMove("BOLT", "1", "WH1-A", "WH1/CUSTOMER", "issue", unit_cost="3"),
            "unit_cost_not_allowed",
            id="cost-on-an-issue",
        ),
        pytest.param(
            BulkMove("BOLT", "1", "WH1-A", "WH1-B", "move", unit_cost="3"),
            "unit_cost_not_allowed",
            id="cost-on-a-transfer",
        ),
        pytest.param(
            BulkMove("BOLT", "1", "WH1/SUPPLIER", "WH1-A", "receive", reason_code="found"),
            "reason_not_allowed",
            id="reason-on-a-receipt",
        ),
        pytest.param(
            BulkMove("BOLT", "1", "WH1/ADJUSTMENT", "WH1-A", "import", reason_code="whim"),
            "unknown_reason_code",
            id="import-with-an-unknown-reason",
        ),
        pytest.param(
            BulkMove("BOLT", "1", "WH1-A", "WH1/ADJUSTMENT", "reverse"),
            "invalid_operation",
            id="reverse-cannot-be-imported",
        ),
        pytest.param(
            BulkMove("GLUE", "1", "WH1-A", "WH1-B", "import", lot="NEW"),
            "lot_not_found",
            id="an-internal-import-names-an-existing-lot",
        ),
    ],
)
def test_an_import_line_that_no_single_operation_could_post_is_refused(
    stocked: Database, move: BulkMove, code: str
) -> None:
    before = written(stocked)
    with pytest.raises(CangkuError) as refused:
        post_bulk(stocked, CTX, [GOOD, move])
    assert (refused.value.code, refused.value.data["move_number"]) == (code, 2)
    assert written(stocked) == before


def test_an_import_may_bring_a_new_lot_in_with_an_adjustment_reason(stocked: Database) -> None:
    result = post_bulk(
        stocked,
        CTX,
        [BulkMove("GLUE", "4", "WH1/ADJUSTMENT", "WH1-B", lot="NEW", unit_cost="2",
                  reason_code="opening_balance")],
    )  # fmt: skip
    assert result.posted == 1
    with stocked.read() as conn:
        assert conn.execute(select(moves.c.reason_code).order_by(moves.c.id.desc())).first() == (
            "opening_balance",
        )


def test_the_ledger_names_the_move_that_goes_short_by_its_position_in_the_input(
    stocked: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bulk_lines.ledger.post
    calls: list[int] = []

    def post(conn: Any, lines: list[Any], user: int, now: datetime) -> Any:
        calls.append(len(lines))
        if len(calls) == 2:
            raise InsufficientStock("not enough BOLT at WH1-B", line_index=1)
        return real(conn, lines, user, now)

    monkeypatch.setattr(bulk_lines.ledger, "post", post)
    before = written(stocked)
    with pytest.raises(InsufficientStock) as refused:
        post_bulk(stocked, CTX, [GOOD] * 4, batch_size=2)
    assert refused.value.data["move_number"] == 4
    assert refused.value.message == "move 4: not enough BOLT at WH1-B"
    assert written(stocked) == before
