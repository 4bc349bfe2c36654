"""The one error hierarchy of cangku.

Every error carries a stable machine ``code``, a human ``message`` (English; faces may
translate by code) and structured ``data``. Faces map the classes to HTTP statuses / exit codes
in exactly one place each::

    CangkuError
    ├── NotFound                 404
    ├── InvalidInput             422
    ├── RuleViolation            409 / 422
    │   ├── InsufficientStock
    │   ├── InvalidTransition
    │   ├── PeriodClosed
    │   ├── LotRequired
    │   └── ...
    ├── NeedsConfirmation        409 (a warning the user may accept)
    ├── Conflict                 409 (concurrent update, idempotency mismatch, duplicates)
    ├── PermissionDenied         403
    ├── NotAuthenticated         401 (no, expired or revoked credentials)
    └── TooManyAttempts          429 (sign-in throttling)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CangkuError",
    "Conflict",
    "IdempotencyMismatch",
    "InsufficientStock",
    "InvalidInput",
    "InvalidTransition",
    "LotRequired",
    "NeedsConfirmation",
    "NotAuthenticated",
    "NotFound",
    "PeriodClosed",
    "PermissionDenied",
    "RuleViolation",
    "TooManyAttempts",
]


class CangkuError(Exception):
    """Base of every error a user or integrator can cause."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.data: dict[str, Any] = data

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": self.data}


class NotFound(CangkuError):
    code = "not_found"
    status = 404

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!s} does not exist", code=f"{kind}_not_found", key=str(key))
        self.kind = kind


class InvalidInput(CangkuError):
    code = "invalid_input"
    status = 422


class RuleViolation(CangkuError):
    code = "rule_violation"
    status = 409


class InsufficientStock(RuleViolation):
    code = "insufficient_stock"


class InvalidTransition(RuleViolation):
    code = "invalid_transition"


class PeriodClosed(RuleViolation):
    code = "period_closed"


class LotRequired(RuleViolation):
    code = "lot_required"
    status = 422


class NeedsConfirmation(CangkuError):
    code = "needs_confirmation"
    status = 409


class Conflict(CangkuError):
    code = "conflict"
    status = 409


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"


class PermissionDenied(CangkuError):
    code = "permission_denied"
    status = 403
    #: the warehouse (its id) an action was refused in, until a service names it
    warehouse_id: int | None = None

    @classmethod
    def to_do(
        cls, permission: str, *, warehouse: str | None = None, warehouse_id: int | None = None
    ) -> PermissionDenied:
        """The refusal of an action, naming its permission and, for a scoped action refused in
        one warehouse, that warehouse (``data.permission``, ``data.warehouse``): the message
        says both. ``warehouse_id`` alone: a service names the warehouse
        (``services.common.named_denial``)."""
        where = f" in warehouse {warehouse}" if warehouse else ""
        named = {"warehouse": warehouse} if warehouse else {}
        denied = cls(
            f"you are not allowed to do {permission}{where}", permission=permission, **named
        )
        denied.warehouse_id = warehouse_id
        return denied


class NotAuthenticated(CangkuError):
    """No credentials, or credentials that are wrong, expired or revoked (never says which)."""

    code = "not_authenticated"
    status = 401


class TooManyAttempts(CangkuError):
    code = "too_many_attempts"
    status = 429
