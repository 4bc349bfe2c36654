"""Every route of the API with what it declares, read from the app itself (so a new endpoint is
covered by the tests that walk this list without anyone adding it by hand)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, get_args

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from cangku.api.deps import declared_action, refuses_tokens
from cangku.domain.permissions import Action

API = "/api/v1"
#: routes anyone may call (no sign-in)
PUBLIC = frozenset({f"{API}/health", f"{API}/openapi.json"})


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    #: what the route's dependencies declare: Actions, None (any signed-in user)
    declared: tuple[Action | None, ...]
    #: the refusal a ``signed_in(refuse_tokens=...)`` route gives an API token
    refuses_tokens: str | None
    query: tuple[str, ...]
    #: the query parameters typed ``str`` or ``list[str]`` (free text and codes)
    text_query: tuple[str, ...]
    path_params: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.method} {self.path[len(API) :]}"

    @property
    def writes(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")

    def url(self, values: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], self.path)


def _dependencies(dependant: Dependant) -> list[Any]:
    found: list[Any] = []
    for sub in dependant.dependencies:
        found.append(sub.call)
        found.extend(_dependencies(sub))
    return found


def _is_text(param: Any) -> bool:
    annotation = getattr(param.field_info, "annotation", None)
    args = set(get_args(annotation))
    return annotation is str or args == {str, type(None)} or annotation == list[str]


def _api_routes(app: FastAPI) -> list[Any]:
    """The app's routes with their full paths (newer FastAPI keeps included routers apart)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes holds every route with its full path
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return [r for r in iter_route_contexts(app.routes) if getattr(r, "dependant", None)]


def api_routes(app: FastAPI) -> list[Route]:
    """Every (method, path) under /api/v1 except the public ones, in the app's order."""
    routes = []
    for route in _api_routes(app):
        path = route.path
        if not path.startswith(API) or path in PUBLIC:
            continue
        dependant: Dependant = route.dependant
        calls = _dependencies(dependant)
        declared = tuple(found for call in calls if (found := declared_action(call)) is not False)
        refusal = next((code for call in calls if (code := refuses_tokens(call))), None)
        query = tuple(p.alias for p in dependant.query_params)
        text = tuple(p.alias for p in dependant.query_params if _is_text(p))
        names = tuple(p.name for p in dependant.path_params)
        for method in sorted(route.methods or ()):
            routes.append(
                Route(method, path, declared, refusal, query, text, names)  # type: ignore[arg-type]
            )
    return routes
