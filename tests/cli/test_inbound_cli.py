"""Inbound through the command line (issue 12): ``cangku po``, ``receipt``, ``inspect``,
``putaway`` and ``returns`` with ``--json``, each step by the user whose role it is, checked to
the unit and the cent; refusals print their code and exit status and write nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text
from typer.testing import Result

from cangku.db.tables import (
    audit_log,
    balances,
    document_events,
    documents,
    items,
    locations,
    lots,
    moves,
)
from cangku.db.uow import Database
from cangku.services.common import Context, utcnow
from cangku.services.documents import today as company_today
from cangku.services.partners import (
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
)
from tests.auth import user_with_roles
from tests.cli.tree import Invoke
from tests.factories import build_company

ADMIN = Context("admin")


def _sql(db: Database, statement: str) -> None:
    with db.write() as uow:
        uow.conn.execute(text(statement))
        uow.commit()


@pytest.fixture
def tokens(db: Database, signed_in: str) -> dict[str, str]:
    """The company, the supplier ACME (10 % over-receipt tolerance, bolts at 0.50 with 7 days'
    lead time), flour inspected on receipt, approval above 100.00; a token per role in WH1."""
    build_company(db)
    create_partner(db, ADMIN, PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    set_supplier_item(
        db,
        ADMIN,
        SupplierItemInput("ACME", "BOLT", price=Decimal("0.5"), currency="CNY", lead_time_days=7),
    )
    _sql(db, "UPDATE items SET inspection_required = true WHERE code = 'FLOUR'")
    _sql(db, "UPDATE partners SET over_receipt_tolerance = 10000000 WHERE code = 'ACME'")  # 10 %
    _sql(db, "UPDATE company SET po_approval_threshold = 100000000")  # 100.00
    found = {"admin": signed_in}
    for name, role in [
        ("buyer", "purchaser"),
        ("boss", "warehouse_manager"),
        ("clerk", "receiving_clerk"),
        ("qc", "quality_inspector"),
    ]:
        found[name] = user_with_roles(db, name, (role, "WH1"))
    return found


@pytest.fixture
def as_user(cangku: Invoke, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """``as_user("clerk", "receipt", ...)``: run a command signed in as that user."""

    def run(username: str, *args: str) -> Result:
        monkeypatch.setenv("CANGKU_TOKEN", tokens[username])
        return cangku(*args)

    return run


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(result: Result, exit_code: int) -> dict[str, Any]:
    assert result.exit_code == exit_code, result.output
    error: dict[str, Any] = json.loads(result.stdout)["error"]
    return error


def written(db: Database) -> tuple[int, ...]:
    with db.read() as conn:
        return tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (moves, documents, document_events, audit_log)
        )


def on_hand(db: Database) -> dict[tuple[str, str, str | None], str]:
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, locations.c.code, lots.c.code, balances.c.on_hand)
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .where(balances.c.on_hand != 0, locations.c.kind.not_in(["supplier"]))
        )
        return {(r[0], r[1], r[2]): str(Decimal(r[3]) / 10**6) for r in rows}


def tasks_of(as_user: Any, username: str) -> list[tuple[str, str]]:
    found = ok(as_user(username, "tasks", "--json"))["items"]
    return [(task["number"], task["next_step"]) for task in found]


def test_the_whole_inbound_path_through_the_command_line(as_user: Any, db: Database) -> None:
    # a buyer raises an order worth 20 x 12 x 0.50 + 50 x 3 + 3 x 100 = 570.00
    made = ok(
        as_user(
            "buyer", "po", "create", "--supplier", "ACME", "--warehouse", "WH1",
            "--line", "BOLT=20:box", "--line", "FLOUR=50@3", "--line", "PUMP=3@100",
            "--reference", "Q-17", "--json",
        )
    )  # fmt: skip
    po = made["number"]
    assert (po[:7], po[-6:], made["state"], made["move_ids"]) == ("PO-WH1-", "-00001", "draft", [])
    shown = ok(as_user("buyer", "po", "show", po, "--json"))
    assert [
        (ln["item"], ln["quantity"], ln["unit"], ln["unit_quantity"], ln["unit_price"], ln["value"])
        for ln in shown["lines"]
    ] == [
        ("BOLT", "240", "box", "20", "6", "120"),
        ("FLOUR", "50", "kg", "50", "3", "150"),
        ("PUMP", "3", "pcs", "3", "100", "300"),
    ]
    assert (shown["total_value"], shown["reference"], shown["partner"]) == ("570", "Q-17", "ACME")
    assert [s["step"] for s in shown["steps"]] == ["confirm", "cancel"]
    assert tasks_of(as_user, "buyer") == [(po, "confirm")]

    # above the threshold it waits for the warehouse manager, who approves it
    assert ok(as_user("buyer", "po", "confirm", po, "--json"))["state"] == "awaiting_approval"
    assert tasks_of(as_user, "buyer") == []
    assert tasks_of(as_user, "boss") == [(po, "approve")]
    approved = ok(as_user("boss", "po", "approve", po, "--note", "fine", "--json"))
    assert (approved["state"], approved["replayed"]) == ("confirmed", False)
    assert tasks_of(as_user, "clerk") == [(po, "receive")]

    # the clerk receives 10 boxes, 50 kg of lot F-01 and three serial-numbered pumps
    received = ok(
        as_user(
            "clerk", "receipt", "create", "--order", po, "--delivery-note", "DN-778",
            "--line", "BOLT=10:box", "--line", "FLOUR=50", "--lot", "FLOUR=F-01",
            "--manufactured", "FLOUR=2026-06-01", "--expires", "FLOUR=2027-05-31",
            "--line", "PUMP=3", "--serials", "PUMP=SN100-SN102", "--json",
        )
    )  # fmt: skip
    gr, qc, pa = received["number"], received["inspection"], received["putaway"]
    assert (gr[:7], qc[:7], pa[:7]) == ("GR-WH1-", "QC-WH1-", "PA-WH1-")
    assert (received["state"], received["over_received_lines"], len(received["move_ids"])) == (
        "received",
        [],
        5,
    )
    assert on_hand(db) == {
        ("BOLT", "WH1-RCV", None): "120",
        ("FLOUR", "WH1-QC", "F-01"): "50",
        ("PUMP", "WH1-RCV", "SN100"): "1",
        ("PUMP", "WH1-RCV", "SN101"): "1",
        ("PUMP", "WH1-RCV", "SN102"): "1",
    }
    receipt = ok(as_user("clerk", "receipt", "show", gr, "--json"))
    assert [
        (ln["item"], ln["quantity"], ln["lot"], ln["base_price"]) for ln in receipt["lines"]
    ] == [
        ("BOLT", "120", None, "0.5"),
        ("FLOUR", "50", "F-01", "3"),
        ("PUMP", "1", "SN100", "100"),
        ("PUMP", "1", "SN101", "100"),
        ("PUMP", "1", "SN102", "100"),
    ]
    assert (receipt["reference"], receipt["origin"]) == ("DN-778", po)
    assert sorted(child[0] for child in receipt["children"]) == sorted([qc, pa])
    assert ok(as_user("buyer", "po", "show", po, "--json"))["state"] == "partially_received"
    assert tasks_of(as_user, "qc") == [(qc, "inspect")]
    assert tasks_of(as_user, "clerk") == [(po, "receive"), (pa, "put_away")]

    # the inspector accepts 45 kg and rejects 5 kg as damaged, from a sample of 5; the put-away
    # that follows suggests flour's default bin
    _sql(
        db,
        "UPDATE items SET default_location_id = (SELECT id FROM locations WHERE code = 'WH1-B')"
        " WHERE code = 'FLOUR'",
    )
    inspected = ok(
        as_user(
            "qc", "inspect", "record", qc, "--line", "1", "--accepted", "45", "--rejected", "5",
            "--reason", "damaged", "--sample", "5", "--json",
        )
    )  # fmt: skip
    assert inspected["state"] == "done"
    second = inspected["putaway"]
    [line] = ok(as_user("qc", "inspect", "show", qc, "--json"))["lines"]
    assert (line["accepted"], line["rejected"], line["reason_code"], line["sample_size"]) == (
        "45",
        "5",
        "damaged",
        "5",
    )

    # the clerk stores 60 bolts, then the rest with the pumps; the flour goes to its default bin
    part = ok(as_user("clerk", "putaway", "confirm", pa, "--line", "1=WH1-A:60", "--json"))
    assert (part["state"], len(part["move_ids"])) == ("open", 1)
    rest = ok(
        as_user(
            "clerk", "putaway", "confirm", pa, "--line", "1=WH1-A", "--line", "2=WH1-A",
            "--line", "3=WH1-A", "--line", "4=WH1-A", "--json",
        )
    )  # fmt: skip
    assert (rest["state"], rest["receipt_registered"]) == ("done", False)
    suggested = ok(as_user("clerk", "putaway", "show", second, "--json"))
    assert [(ln["item"], ln["quantity"], ln["target_location"]) for ln in suggested["lines"]] == [
        ("FLOUR", "45", "WH1-B")
    ]
    stored = ok(as_user("clerk", "putaway", "confirm", second, "--json"))
    assert (stored["state"], stored["receipt_registered"]) == ("done", True)
    assert ok(as_user("clerk", "receipt", "show", gr, "--json"))["state"] == "registered"
    assert on_hand(db) == {
        ("BOLT", "WH1-A", None): "120",
        ("FLOUR", "WH1-B", "F-01"): "45",
        ("FLOUR", "WH1-QC", "F-01"): "5",
        ("PUMP", "WH1-A", "SN100"): "1",
        ("PUMP", "WH1-A", "SN101"): "1",
        ("PUMP", "WH1-A", "SN102"): "1",
    }

    # the rejected flour goes back to ACME at the 3.00 / kg it came in at
    back = ok(
        as_user(
            "boss", "returns", "create", "--receipt", gr, "--line", "FLOUR=5", "--from", "WH1-QC",
            "--lot", "F-01", "--reason", "rejected_in_inspection", "--json",
        )
    )  # fmt: skip
    assert (back["number"][:7], back["state"]) == ("RS-WH1-", "returned")
    with db.read() as conn:
        value = conn.execute(select(moves.c.value).where(moves.c.id == back["move_ids"][0]))
        assert value.scalar_one() == 15_000_000
    assert ("FLOUR", "WH1-QC", "F-01") not in on_hand(db)
    returned = ok(as_user("boss", "returns", "show", back["number"], "--json"))
    assert [(e["user"], e["step"], e["from_state"], e["to_state"]) for e in returned["events"]] == [
        ("boss", "create", None, "draft"),
        ("boss", "ship", "draft", "returned"),
    ]
    assert returned["steps"] == []

    # the order's timeline: who took which step, from which state to which
    timeline = ok(as_user("boss", "po", "show", po, "--json"))["events"]
    assert [
        (e["user"], e["step"], e["from_state"], e["to_state"], e["note"]) for e in timeline
    ] == [
        ("buyer", "create", None, "draft", None),
        ("buyer", "confirm", "draft", "awaiting_approval", None),
        ("boss", "approve", "awaiting_approval", "confirmed", "fine"),
        ("clerk", "receive", "confirmed", "partially_received", None),
    ]
    assert tasks_of(as_user, "qc") == []
    assert tasks_of(as_user, "clerk") == [(po, "receive")]
    closed = ok(as_user("buyer", "po", "close", po, "--note", "rest not needed", "--json"))
    assert closed["state"] == "closed"
    assert tasks_of(as_user, "clerk") == []


def test_show_prints_header_lines_timeline_and_the_steps_now(as_user: Any, db: Database) -> None:
    with db.read() as conn:
        expected = (company_today(conn, utcnow()) + timedelta(days=7)).isoformat()
    po = ok(
        as_user(
            "buyer", "po", "create", "--supplier", "ACME", "--warehouse", "WH1",
            "--line", "BOLT=10", "--json",
        )
    )["number"]  # fmt: skip

    result = as_user("buyer", "po", "show", po)

    assert result.exit_code == 0, result.output
    out = result.stdout
    rows = [line.split() for line in out.splitlines()]
    assert ["number", po] in rows and ["state", "draft"] in rows
    assert "\nLines\n" in out and "\nTimeline\n" in out
    assert rows[rows.index(["Lines"]) + 1] == [
        "line_no", "item", "quantity", "done", "unit", "unit_quantity", "unit_price", "value",
        "expected_on",
    ]  # fmt: skip
    assert rows[rows.index(["Lines"]) + 2] == [
        "1",
        "BOLT",
        "10",
        "0",
        "pcs",
        "10",
        "0.5",
        "5",
        expected,
    ]
    assert "Steps now: confirm, cancel" in out
    assert "Next task: confirm" in out


def test_a_draft_receipt_is_received_later_and_an_over_receipt_needs_confirming(
    as_user: Any, db: Database
) -> None:
    po = ok(
        as_user(
            "buyer", "po", "create", "--supplier", "ACME", "--warehouse", "WH1",
            "--line", "BOLT=10", "--json",
        )
    )["number"]  # fmt: skip
    assert ok(as_user("buyer", "po", "confirm", po, "--json"))["state"] == "confirmed"  # 5.00
    draft = ok(
        as_user(
            "clerk", "receipt", "create", "--order", po, "--line", "BOLT=11", "--draft", "--json"
        )
    )
    assert (draft["state"], draft["move_ids"]) == ("draft", [])
    before = written(db)

    error = refused(as_user("clerk", "receipt", "receive", draft["number"], "--json"), 7)

    assert (error["code"], error["data"]["lines"]) == ("over_receipt", [1])
    assert written(db) == before
    received = ok(
        as_user("clerk", "receipt", "receive", draft["number"], "--confirm-over-receipt", "--json")
    )
    assert (received["state"], received["over_received_lines"]) == ("received", [1])
    assert ok(as_user("buyer", "po", "show", po, "--json"))["state"] == "received"


@pytest.mark.parametrize(
    ("args", "exit_code", "code"),
    [
        (["--line", "GLUE=1", "--lot", "G1"], 5, "item_not_on_order"),
        (["--line", "BOLT=20"], 5, "over_receipt_beyond_tolerance"),
        (["--line", "BOLT=11"], 7, "over_receipt"),
        (["--line", "BOLT"], 4, "invalid_line"),
        (["--line", "BOLT=1", "--lot", "PUMP=S1"], 4, "unknown_line"),
        (["--line", "BOLT=1", "--expires", "2027-02-30"], 4, "invalid_date"),
    ],
    ids=["not-on-order", "beyond-tolerance", "over-receipt", "bad-line", "unknown-key", "bad-date"],
)
def test_a_refused_receipt_prints_its_code_and_writes_nothing(
    as_user: Any, db: Database, args: list[str], exit_code: int, code: str
) -> None:
    po = ok(
        as_user(
            "buyer", "po", "create", "--supplier", "ACME", "--warehouse", "WH1",
            "--line", "BOLT=10", "--json",
        )
    )["number"]  # fmt: skip
    ok(as_user("buyer", "po", "confirm", po, "--json"))
    before = written(db)

    result = as_user("clerk", "receipt", "create", "--order", po, *args, "--json")

    assert refused(result, exit_code)["code"] == code
    assert written(db) == before


def test_standalone_receipt_refusals_write_nothing(as_user: Any, db: Database) -> None:
    before = written(db)
    standalone = ["receipt", "create", "--warehouse", "WH1", "--supplier", "ACME"]

    lot = as_user("clerk", *standalone, "--line", "GLUE=1", "--json")
    serials = as_user("clerk", *standalone, "--line", "PUMP=2", "--serials", "PUMP=S1,S1", "--json")
    count = as_user("clerk", *standalone, "--line", "PUMP=2", "--serials", "#1=SN1-SN3", "--json")
    dates = as_user(
        "clerk", *standalone, "--line", "GLUE=1", "--lot", "G1",
        "--manufactured", "2026-05-01", "--expires", "2026-04-01", "--json",
    )  # fmt: skip

    assert refused(lot, 5)["code"] == "lot_required"
    assert refused(serials, 4)["code"] == "duplicate_serial"
    assert refused(count, 4)["code"] == "serial_count_mismatch"
    assert refused(dates, 4)["code"] in ("expiry_before_manufacture", "invalid_dates")
    assert written(db) == before


def test_order_refusals_write_nothing(as_user: Any, db: Database) -> None:
    po = ok(
        as_user(
            "boss", "po", "create", "--supplier", "ACME", "--warehouse", "WH1",
            "--line", "BOLT=300", "--json",
        )
    )["number"]  # fmt: skip
    assert ok(as_user("boss", "po", "confirm", po, "--json"))["state"] == "awaiting_approval"
    before = written(db)

    own = as_user("boss", "po", "approve", po, "--json")
    buyer = as_user("buyer", "po", "approve", po, "--json")
    again = as_user("boss", "po", "confirm", po, "--json")
    closing = as_user("boss", "po", "close", po, "--json")
    missing = as_user("boss", "po", "show", "PO-WH1-1999-00001", "--json")
    not_a_po = as_user("boss", "receipt", "show", po, "--json")

    assert refused(own, 5)["code"] == "own_document_approval"
    assert refused(buyer, 8)["code"] == "permission_denied"
    error = refused(again, 5)
    assert (error["code"], error["data"]["state"]) == ("invalid_transition", "awaiting_approval")
    assert refused(closing, 5)["code"] == "invalid_transition"
    assert refused(missing, 3)["code"] == "document_not_found"
    assert refused(not_a_po, 3)["code"] == "receipt_not_found"
    assert written(db) == before
    rejected = ok(as_user("admin", "po", "reject", po, "--note", "too many", "--json"))
    assert rejected["state"] == "draft"
    assert ok(as_user("boss", "po", "cancel", po, "--json"))["state"] == "cancelled"


def test_inspection_and_putaway_refusals_write_nothing(as_user: Any, db: Database) -> None:
    received = ok(
        as_user(
            "clerk", "receipt", "create", "--warehouse", "WH1", "--supplier", "ACME",
            "--line", "FLOUR=10", "--lot", "F-09", "--price", "2", "--json",
        )
    )  # fmt: skip
    qc = received["inspection"]
    before = written(db)

    too_many = as_user("qc", "inspect", "record", qc, "--line", "1", "--accepted", "11", "--json")
    no_reason = as_user("qc", "inspect", "record", qc, "--line", "1", "--rejected", "1", "--json")
    bad_reason = as_user(
        "qc", "inspect", "record", qc, "--line", "1", "--rejected", "1", "--reason", "ugly",
        "--json",
    )  # fmt: skip
    clerk = as_user("clerk", "inspect", "record", qc, "--line", "1", "--accepted", "1", "--json")
    nothing = as_user("qc", "inspect", "record", qc, "--json")

    assert refused(too_many, 5)["code"] == "inspect_more_than_received"
    assert refused(no_reason, 4)["code"] == "reason_required"
    assert refused(bad_reason, 4)["code"] == "unknown_reason_code"
    assert refused(clerk, 8)["code"] == "permission_denied"
    assert refused(nothing, 4)["code"] == "no_lines"
    assert written(db) == before

    pa = ok(as_user("qc", "inspect", "record", qc, "--line", "1", "--accepted", "10", "--json"))[
        "putaway"
    ]
    before = written(db)
    unsuggested = as_user("clerk", "putaway", "confirm", pa, "--json")
    virtual = as_user("clerk", "putaway", "confirm", pa, "--line", "1=WH1-RCV", "--json")
    more = as_user("clerk", "putaway", "confirm", pa, "--line", "1=WH1-A:11", "--json")
    unknown = as_user("clerk", "putaway", "confirm", pa, "--line", "2=WH1-A", "--json")
    bad = as_user("clerk", "putaway", "confirm", pa, "--line", "one=WH1-A", "--json")

    assert refused(unsuggested, 4)["code"] == "location_required"
    assert refused(virtual, 5)["code"] == "putaway_location_not_storage"
    assert refused(more, 5)["code"] == "putaway_more_than_waiting"
    assert refused(unknown, 4)["code"] == "unknown_line"
    assert refused(bad, 4)["code"] == "invalid_line"
    assert written(db) == before


def test_a_draft_return_is_shipped_or_cancelled(as_user: Any, db: Database) -> None:
    ok(
        as_user(
            "clerk", "receipt", "create", "--warehouse", "WH1", "--supplier", "ACME",
            "--line", "BOLT=10", "--price", "0.7", "--json",
        )
    )  # fmt: skip
    _sql(db, "UPDATE items SET default_location_id = NULL")
    pa = ok(as_user("clerk", "putaway", "list", "--open", "--json"))["items"][0]["number"]
    ok(as_user("clerk", "putaway", "confirm", pa, "--line", "1=WH1-A", "--json"))
    before = written(db)

    no_place = as_user(
        "boss", "returns", "create", "--supplier", "ACME", "--warehouse", "WH1",
        "--line", "BOLT=2", "--json",
    )  # fmt: skip
    bad_reason = as_user(
        "boss", "returns", "create", "--supplier", "ACME", "--warehouse", "WH1",
        "--line", "BOLT=2", "--from", "WH1-A", "--reason", "bored", "--json",
    )  # fmt: skip
    assert refused(no_place, 4)["code"] == "location_required"
    assert refused(bad_reason, 4)["code"] == "unknown_reason_code"
    assert written(db) == before

    first, second = (
        ok(
            as_user(
                "boss", "returns", "create", "--supplier", "ACME", "--warehouse", "WH1",
                "--line", "BOLT=2", "--from", "WH1-A", "--reason", "damaged", "--draft", "--json",
            )
        )["number"]
        for _ in range(2)
    )  # fmt: skip
    shipped = ok(as_user("clerk", "returns", "ship", first, "--json"))
    cancelled = ok(as_user("boss", "returns", "cancel", second, "--note", "kept", "--json"))

    assert (shipped["state"], len(shipped["move_ids"])) == ("returned", 1)
    assert cancelled["state"] == "cancelled"
    assert on_hand(db) == {("BOLT", "WH1-A", None): "8"}
    listed = ok(as_user("boss", "returns", "list", "--json"))
    assert [(d["number"], d["state"]) for d in listed["items"]] == [
        (second, "cancelled"),
        (first, "returned"),
    ]
    assert refused(as_user("clerk", "returns", "ship", second, "--json"), 5)["code"] == (
        "invalid_transition"
    )


def test_each_command_help_lists_the_states_and_steps_of_its_machine(cangku: Invoke) -> None:
    from cangku.domain.inbound import PURCHASE_ORDER, RECEIPT

    po = cangku("po", "approve", "--help")
    receipt = cangku("receipt", "--help")

    assert po.exit_code == 0 and receipt.exit_code == 0
    flat = " ".join(po.output.replace("│", " ").split())
    for source, step, target, permission, role in PURCHASE_ORDER.table():
        assert f"{source}: {step} -> {target}; {permission}, {role}" in flat
    flat = " ".join(receipt.output.replace("│", " ").split())
    assert (
        "States (receipt): draft (first), received, registered (final), cancelled (final)." in flat
    )
    assert all(f"{source}: {step} ->" in flat for source, step, *_ in RECEIPT.table())


def test_a_step_repeated_with_its_key_replays_the_first_answer(as_user: Any, db: Database) -> None:
    create = ["po", "create", "--supplier", "ACME", "--warehouse", "WH1", "--line", "BOLT=10"]
    first = ok(as_user("buyer", *create, "--idempotency-key", "po-1", "--json"))
    again = ok(as_user("buyer", *create, "--idempotency-key", "po-1", "--json"))
    assert (first["replayed"], again["replayed"], again["number"]) == (False, True, first["number"])
    po = first["number"]
    confirm = ["po", "confirm", po, "--idempotency-key", "c-1", "--json"]
    assert ok(as_user("buyer", *confirm))["state"] == "confirmed"
    receive = ["receipt", "create", "--order", po, "--line", "BOLT=4", "--idempotency-key", "r-1"]
    received = ok(as_user("clerk", *receive, "--json"))
    before = written(db)

    confirmed = ok(as_user("buyer", *confirm))
    repeated = ok(as_user("clerk", *receive, "--json"))
    other = refused(
        as_user("clerk", "receipt", "create", "--order", po, "--line", "BOLT=5",
                "--idempotency-key", "r-1", "--json"),
        6,
    )  # fmt: skip

    assert (confirmed["state"], confirmed["replayed"]) == ("confirmed", True)
    assert (repeated["number"], repeated["move_ids"], repeated["replayed"]) == (
        received["number"],
        received["move_ids"],
        True,
    )
    assert other["code"] == "idempotency_key_reused"
    assert written(db) == before
    assert on_hand(db) == {("BOLT", "WH1-RCV", None): "4"}
