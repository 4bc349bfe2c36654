"""The cycle-count plan from ABC classes: consumption value over the last 12 months ranks the
items (A 80 %, B the next 15 %, C the rest), the classes are kept per run, each place's
frequency comes from its class or from a location that sets one, never-counted places are due
first, a count of the plan covers only its places, and once posted the places fall due again
by their frequency. The accuracy per count is lines right / lines counted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.tables import abc_runs, count_frequencies, documents, locations, moves
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, PermissionDenied, RuleViolation
from cangku.queries.cycle_counts import abc_view, accuracy_history, due_list, frequencies_view
from cangku.queries.verify import verify
from cangku.services.common import Context
from cangku.services.counts import (
    CountEntry,
    NewCount,
    approve_count,
    close_count,
    create_count,
    enter_counts,
    post_count,
)
from cangku.services.cycle_counts import months_before, recompute_abc, set_frequencies
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from cangku.services.users import create_user
from tests.factories import CTX, build_company

ZHAO = Context(username="zhao")  # a stock counter
TODAY = date(2026, 11, 30)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


@pytest.fixture
def consumed(db: Database) -> Database:
    """WH1-A: BOLT 1,000 at 0.50 and GLUE lot G1 100 at 2.00; WH1-B: BOLT 10, FLOUR lot F1
    100 at 3.00. In the last 12 months 800 BOLT went to customers (400.00) and 15 GLUE to
    production (30.00); FLOUR's 20 left before the period."""
    build_company(db)
    create_user(db, CTX, "zhao", "Zhao", roles=[("stock_counter", None)])
    early = _at(date(2025, 6, 1))
    for item, qty, where, lot, cost in [
        ("BOLT", "1000", "WH1-A", None, "0.50"),
        ("BOLT", "10", "WH1-B", None, "0.50"),
        ("GLUE", "100", "WH1-A", "G1", "2.00"),
        ("FLOUR", "100", "WH1-B", "F1", "3.00"),
    ]:
        receive_stock(
            db, CTX, Receive(item, qty, where, lot=lot, unit_cost=cost, effective_at=early)
        )
    issue_stock(
        db, CTX, Issue("FLOUR", "20", "WH1-B", lot="F1", effective_at=_at(date(2025, 10, 1)))
    )
    issue_stock(db, CTX, Issue("BOLT", "800", "WH1-A", effective_at=_at(date(2026, 6, 1))))
    issue_stock(db, CTX, Issue("GLUE", "15", "WH1-A", lot="G1", to="production",
                               effective_at=_at(date(2026, 6, 2))))  # fmt: skip
    return db


def test_months_before_keeps_the_day_or_takes_the_months_last() -> None:
    assert months_before(date(2026, 11, 30), 12) == date(2025, 11, 30)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2026, 1, 15), 1) == date(2025, 12, 15)


