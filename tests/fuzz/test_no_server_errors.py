"""No input makes the API answer 500, and every refusal is problem+json with a ``code``.

Two generators drive every operation of the app's OpenAPI schema against one seeded company:

- ``test_schema_driven``: schemathesis (Hypothesis over the OpenAPI schema), inputs that fit the
  schema and inputs that break it, a bounded number of examples per operation;
- ``test_nasty_values``: a valid request per operation, then every body field, nested field,
  path parameter, query parameter and header replaced in turn by each value of a table of
  nasty values (wrong types, huge/negative numbers, NaN, 1e400, empty and very long strings,
  unicode, SQL, HTML, odd dates), plus missing, extra, non-JSON and non-object bodies.

The bugs these found (an empty filter warning, integers beyond BIGINT, move values beyond
BIGINT) are fixed; each keeps a regression test at the end of this module.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.auth import admin_headers, user_with_roles
from tests.databases import ENGINE, RUN_ID, pg_admin, pg_url
from tests.factories import build_company

# a test dependency (the `test` extra: "schemathesis>=4.0"); skipped where it is not installed yet
schemathesis = pytest.importorskip("schemathesis")
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
INT64_MAX = 2**63 - 1

#: the app whose schema drives the tests; its database is swapped in by ``seeded`` below
#: (schemathesis needs the schema at import time, the database exists only in a fixture)
APP = create_app(Settings(database_url="sqlite://"), Database("sqlite://"))
OPERATIONS = [
    (method.upper(), path)
    for path, ops in APP.openapi()["paths"].items()
    for method in ops
    if path.startswith(API)
]


# ------------------------------------------------------------------ the seeded company
@pytest.fixture(scope="module")
def fuzz_url(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database for the whole module (the fuzzers add to it as they go)."""
    if ENGINE == "postgresql":
        name = f"cangku_fuzz_{RUN_ID}_{uuid.uuid4().hex[:10]}"
        with pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield pg_url(name)
        with pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = Path(tmp_path_factory.mktemp("fuzz")) / "cangku.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"


SEED = [
    ("/partners", {"code": "SUP1", "name": "Supplier", "is_supplier": True}),
    ("/partners/SUP1/contacts", {"name": "Ms Li"}),
    ("/categories", {"code": "HW", "name": "Hardware"}),
    ("/items", {"code": "SPARE", "name": "Spare", "item_type": "consumable"}),
    ("/stock/receive", {"item": "BOLT", "quantity": "1000", "to_location": "WH1-A"}),
    ("/stock/receive", {"item": "FLOUR", "quantity": "500", "to_location": "WH1-A", "lot": "F1"}),
    ("/stock/receive", {"item": "PUMP", "quantity": "1", "to_location": "WH1-A", "lot": "P-1"}),
    ("/stock/reserve", {"item": "BOLT", "quantity": "10", "location": "WH1-A"}),
]


#: the administrator's token, for the schema-driven calls too
HEADERS: dict[str, str] = {}


@pytest.fixture(scope="module")
def seeded(fuzz_url: str) -> Iterator[TestClient]:
    db = Database(fuzz_url)
    build_company(db)
    APP.state.db = db
    HEADERS.update(admin_headers(db))
    # the credentials schemathesis sends: it then neither generates nor negates them
    schema.config.update(headers=HEADERS)
    user_with_roles(db, "fuzzer", ("viewer", None))  # the /users/{username} routes address it
    with TestClient(APP, raise_server_exceptions=False, headers=HEADERS) as client:
        for path, body in SEED:
            extra = {"unit_cost": "2.5"} if path == "/stock/receive" else {}
            response = client.post(f"{API}{path}", json={**body, **extra})
            assert response.status_code == 201, response.text
        client.put(f"{API}/partners/SUP1/supplier-items/BOLT", json={"price": "1.5"})
        yield client
    db.dispose()


def check(response: Any, request: str) -> None:
    """The contract: never 5xx; a 4xx is problem+json with a string ``code``."""
    assert response.status_code < 500, f"{request} -> {response.status_code} {response.text[:500]}"
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", "")
        assert content_type.startswith("application/problem+json"), (request, content_type)
        assert isinstance(response.json().get("code"), str), (request, response.text[:500])


