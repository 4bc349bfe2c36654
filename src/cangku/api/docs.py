"""The API's interactive docs at ``/docs``: Swagger UI from the ``fastapi-swagger`` package
(installed from PyPI with the app: nothing is fetched from a CDN), started by our own
``/docs/docs.js`` so that the page runs under the app's strict Content-Security-Policy (no
inline script, nothing from elsewhere)."""

from __future__ import annotations

from functools import cache
from html import escape
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

#: the package that ships Swagger UI's files (a dependency in pyproject.toml)
SWAGGER_PACKAGE = "fastapi_swagger.resources"
#: the files of Swagger UI the docs page uses, by their name under /docs/
SWAGGER_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
#: our start-up script (the page itself has no script of its own)
INIT_SCRIPT = Path(__file__).parent / "static" / "docs.js"
#: the assets may be kept by browsers for a day (they change only with an upgrade)
ASSET_CACHE = "public, max-age=86400"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API docs</title>
<link rel="stylesheet" href="{root}/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="{root}/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{root}/docs/swagger-ui-bundle.js"></script>
<script src="{root}/docs/docs.js"></script>
</body>
</html>
"""


@cache
def _asset(name: str) -> bytes:
    if name == "docs.js":
        return INIT_SCRIPT.read_bytes()
    return resources.files(SWAGGER_PACKAGE).joinpath(name).read_bytes()


def install(app: FastAPI) -> None:
    """Add ``/docs`` and its assets to ``app`` (not part of the OpenAPI document)."""
    openapi_url = app.openapi_url or "/openapi.json"

    async def page(request: Request) -> Response:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        html = PAGE.format(
            title=escape(app.title),
            root=escape(root),
            openapi_url=escape(root + openapi_url),
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    async def asset(request: Request) -> Response:
        name = str(request.path_params["name"])
        if name == "docs.js":
            media_type = "text/javascript; charset=utf-8"
        elif name in SWAGGER_FILES:
            media_type = SWAGGER_FILES[name]
        else:
            raise HTTPException(404, "Not Found")
        return Response(_asset(name), media_type=media_type, headers={"Cache-Control": ASSET_CACHE})

    app.add_route("/docs", page, methods=["GET"], include_in_schema=False)
    app.add_route("/docs/{name}", asset, methods=["GET"], include_in_schema=False)
