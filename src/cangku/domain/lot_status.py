"""The lot status verbs: hold, quarantine, recall and release, each with a reason.

A blocked lot (on hold, in quarantine, recalled) may not be reserved or issued; release
makes it available again. The verbs are stricter than the plain status change (which sets any
status, for corrections): each refuses a lot it would not change, so a second click or a
replayed script says so instead of writing a second history row.

==========  ==========================================  ========================================
verb        from                                        refused (code)
==========  ==========================================  ========================================
hold        available, quarantine                       hold (``lot_already_held``), recalled
                                                        (``lot_recalled``), rejected
                                                        (``lot_rejected``)
quarantine  available, hold                             quarantine (``lot_already_quarantined``),
                                                        recalled, rejected (as for hold)
recall      available, quarantine, hold, rejected       recalled (``lot_already_recalled``)
release     hold, quarantine, recalled                  available, rejected (``lot_not_held``)
==========  ==========================================  ========================================

A rejected lot may be recalled: it failed inspection, but units of it may have left before
(an earlier receipt of the same lot accepted), and the recall is what the trace is about.
Releasing a rejected lot is not a release (it was never held): the inspection's decision is
changed with the plain status change.
"""

from __future__ import annotations

from enum import StrEnum

from cangku.domain.enums import LotStatus
from cangku.domain.errors import InvalidInput, RuleViolation

__all__ = ["BLOCKING", "LotVerb", "allowed_verbs", "check_verb", "require_reason"]

#: the statuses a release lifts (and that release a lot's unpicked reservations when set)
BLOCKING = frozenset({LotStatus.HOLD, LotStatus.QUARANTINE, LotStatus.RECALLED})


class LotVerb(StrEnum):
    HOLD = "hold"
    QUARANTINE = "quarantine"
    RECALL = "recall"
    RELEASE = "release"


#: the status each verb sets
TARGET = {
    LotVerb.HOLD: LotStatus.HOLD,
    LotVerb.QUARANTINE: LotStatus.QUARANTINE,
    LotVerb.RECALL: LotStatus.RECALLED,
    LotVerb.RELEASE: LotStatus.AVAILABLE,
}
_ALREADY = {
    LotStatus.HOLD: "lot_already_held",
    LotStatus.QUARANTINE: "lot_already_quarantined",
    LotStatus.RECALLED: "lot_already_recalled",
}


def require_reason(reason: str | None) -> str:
    """A verb's reason: required (``reason_required``), at most 500 characters
    (``invalid_reason``); surrounding spaces are dropped."""
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("give a reason for the change", code="reason_required")
    if len(text) > 500:
        raise InvalidInput("a reason has at most 500 characters", code="invalid_reason")
    return text


def check_verb(verb: LotVerb, current: LotStatus, lot: str) -> LotStatus:
    """The status ``verb`` takes a lot in status ``current`` to, or the RuleViolation that
    refuses it (see the module's table)."""
    target = TARGET[verb]
    data = {"lot": lot, "status": str(current)}
    if verb is LotVerb.RELEASE:
        if current not in BLOCKING:
            raise RuleViolation(
                f"lot {lot} is {current}, not on hold, in quarantine or recalled: nothing to"
                " release",
                code="lot_not_held",
                **data,
            )
        return target
    if current is target:
        raise RuleViolation(f"lot {lot} is already {current}", code=_ALREADY[target], **data)
    if verb is not LotVerb.RECALL and current in (LotStatus.RECALLED, LotStatus.REJECTED):
        raise RuleViolation(
            f"lot {lot} is {current}: release it (or change its status) first",
            code=f"lot_{current}",
            **data,
        )
    return target


def allowed_verbs(current: LotStatus) -> list[LotVerb]:
    """The verbs a lot in status ``current`` accepts (what a page offers), in table order."""
    allowed = []
    for verb in LotVerb:
        try:
            check_verb(verb, current, "")
        except RuleViolation:
            continue
        allowed.append(verb)
    return allowed
