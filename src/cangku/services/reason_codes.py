"""The company's reason codes for adjustments and scrap: the built-in list (``domain.reasons``,
seeded by migration 0010) and the company's own, each active or not.

A code that moves already name is never deleted: a built-in or company code is deactivated
(no new adjustment may give it) and may be activated again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cangku.db import adjustments as store
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.adjustments import REASON_KINDS, check_reason_code_format
from cangku.domain.errors import Conflict, InvalidInput
from cangku.domain.permissions import WAREHOUSE_MANAGER, Actor, action
from cangku.services.common import Context, run_write

__all__ = [
    "REASON_CODE_MANAGE",
    "NewReasonCode",
    "ReasonCode",
    "add_reason_code",
    "list_reason_codes",
    "set_reason_code_active",
]

ReasonCode = store.ReasonCode

#: add a company reason code, deactivate or activate one
REASON_CODE_MANAGE = action("reason_code.manage", roles={WAREHOUSE_MANAGER})

MAX_LABEL = 200


@dataclass(frozen=True)
class NewReasonCode:
    kind: str
    code: str
    label: str
    label_zh: str | None = None


def check_kind(kind: object) -> str:
    """``adjustment`` or ``scrap``; InvalidInput ``invalid_reason_kind`` otherwise."""
    if kind not in REASON_KINDS:
        raise InvalidInput(
            f"a reason code's kind is one of {', '.join(REASON_KINDS)}",
            code="invalid_reason_kind",
            kind=str(kind)[:20],
            allowed=list(REASON_KINDS),
        )
    return str(kind)


def _label(value: str | None, name: str, *, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"a new reason code needs its {name}", code="label_required")
        return None
    if len(text) > MAX_LABEL:
        raise InvalidInput(
            f"a label has at most {MAX_LABEL} characters", code="invalid_label", field=name
        )
    return text


def list_reason_codes(db: Database, kind: str | None = None) -> list[ReasonCode]:
    """The company's reason codes (of ``kind``), active or not, in list order. Raises
    InvalidInput ``invalid_reason_kind``."""
    if kind is not None:
        check_kind(kind)
    with db.read() as conn:
        return store.reason_codes_of(conn, kind)


def add_reason_code(db: Database, ctx: Context, new: NewReasonCode) -> ReasonCode:
    """Add a company reason code (active, at the end of its list).

    Raises InvalidInput (``invalid_reason_kind``, ``invalid_reason_code``, ``label_required``,
    ``invalid_label``), Conflict ``reason_code_exists``, PermissionDenied
    (``reason_code.manage``). Writes the code and an audit entry."""
    kind = check_kind(new.kind)
    code = check_reason_code_format(new.code)
    label = _label(new.label, "label", required=True)
    label_zh = _label(new.label_zh, "label_zh", required=False)
    assert label is not None

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        if code in store.codes_of(uow.conn, [kind])[kind]:
            raise Conflict(
                f"the {kind} reason code {code} exists already",
                code="reason_code_exists",
                kind=kind,
                reason=code,
            )
        store.insert_reason_code(uow.conn, kind, code, label, label_zh)
        return {"kind": kind, "code": code}

    run_write(
        db, ctx, REASON_CODE_MANAGE, vars(new), work,
        target_type="reason_code", target=f"{kind}/{code}",
    )  # fmt: skip
    with db.read() as conn:
        return store.reason_code(conn, kind, code)


def set_reason_code_active(
    db: Database, ctx: Context, kind: str, code: str, active: bool
) -> ReasonCode:
    """Deactivate a reason code (no new adjustment may give it; the moves that name it keep
    it) or activate it again. Raises InvalidInput ``invalid_reason_kind``, NotFound
    ``reason_code_not_found``, PermissionDenied. Writes the code and an audit entry."""
    kind = check_kind(kind)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        if not store.set_active(uow.conn, kind, code, active):
            store.reason_code(uow.conn, kind, code)  # raises NotFound
        return {"kind": kind, "code": code, "active": active}

    run_write(
        db, ctx, REASON_CODE_MANAGE, {"kind": kind, "code": code, "active": active}, work,
        target_type="reason_code", target=f"{kind}/{code}",
    )  # fmt: skip
    with db.read() as conn:
        return store.reason_code(conn, kind, code)
