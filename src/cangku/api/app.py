"""The ASGI application: API under /api/v1, web pages under /, OpenAPI docs at /docs."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cangku import __version__
from cangku.api import docs, errors
from cangku.api.errors import problem
from cangku.api.openapi import describe_errors
from cangku.api.routers import all_routers
from cangku.db.uow import Database
from cangku.headers import SecurityHeaders
from cangku.settings import Settings, get_settings

#: the paths that take files (imports): they have their own, larger limit
UPLOAD_PATHS = ("/api/v1/imports/", "/api/v1/moves/bulk", "/import/", "/stock/import")


class BodySizeLimit:
    """Refuse bodies larger than the limit before they are read into memory (HTTP 413);
    uploads (``UPLOAD_PATHS``) have ``upload_limit``."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int | None = None) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = max(limit, upload_limit or limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.upload_limit if path.startswith(UPLOAD_PATHS) else self.limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0
        refused = started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the app answers is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def limited() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                seen += len(message.get("body", b""))
                if seen > limit:
                    if not started:
                        await self._refuse(scope, receive, send, limit)
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, limited, guarded_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(
            413,
            "request_too_large",
            f"the request body is larger than {limit} bytes",
            {"limit": limit},
        )
        await response(scope, receive, send)


class CangkuAPI(FastAPI):
    """FastAPI with the security headers (``cangku.headers``) outside all of its middleware:
    on every response, the 413s of ``BodySizeLimit`` and the 500s of unexpected errors too."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())

    def openapi(self) -> dict[str, Any]:
        """The document, with every operation's error answers (``cangku.api.openapi``)."""
        if self.openapi_schema is None:
            self.openapi_schema = describe_errors(self, super().openapi())
        return self.openapi_schema


def create_api(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """The API alone; ``cangku.app.create_app`` adds the web pages."""
    settings = settings or get_settings()
    app = CangkuAPI(
        title="cangku",
        version=__version__,
        description="Inventory management on an append-only, hash-chained stock ledger.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # cangku.api.docs serves /docs under the app's own CSP
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.database_url)
    errors.install(app)
    docs.install(app)

    for router in all_routers():
        app.include_router(router, prefix="/api/v1")

    @app.get("/api/v1/health", tags=["system"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_request_bytes,
        upload_limit=settings.max_upload_bytes,
    )

    return app
