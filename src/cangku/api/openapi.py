"""The OpenAPI document describes every answer: each operation's error responses, added centrally.

Every route under ``/api/v1`` answers its refusals as ``application/problem+json``
(``cangku.api.errors``). Rather than each router listing them, ``describe_errors`` walks the
finished document and adds to each operation the problem answers it can give, read from the
route itself (so a router added later is described too):

- 401 ``not_authenticated`` and 403 ``permission_denied`` / ``csrf_failed``: every operation
  but the public ones (``PUBLIC``);
- 404 ``<thing>_not_found``: an operation with a path parameter, a body, or a query parameter
  that names a thing (``REFERENCE_PARAMETERS``);
- 409 (a rule, a conflict, an idempotency key reused): every operation that writes;
- 400 ``malformed_json`` and 413 ``request_too_large``: an operation with a body;
- 422 (``invalid_input`` with ``data.errors``, or the rule's own code): an operation with
  parameters or a body, and every operation that writes.

The bounds the shared checks enforce with their own codes (``limit`` 1 to 500 and ``offset``
``invalid_limit`` / ``invalid_offset``; a non-empty ``Idempotency-Key`` of at most 200
characters, ``invalid_idempotency_key``) are written into each parameter's schema here too.

A route may declare more, or describe one better, with ``responses=problems(...)``; what it
declares is kept (and its content made ``application/problem+json`` with the problem schema).
FastAPI's own 422 (``application/json``, ``HTTPValidationError``) is replaced: that body is
never sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from cangku.queries.common import MAX_LIMIT, MAX_OFFSET
from cangku.services.auth import SESSION_COOKIE

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_SCHEMA = "ProblemOut"


class ProblemOut(BaseModel):
    """Every refusal's body (RFC 9457): ``code`` is stable, ``data`` says the details."""

    type: str
    title: str
    status: int
    code: str
    message: str
    data: dict[str, Any]


#: a ``responses=`` entry for a problem answer (add a ``description``); see ``problems``
PROBLEM_RESPONSE: dict[str, Any] = {"model": ProblemOut, "content": {PROBLEM_MEDIA_TYPE: {}}}


