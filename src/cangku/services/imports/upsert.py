"""What the flat kinds share: rows decided as "create these values" or "set these values on
that existing row", counted into a plan."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cangku.domain.imports import SourceRow, Table
from cangku.services.imports.engine import Plan


@dataclass
class Decided:
    """One good row: its number, its key, the stored row (None: new) and its values."""

    number: int
    key: Any
    current: Mapping[str, Any] | None
    values: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def changed(self) -> bool:
        current = self.current
        return current is not None and any(current.get(k) != v for k, v in self.values.items())


@dataclass
class Split:
    creates: list[Decided] = field(default_factory=list)
    updates: list[Decided] = field(default_factory=list)
    unchanged: int = 0


def split(decided: Sequence[Decided]) -> Split:
    result = Split()
    for d in decided:
        if d.current is None:
            result.creates.append(d)
        elif d.changed():
            result.updates.append(d)
        else:
            result.unchanged += 1
    return result


def counted(plan: Plan, parts: Split) -> Plan:
    plan.created, plan.updated, plan.unchanged = (
        len(parts.creates),
        len(parts.updates),
        parts.unchanged,
    )
    return plan


def cell(table: Table, row: SourceRow, name: str, current: Mapping[str, Any] | None) -> Any:
    """The cell of ``name``; the stored value when the file has no such column."""
    if table.has(name):
        return row.get(name)
    return current.get(name) if current is not None else None


def keep_or(
    table: Table,
    row: SourceRow,
    name: str,
    current: Mapping[str, Any] | None,
    parse: Callable[[str | None], Any],
) -> Any:
    """``parse(cell)`` when the file has the column; else the stored value (None when new)."""
    if table.has(name):
        return parse(row.get(name))
    return current.get(name) if current is not None else parse(None)
