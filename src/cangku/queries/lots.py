"""Read side of lots and serial numbers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import ColumnElement, Connection, func, select

from cangku.db import lots as store
from cangku.db.lookups import item_by_code
from cangku.db.lots import Lot
from cangku.db.tables import company, documents, items, lot_events, lots, users
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput
from cangku.domain.lots import ExpiryStatus, expiry_status, time_zone
from cangku.domain.stock import RELEASING, MoveLine
from cangku.queries.common import Page, Sorting, paginate, text_filter

__all__ = [
    "LOT_SORTING",
    "LotEvent",
    "lot_history",
    "ExpiryDay",
    "ExpirySettings",
    "Lot",
    "LotView",
    "expiry_dates",
    "expiry_day",
    "expiry_settings",
    "expiry_zone",
    "get_lot",
    "get_lot_by_id",
    "list_lots",
    "list_serials",
    "with_expiry",
]

#: what ``company.expiring_soon_days`` starts as (migration 0006)
DEFAULT_SOON_DAYS = 30

#: a missing date in a sort: after every real one (no expiry date sorts as "never expires")
NO_DATE = date(9999, 12, 31)

#: the orders the lot list may be read in (``sort=``); ``expires_on`` is the default when the
#: list is filtered by expiry status
LOT_SORTING = Sorting(
    {
        "item": (items.c.code, lots.c.code),
        "code": lots.c.code,
        "kind": lots.c.is_serial,
        "manufactured_on": func.coalesce(lots.c.manufactured_on, NO_DATE),
        "expires_on": (func.coalesce(lots.c.expires_on, NO_DATE), items.c.code, lots.c.code),
        "supplier_lot": func.coalesce(lots.c.supplier_lot, ""),
        "status": lots.c.status,
    },
    default="item",
    tiebreak=[lots.c.id],
)


@dataclass(frozen=True)
class ExpirySettings:
    """What a lot's expiry status depends on: the company's time zone (its days) and how many
    days ahead a lot counts as expiring soon."""

    zone: tzinfo = UTC
    soon_days: int = DEFAULT_SOON_DAYS

    def today(self, now: datetime) -> date:
        """The company's local day at ``now``."""
        return now.astimezone(self.zone).date()

    def status(self, expires_on: date | None, now: datetime) -> ExpiryStatus:
        return expiry_status(expires_on, self.today(now), self.soon_days)

    def on(self, now: datetime) -> ExpiryDay:
        return ExpiryDay(self.today(now), self.soon_days)


@dataclass(frozen=True)
class ExpiryDay:
    """Expiry statuses on one local day (what a page or a list judges its lots by)."""

    today: date
    soon_days: int

    def status(self, expires_on: date | None) -> ExpiryStatus:
        return expiry_status(expires_on, self.today, self.soon_days)

    @property
    def soon_until(self) -> date:
        """The last day a lot counts as expiring soon."""
        return self.today + timedelta(days=self.soon_days)


@dataclass(frozen=True)
class LotView(Lot):
    """A lot with its expiry status today (computed, never stored)."""

    expiry_status: ExpiryStatus = ExpiryStatus.NO_EXPIRY


def with_expiry(lot: Lot, day: ExpiryDay) -> LotView:
    return LotView(**{**asdict(lot), "expiry_status": day.status(lot.expires_on)})


def expiry_dates(conn: Connection, item: str) -> dict[str, date | None]:
    """The expiry date of each lot of the item with code ``item``, by lot code."""
    stmt = (
        select(lots.c.code, lots.c.expires_on)
        .join(items, items.c.id == lots.c.item_id)
        .where(items.c.code == item)
    )
    return {row.code: row.expires_on for row in conn.execute(stmt)}


def expiry_day(db: Database, now: datetime | None = None) -> ExpiryDay:
    """The company's local day now (or at ``now``) with its expiring-soon window."""
    with db.read() as conn:
        settings = expiry_settings(conn)
    return settings.on(now or datetime.now(UTC))


def expiry_settings(conn: Connection) -> ExpirySettings:
    """The company's time zone and ``expiring_soon_days`` (row 1 of ``company``)."""
    row = conn.execute(
        select(company.c.time_zone, company.c.expiring_soon_days).where(company.c.id == 1)
    ).first()
    if row is None:
        return ExpirySettings()
    return ExpirySettings(time_zone(row.time_zone), int(row.expiring_soon_days))


def expiry_zone(conn: Connection, lines: Iterable[MoveLine]) -> tzinfo:
    """The zone whose days judge the lines' expiry: the company's, read only when a line
    releases a lot that has an expiry date (else UTC, nothing read)."""
    for line in lines:
        if line.operation in RELEASING and line.lot is not None and line.lot.expires_on:
            return expiry_settings(conn).zone
    return UTC