def test_a_cycle_count_plan_from_abc_classes(consumed: Database) -> None:
    # ABC from the 12 months before TODAY: BOLT 400.00 (A), GLUE 30.00 (B), FLOUR 0 (C)
    run = recompute_abc(consumed, CTX, "WH1", today=TODAY)
    assert (run.period_start, run.period_end) == (date(2025, 12, 1), TODAY)
    assert run.items == {"A": 1, "B": 1, "C": 1}
    with consumed.read() as conn:
        view = abc_view(conn, "WH1")
        assert view is not None
        assert view.total == Decimal("430")
        assert [(i.item, i.abc_class, i.consumption) for i in view.items] == [
            ("BOLT", "A", Decimal("400")),
            ("GLUE", "B", Decimal("30")),
            ("FLOUR", "C", Decimal("0")),
        ]
        # one issue each in 52 weeks: Z (CV sqrt(51) = 7.141428); no demand: Z without a CV
        assert view.weeks == 52
        assert [(i.item, i.xyz_class, i.demand_cv) for i in view.items] == [
            ("BOLT", "Z", Decimal("7.141428")),
            ("GLUE", "Z", Decimal("7.141428")),
            ("FLOUR", "Z", None),
        ]
        assert [
            (c.abc_class, c.xyz_class, c.items, c.consumption) for c in view.matrix if c.items
        ] == [
            ("A", "Z", 1, Decimal("400")),
            ("B", "Z", 1, Decimal("30")),
            ("C", "Z", 1, Decimal("0")),
        ]
        assert [(c.abc_class, c.items, c.share) for c in view.classes] == [
            ("A", 1, Decimal("93.0")),
            ("B", 1, Decimal("7.0")),
            ("C", 1, Decimal("0.0")),
        ]
        # never counted: every place holding stock is due, in item then location order
        due = due_list(conn, "WH1", TODAY)
    assert (due.places, due.due, due.abc_run_id) == (4, 4, run.run_id)
    assert [(r.item, r.location, r.abc_class, r.days, r.due_on) for r in due.rows] == [
        ("BOLT", "WH1-A", "A", 30, None),
        ("BOLT", "WH1-B", "A", 30, None),
        ("FLOUR", "WH1-B", "C", 365, None),
        ("GLUE", "WH1-A", "B", 91, None),
    ]

    # a count of the plan's most overdue place covers that place only
    first = create_count(consumed, CTX, NewCount("WH1", plan=True, limit=1, start=True))
    assert first.data == {"snapshot_lines": 1}
    with pytest.raises(RuleViolation) as refused:
        enter_counts(consumed, CTX, first.number, [CountEntry("WH1-B", "BOLT", "10")])
    assert refused.value.code == "count_line_out_of_scope"

    # the whole plan: every place counted, 2 BOLT short at WH1-A
    whole = create_count(consumed, CTX, NewCount("WH1", plan=True, start=True))
    assert whole.data == {"snapshot_lines": 4}
    enter_counts(consumed, CTX, whole.number, [
        CountEntry("WH1-A", "BOLT", "198"), CountEntry("WH1-B", "BOLT", "10"),
        CountEntry("WH1-A", "GLUE", "85", lot="G1"), CountEntry("WH1-B", "FLOUR", "80", lot="F1"),
    ])  # fmt: skip
    close_count(consumed, CTX, whole.number)
    approve_count(consumed, CTX, whole.number)
    post_count(consumed, CTX, whole.number)

    today = datetime.now(UTC).date()  # the company's zone is UTC
    with consumed.read() as conn:
        assert due_list(conn, "WH1", today).due == 0
        assert due_list(conn, "WH1", today + timedelta(days=29)).due == 0
        later = due_list(conn, "WH1", today + timedelta(days=30))
        assert [(r.item, r.location, r.last_counted, r.due_on) for r in later.rows] == [
            ("BOLT", "WH1-A", today, today + timedelta(days=30)),
            ("BOLT", "WH1-B", today, today + timedelta(days=30)),
        ]
        assert due_list(conn, "WH1", today + timedelta(days=91)).due == 3
        assert due_list(conn, "WH1", today + timedelta(days=365)).due == 4
        every = due_list(conn, "WH1", today, every_place=True)
        assert [(r.item, r.location, r.due, r.due_on) for r in every.rows] == [
            ("BOLT", "WH1-A", False, today + timedelta(days=30)),
            ("BOLT", "WH1-B", False, today + timedelta(days=30)),
            ("GLUE", "WH1-A", False, today + timedelta(days=91)),
            ("FLOUR", "WH1-B", False, today + timedelta(days=365)),
        ]
        [history] = accuracy_history(conn, "WH1")
        assert (history.number, history.lines_counted, history.lines_right) == (whole.number, 4, 3)
        assert (history.accuracy, history.net_variance, history.absolute_variance) == (
            Decimal("75.0"),
            Decimal("-1"),
            Decimal("1"),
        )
        assert verify(conn).ok

    # nothing due today: a count of the plan is refused and nothing is written
    with consumed.read() as conn:
        before = conn.execute(select(func.count()).select_from(documents)).scalar_one()
    with pytest.raises(RuleViolation) as nothing:
        create_count(consumed, CTX, NewCount("WH1", plan=True))
    assert nothing.value.code == "nothing_due"
    with consumed.read() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == before


