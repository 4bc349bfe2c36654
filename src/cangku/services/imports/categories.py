"""Importing categories (code, name, parent), and the category paths items name
(``FASTENERS/BOLTS``), whose missing categories are created on the fly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from cangku.db import categories as store
from cangku.db.imports import update_many
from cangku.db.tables import categories
from cangku.domain.catalog import check_code, check_name
from cangku.domain.errors import CangkuError, InvalidInput, RuleViolation
from cangku.domain.imports import Table
from cangku.domain.imports.columns import parse_bool
from cangku.domain.permissions import PURCHASER, WAREHOUSE_MANAGER, Actor, action
from cangku.services.categories import CATEGORY_MANAGE, NAME_LENGTH
from cangku.services.imports.engine import Checks, Importer, Plan, Progress

#: create and change categories from a file (each created category also needs category.manage)
CATEGORY_IMPORT = action("category.import", roles={WAREHOUSE_MANAGER, PURCHASER})


@dataclass
class _Category:
    id: int | None
    code: str
    name: str
    parent: str | None
    active: bool
    inspection_required: bool = False


def load_categories(conn: Connection) -> dict[str, _Category]:
    """Every category by code (a category tree is small: one read)."""
    parent = categories.alias("parent")
    stmt = select(
        categories.c.id,
        categories.c.code,
        categories.c.name,
        categories.c.active,
        parent.c.code.label("parent_code"),
        categories.c.inspection_required,
    ).outerjoin(parent, parent.c.id == categories.c.parent_id)
    return {
        r.code: _Category(
            int(r.id), r.code, r.name, r.parent_code, bool(r.active), bool(r.inspection_required)
        )
        for r in conn.execute(stmt)
    }


class CategoryPaths:
    """Resolves ``A/B/C`` paths against the tree, planning the categories that are missing.

    ``C`` must be a child of ``B`` and ``B`` of ``A`` where they exist; the first code may sit
    anywhere. A missing category is planned under the code before it (its name is its code).
    """

    def __init__(self, known: dict[str, _Category]) -> None:
        self.known = known
        self.planned: dict[str, _Category] = {}

    def resolve(self, path: str) -> str:
        """The leaf code of ``path``. Raises InvalidInput ``invalid_code``,
        RuleViolation ``category_path_mismatch``."""
        parent: str | None = None
        codes = [part.strip() for part in path.split("/")]
        for position, code in enumerate(codes):
            check_code(code)
            found = self.known.get(code) or self.planned.get(code)
            if found is None:
                self.planned[code] = _Category(None, code, code, parent, True)
            elif position > 0 and found.parent != parent:
                raise RuleViolation(
                    f"category {code} is under {found.parent or 'the root'}, not under {parent}",
                    code="category_path_mismatch",
                    category=code,
                    parent=found.parent,
                )
            parent = code
        return codes[-1]

    def create(self, conn: Connection, now: datetime) -> dict[str, int]:
        """Insert the planned categories (parents first); every category's id by code."""
        ids = {code: c.id for code, c in self.known.items() if c.id is not None}
        for code, planned in self.planned.items():
            parent_id = ids[planned.parent] if planned.parent is not None else None
            ids[code] = store.insert_category(conn, code, planned.name, parent_id, now)
        return ids


def _order(rows: dict[str, tuple[str, str | None]]) -> list[str]:
    """Codes of the file, each after its parent when the parent is in the file too."""
    ordered: list[str] = []
    placed: set[str] = set()

    def place(code: str, trail: tuple[str, ...]) -> None:
        if code in placed or code in trail:
            return
        parent = rows[code][1]
        if parent in rows:
            place(parent, (*trail, code))
        placed.add(code)
        ordered.append(code)

    for code in rows:
        place(code, ())
    return ordered


def _cycle(code: str, parents: dict[str, str | None]) -> bool:
    seen = {code}
    current = parents.get(code)
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def plan(
    conn: Connection, table: Table, actor: Actor, now: datetime, progress: Progress | None
) -> Plan:
    known = load_categories(conn)
    checks = Checks(table, progress)
    wanted: dict[str, tuple[str, str | None]] = {}
    #: inspection marks by code (a file without the column keeps them; new: not inspected)
    flags: dict[str, bool] = {}
    for check in checks.rows():
        row = check.row
        code, name = row.get("code") or "", row.get("name") or ""
        check("code", check_code, code)
        check("name", check_name, name, NAME_LENGTH)
        current = known.get(code)
        parent = row.get("parent") if table.has("parent") else (current.parent if current else None)
        if parent is not None and check.ok:
            check("parent", check_code, parent, "parent")
        if table.has("inspection_required"):
            cell = row.get("inspection_required")
            flag = bool(check("inspection_required", parse_bool, cell, "inspection_required"))
        else:
            flag = current.inspection_required if current else False
        if check.ok:
            wanted[code] = (name, parent)
            flags[code] = flag
    parents = {code: c.parent for code, c in known.items()} | {c: p for c, (_, p) in wanted.items()}
    bad: set[str] = set()
    for check_row in table.rows:
        code = check_row.get("code") or ""
        if code not in wanted:
            continue
        parent = wanted[code][1]
        problem: CangkuError | None = None
        if parent is not None and parent not in parents:
            problem = InvalidInput(f"category {parent} does not exist", code="category_not_found")
        elif parent == code or _cycle(code, parents):
            problem = InvalidInput(
                f"category {code} would be inside itself", code="category_cycle", parent=parent
            )
        if problem is not None:
            bad.add(code)
            checks.add(check_row.number, "parent", problem)
    result = Plan(errors=checks.errors)
    creates: list[str] = []
    renames: list[dict[str, Any]] = []
    moves: list[tuple[str, str | None]] = []
    for code in _order(wanted):
        name, parent = wanted[code]
        current = known.get(code)
        if code in bad:
            continue
        if current is None:
            creates.append(code)
            continue
        marked = flags[code] != current.inspection_required
        if name != current.name or marked:
            renames.append({"id": current.id, "name": name, "inspection_required": flags[code]})
        if parent != current.parent:
            moves.append((code, parent))
        if name != current.name or parent != current.parent or marked:
            result.updated += 1
        else:
            result.unchanged += 1
    result.created = len(creates)
    if result.created or result.updated:
        actor.require(CATEGORY_MANAGE)

    def write(conn: Connection, now: datetime) -> None:
        ids = {code: c.id for code, c in known.items()}
        for code in creates:
            name, parent = wanted[code]
            ids[code] = store.insert_category(
                conn, code, name, ids[parent] if parent is not None else None, now, flags[code]
            )
        columns = ["name", "inspection_required"]
        update_many(conn, "categories", columns, renames, now, versioned=False)
        for code, parent in moves:
            category_id = ids[code]
            assert category_id is not None
            store.move_category(conn, category_id, ids[parent] if parent else None, now)

    result.write = write
    return result


CATEGORIES = Importer("categories", CATEGORY_IMPORT, plan)