# ------------------------------------------------------------------ schema-driven (schemathesis)
schema = schemathesis.openapi.from_asgi(f"{API}/openapi.json", APP)
schema.config.generation.update(modes=["positive", "negative"], database="none")
# the coverage phase's hundreds of boundary cases per operation cost a second each; the nasty
# value table below covers the boundaries, and test_unsupported_methods_answer_405_with_allow
# (tests/api/test_openapi_api.py) the coverage phase's unexpected methods, so schemathesis fuzzes
schema.config.phases.update(phases=["examples", "fuzzing"])

#: 422 answers to requests that fit the schema, allowed by ``documented_refusals`` in place of
#: schemathesis' ``positive_data_acceptance`` (which allows none): each is a rule JSON Schema
#: cannot say, so a schema-valid request may break it. Everything a schema can say (lengths,
#: ranges, enums, required, null or not, the time and number grammars) is in the schema, and a
#: refusal of it with any other code fails this test.
RULES_BEYOND_THE_SCHEMA: dict[str, str] = {
    # the character rule of codes, names, barcodes and lot codes: no control characters (every
    # Unicode category C: unassigned code points, surrogates, format characters) and no spaces
    # at either end. JSON Schema patterns are ECMA-262 expressions whose classes differ from
    # Python's str.isspace and unicodedata, so the schema gives the lengths and the
    # description the characters.
    "invalid_code": "the character rule of codes",
    "invalid_name": "a name is not blank (str.strip), a Unicode rule",
    "invalid_barcode": "the character rule of codes, and no spaces inside",
    "invalid_lot_code": "no surrounding spaces, tabs or line breaks",
    "invalid_username": "the character rule of user names",
    "invalid_level": "a level is not blank (str.strip)",
    # rules over stored data: what exists, its state, its settings
    "lot_required": "the item is lot- or serial-tracked (its stored setting)",
    "serial_required": "the item is serial-tracked (its stored setting)",
    "lot_not_allowed": "the item is not tracked (its stored setting)",
    "unit_cost_required": "a receipt of an item without a cost on record",
    "unit_not_found": "a unit the item does not have (stored)",
    "unknown_reason_code": "reason codes are a stored list (data.allowed names them)",
    "reason_required": "the operation's stored reason rule",
    "reason_not_allowed": "the reason's stored list of operations",
    "invalid_time_zone": "a name in the server's IANA time zone database",
    "period_not_ended": "a day that is not over yet (today's date)",
    "no_labels": "a filter that matches nothing stored (no label to print)",
    # rules across fields
    "warehouse_required": "a location names its warehouse or its parent: one of two fields",
    "no_changes": "frequencies to set name a class or a location: one of two fields",
    "no_override_levels": "an override sets at least one of three levels: across three fields",
    "reorder_point_below_safety_stock": "an override's levels with the stored ones in force",
    "max_below_reorder_point": "an override's levels with the stored ones in force",
    "choose_suggestions": "an order from suggestions names them or all: one of two fields",
    "invalid_budget_period": "a budget's period ends on or after its start: across two fields",
    # documents: rules across fields, and over the stored document
    "supplier_required": "a receipt or return without its document names warehouse and supplier",
    "order_line_without_order": "a receipt line names an order line only with an order",
    "warehouse_mismatch": "a receipt's warehouse is its order's (stored)",
    "unknown_state": "a state the document type never takes: a rule across type and state",
    "unknown_line": "a line number the stored document does not have",
    "location_required": "a put-away line without a stored suggestion names its bin",
    "location_not_in_warehouse": "the location's stored warehouse is not the document's",
    "serial_count_mismatch": "as many serial numbers as the quantity: across two fields",
    "invalid_serial_range": "a serial range's two ends share a prefix (inside one string)",
    "duplicate_serial": "serial numbers across lines and ranges are unique",
    "expiry_before_manufacture": "the expiry is not before the manufacture: across two fields",
    "invalid_due_date": "a due date within 50 years of today (the clock)",
    "below_minimum_order": "the supplier's stored minimum order quantity",
    "quantity_not_positive": "an inspection line accepts or rejects something: across two fields",
    "invalid_skip": "the labels to skip are fewer than the layout's labels per sheet",
    # outbound: rules across fields, and over the stored documents
    "threshold_required": "an approval rule has a value or a quantity threshold: two fields",
    "short_pick_reason_required": "less than the stored allocation picked needs a reason",
    "no_lines": "a pick list needs stored reservations waiting to be picked",
    # rules across fields or in the content of a file
    "partner_needs_role": "is_supplier or is_customer: a rule across two fields",
    "currency_required": "a supplier's price needs its currency: a rule across two fields",
    "weak_password": "beyond its minLength: 4 different characters, not the user name",
    "invalid_input": "a rule across fields (a model validator: reference nested or flat); "
    "a report's day from 1900 to 9998 (JSON Schema has no bounds on a date)",
    "invalid_number": "a JSON number whose digits written out pass 64 characters",
    "invalid_time": "a day the month does not have (2026-02-30): a pattern cannot say it",
    "invalid_cursor": "a cursor is one a page of the list handed out (opaque to the schema)",
    "invalid_quantity": "a quantity with more decimals than its unit has (stored)",
    "number_too_large": "a product with stored values (a unit's factor, a cost) passes 10^12",
    "effective_in_future": "a time after now (the clock, not the schema)",
    "invalid_value": "a NUL character: PostgreSQL cannot store or compare it, SQLite can",
    "invalid_email": "the address check (a name, @ and a domain with a dot)",
    "too_many_decimals": "more decimals than the unit has (stored)",
    # adjustments (issue 14)
    "label_required": "a reason code's label is not blank (str.strip)",
    "unit_cost_not_allowed": "a unit cost only on a gain: a rule across two fields",
    # the analysis reports (issue 15): rules across a report's days, and inside one string
    "invalid_over_receipt_tolerance": "a percentage from 0 to 100 with at most 2 decimals: "
    "the schema of an amount is any exact number",
    "period_reversed": "a period's start is not after its end: across two fields",
    "period_too_long": "a period covers at most 3700 days: across two fields",
    "too_many_intervals": "at most 400 intervals: across the period and the interval",
    "compare_not_before": "the day compared with is before the report's: across two fields",
    "invalid_buckets": "age bands are ascending whole days (inside one string)",
    # delivery channels and jobs (ADR 0034)
    "invalid_channel_name": "a channel's name is not blank (str.strip)",
    "invalid_channel_target": "an e-mail address or an http(s) URL by the channel's kind",
    "invalid_channel_config": "the config keys and types the channel's kind reads",
    "job_not_configured": "the job needs a setting the server lacks (backup: a folder)",
}
RULE_PREFIXES = ("import_", "file_")  # an import file's content (CSV/XLSX) is not in the schema


