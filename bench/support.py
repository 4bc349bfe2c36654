"""What the benchmarks share: fresh databases, timing, counting statements, timing named steps
and the result table."""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

from cangku.db import driver, ledger
from cangku.db.uow import Database
from cangku.domain.stock import MoveLine

OUT = Path(__file__).parent / "out"
PG_ADMIN = os.environ.get("CANGKU_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def fresh_database(engine: str, keep: bool = False) -> Iterator[str]:
    """A new empty database URL: a temp SQLite file, or a PostgreSQL database created here and
    dropped at the end (unless ``keep``)."""
    if engine == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="cangku-bench-"))
        path = folder / "bench.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            if not keep:
                for leftover in folder.iterdir():
                    leftover.unlink()
                folder.rmdir()
            else:
                print(f"kept {path}", file=sys.stderr)
        return
    name = f"cangku_bench_{uuid.uuid4().hex[:10]}"
    with pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"kept PostgreSQL database {name}", file=sys.stderr)
        else:
            with pg_admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_admin() -> psycopg.Connection[tuple[Any, ...]]:
    return pg_connect(PG_ADMIN, autocommit=True)


def pg_connect(url: str, autocommit: bool = False) -> psycopg.Connection[tuple[Any, ...]]:
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        autocommit=autocommit,
    )


def post_in_batches(db: Database, lines: list[MoveLine], size: int = 5000) -> float:
    """Seed stock through the ledger (as the admin, user 1), ``size`` lines a posting: answers
    the seconds it took."""
    started = time.perf_counter()
    for start in range(0, len(lines), size):
        with db.write() as uow:
            ledger.post_lines(uow.conn, lines[start : start + size], 1, datetime.now(UTC))
            uow.commit()
    return time.perf_counter() - started


def median_ms(work: Callable[[int], object], runs: int = 50) -> float:
    """Median wall time of ``work(i)`` for i in range(runs), in milliseconds."""
    times = []
    for i in range(runs):
        started = time.perf_counter()
        work(i)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


class Counter:
    """Statements sent to the database, through SQLAlchemy and through ``cangku.db.driver``:
    one per ``execute`` or ``executemany`` (SQLAlchemy's "insertmanyvalues" batches of one
    execute count once), also inside a PostgreSQL pipeline. Only the thread that called
    ``counting`` is counted, so a bench may post from other threads meanwhile."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        self.on = False
        self.thread = 0
        event.listen(db.engine, "before_cursor_execute", self._sqlalchemy)
        real = driver._driver
        counter = self

        class Cursor:
            def __init__(self, cursor: Any) -> None:
                self._cursor = cursor

            def execute(self, *args: Any, **kwargs: Any) -> Any:
                counter.add(str(args[0]))
                return self._cursor.execute(*args, **kwargs)

            def executemany(self, *args: Any, **kwargs: Any) -> Any:
                counter.add(str(args[0]))
                return self._cursor.executemany(*args, **kwargs)

            def __enter__(self) -> Cursor:
                self._cursor.__enter__()
                return self

            def __exit__(self, *exc: Any) -> Any:
                return self._cursor.__exit__(*exc)

            def __getattr__(self, name: str) -> Any:
                return getattr(self._cursor, name)

        class Raw:
            def __init__(self, raw: Any) -> None:
                self._raw = raw

            def execute(self, *args: Any, **kwargs: Any) -> Any:
                counter.add(str(args[0]))
                return self._raw.execute(*args, **kwargs)

            def cursor(self, *args: Any, **kwargs: Any) -> Cursor:
                return Cursor(self._raw.cursor(*args, **kwargs))

            def __getattr__(self, name: str) -> Any:
                return getattr(self._raw, name)

        driver._driver = lambda conn: Raw(real(conn))
        self._contexts: set[int] = set()
        self._held: list[Any] = []
        self.texts: list[str] = []

    def _counted(self) -> bool:
        return self.on and threading.get_ident() == self.thread

    def add(self, sql: str = "(driver)") -> None:
        if self._counted():
            self.count += 1
            self.texts.append(sql)

    def _sqlalchemy(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        # SQLAlchemy's "insertmanyvalues" sends one execute() in batches: count it once
        if self._counted() and id(context) not in self._contexts:
            self._contexts.add(id(context))
            self._held.append(context)  # held, so that no later context reuses its id
            self.count += 1
            self.texts.append(statement)

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.count, self.on, self.thread = 0, True, threading.get_ident()
        self._contexts.clear()
        self._held.clear()
        self.texts = []
        try:
            yield
        finally:
            self.on = False


@dataclass
class Steps:
    """Named steps, each timed and its statements counted; the step whose name contains
    ``profile`` runs under cProfile and its profile is printed (``label`` says of what run).
    ``steps(name, work)`` answers what ``work()`` answered."""

    counter: Counter
    profile: str | None = None
    label: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    statements: dict[str, int] = field(default_factory=dict)
    #: this thread's CPU time in the step (the database server's is not in it): on a loaded
    #: machine, what the step itself cost
    cpu: dict[str, float] = field(default_factory=dict)

    def __call__(self, name: str, work: Callable[[], Any]) -> Any:
        profiler = cProfile.Profile() if self.profile and self.profile in name else None
        with self.counter.counting():
            started, cpu = time.perf_counter(), time.thread_time()
            if profiler:
                profiler.enable()
            try:
                result = work()
            finally:
                if profiler:
                    profiler.disable()
                self.seconds[name] = time.perf_counter() - started
                self.cpu[name] = time.thread_time() - cpu
        self.statements[name] = self.counter.count
        if profiler:
            print(f"\nprofile of {name!r} {self.label}".rstrip())
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        return result


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Figure:
    metric: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.passed is None else ("pass" if self.passed else "FAIL")


def print_table(title: str, figures: list[Figure]) -> None:
    rows = [(f.metric, f"{f.value:,.2f} {f.unit}".strip(), f.target, f.verdict) for f in figures]
    heads = ("metric", "figure", "target", "result")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def save(name: str, meta: dict[str, Any], figures: list[Figure]) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    payload = {
        **meta,
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": sys.version.split()[0],
        "figures": [f.__dict__ for f in figures],
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path


def print_grid(title: str, heads: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A table of text cells under ``heads``; columns after the first are right-aligned (they
    hold figures)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(f"\n{title}")
    print(line(heads))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
