"""The stock count pages (issue 14): a blind count of zone WH1-A raised on its form and
started at once, counted on the scan screen (location, item, lot, quantity; an unexpected lot
found) while stock moves, closed, one line sent back for a recount by someone else, approved
above the threshold by someone who did not count, posted; the count's page with its lines as
each reader may see them, the totals and the moves since the snapshot. After each POST: the
exact state, lines and on-hand quantities; each refusal: the form or page again with the
message in the page's language and nothing written; the pages in Chinese."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from cangku.db import tables
from cangku.db.tables import balances, count_lines, items, locations, lots, moves
from cangku.db.uow import Database
from cangku.services.counts import CountEntry, NewCount, create_count, enter_counts
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from cangku.services.users import create_user
from tests import snapshot
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, key_of, sign_in_as
from tests.web.test_every_page_in_chinese import _data, _english_messages, _raw_codes, _untranslated
from tests.web.test_outbound_pages import _autofocus, _error, _rows, _value

#: what a refused form, scan or step must leave as it was
WATCHED = [
    *snapshot.WATCHED,
    tables.documents,
    tables.document_events,
    tables.count_sessions,
    tables.count_lines,
    tables.outbox,
    tables.audit_log,
]


def _state_of(db: Database) -> dict[str, Any]:
    return snapshot.state(db, WATCHED)


@pytest.fixture
def site(db: Database, database_url: str) -> Iterator[tuple[Browser, Database]]:
    """The test company: WH1-A 100 BOLT at 0.50 and 40 GLUE of lot G1 at 2.00, WH1-A-01 (under
    WH1-A) 10 BOLT, WH1-B 10 BOLT; differences above 5.00 in value need an approver who did
    not count. Users zhao (stock counter), qian (warehouse manager, who counts too) and boss
    (warehouse manager) in WH1, watcher (viewer) everywhere."""
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "100", "WH1-A", unit_cost="0.50"))
    receive_stock(db, CTX, Receive("BOLT", "10", "WH1-A-01", unit_cost="0.50"))
    receive_stock(db, CTX, Receive("BOLT", "10", "WH1-B", unit_cost="0.50"))
    receive_stock(db, CTX, Receive("GLUE", "40", "WH1-A", lot="G1", unit_cost="2.00"))
    with db.write() as uow:
        uow.conn.execute(text("UPDATE company SET adjustment_approval_threshold = 5000000"))
        uow.commit()
    with browser(db, database_url) as client:
        for name, role, where in [
            ("zhao", "stock_counter", "WH1"),
            ("qian", "warehouse_manager", "WH1"),
            ("boss", "warehouse_manager", "WH1"),
            ("watcher", "viewer", None),
        ]:
            create_user(db, CTX, name, name.title(), PASSWORD, [(role, where)])
        client.cookies.set("lang", "en")
        yield client, db


def _as(client: Browser, db: Database, username: str, lang: str = "en") -> Browser:
    sign_in_as(client, db, username)
    client.cookies.set("lang", lang)
    return client


def _number(db: Database) -> str:
    with db.read() as conn:
        found = conn.execute(
            select(tables.documents.c.number).where(tables.documents.c.doc_type == "count")
        ).scalar_one()
    return str(found)


def _doc_state(db: Database) -> str:
    with db.read() as conn:
        found = conn.execute(
            select(tables.documents.c.state).where(tables.documents.c.doc_type == "count")
        ).scalar_one()
    return str(found)


def _on_hand(db: Database) -> dict[tuple[str, str, str | None], Decimal]:
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, locations.c.code, lots.c.code, balances.c.on_hand)
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .where(balances.c.on_hand != 0, locations.c.kind == "internal")
        )
        return {(r[0], r[1], r[2]): Decimal(r[3]) / 10**6 for r in rows}


def _counted(db: Database) -> dict[tuple[str, str, str | None], Decimal | None]:
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, locations.c.code, lots.c.code, count_lines.c.counted)
            .join_from(count_lines, items, items.c.id == count_lines.c.item_id)
            .join(locations, locations.c.id == count_lines.c.location_id)
            .outerjoin(lots, lots.c.id == count_lines.c.lot_id)
        )
        return {(r[0], r[1], r[2]): None if r[3] is None else Decimal(r[3]) / 10**6 for r in rows}


def _line_id(db: Database, item: str, location: str) -> int:
    with db.read() as conn:
        return int(
            conn.execute(
                select(count_lines.c.id)
                .join(items, items.c.id == count_lines.c.item_id)
                .join(locations, locations.c.id == count_lines.c.location_id)
                .where(items.c.code == item, locations.c.code == location)
            ).scalar_one()
        )


def _raise(client: Browser, **form: str) -> Any:
    page = client.get("/counts/new")
    assert page.status_code == 200
    data = {"idempotency_key": key_of(page.text), "warehouse": "WH1", "zones": "WH1-A",
            "blind": "1", "start": "1", "note": "year end", **form}  # fmt: skip
    return client.post("/counts/new", data=data, follow_redirects=False)


def _scan(client: Browser, number: str, page: str, **form: str) -> Any:
    """Send the scan screen ``page`` as shown with ``form``'s fields changed (one Enter)."""
    fields = {name: _value(page, name) for name in ("idempotency_key", "checked", "location")}
    fields["item"] = _value(page, "item")
    fields["quantity"] = _value(page, "quantity")
    if 'name="lot"' in page:
        fields["lot"] = _value(page, "lot")
    fields.update(form)
    return client.post(f"/counts/{number}/scan", data=fields, follow_redirects=False)