@schemathesis.check
def documented_refusals(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-valid request is accepted, or refused for a reason beyond the schema: 401/403
    (who asks), 404 (what exists), 409 (the state), or 422 for a rule the schema cannot say
    (``RULES_BEYOND_THE_SCHEMA``)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    code = response.json().get("code", "")
    if code in RULES_BEYOND_THE_SCHEMA or code.startswith(RULE_PREFIXES):
        return None
    raise AssertionError(f"a request that fits the schema was refused with 422 {code}")


#: examples per operation: the CI run is bounded (10, on SQLite and PostgreSQL each) and the
#: same every time (derandomized: a failure is the code's, not the seed's); set
#: CANGKU_FUZZ_EXAMPLES to explore more, with fresh random inputs
EXAMPLES = int(os.environ.get("CANGKU_FUZZ_EXAMPLES", "10"))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize="CANGKU_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_schema_driven(case: Any, seeded: TestClient) -> None:
    """Every check of schemathesis (status codes, content types, headers and bodies conform to
    the document, schema-invalid requests are refused, auth is not ignored), with
    ``documented_refusals`` in place of ``positive_data_acceptance``."""
    response = case.call_and_validate(
        headers=HEADERS,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[documented_refusals],
    )
    status = response.status_code
    if status >= 400:
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith("application/problem+json"), content_type
        assert isinstance(response.json().get("code"), str), response.text[:500]


# ------------------------------------------------------------------ nasty values
#: every field gets the core values; the rest are dealt out in turn (to keep the run short)
CORE: list[Any] = [None, -1, 2**31, "", "1e400", "NaN", "x" * 5000, "' OR 1=1 --"]
MORE: list[Any] = [
    0,
    INT64_MAX,
    1.5,
    -0.0,
    1e308,
    {},
    ["x"],
    {"a": 1},
    " ",
    "0",
    "-5",
    "0.0000001",
    "-1e400",
    "1E-400",
    "-Infinity",
    "9" * 40,
    "1" + "0" * 12,
    "12,5",
    "0x1F",
    "Ω≈ç√ 漢字 🚀",
    "\u0000",
    "'; DROP TABLE moves; --",
    "<script>alert(1)</script>",
    "%",
    "_",
    "../..",
    "2024-02-30",
    "2024-13-01T25:61:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
    "2000-01-01",
]
DEALT = 3


def nasty(index: int) -> list[Any]:
    """The core values and a rotating share of the others for the ``index``-th field."""
    start = (index * DEALT) % len(MORE)
    return CORE + (MORE + MORE)[start : start + DEALT]


PATH_NASTY = [
    "0",
    "-1",
    "9" * 19,
    "1e400",
    "NaN",
    "%2F",
    "%00",
    "%25",
    "..",
    "a%20b",
    "%E6%BC%A2",
    "%3Cb%3E",
    "%27--",
    "x" * 300,
    "a/b/c",
]
PATH_BASE = {
    "code": "BOLT",
    "barcode": "6901234567892",
    "item": "FLOUR",
    "move_id": "1",
    "lot_id": "1",
    "contact_id": "1",
    "token_id": "1",
    "seq": "1",
    "username": "fuzzer",
    "number": "PO-WH1-2026-00001",
    "rule_id": "1",
    "alert_id": "1",
    "warehouse": "WH1",
    "channel_id": "1",
    "subscription_id": "1",
    "delivery_id": "1",
    "name": "deliveries",
    "budget_id": "1",
}
PATH_BY_PREFIX = {
    "/categories/": {"code": "HW"},
    "/partners/": {"code": "SUP1", "item": "BOLT"},
    "/warehouses/": {"code": "WH1"},
    "/locations/": {"code": "WH1-A"},
    "/lots/{item}/": {"item": "FLOUR", "code": "F1"},
    "/roles/": {"code": "viewer"},
    "/reason-codes/": {"kind": "scrap", "code": "other"},
}
STOCK = {"item": "BOLT", "quantity": "1"}
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/items"): {
        "code": "FZ-1",
        "name": "n",
        "item_type": "spare_part",
        "units": [{"unit": "box", "factor": "12"}],
        "barcodes": [{"barcode": "1"}],
    },
    ("PATCH", "/items/{code}"): {"name": "x", "safety_stock": "1", "version": 1},
    ("PUT", "/items/{code}/units"): {"units": [{"unit": "box", "factor": "12"}]},
    ("PUT", "/items/{code}/barcodes"): {"barcodes": [{"barcode": "6901234567892"}]},
    ("POST", "/categories"): {"code": "FZC", "name": "n", "parent": "HW"},
    ("PATCH", "/categories/{code}"): {"name": "x", "parent": None},
    ("POST", "/units"): {"code": "fzu", "name": "n", "decimals": 2},
    ("POST", "/moves/{move_id}/reverse"): {"note": "x", "effective_at": None},
    ("POST", "/moves/bulk"): {
        "moves": [
            {
                "item": "BOLT",
                "quantity": "1",
                "from_location": "WH1/SUPPLIER",
                "to_location": "WH1-A",
                "operation": "receive",
                "unit_cost": "1",
            }
        ],
        "batch_size": 10,
    },
    ("POST", "/periods/close"): {"through": "2000-01-01", "note": "x"},
    ("POST", "/checkpoints"): {"as_of": "2001-01-01T00:00:00Z"},
    ("POST", "/lots"): {"item": "GLUE", "code": "FZL", "manufactured_on": "2024-01-01"},
    ("POST", "/lots/{item}/{code}/status"): {"status": "available", "reason": "x"},
    ("PATCH", "/lots/{item}/{code}"): {"notes": "x", "expires_on": "2099-01-01"},
    ("POST", "/serials"): {"item": "PUMP", "serial": "FZS"},
    ("POST", "/partners"): {
        "code": "FZP",
        "name": "n",
        "is_supplier": True,
        "contacts": [{"name": "c"}],
    },
    ("PATCH", "/partners/{code}"): {"name": "x", "version": 1},
    ("POST", "/partners/{code}/contacts"): {"name": "c", "email": "a@b.c"},
    ("PATCH", "/partners/{code}/contacts/{contact_id}"): {"name": "d"},
    ("PUT", "/partners/{code}/supplier-items/{item}"): {
        "price": "1.5",
        "min_order_qty": "2",
        "lead_time_days": 3,
    },
    ("POST", "/stock/receive"): {
        **STOCK,
        "to_location": "WH1-A",
        "unit_cost": "1",
        "reference": {"document_type": "po", "document_line": 1},
    },
    ("POST", "/stock/issue"): {**STOCK, "from_location": "WH1-A", "document_line": 1},
    ("POST", "/stock/transfer"): {**STOCK, "from_location": "WH1-A", "to_location": "WH1-B"},
    ("POST", "/stock/adjust"): {**STOCK, "location": "WH1-A", "reason_code": "found"},
    ("POST", "/stock/scrap"): {**STOCK, "from_location": "WH1-A", "effective_at": None},
    ("POST", "/stock/reserve"): {**STOCK, "location": "WH1-A"},
    ("POST", "/stock/release"): {**STOCK, "location": "WH1-A"},
    ("POST", "/warehouses"): {"code": "FZW", "name": "n"},
    ("PATCH", "/warehouses/{code}"): {"name": "x", "allow_negative_stock": False},
    ("POST", "/locations"): {"code": "FZ-LOC", "name": "n", "warehouse": "WH1", "capacity": "5"},
    ("PATCH", "/locations/{code}"): {"name": "x", "capacity": "10"},
    ("POST", "/users"): {
        "username": "fz-user",
        "display_name": "n",
        "password": "correct horse battery",
        "roles": [{"role": "viewer", "warehouse": "WH1"}],
    },
    ("POST", "/users/{username}/roles"): {"role": "viewer", "warehouse": "WH1"},
    ("PUT", "/users/{username}/password"): {"password": "another fine passphrase"},
    ("POST", "/me/password"): {"current_password": "x" * 12, "new_password": "y" * 12},
    ("POST", "/tokens"): {"name": "t", "scopes": ["*.view"], "days": 1},
    ("POST", "/roles"): {"code": "fz-role", "name": "n", "permissions": ["stock.view"]},
    ("PATCH", "/roles/{code}"): {"name": "x", "permissions": ["stock.view"], "active": True},
}
QUERY_BASE: dict[str, dict[str, Any]] = {
    "/stock/as-of": {"at": "2001-01-01T00:00:00Z"},
    "/users/{username}/roles": {"role": "viewer", "warehouse": "WH1"},
}
HEADERS_NASTY = [
    {"Idempotency-Key": ""},
    {"Idempotency-Key": "k" * 201},
    {"Idempotency-Key": "' OR 1=1"},
    {"Authorization": "Bearer ck_nobody"},
    {"Authorization": ""},
    {"Authorization": "Basic " + "u" * 65},
    {"Content-Type": "text/plain"},
]


