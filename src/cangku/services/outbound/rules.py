"""Approval rules for outbound requests: per request kind, warehouse (or every warehouse) and
a value or quantity threshold; a request that reaches one waits for approval (by a holder of
the rule's role, when it names one), one under every threshold approves itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from cangku.db import inbound as loads
from cangku.db import outbound as out_store
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import InvalidInput
from cangku.domain.outbound import REQUEST_KINDS, ApprovalRule
from cangku.domain.permissions import BUILTIN_ROLES, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.quantities import parse_decimal, to_scaled
from cangku.services.common import Context, run_write

__all__ = [
    "APPROVAL_RULE_MANAGE",
    "AddedRule",
    "ApprovalRuleInput",
    "add_approval_rule",
    "approval_rules",
    "remove_approval_rule",
]

#: set when outbound requests wait for approval
APPROVAL_RULE_MANAGE = action("approval_rule.manage", roles={WAREHOUSE_MANAGER})


@dataclass(frozen=True)
class ApprovalRuleInput:
    kind: str
    min_value: Decimal | str | None = None
    min_quantity: Decimal | str | None = None
    #: None: every warehouse
    warehouse: str | None = None
    #: None: anyone who may approve the kind
    approver_role: str | None = None


@dataclass(frozen=True)
class AddedRule:
    id: int
    #: a repeat of an earlier request with the same idempotency key: nothing was written
    replayed: bool = False


def _threshold(value: Decimal | str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    number = parse_decimal(value, name)
    if number < 0:
        raise InvalidInput(f"{name} cannot be negative", code="invalid_threshold", field=name)
    return to_scaled(number)


def add_approval_rule(db: Database, ctx: Context, rule: ApprovalRuleInput) -> AddedRule:
    """Add a rule. Raises InvalidInput (``unknown_request_kind``, ``threshold_required``,
    ``invalid_threshold``, ``unknown_role``), NotFound (warehouse), PermissionDenied
    (``approval_rule.manage``). Answers the rule's id, and whether this was a replay (the
    same idempotency key again: the rule added the first time, nothing written)."""
    if rule.kind not in REQUEST_KINDS:
        raise InvalidInput(
            f"unknown request kind {rule.kind!r}",
            code="unknown_request_kind",
            allowed=sorted(REQUEST_KINDS),
        )
    low_value = _threshold(rule.min_value, "min_value")
    low_quantity = _threshold(rule.min_quantity, "min_quantity")
    if low_value is None and low_quantity is None:
        raise InvalidInput(
            "a rule needs a value or a quantity threshold", code="threshold_required"
        )
    if rule.approver_role is not None and rule.approver_role not in BUILTIN_ROLES:
        raise InvalidInput(
            f"unknown role {rule.approver_role!r}",
            code="unknown_role",
            allowed=list(BUILTIN_ROLES),
        )

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        warehouse_id = (
            loads.warehouse_inbound(uow.conn, rule.warehouse).id if rule.warehouse else None
        )
        rule_id = out_store.insert_rule(
            uow.conn,
            {
                "doc_type": rule.kind,
                "warehouse_id": warehouse_id,
                "min_value": low_value,
                "min_quantity": low_quantity,
                "approver_role": rule.approver_role,
            },
        )
        return {"id": rule_id}

    result, replayed = run_write(
        db, ctx, APPROVAL_RULE_MANAGE, vars(rule), work, target_type="approval_rule"
    )
    return AddedRule(int(result["id"]), replayed)


def approval_rules(db: Database, kind: str | None = None) -> list[ApprovalRule]:
    with db.read() as conn:
        return out_store.approval_rules_of(conn, kind)


def remove_approval_rule(db: Database, ctx: Context, rule_id: int) -> None:
    """Raises NotFound ``approval_rule_not_found``, PermissionDenied."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        out_store.delete_rule(uow.conn, rule_id)
        return {"id": rule_id}

    run_write(
        db, ctx, APPROVAL_RULE_MANAGE, {"id": rule_id}, work,
        target_type="approval_rule", target=str(rule_id),
    )  # fmt: skip
