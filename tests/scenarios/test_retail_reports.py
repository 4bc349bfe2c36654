"""The analysis reports on a real retailer's year (issue 15): every figure of stock value, value
movement, turnover, trends and structure checked against an independent computation over the
same moves.

The data is the UCI "Online Retail" file (``../shared/data``) mapped as ``tests/retail.py``
says (the mapping ``bench/retail_import.py`` uses too), with these choices of this test:

- **A subset of the items, the whole year**: the codes whose CRC-32 is a multiple of 6 (654
  items of 3,926; 95,308 moves with the receipts synthesised, 2010-12-01 to 2011-12-09). Every
  line of the chosen items is kept, so their stock and costs follow the real stream, and the
  reports read more than 500 items (their reads that name no items). The whole file (579,465
  moves) takes 27-55 s to load alone on SQLite here (``bench/retail_import.py``, as the
  machine is busy), more on PostgreSQL, plus the independent costing, and each xdist worker
  builds its own copy: past the ~90 s a test may take. Measured with ``-n 2`` on this 2-core
  machine (shared): SQLite ~35 s, PostgreSQL ~47 s for the module, a worker's load (parse,
  import, post, checkpoints) 8-20 s of it.
- **Both costing methods, receipts at varying costs**: every other item (in code order) is
  moving average, the rest FIFO; the n-th receipt synthesised for an item costs its standard
  cost times ``FACTORS[n % 5]`` (to 4 places), so FIFO layers and averages differ (checked:
  over 100 items of each method would be worth otherwise under the other). Returns and found
  goods come in at the standard cost, as the mapping says.
- **Categories** (the file has none): ``D`` and the code's first two digits, under ``D`` and
  its first digit (``22423`` is in ``D2/D22``), so the grouped reports and the category filter
  have something to add up.
- **The company's time zone is Europe/London** (InvoiceDate is UK local time), so report days
  are the file's days, BST included. On this data the zone changes no figure: every line lies
  between 06:00 and 20:59 London time, so no move falls between a London midnight and a UTC
  one.

Checkpoints are taken at the ends of January, March and September 2011 (London), so as-of reads
go every way the ledger has: before any checkpoint (the balances less the moves after), exactly
at one, and from one plus the moves since. (Turnover and trends fold back from the current
state: ``queries.reports.points``.)

The independent computation (``Book``) costs the posted moves itself, in posting order, with
the ledger's rounding rules (ADR 0002, ``domain.costing``) written out here: scaled integers at
1e-6, a receipt worth quantity x cost rounded half-even; FIFO takes the oldest layers, a partial
take at the layer's unit cost rounded half-even and never more than the layer holds, the last
unit of a layer its remaining value; moving average takes quantity x (value / quantity, rounded)
rounded, the last unit what is left. The stock as of an instant is then the sum of what the
moves effective up to it carried; every report figure is worked out from that with the report
definitions (``DEFINITIONS`` of each module) and compared exactly: money to the micro-unit,
shares, turnover and days to their places (exact fractions rounded half-even).
"""

from __future__ import annotations

import zlib
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

import pytest

from cangku.db.uow import Database
from cangku.domain.company import CompanyChanges
from cangku.queries.reports import REPORTS, Report, read_query, run_report
from cangku.services.bulk import BulkMove, post_bulk
from cangku.services.company import update_company
from cangku.services.imports import import_file
from cangku.services.locations import LocationInput, create_location
from cangku.services.periods import take_checkpoint
from cangku.services.setup import initialize
from cangku.services.warehouses import WarehouseInput, create_warehouse
from tests.databases import build_once
from tests.factories import CTX
from tests.retail import DATA, LONDON, item_master, items_csv, map_moves, read_lines

pytestmark = pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} not found")

FACTORS = (Decimal("1.00"), Decimal("1.12"), Decimal("0.91"), Decimal("1.27"), Decimal("0.96"))
SCALE = 10**6
CHECKPOINTS = (date(2011, 1, 31), date(2011, 3, 31), date(2011, 9, 30))
#: month ends read as of: before any checkpoint, at one, one plus a month of moves, and more
MONTH_ENDS = (
    date(2010, 12, 31),
    date(2011, 1, 31),
    date(2011, 2, 28),
    date(2011, 6, 30),
    date(2011, 9, 30),
    date(2011, 11, 30),
)
NOW = datetime.now(UTC)
IN_KINDS = ("received", "returned", "adjusted_in")


