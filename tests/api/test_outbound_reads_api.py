"""The outbound reads over HTTP: the demand of open requests against free stock, a request's
line figures and reservations, and a shipment's delivery note; scoped like every read."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_outbound_api import Api, api, ok, refused  # noqa: F401 - the fixture


def _order(client: Api, *lines: dict[str, Any]) -> str:
    body = {"customer": "SHOP", "warehouse": "WH1", "lines": list(lines), "submit": True}
    return str(ok(client.post("sales", "/sales-orders", body), 201)["number"])


def test_demand_lines_reservations_and_the_delivery_note(api: Api) -> None:  # noqa: F811
    number = _order(
        api,
        {"item": "GLUE", "quantity": "100", "unit_price": "1"},
        {"item": "BOLT", "quantity": "30", "unit_price": "1"},
    )
    demand = ok(api.get("sales", "/outbound/demand", days=7))
    assert [
        (d["item"], d["demand"], d["covered"], d["available"], d["shortage"]) for d in demand
    ] == [
        ("BOLT", "30", "0", "100", "0"),
        ("GLUE", "100", "0", "120", "0"),
    ]
    ok(api.post("picker", f"/sales-orders/{number}/allocate"))
    pick = ok(api.post("picker", "/pick-lists", {"requests": [number]}), 201)["number"]
    bolt_line = next(
        line["line_no"] for line in ok(api.get("picker", f"/documents/{pick}"))["lines"]
        if line["item"] == "BOLT"
    )  # fmt: skip
    ok(api.post("picker", f"/pick-lists/{pick}/pick", {"lines": [{"line": bolt_line}]}))
    shipped = ok(api.post("picker", f"/sales-orders/{number}/ship", {"carrier": "SF"}))
    shipment = shipped["result"]["shipment"]

    facts = ok(api.get("viewer", f"/outbound/{number}"))
    assert (facts["doc_type"], facts["ship_to"]) == ("sales_order", "1 Road")
    assert [
        (ln["item"], ln["ordered"], ln["reserved"], ln["picked"], ln["shipped"], ln["backorder"])
        for ln in facts["lines"]
    ] == [("GLUE", "100", "100", "0", "0", "0"), ("BOLT", "30", "0", "0", "30", "0")]
    assert [
        (r["location"], r["lot"], r["quantity"], r["pick_list"]) for r in facts["reservations"]
    ] == [
        ("WH1-A", "F-LATE", "40", pick),
        ("WH1-A-01", "F-FAR", "30", pick),
        ("WH1-B", "F-SOON", "30", pick),
    ]
    sent = ok(api.get("viewer", f"/outbound/{shipment}"))
    assert (sent["carrier"], sent["origin"], sent["lines"]) == ("SF", number, [])
    assert ok(api.get("sales", "/outbound/demand", short="true")) == []

    note = api.get("viewer", f"/shipments/{shipment}/delivery-note.pdf", lang="zh")
    assert note.status_code == 200, note.text
    assert note.headers["content-type"] == "application/pdf"
    assert note.content.startswith(b"%PDF")
    assert refused(api.get("viewer", "/shipments/SH-NONE/delivery-note.pdf"), 404) == (
        "shipment_not_found"
    )
    assert refused(api.get("viewer", "/outbound/SO-NONE"), 404) == "document_not_found"
    assert refused(api.get("viewer", "/outbound/demand", days=-1), 422) == "invalid_input"


@pytest.mark.parametrize("path", ["/outbound/demand", "/outbound/SO-X"])
def test_reads_need_a_signed_in_caller(api: Api, path: str) -> None:  # noqa: F811
    response = api.client.get(f"/api/v1{path}")
    assert response.status_code == 401
