"""The backup file: a small header, then the content compressed and cut into sealed chunks.

Layout (ADR 0007)::

    "CANGKUBK" 0x01                    magic and container version
    u32 n, n bytes of JSON             header: cipher, key derivation, salt, key check, chunk size
    frames: u32 n, u8 flags, n bytes   flags bit 0 = the last frame
    32 bytes sha256                    only when not encrypted: over everything before it

Encrypted (AES-256-GCM): a per-file key comes from the passphrase (scrypt) or the 32-byte key
through HKDF with the file's random salt, so a nonce (the chunk's index) is never reused under a
key. Each chunk's associated data is the header's hash, the index and the flags: a changed
header, a reordered, dropped or appended chunk, or a cut after any chunk fails to authenticate.
A key check value in the header (another HKDF output) tells a wrong key from a damaged file.
The content is streamed both ways: memory stays at about one chunk.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from cangku.domain.backup import KEY_BYTES, Secret, corrupt
from cangku.domain.errors import InvalidInput

MAGIC = b"CANGKUBK\x01"
CHUNK_SIZE = 1 << 20
CIPHER = "aes-256-gcm"
#: scrypt cost for passphrases: 32 MiB of memory, about 0.1 s
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_MAX_SCRYPT = {"n": 2**20, "r": 16, "p": 4}
_MAX_HEADER = 4096
_MAX_CHUNK = 16 << 20
_TAG = 16
_FINAL = 1
_LENGTH = struct.Struct(">IB")


@dataclass(frozen=True)
class Header:
    encrypted: bool
    kdf: str | None  # "scrypt" (passphrase) or "key"
    raw: bytes  # magic + header, as hashed into every chunk's associated data
    fields: dict[str, Any]


def _derive(secret: Secret, fields: dict[str, Any]) -> tuple[bytes, bytes]:
    """The file's encryption key and key check value."""
    salt = bytes.fromhex(fields["salt"])
    if secret.passphrase is not None:
        if fields.get("kdf") != "scrypt":
            raise _wrong_key("the backup was encrypted with a key file, not a passphrase")
        params = fields["scrypt"]
        master = Scrypt(salt=salt, length=KEY_BYTES, **params).derive(
            secret.passphrase.encode("utf-8")
        )
    else:
        if fields.get("kdf") != "key":
            raise _wrong_key("the backup was encrypted with a passphrase, not a key file")
        assert secret.key is not None
        master = secret.key

    def hkdf(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(
            master
        )

    return hkdf(b"cangku backup 1: content"), hkdf(b"cangku backup 1: key check")


def _wrong_key(message: str = "the passphrase or key does not open this backup") -> InvalidInput:
    return InvalidInput(message, code="backup_wrong_key")


class _Sealer:
    def __init__(self, prefix: bytes, key: bytes | None) -> None:
        self._aad = hashlib.sha256(prefix).digest()
        self._aead = AESGCM(key) if key is not None else None

    def seal(self, index: int, flags: int, data: bytes) -> bytes:
        if self._aead is None:
            return data
        return self._aead.encrypt(_nonce(index), data, self._aad + _ad(index, flags))

    def open(self, index: int, flags: int, data: bytes) -> bytes:
        if self._aead is None:
            return data
        try:
            return self._aead.decrypt(_nonce(index), data, self._aad + _ad(index, flags))
        except InvalidTag:
            raise corrupt("a chunk fails authentication", chunk=index) from None


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _ad(index: int, flags: int) -> bytes:
    return index.to_bytes(8, "big") + bytes([flags])


def write(out: BinaryIO, content: Iterable[bytes], secret: Secret | None) -> None:
    """Compress ``content``, seal it in chunks and write the whole file to ``out``."""
    fields: dict[str, Any] = {"compression": "zlib", "chunk_size": CHUNK_SIZE}
    key: bytes | None = None
    if secret is None:
        fields["cipher"] = "none"
    else:
        fields["cipher"] = CIPHER
        fields["salt"] = secrets.token_hex(16)
        if secret.passphrase is not None:
            fields |= {"kdf": "scrypt", "scrypt": SCRYPT}
        else:
            fields["kdf"] = "key"
        key, check = _derive(secret, fields)
        fields["key_check"] = check.hex()
    text = json.dumps(fields, sort_keys=True).encode("ascii")
    prefix = MAGIC + struct.pack(">I", len(text)) + text
    digest = hashlib.sha256(prefix)
    sealer = _Sealer(prefix, key)
    out.write(prefix)
    index = 0

    def frame(data: bytes, flags: int) -> None:
        nonlocal index
        sealed = sealer.seal(index, flags, data)
        piece = _LENGTH.pack(len(sealed), flags) + sealed
        digest.update(piece)
        out.write(piece)
        index += 1

    compressor = zlib.compressobj(6)
    pending = bytearray()
    for part in content:
        pending += compressor.compress(part)
        while len(pending) >= CHUNK_SIZE:
            frame(bytes(pending[:CHUNK_SIZE]), 0)
            del pending[:CHUNK_SIZE]
    pending += compressor.flush()
    while len(pending) > CHUNK_SIZE:
        frame(bytes(pending[:CHUNK_SIZE]), 0)
        del pending[:CHUNK_SIZE]
    frame(bytes(pending), _FINAL)
    if secret is None:
        out.write(digest.digest())


def read_header(source: BinaryIO) -> Header:
    """The header; raises ``backup_corrupt`` when the file is not a cangku backup."""
    magic = source.read(len(MAGIC))
    if magic != MAGIC:
        raise corrupt("not a cangku backup file (or a newer container version)")
    (length,) = struct.unpack(">I", _exactly(source, 4))
    if length > _MAX_HEADER:
        raise corrupt("the header is too large")
    text = _exactly(source, length)
    try:
        fields = json.loads(text)
    except ValueError:
        raise corrupt("the header is not JSON") from None
    if not isinstance(fields, dict) or fields.get("compression") != "zlib":
        raise corrupt("the header names no known compression")
    if not isinstance(fields.get("chunk_size"), int) or not 0 < fields["chunk_size"] <= _MAX_CHUNK:
        raise corrupt("the header's chunk size is out of range")
    cipher = fields.get("cipher")
    if cipher == CIPHER:
        _check_cipher_fields(fields)
    elif cipher != "none":
        raise corrupt("the header names no known cipher")
    raw = magic + struct.pack(">I", length) + text
    return Header(cipher == CIPHER, fields.get("kdf"), raw, fields)


def _check_cipher_fields(fields: dict[str, Any]) -> None:
    try:
        salt, check = bytes.fromhex(fields["salt"]), bytes.fromhex(fields["key_check"])
    except (KeyError, TypeError, ValueError):
        raise corrupt("the header's salt or key check is missing") from None
    if len(salt) != 16 or len(check) != KEY_BYTES:
        raise corrupt("the header's salt or key check has the wrong size")
    if fields.get("kdf") == "scrypt":
        params = fields.get("scrypt")
        if not isinstance(params, dict) or set(params) != set(SCRYPT):
            raise corrupt("the header's scrypt parameters are missing")
        for name, limit in _MAX_SCRYPT.items():
            value = params[name]
            if not isinstance(value, int) or not 0 < value <= limit:
                raise corrupt("the header's scrypt parameters are out of range")
    elif fields.get("kdf") != "key":
        raise corrupt("the header names no known key derivation")


def content(source: BinaryIO, secret: Secret | None) -> Iterator[bytes]:
    """The content, decompressed, as it is read; the header must not have been read yet.

    Raises (while iterating) ``backup_key_required`` (encrypted, no secret), ``backup_wrong_key``
    and ``backup_corrupt`` (tampered, truncated, trailing data). Only a generator that ran to
    its end has proved the whole file intact.
    """
    header = read_header(source)
    key: bytes | None = None
    if header.encrypted:
        if secret is None:
            raise InvalidInput(
                "the backup is encrypted: give its passphrase or key file",
                code="backup_key_required",
            )
        key, check = _derive(secret, header.fields)
        if not hmac.compare_digest(check, bytes.fromhex(header.fields["key_check"])):
            raise _wrong_key()
    limit = header.fields["chunk_size"] + (_TAG if header.encrypted else 0)
    digest = hashlib.sha256(header.raw)
    sealer = _Sealer(header.raw, key)
    decompressor = zlib.decompressobj()
    index = 0
    while True:
        prefix = source.read(_LENGTH.size)
        if len(prefix) < _LENGTH.size:
            raise corrupt("the file is truncated", chunk=index)
        length, flags = _LENGTH.unpack(prefix)
        if length > limit or flags not in (0, _FINAL):
            raise corrupt("a chunk's frame is damaged", chunk=index)
        sealed = _exactly(source, length)
        digest.update(prefix + sealed)
        data = sealer.open(index, flags, sealed)
        try:
            yield decompressor.decompress(data)
        except zlib.error:
            raise corrupt("a chunk does not decompress", chunk=index) from None
        index += 1
        if flags == _FINAL:
            break
    if not decompressor.eof or decompressor.unused_data:
        raise corrupt("the compressed content is incomplete")
    if not header.encrypted:
        stated = source.read(hashlib.sha256().digest_size)
        if len(stated) < digest.digest_size:
            raise corrupt("the file is truncated (no checksum)")
        if not hmac.compare_digest(stated, digest.digest()):
            raise corrupt("the checksum does not match the content")
    if source.read(1):
        raise corrupt("there is data after the end of the backup")


def _exactly(source: BinaryIO, size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise corrupt("the file is truncated")
    return data


def lines(parts: Iterable[bytes]) -> Iterator[bytes]:
    """Split a byte stream into lines (each with its ``\\n``)."""
    rest = b""
    for part in parts:
        if not part:
            continue
        chunk = rest + part
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                break
            yield chunk[start : end + 1]
            start = end + 1
        rest = chunk[start:]
    if rest:
        yield rest


def create_private(path: Path) -> tuple[BinaryIO, Path]:
    """A new temporary file beside ``path``, readable by its owner only (backups hold
    password hashes). Returns the open file and its name: rename it when complete."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb"), temporary


def publish(out: BinaryIO, temporary: Path, path: Path) -> None:
    """Flush ``out`` to disk and give the temporary file its final name atomically."""
    out.flush()
    os.fsync(out.fileno())
    out.close()
    os.replace(temporary, path)