def chosen(code: str) -> bool:
    return zlib.crc32(code.encode()) % 6 == 0


def receipt_cost(code: str, standard: Decimal, n: int) -> Decimal:
    return (standard * FACTORS[n % len(FACTORS)]).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class Retail:
    master: dict[str, tuple[str, Decimal]]
    methods: dict[str, str]
    moves: list[BulkMove]


@cache
def retail() -> Retail:
    """The subset's items, costing methods and moves (read once per worker)."""
    lines = [line for line in read_lines(DATA) if chosen(line.code)]
    master = item_master(lines)
    methods = {code: "moving_average" if n % 2 else "fifo" for n, code in enumerate(sorted(master))}
    moves, _, _ = map_moves(lines, master, receipt_cost)
    return Retail(master, methods, moves)


def load(db: Database) -> None:
    data = retail()
    initialize(db)
    update_company(db, CTX, CompanyChanges(time_zone="Europe/London"))
    create_warehouse(db, CTX, WarehouseInput("UK", "UK warehouse"))
    create_location(db, CTX, LocationInput("UK-STOCK", "Stock", warehouse="UK"))
    paths = {code: category_path(code) for code in data.master}
    import_file(db, CTX, "items", items_csv(data.master, data.methods, paths))
    post_bulk(db, CTX, data.moves, 100_000)
    for day in CHECKPOINTS:
        take_checkpoint(db, CTX, day_end(day))


@pytest.fixture
def retail_db(db: Database) -> Database:
    build_once(db, "retail_reports", lambda: load(db))
    return db


def report(db: Database, name: str, **params: str) -> Report:
    with db.read() as conn:
        return run_report(conn, read_query(conn, REPORTS[name], params, NOW))


