"""Reason codes for adjustments and scrap (stable codes; faces translate the labels)."""

from __future__ import annotations

from cangku.domain.errors import InvalidInput

ADJUSTMENT_REASONS: dict[str, str] = {
    "count_difference": "difference found by a stock count",
    "found": "goods found",
    "lost": "goods lost or missing",
    "damaged": "damaged",
    "expired": "expired",
    "theft": "theft",
    "data_correction": "correction of a data-entry mistake",
    "sample": "samples given or taken",
    "opening_balance": "opening balance at go-live",
    "other": "other (explain in the note)",
}

SCRAP_REASONS: dict[str, str] = {
    "damaged": "damaged",
    "expired": "expired",
    "defective": "defective / failed inspection",
    "obsolete": "obsolete",
    "other": "other (explain in the note)",
}


def check_reason(code: str | None, allowed: dict[str, str], *, required: bool = True) -> str | None:
    if code is None or code == "":
        if required:
            raise InvalidInput(
                "a reason code is required", code="reason_required", allowed=sorted(allowed)
            )
        return None
    if code not in allowed:
        raise InvalidInput(
            f"unknown reason code {code!r}; the reason codes are {', '.join(sorted(allowed))}",
            code="unknown_reason_code",
            reason=code,
            allowed=sorted(allowed),
        )
    return code