def test_steady_weekly_demand_is_x_over_the_weeks_the_ledger_has(consumed: Database) -> None:
    """WH2-A's ledger begins 141 days before TODAY: 10 BOLT issued in each of the 20 whole
    weeks since is X (CV 0), not Z for the 32 weeks before it had any history."""
    began = _at(TODAY - timedelta(days=141))
    receive_stock(consumed, CTX, Receive("BOLT", "600", "WH2-A", unit_cost="1", effective_at=began))
    for week in range(20):
        day = TODAY - timedelta(days=7 * week)
        issue_stock(consumed, CTX, Issue("BOLT", "10", "WH2-A", effective_at=_at(day)))
    run = recompute_abc(consumed, CTX, "WH2", today=TODAY)
    assert run.items == {"A": 1, "B": 0, "C": 0}
    with consumed.read() as conn:
        view = abc_view(conn, "WH2")
        # the issues' own cost (FIFO layers of BOLT)
        issued = conn.execute(
            select(func.sum(moves.c.value))
            .join(locations, locations.c.id == moves.c.from_location_id)
            .where(locations.c.code == "WH2-A", moves.c.operation == "issue")
        ).scalar_one()
    assert view is not None and view.weeks == 20
    assert [(i.item, i.abc_class, i.consumption, i.xyz_class, i.demand_cv) for i in view.items] == [
        ("BOLT", "A", Decimal(issued) / 10**6, "X", Decimal("0")),
    ]


def test_a_location_frequency_wins_over_the_class(consumed: Database) -> None:
    recompute_abc(consumed, CTX, "WH1", today=TODAY)
    set_frequencies(consumed, CTX, classes={"A": 14, "C": None}, locations={"WH1-B": 7})
    with consumed.read() as conn:
        shown = frequencies_view(conn)
        assert (shown.classes, shown.set_classes) == ({"A": 14, "B": 91, "C": 365}, ("A",))
        assert list(shown.locations) == [("WH1-B", 7)]
        rows = due_list(conn, "WH1", TODAY).rows
    assert [(r.item, r.location, r.days, r.source) for r in rows] == [
        ("BOLT", "WH1-A", 14, "A"),
        ("BOLT", "WH1-B", 7, "WH1-B"),
        ("FLOUR", "WH1-B", 7, "WH1-B"),
        ("GLUE", "WH1-A", 91, "B"),
    ]
    set_frequencies(consumed, CTX, locations={"WH1-B": None})
    with consumed.read() as conn:
        assert list(frequencies_view(conn).locations) == []


@pytest.mark.parametrize(
    ("classes", "locations", "code"),
    [
        ({"A": 0}, {}, "invalid_frequency"),
        ({"D": 30}, {}, "invalid_abc_class"),
        ({}, {"WH1-A": 3651}, "invalid_frequency"),
        ({}, {}, "no_changes"),
    ],
    ids=["zero-days", "unknown-class", "too-long", "nothing"],
)
def test_a_bad_frequency_is_refused_and_writes_nothing(
    consumed: Database, classes: dict[str, int], locations: dict[str, int], code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        set_frequencies(consumed, CTX, classes=classes, locations=locations)
    assert refused.value.code == code
    with consumed.read() as conn:
        assert conn.execute(select(func.count()).select_from(count_frequencies)).scalar_one() == 0


def test_who_may_plan(consumed: Database) -> None:
    for attempt in (
        lambda: recompute_abc(consumed, ZHAO, "WH1", today=TODAY),
        lambda: set_frequencies(consumed, ZHAO, locations={"WH1-A": 7}),
        lambda: set_frequencies(consumed, ZHAO, classes={"A": 7}),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    with pytest.raises(InvalidInput) as months:
        recompute_abc(consumed, CTX, "WH1", months=0)
    assert months.value.code == "invalid_months"
    with consumed.read() as conn:
        assert conn.execute(select(func.count()).select_from(abc_runs)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(count_frequencies)).scalar_one() == 0
