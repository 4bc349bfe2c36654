"""Use cases of the category tree: create, rename, move, mark for inspection, deactivate and
reactivate categories.

A category is keyed by its code; moving one rewrites the paths of its whole subtree. Categories
have no version column: the last change wins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cangku.db import categories as store
from cangku.db.categories import Category
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.catalog import (
    check_bool,
    check_code,
    check_name,
    plain,
    refuse_unknown_fields,
)
from cangku.domain.errors import Conflict, InvalidInput
from cangku.domain.permissions import PURCHASER, WAREHOUSE_MANAGER, Action, Actor, action
from cangku.queries.snapshots import category_fields
from cangku.services.common import Context, Subject, run_write

__all__ = [
    "Category",
    "create_category",
    "deactivate_category",
    "reactivate_category",
    "update_category",
]

#: the longest category name
NAME_LENGTH = 200

#: create, change, deactivate and reactivate categories
CATEGORY_MANAGE = action("category.manage", roles={WAREHOUSE_MANAGER, PURCHASER})


def _write_category(
    db: Database,
    ctx: Context,
    operation: Action,
    code: str,
    payload: dict[str, Any],
    change: Callable[[Connection, datetime], None],
) -> Category:
    """Run ``change(conn, now)`` as the idempotent write ``operation``, then read the category
    ``code`` back."""

    def work(uow: UnitOfWork, _actor: Actor, now: datetime) -> str:
        change(uow.conn, now)
        return code

    subject = Subject("category", code, lambda conn: category_fields(conn, code))
    run_write(db, ctx, operation, payload, work, subject=subject)
    with db.read() as conn:
        return store.category_by_code(conn, code)


def _parent_id(conn: Connection, parent: str | None, moving: int | None = None) -> int | None:
    """The id of the parent category; refuses a parent inside the moving category's subtree."""
    if parent is None:
        return None
    found = store.category_by_code(conn, parent)
    if moving is not None:
        subtree = store.category_id_path(conn, moving)
        if store.category_id_path(conn, found.id).startswith(subtree):
            raise InvalidInput(
                f"category {parent} is inside the category being moved",
                code="category_cycle",
                parent=parent,
            )
    return found.id


def create_category(
    db: Database,
    ctx: Context,
    code: str,
    name: str,
    parent: str | None = None,
    *,
    inspection_required: bool = False,
) -> Category:
    """Create a category, at the root or under ``parent``; with ``inspection_required``,
    received goods of its items (and of the categories below it) are inspected.

    Raises InvalidInput ``invalid_code`` / ``invalid_name`` / ``invalid_flag``, NotFound
    ``category_not_found`` (parent), Conflict ``category_code_taken``.
    Writes: one ``categories`` row.
    """

    def change(conn: Connection, now: datetime) -> None:
        check_code(code)
        check_name(name, NAME_LENGTH)
        check_bool(inspection_required, "inspection_required")
        parent_id = _parent_id(conn, parent)
        if store.category_code_taken(conn, code):
            raise Conflict(
                f"a category with code {code!r} already exists",
                code="category_code_taken",
                category=code,
            )
        store.insert_category(conn, code, name, parent_id, now, inspection_required)

    payload: dict[str, Any] = {"code": code, "name": name, "parent": parent}
    if inspection_required:
        payload["inspection_required"] = inspection_required
    return _write_category(db, ctx, CATEGORY_MANAGE, code, payload, change)


def update_category(db: Database, ctx: Context, code: str, changes: Mapping[str, Any]) -> Category:
    """Rename a category (``name``), move it under another parent (``parent``: a code, or
    None for the root; the paths of its whole subtree follow) and/or mark it for inspection
    (``inspection_required``: it applies to the categories below it too).

    Raises NotFound ``category_not_found``, InvalidInput ``invalid_name`` / ``category_cycle`` /
    ``invalid_flag`` / ``unknown_field``. Writes: the category row and the ``path`` of its
    descendants.
    """
    refuse_unknown_fields(changes, {"name", "parent", "inspection_required"})

    def change(conn: Connection, now: datetime) -> None:
        current = store.category_by_code(conn, code)
        values: dict[str, Any] = {}
        if "name" in changes:
            values["name"] = check_name(changes["name"], NAME_LENGTH)
        if "inspection_required" in changes:
            values["inspection_required"] = check_bool(
                changes["inspection_required"], "inspection_required"
            )
        if values:
            store.update_category(conn, current.id, values, now)
        if "parent" in changes and changes["parent"] != current.parent:
            parent_id = _parent_id(conn, changes["parent"], moving=current.id)
            store.move_category(conn, current.id, parent_id, now)

    payload = {"code": code, "changes": plain(dict(changes))}
    return _write_category(db, ctx, CATEGORY_MANAGE, code, payload, change)


def _set_category_active(db: Database, ctx: Context, code: str, active: bool) -> Category:
    def change(conn: Connection, now: datetime) -> None:
        current = store.category_by_code(conn, code)
        store.update_category(conn, current.id, {"active": active}, now)

    return _write_category(db, ctx, CATEGORY_MANAGE, code, {"code": code, "active": active}, change)


def deactivate_category(db: Database, ctx: Context, code: str) -> Category:
    """Mark a category inactive: new items cannot be put in it; existing items keep it.

    Raises NotFound ``category_not_found``. Writes: the ``categories`` row.
    """
    return _set_category_active(db, ctx, code, False)


def reactivate_category(db: Database, ctx: Context, code: str) -> Category:
    """Mark a category active again. Raises NotFound ``category_not_found``.
    Writes: the ``categories`` row."""
    return _set_category_active(db, ctx, code, True)
