"""The unit of work: one connection, one transaction, rollback unless committed.

Driver errors never leave this package: they are translated to the domain's errors here
(by constraint name where one is known).

A unit that posted moves (``mark_posted``, by the ledger) calls the posting listeners once it
has committed: the server's alert watch (ADR 0035) hears of postings that way, without the
ledger knowing of it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from cangku.db.engine import make_engine
from cangku.domain.errors import CangkuError, Conflict, InvalidInput, RuleViolation

log = logging.getLogger(__name__)

#: set on a connection's info by ``mark_posted``; taken off when its unit ends
_POSTED = "cangku.posted"
#: called with no argument after each committed unit that posted moves
_POSTING_LISTENERS: list[Callable[[], None]] = []


def mark_posted(conn: Connection) -> None:
    """Say that the transaction on ``conn`` posts moves (its unit tells the listeners once it
    commits)."""
    conn.info[_POSTED] = True


def add_posting_listener(listener: Callable[[], None]) -> None:
    """Call ``listener()`` after each committed unit of work that posted moves (in the thread
    that committed: it must return at once; its errors are logged, never raised)."""
    _POSTING_LISTENERS.append(listener)


def remove_posting_listener(listener: Callable[[], None]) -> None:
    """Stop calling ``listener`` (nothing if it was not added)."""
    if listener in _POSTING_LISTENERS:
        _POSTING_LISTENERS.remove(listener)


def _tell_posted() -> None:
    for listener in list(_POSTING_LISTENERS):
        try:
            listener()
        except Exception:  # a listener never fails the posting that committed
            log.exception("posting listener %r failed", listener)


class RetryableConflict(Conflict):
    """A deadlock, serialization failure or busy database: safe to run the unit again."""

    code = "concurrent_update"


#: constraint name fragment -> (error class, code, message)
_CONSTRAINTS: list[tuple[str, type[CangkuError], str, str]] = [
    ("on_hand_range", InvalidInput, "number_too_large", "the resulting stock is too large"),
    ("totals_range", InvalidInput, "number_too_large", "the resulting stock value is too large"),
    ("reserved_within_on_hand", RuleViolation, "insufficient_stock", "not enough stock on hand"),
    ("remaining_not_negative", RuleViolation, "insufficient_stock", "not enough valued stock"),
    ("ledger_append_only", RuleViolation, "ledger_append_only", "the ledger is append-only"),
    ("reverses_move_id", Conflict, "move_already_reversed", "that move is already reversed"),
    ("idempotency_keys", RetryableConflict, "concurrent_update", "a concurrent request"),
    ("uq_moves_chain_seq", RetryableConflict, "concurrent_update", "a concurrent request"),
    ("moves.warehouse_id, moves.seq", RetryableConflict, "concurrent_update", "a concurrent post"),
]
_UNIQUE = re.compile(r"(?:UNIQUE constraint failed: (\S+)|Key \((.+?)\)=)")


def translate(exc: DBAPIError) -> CangkuError:
    """Map a driver error to a domain error. Unknown integrity errors become a Conflict."""
    text = str(exc.orig)
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in ("40001", "40P01", "55P03") or "database is locked" in text:
        return RetryableConflict("the database was busy; try again")
    for fragment, cls, code, message in _CONSTRAINTS:
        if fragment in text:
            return cls(message, code=code)
    if isinstance(exc, IntegrityError):
        match = _UNIQUE.search(text)
        if match:
            field = (match.group(1) or match.group(2) or "").split(".")[-1]
            return Conflict(
                f"a record with this {field} already exists", code="duplicate", field=field
            )
        return RuleViolation("the change breaks a database rule", code="integrity_error")
    if isinstance(exc, OperationalError):
        return RetryableConflict("the database was busy; try again")
    if isinstance(exc, DataError):
        return InvalidInput(
            "a value cannot be stored (a NUL character or a number out of range)",
            code="invalid_value",
        )
    raise exc


def _out_of_range() -> InvalidInput:
    return InvalidInput("a number is out of range", code="invalid_value")


class UnitOfWork:
    """``with db.write() as uow: ...; uow.commit()`` — rollback is the default."""

    def __init__(self, engine: Engine, *, write: bool) -> None:
        self._engine = engine
        self._write = write
        self._after_commit: list[Callable[[], None]] = []
        self.conn: Connection
        self.committed = False

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def __enter__(self) -> UnitOfWork:
        conn = self._engine.connect()
        if self._write:
            conn = conn.execution_options(cangku_write=True)
        self.conn = conn
        try:
            conn.begin()
        except DBAPIError as exc:
            conn.close()
            raise translate(exc) from exc
        return self

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def commit(self) -> None:
        try:
            self.conn.commit()
        except DBAPIError as exc:
            raise translate(exc) from exc
        self.committed = True
        if self.conn.info.pop(_POSTED, False):
            _tell_posted()
        for callback in self._after_commit:
            callback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self.committed:
                self.conn.rollback()
        finally:
            # the info lives with the pooled driver connection: never leave the mark on it
            self.conn.info.pop(_POSTED, None)
            self.conn.close()
        if isinstance(exc, DBAPIError):
            raise translate(exc) from exc
        if isinstance(exc, OverflowError):  # sqlite3 refuses integers beyond 64 bits
            raise _out_of_range() from exc


class Database:
    """An engine plus the two ways to use it."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def write(self) -> UnitOfWork:
        return UnitOfWork(self.engine, write=True)

    @contextmanager
    def read(self, *, snapshot: bool = False, transaction: bool = True) -> Iterator[Connection]:
        """A read-only connection; ``snapshot`` makes every statement see one consistent
        state (REPEATABLE READ on PostgreSQL; SQLite reads in one transaction anyway).
        ``transaction=False`` is for a read of one statement on the request path: on
        PostgreSQL it runs without a transaction, one round trip instead of three (BEGIN, the
        statement, the ROLLBACK when the connection goes back); READ COMMITTED would give the
        statement its own snapshot anyway. Not for streamed results (a server-side cursor
        needs a transaction)."""
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                if snapshot:
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                elif not transaction:
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                yield conn
            except DBAPIError as exc:
                raise translate(exc) from exc
            except OverflowError as exc:
                raise _out_of_range() from exc

    def dispose(self) -> None:
        self.engine.dispose()
