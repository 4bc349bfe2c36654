"""The declared document machines are consistent, and the docs print them verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest

from cangku.domain.adjustments import ADJUSTMENT
from cangku.domain.documents import Machine, invalid_transition
from cangku.domain.errors import InvalidInput, InvalidTransition
from cangku.domain.inbound import (
    INSPECTION,
    PURCHASE_ORDER,
    PUTAWAY,
    RECEIPT,
    SUPPLIER_RETURN,
    parse_serials,
)
from cangku.domain.outbound import (
    CUSTOMER_RETURN,
    PICK_LIST,
    REQUISITION,
    SALES_ORDER,
    SHIPMENT,
)

INBOUND = (PURCHASE_ORDER, RECEIPT, INSPECTION, PUTAWAY, SUPPLIER_RETURN)
OUTBOUND = (SALES_ORDER, REQUISITION, PICK_LIST, SHIPMENT, CUSTOMER_RETURN)
WORKFLOWS = Path(__file__).resolve().parents[2] / "docs" / "workflows"


@pytest.mark.parametrize(
    ("machine", "page"),
    [(m, "inbound.md") for m in INBOUND]
    + [(m, "outbound.md") for m in OUTBOUND]
    + [(ADJUSTMENT, "adjustments.md")],
    ids=lambda x: x.doc_type if isinstance(x, Machine) else x,
)
def test_the_docs_print_each_state_table(machine: Machine, page: str) -> None:
    assert machine.markdown() in (WORKFLOWS / page).read_text(encoding="utf-8")


def test_an_order_moves_only_along_its_table() -> None:
    assert PURCHASE_ORDER.next("draft", "confirm") == "confirmed"
    assert PURCHASE_ORDER.next("draft", "confirm", "awaiting_approval") == "awaiting_approval"
    assert [s.code for s in PURCHASE_ORDER.steps_from("confirmed")] == ["cancel"]
    assert PURCHASE_ORDER.final == frozenset({"received", "closed", "cancelled"})
    with pytest.raises(InvalidTransition) as refused:
        PURCHASE_ORDER.next("received", "cancel", number="PO-1")
    assert refused.value.data == {
        "document_type": "purchase_order",
        "document": "PO-1",
        "state": "received",
        "step": "cancel",
    }
    with pytest.raises(InvalidInput) as unknown:
        PURCHASE_ORDER.step("ship")
    assert unknown.value.code == "unknown_step"


def test_a_machine_naming_an_unknown_state_is_refused_at_declaration() -> None:
    from cangku.domain.documents import Step

    with pytest.raises(ValueError, match="unknown states"):
        Machine("x", "X", ("a",), "a", (Step("go", ("a",), ("b",), "x.go", "viewer"),))


def test_invalid_transition_names_the_document() -> None:
    assert invalid_transition("receipt", "GR-1", "draft", "register").code == "invalid_transition"


@pytest.mark.parametrize(
    ("text", "serials"),
    [
        ("SN100-SN102", ["SN100", "SN101", "SN102"]),
        ("A007-A010, B1", ["A007", "A008", "A009", "A010", "B1"]),
        ("X-1", ["X-1"]),
        ("9-11", ["9", "10", "11"]),
    ],
)
def test_serial_ranges_expand_with_their_padding(text: str, serials: list[str]) -> None:
    assert parse_serials(text) == serials


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SN5-SN3", "invalid_serial_range"),
        ("A1-A20000", "invalid_serial_range"),
        ("S1 S1", "duplicate_serial"),
    ],
)
def test_bad_serial_ranges_are_refused(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_serials(text)
    assert refused.value.code == code
