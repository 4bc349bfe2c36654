"""Pagination and search helpers shared by every list query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, func, or_, select

from cangku.domain.errors import InvalidInput

T = TypeVar("T")

MAX_LIMIT = 500
MAX_OFFSET = 2**63 - 1


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def check_paging(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", code="invalid_limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}", code="invalid_offset")


def text_filter(q: str | None, *columns: Any) -> ColumnElement[bool] | None:
    """Case-insensitive 'contains' over ``columns``; ``%`` and ``_`` in ``q`` match literally."""
    if not q or not q.strip():
        return None
    needle = q.strip().lower()
    return or_(*(func.lower(col).contains(needle, autoescape=True) for col in columns))


def paginate(conn: Connection, stmt: Select[Any], limit: int, offset: int) -> tuple[list[Any], int]:
    """Run ``stmt`` for one page and count all its rows."""
    check_paging(limit, offset)
    total = conn.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    ).scalar_one()
    rows = list(conn.execute(stmt.limit(limit).offset(offset)))
    return rows, int(total)
