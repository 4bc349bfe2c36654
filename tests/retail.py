"""The UCI "Online Retail" file mapped into cangku: items and every move, in file order.

Shared by ``bench/retail_import.py`` (the whole file, timed) and
``tests/scenarios/test_retail_reports.py`` (a subset of the items, every report figure checked
against an independent computation). The file (``../shared/data/online_retail.csv.gz``, 541,909
invoice lines of a UK gift-ware wholesaler, 2010-12 to 2011-12) is the sell side only. The
mapping:

- **Items**: one per StockCode, upper-cased (``85123a`` is ``85123A``), leaving out the 33
  non-product codes (postage, fees, discounts, samples, vouchers, ``DCGS...``). Name: the most
  frequent non-empty Description (stripped); the code when there is none. Standard cost: 60 % of
  the modal UnitPrice of its normal sales (the file has no purchase prices).
- **One warehouse** ``UK`` with one storage location ``UK-STOCK``. InvoiceDate is UK local time
  (``Europe/London``), stored as UTC.
- **Moves**, in file order:
  - sale (numeric invoice, Quantity > 0, UnitPrice > 0): issue ``UK-STOCK`` -> ``UK/CUSTOMER``;
  - return or cancellation (``C...`` invoice): receive ``UK/CUSTOMER`` -> ``UK-STOCK`` at the
    standard cost;
  - write-off (numeric invoice, Quantity < 0, UnitPrice 0): adjust ``UK-STOCK`` ->
    ``UK/ADJUSTMENT``, reason ``damaged`` when the note says so (damage, wet, smashed, crushed,
    destroyed, thrown away, unsaleable), else ``lost``;
  - positive zero-price line: adjust ``UK/ADJUSTMENT`` -> ``UK-STOCK``, reason ``found``, at the
    standard cost;
  - ``A...`` invoices (bad debt) and non-product codes: not stock, left out.
  - **Receipts synthesised where stock would go negative**: before an outgoing line that the
    stock cannot cover, a receipt from ``UK/SUPPLIER``, one minute earlier, of the shortfall
    plus four times the line's quantity (a wholesaler restocks ahead of demand, not one sale at
    a time), at the standard cost or at what ``receipt_cost`` says.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from cangku.services.bulk import BulkMove

__all__ = [
    "DATA",
    "LONDON",
    "Line",
    "ReceiptCost",
    "item_master",
    "items_csv",
    "map_moves",
    "read_lines",
]


def _data_file() -> Path:
    """The retail file: ``CANGKU_RETAIL_DATA``, else ``shared/data`` beside the checkout (a
    clone elsewhere, as CI makes, finds the machine's ``/work/shared`` copy)."""
    name = "online_retail.csv.gz"
    candidates = [
        *([Path(os.environ["CANGKU_RETAIL_DATA"])] if os.environ.get("CANGKU_RETAIL_DATA") else []),
        Path(__file__).resolve().parents[2] / "shared" / "data" / name,
        Path("/work/shared/data") / name,
    ]
    return next((path for path in candidates if path.exists()), candidates[0])


DATA = _data_file()
LONDON = ZoneInfo("Europe/London")
NON_PRODUCT = re.compile(
    r"^(POST|DOT|M|C2|D|S|BANK CHARGES|AMAZONFEE|CRUK|PADS|B|GIFT_\d+_\d+|DCGS.*)$"
)
DAMAGED = re.compile(r"damag|wet|smash|crush|destroy|thrown|unsaleable|broken", re.IGNORECASE)
#: the unit cost of the n-th (from 0) receipt synthesised for an item: (code, standard cost, n)
ReceiptCost = Callable[[str, Decimal, int], Decimal]


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


def items_csv(
    master: dict[str, tuple[str, Decimal]],
    costing: Mapping[str, str] | None = None,
    category: Mapping[str, str] | None = None,
) -> bytes:
    """The items import file of ``master``: finished goods counted in pieces; with ``costing``
    each code's costing method (else the import's default, FIFO), with ``category`` each code's
    category path (else none)."""
    extra = {
        name: given
        for name, given in (("costing_method", costing), ("category", category))
        if given is not None
    }
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "name", "item_type", "base_unit", "standard_cost", *extra])
    for code, (name, cost) in master.items():
        chosen = [by_code.get(code, "") for by_code in extra.values()]
        writer.writerow([code, name, "finished_good", "pcs", str(cost), *chosen])
    return out.getvalue().encode()


def map_moves(
    lines: list[Line],
    master: dict[str, tuple[str, Decimal]],
    receipt_cost: ReceiptCost | None = None,
) -> tuple[list[BulkMove], dict[str, int], int]:
    """The moves in file order with receipts synthesised (at ``receipt_cost``, default the
    standard cost); on hand per item folded alongside; and the number of synthesised
    receipts."""
    stock: dict[str, int] = defaultdict(int)
    receipts: dict[str, int] = defaultdict(int)
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
            bought = cost
            if receipt_cost is not None:
                bought = receipt_cost(line.code, cost, receipts[line.code])
            receipts[line.code] += 1
            moves.append(
                BulkMove(
                    line.code,
                    str(shortfall),
                    "UK/SUPPLIER",
                    "UK-STOCK",
                    "receive",
                    unit_cost=bought,
                    effective_at=line.at - timedelta(minutes=1),
                )
            )
            stock[line.code] += shortfall
            synthesised += 1
        stock[line.code] += -qty if outgoing else qty
        moves.append(move)
    return moves, dict(stock), synthesised
