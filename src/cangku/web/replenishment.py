"""The replenishment suggestions and budgets pages (ADR 0033): ``/replenishment`` (what to order
or transfer in the warehouses the user sees, grouped by supplier or source warehouse, what was
cut and why; tick suggestions and create draft orders) and ``/replenishment/budgets`` (the
budgets with what is committed and left; add and delete). Writes POST with CSRF and redirect
with a flash; the documents made are linked on the page it returns to."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError, InvalidInput, NotFound
from cangku.queries.budgets import budget_rows
from cangku.queries.cycle_counts import company_today
from cangku.queries.suggestions import Key, SuggestionFilter, SuggestionLine, suggestions
from cangku.routing import SegmentRouter
from cangku.services.replenishment.actions import REPLENISHMENT_VIEW
from cangku.services.replenishment.budgets import (
    BUDGET_MANAGE,
    BudgetInput,
    delete_budget,
    save_budget,
)
from cangku.services.replenishment.suggestions import (
    REPLENISHMENT_ORDER,
    OrderSuggestions,
    order_suggestions,
)
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import FormDep, new_key
from cangku.web.i18n import N_, error_message
from cangku.web.render import Flash, PageRoute, db_of, gettext_for, language, redirect, render

__all__ = ["router"]

router = SegmentRouter(route_class=PageRoute)

MADE = N_("Draft documents made: %(numbers)s.")
REPLAYED = N_("These suggestions were already ordered: %(numbers)s.")
BUDGET_SAVED = N_("Budget saved.")
BUDGET_DELETED = N_("Budget %(id)s deleted.")
REASONS = {
    "budget": N_("Budget"),
    "capacity": N_("Capacity"),
    "no_supplier": N_("No supplier"),
    "below_minimum": N_("Below the minimum order"),
}
RULES = {
    "to_max": N_("to max"),
    "pack": N_("packs"),
    "moq": N_("minimum order"),
    "max": N_("max"),
    "transfer": N_("transfer"),
}
#: a document number as the numbering makes it (``PO-WH1-2026-00001``)
_NUMBER = re.compile(r"^[A-Z]{2,4}-[^,/?#]{1,40}-\d{4}-\d{5,}$")


def _refusal(request: Request, error: CangkuError) -> HTMLResponse:
    message = error_message(error, language(request))
    return render(request, "error.html", status=error.status, message=message, code=error.code)


def _groups(lines: list[SuggestionLine]) -> list[tuple[str, str | None, list[SuggestionLine]]]:
    """The kept lines by where they come from: (``supplier``/``transfer``, its code, lines)."""
    found: dict[tuple[str, str | None], list[SuggestionLine]] = defaultdict(list)
    for line in lines:
        if line.quantity > 0:
            found[(line.source, line.supplier or line.from_warehouse)].append(line)
    return [(kind, code, rows) for (kind, code), rows in sorted(found.items(), key=_group_key)]


def _group_key(entry: tuple[tuple[str, str | None], Any]) -> tuple[str, str]:
    (kind, code), _ = entry
    return (kind, code or "")


def pick_value(line: SuggestionLine) -> str:
    """The checkbox value of a line: its key as JSON."""
    return json.dumps(list(line.key), ensure_ascii=False)


def _filter(request: Request) -> SuggestionFilter:
    params = request.query_params
    return SuggestionFilter(
        *(
            params.get(name, "").strip()[:64] or None
            for name in ("warehouse", "item", "category", "supplier")
        )
    )


def _made(request: Request) -> list[str]:
    raw = request.query_params.get("made", "")
    return [n for n in raw.split(",")[:50] if _NUMBER.match(n)]


@router.get("/replenishment", response_class=HTMLResponse)
def suggestions_page(
    request: Request, user: Annotated[WebUser, page(REPLENISHMENT_VIEW)]
) -> Response:
    """The suggestions, filtered by warehouse, item, category and supplier."""
    shown = _filter(request)
    try:
        with db_of(request).read() as conn:
            found = suggestions(
                conn, company_today(conn), user.warehouses(REPLENISHMENT_VIEW), shown
            )
    except CangkuError as error:
        return _refusal(request, error)
    gettext = gettext_for(request)
    return render(
        request,
        "replenishment.html",
        user=user,
        found=found,
        groups=_groups(found.lines),
        cut=found.cut,
        shown=shown,
        made=_made(request),
        pick_value=pick_value,
        reason_label=lambda code: gettext(REASONS[code]) if code in REASONS else code or "",
        rule_label=lambda code: gettext(RULES[code]) if code in RULES else code,
        may_order=user.may(REPLENISHMENT_ORDER.code),
        idempotency_key=new_key(),
    )


def _picks(values: list[str]) -> list[Key]:
    picked: list[Key] = []
    for value in values:
        try:
            item, warehouse, source = json.loads(value)
        except (ValueError, TypeError):
            raise InvalidInput("a suggestion picked is not one", code="invalid_pick") from None
        if not all(isinstance(v, str) for v in (item, warehouse)) or not (
            source is None or isinstance(source, str)
        ):
            raise InvalidInput("a suggestion picked is not one", code="invalid_pick")
        picked.append((item, warehouse, source))
    return picked


@router.post("/replenishment/orders", response_class=HTMLResponse)
def create_orders(
    request: Request, form: FormDep, user: Annotated[WebUser, page(REPLENISHMENT_ORDER)]
) -> Response:
    """Draft orders and transfers from the ticked suggestions (or all with ``all``)."""
    try:
        every = form.flag("all")
        picked = None if every else _picks(form.all("pick"))
        if picked == []:
            raise InvalidInput("tick the suggestions to order", code="choose_suggestions")
        made = order_suggestions(
            db_of(request),
            acting(request, form.optional("idempotency_key")),
            OrderSuggestions(picked, form.optional("warehouse"), form.raw("note")),
        )
    except CangkuError as error:
        return _refusal(request, error)
    numbers = [doc.number for doc in made.documents]
    text = gettext_for(request)(REPLAYED if made.replayed else MADE) % {
        "numbers": ", ".join(numbers)
    }
    return redirect(f"/replenishment?made={quote(','.join(numbers))}", Flash("success", text))


@router.get("/replenishment/budgets", response_class=HTMLResponse)
def budgets_page(request: Request, user: Annotated[WebUser, page(REPLENISHMENT_VIEW)]) -> Response:
    """The budgets with what is committed and left; the form to add one, or to change the one
    named by ``edit``."""
    with db_of(request).read() as conn:
        found = budget_rows(conn, user.warehouses(REPLENISHMENT_VIEW))
    wanted = request.query_params.get("edit", "")
    editing = next((b for b in found if str(b.id) == wanted), None)
    return render(
        request,
        "replenishment_budgets.html",
        user=user,
        budgets=found,
        editing=editing,
        may_manage=user.may(BUDGET_MANAGE.code),
        idempotency_key=new_key(),
    )


@router.post("/replenishment/budgets", response_class=HTMLResponse)
def add_budget(
    request: Request, form: FormDep, user: Annotated[WebUser, page(BUDGET_MANAGE)]
) -> Response:
    """Add a budget from the form (or replace the one named by ``id``), then the page again;
    the refusal page on refusal."""
    try:
        start, end = form.day("period_start"), form.day("period_end")
        if start is None or end is None:
            raise InvalidInput("a budget has a period: its first and last day", code="invalid_date")
        data = BudgetInput(
            start, end, form.text("amount"), form.optional("warehouse"),
            form.optional("category"), form.raw("note"),
        )  # fmt: skip
        budget_id = _budget_id(form.text("id")) if form.text("id") else None
        ctx = acting(request, form.optional("idempotency_key"))
        save_budget(db_of(request), ctx, data, budget_id)
    except CangkuError as error:
        return _refusal(request, error)
    return redirect("/replenishment/budgets", Flash("success", gettext_for(request)(BUDGET_SAVED)))


def _budget_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) < 2**63:
        raise NotFound("budget", text)
    return int(text)


@router.post("/replenishment/budgets/{budget_id}/delete", response_class=HTMLResponse)
def remove_budget(
    request: Request, budget_id: str, user: Annotated[WebUser, page(BUDGET_MANAGE)]
) -> Response:
    """Delete the budget, then the page again; the refusal page on refusal."""
    try:
        delete_budget(db_of(request), acting(request), _budget_id(budget_id))
    except CangkuError as error:
        return _refusal(request, error)
    text = gettext_for(request)(BUDGET_DELETED) % {"id": budget_id}
    return redirect("/replenishment/budgets", Flash("success", text))
