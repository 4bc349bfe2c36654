"""Bulk posting: many moves at once (imports, data migration, benchmarks).

The same rules as the single operations (``domain.operations``: reasons, location kinds and
warehouses, lots, costs, notes) and the same ledger store; codes are resolved once per batch
through small caches, and balance updates are set-based (ADR 0003).

An import is all or nothing by default: every batch in one transaction, so a refused move
leaves nothing posted. ``chunked=True`` commits each batch on its own and records how far it
got; running the same input again resumes after the last committed batch. Each import is
recorded (``move_imports``) by the digest of its moves and its idempotency key: a repeat of a
completed import is refused, and a repeat with its key is an honest replay (ADR 0011).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import Connection

from cangku.db import move_imports as records
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import CangkuError, Conflict, InvalidInput, PermissionDenied
from cangku.domain.permissions import WAREHOUSE_MANAGER, Actor, action
from cangku.services import bulk_lines
from cangku.services.bulk_lines import BulkMove, Resolver, content
from cangku.services.common import Context, load_actor, named_denial, run_write
from cangku.services.move_imports import Digest, ImportRecord, Plan, candidates, in_progress, plan

__all__ = [
    "BULK_GC_THRESHOLD",
    "STOCK_IMPORT",
    "BulkMove",
    "BulkResult",
    "post_bulk",
    "rare_collections",
]

#: post many moves at once (a CSV import, an integration) in the warehouses granted
STOCK_IMPORT = action("stock.import", roles={WAREHOUSE_MANAGER}, scoped=True, audited=False)


@dataclass(frozen=True)
class BulkResult:
    """What a run did. ``posted`` counts only the moves this run posted: 0 for a replay, the
    rest of the input for a resumed import (``resumed_from`` moves were posted before)."""

    posted: int
    batches: int
    seconds: float
    import_id: int | None = None
    replayed: bool = False
    resumed_from: int = 0
    #: moves in the input (None when it was read once, as it was posted)
    total: int | None = None
    #: a replay: what the import posted when it ran, when and by whom
    previously_posted: int = 0
    posted_at: datetime | None = None
    posted_by: str | None = None

    @property
    def moves_per_second(self) -> float:
        return self.posted / self.seconds if self.seconds else 0.0


#: the cyclic garbage collector's first threshold while bulk posting (CPython's default: 700)
BULK_GC_THRESHOLD = 100_000


class _RareCollections:
    """Raises the garbage collector's first threshold while at least one bulk posting runs.

    A batch allocates several container objects per move (lines, keys, rows), nearly all freed
    by reference counting; with the default threshold the collector runs every 700 allocations
    and walks them, ~15 % of a 1M-move run (bench/README.md). Collection is rarer, not off,
    so cyclic garbage is still freed. The threshold is process-wide: concurrent postings are
    counted and the threshold found before the first is restored after the last.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved: tuple[int, int, int] = gc.get_threshold()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._saved = gc.get_threshold()
                if self._saved[0] < BULK_GC_THRESHOLD:
                    gc.set_threshold(BULK_GC_THRESHOLD, *self._saved[1:])
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    gc.set_threshold(*self._saved)


rare_collections = _RareCollections()


def post_bulk(
    db: Database,
    ctx: Context,
    rows: Iterable[BulkMove],
    batch_size: int = 10_000,
    *,
    chunked: bool = False,
    allow_repeat: bool = False,
    source: str | None = None,
) -> BulkResult:
    """Post ``rows`` in order, checked by the single operations' rules, ``batch_size`` moves
    at a time, and record the import (digest of the moves, key, user, time, moves, status).

    All or nothing by default: one transaction, so a refusal leaves nothing posted. With
    ``chunked``, each batch commits on its own; after a refusal or a crash, running the same
    input again (fixed after the moves already posted) resumes after the last committed batch.
    ``rows`` read twice (a list, ``bulk_csv.CsvMoves``) are surveyed first, so a repeat or a
    malformed row is refused before anything is posted; rows that can be read once only (a
    generator) are identified as they are posted and checked before the commit. ``chunked``
    needs rows that can be read twice. ``source`` says where the moves came from (a file name).

    Raises the first refusal with its position (``data.move_number``; ``data.row`` for a CSV;
    chunked: ``data.import_id`` and ``data.resume_after``), Conflict ``import_already_posted``
    (a repeat of a completed import, unless ``allow_repeat``), ``import_unfinished``,
    ``import_in_progress``, IdempotencyMismatch. With the idempotency key of a completed import
    of the same moves, nothing is posted and the result says ``replayed``.
    Writes: moves, balances, cost layers, lots created on the fly, the ``move_imports`` record.
    """
    if not 1 <= batch_size <= 100_000:
        raise InvalidInput("batch size must be between 1 and 100000", code="invalid_batch_size")
    key = ctx.idempotency_key
    if key is not None and not 0 < len(key) <= 200:
        raise InvalidInput(
            "an idempotency key has 1 to 200 characters", code="invalid_idempotency_key"
        )
    rereadable = iter(rows) is not rows
    if chunked and not rereadable:
        raise TypeError("a chunked import reads its rows twice: pass a list or CsvMoves")
    run = _Run(db, ctx, rows, batch_size, allow_repeat, (source or "")[:200] or None)
    with rare_collections():
        try:
            if chunked:
                return run.chunked()
            return run.whole() if rereadable else run.whole_once()
        except PermissionDenied as denied:
            raise named_denial(db, denied) from None


