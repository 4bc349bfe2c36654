"""Pagination, sorting and search helpers shared by every list query.

Two ways through a long list:

- **offset** (``limit`` + ``offset``): any page by number; cheap near the start, a scan of every
  row before it further on;
- **keyset** (``limit`` + a ``cursor`` from the previous page): the next or previous page from
  where the last one ended, through the sort's index, as fast on page 10,000 as on page 1.

A list declares its ``Sorting``: the columns it may be sorted by (public names), the default,
and a unique tie-breaker that makes the order total (so a keyset never skips or repeats a row).
Totals are counted up to ``COUNT_CAP`` rows: below it exact, above it "more than" (a count of
every row of a million-row table costs more than the page itself).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import FromClause, Join

from cangku.domain.errors import InvalidInput

T = TypeVar("T")

MAX_LIMIT = 500
MAX_OFFSET = 2**63 - 1
#: totals stop counting here: the answer is then "at least this many" (``Page.total_exact``)
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
    #: False when ``total`` stopped at ``COUNT_CAP``: there are at least that many rows
    total_exact: bool = True
    #: the cursor of the page after this one (keyset), None on the last page
    next_cursor: str | None = None
    #: the cursor of the page before this one (keyset), None on the first page
    prev_cursor: str | None = None


def paging_fields(page: Page[Any]) -> dict[str, Any]:
    """A page's paging facts, as the API answers and ``--json`` prints them."""
    return {
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "total_exact": page.total_exact,
        "next_cursor": page.next_cursor,
        "prev_cursor": page.prev_cursor,
    }


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


