"""The company settings page (administrators): currency, time zone, unit-cost places and the
days before expiry a lot counts as expiring soon (ADR 0014)."""

from __future__ import annotations

from typing import Annotated, Any

from babel.numbers import get_currency_name, list_currencies
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.company import time_zones
from cangku.domain.errors import CangkuError, InvalidInput
from cangku.routing import SegmentRouter
from cangku.services.company import (
    COMPANY_MANAGE,
    UNSET,
    CompanyChanges,
    get_company,
    update_company,
)
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import Fields, FormDep
from cangku.web.i18n import N_, error_message
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    form_status,
    gettext_for,
    language,
    redirect,
    render,
)

router = SegmentRouter(route_class=PageRoute)

PATH = "/settings/company"
FIELDS = (
    "name",
    "currency",
    "time_zone",
    "unit_cost_places",
    "expiring_soon_days",
    "po_approval_threshold",
    "adjustment_approval_threshold",
    "version",
)


def currencies(lang: str) -> list[tuple[str, str]]:
    """(code, name in ``lang``) of every ISO 4217 currency Babel knows, by code."""
    return [(code, get_currency_name(code, locale=lang)) for code in sorted(list_currencies())]


def _page(request: Request, user: WebUser, status: int = 200, **form: Any) -> Response:
    settings = get_company(db_of(request))
    form.setdefault("error", None)
    form.setdefault(
        "values",
        {
            name: "" if getattr(settings, name) is None else str(getattr(settings, name))
            for name in FIELDS
            if name != "version"
        },
    )
    return render(
        request,
        "company.html",
        status=status,
        user=user,
        settings=settings,
        currencies=currencies(language(request)),
        zones=sorted(time_zones()),
        **form,
    )


@router.get(PATH, response_class=HTMLResponse)
def company_page(request: Request, user: Annotated[WebUser, page(COMPANY_MANAGE)]) -> Response:
    return _page(request, user)


def _whole(fields: Fields, name: str) -> int:
    text = fields.text(name)
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(f"{name} is a whole number", code=f"invalid_{name}", field=name)
    return int(text)


@router.post(PATH, response_class=HTMLResponse)
def change_company(
    request: Request, user: Annotated[WebUser, page(COMPANY_MANAGE)], fields: FormDep
) -> Response:
    """Save the settings; the form's version refuses a change made meanwhile by someone else."""
    values = {name: fields.values.get(name, "") for name in FIELDS}
    try:
        changes = CompanyChanges(
            name=fields.values.get("name", ""),
            currency=fields.text("currency").upper(),
            time_zone=fields.text("time_zone"),
            unit_cost_places=_whole(fields, "unit_cost_places"),
            expiring_soon_days=_whole(fields, "expiring_soon_days"),
            # empty: no approval; a form without the field leaves it as it is
            po_approval_threshold=fields.text("po_approval_threshold") or None
            if "po_approval_threshold" in fields.values
            else UNSET,
            adjustment_approval_threshold=fields.text("adjustment_approval_threshold") or None
            if "adjustment_approval_threshold" in fields.values
            else UNSET,
            version=fields.integer("version"),
        )
        update_company(db_of(request), acting(request), changes)
    except CangkuError as error:
        message = error_message(error, language(request))
        return _page(request, user, form_status(error), error=message, values=values)
    text = gettext_for(request)(N_("The company settings have been saved."))
    return redirect(PATH, Flash("success", text))
