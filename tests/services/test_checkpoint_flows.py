"""Checkpoint flows (ADR 0027): each checkpoint keeps the crossing moves since the one before it,
summed; the period reports read whole runs of checkpoints from those rows and only the edges
from the moves. Every figure is the same as read from the moves alone, through back-dated
moves that invalidate checkpoints and checkpoints taken between others, on both engines; the
migration gives the checkpoints already taken the same rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import select, update

from cangku.db.schema import alembic_config, current_revision, head_revision
from cangku.db.tables import checkpoint_flows, checkpoints, items, warehouses
from cangku.db.uow import Database
from cangku.domain.quantities import from_scaled
from cangku.queries.reports import REPORTS, read_query, run_report
from cangku.queries.reports.common import day_end
from cangku.queries.reports.crossings import spans
from cangku.queries.reports.flows import demand, flows
from cangku.queries.reports.points import _from_checkpoints
from cangku.queries.reports.turnover import average_points
from cangku.services.periods import take_checkpoint
from cangku.services.stock import (
    issue_stock,
    receive_stock,
    reverse_move,
    scrap_stock,
    transfer_stock,
)
from cangku.services.stock_commands import Issue, Receive, Reference, Reverse, Scrap, Transfer
from tests.factories import CTX, build_company

NOW = datetime.now(UTC)
UTC_ZONE = ZoneInfo("UTC")
TODAY = NOW.date()
#: the days (ago) checkpoints are taken at, at 23:00
TAKEN = (190, 170, 150, 130, 110, 90, 70, 50, 30, 10)


def days_ago(n: int, hour: int = 10) -> datetime:
    day = TODAY - timedelta(days=n)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def post_history(db: Database) -> None:
    """Every eight days for 200 days: BOLT received into WH1 at a changing cost, some of it
    moved to WH2, sold from WH1 and used in production from WH2; lots of FLOUR received and
    used; GLUE received and used once; a customer's return, a scrap and a reversal."""
    build_company(db)
    for n, ago in enumerate(range(200, 0, -8)):
        at = days_ago(ago)
        receive_stock(db, CTX, Receive("BOLT", "20", "WH1-A", unit_cost=str(1 + n % 3),
                                       effective_at=at))  # fmt: skip
        flour = Receive("FLOUR", "10", "WH1-B", lot=f"F{n}", unit_cost=str(2 + n % 2),
                        effective_at=at)  # fmt: skip
        receive_stock(db, CTX, flour)
        transfer_stock(db, CTX, Transfer("BOLT", "6", "WH1-A", "WH2-A", effective_at=at))
        issue_stock(db, CTX, Issue("BOLT", "9", "WH1-A", effective_at=at + timedelta(hours=1)))
        issue_stock(db, CTX, Issue("BOLT", "4", "WH2-A", to="production",
                                   effective_at=at + timedelta(hours=2)))  # fmt: skip
        issue_stock(db, CTX, Issue("FLOUR", "7", "WH1-B", lot=f"F{n}", to="production",
                                   effective_at=at + timedelta(hours=3)))  # fmt: skip
    # GLUE: received once and used once long ago (its last issue lies deep in the history)
    glue = Receive("GLUE", "5", "WH1-B", lot="G1", unit_cost="50", effective_at=days_ago(199))
    receive_stock(db, CTX, glue)
    issue_stock(db, CTX, Issue("GLUE", "1", "WH1-B", lot="G1", effective_at=days_ago(185)))
    back = Reference(document_type="customer_return", document_id="CR-1")
    receive_stock(db, CTX, Receive("BOLT", "2", "WH1-A", source="customer", reference=back,
                                   effective_at=days_ago(95)))  # fmt: skip
    scrap_stock(db, CTX, Scrap("BOLT", "1", "WH2-A", effective_at=days_ago(75)))
    wrong = issue_stock(db, CTX, Issue("BOLT", "3", "WH1-A", effective_at=days_ago(65)))
    reverse_move(db, CTX, Reverse(wrong.moves[0].id, effective_at=days_ago(64)))


@pytest.fixture
def ledger(db: Database) -> Database:
    post_history(db)
    for ago in TAKEN:
        take_checkpoint(db, CTX, days_ago(ago, 23))
    # a receipt back-dated 60 days invalidates the checkpoints of 50, 30 and 10 days ago; then
    # one after the invalid ones and one between two valid ones (130 and 110 days ago)
    receive_stock(db, CTX, Receive("BOLT", "5", "WH1-A", unit_cost="4", effective_at=days_ago(60)))
    take_checkpoint(db, CTX, days_ago(40, 23))
    take_checkpoint(db, CTX, days_ago(120, 23))
    return db


def codes_of(db: Database) -> dict[int, str]:
    with db.read() as conn:
        return {int(i): code for i, code in conn.execute(select(items.c.id, items.c.code))}