def count_capped(conn: Connection, stmt: Select[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows ``stmt`` answers, counting no further than ``cap``: (count, exact)."""
    limited = stmt.order_by(None).limit(cap + 1).subquery()
    found = int(conn.execute(select(func.count()).select_from(limited)).scalar_one())
    return (cap, False) if found > cap else (found, True)


class DrivingJoin(Join):
    """An inner join read from its left side: the table whose index gives a list's order
    (items by code for stock sorted by item). SQLite's planner, even with statistics, prefers
    a scan of the right side and a sort of every row; a ``CROSS JOIN`` is the one join it never
    reorders. Other engines get a plain ``JOIN`` (PostgreSQL weighs the LIMIT itself)."""

    inherit_cache = True


def driving_join(left: FromClause, right: FromClause, onclause: ColumnElement[bool]) -> Join:
    """``left JOIN right ON onclause``, with ``left`` read first (``DrivingJoin``)."""
    return DrivingJoin(left, right, onclause)


@compiles(DrivingJoin, "sqlite")
def _cross_join(join: DrivingJoin, compiler: SQLCompiler, **kw: Any) -> str:
    plain: str = compiler.visit_join(join, **kw)  # type: ignore[no-untyped-call]
    left: str = join.left._compiler_dispatch(
        compiler, **{**kw, "asfrom": True, "from_linter": None}
    )
    # the left side renders the same text again; its bound values are not recorded twice:
    # only its text is used, to find where the join word starts
    return plain[: len(left)] + " CROSS JOIN " + plain[len(left) + len(" JOIN ") :]


# ------------------------------------------------------------------ sorting


@dataclass(frozen=True)
class SortKey:
    """One parsed ``sort`` parameter: a column name and a direction."""

    name: str
    descending: bool

    def __str__(self) -> str:
        return f"-{self.name}" if self.descending else self.name


def _comparable(expr: ColumnElement[Any]) -> ColumnElement[Any]:
    """``expr``, or for a true/false column its 0/1 (SQLAlchemy compares booleans only with
    ``=``; a keyset needs ``<`` and ``>``; false sorts first either way)."""
    return cast(expr, Integer) if isinstance(expr.type, Boolean) else expr


class Sorting:
    """The orders a list may be read in: ``sort=<name>`` ascending, ``sort=-<name>`` descending.

    ``columns`` maps public names to SQL expressions (or a tuple of them: ``item`` sorted by
    item code, then location code); a nullable column is given with a ``coalesce`` so a keyset
    can compare it. ``tiebreak`` is unique per row (an id or the primary key's columns) and
    follows the sort's direction.
    """

    def __init__(
        self,
        columns: Mapping[str, ColumnElement[Any] | Sequence[ColumnElement[Any]]],
        default: str,
        tiebreak: Sequence[ColumnElement[Any]],
    ) -> None:
        self.columns: dict[str, list[ColumnElement[Any]]] = {
            name: [_comparable(e) for e in (expr if isinstance(expr, Sequence) else [expr])]
            for name, expr in columns.items()
        }
        self.tiebreak = list(tiebreak)
        self.default = self.parse(default)

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def parse(self, raw: str | None) -> SortKey:
        """The sort named by ``raw`` (None or blank: the default). Raises InvalidInput
        ``invalid_sort`` naming the allowed ones."""
        text = (raw or "").strip()
        if not text:
            return self.default
        descending = text.startswith("-")
        name = text[1:] if descending else text
        if name not in self.columns:
            allowed = ", ".join(self.columns)
            raise InvalidInput(
                f"cannot sort by {name!r}: sort by one of {allowed} (a leading - for descending)",
                code="invalid_sort",
                sort=name,
                allowed=list(self.columns),
            )
        return SortKey(name, descending)

    def keys(self, key: SortKey) -> list[ColumnElement[Any]]:
        """The expressions the order compares, the tie-breaker last."""
        return [*self.columns[key.name], *self.tiebreak]

    def order_by(self, key: SortKey, *, reverse: bool = False) -> list[ColumnElement[Any]]:
        descending = key.descending != reverse
        return [k.desc() if descending else k.asc() for k in self.keys(key)]

    def beyond(
        self, key: SortKey, values: Sequence[Any], *, reverse: bool = False
    ) -> ColumnElement[bool]:
        """Rows after ``values`` in the order (before them with ``reverse``), as a chain of
        comparisons both engines can answer from an index: a >= x AND (a > x OR (a = x AND
        b > y) ...); the leading ``a >= x`` is what lets the planner start the index walk at
        ``x`` (without it, both engines read the OR from the start of the index)."""
        later = key.descending == reverse  # ascending forward, or descending backward
        terms: list[ColumnElement[bool]] = []
        exprs = self.keys(key)
        for i, (expr, value) in enumerate(zip(exprs, values, strict=True)):
            step = expr > value if later else expr < value
            same = [e == v for e, v in zip(exprs[:i], values[:i], strict=True)]
            terms.append(and_(*same, step) if same else step)
        start = exprs[0] >= values[0] if later else exprs[0] <= values[0]
        return and_(start, or_(*terms))


# ------------------------------------------------------------------ keyset paging


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        if tag == "t":
            return datetime.fromisoformat(text)
        if tag == "d":
            return date.fromisoformat(text)
    return value


def encode_cursor(key: SortKey, values: Sequence[Any], *, backward: bool = False) -> str:
    payload = {"s": str(key), "v": [_plain(v) for v in values], "b": backward}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


#: a cursor value the database can compare without an error (a BIGINT holds it)
_INT_RANGE = range(-(2**63) + 1, 2**63)


def _fits(value: Any, expr: ColumnElement[Any]) -> bool:
    """Whether ``value`` is of the kind ``expr`` compares with: an edited cursor carrying text
    where a number belongs would otherwise reach the database as an error (a 500)."""
    kind = expr.type
    try:  # a decorated type (UTCDateTime) says its Python type through the type it wraps
        wanted = getattr(kind, "impl_instance", kind).python_type
    except NotImplementedError:  # pragma: no cover - every sort column has a Python type
        return False
    if wanted is object:  # pragma: no cover - a type that does not say: nothing fits
        return False
    if wanted is int:
        return type(value) is int and value in _INT_RANGE
    if wanted is datetime:
        return isinstance(value, datetime) and value.tzinfo is not None
    if wanted is date:
        return type(value) is date
    if wanted is bool:
        return type(value) is bool
    return isinstance(value, wanted) and not isinstance(value, bool | dict | list)


def decode_cursor(
    cursor: str, key: SortKey, width: int, exprs: Sequence[ColumnElement[Any]] = ()
) -> tuple[list[Any], bool]:
    """The row values and direction a cursor carries. Raises InvalidInput ``invalid_cursor``
    for anything this list did not hand out with this sort (``exprs``: the sort's expressions,
    whose types each value must fit)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        values = [_typed(v) for v in payload["v"]]
        ok = payload["s"] == str(key) and len(values) == width
        ok = ok and all(_fits(v, e) for v, e in zip(values, exprs, strict=False))
        backward = payload["b"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError, AttributeError):
        ok, values, backward = False, [], False
    if not ok or not isinstance(backward, bool):
        raise InvalidInput(
            "this cursor does not belong to this list and sort: start again from the first page",
            code="invalid_cursor",
        )
    return values, backward


def _with_keys(stmt: Select[Any], exprs: Sequence[ColumnElement[Any]]) -> Select[Any]:
    """``stmt`` with the sort's values as extra columns ``_k0``, ``_k1``… (a cursor's values)."""
    return stmt.add_columns(*(e.label(f"_k{i}") for i, e in enumerate(exprs)))


def _key_values(row: Any, width: int) -> list[Any]:
    return [getattr(row, f"_k{i}") for i in range(width)]


def keyset_page(
    conn: Connection,
    stmt: Select[Any],
    sorting: Sorting,
    key: SortKey,
    limit: int,
    cursor: str | None = None,
    *,
    count: bool = True,
) -> tuple[list[Any], Page[None]]:
    """One page of ``stmt`` in ``key``'s order, starting from ``cursor`` (None: the first page).

    Answers the rows and an empty ``Page`` that carries the paging facts (total counted up to
    ``COUNT_CAP`` unless ``count`` is False, next and previous cursors); the caller maps the
    rows and builds its own ``Page``. The cursor values ride on extra columns ``_k0``, ``_k1``…
    """
    check_paging(limit, 0)
    exprs = sorting.keys(key)
    backward = False
    stmt_k = _with_keys(stmt, exprs)
    if cursor:
        values, backward = decode_cursor(cursor, key, len(exprs), exprs)
        stmt_k = stmt_k.where(sorting.beyond(key, values, reverse=backward))
    ordered = stmt_k.order_by(None).order_by(*sorting.order_by(key, reverse=backward))
    rows = list(conn.execute(ordered.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if backward:
        rows.reverse()
    next_cursor = prev_cursor = None
    if rows:
        if more or backward:
            next_cursor = encode_cursor(key, _key_values(rows[-1], len(exprs)))
        if cursor and (more or not backward):
            prev_cursor = encode_cursor(key, _key_values(rows[0], len(exprs)), backward=True)
    total, exact = count_capped(conn, stmt) if count else (0, False)
    return rows, Page([], total, limit, 0, exact, next_cursor, prev_cursor)


def sorted_page(
    conn: Connection,
    stmt: Select[Any],
    sorting: Sorting,
    key: SortKey,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    *,
    count: Select[Any] | None = None,
) -> tuple[list[Any], Page[None]]:
    """One page of ``stmt`` in ``key``'s order: after ``cursor`` (keyset) when one is given,
    else ``offset`` rows in. Either way the page carries the cursors of its neighbours (an
    offset page hands out a ``next_cursor``, so a client can switch to the fast way) and a
    total counted up to ``COUNT_CAP`` over ``count`` (a lean statement with the list's
    conditions and none of its display joins; default ``stmt``)."""
    check_paging(limit, offset)
    if cursor:
        rows, page = keyset_page(conn, stmt, sorting, key, limit, cursor, count=False)
    else:
        width = len(sorting.keys(key))
        ordered = _with_keys(stmt, sorting.keys(key)).order_by(None)
        ordered = ordered.order_by(*sorting.order_by(key))
        rows = list(conn.execute(ordered.limit(limit + 1).offset(offset)))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(key, _key_values(rows[-1], width)) if rows and more else None
        prev_cursor = (
            encode_cursor(key, _key_values(rows[0], width), backward=True)
            if rows and offset
            else None
        )
        page = Page([], 0, limit, offset, True, next_cursor, prev_cursor)
    total, exact = count_capped(conn, stmt if count is None else count)
    return rows, Page([], total, limit, page.offset, exact, page.next_cursor, page.prev_cursor)
