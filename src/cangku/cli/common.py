"""What every command shares: who is acting, options, output (table or ``--json``) and error
handling.

Every business command acts as the user of the API token from ``cangku login`` (or
``CANGKU_TOKEN``), with that token's scopes: writes through ``context()``, reads through
``reader(ACTION)`` (which also gives the warehouses the user may see). Operator commands that
work on the database files themselves (``init``, ``db upgrade``, ``serve``, ``demo``,
``verify``, ``backup``, ``restore``) need no sign-in: whoever can run them can read the files.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Annotated, Any, NoReturn

import typer

from cangku.cli.credentials import current_token
from cangku.db.uow import Database
from cangku.domain.errors import (
    CangkuError,
    Conflict,
    InvalidInput,
    NeedsConfirmation,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RuleViolation,
    TooManyAttempts,
)
from cangku.domain.permissions import Action, Actor
from cangku.services.auth import Authenticated, authenticate_token
from cangku.services.common import Context, load_actor
from cangku.settings import get_settings

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
SortOpt = Annotated[
    str | None,
    typer.Option(help="Order by this column; a leading - for descending (e.g. --sort=-name)."),
]
IdemOpt = Annotated[
    str | None,
    typer.Option("--idempotency-key", help="Repeat-safe key: a repeat returns the first result."),
]

#: exit status per error family (0 ok, 1 verify found differences, 2 usage)
EXIT_CODES: list[tuple[type[CangkuError], int]] = [
    (NotFound, 3),
    (InvalidInput, 4),
    (RuleViolation, 5),
    (NeedsConfirmation, 7),
    (Conflict, 6),
    (PermissionDenied, 8),
    (NotAuthenticated, 9),
    (TooManyAttempts, 9),
]


@lru_cache(maxsize=1)
def database() -> Database:
    return Database(get_settings().database_url)


SIGN_IN_HINT = "run `cangku login` (or set CANGKU_TOKEN)"


def authenticated() -> Authenticated:
    """The user (and scopes) of the stored token. Raises NotAuthenticated (exit 9)."""
    token = current_token()
    if token is None:
        raise NotAuthenticated(f"not signed in: {SIGN_IN_HINT}")
    try:
        return authenticate_token(database(), token)
    except NotAuthenticated as exc:
        raise NotAuthenticated(f"{exc.message}: {SIGN_IN_HINT}") from None


def context(idempotency_key: str | None = None) -> Context:
    """The signed-in user as the services' Context (origin ``cli``)."""
    auth = authenticated()
    return Context(auth.username, idempotency_key, auth.scopes, origin="cli")


def reader(act: Action | None = None) -> Actor:
    """The signed-in user with their permissions, refused (exit 8) without ``act`` anywhere;
    ``reader(ACT).warehouses(ACT)`` is where a scoped read may look."""
    ctx = context()
    with database().read() as conn:
        actor = load_actor(conn, ctx)
    if act is not None:
        actor.require(act)
    return actor


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def emit(data: Any, as_json: bool, render: Callable[[Any], None] | None = None) -> None:
    """Print ``data`` as JSON, or through ``render`` (default: key/value lines)."""
    if as_json:
        typer.echo(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2))
    elif render is not None:
        render(data)
    else:
        plain = to_jsonable(data)
        if isinstance(plain, dict):
            width = max((len(k) for k in plain), default=0)
            for key, value in plain.items():
                typer.echo(f"{key:<{width}}  {_cell(value)}")
        else:
            typer.echo(str(plain))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def table(
    rows: Sequence[Any], columns: Sequence[str], headers: Sequence[str] | None = None
) -> None:
    """Print rows (dicts or dataclasses) as an aligned text table."""
    plain = [to_jsonable(r) for r in rows]
    heads = list(headers or columns)
    cells = [[_cell(r.get(c)) for c in columns] for r in plain]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(heads)]
    typer.echo("  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)))
    for row in cells:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def fail(exc: CangkuError, as_json: bool) -> NoReturn:
    code = next((status for cls, status in EXIT_CODES if isinstance(exc, cls)), 1)
    if as_json:
        typer.echo(json.dumps({"error": to_jsonable(exc.to_dict())}, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"error [{exc.code}]: {exc.message}", err=True)
    raise typer.Exit(code)


@contextmanager
def handled(as_json: bool) -> Iterator[None]:
    """Turn domain errors into a message and an exit status: never a traceback."""
    try:
        yield
    except CangkuError as exc:
        fail(exc, as_json)


def parse_when(value: str | None) -> datetime | None:
    """An ISO date or date-time; naive values are taken as UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"not a date or time: {value!r}", code="invalid_datetime") from None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed
