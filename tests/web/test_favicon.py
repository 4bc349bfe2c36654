"""``/favicon.ico``: the site's own SVG icon (from ``/static``), also linked by every page."""

from __future__ import annotations

import warnings

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.settings import Settings

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def test_favicon_is_served_from_static_without_sign_in(db: Database, database_url: str) -> None:
    # a migrated database: the sign-in page's footer reads the company's time zone
    app = create_app(Settings(database_url=database_url), db)
    with TestClient(app) as client:
        icon = client.get("/favicon.ico")
        assert icon.status_code == 200
        assert icon.headers["content-type"].startswith("image/svg+xml")
        assert icon.content.lstrip().startswith(b"<svg")
        assert icon.content == client.get("/static/favicon.svg").content
        assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in (
            client.get("/sign-in").text
        )
