"""Documents: numbered headers with lines and a declared state machine (DESIGN.md section 8).

Every workflow document (purchase order, receipt, inspection, put-away, supplier return; later
outbound requests, pick lists, transfers, counts) is declared here as a ``Machine``: its states,
its steps with the state(s) each may start from and lead to, the permission each step needs and
the role that normally does it, and the step that is the document's next task in each state.
The table is the single source for the services (``Machine.next``), the buttons a page shows
(``Machine.steps_from``), the CLI help, the task inbox (``Machine.task``) and the docs' state
table (``Machine.table``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from cangku.domain.errors import InvalidInput, InvalidTransition

__all__ = [
    "Machine",
    "Step",
    "document_number",
    "invalid_transition",
    "machine",
    "machines",
]


@dataclass(frozen=True)
class Step:
    """One step of a document: from which states it may be taken, which states it can lead
    to (the first is the usual one; a step such as "receive" ends in "partially received" or
    "received" by what it found), the permission it needs, and the role that normally does it
    (the task inbox offers the step to holders of the permission; the role names who that is
    in the docs). ``automatic`` steps are taken by the system as a consequence of another
    document's step (a receipt moves its order on); no button offers them."""

    code: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    action: str
    role: str
    automatic: bool = False
    #: a step that ends the document's life early (cancel, close)
    ends: bool = False
    #: a step taken where the goods arrive (a transfer's receipt in its destination
    #: warehouse): its permission, its task and its inbox are that warehouse's
    at_destination: bool = False


@dataclass(frozen=True)
class Machine:
    doc_type: str
    #: number prefix (``PO`` -> ``PO-SH-2026-00042``)
    prefix: str
    states: tuple[str, ...]
    initial: str
    steps: tuple[Step, ...]
    #: state -> the step that is the document's next task in it (the inbox)
    tasks: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        known = set(self.states)
        for step in self.steps:
            odd = (set(step.sources) | set(step.targets)) - known
            if odd:
                raise ValueError(f"{self.doc_type}.{step.code} names unknown states {odd}")
        for state, code in self.tasks.items():
            if state not in known or code not in self.step_codes:
                raise ValueError(f"{self.doc_type}: task {state} -> {code} is not declared")

    @property
    def step_codes(self) -> tuple[str, ...]:
        return tuple(step.code for step in self.steps)

    @property
    def final(self) -> frozenset[str]:
        """States no step leaves."""
        left = {source for step in self.steps for source in step.sources}
        return frozenset(state for state in self.states if state not in left)

    def step(self, code: str) -> Step:
        for step in self.steps:
            if step.code == code:
                return step
        raise InvalidInput(
            f"a {self.doc_type} has no step {code!r}; its steps are {', '.join(self.step_codes)}",
            code="unknown_step",
            document_type=self.doc_type,
            step=code,
            allowed=list(self.step_codes),
        )

    def check(self, state: str, code: str, number: str | None = None) -> Step:
        """The step ``code`` if it may be taken in ``state``; ``invalid_transition`` if not."""
        step = self.step(code)
        if state not in step.sources:
            raise invalid_transition(self.doc_type, number, state, code)
        return step

    def next(
        self, state: str, code: str, target: str | None = None, number: str | None = None
    ) -> str:
        """The state a step leads to from ``state``: ``target`` (which the step's decision chose)
        when the step may lead there, else its usual one."""
        step = self.check(state, code, number)
        if target is None:
            return step.targets[0]
        if target not in step.targets:
            raise AssertionError(f"{self.doc_type}.{code} cannot lead to {target}")
        return target

    def steps_from(self, state: str, *, automatic: bool = False) -> list[Step]:
        """The steps a user may take in ``state`` (the page's buttons)."""
        return [
            step
            for step in self.steps
            if state in step.sources and (automatic or not step.automatic)
        ]

    def task(self, state: str) -> Step | None:
        code = self.tasks.get(state)
        return self.step(code) if code else None

    def open_states(self) -> tuple[str, ...]:
        return tuple(state for state in self.states if state not in self.final)

    def table(self) -> list[tuple[str, str, str, str, str]]:
        """(from, step, to, permission, role) rows: the docs' state table."""
        return [
            (source, step.code, " / ".join(step.targets), step.action, step.role)
            for step in self.steps
            for source in step.sources
        ]

    def markdown(self) -> str:
        """The state table as Markdown (the docs hold it verbatim; a test compares them)."""
        rows = ["| from | step | to | permission | usually done by |", "|---|---|---|---|---|"]
        rows.extend("| " + " | ".join(row) + " |" for row in self.table())
        return "\n".join(rows)


_MACHINES: dict[str, Machine] = {}


def machine(declared: Machine) -> Machine:
    """Declare a document type's machine (once, at import time of its domain module)."""
    existing = _MACHINES.get(declared.doc_type)
    if existing is not None and existing != declared:
        raise ValueError(f"document type {declared.doc_type} is declared twice, differently")
    _MACHINES[declared.doc_type] = declared
    return declared


def machines() -> dict[str, Machine]:
    return dict(_MACHINES)


def invalid_transition(
    doc_type: str, number: str | None, state: str, step: str
) -> InvalidTransition:
    what = f"{doc_type} {number}" if number else f"this {doc_type}"
    return InvalidTransition(
        f"{what} is {state}: the step {step!r} cannot be taken now",
        code="invalid_transition",
        document_type=doc_type,
        document=number,
        state=state,
        step=step,
    )


def document_number(prefix: str, warehouse_code: str, year: int, seq: int) -> str:
    """``PO-SH-2026-00042``: the type, the warehouse, the year and a counter per the three."""
    return f"{prefix}-{warehouse_code}-{year}-{seq:05d}"


def check_due_on(value: date | None, today: date) -> date | None:
    """A due date may lie in the past (a late document is still due), but not absurdly far."""
    if value is not None and not (1970 <= value.year <= today.year + 50):
        raise InvalidInput("the due date is out of range", code="invalid_due_date")
    return value


def require_lines(lines: Iterable[object], doc_type: str) -> None:
    if not list(lines):
        raise InvalidInput(f"a {doc_type} needs at least one line", code="no_lines")