def _path_values(path: str) -> dict[str, str]:
    values = dict(PATH_BASE)
    for prefix, override in PATH_BY_PREFIX.items():
        if path.startswith(prefix):
            values.update(override)
    if path.endswith(("/deactivate", "/reactivate")) and path.startswith("/items"):
        values["code"] = "SPARE"  # keep BOLT active for the stock operations
    return values


def _url(path: str, values: dict[str, str]) -> str:
    return API + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def _mutations(body: dict[str, Any], fields: list[str]) -> Iterator[tuple[str, Any]]:
    """(what, body) for each field (and nested field) set to each nasty value."""
    for index, name in enumerate(fields):
        for value in nasty(index):
            yield f"{name}={value!r:.40}", {**body, name: value}
        inner = body.get(name)
        template = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(template, dict):
            for offset, key in enumerate(template):
                for value in nasty(index + offset + 1):
                    nested = {**template, key: value}
                    yield (
                        f"{name}.{key}={value!r:.40}",
                        {**body, name: [nested] if isinstance(inner, list) else nested},
                    )
    yield "missing fields", {}
    yield "extra field", {**body, "surprise": 1}


def _body_fields(method: str, path: str) -> list[str]:
    operation = APP.openapi()["paths"][API + path][method.lower()]
    ref = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema_ = ref.get("schema", {})
    for option in schema_.get("anyOf", [schema_]):
        if "$ref" in option:
            name = option["$ref"].rsplit("/", 1)[-1]
            return list(APP.openapi()["components"]["schemas"][name].get("properties", {}))
    return []


