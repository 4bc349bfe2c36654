"""Importing 50,000 items with units and barcodes from one file (issue 9: under 10 s).

Builds a CSV (or XLSX) of N items, each with a category path (40 categories, created on the
fly), two unit conversions (box, carton) and two barcodes (one of the base unit, one of the
box), plus reorder fields; then on a fresh database: the dry run (every row checked, nothing
written), the import (one transaction), and the same file again (every row unchanged).
Times include reading the file.

    .venv/bin/python bench/import_items.py [--items 50000] [--engine sqlite|postgresql]
                                           [--format csv|xlsx] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from cangku.db.schema import upgrade
from cangku.db.uow import Database
from cangku.services.common import Context
from cangku.services.imports import import_file
from cangku.services.imports.files import write_file
from cangku.services.setup import initialize
from support import Figure, fresh_database, print_table, save

HEADERS = [
    "code", "name", "item_type", "category", "base_unit", "units", "barcodes",
    "safety_stock", "reorder_point", "max_stock", "lead_time_days", "standard_cost",
]  # fmt: skip
TYPES = ["raw_material", "semi_finished", "finished_good", "spare_part", "consumable"]


def build_file(count: int, fmt: str) -> bytes:
    rows = []
    for n in range(count):
        rows.append(
            [
                f"SKU-{n:06d}", f"Item {n}", TYPES[n % 5],
                f"GROUP-{n % 8}/FAMILY-{n % 40}", "pcs", "box=12; carton=144",
                f"69{n:011d}; 79{n:011d}=box",
                "10", "20", "500", "7", f"{n % 1000}.25",
            ]
        )  # fmt: skip
    return write_file(fmt, HEADERS, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    data = build_file(args.items, args.format)
    built = time.perf_counter() - started
    ctx = Context("admin")
    figures = [Figure("build the file (not timed below)", built, "s")]
    with fresh_database(args.engine) as url:
        db = Database(url)
        upgrade(db.engine)
        initialize(db)
        profiler = cProfile.Profile() if args.profile else None

        def run(label: str, dry_run: bool) -> None:
            if profiler:
                profiler.enable()
            begun = time.perf_counter()
            summary = import_file(db, ctx, "items", data, dry_run=dry_run)
            seconds = time.perf_counter() - begun
            if profiler:
                profiler.disable()
            counts = f"{summary.created}/{summary.updated}/{summary.unchanged}"
            target = "< 10 s" if label == "import" else ""
            passed = seconds < 10 if label == "import" else None
            figures.append(Figure(f"{label} ({counts} c/u/=)", seconds, "s", target, passed))
            figures.append(Figure(f"{label} rate", args.items / seconds, "items/s"))

        run("dry run", True)
        run("import", False)
        run("again, unchanged", False)
        db.dispose()
    title = f"import {args.items:,} items from {args.format.upper()} on {args.engine}"
    print_table(title, figures)
    save(f"import_items_{args.engine}_{args.format}", {"items": args.items}, figures)
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
