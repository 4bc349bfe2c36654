"""Labels and refusal messages of stock counts (盘点, issue 14) on the pages: the count as a
document type, the states and steps of ``domain.counts.COUNT`` the other machines do not have
(a count's ``close`` ends counting, its ``post`` writes the differences), and the messages of
the count refusals. ``web/outbound_codes.py`` consults them beside its own."""

from __future__ import annotations

from cangku.web.i18n import N_

__all__ = ["COUNT_MESSAGES", "COUNT_STATES", "COUNT_STEPS", "COUNT_TYPES"]

#: the count (``domain.counts.COUNT``)
COUNT_TYPES: dict[str, str] = {"count": N_("Stock count")}

#: the states only a count has
COUNT_STATES: dict[str, str] = {
    "counting": N_("Counting"),
    "review": N_("In review"),
}

#: a count's steps, as a count has them
COUNT_STEPS: dict[str, str] = {
    "start": N_("Start counting"),
    "close": N_("Close counting"),
    "recount": N_("Recount the chosen lines"),
    "post": N_("Post the differences"),
}

#: the messages of the count refusals
COUNT_MESSAGES: dict[str, str] = {
    "count_not_found": N_("There is no stock count %(key)s."),
    "negative_count": N_("A counted quantity of %(item)s cannot be negative."),
    "count_line_out_of_scope": N_(
        "%(item)s at %(location)s is outside this count's scope: count only what it covers."
    ),
    "recount_by_same_counter": N_(
        "%(item)s at %(location)s is recounted by someone who did not count it the first time."
    ),
    "counter_cannot_approve": N_(
        "%(document)s differs by %(variance)s in value, above the threshold of %(threshold)s: "
        "someone who did not count it approves it."
    ),
    "no_recount_lines": N_("Tick the lines to recount."),
}