def _count_one(client: Browser, number: str, location: str, item: str, quantity: str,
               lot: str = "") -> Any:  # fmt: skip
    """Scan the location, the item, the lot if asked, type the quantity: each with Enter."""
    page = client.get(f"/counts/{number}/scan").text
    answer = _scan(client, number, page, location=location)
    assert _autofocus(answer.text) == "item"
    answer = _scan(client, number, answer.text, item=item)
    if _autofocus(answer.text) == "lot":
        answer = _scan(client, number, answer.text, lot=lot)
    assert _autofocus(answer.text) == "quantity", _error(answer.text)
    return _scan(client, number, answer.text, quantity=quantity)


def _take(client: Browser, number: str, step: str, **form: Any) -> Any:
    """Press a step's button on the count's page (with the page's idempotency key)."""
    page = client.get(f"/documents/{number}").text
    key = key_of(page) if "idempotency_key" in page else uuid.uuid4().hex
    data = {"idempotency_key": key, **form}
    return client.post(f"/documents/{number}/count/{step}", data=data, follow_redirects=False)


def _header(page: str) -> list[str]:
    head = re.search(r'<table[^>]*id="count-lines".*?<thead>(.*?)</thead>', page, re.S)
    assert head is not None
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head[1])]


# ------------------------------------------------------------------ raising


