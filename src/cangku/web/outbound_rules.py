"""The approval rules of outbound requests (issue 13), for holders of ``approval_rule.manage``:
the rules per request kind, warehouse (or every warehouse) and value or quantity threshold,
with the role that approves; add one, remove one. A request that reaches no rule approves
itself when submitted."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError, NotFound
from cangku.domain.permissions import BUILTIN_ROLES
from cangku.domain.quantities import from_scaled
from cangku.queries.sites import list_warehouses, warehouse_codes
from cangku.routing import SegmentRouter
from cangku.services.outbound.rules import (
    APPROVAL_RULE_MANAGE,
    ApprovalRuleInput,
    add_approval_rule,
    approval_rules,
    remove_approval_rule,
)
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import FormDep, new_key
from cangku.web.i18n import N_
from cangku.web.outbound import values_of
from cangku.web.outbound_codes import REQUEST_TYPES, refusal
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

PATH = "/settings/approval-rules"


@dataclass(frozen=True)
class RuleRow:
    """A rule as the page shows it: the warehouse by code, thresholds as numbers."""

    id: int
    kind: str
    warehouse: str | None
    min_value: Decimal | None
    min_quantity: Decimal | None
    approver_role: str | None


def _page(
    request: Request, values: dict[str, str], error: str | None = None, status: int = 200
) -> Response:
    db = db_of(request)
    codes = warehouse_codes(db)
    rules = [
        RuleRow(
            rule.id,
            rule.doc_type,
            codes.get(rule.warehouse_id) if rule.warehouse_id else None,
            from_scaled(rule.min_value) if rule.min_value is not None else None,
            from_scaled(rule.min_quantity) if rule.min_quantity is not None else None,
            rule.approver_role,
        )
        for rule in approval_rules(db)
    ]
    rules.sort(key=lambda r: (r.kind, r.warehouse or "", r.id))
    return render(
        request,
        "approval_rules.html",
        status=status,
        rules=rules,
        kinds=REQUEST_TYPES,
        roles=[r for r in BUILTIN_ROLES if r not in ("viewer", "auditor")],
        warehouses=list_warehouses(db, active=True, limit=500).items,
        values=values,
        error=error,
    )


@router.get(PATH, response_class=HTMLResponse)
def approval_rules_page(
    request: Request, _user: Annotated[WebUser, page(APPROVAL_RULE_MANAGE)]
) -> Response:
    """The rules, and a form to add one."""
    return _page(request, {"idempotency_key": new_key()})


@router.post(PATH, response_class=HTMLResponse)
def add_approval_rule_page(
    request: Request, _user: Annotated[WebUser, page(APPROVAL_RULE_MANAGE)], fields: FormDep
) -> Response:
    """Add the rule typed; a refusal keeps the form as typed."""
    values = values_of(fields)
    rule = ApprovalRuleInput(
        kind=fields.text("kind"),
        min_value=fields.optional("min_value"),
        min_quantity=fields.optional("min_quantity"),
        warehouse=fields.optional("warehouse"),
        approver_role=fields.optional("approver_role"),
    )
    try:
        add_approval_rule(db_of(request), acting(request, values["idempotency_key"]), rule)
    except CangkuError as error:
        return _page(request, values, refusal(error, language(request)), form_status(error))
    text = gettext_for(request)(N_("The approval rule was added."))
    return redirect(PATH, Flash("success", text))


@router.post(f"{PATH}/remove", response_class=HTMLResponse)
def remove_approval_rule_page(
    request: Request, _user: Annotated[WebUser, page(APPROVAL_RULE_MANAGE)], fields: FormDep
) -> Response:
    """Remove the rule ``rule`` (its id) names."""
    given = fields.text("rule")
    try:
        if not given.isdigit():
            raise NotFound("approval_rule", given[:20])
        remove_approval_rule(db_of(request), acting(request), int(given))
    except CangkuError as error:
        values = {"idempotency_key": new_key()}
        return _page(request, values, refusal(error, language(request)), error.status)
    text = gettext_for(request)(N_("The approval rule was removed."))
    return redirect(PATH, Flash("success", text))