# ------------------------------------------------------------------ the independent book
def half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (denominator > 0) rounded half to even."""
    quotient, remainder = divmod(numerator, denominator)
    if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2):
        quotient += 1
    return quotient


def rounded(fraction: Fraction, places: int) -> Decimal:
    """``fraction`` to ``places`` decimals, half to even."""
    scale = 10**places
    return Decimal(half_even(fraction.numerator * scale, fraction.denominator)).scaleb(-places)


def money(scaled: int) -> Decimal:
    return Decimal(scaled).scaleb(-6)


def day_end(day: date) -> datetime:
    """The last microsecond of ``day`` in London, in UTC."""
    following = day + timedelta(days=1)
    midnight = datetime(following.year, following.month, following.day, tzinfo=LONDON)
    return midnight.astimezone(UTC) - timedelta(microseconds=1)


@dataclass(frozen=True)
class Posted:
    """A move as costed: ``quantity`` and ``value`` scaled and positive; ``kind`` a report
    flow kind (``received``, ``returned``, ``adjusted_in`` come in, ``issued`` and
    ``adjusted_out`` go out)."""

    item: str
    at: datetime
    kind: str
    quantity: int
    value: int

    @property
    def sign(self) -> int:
        return 1 if self.kind in IN_KINDS else -1


KIND_FROM = {"UK/SUPPLIER": "received", "UK/CUSTOMER": "returned", "UK/ADJUSTMENT": "adjusted_in"}
KIND_TO = {"UK/CUSTOMER": "issued", "UK/ADJUSTMENT": "adjusted_out"}


def cost(moves: Iterable[BulkMove], methods: dict[str, str]) -> list[Posted]:
    """The moves costed in posting order, each item by its method."""
    stock: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # quantity, value
    layers: dict[str, deque[list[int]]] = defaultdict(deque)  # [quantity, value, unit cost]
    posted = []
    for move in moves:
        assert move.effective_at is not None
        q = int(move.quantity) * SCALE
        held = stock[move.item]
        if move.to_location == "UK-STOCK":
            assert move.unit_cost is not None and held[0] >= 0
            unit = int(Decimal(move.unit_cost) * SCALE)
            value = half_even(q * unit, SCALE)
            layers[move.item].append([q, value, unit])
            kind = KIND_FROM[move.from_location]
            held[0] += q
            held[1] += value
        else:
            assert held[0] >= q  # the mapping keeps the stock from going negative
            if methods[move.item] == "fifo":
                value, wanted, queue = 0, q, layers[move.item]
                while wanted:
                    layer = queue[0]
                    if wanted >= layer[0]:
                        value += layer[1]
                        wanted -= layer[0]
                        queue.popleft()
                    else:
                        taken = min(half_even(wanted * layer[2], SCALE), layer[1])
                        layer[0] -= wanted
                        layer[1] -= taken
                        value += taken
                        wanted = 0
            elif q == held[0]:
                value = held[1]
            else:
                value = half_even(q * half_even(held[1] * SCALE, held[0]), SCALE)
            kind = KIND_TO[move.to_location]
            held[0] -= q
            held[1] -= value
        posted.append(Posted(move.item, move.effective_at, kind, q, value))
    return posted


class Book:
    """The costed moves, and the stock per item at any instants."""

    def __init__(self, posted: list[Posted]) -> None:
        self.posted = posted
        self.by_time = sorted(posted, key=lambda p: p.at)

    def states(self, instants: list[datetime]) -> list[dict[str, tuple[int, int]]]:
        """(quantity, value) per item as of each of ``instants`` (ascending)."""
        out = []
        current: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        k = 0
        for instant in instants:
            while k < len(self.by_time) and self.by_time[k].at <= instant:
                p = self.by_time[k]
                current[p.item][0] += p.sign * p.quantity
                current[p.item][1] += p.sign * p.value
                k += 1
            out.append({item: (q, v) for item, (q, v) in current.items()})
        return out

    def state(self, instant: datetime) -> dict[str, tuple[int, int]]:
        return self.states([instant])[0]

    def flows(self, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
        """Per item, the value of each kind of flow effective in (start, end]."""
        found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for p in self.posted:
            if start < p.at <= end:
                found[p.item][p.kind] += p.value
        return found


@cache
def book() -> Book:
    data = retail()
    return Book(cost(data.moves, data.methods))


def opening_closing(start: date, end: date) -> tuple[datetime, datetime]:
    return day_end(start - timedelta(days=1)), day_end(end)


def rows_of(found: Report) -> list[dict[str, Any]]:
    return found.as_dicts()


def totals_of(found: Report) -> dict[str, Any]:
    assert found.totals is not None
    return dict(zip(found.column_keys(), found.totals, strict=True))


def category_of(code: str) -> str:
    """The leaf category of an item: ``D`` and the first two digits of its code (every chosen
    code starts with two digits), under ``D`` and the first digit."""
    return f"D{code[:2]}"


def category_path(code: str) -> str:
    return f"D{code[0]}/{category_of(code)}"


def key_of(group: str, code: str) -> str:
    return code if group == "item" else category_of(code)


def labels(group: str, key: str) -> dict[str, Any]:
    """The label cells of a row: an item's code, name and unit; a category's code and name
    (the items import names a category it creates by its code)."""
    if group == "item":
        return {"item": key, "name": retail().master[key][0], "unit": "pcs"}
    return {"category": key, "name": key}


def percent(part: int, whole: int) -> Decimal | None:
    return rounded(Fraction(part * 100, whole), 2) if whole else None


def same(
    found: Report, expected_rows: list[dict[str, Any]], expected_totals: dict[str, Any]
) -> None:
    """The report's rows and totals are the expected ones, in order, column by column (a
    column the expectation does not name must be zero or empty: the transfers and revaluation
    of a company with one warehouse)."""
    keys = found.column_keys()
    rows = rows_of(found)
    assert len(rows) == len(expected_rows)
    for got, wanted in zip(rows, expected_rows, strict=True):
        assert {k: got[k] for k in wanted} == wanted, got
        assert all(not got[k] for k in keys if k not in wanted), got
    totals = totals_of(found)
    assert {k: totals[k] for k in expected_totals} == expected_totals
    assert all(not totals[k] for k in keys if k not in expected_totals), totals


# ------------------------------------------------------------------ the tests
def test_both_costing_methods_give_different_values_on_this_data() -> None:
    data = retail()
    assert len(data.master) > 500  # the reports read every item, naming none
    fifo = {c for c, m in data.methods.items() if m == "fifo"}
    other = {c: "fifo" if m != "fifo" else "moving_average" for c, m in data.methods.items()}
    as_posted = book().state(NOW)
    swapped = Book(cost(data.moves, other)).state(NOW)
    differ = {c for c in as_posted if as_posted[c] != swapped[c]}
    assert len(differ & fifo) > 100
    assert len(differ - fifo) > 100


def expected_stock_value(
    at: datetime, group: str = "item", under: str | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Stock value rows and totals as of ``at`` by item or category, of the items under the
    category ``under`` (a first digit's ``D.``) or all."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # quantity, value, items
    for code, (q, v) in book().state(at).items():
        if (q, v) != (0, 0) and (under is None or category_path(code).startswith(under + "/")):
            figures = sums[key_of(group, code)]
            figures[0] += q
            figures[1] += v
            figures[2] += 1
    total = sum(v for _, v, _ in sums.values())
    rows = []
    for key, (q, v, n) in sorted(sums.items(), key=lambda kv: (-kv[1][1], kv[0])):
        counted: dict[str, Any] = (
            {"quantity": money(q), "unit_cost": money(half_even(v * SCALE, q))}
            if group == "item"
            else {"items": n}
        )
        rows.append(
            {**labels(group, key), **counted, "value": money(v), "share": percent(v, total)}
        )
    return rows, {"value": money(total), "share": Decimal("100.00")}


def test_stock_value_by_item_matches_at_month_ends_and_now(retail_db: Database) -> None:
    for day in MONTH_ENDS:
        rows, totals = expected_stock_value(day_end(day))
        same(report(retail_db, "stock-value", at=day.isoformat()), rows, totals)
    rows, totals = expected_stock_value(NOW)
    same(report(retail_db, "stock-value"), rows, totals)


def test_stock_value_by_category_location_and_warehouse_matches(retail_db: Database) -> None:
    for day in (date(2011, 2, 28), date(2011, 9, 30)):
        rows, totals = expected_stock_value(day_end(day), "category")
        same(report(retail_db, "stock-value", at=day.isoformat(), group="category"), rows, totals)
        # a category covers the categories under it: D2 is D20, D21, D22 and D23
        rows, totals = expected_stock_value(day_end(day), "item", under="D2")
        same(report(retail_db, "stock-value", at=day.isoformat(), category="D2"), rows, totals)
        # one warehouse, one location: the other groupings hold the same total in one row
        total = expected_stock_value(day_end(day))[1]["value"]
        for group, cells in (
            ("location", ("UK-STOCK", "Stock")),
            ("warehouse", ("UK", "UK warehouse")),
        ):
            found = report(retail_db, "stock-value", at=day.isoformat(), group=group)
            assert [row[:2] for row in found.rows] == [cells]
            assert totals_of(found)["value"] == total


MOVEMENT = ("opening", "received", "issued", "returned", "adjusted", "closing", "cogs")


def expected_movement(
    start: date, end: date, group: str = "item"
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    opening_at, closing_at = opening_closing(start, end)
    before, after = book().states([opening_at, closing_at])
    moved = book().flows(opening_at, closing_at)
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MOVEMENT, 0))
    for code in set(before) | set(after) | set(moved):
        f = moved.get(code, {})
        opening, closing = before.get(code, (0, 0))[1], after.get(code, (0, 0))[1]
        figures = {
            "opening": opening,
            "received": f.get("received", 0),
            "issued": f.get("issued", 0),
            "returned": f.get("returned", 0),
            "adjusted": f.get("adjusted_in", 0) - f.get("adjusted_out", 0),
            "closing": closing,
            "cogs": f.get("issued", 0) - f.get("returned", 0),
        }
        if not (opening or closing or any(f.values())):
            continue
        # opening + in - out = closing, to the micro-unit, with no revaluation
        in_out = figures["received"] - figures["issued"] + figures["returned"] + figures["adjusted"]
        assert opening + in_out == closing
        for name, value in figures.items():
            sums[key_of(group, code)][name] += value
    totals = {k: money(sum(figures[k] for figures in sums.values())) for k in MOVEMENT}
    rows = [
        {**labels(group, key), **{k: money(v) for k, v in figures.items()}}
        for key, figures in sorted(sums.items(), key=lambda kv: (-kv[1]["closing"], kv[0]))
    ]
    return rows, totals


def test_value_movement_by_item_and_category_matches_over_two_periods(
    retail_db: Database,
) -> None:
    # from before the first checkpoint to one; from one to two months past another
    for start, end in (
        (date(2011, 1, 1), date(2011, 3, 31)),
        (date(2011, 4, 1), date(2011, 11, 30)),
    ):
        for group in ("item", "category"):
            rows, totals = expected_movement(start, end, group)
            found = report(
                retail_db, "value-movement", start=start.isoformat(), end=end.isoformat(),
                group=group,
            )  # fmt: skip
            same(found, rows, totals)


def month_end(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def turnover_points(start: date, end: date) -> list[datetime]:
    """The opening, each day's end before the last (up to 92 days) or each month's end before
    the period's end (longer), and the closing."""
    days = (end - start).days + 1
    if days <= 92:
        ends = [start + timedelta(days=i) for i in range(days - 1)]
    else:
        ends, day = [], month_end(start)
        while day < end:
            ends.append(day)
            day = month_end(day + timedelta(days=1))
    opening, closing = opening_closing(start, end)
    return [opening, *(day_end(d) for d in ends), closing]