def _send(client: TestClient, method: str, url: str, what: str, **kwargs: Any) -> str | None:
    response = client.request(method, url, **kwargs)
    try:
        check(response, f"{method} {url} {what} {kwargs}"[:700])
    except AssertionError as failure:
        return str(failure)
    return None


@pytest.mark.parametrize(("method", "path"), [(m, p[len(API) :]) for m, p in OPERATIONS])
def test_nasty_values(seeded: TestClient, method: str, path: str) -> None:
    client = seeded
    values = _path_values(path)
    body = BODIES.get((method, path), {})
    fields = _body_fields(method, path)
    query = QUERY_BASE.get(path, {})
    url = _url(path, values)
    attempts: list[tuple[str, str, dict[str, Any]]] = [
        ("valid", url, {"json": body, "params": query})
    ]
    if fields:
        attempts += [
            (what, url, {"json": b, "params": query}) for what, b in _mutations(body, fields)
        ]
        attempts += [
            ("not json", url, {"content": b"{nope", "params": query}),
            ("json array", url, {"json": [body], "params": query}),
            (
                "json null",
                url,
                {
                    "content": b"null",
                    "params": query,
                    "headers": {"Content-Type": "application/json"},
                },
            ),
        ]
    for name in values:
        if "{" + name + "}" in path:
            for odd in PATH_NASTY:
                attempts.append(
                    (
                        f"path {name}={odd:.40}",
                        _url(path, {**values, name: odd}),
                        {"json": body, "params": query},
                    )
                )
    operation = APP.openapi()["paths"][API + path][method.lower()]
    for index, param in enumerate(operation.get("parameters", [])):
        if param["in"] == "query":
            for value in nasty(index):
                if isinstance(value, (dict, list)) or value is None:
                    continue
                params = {**query, param["name"]: value}
                attempts.append(
                    (f"query {param['name']}={value!r:.40}", url, {"json": body, "params": params})
                )
    if method != "GET":
        attempts += [
            (f"headers {h}", url, {"json": body, "params": query, "headers": h})
            for h in HEADERS_NASTY
        ]
    failures = [f for what, u, kw in attempts if (f := _send(client, method, u, what, **kw))]
    assert failures == [], "\n\n".join(failures[:10])


