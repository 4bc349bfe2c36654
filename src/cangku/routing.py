"""The router of every API and page module: it declines at once a request that none of its
routes can match, and runs a synchronous endpoint with one trip to the thread pool.

FastAPI matches a request by trying every route of every included router in turn, each time
saving and restoring its context in the scope: with some 200 routes in 37 routers, a request
for a route near the end paid for about 100 regular-expression matches before its own, twice
(once to find its router, once inside it). A ``SegmentRouter`` knows the first literal path
segment of each of its routes (``stock`` for ``/stock/receive``) and answers "no match" without
looking further when none of them is a segment of the request's path; otherwise FastAPI matches
as it always does. It never declines a request one of its routes would match: a route whose
path starts with a parameter, or a route of a kind it does not know, turns the shortcut off for
that router (see ADR 0021).

FastAPI runs a synchronous endpoint on a worker thread and then, in a second trip to the
pool, validates what it returned against the response model. ``SegmentRouter`` registers each
synchronous endpoint behind an ``async`` wrapper that runs it on a worker thread: the same
thread work, one trip fewer, and the validation of the (small) answer on the event loop.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match
from starlette.types import Scope

#: a router that cannot tell (a route starting with a parameter): it tries every request
_ANY: frozenset[str] = frozenset()


def _first_segment(path: object) -> str | None:
    """``stock`` for ``/stock/receive``; None when the path starts with a parameter."""
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    first = path[1:].split("/", 1)[0]
    return first if first and "{" not in first else None


def first_segments(router: APIRouter) -> frozenset[str]:
    """The first literal segments of the router's routes (with their included routers'), or
    the empty set when a route could match a path that has none of them."""
    found: set[str] = set()
    for route in router.routes:
        included: Any = getattr(route, "original_router", None)
        if isinstance(included, APIRouter):
            prefix = getattr(getattr(route, "include_context", None), "prefix", "")
            segment = _first_segment(prefix) if prefix else None
            inner = frozenset({segment}) if segment else first_segments(included)
            if not inner:
                return _ANY
            found |= inner
            continue
        segment = _first_segment(getattr(route, "path", None))
        if segment is None:
            return _ANY
        found.add(segment)
    return frozenset(found)


def offloaded(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` (synchronous) as a coroutine function that runs it on a worker thread;
    FastAPI reads the parameters of ``endpoint`` itself (``functools.wraps``)."""

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return run


class SegmentRouter(APIRouter):
    """An APIRouter that declines requests whose path has none of its routes' first segments,
    and runs its synchronous endpoints with one trip to the thread pool."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint) and inspect.isfunction(endpoint):
            endpoint = offloaded(endpoint)
        super().add_api_route(path, endpoint, **kwargs)

    _segments: frozenset[str] = _ANY
    _segments_of: int = -1

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if len(self.routes) != self._segments_of:  # routes were added: look again
            self._segments = first_segments(self)
            self._segments_of = len(self.routes)
        if self._segments and self._segments.isdisjoint(_segments_of(scope)):
            return Match.NONE, {}
        return super().matches(scope)


#: where a request's path segments are kept in its scope (with the path they are of: a slash
#: redirect tries a copy of the scope with another path)
_SEGMENTS = "cangku.segments"


def _segments_of(scope: Scope) -> frozenset[str]:
    """The segments of the request's path, split once per request (every router asks)."""
    path = str(scope["path"])
    kept = scope.get(_SEGMENTS)
    if kept is None or kept[0] != path:
        kept = (path, frozenset(path.split("/")))
        scope[_SEGMENTS] = kept
    segments: frozenset[str] = kept[1]
    return segments
