"""The backup format without a database: the container (chunks, compression, AES-256-GCM,
checksum), the content's checks, and the names, intervals and keys of scheduled backups."""

from __future__ import annotations

import hashlib
import io
import os
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from cangku.db import backup_file
from cangku.domain.backup import (
    PayloadReader,
    Secret,
    TableRows,
    expired,
    file_name,
    parse_interval,
    parse_key,
    parse_passphrase,
    record,
    row_line,
)
from cangku.domain.errors import CangkuError

KEY = Secret(key=b"k" * 32)
BIG = os.urandom(1024) * 2 + os.urandom(2_500_000)  # incompressible: three chunks


def sealed(content: bytes, secret: Secret | None) -> bytes:
    out = io.BytesIO()
    backup_file.write(out, [content[:1000], content[1000:]], secret)
    return out.getvalue()


def opened(data: bytes, secret: Secret | None) -> bytes:
    return b"".join(backup_file.content(io.BytesIO(data), secret))


def refused(code: str, call: Callable[[], object]) -> None:
    with pytest.raises(CangkuError) as caught:
        call()
    assert caught.value.code == code, caught.value.to_dict()


def frames(data: bytes) -> tuple[bytes, list[bytes]]:
    """The prefix (magic and header) and each frame, as stored."""
    (length,) = struct.unpack(">I", data[9:13])
    at = 13 + length
    prefix, pieces = data[:at], []
    while at < len(data):
        (size,) = struct.unpack(">I", data[at : at + 4])
        pieces.append(data[at : at + 5 + size])
        at += 5 + size
    return prefix, pieces


@pytest.mark.parametrize(
    "secret", [None, KEY, Secret(passphrase="pass phrase")], ids=["plain", "key", "passphrase"]
)
def test_content_of_several_chunks_comes_back_as_written(secret: Secret | None) -> None:
    data = sealed(BIG, secret)
    assert opened(data, secret) == BIG
    assert len(frames(data if secret else data[:-32])[1]) == 3


def test_an_encrypted_file_with_its_chunks_swapped_or_dropped_is_refused() -> None:
    prefix, pieces = frames(sealed(BIG, KEY))
    swapped = prefix + pieces[1] + pieces[0] + pieces[2]
    refused("backup_corrupt", lambda: opened(swapped, KEY))
    without_last = prefix + pieces[0] + pieces[1]
    refused("backup_corrupt", lambda: opened(without_last, KEY))
    # the flag byte claims the first chunk is the last one: authentication fails
    early_end = prefix + pieces[0][:4] + b"\x01" + pieces[0][5:]
    refused("backup_corrupt", lambda: opened(early_end, KEY))


def test_a_changed_header_fails_authentication() -> None:
    data = sealed(b"content\n", KEY)
    changed = data.replace(b'"chunk_size": 1048576', b'"chunk_size": 1048575')
    assert changed != data
    refused("backup_corrupt", lambda: opened(changed, KEY))


def test_a_plain_file_is_checked_by_its_checksum() -> None:
    data = sealed(b"x" * 5000, None)
    assert opened(data, None) == b"x" * 5000
    header = data.replace(b'"chunk_size": 1048576', b'"chunk_size": 1048575')
    checksum = data[:-1] + bytes([data[-1] ^ 1])
    for damaged in (header, checksum, data[:-1]):
        assert damaged != data
        refused("backup_corrupt", lambda d=damaged: opened(d, None))


def test_a_wrong_secret_is_told_apart_from_damage() -> None:
    data = sealed(b"content\n", Secret(passphrase="right"))
    refused("backup_wrong_key", lambda: opened(data, Secret(passphrase="wrong")))
    refused("backup_wrong_key", lambda: opened(data, KEY))
    refused("backup_key_required", lambda: opened(data, None))
    assert opened(sealed(b"plain\n", None), KEY) == b"plain\n"  # a plain file needs none


def test_lines_are_split_across_chunk_boundaries() -> None:
    parts = [b"ab", b"c\nd", b"", b"\n\nef"]
    assert list(backup_file.lines(parts)) == [b"abc\n", b"d\n", b"\n", b"ef"]


# ---------------------------------------------------------------- the content


