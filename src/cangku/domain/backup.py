"""The logical backup format (ADR 0007), without any database or cryptography.

A backup's content (before compression and encryption) is JSON lines::

    {"kind": "begin", "format": 1, "revision": "0002", "dialect": "sqlite", "tables": [...]}
    {"kind": "table", "name": "users", "columns": [["id", "int"], ["username", "str"], ...]}
    [1, "admin", ...]                      one JSON array per row, in primary-key order
    {"kind": "end_table", "name": "users", "rows": 1, "sha256": "..."}
    ...
    {"kind": "end", "tables": [{"name", "rows", "sha256"}...], "heads": {...}}

``sha256`` covers the table's row lines exactly as written. ``heads`` repeats the ledger's
per-warehouse chain heads and the audit chain head so that a restore can prove it brought back
the same chains. :class:`PayloadReader` checks all of it and raises ``backup_corrupt``.

Also here: the file names of scheduled backups, which ones retention removes, intervals and key
files.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cangku.domain.errors import InvalidInput

FORMAT = 1
#: column kinds: how a value is written to JSON and read back, whatever the engine
KINDS = ("int", "str", "bool", "date", "utc")
#: the tables whose rows are the chain heads (repeated in the manifest)
HEAD_TABLES = ("ledger_heads", "audit_head")
KEY_BYTES = 32
#: scheduled backups are named by their UTC creation time, so names sort by age
NAME_PATTERN = re.compile(r"^cangku-(\d{8}T\d{6}\.\d{6}Z)\.ckb$")
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def corrupt(message: str, **data: Any) -> InvalidInput:
    """The one error for a backup that fails its check (tampered, truncated, not a backup)."""
    return InvalidInput(
        f"the backup fails its integrity check: {message}", code="backup_corrupt", **data
    )


@dataclass(frozen=True)
class Secret:
    """What encrypts a backup: a passphrase (stretched with scrypt) or a 32-byte key."""

    passphrase: str | None = None
    key: bytes | None = None

    def __post_init__(self) -> None:
        if (self.passphrase is None) == (self.key is None):
            raise ValueError("a Secret is a passphrase or a key, exactly one")
        if self.passphrase is not None and not self.passphrase:
            raise InvalidInput("the passphrase is empty", code="backup_passphrase_empty")
        if self.key is not None and len(self.key) != KEY_BYTES:
            raise InvalidInput("a backup key is 32 bytes", code="backup_key_invalid")


def parse_key(content: bytes) -> bytes:
    """A key file's content: 32 raw bytes, or 64 hex digits, or base64 of 32 bytes."""
    if len(content) == KEY_BYTES:
        return content
    text = content.strip()
    candidates: list[bytes] = []
    try:
        candidates.append(bytes.fromhex(text.decode("ascii")))
    except (UnicodeDecodeError, ValueError):
        pass
    try:
        candidates.append(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        pass
    for key in candidates:
        if len(key) == KEY_BYTES:
            return key
    raise InvalidInput(
        "a key file holds 32 bytes: raw, as 64 hex digits or in base64", code="backup_key_invalid"
    )


def parse_passphrase(content: bytes) -> str:
    """A passphrase file's content, without the line break an editor adds at the end."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            "a passphrase file is UTF-8 text", code="backup_passphrase_invalid"
        ) from None
    return text.removesuffix("\n").removesuffix("\r")


def parse_interval(text: str) -> timedelta:
    """``30m``, ``6h``, ``1d``: how often a scheduled backup runs (at least one second)."""
    match = _INTERVAL.match(text)
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(
            f"not an interval: {text!r} (a number and s, m, h or d, e.g. 6h)",
            code="invalid_interval",
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def file_name(created_at: datetime) -> str:
    """The name of a scheduled backup made at ``created_at`` (timezone-aware UTC)."""
    return f"cangku-{created_at.strftime('%Y%m%dT%H%M%S.%fZ')}.ckb"


def expired(names: Iterable[str], keep: int) -> list[str]:
    """Of the scheduled backups among ``names``, the ones beyond the newest ``keep``
    (other files are never touched)."""
    if keep < 1:
        raise InvalidInput("keep at least one backup", code="invalid_keep", keep=keep)
    ours = sorted((n for n in names if NAME_PATTERN.match(n)), reverse=True)
    return sorted(ours[keep:])


# ---------------------------------------------------------------- the content


@dataclass(frozen=True)
class TableSummary:
    name: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, as its ``begin`` and ``end`` records say (after checking them)."""

    format: int
    app_version: str
    revision: str
    dialect: str
    created_at: str
    tables: list[TableSummary] = field(default_factory=list)
    #: ``ledger_heads`` rows and the ``audit_head`` row, as column -> value
    heads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def record(kind: str, **fields: Any) -> bytes:
    return _line({"kind": kind, **fields})


def row_line(values: list[Any]) -> bytes:
    return _line(values)


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


@dataclass
class TableRows:
    """A batch of one table's rows, decoded from JSON but not yet typed."""

    name: str
    columns: list[tuple[str, str]]
    rows: list[list[Any]]


class PayloadReader:
    """Reads the content line by line and checks its structure, counts and hashes.

    ``events(lines)`` yields the ``begin`` record (a dict) first, then :class:`TableRows`
    batches; after the last line, :attr:`manifest` holds the checked manifest. Any
    inconsistency raises ``backup_corrupt`` — callers that write must roll back then.
    """

    def __init__(self, batch_size: int = 2000) -> None:
        self.batch_size = batch_size
        self.manifest: Manifest | None = None

    def events(self, lines: Iterable[bytes]) -> Iterator[dict[str, Any] | TableRows]:
        it = iter(lines)
        begin = self._begin(next(it, b""))
        yield begin
        expected: list[str] = begin["tables"]
        summaries: list[TableSummary] = []
        heads: dict[str, list[dict[str, Any]]] = {}
        line = next(it, b"")
        while line.startswith(b'{"kind":"table"'):
            header = _object(line)
            name, columns = header.get("name"), _columns(header.get("columns"))
            if len(summaries) >= len(expected) or name != expected[len(summaries)]:
                raise corrupt("a table is out of order", table=name)
            digest, count, batch = hashlib.sha256(), 0, []
            keep = name in HEAD_TABLES
            for line in it:
                if not line.startswith(b"["):
                    break
                digest.update(line)
                count += 1
                values = _array(line, len(columns))
                batch.append(values)
                if keep:
                    heads.setdefault(name, []).append(
                        {c: v for (c, _), v in zip(columns, values, strict=True)}
                    )
                if len(batch) >= self.batch_size:
                    yield TableRows(name, columns, batch)
                    batch = []
            else:
                line = b""
            if batch:
                yield TableRows(name, columns, batch)
            summary = TableSummary(name, count, digest.hexdigest())
            end = _object(line)
            if (end.get("kind"), end.get("name"), end.get("rows"), end.get("sha256")) != (
                "end_table",
                name,
                count,
                summary.sha256,
            ):
                raise corrupt("a table's rows do not match its count and hash", table=name)
            summaries.append(summary)
            line = next(it, b"")
        self.manifest = self._end(line, begin, expected, summaries, heads)
        if next(it, None) is not None:
            raise corrupt("there is data after the end record")

    def _begin(self, line: bytes) -> dict[str, Any]:
        begin = _object(line)
        if begin.get("kind") != "begin" or begin.get("format") != FORMAT:
            raise corrupt("the content does not start with a known begin record")
        for key in ("revision", "dialect", "created_at", "app_version"):
            if not isinstance(begin.get(key), str):
                raise corrupt(f"the begin record has no {key}")
        tables = begin.get("tables")
        if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
            raise corrupt("the begin record has no table list")
        return begin

    def _end(
        self,
        line: bytes,
        begin: dict[str, Any],
        expected: list[str],
        summaries: list[TableSummary],
        heads: dict[str, list[dict[str, Any]]],
    ) -> Manifest:
        end = _object(line)
        if end.get("kind") != "end":
            raise corrupt("the end record is missing")
        if [t.name for t in summaries] != expected:
            raise corrupt("tables are missing")
        listed = [
            (t.get("name"), t.get("rows"), t.get("sha256")) if isinstance(t, dict) else None
            for t in end.get("tables") or []
        ]
        if listed != [(t.name, t.rows, t.sha256) for t in summaries]:
            raise corrupt("the manifest does not match the tables")
        stated = end.get("heads")
        if stated != {name: heads.get(name, []) for name in HEAD_TABLES if name in expected}:
            raise corrupt("the manifest's chain heads do not match the data")
        return Manifest(
            FORMAT,
            begin["app_version"],
            begin["revision"],
            begin["dialect"],
            begin["created_at"],
            summaries,
            dict(stated),
        )


def _object(line: bytes) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError:
        raise corrupt("a record is not JSON") from None
    if not isinstance(value, dict):
        raise corrupt("a record is missing")
    return value


def _array(line: bytes, width: int) -> list[Any]:
    try:
        value = json.loads(line)
    except ValueError:
        raise corrupt("a row is not JSON") from None
    if not isinstance(value, list) or len(value) != width:
        raise corrupt("a row does not match its columns")
    return value


def _columns(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list) or not value:
        raise corrupt("a table has no columns")
    columns: list[tuple[str, str]] = []
    for column in value:
        if (
            not isinstance(column, list)
            or len(column) != 2
            or not isinstance(column[0], str)
            or column[1] not in KINDS
        ):
            raise corrupt("a column is not a name and a known kind")
        columns.append((column[0], column[1]))
    return columns
