"""The category tree store (no commits here).

A category's ``path`` is the chain of ids from its root, ``/1/4/``, so a subtree is one
``path LIKE '/1/4/%'`` query; moving a category rewrites the paths of its subtree in one
statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, exists, func, insert, literal, select, update

from cangku.db.tables import categories
from cangku.domain.errors import NotFound

__all__ = [
    "Category",
    "category_by_code",
    "category_code_taken",
    "category_id_path",
    "category_select",
    "insert_category",
    "load_categories",
    "move_category",
    "subtree_ids",
    "update_category",
]


@dataclass(frozen=True)
class Category:
    id: int
    code: str
    name: str
    parent: str | None
    path: str  # codes from the root, e.g. "tools/hand-tools"
    depth: int  # 0 for a root category
    active: bool
    created_at: datetime
    updated_at: datetime
    #: received goods of items in this category (or below it) go through inspection
    inspection_required: bool = False


def category_select() -> Any:
    parent = categories.alias("parent")
    return select(categories, parent.c.code.label("parent_code")).outerjoin(
        parent, parent.c.id == categories.c.parent_id
    )


def load_categories(conn: Connection, rows: Sequence[Any]) -> list[Category]:
    """Rows of ``category_select()`` as ``Category``s, their code paths in one more query."""
    chains = {row.id: [int(p) for p in row.path.strip("/").split("/") if p] for row in rows}
    wanted = {i for chain in chains.values() for i in chain}
    codes: dict[int, str] = {}
    if wanted:
        stmt = select(categories.c.id, categories.c.code).where(categories.c.id.in_(wanted))
        codes = {row.id: row.code for row in conn.execute(stmt)}
    return [
        Category(
            id=r.id,
            code=r.code,
            name=r.name,
            parent=r.parent_code,
            path="/".join(codes.get(i, "?") for i in chains[r.id]),
            depth=max(len(chains[r.id]) - 1, 0),
            active=r.active,
            created_at=r.created_at,
            updated_at=r.updated_at,
            inspection_required=bool(r.inspection_required),
        )
        for r in rows
    ]


def category_by_code(conn: Connection, code: str) -> Category:
    row = conn.execute(category_select().where(categories.c.code == code)).first()
    if row is None:
        raise NotFound("category", code)
    return load_categories(conn, [row])[0]


def category_id_path(conn: Connection, category_id: int) -> str:
    """The stored id path ("/1/4/") used for subtree queries."""
    return str(
        conn.execute(select(categories.c.path).where(categories.c.id == category_id)).scalar_one()
    )


def category_code_taken(conn: Connection, code: str) -> bool:
    return conn.execute(select(exists().where(categories.c.code == code))).scalar() is True


def insert_category(
    conn: Connection,
    code: str,
    name: str,
    parent_id: int | None,
    now: datetime,
    inspection_required: bool = False,
) -> int:
    new_id = conn.execute(
        insert(categories)
        .values(
            code=code,
            name=name,
            parent_id=parent_id,
            path="/",
            active=True,
            inspection_required=inspection_required,
            created_at=now,
            updated_at=now,
        )
        .returning(categories.c.id)
    ).scalar_one()
    prefix = category_id_path(conn, parent_id) if parent_id is not None else "/"
    conn.execute(
        update(categories).where(categories.c.id == new_id).values(path=f"{prefix}{new_id}/")
    )
    return int(new_id)


def update_category(
    conn: Connection, category_id: int, values: dict[str, Any], now: datetime
) -> None:
    conn.execute(
        update(categories).where(categories.c.id == category_id).values(**values, updated_at=now)
    )


def move_category(conn: Connection, category_id: int, parent_id: int | None, now: datetime) -> None:
    """Re-parent a category and rewrite the paths of its whole subtree (one statement)."""
    old = category_id_path(conn, category_id)
    prefix = category_id_path(conn, parent_id) if parent_id is not None else "/"
    new_path = f"{prefix}{category_id}/"
    conn.execute(
        update(categories)
        .where(categories.c.id == category_id)
        .values(parent_id=parent_id, updated_at=now)
    )
    conn.execute(
        update(categories)
        .where(categories.c.path.startswith(old, autoescape=True))
        .values(path=literal(new_path, String).concat(func.substr(categories.c.path, len(old) + 1)))
    )


def subtree_ids(conn: Connection, category_id: int) -> Any:
    """A sub-select of the ids of the category and all its descendants."""
    path = category_id_path(conn, category_id)
    return select(categories.c.id).where(categories.c.path.startswith(path, autoescape=True))
