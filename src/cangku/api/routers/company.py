"""Company settings (``/api/v1/company``) and the time zone a user sees times in
(``/api/v1/me/time-zone``, ``/api/v1/users/{username}/time-zone``), ADR 0014.

The API itself is not shaped by these settings: amounts stay exact decimal strings and times
ISO 8601 in UTC; clients format them with the ``currency`` and ``time_zone`` given here.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from babel.numbers import list_currencies
from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from cangku.api.deps import ContextDep, DbDep, permit, signed_in
from cangku.api.numbers import Amount
from cangku.api.openapi import not_null
from cangku.domain.company import MAX_EXPIRING_SOON_DAYS, MAX_UNIT_COST_PLACES
from cangku.domain.permissions import Actor
from cangku.queries.company import Display
from cangku.routing import SegmentRouter
from cangku.services import company as service
from cangku.services.users import USER_MANAGE

router = SegmentRouter(tags=["company"])

ZONE = "an IANA time zone name, e.g. Asia/Shanghai or UTC"
THRESHOLD = (
    "purchase orders worth more than this (money in the company currency) need approval by "
    "someone other than the buyer; null: none do"
)
ADJUSTMENT_THRESHOLD = (
    "adjustments worth more than this (money in the company currency; gains and losses "
    "together) need approval by someone other than who raised them; null: none do"
)


class CompanyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    currency: str = Field(description="ISO 4217 code of every amount the API returns")
    time_zone: str = Field(description=f"{ZONE}: how pages show and read times")
    unit_cost_places: int = Field(description="decimals pages show a unit cost with")
    expiring_soon_days: int = Field(description="a lot expiring within this many days is 'soon'")
    po_approval_threshold: Decimal | None = Field(description=THRESHOLD)
    adjustment_approval_threshold: Decimal | None = Field(description=ADJUSTMENT_THRESHOLD)
    version: int
    updated_at: datetime | None


def _currencies(schema: dict[str, Any]) -> None:
    """Never null; one of the ISO 4217 codes Babel knows (``services.company.check_currency``)."""
    not_null(schema)
    schema["enum"] = sorted(list_currencies())


class CompanyUpdate(BaseModel):
    """The settings to change; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    # a field sent is a new value: null is refused (not_null), leave the field out instead
    name: str | None = Field(None, max_length=200, json_schema_extra=not_null)
    currency: str | None = Field(
        None, pattern="^[A-Z]{3}$", description="ISO 4217 code", json_schema_extra=_currencies
    )
    time_zone: str | None = Field(
        None, min_length=1, max_length=64, description=ZONE, json_schema_extra=not_null
    )
    unit_cost_places: int | None = Field(
        None, ge=0, le=MAX_UNIT_COST_PLACES, json_schema_extra=not_null
    )
    expiring_soon_days: int | None = Field(
        None, ge=0, le=MAX_EXPIRING_SOON_DAYS, json_schema_extra=not_null
    )
    po_approval_threshold: Amount | None = Field(None, description=THRESHOLD)
    adjustment_approval_threshold: Amount | None = Field(None, description=ADJUSTMENT_THRESHOLD)
    version: int | None = Field(None, ge=1, description="refuse the change unless this is current")


class TimeZoneOut(BaseModel):
    time_zone: str | None = Field(description="the user's own zone; null: the company's")
    company_time_zone: str
    effective_time_zone: str = Field(description="the zone the user's pages use")


class TimeZoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time_zone: str | None = Field(max_length=64, description=f"{ZONE}; null: the company's")


def _zones(found: Display) -> TimeZoneOut:
    return TimeZoneOut(
        time_zone=found.own_time_zone,
        company_time_zone=found.company.time_zone,
        effective_time_zone=found.time_zone,
    )


@router.get(
    "/company",
    response_model=CompanyOut,
    summary="Company settings: currency, time zone, unit-cost places, expiring-soon days, approval",
    dependencies=[signed_in()],
)
def get_company(db: DbDep) -> CompanyOut:
    """Any signed-in caller may read them (amounts elsewhere are in this ``currency``)."""
    return CompanyOut.model_validate(service.get_company(db))


@router.put(
    "/company",
    response_model=CompanyOut,
    summary="Change company settings (administrators)",
    dependencies=[permit(service.COMPANY_MANAGE)],
)
def update_company(body: CompanyUpdate, db: DbDep, ctx: ContextDep) -> CompanyOut:
    """Fields left out stay as they are. Errors (problem+json): 403 ``permission_denied``
    (needs ``company.manage``); 409 ``version_conflict`` (``version`` is not current; data
    ``expected``, ``actual``); 422 ``invalid_currency`` (not an ISO 4217 code),
    ``invalid_time_zone`` (not an IANA zone), ``invalid_unit_cost_places`` (0-6),
    ``invalid_expiring_soon_days`` (0-3650), ``invalid_name``; for ``po_approval_threshold`` and
    ``adjustment_approval_threshold`` (null: no approval) ``negative_value``,
    ``too_many_decimals`` (more than the currency has), ``invalid_number``; ``invalid_input``
    (the body does not match the schema)."""
    changes = service.CompanyChanges(**{k: getattr(body, k) for k in body.model_fields_set})
    return CompanyOut.model_validate(service.update_company(db, ctx, changes))


@router.get(
    "/me/time-zone",
    response_model=TimeZoneOut,
    tags=["me"],
    summary="The time zone my pages show times in",
)
def my_time_zone(actor: Annotated[Actor, signed_in()], db: DbDep) -> TimeZoneOut:
    return _zones(service.get_display(db, actor.username))


@router.put(
    "/me/time-zone",
    response_model=TimeZoneOut,
    tags=["me"],
    summary="Choose my own time zone (null: the company's), with a web session",
    dependencies=[signed_in(refuse_tokens="session_required")],
)
def set_my_time_zone(body: TimeZoneIn, db: DbDep, ctx: ContextDep) -> TimeZoneOut:
    """Like the password, one's own account settings change with a web session (cookie and
    ``X-CSRF-Token``), not with an API token. Errors (problem+json): 403 ``session_required``
    (an API token); 422 ``invalid_time_zone`` (not an IANA zone name)."""
    return _zones(service.set_own_time_zone(db, ctx, body.time_zone))


@router.put(
    "/users/{username}/time-zone",
    response_model=TimeZoneOut,
    tags=["users"],
    summary="Set a user's time zone (null: the company's)",
    dependencies=[permit(USER_MANAGE)],
)
def set_user_time_zone(
    username: Annotated[str, Path(max_length=64)], body: TimeZoneIn, db: DbDep, ctx: ContextDep
) -> TimeZoneOut:
    """Errors (problem+json): 403 ``permission_denied`` (needs ``user.manage``); 404
    ``user_not_found``; 422 ``invalid_time_zone``."""
    return _zones(service.set_user_time_zone(db, ctx, username, body.time_zone))