def problems(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route's problem answers, by status:
    ``problems({409: "`lot_expired` ..."})``. The usual ones (401, 403, 404, 422, ...) are added
    to every operation by ``describe_errors``; declare one here to say more about it."""
    return {
        status: {**PROBLEM_RESPONSE, "description": text} for status, text in descriptions.items()
    }


def one_of(values: Iterable[Any], *, nullable: bool = False) -> dict[str, Any]:
    """``json_schema_extra`` naming the values a text field takes: the schema says them, the
    service checks them with its own stable code (``invalid_item_type``, ...)."""
    return {"enum": [*(str(v) for v in values), *([None] if nullable else [])]}


def not_null(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` for a field of a change that may be left out (it stays as it is)
    but is never sent as null (the service refuses null with the field's own code)."""
    options = [s for s in schema.pop("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        schema.update(options[0])
    elif options:
        schema["anyOf"] = options
    if schema.get("default", 0) is None:
        del schema["default"]


def route_contexts(app: Any) -> list[Any]:
    """The app's routes with their full paths (FastAPI >= 0.130 keeps included routers apart)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI: app.routes holds every route
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def allowed_methods(request: Request) -> str:
    """``Allow`` for a 405: the methods of the resource the path names, that is of every route
    with the path template of the first route whose path matches."""
    routes = [r for r in route_contexts(request.app) if r.methods and r.path_format]
    path = request.url.path
    template = next((r.path_format for r in routes if r.path_regex.match(path)), None)
    methods = {m for r in routes if r.path_format == template for m in r.methods}
    return ", ".join(sorted(methods))


API_PREFIX = "/api/v1/"
#: operations anyone may call (no credentials)
PUBLIC = frozenset({("GET", "/api/v1/health")})
#: query parameters that name a thing: an unknown one answers 404 ``<thing>_not_found``
REFERENCE_PARAMETERS = frozenset(
    {
        "item",
        "location",
        "warehouse",
        "partner",
        "category",
        "lot",
        "unit",
        "user",
        "role",
        "parent",
        "under",
    }
)
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: the bounds every list and every keyed request enforces (``queries.common.check_paging``,
#: ``services.common``, with their own codes): said in the schema of each parameter
PARAMETER_BOUNDS: dict[tuple[str, str], dict[str, Any]] = {
    ("query", "limit"): {"minimum": 1, "maximum": MAX_LIMIT},
    ("query", "offset"): {"minimum": 0, "maximum": MAX_OFFSET},
    ("header", "Idempotency-Key"): {"minLength": 1, "maxLength": 200},
}

#: what each status means, for the operations that do not describe it themselves
DESCRIPTIONS: dict[int, str] = {
    400: "`malformed_json`: the body is not JSON; nothing written",
    401: "`not_authenticated`: no, wrong, expired or revoked credentials",
    403: (
        "`permission_denied` (`data.permission`, `data.warehouse` when the refusal is for one "
        "warehouse), `csrf_failed`, or a token that may not do this; nothing written"
    ),
    404: "`<thing>_not_found` (`data.key`): a thing named in the path, the query or the body",
    409: (
        "a rule refused it (`insufficient_stock`, `period_closed`, ...), a concurrent change "
        "(`version_conflict`), a duplicate, or `idempotency_key_reused`; nothing written"
    ),
    413: "`request_too_large` (`data.limit`: CANGKU_MAX_REQUEST_BYTES, uploads "
    "CANGKU_MAX_UPLOAD_BYTES)",
    422: (
        "`invalid_input` (every problem in `data.errors`: field, problem, type), "
        "`invalid_number`, or a rule's own code (`invalid_limit`, `lot_required`, "
        "`unknown_reason_code` with `data.allowed`, ...); nothing written"
    ),
}


def _flatten(dependant: Dependant) -> list[Dependant]:
    found = [dependant]
    for sub in dependant.dependencies:
        found += _flatten(sub)
    return found


def expected_errors(route: Any, method: str) -> set[int]:
    """The error statuses ``route`` can answer to ``method`` (see the module's list)."""
    if (method, route.path) in PUBLIC:
        return set()
    parts = _flatten(route.dependant)
    path_params = any(d.path_params for d in parts)
    query = {p.alias for d in parts for p in d.query_params}
    params = path_params or bool(query) or any(d.header_params for d in parts)
    body = route.body_field is not None
    writes = method in WRITES
    found = {401, 403}
    if params or body or writes:
        found.add(422)
    if path_params or body or query & REFERENCE_PARAMETERS:
        found.add(404)
    if writes:
        found.add(409)
    if body:
        found |= {400, 413}
    return found


def _bound_parameters(operation: dict[str, Any], method: str) -> None:
    if method not in WRITES:  # a read ignores an Idempotency-Key: it is not one of its inputs
        operation["parameters"] = [
            p for p in operation.get("parameters", []) if p.get("name") != "Idempotency-Key"
        ]
        if not operation["parameters"]:
            del operation["parameters"]
    for parameter in operation.get("parameters", []):
        bounds = PARAMETER_BOUNDS.get((parameter.get("in", ""), parameter.get("name", "")))
        if bounds:
            schema = parameter.setdefault("schema", {})
            target = next((s for s in schema.get("anyOf", []) if s.get("type") != "null"), schema)
            target.update(bounds)


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA}"}}}


def describe_errors(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Add each API operation's error answers to ``document`` (the app's OpenAPI, in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        PROBLEM_SCHEMA, ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    for route in route_contexts(app):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        if not route.path.startswith(API_PREFIX):
            continue
        for method in route.methods:
            operation = document["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            statuses = expected_errors(route, method)
            declared = route.responses or {}
            validation = responses.pop("422", None)
            if validation is not None:
                statuses.add(422)  # FastAPI's validation answer, said in its own words below
                if 422 in declared or "422" in declared:  # the route's own words about it
                    responses["422"] = {"description": validation.get("description", "")}
            for status in sorted(statuses | {int(s) for s in responses if str(s)[0] in "45"}):
                entry = responses.setdefault(str(status), {})
                if status not in declared and str(status) not in declared:
                    entry["description"] = DESCRIPTIONS.get(status, entry.get("description", ""))
                entry.setdefault("description", DESCRIPTIONS.get(status, ""))
                entry["content"] = _problem_content()
            operation["responses"] = dict(sorted(responses.items()))
            _bound_parameters(operation, method)
            if (method, route.path) not in PUBLIC:
                operation.setdefault("security", [{"bearer": []}, {"session": []}])
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's, never sent
        if f"#/components/schemas/{unused}" not in str(document["paths"]):
            schemas.pop(unused, None)
    document["components"].setdefault(
        "securitySchemes",
        {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "an API token (`ck_...`), made by `cangku login` or POST /tokens",
            },
            "session": {
                "type": "apiKey",
                "in": "cookie",
                "name": SESSION_COOKIE,
                "description": "the web session; a request that writes also sends X-CSRF-Token",
            },
        },
    )
    return document
