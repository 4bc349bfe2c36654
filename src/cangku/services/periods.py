"""Closing periods (the lock date) and taking checkpoints for fast, exact "as of" reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from cangku.db import checkpoints as store
from cangku.db import ledger
from cangku.db.tables import periods, users
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import InvalidInput, RuleViolation
from cangku.domain.permissions import AUDITOR, EVERYONE, WAREHOUSE_MANAGER, Actor, action
from cangku.queries.asof import Anchor, quantities_select
from cangku.queries.stock import StockFilter
from cangku.queries.valuation import value_select
from cangku.services.common import Context, run_write

PERIOD_VIEW = action("period.view", roles=EVERYONE)
#: close the books up to a day: nothing may be posted on or before it afterwards
PERIOD_CLOSE = action("period.close", roles=())
CHECKPOINT_TAKE = action("checkpoint.take", roles={WAREHOUSE_MANAGER})
#: re-fold the ledger and compare it with balances, cost layers and the hash chains
LEDGER_VERIFY = action("ledger.verify", roles={WAREHOUSE_MANAGER, AUDITOR})


@dataclass(frozen=True)
class Period:
    closed_through: date
    closed_at: datetime
    user: str
    note: str | None


@dataclass(frozen=True)
class CheckpointResult:
    id: int
    as_of: datetime
    replayed: bool


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` (UTC) that moves of that day can carry."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC) - timedelta(
        microseconds=1
    )


def _checkpoint(uow: UnitOfWork, as_of: datetime, now: datetime) -> int:
    everything = StockFilter(include_virtual=True, include_zero=False)
    anchor = Anchor(None, None)  # from the balances, exact by construction
    return store.insert_checkpoint(
        uow.conn,
        as_of,
        now,
        quantities_select(uow.conn, as_of, everything, anchor),
        value_select(uow.conn, as_of, anchor, None),
    )


def take_checkpoint(db: Database, ctx: Context, as_of: datetime | None = None) -> CheckpointResult:
    """Record exact stock and value per item as of ``as_of`` (default now).

    Raises InvalidInput for a future time. Writes: a checkpoint with its rows.
    """

    def work(uow: UnitOfWork, _actor: Actor, now: datetime) -> dict[str, object]:
        at = as_of or now
        if at > now:
            raise InvalidInput("a checkpoint cannot lie in the future", code="effective_in_future")
        ledger.lock_all_heads(uow.conn)  # no move is posted while we read
        return {"id": _checkpoint(uow, at, now), "as_of": at.isoformat()}

    result, replayed = run_write(db, ctx, CHECKPOINT_TAKE, {"as_of": str(as_of)}, work)
    return CheckpointResult(int(result["id"]), datetime.fromisoformat(result["as_of"]), replayed)


def close_period(db: Database, ctx: Context, through: date, note: str | None = None) -> Period:
    """Close every day up to and including ``through``: no move may be posted on or before it.
    Takes a checkpoint at the end of that day.

    Raises InvalidInput (a day not yet over), RuleViolation (not after the last closed
    period). Writes: a period row and a checkpoint.
    """

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, str]:
        if through >= now.date():
            raise InvalidInput(
                "only days that are over can be closed",
                code="period_not_ended",
                through=through.isoformat(),
            )
        ledger.lock_all_heads(uow.conn)
        last = ledger.closed_through(uow.conn)
        if last is not None and through <= last:
            raise RuleViolation(
                f"the period up to {last.isoformat()} is already closed",
                code="period_already_closed",
                closed_through=last.isoformat(),
            )
        store.insert_period(uow.conn, through, now, actor.user_id, note)
        _checkpoint(uow, end_of_day(through), now)
        return {"through": through.isoformat()}

    run_write(db, ctx, PERIOD_CLOSE, {"through": through.isoformat(), "note": note}, work)
    return next(p for p in list_periods(db) if p.closed_through == through)


def list_periods(db: Database) -> list[Period]:
    with db.read() as conn:
        rows = conn.execute(
            select(periods.c.closed_through, periods.c.closed_at, users.c.username, periods.c.note)
            .join(users, users.c.id == periods.c.user_id)
            .order_by(periods.c.closed_through.desc())
        )
        return [Period(r.closed_through, r.closed_at, r.username, r.note) for r in rows]