def ids_by_day(db: Database) -> dict[int, int]:
    """Checkpoint id by days ago, of the valid ones."""
    with db.read() as conn:
        rows = conn.execute(
            select(checkpoints.c.id, checkpoints.c.as_of).where(checkpoints.c.valid.is_(True))
        )
        return {(TODAY - row.as_of.date()).days: int(row.id) for row in rows}


def flow_rows(db: Database) -> dict[int, set[tuple[Any, ...]]]:
    found: dict[int, set[tuple[Any, ...]]] = {}
    with db.read() as conn:
        for row in conn.execute(select(checkpoint_flows)):
            found.setdefault(int(row.checkpoint_id), set()).add(tuple(row)[1:])
    return found


def test_each_checkpoint_sums_the_moves_since_the_one_before_it(ledger: Database) -> None:
    ids = ids_by_day(ledger)
    assert sorted(ids) == [40, 70, 90, 110, 120, 130, 150, 170, 190]
    with ledger.read() as conn:
        chain = dict(conn.execute(select(checkpoints.c.id, checkpoints.c.flows_from)).all())
        wh = dict(conn.execute(select(warehouses.c.code, warehouses.c.id)).all())
        item = dict(conn.execute(select(items.c.code, items.c.id)).all())
    # 40 follows 70 (50 was invalidated), 120 follows 130, and 110 still follows 130
    assert chain[ids[40]] == ids[70] and chain[ids[120]] == ids[130]
    assert chain[ids[110]] == ids[130] and chain[ids[190]] is None
    rows = flow_rows(ledger)
    # 190 days ago: two rounds (200 and 192 days ago) since the start, BOLT received 20 at 1
    # then 20 at 2; its FIFO layers are the company's, so a transfer moves no value; sold 9 at
    # 1, used 4 at 1, then sold 7 at 1 and 2 at 2 (9 + 11 = 20) and used 4 at 2 (4 + 8 = 12)
    bolt = {(r[1], r[2], r[3], r[4], r[5]): (from_scaled(r[6]), from_scaled(r[7]))
            for r in rows[ids[190]] if r[0] == item["BOLT"]}  # fmt: skip
    w1, w2 = wh["WH1"], wh["WH2"]
    assert bolt == {
        ("supplier", "internal", w1, w1, False): (Decimal(40), Decimal(60)),
        ("internal", "internal", w1, w2, False): (Decimal(12), Decimal(0)),
        ("internal", "customer", w1, w1, False): (Decimal(18), Decimal(20)),
        ("internal", "production", w2, w2, False): (Decimal(8), Decimal(12)),
    }
    # the customer's return 95 days ago is in the checkpoint of 90 days ago, as a return
    returned = [r for r in rows[ids[90]] if r[1] == "customer"]
    assert [(r[5], from_scaled(r[6])) for r in returned] == [(True, Decimal(2))]


def test_a_run_of_checkpoints_inside_an_interval_is_read_from_their_rows(
    ledger: Database,
) -> None:
    ids = ids_by_day(ledger)
    with ledger.read() as conn:
        found = spans(conn, [(0, days_ago(200), None), (1, days_ago(100), days_ago(60))])
    assert [(s.k, s.after, s.through, sorted(s.members)) for s in found] == [
        (0, days_ago(190, 23), days_ago(40, 23),
         sorted(ids[d] for d in (170, 150, 130, 110, 90, 70, 40))),
        (1, days_ago(90, 23), days_ago(70, 23), [ids[70]]),
    ]  # fmt: skip


ASKS: list[tuple[str, dict[str, str]]] = [
    ("value-movement", {"start": "-200"}),
    ("value-movement", {"start": "-150", "end": "-35", "group": "warehouse"}),
    ("value-movement", {"start": "-120", "end": "-45", "group": "type"}),
    ("turnover", {"start": "-200"}),
    ("turnover", {"start": "-180", "end": "-20", "group": "warehouse"}),
    ("turnover", {"start": "-80"}),
    ("trends", {"start": "-200", "interval": "month"}),
    ("trends", {"start": "-150", "interval": "week", "group": "warehouse"}),
    ("kpis", {"start": "-200"}),
    ("abc-xyz", {"start": "-190", "end": "-15"}),
    ("ageing", {"idle": "5"}),
    ("ageing", {"at": "-45", "idle": "20", "group": "type"}),
]


def ask(db: Database, name: str, params: dict[str, str], visible: Any = None) -> Any:
    days = {k: (TODAY + timedelta(days=int(v))).isoformat() if v.startswith("-") else v
            for k, v in params.items()}  # fmt: skip
    with db.read() as conn:
        found = run_report(conn, read_query(conn, REPORTS[name], days, NOW, visible))
    return found.rows, found.totals


