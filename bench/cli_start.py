"""How fast the ``cangku`` command starts (issue 11): wall time of whole runs, as a shell runs
them.

A small SQLite company is made first (the schema and the administrator through the services,
a token for ``CANGKU_TOKEN``; then a warehouse, a location, two items and a receipt through
the command itself, not timed). Each command below is then run ``--runs`` times as a new
process (``cangku`` of this virtual environment), and the median and 90th percentile of its
wall time reported; ``python -c pass`` is the floor no command can go under.

    .venv/bin/python bench/cli_start.py [--runs 10]

The target is 0.3 s for the help pages, ``--version`` and a simple query with ``--json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cangku.db.uow import Database
from cangku.services import load_all
from cangku.services.auth import create_token
from cangku.services.common import Context
from cangku.services.setup import initialize
from support import Figure, fresh_database, percentile, print_table, save

CANGKU = str(Path(sys.executable).with_name("cangku"))
TARGET_S = 0.3
#: the company the queries read: made with the command, not timed
SETUP = [
    ["warehouses", "create", "WH1", "Main warehouse"],
    ["locations", "create", "WH1-A", "Aisle A", "--warehouse", "WH1"],
    ["items", "create", "BOLT", "Bolt M8", "--type", "spare_part"],
    ["items", "create", "NUT", "Nut M8", "--type", "spare_part"],
    ["stock", "receive", "BOLT", "100", "--to", "WH1-A", "--unit-cost", "0.2"],
    ["stock", "receive", "NUT", "250", "--to", "WH1-A", "--unit-cost", "0.05"],
]
#: label, argv; the ones with a target: help pages, the version, simple queries
RUNS: list[tuple[str, list[str], bool]] = [
    ("python -c pass (floor)", [sys.executable, "-c", "pass"], False),
    ("cangku --version", [CANGKU, "--version"], True),
    ("cangku --help", [CANGKU, "--help"], True),
    ("cangku stock --help", [CANGKU, "stock", "--help"], True),
    ("cangku items list --json", [CANGKU, "items", "list", "--json"], True),
    ("cangku stock on-hand --json", [CANGKU, "stock", "on-hand", "--json"], True),
    ("cangku whoami --json", [CANGKU, "whoami", "--json"], False),
]


def run(argv: list[str], env: dict[str, str]) -> float:
    """Wall time (s) of one run of ``argv``; raises if it fails."""
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started


def company(url: str) -> dict[str, str]:
    """Make the small company at ``url``; the environment that signs ``cangku`` in to it."""
    load_all()  # the token's scope '*' is matched against every declared action
    db = Database(url)
    try:
        initialize(db)
        token = create_token(db, Context("admin"), "bench").token
    finally:
        db.dispose()
    env = {**os.environ, "CANGKU_DATABASE_URL": url, "CANGKU_TOKEN": token, "COLUMNS": "80"}
    for args in SETUP:
        run([CANGKU, *args], env)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each command")
    parser.add_argument("--keep", action="store_true", help="keep the database; print its URL")
    options = parser.parse_args()
    figures: list[Figure] = []
    with fresh_database("sqlite", keep=options.keep) as url:
        env = company(url)
        if options.keep:
            print(f"CANGKU_DATABASE_URL={url} CANGKU_TOKEN={env['CANGKU_TOKEN']}")
        for label, argv, targeted in RUNS:
            run(argv, env)  # once first: the file cache and .pyc files warm
            times = [run(argv, env) for _ in range(options.runs)]
            median, p90 = statistics.median(times), percentile(times, 0.9)
            target = f"< {TARGET_S} s" if targeted else ""
            passed = median < TARGET_S if targeted else None
            figures.append(Figure(f"{label}: median", median, "s", target, passed))
            figures.append(Figure(f"{label}: p90", p90, "s"))
    print_table(f"cangku start, SQLite, {options.runs} runs each (wall time)", figures)
    print(f"\nsaved {save('cli_start', {'engine': 'sqlite', 'runs': options.runs}, figures)}")


if __name__ == "__main__":
    main()