def expected_turnover(
    start: date, end: date, group: str = "item"
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    points = turnover_points(start, end)
    count, days = len(points), (end - start).days + 1
    states = book().states(points)
    recent_days = min(90, days)
    recent_from = day_end(end - timedelta(days=recent_days))
    all_flows = book().flows(points[0], points[-1])
    recent_flows = book().flows(recent_from, points[-1])
    # per group: cogs, recent cogs, the value at each point
    sums: dict[str, list[Any]] = defaultdict(lambda: [0, 0, [0] * count])
    for code in set().union(*states) | set(all_flows):
        figures = sums[key_of(group, code)]
        figures[0] += all_flows[code]["issued"] - all_flows[code]["returned"]
        figures[1] += recent_flows[code]["issued"] - recent_flows[code]["returned"]
        for k, state in enumerate(states):
            figures[2][k] += state.get(code, (0, 0))[1]
    rows, value_sums = [], {}
    for key, (cogs, recent, values) in sums.items():
        value_sum = sum(values)
        if not (cogs or value_sum or values[0] or values[-1]):
            continue
        value_sums[key] = value_sum
        rows.append(
            {
                **labels(group, key),
                "cogs": cogs,
                "opening": values[0],
                "closing": values[-1],
                "average": half_even(value_sum, count),
                "turnover": rounded(Fraction(cogs * count, value_sum), 2) if value_sum else None,
                "days_of_inventory": (
                    rounded(Fraction(value_sum * days, cogs * count), 1) if cogs > 0 else None
                ),
                "days_of_supply": (
                    rounded(Fraction(values[-1] * recent_days, recent), 1) if recent > 0 else None
                ),
            }
        )
    total_cogs = sum(row["cogs"] for row in rows)
    total_sum = sum(value_sums.values())
    totals = {
        "cogs": money(total_cogs),
        "opening": money(sum(row["opening"] for row in rows)),
        "closing": money(sum(row["closing"] for row in rows)),
        "average": money(half_even(total_sum, count)),
        "turnover": rounded(Fraction(total_cogs * count, total_sum), 2),
        "days_of_inventory": None,
        "days_of_supply": None,
    }
    rows.sort(key=lambda row: (-row["cogs"], row[next(iter(row))]))
    scaled = ("cogs", "opening", "closing", "average")
    return [{k: money(v) if k in scaled else v for k, v in row.items()} for row in rows], totals


def test_turnover_per_item_and_category_matches_daily_and_monthly_averages(
    retail_db: Database,
) -> None:
    # 92 days: the average of 93 day ends; eleven months: the opening and 11 month ends
    for start, end, count in (
        (date(2011, 6, 1), date(2011, 8, 31), 93),
        (date(2011, 1, 1), date(2011, 11, 30), 12),
    ):
        assert len(turnover_points(start, end)) == count
        for group in ("item", "category"):
            rows, totals = expected_turnover(start, end, group)
            found = report(
                retail_db, "turnover", start=start.isoformat(), end=end.isoformat(), group=group
            )
            assert found.notes[0][1]["count"] == count
            same(found, rows, totals)


def test_structure_by_category_matches_a_year_apart(retail_db: Database) -> None:
    day, compare = date(2011, 11, 30), date(2010, 12, 31)
    now, then = book().states([day_end(compare), day_end(day)])[::-1]
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # quantity, value, value then
    for code, (q, v) in now.items():
        sums[category_of(code)][0] += q
        sums[category_of(code)][1] += v
    for code, (_, v) in then.items():
        sums[category_of(code)][2] += v
    total_q = sum(q for q, _, _ in sums.values())
    total_v = sum(v for _, v, _ in sums.values())
    then_v = sum(b for _, _, b in sums.values())
    rows = []
    for key, (q, v, before) in sorted(sums.items(), key=lambda kv: (-kv[1][1], kv[0])):
        if not (q or v or before):
            continue
        share, share_then = percent(v, total_v), percent(before, then_v)
        rows.append(
            {
                **labels("category", key),
                "quantity": money(q),
                "quantity_share": percent(q, total_q),
                "value_then": money(before),
                "share_then": share_then,
                "value": money(v),
                "share": share,
                "change": money(v - before),
                "share_change": None if share is None or share_then is None else share - share_then,
            }
        )
    hundred = Decimal("100.00")
    totals = {
        "quantity": money(total_q), "quantity_share": hundred, "value_then": money(then_v),
        "share_then": hundred, "value": money(total_v), "share": hundred,
        "change": money(total_v - then_v), "share_change": None,
    }  # fmt: skip
    found = report(
        retail_db, "structure", at=day.isoformat(), compare=compare.isoformat(), group="category"
    )
    same(found, rows, totals)


def expected_trends(spans: list[tuple[date, date]]) -> tuple[list[dict[str, Any]], Decimal]:
    opening_at = day_end(spans[0][0] - timedelta(days=1))
    ends = [day_end(last) for _, last in spans]
    states = book().states([opening_at, *ends])
    rows = []
    for k, (first, last) in enumerate(spans):
        start_at = opening_at if k == 0 else ends[k - 1]
        moved = book().flows(start_at, ends[k])
        inflow = sum(f[kind] for f in moved.values() for kind in IN_KINDS)
        outflow = sum(f["issued"] + f["adjusted_out"] for f in moved.values())
        value = sum(v for _, v in states[k + 1].values())
        # the value at an interval's end is the one before it plus what came in less what left
        assert value == sum(v for _, v in states[k].values()) + inflow - outflow
        rows.append(
            {"from": first, "to": last, "in_value": money(inflow), "out_value": money(outflow),
             "value": money(value)}
        )  # fmt: skip
    return rows, money(sum(v for _, v in states[0].values()))


def test_trends_by_month_and_by_week_match(retail_db: Database) -> None:
    months = [(date(2010, 12, 1), date(2010, 12, 31))]
    while months[-1][1] < date(2011, 11, 30):
        first = months[-1][1] + timedelta(days=1)
        months.append((first, month_end(first)))
    months.append((date(2011, 12, 1), date(2011, 12, 9)))
    # 2011-03-01 is a Tuesday: a short first week, a short last one
    weeks = [(date(2011, 3, 1), date(2011, 3, 6))]
    while weeks[-1][1] < date(2011, 4, 24):
        weeks.append((weeks[-1][1] + timedelta(days=1), weeks[-1][1] + timedelta(days=7)))
    weeks.append((date(2011, 4, 25), date(2011, 4, 30)))
    for interval, spans in (("month", months), ("week", weeks)):
        rows, opening = expected_trends(spans)
        found = report(
            retail_db, "trends", start=spans[0][0].isoformat(), end=spans[-1][1].isoformat(),
            interval=interval,
        )  # fmt: skip
        totals = {
            "in_value": sum((row["in_value"] for row in rows), Decimal(0)),
            "out_value": sum((row["out_value"] for row in rows), Decimal(0)),
        }
        assert found.rows == [tuple(row.values()) for row in rows]
        assert totals_of(found) == {"from": None, "to": None, **totals, "value": None}
        assert found.notes[0] == ("Opening value %(value)s", {"value": opening})