def get_lot(db: Database, item: str, code: str) -> LotView:
    """The lot (or serial) ``code`` of item ``item`` (code or barcode), with its expiry status.

    Raises NotFound (``item_not_found``, ``lot_not_found``).
    """
    with db.read() as conn:
        info = item_by_code(conn, item)
        lot = store.lot_for_item(conn, info.id, info.code, code)
        return with_expiry(lot, expiry_settings(conn).on(datetime.now(UTC)))


def get_lot_by_id(db: Database, lot_id: int) -> LotView:
    """The lot with id ``lot_id``; raises NotFound (``lot_not_found``)."""
    with db.read() as conn:
        lot = store.lot_by_id(conn, lot_id)
        return with_expiry(lot, expiry_settings(conn).on(datetime.now(UTC)))


#: the ``expiry`` filter of the lot lists
EXPIRY_FILTERS = tuple(str(s) for s in ExpiryStatus)


def _expiry_condition(expiry: str, day: ExpiryDay) -> ColumnElement[bool]:
    if expiry == ExpiryStatus.EXPIRED:
        return lots.c.expires_on < day.today
    if expiry == ExpiryStatus.EXPIRING_SOON:
        return lots.c.expires_on.between(day.today, day.soon_until)
    if expiry == ExpiryStatus.OK:
        return lots.c.expires_on > day.soon_until
    if expiry == ExpiryStatus.NO_EXPIRY:
        return lots.c.expires_on.is_(None)
    raise InvalidInput(
        f"expiry must be one of {', '.join(EXPIRY_FILTERS)}",
        code="invalid_expiry_filter",
        expiry=str(expiry)[:40],
        allowed=list(EXPIRY_FILTERS),
    )


def list_lots(
    db: Database,
    item: str | None = None,
    status: str | None = None,
    expiring_before: date | None = None,
    q: str | None = None,
    is_serial: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    expiry: str | None = None,
    sort: str | None = None,
) -> Page[LotView]:
    """Lots in the order ``sort`` names (``LOT_SORTING``; by default by item code and lot
    code, by expiry date first when ``expiry`` is given), each with its expiry status on the
    company's day.

    ``expiring_before`` keeps lots whose expiry date is before that date; ``expiry`` keeps the
    ``expired``, ``expiring_soon``, ``ok`` or ``no_expiry`` ones; ``q`` searches the lot code,
    the supplier lot and the item code. Raises NotFound for an unknown item, InvalidInput
    (``invalid_lot_status``, ``invalid_expiry_filter``, ``invalid_sort``) for an unknown
    status, expiry or sort.
    """
    order = LOT_SORTING.parse(sort or ("expires_on" if expiry else None))
    stmt = store.lot_select().order_by(*LOT_SORTING.order_by(order))
    found = text_filter(q, lots.c.code, lots.c.supplier_lot, items.c.code)
    if found is not None:
        stmt = stmt.where(found)
    if status is not None:
        stmt = stmt.where(lots.c.status == str(store.check_status(status)))
    if expiring_before is not None:
        stmt = stmt.where(lots.c.expires_on < expiring_before)
    if is_serial is not None:
        stmt = stmt.where(lots.c.is_serial.is_(is_serial))
    with db.read() as conn:
        day = expiry_settings(conn).on(datetime.now(UTC))
        if expiry:
            stmt = stmt.where(_expiry_condition(expiry, day))
        if item is not None:
            stmt = stmt.where(lots.c.item_id == item_by_code(conn, item).id)
        rows, total = paginate(conn, stmt, limit, offset)
    return Page([with_expiry(store.lot_from_row(r), day) for r in rows], total, limit, offset)


def list_serials(
    db: Database,
    item: str | None = None,
    status: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    sort: str | None = None,
) -> Page[LotView]:
    """Serial numbers (lots with ``is_serial``), filtered and sorted like ``list_lots``."""
    return list_lots(
        db, item=item, status=status, q=q, is_serial=True, limit=limit, offset=offset, sort=sort
    )


@dataclass(frozen=True)
class LotEvent:
    """One change of a lot's status: who, when, from, to, why, and the document that made it
    (a receipt quarantining it, an inspection accepting or rejecting it; None: by hand)."""

    at: datetime
    user: str
    from_status: str
    to_status: str
    reason: str | None
    document: str | None
    doc_type: str | None


def lot_history(conn: Connection, lot_id: int) -> list[LotEvent]:
    """The lot's status changes, oldest first."""
    stmt = (
        select(
            lot_events.c.at,
            users.c.username,
            lot_events.c.from_status,
            lot_events.c.to_status,
            lot_events.c.reason,
            documents.c.number,
            documents.c.doc_type,
        )
        .join_from(lot_events, users, users.c.id == lot_events.c.user_id)
        .outerjoin(documents, documents.c.id == lot_events.c.document_id)
        .where(lot_events.c.lot_id == lot_id)
        .order_by(lot_events.c.id)
    )
    return [LotEvent(*row) for row in conn.execute(stmt)]
