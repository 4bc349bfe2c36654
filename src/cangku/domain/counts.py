"""Stock counts (盘点): the count session's machine and the decisions its steps take, without
I/O.

A count covers a scope (a warehouse, zones, locations, items, a category, or what the
cycle-count plan says is due). Starting it takes a snapshot of the expected quantities and the
ledger's position; counters then enter what they find, several at once, unexpected items and
lots included; closing it computes each line's variance. Stock that moved while counting is
handled exactly: a line's adjustment is the counted quantity against the snapshot *plus the
moves since the snapshot at that place*, never a blind overwrite. A reviewer may send chosen
lines back for a recount (by another counter); above the company's value threshold, someone
who did not count approves; posting writes the adjustments with the count as their document.

Cycle counting: ABC classes from consumption value (A: the items making the first 80 % of it,
B: the next 15 %, C: the rest), a counting frequency per class, and what is due.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from cangku.domain.documents import Machine, Step
from cangku.domain.errors import InvalidInput, RuleViolation
from cangku.domain.permissions import STOCK_COUNTER, WAREHOUSE_MANAGER
from cangku.domain.quantities import from_scaled, scaled_product

__all__ = [
    "COUNT",
    "DEFAULT_FREQUENCY_DAYS",
    "CountLine",
    "Scope",
    "abc_classes",
    "accuracy",
    "check_counted",
    "check_approver",
    "due_for_counting",
    "under",
    "variance",
]

#: not registered with ``domain.documents.machine`` yet: its services (and the actions its
#: steps name) come next; registering it before would put a machine without declared actions
#: in the task inbox
COUNT = Machine(
    doc_type="count",
    prefix="CNT",
    states=("draft", "counting", "review", "approved", "posted", "cancelled"),
    initial="draft",
    steps=(
        Step("start", ("draft",), ("counting",), "count.manage", STOCK_COUNTER),
        Step("close", ("counting",), ("review",), "count.manage", STOCK_COUNTER),
        Step("recount", ("review",), ("counting",), "count.approve", WAREHOUSE_MANAGER),
        Step("approve", ("review",), ("approved",), "count.approve", WAREHOUSE_MANAGER),
        Step("post", ("approved",), ("posted",), "count.approve", WAREHOUSE_MANAGER),
        Step(
            "cancel",
            ("draft", "counting", "review"),
            ("cancelled",),
            "count.manage",
            STOCK_COUNTER,
            ends=True,
        ),
    ),
    tasks={"draft": "start", "counting": "close", "review": "approve", "approved": "post"},
)

#: how often each ABC class is counted, in days, unless the company says otherwise
DEFAULT_FREQUENCY_DAYS: dict[str, int] = {"A": 30, "B": 91, "C": 365}


@dataclass(frozen=True)
class Scope:
    """What a count covers: the warehouse, and optionally zones (a location and everything
    under it), locations, items, a category (and those under it). Empty lists: no limit."""

    warehouse_id: int
    #: location paths a counted location must lie under (zones) or equal
    zones: tuple[str, ...] = ()
    location_ids: tuple[int, ...] = ()
    item_ids: tuple[int, ...] = ()
    #: category paths an item's category must lie under or equal
    categories: tuple[str, ...] = ()
    #: a count of the cycle-count plan: only these places (item id, location id) are covered
    plan: bool = False
    places: frozenset[tuple[int, int]] = frozenset()

    def covers(
        self,
        warehouse_id: int,
        location_id: int,
        location_path: str,
        item_id: int,
        category_path: str | None,
    ) -> bool:
        if warehouse_id != self.warehouse_id:
            return False
        if self.plan and (item_id, location_id) not in self.places:
            return False
        if self.location_ids and location_id not in self.location_ids:
            return False
        if self.zones and not any(under(location_path, z) for z in self.zones):
            return False
        if self.item_ids and item_id not in self.item_ids:
            return False
        return not self.categories or (
            category_path is not None and any(under(category_path, c) for c in self.categories)
        )


def under(path: str, top: str) -> bool:
    """Whether a path (of a location or category) is ``top`` or lies under it."""
    return path == top or path.startswith(top.rstrip("/") + "/")


@dataclass(frozen=True)
class CountLine:
    """One place of a count (item, location, lot), quantities in base units (scaled)."""

    #: on hand at the snapshot (0 for a line found that was not expected)
    expected: int
    #: the net of the moves in and out of the place between the snapshot and its count (a
    #: move after the count changes the shelf and the books alike)
    moved: int
    #: what was counted (None: not counted)
    counted: int | None
    #: the item's unit cost now (scaled money per base unit), to value the variance
    unit_cost: int = 0

    @property
    def book(self) -> int:
        """What the books said when the place was counted: the snapshot plus the moves since."""
        return self.expected + self.moved

    @property
    def difference(self) -> int:
        """The adjustment to post: counted against the books then (0 when not counted)."""
        return 0 if self.counted is None else self.counted - self.book


def variance(lines: Iterable[CountLine]) -> tuple[int, int]:
    """(the net value of the differences, the sum of their absolute values), scaled money."""
    net = absolute = 0
    for line in lines:
        value = scaled_product(line.difference, line.unit_cost)
        net += value
        absolute += abs(value)
    return net, absolute


def accuracy(lines: Sequence[CountLine]) -> tuple[int, int]:
    """(lines counted right, lines counted): right means the count matched the books."""
    counted = [line for line in lines if line.counted is not None]
    return sum(1 for line in counted if line.difference == 0), len(counted)


def check_counted(quantity: int, *, item: str) -> int:
    """A counted quantity is zero or more. Raises InvalidInput ``negative_count``."""
    if quantity < 0:
        raise InvalidInput(
            f"a counted quantity of {item} is not negative ({from_scaled(quantity)})",
            code="negative_count",
            item=item,
        )
    return quantity


def check_approver(
    approver_id: int,
    counter_ids: Iterable[int],
    absolute_value: int,
    threshold: int | None,
    number: str,
) -> None:
    """Above the company's threshold (the sum of the differences' absolute values), someone
    who did not count approves. Raises RuleViolation ``counter_cannot_approve``."""
    if threshold is None or absolute_value <= threshold:
        return
    if approver_id in set(counter_ids):
        raise RuleViolation(
            f"{number} differs by {from_scaled(absolute_value)} in value, above the threshold of"
            f" {from_scaled(threshold)}: someone who did not count it approves",
            code="counter_cannot_approve",
            document=number,
            variance=str(from_scaled(absolute_value)),
            threshold=str(from_scaled(threshold)),
        )


def abc_classes(
    consumption: Mapping[int, int], a_share: float = 0.8, b_share: float = 0.95
) -> dict[int, str]:
    """ABC class per item from its consumption value: sorted by value, largest first, the
    items whose cumulative share reaches ``a_share`` of the total are A (the item that crosses
    it included), up to ``b_share`` B, the rest C. Items with no consumption are C; ties are
    broken by item id, so the classes are reproducible."""
    total = sum(v for v in consumption.values() if v > 0)
    out: dict[int, str] = {}
    running = 0
    for item_id, value in sorted(consumption.items(), key=lambda kv: (-kv[1], kv[0])):
        if value <= 0 or total == 0:
            out[item_id] = "C"
            continue
        before = running / total
        running += value
        out[item_id] = "A" if before < a_share else "B" if before < b_share else "C"
    return out


def due_for_counting(
    last_counted: date | None, abc_class: str, today: date, frequency: Mapping[str, int]
) -> bool:
    """Whether a place is due: never counted, or counted longer ago than its class allows."""
    if last_counted is None:
        return True
    days = frequency.get(abc_class, DEFAULT_FREQUENCY_DAYS.get(abc_class, 365))
    return last_counted + timedelta(days=days) <= today
