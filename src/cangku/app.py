"""The whole application: the REST API and the web pages on one ASGI app."""

from __future__ import annotations

from fastapi import FastAPI

from cangku.api.app import create_api
from cangku.db.uow import Database
from cangku.settings import Settings
from cangku.web.pages import mount


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """The API and the web pages (every page but the sign-in page needs a session)."""
    app = create_api(settings, db)
    mount(app)
    return app


def asgi() -> FastAPI:
    """Factory for ``uvicorn --factory cangku.app:asgi`` (settings from the environment)."""
    return create_app()
