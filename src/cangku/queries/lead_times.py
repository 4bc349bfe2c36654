"""Lead times from actual receipts (issue 16 point 3, ADR 0032): per item and warehouse, the
days from a purchase order's order date to each receipt posted against it.

- **Ordered**: the first time the order reached ``confirmed`` (its ``confirm`` step, or its
  ``approve`` when it needed approval): from then the supplier has it.
- **Received**: each receipt made from the order (``origin_id``) that was received (its
  ``receive`` event), once per item on it.
- **Days**: the company's local day received less the local day ordered (whole days).

For each item and warehouse: the samples there; none there: the item's samples in every
warehouse; none at all: the preferred supplier's ``lead_time_days``, else the item's own
``lead_time_days``, else ``DEFAULT_LEAD_TIME_DAYS`` (a deviation of 0 for all three). Each answer
says which (``source``: ``receipts``, ``supplier``, ``item``, ``default``; ``scope``:
``warehouse`` or ``item`` for receipts). Mean and sample standard deviation (n - 1; 0 with one
sample), to 6 places.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from statistics import mean, stdev
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, func, select

from cangku.db.company import read_company
from cangku.db.tables import document_events, document_lines, documents, items, supplier_items

__all__ = ["DEFAULT_LEAD_TIME_DAYS", "LeadTime", "Sample", "lead_times"]

#: the lead time of an item with no receipts and no lead time given anywhere
DEFAULT_LEAD_TIME_DAYS = 14
#: the samples a lead time keeps to show (the latest)
SHOWN_SAMPLES = 20
_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Sample:
    """One receipt of an item against an order: their numbers and the days between."""

    order: str
    receipt: str
    days: int


@dataclass(frozen=True)
class LeadTime:
    """An item's lead time in a warehouse, in days, and where it came from."""

    days: Decimal
    sd: Decimal
    source: str
    scope: str | None
    count: int
    samples: tuple[Sample, ...]


def _samples(conn: Connection, item_ids: list[int] | None) -> list[Any]:
    """Every (item, warehouse, order, receipt, ordered at, received at), oldest receipt first."""
    ordered = (
        select(document_events.c.document_id, func.min(document_events.c.at).label("at"))
        .join(documents, documents.c.id == document_events.c.document_id)
        .where(documents.c.doc_type == "purchase_order", document_events.c.to_state == "confirmed")
        .group_by(document_events.c.document_id)
        .subquery("ordered")
    )
    receipt, order = documents.alias("receipt"), documents.alias("po")
    received = document_events.alias("received")
    lines = (
        select(document_lines.c.document_id, document_lines.c.item_id).distinct().subquery("lines")
    )
    stmt = (
        select(
            lines.c.item_id,
            receipt.c.warehouse_id,
            order.c.number.label("order"),
            receipt.c.number.label("receipt"),
            ordered.c.at.label("ordered_at"),
            func.min(received.c.at).label("received_at"),
        )
        .select_from(receipt)
        .join(order, order.c.id == receipt.c.origin_id)
        .join(ordered, ordered.c.document_id == order.c.id)
        .join(
            received,
            and_(received.c.document_id == receipt.c.id, received.c.step == "receive"),
        )
        .join(lines, lines.c.document_id == receipt.c.id)
        .where(receipt.c.doc_type == "receipt", order.c.doc_type == "purchase_order")
        .group_by(
            lines.c.item_id,
            receipt.c.warehouse_id,
            order.c.number,
            receipt.c.number,
            ordered.c.at,
            receipt.c.id,
        )  # fmt: skip
        .order_by(lines.c.item_id, receipt.c.warehouse_id, func.min(received.c.at), receipt.c.id)
    )
    if item_ids is not None:
        stmt = stmt.where(lines.c.item_id.in_(item_ids))
    return list(conn.execute(stmt))


def _given(
    conn: Connection, item_ids: list[int] | None
) -> dict[int, tuple[int | None, int | None]]:
    """Per item: (the preferred supplier's lead time, the item's own)."""
    stmt = select(items.c.id, supplier_items.c.lead_time_days, items.c.lead_time_days).outerjoin(
        supplier_items,
        and_(supplier_items.c.item_id == items.c.id, supplier_items.c.preferred.is_(True)),
    )
    if item_ids is not None:
        stmt = stmt.where(items.c.id.in_(item_ids))
    return {int(r[0]): (r[1], r[2]) for r in conn.execute(stmt)}


def _figure(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(_PLACES)


def _from_samples(found: list[Sample], scope: str) -> LeadTime:
    days = [s.days for s in found]
    sd = _figure(stdev(days)) if len(days) > 1 else Decimal(0).quantize(_PLACES)
    return LeadTime(
        _figure(mean(days)), sd, "receipts", scope, len(days), tuple(found[-SHOWN_SAMPLES:])
    )


def lead_times(
    conn: Connection, keys: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], LeadTime]:
    """The lead time of each (item id, warehouse id) of ``keys`` (see the module docstring), from
    one read of the receipts and one of the given lead times."""
    wanted = sorted(set(keys))
    item_ids = sorted({item for item, _ in wanted})
    only = item_ids if len(item_ids) <= 1000 else None  # a long IN list costs more than it saves
    zone = ZoneInfo(read_company(conn).time_zone)
    here: dict[tuple[int, int], list[Sample]] = {}
    anywhere: dict[int, list[Sample]] = {}
    for r in _samples(conn, only):
        days = (r.received_at.astimezone(zone).date() - r.ordered_at.astimezone(zone).date()).days
        sample = Sample(r.order, r.receipt, days)
        here.setdefault((int(r.item_id), int(r.warehouse_id)), []).append(sample)
        anywhere.setdefault(int(r.item_id), []).append(sample)
    given = _given(conn, only)
    zero = Decimal(0).quantize(_PLACES)
    out: dict[tuple[int, int], LeadTime] = {}
    for key in wanted:
        item = key[0]
        if key in here:
            out[key] = _from_samples(here[key], "warehouse")
        elif item in anywhere:
            out[key] = _from_samples(anywhere[item], "item")
        else:
            supplier, own = given.get(item, (None, None))
            days, source = (
                (supplier, "supplier") if supplier is not None
                else (own, "item") if own is not None
                else (DEFAULT_LEAD_TIME_DAYS, "default")
            )  # fmt: skip
            out[key] = LeadTime(Decimal(days).quantize(_PLACES), zero, source, None, 0, ())
    return out
