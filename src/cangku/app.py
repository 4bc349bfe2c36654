"""The whole application: the REST API and the web pages on one ASGI app."""

from __future__ import annotations

from fastapi import FastAPI

from cangku.api.app import create_api
from cangku.db.uow import Database
from cangku.settings import Settings


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    app = create_api(settings, db)
    try:
        from cangku.web.pages import mount
    except ImportError:  # pragma: no cover - only while the web package is being built
        return app
    mount(app)
    return app


def asgi() -> FastAPI:
    """Factory for ``uvicorn --factory cangku.app:asgi`` (settings from the environment)."""
    return create_app()