class _Replay(Exception):
    """Not an error: unwinds a transaction that turned out to be a replay."""

    def __init__(self, record: ImportRecord) -> None:
        super().__init__(record.id)
        self.record = record


class _Run:
    """One run of an import: identify it, decide (plan), post, record."""

    def __init__(
        self,
        db: Database,
        ctx: Context,
        rows: Iterable[BulkMove],
        batch_size: int,
        allow_repeat: bool,
        source: str | None,
    ) -> None:
        self.db = db
        self.key = ctx.idempotency_key
        # the import record holds the key; each batch reads the actor afresh (an import can
        # outlast a revocation: the batches after it are refused)
        self.ctx = replace(ctx, idempotency_key=None, actor=None)
        self.rows = rows
        self.batch_size = batch_size
        self.allow_repeat = allow_repeat
        self.source = source
        self.resolver = Resolver()
        self.started = time.perf_counter()

    # ------------------------------------------------------------ identify and decide
    def _survey(self) -> Digest:
        """Read the input once, posting nothing: its digest and size, and its digests where
        unfinished imports stopped. A malformed row is refused here."""
        with self.db.read() as conn:
            load_actor(conn, self.ctx).require(STOCK_IMPORT)
            marks = [
                record.moves_posted for record in candidates(conn, self.ctx.username, self.key)
            ]
        digest = Digest(marks)
        for move in self.rows:
            digest.add(content(move))
        return digest

    def _plan(self, conn: Connection, digest: Digest, *, chunked: bool) -> Plan:
        return plan(
            conn,
            username=self.ctx.username,
            key=self.key,
            digest=digest.hexdigest(),
            prefixes=digest.at,
            chunked=chunked,
            allow_repeat=self.allow_repeat,
        )

    def _early_plan(self, digest: Digest, *, chunked: bool) -> Plan:
        """The plan before the write transaction: a repeat is refused without waiting for it
        (the transaction decides again, under the import's lock)."""
        with self.db.read() as conn:
            return self._plan(conn, digest, chunked=chunked)

    def _lock(self, conn: Connection, digest: Digest) -> None:
        records.lock(conn, digest.hexdigest(), *([self.key] if self.key else []))

    def _new_record(
        self, actor: Actor, now: datetime, digest: Digest, decided: Plan, **values: Any
    ) -> int:
        return records.create(
            self.resolver.db,
            digest=digest.hexdigest(),
            idempotency_key=self.key,
            repeat_of=decided.repeat_of,
            source=self.source,
            user_id=actor.user_id,
            started_at=now,
            batch_size=self.batch_size,
            **values,
        )

    # ------------------------------------------------------------ results
    def _result(self, posted: int, batches: int, import_id: int | None, **more: Any) -> BulkResult:
        seconds = time.perf_counter() - self.started
        return BulkResult(posted, batches, seconds, import_id, **more)

    def _replayed(self, record: ImportRecord) -> BulkResult:
        return self._result(
            0,
            0,
            record.id,
            replayed=True,
            total=record.moves_total,
            previously_posted=record.moves_posted,
            posted_at=record.finished_at,
            posted_by=record.username,
        )

    def _write(self, work: Any) -> Any:
        try:
            return run_write(self.db, self.ctx, STOCK_IMPORT, {"source": self.source}, work)[0]
        except _Replay as replay:
            return replay

    def _post_all(
        self, conn: Connection, actor: Actor, now: datetime, moves: Iterator[BulkMove]
    ) -> tuple[int, int]:
        self.resolver.start(conn)
        posted = batches = 0
        for batch in bulk_lines.batches(moves, self.batch_size):
            bulk_lines.post_batch(self.resolver, actor, STOCK_IMPORT, now, batch, posted + 1)
            posted += len(batch)
            batches += 1
        return posted, batches

    # ------------------------------------------------------------ all or nothing
    def whole(self) -> BulkResult:
        """Rows that can be read twice: surveyed, decided, then posted in one transaction."""
        digest = self._survey()
        if digest.count == 0:
            return self._result(0, 0, None, total=0)
        early = self._early_plan(digest, chunked=False)
        if early.replay is not None:
            return self._replayed(early.replay)

        def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, int]:
            self._lock(uow.conn, digest)
            decided = self._plan(uow.conn, digest, chunked=False)
            if decided.replay is not None:
                raise _Replay(decided.replay)
            posted, batches = self._post_all(uow.conn, actor, now, iter(self.rows))
            import_id = self._new_record(
                actor, now, digest, decided, **_done(digest, posted, now, chunked=False)
            )
            return {"import_id": import_id, "posted": posted, "batches": batches}

        done = self._write(work)
        if isinstance(done, _Replay):
            return self._replayed(done.record)
        return self._result(done["posted"], done["batches"], done["import_id"], total=digest.count)

    def whole_once(self) -> BulkResult:
        """Rows read once (a generator): identified as they are posted, decided before the
        commit; a repeat is rolled back."""
        consumed = False

        def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
            nonlocal consumed
            if consumed:  # a retried transaction cannot read the rows again
                raise Conflict(
                    "the import met a concurrent write and was rolled back; run it again",
                    code="import_interrupted",
                )
            consumed = True
            digest = Digest(
                record.moves_posted for record in candidates(uow.conn, self.ctx.username, self.key)
            )

            def hashed() -> Iterator[BulkMove]:
                for move in self.rows:
                    digest.add(content(move))
                    yield move

            posted, batches = self._post_all(uow.conn, actor, now, hashed())
            if posted == 0:
                return {"import_id": None, "posted": 0, "batches": 0}
            self._lock(uow.conn, digest)
            decided = self._plan(uow.conn, digest, chunked=False)
            if decided.replay is not None:
                raise _Replay(decided.replay)
            import_id = self._new_record(
                actor, now, digest, decided, **_done(digest, posted, now, chunked=False)
            )
            return {"import_id": import_id, "posted": posted, "batches": batches}

        done = self._write(work)
        if isinstance(done, _Replay):
            return self._replayed(done.record)
        return self._result(
            done["posted"], done["batches"], done["import_id"], total=done["posted"]
        )

    # ------------------------------------------------------------ in chunks
    def chunked(self) -> BulkResult:
        """Each batch commits with the import record's progress; a run of an input whose first
        moves are an unfinished import's committed ones resumes after them."""
        digest = self._survey()
        total = digest.count
        if total == 0:
            return self._result(0, 0, None, total=0)
        early = self._early_plan(digest, chunked=True)
        if early.replay is not None:
            return self._replayed(early.replay)
        resumed = early.resume.moves_posted if early.resume else 0
        import_id = early.resume.id if early.resume else None
        moves = iter(self.rows)
        running = Digest()
        for move in islice(moves, resumed):  # posted by an earlier run
            running.add(content(move))
        posted = batches = 0
        pending = bulk_lines.batches(moves, self.batch_size)
        if resumed == total:  # the input is just what was posted: the import is complete
            pending = iter([[]])
        for batch in pending:
            before = resumed + posted
            for move in batch:
                running.add(content(move))
            progress = {
                "prefix_digest": running.hexdigest(),
                "moves_posted": before + len(batch),
                "status": records.POSTED if before + len(batch) == total else records.RUNNING,
            }

            def work(
                uow: UnitOfWork,
                actor: Actor,
                now: datetime,
                batch: list[BulkMove] = batch,
                before: int = before,
                progress: dict[str, Any] = progress,
                current: int | None = import_id,
            ) -> int:
                self.resolver.start(uow.conn)
                finished = {"finished_at": now if progress["status"] == records.POSTED else None}
                if current is None:
                    self._lock(uow.conn, digest)
                    decided = self._plan(uow.conn, digest, chunked=True)
                    if decided.replay is not None or decided.resume is not None:
                        raise in_progress(None)
                    new_id = self._new_record(
                        actor, now, digest, decided, chunked=True, moves_total=total,
                        **progress, **finished,
                    )  # fmt: skip
                else:
                    keyed = {"idempotency_key": self.key} if self.key else {}
                    if not records.advance(
                        uow.conn, current, before, digest=digest.hexdigest(),
                        moves_total=total, batch_size=self.batch_size, stop_code=None,
                        stop_move=None, **keyed, **progress, **finished,
                    ):  # fmt: skip
                        raise in_progress(current)
                    new_id = current
                if batch:
                    bulk_lines.post_batch(
                        self.resolver, actor, STOCK_IMPORT, now, batch, before + 1
                    )
                return new_id

            try:
                import_id = self._write(work)
            except CangkuError as exc:
                self._stopped(import_id, exc, before)
                raise
            posted += len(batch)
            batches += 1 if batch else 0
        return self._result(posted, batches, import_id, resumed_from=resumed, total=total)

    def _stopped(self, import_id: int | None, exc: CangkuError, committed: int) -> None:
        """A refused chunk: its moves are rolled back, the earlier chunks stay posted; the
        record says where the import stopped and the error says where it will resume."""
        if import_id is None or exc.code == "import_in_progress":
            return
        exc.data.setdefault("import_id", import_id)
        exc.data.setdefault("resume_after", committed)
        exc.message = (
            f"{exc.message}; moves 1-{committed} of import {import_id} stay posted: run it "
            f"again in chunks to resume after move {committed}"
        )
        exc.args = (exc.message,)
        # best effort: the refusal itself is what the user must see
        with suppress(CangkuError), self.db.write() as uow:
            records.stop(uow.conn, import_id, exc.code, exc.data.get("move_number"))
            uow.commit()


def _done(digest: Digest, posted: int, now: datetime, *, chunked: bool) -> dict[str, Any]:
    """The record columns of an import completed in one transaction."""
    return {
        "prefix_digest": digest.hexdigest(),
        "status": records.POSTED,
        "finished_at": now,
        "chunked": chunked,
        "moves_total": posted,
        "moves_posted": posted,
    }
