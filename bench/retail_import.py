"""Moving a real retailer in: the UCI "Online Retail" file, items and all moves, end to end.

The file (``../shared/data/online_retail.csv.gz``, 541,909 invoice lines of a UK gift-ware
wholesaler, 2010-12 to 2011-12) is the sell side only. The mapping, decided here:

- **Items**: one per StockCode, upper-cased (``85123a`` is ``85123A``), leaving out the 33
  non-product codes (postage, fees, discounts, samples, vouchers, ``DCGS...``). Name: the most
  frequent non-empty Description (stripped); the code when there is none. Standard cost: 60 % of
  the modal UnitPrice of its normal sales (the file has no purchase prices).
- **One warehouse** ``UK`` with one storage location ``UK-STOCK``. InvoiceDate is UK local time.
- **Moves**, in file order:
  - sale (numeric invoice, Quantity > 0, UnitPrice > 0): issue ``UK-STOCK`` -> ``UK/CUSTOMER``;
  - return or cancellation (``C...`` invoice): receive ``UK/CUSTOMER`` -> ``UK-STOCK`` at the
    standard cost;
  - write-off (numeric invoice, Quantity < 0, UnitPrice 0): adjust ``UK-STOCK`` ->
    ``UK/ADJUSTMENT``, reason ``damaged`` when the note says so (damage, wet, smashed, crushed,
    destroyed, thrown away, unsaleable), else ``lost``;
  - positive zero-price line: adjust ``UK/ADJUSTMENT`` -> ``UK-STOCK``, reason ``found``;
  - ``A...`` invoices (bad debt) and non-product codes: not stock, left out.
  - **Receipts synthesised where stock would go negative**: before an outgoing line that the
    stock cannot cover, a receipt from ``UK/SUPPLIER`` at the standard cost, one minute
    earlier, of the shortfall plus four times the line's quantity (a wholesaler restocks ahead
    of demand, not one sale at a time).
- The result is checked against an independent fold of the same moves in plain Python: on hand
  of every item, and ``verify``.

Prints the time of each phase (parse and map, items import, moves import) and the total.
Target (issue 9): items plus all moves in under 30 s on SQLite on this machine.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cangku.db.tables import balances, items, locations
from cangku.db.uow import Database
from cangku.domain.quantities import from_scaled
from cangku.queries.verify import verify
from cangku.services.bulk import BulkMove, post_bulk
from cangku.services.common import Context
from cangku.services.imports import import_file
from cangku.services.locations import LocationInput, create_location
from cangku.services.setup import initialize
from cangku.services.warehouses import WarehouseInput, create_warehouse
from support import fresh_database

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail.csv.gz"
LONDON = ZoneInfo("Europe/London")
NON_PRODUCT = re.compile(
    r"^(POST|DOT|M|C2|D|S|BANK CHARGES|AMAZONFEE|CRUK|PADS|B|GIFT_\d+_\d+|DCGS.*)$"
)
DAMAGED = re.compile(r"damag|wet|smash|crush|destroy|thrown|unsaleable|broken", re.IGNORECASE)
CTX = Context(username="admin")


@dataclass
class Line:
    invoice: str
    code: str
    description: str
    quantity: int
    at: datetime
    price: Decimal


def read_lines(path: Path) -> list[Line]:
    lines = []
    times: dict[str, datetime] = {}  # an invoice's lines share their time
    prices: dict[str, Decimal] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
        rows = csv.reader(stream)
        header = next(rows)
        assert header[:6] == ["InvoiceNo", "StockCode", "Description", "Quantity",
                              "InvoiceDate", "UnitPrice"], header  # fmt: skip
        for invoice, code, description, quantity, when, price, *_ in rows:
            at = times.get(when)
            if at is None:
                local = datetime.fromisoformat(when).replace(tzinfo=LONDON)
                at = times[when] = local.astimezone(UTC)
            unit_price = prices.get(price)
            if unit_price is None:
                unit_price = prices[price] = Decimal(price)
            lines.append(
                Line(
                    invoice,
                    code.strip().upper(),
                    description.strip(),
                    int(quantity),
                    at,
                    unit_price,
                )  # fmt: skip
            )
    return lines


def item_master(lines: list[Line]) -> dict[str, tuple[str, Decimal]]:
    """code -> (name, standard cost)."""
    names: dict[str, Counter[str]] = defaultdict(Counter)
    prices: dict[str, Counter[Decimal]] = defaultdict(Counter)
    for line in lines:
        if NON_PRODUCT.match(line.code) or line.invoice.startswith("A"):
            continue
        if line.description:
            names[line.code][line.description] += 1
        if line.invoice.isdigit() and line.quantity > 0 and line.price > 0:
            prices[line.code][line.price] += 1
        else:
            prices.setdefault(line.code, Counter())
    master = {}
    for code in sorted(prices):
        name = names[code].most_common(1)[0][0] if names[code] else code
        modal = max(prices[code].items(), key=lambda kv: (kv[1], kv[0]))[0] if prices[code] else 0
        master[code] = (name[:200], (Decimal(modal) * Decimal("0.6")).quantize(Decimal("0.0001")))
    return master


def items_csv(master: dict[str, tuple[str, Decimal]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "name", "item_type", "base_unit", "standard_cost"])
    for code, (name, cost) in master.items():
        writer.writerow([code, name, "finished_good", "pcs", str(cost)])
    return out.getvalue().encode()


def map_moves(
    lines: list[Line], master: dict[str, tuple[str, Decimal]]
) -> tuple[list[BulkMove], dict[str, int], int]:
    """The moves in file order with receipts synthesised; on hand per item folded alongside;
    and the number of synthesised receipts."""
    stock: dict[str, int] = defaultdict(int)
    moves: list[BulkMove] = []
    synthesised = 0
    for line in lines:
        if line.code not in master or line.invoice.startswith("A") or line.quantity == 0:
            continue
        cost = master[line.code][1]
        qty = abs(line.quantity)
        if line.invoice.startswith("C"):
            move = BulkMove(
                line.code,
                str(qty),
                "UK/CUSTOMER",
                "UK-STOCK",
                "receive",
                unit_cost=cost,
                effective_at=line.at,
                document_id=line.invoice,
            )
        elif line.quantity < 0:
            reason = "damaged" if DAMAGED.search(line.description) else "lost"
            move = BulkMove(
                line.code,
                str(qty),
                "UK-STOCK",
                "UK/ADJUSTMENT",
                "adjust",
                effective_at=line.at,
                reason_code=reason,
                note=line.description or None,
            )
        elif line.price == 0:
            move = BulkMove(
                line.code,
                str(qty),
                "UK/ADJUSTMENT",
                "UK-STOCK",
                "adjust",
                unit_cost=cost,
                effective_at=line.at,
                reason_code="found",
            )
        else:
            move = BulkMove(
                line.code,
                str(qty),
                "UK-STOCK",
                "UK/CUSTOMER",
                "issue",
                effective_at=line.at,
                document_id=line.invoice,
            )
        outgoing = move.from_location == "UK-STOCK"
        if outgoing and stock[line.code] < qty:
            shortfall = qty - stock[line.code] + 4 * qty
            moves.append(
                BulkMove(
                    line.code,
                    str(shortfall),
                    "UK/SUPPLIER",
                    "UK-STOCK",
                    "receive",
                    unit_cost=cost,
                    effective_at=line.at - timedelta(minutes=1),
                )
            )
            stock[line.code] += shortfall
            synthesised += 1
        stock[line.code] += -qty if outgoing else qty
        moves.append(move)
    return moves, dict(stock), synthesised


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--file", type=Path, default=DATA)
    args = parser.parse_args()
    if not args.file.exists():
        sys.exit(f"{args.file} not found")
    with fresh_database(args.engine) as url:
        db = Database(url)
        initialize(db)
        create_warehouse(db, CTX, WarehouseInput("UK", "UK warehouse"))
        create_location(db, CTX, LocationInput("UK-STOCK", "Stock", warehouse="UK"))
        started = time.perf_counter()
        lines = read_lines(args.file)
        master = item_master(lines)
        moves, expected, synthesised = map_moves(lines, master)
        parsed = time.perf_counter()
        summary = import_file(db, CTX, "items", items_csv(master))
        items_done = time.perf_counter()
        result = post_bulk(db, CTX, moves, args.batch)
        posted = time.perf_counter()
        with db.read() as conn:
            rows = conn.execute(
                select(items.c.code, balances.c.on_hand)
                .join(items, items.c.id == balances.c.item_id)
                .join(locations, locations.c.id == balances.c.location_id)
                .where(locations.c.code == "UK-STOCK", balances.c.on_hand != 0)
            ).all()
            found = {code: from_scaled(int(qty)) for code, qty in rows}
            report = verify(conn)
        db.dispose()
    wanted = {code: Decimal(q) for code, q in expected.items() if q}
    print(
        f"engine {args.engine}; {len(lines):,} file lines -> {len(master):,} items, "
        f"{len(moves):,} moves ({synthesised:,} receipts synthesised)"
    )
    print(f"  parse and map      {parsed - started:7.2f} s")
    print(f"  items import       {items_done - parsed:7.2f} s  ({summary.created:,} created)")
    print(
        f"  moves import       {posted - items_done:7.2f} s  "
        f"({result.posted:,} moves, {result.posted / (posted - items_done):,.0f} moves/s)"
    )
    print(f"  total              {posted - started:7.2f} s  (target < 30 s on SQLite)")
    print(
        f"  on hand matches an independent fold: {found == wanted} ({len(wanted):,} items "
        f"with stock); verify: {'clean' if report.ok else report.problems[:3]}"
    )
    if found != wanted or not report.ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
