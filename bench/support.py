"""What the benchmarks share: fresh databases, a small company, timing and the result table."""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

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