@pytest.mark.parametrize("scope", ["company", "WH2"])
def test_the_reports_read_the_same_from_flow_rows_as_from_the_moves(
    ledger: Database, scope: str
) -> None:
    visible = None
    if scope != "company":
        with ledger.read() as conn:
            visible = frozenset(
                conn.execute(select(warehouses.c.id).where(warehouses.c.code == scope)).scalars()
            )
    read = [ask(ledger, name, params, visible) for name, params in ASKS]
    with ledger.engine.begin() as conn:  # read from the moves alone
        conn.execute(update(checkpoints).values(flows=False))
    assert [ask(ledger, name, params, visible) for name, params in ASKS] == read


def summed(*groups: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], tuple[int, int]]:
    found: dict[tuple[Any, ...], tuple[int, int]] = {}
    for row in (row for group in groups for row in group):
        q, v = found.get(row[:6], (0, 0))
        found[row[:6]] = (q + row[6], v + row[7])
    return found


def test_migration_0014_gives_each_valid_checkpoint_its_rows(ledger: Database) -> None:
    written = flow_rows(ledger)
    config = alembic_config()
    with ledger.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0013")
    with ledger.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    assert current_revision(ledger.engine) == head_revision()
    ids = ids_by_day(ledger)
    with ledger.read() as conn:
        chain = dict(conn.execute(select(checkpoints.c.id, checkpoints.c.flows_from)).all())
    # each valid checkpoint now follows the valid one just before it, oldest first: 110 days
    # ago follows 120 (taken later, between 130 and 110); the invalid ones have no rows
    days = sorted(ids, reverse=True)
    assert {ids[d]: chain[ids[d]] for d in days} == {
        ids[d]: ids[days[n - 1]] if n else None for n, d in enumerate(days)
    }
    rows = flow_rows(ledger)
    assert set(rows) == set(ids.values())
    for day, checkpoint in ids.items():
        if day != 110:
            assert rows[checkpoint] == written[checkpoint], day
    # 130 to 110 days ago, read as 130 to 120 and 120 to 110
    assert summed(rows[ids[120]], rows[ids[110]]) == summed(written[ids[110]])


def month_ends(days: int) -> list[date]:
    """The last days of the months ending in the last ``days`` days, oldest first."""
    found = []
    day = TODAY - timedelta(days=days)
    while day < TODAY:
        following = day + timedelta(days=1)
        if following.month != day.month:
            found.append(day)
        day = following
    return found


def test_turnover_reads_month_ends_from_their_checkpoints(db: Database) -> None:
    post_history(db)
    for day in month_ends(230):
        take_checkpoint(db, CTX, day_end(day, UTC_ZONE))
    asks: list[tuple[str, dict[str, str]]] = [
        ("turnover", {"start": "-200"}),
        ("turnover", {"start": "-150", "end": "-20", "group": "category"}),
        ("turnover", {"start": "-150", "end": "-20", "group": "warehouse"}),
    ]
    with db.read() as conn:  # the month ends all have a checkpoint: it is read, not folded
        query = read_query(conn, REPORTS["turnover"], {"start": days_ago(200).date().isoformat()},
                           NOW)  # fmt: skip
        points, method = average_points(query)
        found = _from_checkpoints(conn, points, {1, 2}, lambda item, _: item, NOW)
    assert method == "monthly" and found is not None and set(found.value_sum) == {1, 2}
    read = [ask(db, name, params) for name, params in asks]
    with db.engine.begin() as conn:  # fold the moves instead
        conn.execute(update(checkpoints).values(valid=False))
    assert [ask(db, name, params) for name, params in asks] == read


@pytest.mark.parametrize("scope", [None, ("WH1",), ("WH2",), ("WH1", "WH2")])
def test_demand_summed_in_sql_is_the_issued_less_the_returned_flows(
    ledger: Database, scope: tuple[str, ...] | None
) -> None:
    with ledger.read() as conn:
        codes = dict(conn.execute(select(warehouses.c.code, warehouses.c.id)).all())
        wanted = set(conn.execute(select(items.c.id)).scalars())
        view = None if scope is None else frozenset(codes[c] for c in scope)
        weeks = [days_ago(7 * n, 23) for n in range(28, 0, -1)]
        expected: dict[tuple[int, int], list[int]] = {}
        for flow in flows(conn, days_ago(200), NOW, wanted, view, bounds=weeks):
            if flow.kind in ("issued", "returned"):
                sign = 1 if flow.kind == "issued" else -1
                figures = expected.setdefault((flow.item, flow.k), [0, 0])
                figures[0] += sign * flow.quantity
                figures[1] += sign * flow.value
        found = demand(conn, days_ago(200), NOW, wanted, view, bounds=weeks)
    assert found == {key: (q, v) for key, (q, v) in expected.items() if q or v}
    # the week (98, 91] days ago: BOLT's round of 96 days ago sold 9 from WH1 and used 4 in
    # WH2, and a customer returned 2 into WH1 95 days ago
    bolt = next(i for i, code in codes_of(ledger).items() if code == "BOLT")
    net = {None: 11, ("WH1",): 7, ("WH2",): 4, ("WH1", "WH2"): 11}[scope]
    assert found[(bolt, 15)][0] == net * 10**6
