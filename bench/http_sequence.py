"""The side-by-side REST sequence of issue 11, against a running server, phase by phase.

The phases and counts are those InvenTree 1.5-dev was measured with (its recommended
PostgreSQL set-up, with its worker); its figures are the peer column. Every phase is one client
(``httpx.Client``, keep-alive) unless it says threads (one client each); "ops/s" counts the
answers with the expected status (201 for writes, 200 for reads) over the phase's wall time.

``prepare`` builds, through the services: the administrator's API token, one warehouse ``WH``
with four locations ``WH-A``..``WH-D``, an item ``WARM`` for the warm-up and an item ``RACE``
with exactly 100 on hand at ``WH-A``. The sequence then creates the items it uses by API.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from cangku.db.uow import Database
from cangku.services.auth import create_token
from cangku.services.common import Context
from cangku.services.items import ItemInput, create_item
from cangku.services.setup import initialize
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.warehouses import (
    LocationInput,
    WarehouseInput,
    create_location,
    create_warehouse,
)
from support import percentile

LOCATIONS = ("WH-A", "WH-B", "WH-C", "WH-D")
RACE_ON_HAND = 100
#: InvenTree's successful requests per second per phase (issue 11)
PEERS = {
    "create items": 10.4,
    "receipts": 6.6,
    "issues of 1, 1 client": 9.1,
    "issues of 1, 8 threads": 17.7,
    "receipts of 1, 1 client": 10.5,
    "receipts of 1, 8 threads": 22.1,
    "transfers of 1": 16.1,
    "read: stock by location": 7.0,
    "read: item detail": 8.0,
}
#: the issue's target on every write phase: this many times InvenTree's requests per second
WRITE_TARGET = 30.0
#: (method, path, JSON body or None)
Call = tuple[str, str, dict[str, Any] | None]


@dataclass(frozen=True)
class Counts:
    items: int = 300  # also the receipts: one per item
    singles: int = 1000  # each of the four single-unit phases
    transfers: int = 100
    reads: int = 300  # each read phase
    threads: int = 8
    race_threads: int = 16
    race_issues: int = 160

    @classmethod
    def quick(cls) -> Counts:
        return cls(items=60, singles=200, transfers=20, reads=60)


@dataclass
class Phase:
    """One phase's answers: latency of every request (seconds), statuses, wall time."""

    name: str
    latencies: list[float]
    statuses: Counter[int]
    elapsed: float
    expected: int
    peer: float | None = None
    write: bool = False
    refusals: list[str] = field(default_factory=list)  # the first few unexpected answers

    @property
    def ok(self) -> int:
        return self.statuses[self.expected]

    @property
    def failures(self) -> int:
        return sum(self.statuses.values()) - self.ok

    @property
    def ops(self) -> float:
        return self.ok / self.elapsed if self.elapsed else float("nan")

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies, 0.5) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies, 0.95) * 1000

    @property
    def times_peer(self) -> float | None:
        return self.ops / self.peer if self.peer else None

    def row(self) -> dict[str, Any]:
        """The phase as saved in ``bench/out/http.json``."""
        statuses = {str(k): v for k, v in self.statuses.items()}
        return {"phase": self.name, "ops_per_s": self.ops, "p50_ms": self.p50_ms,
                "p95_ms": self.p95_ms, "requests": len(self.latencies), "ok": self.ok,
                "failures": self.failures, "statuses": statuses, "inventree_per_s": self.peer,
                "times_inventree": self.times_peer, "refusals": self.refusals}  # fmt: skip


def prepare(db: Database) -> str:
    """The warehouse, its locations, the warm-up and race items; returns an admin API token."""
    ctx = Context()
    initialize(db)
    create_warehouse(db, ctx, WarehouseInput("WH", "Bench warehouse"))
    for code in LOCATIONS:
        create_location(db, ctx, LocationInput(code, code, warehouse="WH"))
    for code in ("WARM", "RACE"):
        create_item(db, ctx, ItemInput(code, f"Item {code}", "finished_good"))
    receive_stock(db, ctx, Receive("WARM", "100000", "WH-A", unit_cost="1.00"))
    receive_stock(db, ctx, Receive("RACE", str(RACE_ON_HAND), "WH-A", unit_cost="1.00"))
    return create_token(db, ctx, "bench", days=1).token


