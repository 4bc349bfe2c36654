"""Company settings (currency, time zone, unit-cost places, expiring-soon days, the purchase
and adjustment approval thresholds) and the time zone each user sees times in (ADR 0014).

Only administrators change the company settings (``company.manage``); every signed-in user may
read them (the pages and clients need the currency and zone) and choose their own time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.numbers import get_currency_precision, list_currencies
from sqlalchemy import Connection

from cangku.db import auth as user_store
from cangku.db import company as store
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.catalog import UNSET, given_changes
from cangku.domain.company import (
    Company,
    CompanyChanges,
    check_approval_threshold,
    check_expiring_soon_days,
    check_name,
    check_time_zone,
    check_unit_cost_places,
)
from cangku.domain.errors import InvalidInput
from cangku.domain.permissions import Actor, action
from cangku.queries.company import Display, company_settings, display_settings
from cangku.services.common import Context, Subject, audit, load_actor, run_write, utcnow
from cangku.services.users import USER_MANAGE

__all__ = [
    "COMPANY_MANAGE",
    "UNSET",
    "Company",
    "CompanyChanges",
    "check_currency",
    "get_company",
    "get_display",
    "set_own_time_zone",
    "set_user_time_zone",
    "update_company",
]

#: change the company settings (administrators only)
COMPANY_MANAGE = action("company.manage", roles=())


def check_currency(code: object) -> str:
    """An ISO 4217 currency code Babel knows (``CNY``, ``USD``), in capitals; InvalidInput
    ``invalid_currency`` otherwise."""
    if isinstance(code, str) and len(code) == 3 and code.isascii() and code.isupper():
        if code in list_currencies():
            return code
    raise InvalidInput(
        f"{str(code)[:16]!r} is not an ISO 4217 currency code (such as CNY or USD)",
        code="invalid_currency",
        currency=str(code)[:16],
    )


_CHECKS = {
    "name": check_name,
    "currency": check_currency,
    "time_zone": check_time_zone,
    "unit_cost_places": check_unit_cost_places,
    "expiring_soon_days": check_expiring_soon_days,
}


#: the purchase approval threshold is checked against the currency (its decimals)
THRESHOLD = "po_approval_threshold"
#: so is the adjustments' one
ADJUSTMENT_THRESHOLD = "adjustment_approval_threshold"
THRESHOLDS = (THRESHOLD, ADJUSTMENT_THRESHOLD)


def _fields(conn: Connection) -> dict[str, Any]:
    settings = store.read_company(conn, lock=True)
    values = {name: getattr(settings, name) for name in _CHECKS}
    for name in THRESHOLDS:
        threshold = getattr(settings, name)
        values[name] = None if threshold is None else str(threshold)
    return values


def get_company(db: Database) -> Company:
    """The company settings."""
    with db.read() as conn:
        return company_settings(conn)


def get_display(db: Database, username: str | None) -> Display:
    """The company settings and the time zone ``username`` sees times in."""
    with db.read() as conn:
        return display_settings(conn, username)


def update_company(db: Database, ctx: Context, changes: CompanyChanges) -> Company:
    """Change company settings; bump their version.

    Raises PermissionDenied (without ``company.manage``), InvalidInput (``invalid_currency``,
    ``invalid_time_zone``, ``invalid_unit_cost_places``, ``invalid_expiring_soon_days``,
    ``invalid_name``; for ``po_approval_threshold`` and ``adjustment_approval_threshold``:
    ``invalid_number``, ``negative_value``,
    ``too_many_decimals`` beyond the currency's decimals), Conflict ``version_conflict``
    (``changes.version`` stale).
    Writes: the ``company`` row and an audit entry ``company.manage`` with the changed fields.
    """
    given = given_changes(changes)
    values: dict[str, Any] = {
        k: _CHECKS[k](v) for k, v in given.items() if k not in ("version", *THRESHOLDS)
    }
    payload = {**values, "version": changes.version}
    for name in THRESHOLDS:
        if name in given:
            raw = given[name]
            payload[name] = None if raw is None else str(raw)

    def work(uow: UnitOfWork, _actor: Actor, now: datetime) -> dict[str, int]:
        for name in THRESHOLDS:
            if name in given:
                currency = values.get("currency") or store.read_company(uow.conn).currency
                places = min(get_currency_precision(currency), 6)
                values[name] = check_approval_threshold(given[name], places, currency, name)
        store.update_company(uow.conn, changes.version, values, now)
        return {"version": store.read_company(uow.conn).version}

    run_write(
        db, ctx, COMPANY_MANAGE, payload, work, subject=Subject("company", "company", _fields)
    )
    return get_company(db)


def _zone_or_none(zone: str | None) -> str | None:
    return None if zone is None or zone == "" else check_time_zone(zone)


def set_own_time_zone(db: Database, ctx: Context, zone: str | None) -> Display:
    """The signed-in user's own time zone (None or empty: follow the company's).

    Raises InvalidInput ``invalid_time_zone``. Writes: the user row and an audit entry
    ``user.time_zone_changed`` (before and after).
    """
    chosen = _zone_or_none(zone)
    with db.write() as uow:
        now = utcnow()
        actor = load_actor(uow.conn, ctx)
        before = store.read_time_zones(uow.conn, actor.username)[1]
        store.set_user_time_zone(uow.conn, actor.user_id, chosen, now)
        audit(uow.conn, ctx, actor, "user.time_zone_changed", now, target_type="user",
              target=actor.username,
              details={"changes": {"time_zone": {"before": before, "after": chosen}}})  # fmt: skip
        uow.commit()
    return get_display(db, ctx.username)


def set_user_time_zone(db: Database, ctx: Context, username: str, zone: str | None) -> Display:
    """An administrator sets another user's time zone (None or empty: the company's).

    Raises PermissionDenied (without ``user.manage``), NotFound ``user_not_found``,
    InvalidInput ``invalid_time_zone``. Writes: the user row and an audit entry
    ``user.manage`` with the change.
    """
    chosen = _zone_or_none(zone)

    def own_zone(conn: Connection) -> dict[str, Any] | None:
        if user_store.user_by_username(conn, username) is None:
            return None
        return {"time_zone": store.read_time_zones(conn, username)[1]}

    def work(uow: UnitOfWork, _actor: Actor, now: datetime) -> bool:
        user = user_store.get_user(uow.conn, username)
        store.set_user_time_zone(uow.conn, user.id, chosen, now)
        return True

    payload = {"username": username, "time_zone": chosen}
    run_write(db, ctx, USER_MANAGE, payload, work, subject=Subject("user", username, own_zone))
    return get_display(db, username)