# ------------------------------------------------------------------ the known bugs, one by one
HUGE = str(2**63)
#: still failing on SQLite (the ledger routes were bounded in 4f30a0d)
INTEGERS_BEYOND_BIGINT = [
    ("GET", f"/lots/{HUGE}", None),
    ("GET", f"/warehouses?offset={HUGE}", None),
    ("GET", f"/items?offset={HUGE}", None),
    ("PATCH", f"/partners/SUP1/contacts/{HUGE}", {"name": "x"}),
    ("PATCH", "/items/BOLT", {"name": "x", "version": 2**63}),
]
#: fixed in 4f30a0d: they stay here as regression tests
FUZZ_2_FIXED = [
    ("GET", f"/moves/{HUGE}", None),
    ("POST", f"/moves/{HUGE}/reverse", None),
    ("GET", f"/moves?item=BOLT&offset={HUGE}", None),
    ("POST", "/stock/receive", {**STOCK, "to_location": "WH1-A", "document_line": 2**63}),
]


def test_fuzz_1_move_history_without_filters(seeded: TestClient) -> None:
    """Fixed in 4f30a0d: GET /moves without a filter called and_() with nothing."""
    check(seeded.get(f"{API}/moves"), "GET /moves")


@pytest.mark.parametrize(("method", "path", "body"), INTEGERS_BEYOND_BIGINT)
def test_integers_beyond_bigint_are_refused(
    seeded: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    check(seeded.request(method, API + path, json=body), f"{method} {path} {body}")


@pytest.mark.parametrize(("method", "path", "body"), FUZZ_2_FIXED)
def test_integers_beyond_bigint_on_the_ledger_routes(
    seeded: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    check(seeded.request(method, API + path, json=body), f"{method} {path} {body}")


def test_a_move_value_beyond_bigint_is_refused(seeded: TestClient) -> None:
    """1,000,000 pcs at 100,000,000 each is worth 1e14: 1e20 scaled, more than BIGINT holds."""
    body = {**STOCK, "quantity": "1000000", "to_location": "WH1-B", "unit_cost": "100000000"}
    check(seeded.post(f"{API}/stock/receive", json=body), "POST /stock/receive")