def client(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"})


def _send(http: httpx.Client, call: Call) -> tuple[int, float, str]:
    method, path, body = call
    started = time.perf_counter()
    try:
        answer = http.request(method, path, json=body)
        status, text = answer.status_code, answer.text
    except httpx.HTTPError as exc:
        status, text = 0, repr(exc)  # connection error or timeout
    return status, time.perf_counter() - started, text


def _phase(name: str, results: list[tuple[int, float, str]], elapsed: float, expected: int,
           write: bool) -> Phase:  # fmt: skip
    refusals = [f"{s} {text[:300]}" for s, _, text in results if s != expected][:3]
    return Phase(name, [t for _, t, _ in results], Counter(s for s, _, _ in results), elapsed,
                 expected, PEERS.get(name), write, refusals)  # fmt: skip


def serial(http: httpx.Client, name: str, calls: list[Call], expected: int = 201) -> Phase:
    """Send ``calls`` one after the other on one keep-alive connection."""
    started = time.perf_counter()
    results = [_send(http, call) for call in calls]
    return _phase(name, results, time.perf_counter() - started, expected, calls[0][0] != "GET")


def _timed_threads(work: Callable[[int], None], count: int, ready: threading.Barrier) -> float:
    """Run ``work(0..count-1)`` on as many threads; the seconds from when all are ready (each
    waits on ``ready``, as does this thread) to when the last is done."""
    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def threaded(base_url: str, token: str, name: str, per_thread: list[list[Call]],
             expected: int = 201) -> Phase:  # fmt: skip
    """One client (connection) per thread, each sending its list; they start together."""
    out: list[list[tuple[int, float, str]]] = [[] for _ in per_thread]
    ready = threading.Barrier(len(per_thread) + 1)

    def work(index: int) -> None:
        with client(base_url, token) as http:
            http.get("/api/v1/health")  # connect before the start line
            ready.wait()
            out[index].extend(_send(http, call) for call in per_thread[index])

    elapsed = _timed_threads(work, len(per_thread), ready)
    return _phase(name, [r for rs in out for r in rs], elapsed, expected, True)


def spread(calls: list[Call], threads: int) -> list[list[Call]]:
    return [calls[i::threads] for i in range(threads)]


def warm_up(base_url: str, token: str, post: Callable[[int], Call], clients: int = 8) -> None:
    """A few requests on several connections, so every worker has imported and connected
    before a phase is timed (a keep-alive connection stays with the worker that accepted it)."""
    for _ in range(clients):
        with client(base_url, token) as http:
            for i in range(5):
                http.request(*post(i)[:2], json=post(i)[2])
                http.get("/api/v1/items/WARM")


def item_code(i: int) -> str:
    return f"B-{i:04d}"


def receipt(i: int, quantity: str = "1") -> Call:
    """A receipt into the item's own location (items created by the sequence)."""
    body = {"item": item_code(i), "quantity": quantity, "to_location": LOCATIONS[i % 4],
            "unit_cost": "2.50"}  # fmt: skip
    return "POST", "/api/v1/stock/receive", body


def issue(i: int) -> Call:
    body = {"item": item_code(i), "quantity": "1", "from_location": LOCATIONS[i % 4]}
    return "POST", "/api/v1/stock/issue", body


def transfer(i: int) -> Call:
    body = {"item": item_code(i), "quantity": "1", "from_location": LOCATIONS[i % 4],
            "to_location": LOCATIONS[(i + 1) % 4]}  # fmt: skip
    return "POST", "/api/v1/stock/transfer", body


def new_item(i: int) -> Call:
    body = {"code": item_code(i), "name": f"Bench item {i}", "item_type": "finished_good"}
    return "POST", "/api/v1/items", body


def by_location(i: int) -> Call:
    return "GET", f"/api/v1/stock?location={LOCATIONS[i % 4]}", None


def detail(i: int) -> Call:
    return "GET", f"/api/v1/items/{item_code(i)}", None


def floor_receipt(i: int) -> Call:
    return "POST", "/floor/receive", receipt(i)[2]


@dataclass
class Race:
    """The race: ``race_issues`` single-unit issues of RACE from ``race_threads`` threads."""

    phase: Phase
    issued: int
    refused_codes: Counter[str]  # by the problem's code (or the client's error)
    on_hand_after: Decimal | None

    @property
    def due(self) -> int:
        """How many issues must be refused."""
        return self.issued - RACE_ON_HAND

    @property
    def passed(self) -> bool:
        return (self.phase.statuses == Counter({201: RACE_ON_HAND, 409: self.due})
                and self.refused_codes == Counter({"insufficient_stock": self.due})
                and self.on_hand_after == 0)  # fmt: skip


def _code(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("code", ""))
    except ValueError:
        return f"not JSON: {answer.text[:80]}"


def race(base_url: str, token: str, counts: Counts) -> Race:
    """Exactly RACE_ON_HAND must be answered 201, the rest 409 ``insufficient_stock``, and the
    item's on hand must end at 0."""
    body = {"item": "RACE", "quantity": "1", "from_location": "WH-A"}
    calls: list[Call] = [("POST", "/api/v1/stock/issue", body)] * counts.race_issues
    out: list[list[tuple[int, float, str]]] = [[] for _ in range(counts.race_threads)]
    ready = threading.Barrier(counts.race_threads + 1)

    def work(index: int) -> None:
        with client(base_url, token) as http:
            http.get("/api/v1/health")
            ready.wait()
            for call in calls[index :: counts.race_threads]:
                started = time.perf_counter()
                try:
                    answer = http.request(call[0], call[1], json=call[2])
                    status = answer.status_code
                    code = "" if status == 201 else _code(answer)
                except httpx.HTTPError as exc:
                    status, code = 0, repr(exc)  # counted: the race then fails
                out[index].append((status, time.perf_counter() - started, code))

    elapsed = _timed_threads(work, counts.race_threads, ready)
    results = [r for rs in out for r in rs]
    due = counts.race_issues - RACE_ON_HAND
    name = f"race: {counts.race_issues} issues, {counts.race_threads} threads ({due} refusals due)"
    phase = _phase(name, results, elapsed, 201, True)
    phase.refusals = []  # the refusals are the point here: counted by code below
    with client(base_url, token) as http:
        answer = http.get("/api/v1/stock/items/RACE")
    on_hand = Decimal(answer.json()["on_hand"]) if answer.status_code == 200 else None
    refused = Counter(code for s, _, code in results if s != 201)
    return Race(phase, counts.race_issues, refused, on_hand)


@dataclass
class Sequence:
    phases: list[Phase]
    paired: Phase  # cangku's receipts of the paired phase
    floor: Phase
    race: Race


def paired(http: httpx.Client, floor_http: httpx.Client, n: int) -> tuple[Phase, Phase]:
    """``n`` single-unit receipts to cangku and ``n`` to the floor, alternately, each on its
    own keep-alive client: both series see the same machine (2 shared cores: other work comes
    and goes within seconds). Each side's ops/s is its answers over its own requests' time."""
    mine: list[tuple[int, float, str]] = []
    floors: list[tuple[int, float, str]] = []
    for i in range(n):
        mine.append(_send(http, receipt(i)))
        floors.append(_send(floor_http, floor_receipt(i)))
    return (
        _phase("receipts, paired with the floor", mine, sum(t for _, t, _ in mine), 201, True),
        _phase("floor: bare FastAPI, paired", floors, sum(t for _, t, _ in floors), 201, True),
    )


def run_sequence(base_url: str, floor_url: str, token: str, counts: Counts) -> Sequence:
    """Every phase in order against the cangku server at ``base_url``; right after cangku's
    receipts, ``paired`` receipts to cangku and the floor (``floor_url``) in turn."""
    n, singles = counts.items, counts.singles
    warm_up(base_url, token, lambda i: ("POST", "/api/v1/stock/receive",
            {"item": "WARM", "quantity": "1", "to_location": "WH-A"}))  # fmt: skip
    warm_up(floor_url, token, floor_receipt)
    phases = []
    m = range(singles)
    with client(base_url, token) as http, client(floor_url, token) as floor_http:

        def one(name: str, calls: list[Call], expected: int = 201) -> None:
            phases.append(serial(http, name, calls, expected))

        def eight(name: str, calls: list[Call]) -> None:
            phases.append(threaded(base_url, token, name, spread(calls, counts.threads)))

        one("create items", [new_item(i) for i in range(n)])
        # enough stock in every item for the issues below (at most 2 * singles / n each)
        one("receipts", [receipt(i, "1000") for i in range(n)])
        mine, floor = paired(http, floor_http, n)
        one("issues of 1, 1 client", [issue(i % n) for i in m])
        eight("issues of 1, 8 threads", [issue(i % n) for i in m])
        one("receipts of 1, 1 client", [receipt(i % n) for i in m])
        eight("receipts of 1, 8 threads", [receipt(i % n) for i in m])
        one("transfers of 1", [transfer(i % n) for i in range(counts.transfers)])
        reads = range(counts.reads)
        one("read: stock by location", [by_location(i) for i in reads], expected=200)
        one("read: item detail", [detail(i % n) for i in reads], 200)
    return Sequence(phases, mine, floor, race(base_url, token, counts))