def test_a_blind_count_is_raised_and_started_on_the_form(site: tuple[Browser, Database]) -> None:
    client, db = site
    zhao = _as(client, db, "zhao")
    # the operations page offers a new count and the counts; the counts' list a new one
    page = zhao.get("/stock/operations").text
    assert 'href="/counts/new"' in page and 'href="/documents?type=count"' in page
    assert 'class="button primary" href="/counts/new"' in zhao.get("/documents?type=count").text
    # when the counter raises a blind count of zone WH1-A, started at once
    answer = _raise(zhao)
    # then it counts the zone's three places, and its page shows it
    number = _number(db)
    assert re.fullmatch(r"CNT-WH1-\d{4}-00001", number)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/documents/{number}"
    page = zhao.get(answer.headers["location"]).text
    assert f"{number} was raised and started: 3 places to count." in page
    assert _doc_state(db) == "counting"
    assert re.search(r'id="scope"><div>Zones: <a href="/locations/WH1-A">WH1-A</a></div>', page)
    assert "(the expected quantities are hidden from you)" in page
    # blind to the counter: no expected figures
    assert _header(page) == ["Location", "Item", "Lot", "Counted", "Counted by", "Round"]
    assert [r[:4] for r in _rows(page, "count-lines")] == [
        ["WH1-A", "BOLT Hex bolt M8", "", "not counted"],
        ["WH1-A", "GLUE Wood glue", "G1", "not counted"],
        ["WH1-A-01", "BOLT Hex bolt M8", "", "not counted"],
    ]
    assert 'href="/counts/' + number + '/scan"' in page
    # the counter's task inbox opens the scan screen
    assert f'href="/counts/{number}/scan"' in zhao.get("/tasks").text
    assert re.findall(r'formaction="/documents/[^"/]+/count/([a-z]+)"', page) == [
        "close",
        "cancel",
    ]
    # the manager sees what the books expect
    page = _as(client, db, "boss").get(f"/documents/{number}").text
    assert _header(page) == ["Location", "Item", "Lot", "Expected", "Counted", "Counted by",
                             "Round"]  # fmt: skip
    assert [r[3] for r in _rows(page, "count-lines")] == ["100", "40", "10"]


def test_a_draft_count_is_started_and_cancelled_from_its_page(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    zhao = _as(client, db, "zhao")
    answer = _raise(zhao, start="", blind="", zones="", items="GLUE")
    number = _number(db)
    page = zhao.get(answer.headers["location"]).text
    assert f"{number} was raised; start it when counting begins." in page
    assert "The lines come from the snapshot when the count starts." in page
    assert re.search(r'id="scope"><div>Items: <a href="/items/GLUE">GLUE</a></div>', page)
    assert _take(zhao, number, "start").status_code == 303
    assert _doc_state(db) == "counting"
    assert _counted(db) == {("GLUE", "WH1-A", "G1"): None}
    # not blind: the counter sees the expected quantity
    assert [r[3] for r in _rows(zhao.get(f"/documents/{number}").text, "count-lines")] == ["40"]
    assert _take(zhao, number, "cancel", note="wrong scope").status_code == 303
    assert _doc_state(db) == "cancelled"
    # the scan screen of a cancelled count counts nothing
    page = zhao.get(f"/counts/{number}/scan").text
    assert "This count is Cancelled: nothing is counted now." in page
    assert 'id="count-scan"' not in page


def test_a_count_of_the_cycle_count_plan_names_its_places(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    # nothing counted yet: every place of WH1 is due (4 places with stock)
    number = create_count(db, CTX, NewCount("WH1", plan=True, start=True)).number
    page = _as(client, db, "boss").get(f"/documents/{number}").text
    assert re.search(
        r'id="scope"><div><a href="/counts/plan">Places due in the cycle-count plan: 4</a>', page
    )


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"zones": "NOPE"}, 404, "There is no location with this code."),
        ({"zones": "WH2-A"}, 422, "Location WH2-A is not in this warehouse."),
        ({"items": "BOLT NOTHING"}, 404, "Item NOTHING does not exist."),
        ({"warehouse": ""}, 404, "Warehouse does not exist."),
    ],
)
def test_a_refused_count_form_comes_back_as_typed_and_writes_nothing(
    site: tuple[Browser, Database], form: dict[str, str], status: int, message: str
) -> None:
    client, db = site
    zhao = _as(client, db, "zhao")
    before = _state_of(db)
    answer = _raise(zhao, **form)
    assert answer.status_code == (422 if status == 404 else status)
    assert _error(answer.text) == message
    assert _state_of(db) == before
    # as typed
    assert "year end</textarea>" in answer.text
    assert re.search(r'name="blind" value="1" checked', answer.text)
    if "items" in form:
        assert ">BOLT NOTHING</textarea>" in answer.text


