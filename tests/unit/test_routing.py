"""``cangku.routing``: routers that decline a path none of their routes can match, without
changing what FastAPI answers (ADR 0021)."""

from __future__ import annotations

import inspect
import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match

from cangku.routing import SegmentRouter, first_segments


def _router() -> SegmentRouter:
    router = SegmentRouter(prefix="/stock")

    @router.get("/on-hand")
    def on_hand() -> dict[str, str]:
        return {"where": "on-hand"}

    @router.post("/receive", status_code=201)
    def receive() -> dict[str, str]:
        return {"where": "receive"}

    return router


def _app(*routers: SegmentRouter) -> TestClient:
    app = FastAPI()
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    return TestClient(app)


def test_a_router_knows_the_first_segments_of_its_routes_and_of_its_included_routers() -> None:
    outer = SegmentRouter()

    @outer.get("/moves")
    def moves() -> None: ...

    outer.include_router(_router())
    assert first_segments(outer) == frozenset({"moves", "stock"})


def test_a_route_starting_with_a_parameter_turns_the_shortcut_off() -> None:
    router = SegmentRouter()

    @router.get("/{anything}")
    def anything(anything: str) -> str:
        return anything

    assert first_segments(router) == frozenset()
    assert _app(router).get("/api/v1/whatever").json() == "whatever"


def test_a_path_without_the_routers_segment_is_declined_before_matching() -> None:
    router = _router()
    scope = {"type": "http", "path": "/api/v1/items/BOLT", "method": "GET"}
    assert router.matches(scope) == (Match.NONE, {})


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/stock/on-hand", 200),
        ("POST", "/api/v1/stock/receive", 201),
        ("GET", "/api/v1/stock/receive", 405),  # the route's path matched: method not allowed
        ("GET", "/api/v1/items/BOLT", 404),
    ],
    ids=["get", "post", "wrong-method", "no-route"],
)
def test_answers_are_fastapis_own(method: str, path: str, status: int) -> None:
    other = SegmentRouter(prefix="/items")

    @other.get("/")
    def items() -> list[str]:
        return []

    client = _app(other, _router())
    response = client.request(method, path)
    assert response.status_code == status
    if status == 405:
        assert response.headers["allow"] == "POST"


def test_a_synchronous_endpoint_runs_on_a_worker_thread_and_is_registered_async() -> None:
    router = SegmentRouter()
    seen: dict[str, str] = {}

    @router.get("/where")
    def where() -> dict[str, bool]:
        seen["endpoint"] = threading.current_thread().name
        return {"ok": True}

    @router.get("/loop")
    async def loop() -> None:
        seen["loop"] = threading.current_thread().name

    # the module keeps the plain function (callable directly); the route has the wrapper
    assert not inspect.iscoroutinefunction(where)
    assert inspect.iscoroutinefunction(router.routes[0].endpoint)  # type: ignore[attr-defined]
    client = _app(router)
    assert client.get("/api/v1/where").json() == {"ok": True}
    client.get("/api/v1/loop")
    assert seen["endpoint"] != seen["loop"]  # not on the event loop's thread
