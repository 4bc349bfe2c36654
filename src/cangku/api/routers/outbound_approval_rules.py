"""Outbound's approval rules: when a sales order or requisition waits for approval (list, add,
remove). Part of the outbound API (its tag); the module's name sorts right after ``outbound``
so the routes keep their place in the OpenAPI document."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import Path, Query, Response, status

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.openapi import one_of, problems
from cangku.api.routers.outbound import CREATED, KEY_REUSED, REPLAY
from cangku.api.routers.stock import mark_replay
from cangku.api.schemas_outbound import KIND_VALUES, ApprovalRuleIn, ApprovalRuleOut
from cangku.api.schemas_stock import MAX_ID
from cangku.db.uow import Database
from cangku.domain.outbound import ApprovalRule
from cangku.domain.permissions import Actor, Warehouses
from cangku.domain.quantities import from_scaled
from cangku.queries.sites import warehouse_codes
from cangku.routing import SegmentRouter
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.outbound import requests, rules

router = SegmentRouter(tags=["outbound"])

RuleId = Annotated[int, Path(ge=1, le=MAX_ID, description="the rule's id")]


def _rules_out(db: Database, found: list[ApprovalRule], seen: Warehouses) -> list[ApprovalRuleOut]:
    codes = warehouse_codes(db) if found else {}

    def amount(value: int | None) -> Decimal | None:
        return from_scaled(value) if value is not None else None

    return [
        ApprovalRuleOut(
            id=rule.id,
            kind=rule.doc_type,
            warehouse=codes[rule.warehouse_id] if rule.warehouse_id is not None else None,
            min_value=amount(rule.min_value),
            min_quantity=amount(rule.min_quantity),
            approver_role=rule.approver_role,
        )
        for rule in found
        if seen is None or rule.warehouse_id is None or rule.warehouse_id in seen
    ]


@router.get(
    "/approval-rules",
    summary="When outbound requests wait for approval: the rules, oldest first",
    description="The company-wide rules and those of the warehouses the caller sees.",
)
def list_approval_rules(
    actor: Annotated[Actor, permit(DOCUMENTS_VIEW)],
    db: DbDep,
    kind: Annotated[
        str | None, Query(description="the request kind", json_schema_extra=one_of(KIND_VALUES))
    ] = None,
) -> list[ApprovalRuleOut]:
    if kind is not None:
        requests.request_machine(kind)  # unknown_request_kind
    seen = actor.warehouses(DOCUMENTS_VIEW)
    return _rules_out(db, rules.approval_rules(db, kind), seen)


@router.post(
    "/approval-rules",
    status_code=CREATED,
    dependencies=[permit(rules.APPROVAL_RULE_MANAGE)],
    responses={
        **REPLAY,
        **problems(
            {
                409: KEY_REUSED,
                422: "`threshold_required` (neither a value nor a quantity), `invalid_threshold`, "
                "`unknown_request_kind`, `unknown_role`; nothing written",
            }
        ),
    },
    summary="Add an approval rule",
)
def add_approval_rule(
    body: ApprovalRuleIn, db: DbDep, ctx: ContextDep, response: Response
) -> ApprovalRuleOut:
    added = rules.add_approval_rule(db, ctx, rules.ApprovalRuleInput(**body.model_dump()))
    mark_replay(response, added.replayed)
    (rule,) = _rules_out(db, [r for r in rules.approval_rules(db) if r.id == added.id], None)
    return rule


@router.delete(
    "/approval-rules/{rule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[permit(rules.APPROVAL_RULE_MANAGE)],
    summary="Remove an approval rule",
)
def remove_approval_rule(rule_id: RuleId, db: DbDep, ctx: ContextDep) -> Response:
    rules.remove_approval_rule(db, ctx, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
