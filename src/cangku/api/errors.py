"""The one place where errors become HTTP answers (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from cangku.api.openapi import allowed_methods
from cangku.domain.errors import CangkuError

PROBLEM = "application/problem+json"
#: pydantic error types that are answered as their own code, not ``invalid_input``
#: (``cangku.api.numbers.INVALID_NUMBER``, ``cangku.api.schemas_stock.INVALID_TIME``)
STABLE_TYPES = frozenset({"invalid_number", "invalid_time"})


def problem(
    status: int, code: str, message: str, data: dict[str, Any] | None = None
) -> JSONResponse:
    body = {
        "type": f"urn:cangku:error:{code}",
        "title": message,
        "status": status,
        "code": code,
        "message": message,
        "data": data or {},
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _validation_message(errors: list[Any]) -> tuple[str, str, list[dict[str, Any]]]:
    details = []
    code = "invalid_input"
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part != "body"]
        details.append(
            {"field": ".".join(loc), "problem": error.get("msg", ""), "type": error.get("type")}
        )
        if error.get("type") == "json_invalid":
            code = "malformed_json"
        elif error.get("type") in STABLE_TYPES and code == "invalid_input":
            code = str(error["type"])  # the number grammar's and the time's stable codes
    if code == "malformed_json":
        return code, "the request body is not valid JSON", details
    first = details[0] if details else {"field": "", "problem": "invalid"}
    where = f" ({first['field']})" if first["field"] else ""
    return code, f"invalid input{where}: {first['problem']}", details


def install(app: FastAPI) -> None:
    @app.exception_handler(CangkuError)
    async def _domain(_: Request, exc: CangkuError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.message, exc.data)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        code, message, details = _validation_message(list(exc.errors()))
        return problem(422 if code != "malformed_json" else 400, code, message, {"errors": details})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "route_not_found", 405: "method_not_allowed", 413: "request_too_large"}
        code = codes.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # RFC 9110: a 405 lists the methods the resource has
            headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        # pages answer in HTML: the web face registers its renderer on the app
        html = getattr(request.app.state, "html_error", None)
        if html is not None and not request.url.path.startswith("/api/"):
            page: Response = html(request, CangkuError(str(exc.detail), code=code))
            page.status_code = exc.status_code
            page.headers.update(headers)
            return page
        answer = problem(exc.status_code, code, str(exc.detail))
        answer.headers.update(headers)
        return answer

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:  # pragma: no cover
        return problem(500, "internal_error", "an unexpected error occurred; it has been logged")