def test_a_count_form_refusal_in_chinese(site: tuple[Browser, Database]) -> None:
    client, db = site
    zhao = _as(client, db, "zhao", "zh_CN")
    before = _state_of(db)
    answer = _raise(zhao, zones="WH2-A")
    assert answer.status_code == 422
    assert "WH2-A" in _error(answer.text) and "仓库" in _error(answer.text)
    assert _state_of(db) == before


# ------------------------------------------------------------------ counting with a scanner


def test_counting_on_the_scan_screen_one_scan_at_a_time(site: tuple[Browser, Database]) -> None:
    client, db = site
    zhao = _as(client, db, "zhao")
    _raise(zhao)
    number = _number(db)
    page = zhao.get(f"/counts/{number}/scan").text
    assert _autofocus(page) == "location"
    assert "0 of 3 places counted" in page
    # when the location is scanned: the item is asked for, nothing written
    before = _state_of(db)
    answer = _scan(zhao, number, page, location="WH1-A")
    assert (answer.status_code, _autofocus(answer.text)) == (200, "item")
    # the item: its name shown, the quantity asked for (BOLT is not lot-tracked)
    answer = _scan(zhao, number, answer.text, item="BOLT")
    assert (answer.status_code, _autofocus(answer.text)) == (200, "quantity")
    assert "BOLT · Hex bolt M8" in answer.text and 'name="lot"' not in answer.text
    assert _state_of(db) == before
    # the quantity: recorded, back at the same location for the next item
    answer = _scan(zhao, number, answer.text, quantity="93")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/counts/{number}/scan?location=WH1-A"
    page = zhao.get(answer.headers["location"]).text
    assert "Counted 93 of BOLT at WH1-A." in page
    assert _autofocus(page) == "item" and _value(page, "location") == "WH1-A"
    assert _counted(db)[("BOLT", "WH1-A", None)] == Decimal(93)
    # a lot-tracked item asks for its lot; an unexpected lot is counted too
    assert _count_one(zhao, number, "WH1-A", "GLUE", "41", "G1").status_code == 303
    assert _count_one(zhao, number, "WH1-A", "GLUE", "3", "G9").status_code == 303
    # scanning another location where the item is asked moves there
    page = zhao.get(f"/counts/{number}/scan?location=WH1-A").text
    answer = _scan(zhao, number, page, item="WH1-A-01")
    assert _autofocus(answer.text) == "item" and _value(answer.text, "location") == "WH1-A-01"
    answer = _scan(zhao, number, answer.text, item="BOLT")
    assert _scan(zhao, number, answer.text, quantity="10").status_code == 303
    assert _counted(db) == {
        ("BOLT", "WH1-A", None): Decimal(93),
        ("GLUE", "WH1-A", "G1"): Decimal(41),
        ("GLUE", "WH1-A", "G9"): Decimal(3),
        ("BOLT", "WH1-A-01", None): Decimal(10),
    }
    page = zhao.get(f"/counts/{number}/scan").text
    assert "4 of 4 places counted" in page
    assert [r[:3] for r in _rows(page, "last-entries")] == [
        ["WH1-A-01", "BOLT Hex bolt M8", "10"],
        ["WH1-A", "GLUE Wood glue Lot G9", "3"],
        ["WH1-A", "GLUE Wood glue Lot G1", "41"],
        ["WH1-A", "BOLT Hex bolt M8", "93"],
    ]


