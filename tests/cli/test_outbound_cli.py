"""Outbound through the command line (issue 13): ``cangku so``, ``requisition``, ``pick``,
``ship``, ``so return`` and ``so approval-rules`` with ``--json``, each step by the user whose
role it is, checked to the unit and the cent; refusals print their code and exit status and
write nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text
from typer.testing import Result

from cangku.db.tables import (
    allocations,
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
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.auth import user_with_roles
from tests.cli.tree import Invoke
from tests.factories import build_company

ADMIN = Context("admin")
SOON = date.today() + timedelta(days=30)
LATER = date.today() + timedelta(days=200)
FAR = date.today() + timedelta(days=400)


def _sql(db: Database, statement: str) -> None:
    with db.write() as uow:
        uow.conn.execute(text(statement))
        uow.commit()


@pytest.fixture
def tokens(db: Database, signed_in: str) -> dict[str, str]:
    """The company with the customer SHOP; GLUE (FIFO costed, allocated FEFO) in three lots:
    40 of F-LATE at 2.00 in WH1-A, 30 of F-SOON at 3.00 in WH1-B (expiring first), 50 of
    F-FAR at 4.00 in WH1-A-01; 100 BOLT at 0.50 in WH1-A. A token per role in WH1."""
    build_company(db)
    create_partner(db, ADMIN, PartnerInput("SHOP", "Corner Shop", is_customer=True, address="1 Rd"))
    for lot, expires, where, qty, cost in [
        ("F-LATE", LATER, "WH1-A", "40", "2.00"),
        ("F-SOON", SOON, "WH1-B", "30", "3.00"),
        ("F-FAR", FAR, "WH1-A-01", "50", "4.00"),
    ]:
        receive_stock(
            db, ADMIN, Receive("GLUE", qty, where, lot=lot, expires_on=expires, unit_cost=cost)
        )
    receive_stock(db, ADMIN, Receive("BOLT", "100", "WH1-A", unit_cost="0.50"))
    _sql(db, "UPDATE items SET allocation_strategy = 'fefo' WHERE code = 'GLUE'")
    found = {"admin": signed_in}
    for name, role in [
        ("sales", "purchaser"),
        ("boss", "warehouse_manager"),
        ("picker", "picker_shipper"),
        ("clerk", "receiving_clerk"),
        ("vic", "viewer"),
    ]:
        found[name] = user_with_roles(db, name, (role, "WH1"))
    return found


@pytest.fixture
def as_user(cangku: Invoke, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """``as_user("picker", "pick", ...)``: run a command signed in as that user."""

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
            for t in (moves, documents, document_events, audit_log, allocations)
        )


def stock(db: Database, column: str = "on_hand") -> dict[tuple[str, str, str | None], str]:
    """Non-zero on hand (or reserved) by (item, location, lot), virtual locations left out."""
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, locations.c.code, lots.c.code, balances.c[column])
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .where(balances.c[column] != 0, locations.c.kind.in_(["internal", "shipping"]))
        )
        return {(r[0], r[1], r[2]): str(Decimal(r[3]) / 10**6) for r in rows}


def _order(as_user: Any, *lines: str, submit: bool = True, user: str = "sales") -> str:
    args = [arg for line in lines for arg in ("--line", line)]
    made = ok(
        as_user(
            user, "so", "create", "--customer", "SHOP", "--warehouse", "WH1", *args,
            *(["--submit"] if submit else []), "--json",
        )
    )  # fmt: skip
    return str(made["number"])


#: a request's or shipment's header as ``show`` prints it
OUTBOUND_HEADER = (
    "ship_to", "department", "plan_reference", "planned_on", "carrier", "tracking_number",
    "packages",
)  # fmt: skip


def header_rows(shown: str) -> list[list[str]]:
    """The header block of a ``show`` table: [key, value] rows."""
    return [row.split(None, 1) for row in shown.split("\n\nLines")[0].splitlines()]


def test_a_sales_order_from_approval_to_return_through_the_command_line(
    as_user: Any, db: Database
) -> None:
    # the warehouse manager sets orders worth 1,000 or more to wait for approval
    rule = ok(as_user("boss", "so", "approval-rules", "add", "--min-value", "1000", "--json"))
    assert rule == {
        "id": rule["id"],
        "kind": "sales_order",
        "min_value": "1000",
        "min_quantity": None,
        "warehouse": None,
        "approver_role": None,
    }
    assert ok(as_user("sales", "so", "approval-rules", "list", "--json")) == [
        {
            "id": rule["id"],
            "kind": "sales_order",
            "warehouse": None,
            "min_value": "1000",
            "min_quantity": None,
            "approver_role": None,
        }
    ]
    assert ok(as_user("sales", "requisition", "approval-rules", "list", "--json")) == []
    listed = as_user("sales", "so", "approval-rules", "list")
    assert [row.split() for row in listed.stdout.splitlines()] == [
        ["id", "warehouse", "min_value", "min_quantity", "approver_role"],
        [str(rule["id"]), "-", "1000", "-", "-"],
    ]

    # sales raises 60 GLUE at 20.00 (1,200.00) for a plan and submits it: it waits
    made = ok(
        as_user(
            "sales", "so", "create", "--customer", "SHOP", "--warehouse", "WH1",
            "--line", "GLUE=60@20", "--plan", "SP-2027-01", "--planned-on", "2027-01-15",
            "--reference", "C-PO-9", "--due", "2027-01-10", "--submit", "--json",
        )
    )  # fmt: skip
    so = made["number"]
    assert (so[:7], so[-6:], made["state"], made["move_ids"]) == (
        "SO-WH1-",
        "-00001",
        "submitted",
        [],
    )
    shown = ok(as_user("sales", "so", "show", so, "--json"))
    assert [
        (ln["item"], ln["quantity"], ln["unit_price"], ln["value"]) for ln in shown["lines"]
    ] == [("GLUE", "60", "20", "1200")]
    assert (shown["partner"], shown["reference"], shown["total_value"], shown["due_on"]) == (
        "SHOP",
        "C-PO-9",
        "1200",
        "2027-01-10",
    )
    assert [s["step"] for s in shown["steps"]] == ["approve", "reject", "cancel"]
    # the outbound header: all of it in --json, what has a value in the table
    assert {key: shown[key] for key in OUTBOUND_HEADER} == {
        "ship_to": "1 Rd", "department": None, "plan_reference": "SP-2027-01",
        "planned_on": "2027-01-15", "carrier": None, "tracking_number": None, "packages": None,
    }  # fmt: skip
    assert header_rows(as_user("sales", "so", "show", so).stdout) == [
        ["number", so], ["state", "submitted"], ["warehouse", "WH1"], ["partner", "SHOP"],
        ["reference", "C-PO-9"], ["ship_to", "1 Rd"], ["plan_reference", "SP-2027-01"],
        ["planned_on", "2027-01-15"], ["created_by", "sales"], ["due_on", "2027-01-10"],
        ["total_value", "1200"],
    ]  # fmt: skip

    # the manager approves; the picker allocates FEFO: 30 of F-SOON, then 30 of F-LATE
    approved = ok(as_user("boss", "so", "approve", so, "--note", "fine", "--json"))
    assert (approved["state"], approved["replayed"]) == ("approved", False)
    allocated = ok(as_user("picker", "so", "allocate", so, "--json"))
    assert (allocated["state"], allocated["allocated"], allocated["short"]) == (
        "allocated",
        {"1": "60"},
        {},
    )
    assert stock(db, "reserved") == {
        ("GLUE", "WH1-B", "F-SOON"): "30",
        ("GLUE", "WH1-A", "F-LATE"): "30",
    }

    # a pick list in walking order: WH1-A before WH1-B, both to the shipping bay
    pick = ok(as_user("picker", "pick", "create", so, "--json"))
    pk = pick["number"]
    assert (pk[:7], pick["state"]) == ("PK-WH1-", "open")
    lines = ok(as_user("picker", "pick", "show", pk, "--json"))["lines"]
    assert [
        (ln["line_no"], ln["quantity"], ln["lot"], ln["location"], ln["target_location"])
        for ln in lines
    ] == [(1, "30", "F-LATE", "WH1-A", "WH1-SHIP"), (2, "30", "F-SOON", "WH1-B", "WH1-SHIP")]
    assert ok(as_user("sales", "so", "show", so, "--json"))["state"] == "picking"

    # only 20 of F-LATE are in WH1-A: the other 10 are allocated again, from F-FAR
    picked = ok(
        as_user(
            "picker", "pick", "confirm", pk, "--line", "1=20:F-LATE@WH1-A!not_found",
            "--line", "2=30:F-SOON@WH1-B", "--json",
        )
    )  # fmt: skip
    assert (picked["state"], picked["reallocated"], len(picked["move_ids"])) == (
        "done",
        {so: "10"},
        2,
    )
    assert stock(db, "reserved") == {
        ("GLUE", "WH1-SHIP", "F-LATE"): "20",
        ("GLUE", "WH1-SHIP", "F-SOON"): "30",
        ("GLUE", "WH1-A-01", "F-FAR"): "10",
    }

    # the 50 picked leave at the FIFO layers: 40 x 2.00 + 10 x 3.00 = 110.00
    shipped = ok(
        as_user(
            "picker", "so", "ship", so, "--carrier", "SF", "--tracking", "SF123",
            "--packages", "2", "--json",
        )
    )  # fmt: skip
    sh = shipped["shipment"]
    assert (shipped["state"], shipped["cost_of_goods"], sh[:7]) == (
        "partially_shipped",
        "110",
        "SH-WH1-",
    )
    shipment = ok(as_user("picker", "ship", "show", sh, "--json"))
    assert {key: shipment[key] for key in OUTBOUND_HEADER} == {
        "ship_to": None, "department": None, "plan_reference": None, "planned_on": None,
        "carrier": "SF", "tracking_number": "SF123", "packages": 2,
    }  # fmt: skip
    assert header_rows(as_user("picker", "ship", "show", sh).stdout) == [
        ["number", sh], ["state", "shipped"], ["warehouse", "WH1"], ["partner", "SHOP"],
        ["reference", "C-PO-9"], ["carrier", "SF"], ["tracking_number", "SF123"],
        ["packages", "2"], ["created_by", "picker"], ["total_value", "110"], ["origin", so],
    ]  # fmt: skip
    assert (shipment["state"], shipment["origin"], shipment["total_value"]) == (
        "shipped",
        so,
        "110",
    )
    assert [(ln["item"], ln["quantity"], ln["lot"]) for ln in shipment["lines"]] == [
        ("GLUE", "20", "F-LATE"),
        ("GLUE", "30", "F-SOON"),
    ]

    # the backorder: its 10 of F-FAR picked in full and shipped at 3.00
    second = ok(as_user("picker", "pick", "create", so, "--json"))["number"]
    assert ok(as_user("picker", "pick", "confirm", second, "--json"))["state"] == "done"
    final = ok(as_user("picker", "so", "ship", so, "--json"))
    assert (final["state"], final["cost_of_goods"]) == ("shipped", "30")
    assert stock(db, "reserved") == {}
    delivered = ok(as_user("picker", "ship", "deliver", sh, "--note", "signed: Li", "--json"))
    assert delivered["state"] == "delivered"

    # 5 of F-SOON come back damaged, at the cost they left with (20 x 2 + 10 x 3 over 30)
    back = ok(
        as_user(
            "clerk", "so", "return", "create", "--shipment", sh, "--line", "GLUE=5",
            "--lot", "F-SOON", "--reason", "damaged", "--to", "WH1-B", "--json",
        )
    )  # fmt: skip
    assert (back["number"][:7], back["state"], len(back["move_ids"])) == ("RC-WH1-", "received", 1)
    with db.read() as conn:
        cost = conn.execute(select(moves.c.unit_cost).where(moves.c.id == back["move_ids"][0]))
        assert cost.scalar_one() == 2_333_333
        assert verify(conn).ok
    assert stock(db) == {
        ("BOLT", "WH1-A", None): "100",
        ("GLUE", "WH1-A", "F-LATE"): "20",
        ("GLUE", "WH1-A-01", "F-FAR"): "40",
        ("GLUE", "WH1-B", "F-SOON"): "5",
    }

    # the order's timeline: who took which step
    timeline = ok(as_user("boss", "so", "show", so, "--json"))["events"]
    assert [(e["user"], e["step"], e["from_state"], e["to_state"]) for e in timeline] == [
        ("sales", "create", None, "draft"),
        ("sales", "submit", "draft", "submitted"),
        ("boss", "approve", "submitted", "approved"),
        ("picker", "allocate", "approved", "allocated"),
        ("picker", "pick", "allocated", "picking"),
        ("picker", "ship", "picking", "partially_shipped"),
        ("picker", "pick", "partially_shipped", "picking"),
        ("picker", "ship", "picking", "shipped"),
    ]
    assert [(d["number"], d["state"]) for d in ok(as_user("boss", "pick", "list", "--json"))[
        "items"
    ]] == [(second, "done"), (pk, "done")]  # fmt: skip


def test_a_requisition_approves_itself_and_ships_to_production(as_user: Any, db: Database) -> None:
    made = ok(
        as_user(
            "sales", "requisition", "create", "--department", "Assembly", "--warehouse", "WH1",
            "--line", "BOLT=10", "--plan", "MO-7", "--submit", "--json",
        )
    )  # fmt: skip
    mr = made["number"]
    assert (mr[:7], made["state"]) == ("MR-WH1-", "approved")
    assert header_rows(as_user("sales", "requisition", "show", mr).stdout) == [
        ["number", mr], ["state", "approved"], ["warehouse", "WH1"], ["department", "Assembly"],
        ["plan_reference", "MO-7"], ["created_by", "sales"], ["total_value", "5"],
    ]  # fmt: skip
    shown = ok(as_user("sales", "requisition", "show", mr, "--json"))
    assert {key: shown[key] for key in OUTBOUND_HEADER} == {
        **dict.fromkeys(OUTBOUND_HEADER),
        "department": "Assembly",
        "plan_reference": "MO-7",
    }
    submitted = ok(as_user("sales", "requisition", "show", mr, "--json"))["events"][1]
    assert submitted["data"] == {
        "approved": "automatically",
        "why": "under every approval threshold",
    }

    ok(as_user("picker", "requisition", "allocate", mr, "--json"))
    pk = ok(as_user("picker", "pick", "create", mr, "--kind", "requisition", "--json"))["number"]
    ok(as_user("picker", "pick", "confirm", pk, "--line", "1", "--json"))
    shipped = ok(as_user("picker", "requisition", "ship", mr, "--json"))

    assert (shipped["state"], shipped["cost_of_goods"]) == ("shipped", "5")
    assert stock(db)[("BOLT", "WH1-A", None)] == "90"
    assert ok(as_user("boss", "requisition", "list", "--json"))["items"][0]["state"] == "shipped"


def test_approval_refusals_write_nothing(as_user: Any, db: Database) -> None:
    ok(as_user("boss", "so", "approval-rules", "add", "--min-quantity", "50", "--json"))
    mine = _order(as_user, "BOLT=60@1", user="boss")
    theirs = _order(as_user, "BOLT=70@1")
    before = written(db)

    own = as_user("boss", "so", "approve", mine, "--json")
    sales = as_user("sales", "so", "approve", theirs, "--json")
    no_reason = as_user("boss", "so", "reject", theirs, "--json")
    viewer = as_user("vic", "so", "reject", theirs, "--json")
    early = as_user("picker", "so", "allocate", theirs, "--json")
    unpicked = as_user("picker", "so", "ship", theirs, "--json")
    bad_line = as_user("sales", "so", "create", "--customer", "SHOP", "--warehouse", "WH1",
                       "--line", "BOLT", "--json")  # fmt: skip
    no_customer = as_user("sales", "so", "create", "--customer", "NOBODY", "--warehouse", "WH1",
                          "--line", "BOLT=1", "--json")  # fmt: skip
    other_kind = as_user("boss", "requisition", "approval-rules", "remove", "1", "--json")
    no_threshold = as_user("boss", "so", "approval-rules", "add", "--json")

    assert refused(own, 5)["code"] == "own_document_approval"
    assert refused(sales, 8)["code"] == "permission_denied"
    assert refused(no_reason, 4)["code"] == "reason_required"
    assert refused(viewer, 8)["code"] == "permission_denied"
    error = refused(early, 5)
    assert (error["code"], error["data"]["state"]) == ("invalid_transition", "submitted")
    assert refused(unpicked, 5)["code"] == "invalid_transition"
    assert refused(bad_line, 4)["code"] == "invalid_line"
    assert refused(no_customer, 3)["code"] == "partner_not_found"
    assert refused(other_kind, 3)["code"] == "approval_rule_not_found"
    assert refused(no_threshold, 4)["code"] == "threshold_required"
    assert written(db) == before

    rejected = ok(as_user("boss", "so", "reject", theirs, "--note", "too many", "--json"))
    assert rejected["state"] == "rejected"
    assert ok(as_user("sales", "so", "revise", theirs, "--json"))["state"] == "draft"
    assert ok(as_user("sales", "so", "cancel", theirs, "--json"))["state"] == "cancelled"


def test_pick_and_ship_refusals_write_nothing(as_user: Any, db: Database) -> None:
    so = _order(as_user, "GLUE=30@5")
    ok(as_user("picker", "so", "allocate", so, "--json"))  # 30 of F-SOON in WH1-B
    pk = ok(as_user("picker", "pick", "create", so, "--json"))["number"]
    before = written(db)

    other_lot = as_user("picker", "pick", "confirm", pk, "--line", "1=30:F-LATE", "--json")
    other_bin = as_user("picker", "pick", "confirm", pk, "--line", "1@WH1-A", "--json")
    too_many = as_user("picker", "pick", "confirm", pk, "--line", "1=31", "--json")
    no_reason = as_user("picker", "pick", "confirm", pk, "--line", "1=29", "--json")
    unknown = as_user("picker", "pick", "confirm", pk, "--line", "2", "--json")
    bad = as_user("picker", "pick", "confirm", pk, "--line", "one=3", "--json")
    nothing = as_user("picker", "so", "ship", so, "--json")
    no_packages = as_user("picker", "so", "ship", so, "--packages", "0", "--json")
    again = as_user("picker", "pick", "create", so, "--json")
    sales = as_user("sales", "pick", "confirm", pk, "--json")
    cancel = as_user("sales", "so", "cancel", so, "--json")

    error = refused(other_lot, 5)
    assert (error["code"], error["data"]["expected"]) == ("lot_not_allocated", "F-SOON")
    assert refused(other_bin, 5)["code"] == "wrong_location"
    assert refused(too_many, 5)["code"] == "pick_exceeds_allocation"
    assert refused(no_reason, 4)["code"] == "short_pick_reason_required"
    assert refused(unknown, 4)["code"] == "unknown_line"
    assert refused(bad, 4)["code"] == "invalid_line"
    assert refused(nothing, 5)["code"] == "nothing_picked"
    assert refused(no_packages, 4)["code"] == "invalid_packages"
    assert refused(again, 4)["code"] == "no_lines"
    assert refused(sales, 8)["code"] == "permission_denied"
    assert refused(cancel, 5)["code"] == "invalid_transition"
    assert written(db) == before
    assert stock(db, "reserved") == {("GLUE", "WH1-B", "F-SOON"): "30"}

    # cancelled, the pick list leaves the reservation with the order, to be picked again
    assert ok(as_user("picker", "pick", "cancel", pk, "--json"))["state"] == "cancelled"
    assert stock(db, "reserved") == {("GLUE", "WH1-B", "F-SOON"): "30"}
    released = ok(as_user("picker", "so", "release", so, "--json"))
    assert released["state"] == "picking"
    assert stock(db, "reserved") == {}


def test_a_return_of_more_than_was_shipped_is_refused_and_a_draft_received_later(
    as_user: Any, db: Database
) -> None:
    so = _order(as_user, "BOLT=10@1")
    ok(as_user("picker", "so", "allocate", so, "--json"))
    ok(as_user("picker", "pick", "confirm", ok(as_user("picker", "pick", "create", so, "--json"))[
        "number"
    ], "--json"))  # fmt: skip
    sh = ok(as_user("picker", "so", "ship", so, "--json"))["shipment"]
    base = ["so", "return", "create", "--shipment", sh]
    before = written(db)

    too_many = as_user("clerk", *base, "--line", "BOLT=11", "--to", "WH1-A", "--json")
    not_shipped = as_user("clerk", *base, "--line", "GLUE=1", "--lot", "F-SOON", "--json")
    no_bin = as_user("clerk", *base, "--line", "BOLT=1", "--json")
    where = as_user("clerk", *base, "--line", "BOLT=1", "--disposition", "bin", "--json")
    why = as_user("clerk", *base, "--line", "BOLT=1", "--reason", "bored", "--json")
    sales = as_user("sales", *base, "--line", "BOLT=1", "--to", "WH1-A", "--json")

    error = refused(too_many, 5)
    assert (error["code"], error["data"]["item"]) == ("return_exceeds_shipped", "BOLT")
    assert refused(not_shipped, 5)["code"] == "not_shipped"
    assert refused(no_bin, 4)["code"] == "location_required"
    assert refused(where, 4)["code"] == "unknown_disposition"
    assert refused(why, 4)["code"] == "unknown_reason_code"
    assert refused(sales, 8)["code"] == "permission_denied"
    assert written(db) == before

    first, second = (
        ok(as_user("clerk", *base, "--line", "BOLT=4", "--disposition", "scrap", "--draft",
                   "--json"))["number"]
        for _ in range(2)
    )  # fmt: skip
    assert (
        refused(as_user("clerk", *base, "--line", "BOLT=3", "--to", "WH1-A", "--json"), 5)["code"]
        == "return_exceeds_shipped"
    )  # 4 + 4 of the 10 are on drafts already
    cancelled = ok(as_user("clerk", "so", "return", "cancel", second, "--json"))
    received = ok(as_user("clerk", "so", "return", "receive", first, "--json"))

    assert cancelled["state"] == "cancelled"
    # to scrap through the quality location: in and out again
    assert (received["state"], len(received["move_ids"])) == ("received", 2)
    assert stock(db)[("BOLT", "WH1-A", None)] == "90"
    listed = ok(as_user("clerk", "so", "return", "list", "--json"))["items"]
    assert [(d["number"], d["state"]) for d in listed] == [
        (second, "cancelled"),
        (first, "received"),
    ]


def test_a_step_repeated_with_its_key_replays_the_first_answer(as_user: Any, db: Database) -> None:
    so = _order(as_user, "BOLT=10@1")
    allocate = ["so", "allocate", so, "--idempotency-key", "a-1", "--json"]
    first = ok(as_user("picker", *allocate))
    before = written(db)

    again = ok(as_user("picker", *allocate))

    assert (first["replayed"], again["replayed"], again["allocated"]) == (False, True, {"1": "10"})
    assert written(db) == before


def test_each_group_help_lists_the_states_and_steps_of_its_machine(cangku: Invoke) -> None:
    from cangku.domain.outbound import PICK_LIST, REQUISITION, SALES_ORDER

    for words, machine in [
        (["so", "approve"], SALES_ORDER),
        (["requisition", "--help"], REQUISITION),
        (["pick", "confirm"], PICK_LIST),
    ]:
        result = cangku(*words, "--help") if words[-1] != "--help" else cangku(*words)
        assert result.exit_code == 0, result.output
        flat = " ".join(result.output.replace("│", " ").split())
        for source, step, target, permission, role in machine.table():
            assert f"{source}: {step} -> {target}; {permission}, {role}" in flat
    confirm = " ".join(cangku("pick", "confirm", "--help").output.replace("│", " ").split())
    assert "LINE[=QTY][:LOT][@BIN][!REASON]" in confirm


def test_demand_and_the_delivery_note_through_the_command_line(
    as_user: Any, db: Database, tmp_path: Any
) -> None:
    number = _order(as_user, "GLUE=100@1", "BOLT=30@1")  # worth 130: approved at once
    demand = ok(as_user("sales", "so", "demand", "--days", "7", "--json"))
    assert [
        (d["item"], d["demand"], d["covered"], d["available"], d["shortage"]) for d in demand
    ] == [
        ("BOLT", "30", "0", "100", "0"),
        ("GLUE", "100", "0", "120", "0"),
    ]
    ok(as_user("picker", "so", "allocate", number, "--json"))
    pick = ok(as_user("picker", "pick", "create", number, "--json"))["number"]
    ok(as_user("picker", "pick", "confirm", pick, "--json"))
    shipment = ok(as_user("picker", "so", "ship", number, "--carrier", "SF", "--json"))["shipment"]
    assert ok(as_user("sales", "so", "demand", "--short", "--json")) == []
    target = tmp_path / "note.pdf"
    written_note = ok(as_user("picker", "ship", "note", shipment, "--out", str(target), "--json"))
    assert written_note == {
        "file": str(target),
        "bytes": target.stat().st_size,
        "shipment": shipment,
        "lines": 4,
    }
    assert target.read_bytes().startswith(b"%PDF")
    assert refused(as_user("picker", "ship", "note", "SH-NONE", "--json"), 3)["code"] == (
        "shipment_not_found"
    )