def valid() -> list[bytes]:
    rows = [row_line([1, 3, "ab"]), row_line([2, 0, "00"])]
    digest = hashlib.sha256(b"".join(rows)).hexdigest()
    heads = {
        "ledger_heads": [
            {"warehouse_id": 1, "last_seq": 3, "last_hash": "ab"},
            {"warehouse_id": 2, "last_seq": 0, "last_hash": "00"},
        ]
    }
    columns = [["warehouse_id", "int"], ["last_seq", "int"], ["last_hash", "str"]]
    return [
        record(
            "begin",
            format=1,
            app="cangku",
            app_version="0.1.0",
            revision="0002",
            dialect="sqlite",
            created_at="2026-01-01T00:00:00+00:00",
            tables=["ledger_heads"],
        ),
        record("table", name="ledger_heads", columns=columns),
        *rows,
        record("end_table", name="ledger_heads", rows=2, sha256=digest),
        record("end", tables=[{"name": "ledger_heads", "rows": 2, "sha256": digest}], heads=heads),
    ]


def read(lines: list[bytes]) -> PayloadReader:
    reader = PayloadReader(batch_size=1)
    events = list(reader.events(lines))
    assert isinstance(events[0], dict)
    return reader


def test_a_valid_content_gives_its_manifest_and_rows_in_batches() -> None:
    reader = PayloadReader(batch_size=1)
    events = list(reader.events(valid()))
    batches = [e.rows for e in events[1:] if isinstance(e, TableRows)]
    assert batches == [[[1, 3, "ab"]], [[2, 0, "00"]]]
    assert reader.manifest is not None
    assert (reader.manifest.revision, reader.manifest.rows) == ("0002", 2)
    assert reader.manifest.heads["ledger_heads"][0]["last_hash"] == "ab"


@pytest.mark.parametrize(
    "damage",
    [
        lambda ls: ls[:-1],  # no end record
        lambda ls: ls[:3] + ls[4:],  # a row missing
        lambda ls: ls + [b"{}\n"],  # data after the end
        lambda ls: [ls[0].replace(b'"format":1', b'"format":2')] + ls[1:],
        lambda ls: [ls[0].replace(b'["ledger_heads"]', b'["ledger_heads","moves"]')] + ls[1:],
        lambda ls: ls[:2] + [row_line([1, 3])] + ls[3:],  # a row of the wrong width
        lambda ls: ls[:2] + [ls[3], ls[2]] + ls[4:],  # rows reordered
        lambda ls: ls[:-1] + [ls[-1].replace(b'"last_seq":3', b'"last_seq":4')],  # heads
    ],
    ids=["no-end", "row-missing", "trailing", "format", "table-missing", "width", "order", "heads"],
)
def test_damaged_content_is_refused(damage: Callable[[list[bytes]], list[bytes]]) -> None:
    refused("backup_corrupt", lambda: read(damage(valid())))


# ---------------------------------------------------------------- names, intervals, keys


def test_scheduled_backups_are_named_by_time_and_the_oldest_expire() -> None:
    at = datetime(2026, 11, 25, 3, 4, 5, 678901, tzinfo=UTC)
    assert file_name(at) == "cangku-20261125T030405.678901Z.ckb"
    names = [file_name(at + timedelta(hours=h)) for h in (2, 0, 1)] + ["notes.txt", "x.ckb"]
    assert expired(names, 1) == [file_name(at), file_name(at + timedelta(hours=1))]
    assert expired(names, 5) == []
    refused("invalid_keep", lambda: expired(names, 0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        (" 6h ", timedelta(hours=6)),
        ("1d", timedelta(days=1)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_an_interval_is_a_number_and_a_unit(text: str, expected: timedelta) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize("text", ["", "0h", "6", "h", "1w", "-1d", "1.5h"])
def test_other_intervals_are_refused(text: str) -> None:
    refused("invalid_interval", lambda: parse_interval(text))


def test_a_key_file_holds_32_bytes_raw_hex_or_base64() -> None:
    key = bytes(range(32))
    assert parse_key(key) == key
    assert parse_key(key.hex().encode() + b"\n") == key
    assert parse_key(b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n") == key
    refused("backup_key_invalid", lambda: parse_key(b"short"))
    refused("backup_key_invalid", lambda: Secret(key=b"x" * 31))


def test_a_passphrase_file_loses_only_its_final_line_break() -> None:
    assert parse_passphrase(b" two words \r\n") == " two words "
    refused("backup_passphrase_empty", lambda: Secret(passphrase=parse_passphrase(b"\n")))
    refused("backup_passphrase_invalid", lambda: parse_passphrase(b"\xff"))