def test_a_barcode_or_a_gs1_code_names_the_item_and_its_lot(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    with db.write() as uow:  # GLUE's GTIN
        glue = uow.conn.execute(select(items.c.id).where(items.c.code == "GLUE")).scalar_one()
        uow.conn.execute(tables.item_barcodes.insert().values(barcode="6901234567809",
                                                              item_id=glue))  # fmt: skip
        uow.commit()
    zhao = _as(client, db, "zhao")
    _raise(zhao)
    number = _number(db)
    page = zhao.get(f"/counts/{number}/scan?location=WH1-A").text
    # a GS1 code brings the item and its lot: the quantity is asked at once
    answer = _scan(zhao, number, page, item="(01)06901234567809(10)G1")
    assert _autofocus(answer.text) == "quantity"
    assert (_value(answer.text, "item"), _value(answer.text, "lot")) == ("GLUE", "G1")
    assert _scan(zhao, number, answer.text, quantity="40").status_code == 303
    # an item's barcode names the item
    page = zhao.get(f"/counts/{number}/scan?location=WH1-A").text
    answer = _scan(zhao, number, page, item="6901234567892")
    assert (_autofocus(answer.text), _value(answer.text, "item")) == ("quantity", "BOLT")
    assert _scan(zhao, number, answer.text, quantity="100").status_code == 303
    assert _counted(db) == {
        ("BOLT", "WH1-A", None): Decimal(100),
        ("GLUE", "WH1-A", "G1"): Decimal(40),
        ("BOLT", "WH1-A-01", None): None,
    }


@pytest.mark.parametrize(
    ("entry", "status", "message", "focus"),
    [
        ({"location": "WH1-A", "item": "BOLT", "quantity": "-1"}, 422,
         "A counted quantity of BOLT cannot be negative.", "quantity"),
        ({"location": "WH1-B", "item": "BOLT", "quantity": "10"}, 422,
         "BOLT at WH1-B is outside this count's scope: count only what it covers.", "item"),
        ({"location": "WH1-A", "item": "BOLT", "quantity": "ten"}, 422, None, "quantity"),
        ({"location": "NOWHERE"}, 422,
         "Nothing has the code NOWHERE: no item, barcode, location or lot.", "location"),
        ({"location": "BOLT"}, 422, "Scan the bin first.", "location"),
        ({"location": "WH2-A"}, 422, "Location WH2-A is not in this warehouse.", "location"),
        ({"location": "WH1-A", "item": "WH2-A"}, 422,
         "Location WH2-A is not in this warehouse.", "item"),
        ({"location": "WH1-A", "item": "NOTHING"}, 422,
         "Nothing has the code NOTHING: no item, barcode, location or lot.", "item"),
    ],
)  # fmt: skip
def test_a_refused_scan_shows_the_screen_again_and_writes_nothing(
    site: tuple[Browser, Database],
    entry: dict[str, str],
    status: int,
    message: str | None,
    focus: str,
) -> None:
    client, db = site
    _raise(_as(client, db, "zhao"))
    number = _number(db)
    # who counts in every warehouse: a location of another is known, but not the count's
    counter = _as(client, db, "admin" if "WH2-A" in entry.values() else "zhao")
    page = counter.get(f"/counts/{number}/scan").text
    before = _state_of(db)
    answer = _scan(counter, number, page, **entry, checked=entry.get("item", ""))
    assert answer.status_code == status, answer.text
    if message:
        assert _error(answer.text) == message
    else:
        assert _error(answer.text)
    assert _autofocus(answer.text) == focus
    assert _state_of(db) == before
    assert _value(answer.text, "quantity") == entry.get("quantity", "")


# ------------------------------------------------------------------ review, recount, approval


def _counted_count(client: Browser, db: Database, note: str = "year end") -> str:
    """Zone WH1-A raised blind by zhao, 5 BOLT issued from WH1-A while counting, counted:
    BOLT 93 at WH1-A, GLUE G1 41, an unexpected GLUE G9 3, BOLT 10 at WH1-A-01."""
    zhao = _as(client, db, "zhao")
    _raise(zhao, note=note)
    zhao.get("/")  # its message read
    number = _number(db)
    issue_stock(db, CTX, Issue("BOLT", "5", "WH1-A"))
    entries = [
        CountEntry("WH1-A", "BOLT", "93"),
        CountEntry("WH1-A", "GLUE", "41", "G1"),
        CountEntry("WH1-A", "GLUE", "3", "G9"),
        CountEntry("WH1-A-01", "BOLT", "10"),
    ]
    from cangku.services.common import Context

    enter_counts(db, Context("zhao"), number, entries)
    return number


def test_close_review_recount_approve_and_post_from_the_count_page(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    number = _counted_count(client, db)
    zhao = _as(client, db, "zhao")
    # when the counter closes counting
    assert _take(zhao, number, "close").status_code == 303
    assert _doc_state(db) == "review"
    # then the counter still sees no expected, book or difference
    page = zhao.get(f"/documents/{number}").text
    assert _header(page) == ["Location", "Item", "Lot", "Moved since snapshot", "Counted",
                             "Counted by", "Round"]  # fmt: skip
    # the manager sees each difference against the books when it was counted, and its value
    boss = _as(client, db, "boss")
    page = boss.get(f"/documents/{number}").text
    assert _header(page) == ["Recount", "Location", "Item", "Lot", "Expected",
                             "Moved since snapshot", "Book", "Counted", "Difference", "Value",
                             "Counted by", "Round"]  # fmt: skip
    assert [r[1:10] for r in _rows(page, "count-lines")] == [
        ["WH1-A", "BOLT Hex bolt M8", "", "100", "-5", "95", "93", "-2", "-CN¥1.00"],
        ["WH1-A", "GLUE Wood glue", "G1", "40", "0", "40", "41", "+1", "CN¥2.00"],
        ["WH1-A", "GLUE Wood glue found", "G9", "0", "0", "0", "3", "+3", "CN¥6.00"],
        ["WH1-A-01", "BOLT Hex bolt M8", "", "10", "0", "10", "10", "0", "CN¥0.00"],
    ]
    totals = dict(re.findall(r'data-total="(\w+)"[^>]*>([^<]*)<', page))
    assert totals == {"lines": "4", "counted": "4", "right": "1", "accuracy": "25% ",
                      "net": "CN¥7.00", "absolute": "CN¥9.00"}  # fmt: skip
    assert [r[0:3] + r[-1:] for r in _rows(page, "moves-since")] == [["WH1-A", "BOLT", "", "-5"]]
    assert re.findall(r'formaction="/documents/[^"/]+/count/([a-z]+)"', page) == [
        "recount",
        "approve",
        "cancel",
    ]
    # a recount with no line ticked is refused, nothing written
    before = _state_of(db)
    refused = _take(boss, number, "recount")
    assert (refused.status_code, _error(refused.text)) == (422, "Tick the lines to recount.")
    assert _state_of(db) == before
    # the manager sends BOLT at WH1-A back
    bolt = _line_id(db, "BOLT", "WH1-A")
    assert _take(boss, number, "recount", recount_line=[str(bolt)]).status_code == 303
    assert _doc_state(db) == "counting"
    assert _counted(db)[("BOLT", "WH1-A", None)] is None
    # its first counter may not recount it
    zhao = _as(client, db, "zhao")
    before = _state_of(db)
    refused = _count_one(zhao, number, "WH1-A", "BOLT", "94")
    assert refused.status_code == 422
    assert _error(refused.text) == (
        "BOLT at WH1-A is recounted by someone who did not count it the first time."
    )
    assert _state_of(db) == before
    # qian (a manager) recounts it and closes
    qian = _as(client, db, "qian")
    assert _count_one(qian, number, "WH1-A", "BOLT", "93").status_code == 303
    assert _take(qian, number, "close").status_code == 303
    # qian counted: above the threshold qian may not approve
    before = _state_of(db)
    refused = _take(qian, number, "approve")
    assert refused.status_code == 409
    assert _error(refused.text) == (
        f"{number} differs by 9 in value, above the threshold of 5: someone who did not count "
        "it approves it."
    )
    assert _state_of(db) == before
    # the counter may not approve at all
    zhao = _as(client, db, "zhao")
    before = _state_of(db)
    refused = _take(zhao, number, "approve")
    assert refused.status_code == 403
    assert _state_of(db) == before
    # boss approves and posts
    boss = _as(client, db, "boss")
    assert _take(boss, number, "approve").status_code == 303
    assert _doc_state(db) == "approved"
    page = boss.get(f"/documents/{number}").text
    key = key_of(page)
    posted = boss.post(f"/documents/{number}/count/post", data={"idempotency_key": key},
                       follow_redirects=False)  # fmt: skip
    assert posted.status_code == 303
    assert _doc_state(db) == "posted"
    assert _on_hand(db) == {
        ("BOLT", "WH1-A", None): Decimal(93),
        ("BOLT", "WH1-A-01", None): Decimal(10),
        ("BOLT", "WH1-B", None): Decimal(10),
        ("GLUE", "WH1-A", "G1"): Decimal(41),
        ("GLUE", "WH1-A", "G9"): Decimal(3),
    }
    with db.read() as conn:
        written = conn.execute(
            select(moves.c.operation, moves.c.quantity, moves.c.reason_code)
            .where(moves.c.document_id == number)
            .order_by(moves.c.id)
        ).all()
    assert [(str(o), Decimal(q) / 10**6, r) for o, q, r in written] == [
        ("adjust", Decimal(2), "count_difference"),
        ("adjust", Decimal(1), "count_difference"),
        ("adjust", Decimal(3), "count_difference"),
    ]
    page = boss.get(f"/documents/{number}").text
    assert "Posted" in page and len(re.findall(r'href="/moves/\d+"', page)) >= 3
    # posting twice: the same key answers what was done; a new one is refused
    before = _state_of(db)
    again = boss.post(f"/documents/{number}/count/post", data={"idempotency_key": key},
                      follow_redirects=False)  # fmt: skip
    assert again.status_code == 303
    assert _state_of(db) == before
    refused = _take(boss, number, "post")
    assert refused.status_code == 409
    assert _error(refused.text) == (
        f"{number} is Posted: “Post the differences” cannot be done now."
    )
    assert _state_of(db) == before


def test_a_refused_close_or_start_writes_nothing(site: tuple[Browser, Database]) -> None:
    client, db = site
    number = _counted_count(client, db)
    boss = _as(client, db, "boss")
    before = _state_of(db)
    # a counting count cannot be approved or posted (no button; the route refuses)
    for step in ("approve", "post", "start"):
        refused = _take(boss, number, step)
        assert refused.status_code == 409, step
        assert "cannot be done now." in _error(refused.text)
        assert _state_of(db) == before
    # a viewer may not close
    watcher = _as(client, db, "watcher")
    before = _state_of(db)
    refused = _take(watcher, number, "close")
    assert refused.status_code == 403
    assert _state_of(db) == before
    # zero the uncounted: nothing uncounted here, the figures stay
    boss = _as(client, db, "boss")
    assert _take(boss, number, "close", zero_uncounted="1").status_code == 303
    assert _doc_state(db) == "review"


def test_the_count_pages_in_chinese(site: tuple[Browser, Database]) -> None:
    client, db = site
    number = _counted_count(client, db, note="年终盘点")
    messages, raw, data = _english_messages(), _raw_codes(), _data(db)
    problems: list[str] = []
    for user, url in [
        ("zhao", "/counts/new"),
        ("zhao", f"/counts/{number}/scan"),
        ("zhao", f"/documents/{number}"),
        ("zhao", "/stock/operations"),
        ("boss", "/documents?type=count"),
    ]:
        page = _as(client, db, user, "zh_CN").get(url)
        assert page.status_code == 200, url
        problems += [f"{url}: {p}" for p in _untranslated(page.text, messages, raw, data)]
    _take(_as(client, db, "zhao"), number, "close")
    client.get("/")  # its message read
    page = _as(client, db, "boss", "zh_CN").get(f"/documents/{number}").text
    assert "盘点" in page
    problems += [f"review: {p}" for p in _untranslated(page, messages, raw, data)]
    assert problems == []
