"""Send one delivery: an e-mail over SMTP or a POST to a webhook or group robot, and log the
attempt. Retries follow ``BACKOFF`` (1 min, 5 min, 30 min, 2 h, 12 h after the 1st to 5th
failed attempt); the 6th failure makes the delivery ``dead``. A refusal that no retry can
mend (an HTTP 4xx other than 408/429, an SMTP 5xx, an inactive channel) makes it ``failed``
at once. Both can be replayed (``replay``): a new delivery naming the old one.

Nothing is sent inside a database transaction: the attempt is claimed (its next attempt moved
``LEASE`` ahead, so a concurrent sender skips it), committed, sent, then its outcome recorded.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Connection

from cangku.db import deliveries as store
from cangku.db.deliveries import Channel, Delivery
from cangku.db.uow import Database
from cangku.domain.errors import NotFound, RuleViolation
from cangku.services.common import utcnow
from cangku.services.delivery import formats

__all__ = [
    "BACKOFF",
    "LEASE",
    "MAX_ATTEMPTS",
    "TIMEOUT",
    "Outcome",
    "make_replay",
    "next_status",
    "replay",
    "send_delivery",
    "send_due",
]

#: the wait before the next attempt after the 1st, 2nd, ... failed attempt
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
#: the attempt after the last wait is the last one: its failure makes the delivery dead
MAX_ATTEMPTS = len(BACKOFF) + 1
#: seconds an SMTP conversation or an HTTP request may take
TIMEOUT = 10.0
#: how long a claimed attempt keeps other senders off (well beyond TIMEOUT)
LEASE = timedelta(minutes=5)
#: HTTP answers worth another attempt (the others in 4xx will not change by waiting)
_RETRY_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Outcome:
    """A delivery after an attempt (``attempted`` False: it was not due or taken by another
    sender, nothing was sent)."""

    delivery_id: int
    status: str
    attempts: int
    next_attempt_at: datetime | None
    error: str | None
    attempted: bool


class _Failure(Exception):
    """An attempt that did not deliver; ``final``: no retry will mend it."""

    def __init__(self, message: str, *, final: bool = False) -> None:
        super().__init__(message)
        self.final = final


def next_status(
    attempts_before: int, error: str | None, final: bool, now: datetime
) -> tuple[str, datetime | None]:
    """The status and next attempt time after an attempt at ``now`` that followed
    ``attempts_before`` others and failed with ``error`` (None: it was delivered)."""
    if error is None:
        return "sent", None
    if final:
        return "failed", None
    if attempts_before + 1 >= MAX_ATTEMPTS:
        return "dead", None
    return "pending", now + BACKOFF[attempts_before]


def _send_email(delivery: Delivery, channel: Channel) -> None:
    """SMTP host, port, sender, STARTTLS and user name come from the channel's config; its
    secret is the password."""
    config = channel.config
    sender = str(config.get("from", "cangku@localhost"))
    message = formats.email_message(delivery, channel, sender)
    try:
        host, port = str(config.get("host", "localhost")), int(config.get("port", 25))
        with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
            if config.get("starttls"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("username"):
                smtp.login(str(config["username"]), channel.secret or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise _Failure(f"SMTP refused the recipients: {exc.recipients}", final=True) from exc
    except smtplib.SMTPResponseException as exc:
        # 5xx is a permanent refusal (RFC 5321), 4xx a transient one
        text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
        raise _Failure(text, final=exc.smtp_code >= 500) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise _Failure(f"SMTP: {exc!r}") from exc


def _robot_error(channel: Channel, response: httpx.Response) -> str | None:
    """The robots answer 200 with an error code in the body: WeCom and DingTalk ``errcode``,
    Feishu ``code`` (older ``StatusCode``); 0 is success."""
    try:
        answer = response.json()
    except ValueError:
        return f"the {channel.kind} robot did not answer JSON"
    if not isinstance(answer, dict):
        return f"the {channel.kind} robot answered {answer!r}"
    fields = ("code", "StatusCode") if channel.kind == "feishu" else ("errcode",)
    for field in fields:
        if field in answer:
            return None if answer[field] == 0 else f"{channel.kind} error: {answer}"
    return f"the {channel.kind} robot answered no error code: {answer}"


def _send_http(delivery: Delivery, channel: Channel, now: datetime, client: httpx.Client) -> None:
    request = formats.http_request(delivery, channel, now)
    try:
        response = client.post(request.url, content=request.body, headers=request.headers)
    except httpx.HTTPError as exc:
        raise _Failure(f"HTTP: {exc!r}") from exc
    code = response.status_code
    if code >= 500 or code in _RETRY_STATUSES:
        raise _Failure(f"HTTP {code}")
    if code >= 300:  # redirects are not followed: a signed POST is not replayed elsewhere
        raise _Failure(f"HTTP {code}", final=True)
    if channel.kind != "webhook":
        error = _robot_error(channel, response)
        if error is not None:
            raise _Failure(error)


def _attempt(
    delivery: Delivery, channel: Channel, now: datetime, client: httpx.Client | None
) -> tuple[str | None, bool]:
    """Send once; answers (error or None, whether the error is final)."""
    try:
        if not channel.active:
            raise _Failure(f"channel {channel.name} is inactive", final=True)
        if channel.kind == "email":
            _send_email(delivery, channel)
        elif client is not None:
            _send_http(delivery, channel, now, client)
        else:
            with httpx.Client(timeout=TIMEOUT) as own:
                _send_http(delivery, channel, now, own)
    except _Failure as failure:
        return str(failure), failure.final
    return None, False


def send_delivery(
    db: Database,
    delivery_id: int,
    *,
    now: datetime | None = None,
    client: httpx.Client | None = None,
) -> Outcome:
    """Make one attempt of a pending delivery that is due at ``now`` (default: the clock) and
    log it: attempts + 1, then sent, pending with the next attempt per ``BACKOFF``, failed or
    dead. A delivery not due or taken by another sender is answered as it is, unsent.
    Raises NotFound (``delivery_not_found``). Writes the delivery row (twice: claim, outcome)."""
    now = now or utcnow()
    with db.write() as uow:
        found = store.delivery(uow.conn, delivery_id)
        if found is None:
            raise NotFound("delivery", delivery_id)
        channel = store.channel_of(uow.conn, found.channel_id)
        if channel is None:  # pragma: no cover - the foreign key keeps it
            raise NotFound("channel", found.channel_id)
        before = store.claim(uow.conn, delivery_id, now, now + LEASE)
        uow.commit()
    if before is None:
        return Outcome(
            found.id, found.status, found.attempts, found.next_attempt_at, found.last_error, False
        )
    error, final = _attempt(found, channel, now, client)
    status, next_at = next_status(before, error, final, now)
    with db.write() as uow:
        store.record(
            uow.conn,
            delivery_id,
            status=status,
            next_attempt_at=next_at,
            error=error,
            sent_at=now if status == "sent" else None,
        )
        uow.commit()
    return Outcome(delivery_id, status, before + 1, next_at, error, True)


def send_due(
    db: Database,
    *,
    now: datetime | None = None,
    limit: int = 100,
    client: httpx.Client | None = None,
) -> list[Outcome]:
    """Attempt every delivery due at ``now`` (at most ``limit``, oldest due first), one HTTP
    client for all. Answers their outcomes; writes as ``send_delivery``."""
    now = now or utcnow()
    with db.read() as conn:
        ids = store.due(conn, now, limit)
    if not ids:
        return []
    if client is not None:
        return [send_delivery(db, i, now=now, client=client) for i in ids]
    with httpx.Client(timeout=TIMEOUT) as own:
        return [send_delivery(db, i, now=now, client=own) for i in ids]


def make_replay(conn: Connection, delivery_id: int, now: datetime) -> int:
    """Insert the replay of a delivery (sent, failed or dead), due at ``now``: a new row naming
    it (``replay_of``; no outbox row, so the one-per-outbox-row rule leaves it be). Answers
    its id. Raises NotFound (``delivery_not_found``) and RuleViolation ``delivery_pending``."""
    old = store.delivery(conn, delivery_id)
    if old is None:
        raise NotFound("delivery", delivery_id)
    if old.status == "pending":
        raise RuleViolation(
            "the delivery is still being tried", code="delivery_pending", delivery=delivery_id
        )
    return store.insert_delivery(
        conn,
        {
            "outbox_id": None,
            "channel_id": old.channel_id,
            "replay_of": old.id,
            "topic": old.topic,
            "payload": json.dumps(old.payload, sort_keys=True, default=str),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


def replay(
    db: Database,
    delivery_id: int,
    *,
    now: datetime | None = None,
    client: httpx.Client | None = None,
) -> Outcome:
    """Send a delivery again (sent, failed or dead) as a new delivery that names it
    (``make_replay``), attempted at once and retried like any other. Raises NotFound
    (``delivery_not_found``) and RuleViolation ``delivery_pending`` (it is still being tried).
    Writes the new delivery and its attempt."""
    now = now or utcnow()
    with db.write() as uow:
        new_id = make_replay(uow.conn, delivery_id, now)
        uow.commit()
    return send_delivery(db, new_id, now=now, client=client)
