"""What ``cangku serve`` runs beside the app (ADR 0035): the alert watch, and the jobs'
worker in-process on the default SQLite jobs file.

- **The alert watch.** A posting must not wait for the alert check (issue 16: under 1 ms, or
  asynchronous). The ledger marks each unit of work that posts moves; once it commits, the
  unit tells its posting listeners (:func:`cangku.db.uow.add_posting_listener`). The watch's
  listener only sets a flag (an ``Event``: a microsecond on the request's thread). Its own
  thread wakes on the flag, waits ``delay`` seconds so that a burst of postings is checked
  once (and at least ``interval`` seconds after the previous check began), and checks the
  kinds a posting can change (stock levels, lots in stock) as the system
  (:data:`cangku.services.jobs.SYSTEM`). The scheduled ``alerts`` job (every 15 minutes, every
  kind) still runs: it catches postings made by other processes (the CLI, imports) and the
  kinds that time alone changes (slow-moving, count due, overdue documents).
- **In-process jobs.** On the SQLite default (``CANGKU_JOBS_URL`` empty and a SQLite
  database, or a ``sqlite:///`` jobs URL: one machine), the server runs huey's consumer (one
  worker thread and its scheduler) in its own process, so a fresh install sends its
  deliveries and checks its alerts with nothing more to start. With
  PostgreSQL (as the database or the queue) or Redis, ``cangku jobs worker`` runs once for
  all app machines (ADR 0031): the server does not start one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from huey.consumer import Consumer

from cangku.db.uow import Database, add_posting_listener, remove_posting_listener
from cangku.services.alerts import AlertCheck, check_alerts
from cangku.services.job_queue import job_queue
from cangku.services.jobs import SYSTEM
from cangku.settings import Settings

__all__ = ["POSTING_KINDS", "AlertWatch", "Background", "in_process_jobs", "start_background"]

log = logging.getLogger(__name__)

#: the alert kinds a posting can open or close
POSTING_KINDS = (
    "low_stock",
    "below_safety_stock",
    "stock_out",
    "overstock",
    "expiring_lot",
    "expired_lot",
)


class AlertWatch:
    """Checks ``POSTING_KINDS`` on its own thread soon after postings commit."""

    def __init__(
        self,
        db: Database,
        *,
        delay: float = 1.0,
        interval: float = 5.0,
        check: Callable[[Database], AlertCheck] | None = None,
    ) -> None:
        self._db = db
        self._delay = delay
        self._interval = interval
        self._last = float("-inf")
        self._check = check or (lambda db: check_alerts(db, SYSTEM, POSTING_KINDS))
        self._posted = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cangku-alert-watch", daemon=True)
        #: how many checks ran (tests and the bench read it)
        self.checks = 0
        self._done = threading.Condition()

    def posted(self) -> None:
        """The posting listener: flag that something was posted (returns at once)."""
        self._posted.set()

    def start(self) -> AlertWatch:
        add_posting_listener(self.posted)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        remove_posting_listener(self.posted)
        self._stopping.set()
        self._posted.set()
        self._thread.join(timeout)

    def wait_for_checks(self, count: int, timeout: float) -> bool:
        """Wait until at least ``count`` checks have run (False: ``timeout`` passed first)."""
        with self._done:
            return self._done.wait_for(lambda: self.checks >= count, timeout)

    def _run(self) -> None:
        while True:
            self._posted.wait()
            # the delay gathers a burst; the interval keeps a busy floor from checking non-stop
            pause = max(self._delay, self._last + self._interval - time.monotonic())
            if self._stopping.wait(pause):
                return
            self._posted.clear()
            self._last = time.monotonic()
            try:
                self._check(self._db)
            except Exception:  # the watch outlives a failed check; the job will retry
                log.exception("the alert check after postings failed")
            with self._done:
                self.checks += 1
                self._done.notify_all()


class _QuietConsumer(Consumer):  # type: ignore[misc]
    """huey's consumer without its signal handlers: the server's own handle SIGINT/SIGTERM."""

    def _set_signal_handlers(self) -> None:
        return None


def in_process_jobs(settings: Settings) -> bool:
    """Whether the server runs the jobs' worker itself: the queue is a SQLite file named by
    ``CANGKU_JOBS_URL``, or (empty) the one beside a SQLite database. A PostgreSQL database
    with no jobs URL is a deployment of its own: ``cangku jobs worker`` runs there."""
    url = settings.jobs_url.strip()
    if url:
        return url.startswith("sqlite:///")
    return settings.database_url.startswith("sqlite")


@dataclass
class Background:
    """What runs beside the app; ``stop()`` ends it (the watch, then the worker)."""

    db: Database
    watch: AlertWatch
    consumer: Any = None
    stopped: bool = field(default=False)

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.watch.stop()
        if self.consumer is not None:
            self.consumer.stop(graceful=True)
        self.db.dispose()


def start_background(settings: Settings, *, jobs: bool = True) -> Background:
    """Start the alert watch and (``jobs`` and :func:`in_process_jobs`) the jobs' worker on
    their own threads, on a database of their own. Raises InvalidInput (``jobs_url_invalid``,
    ``jobs_backend_missing``) before starting anything."""
    db = Database(settings.database_url)
    consumer = None
    if jobs and in_process_jobs(settings):
        queue = job_queue(db, settings)
        consumer = _QuietConsumer(queue, workers=1, periodic=True, worker_type="thread")
    background = Background(db, AlertWatch(db).start(), consumer)
    if consumer is not None:
        consumer.start()
    return background
