"""Feed recordings: the raw binary frames of the market feed with their receive times, on disk.

Written by ``angelctl stream --record FILE``, read by ``angelctl sandbox serve --replay FILE``
(``sandbox.engine.replay``) and the replay figure. The format (docs/recording.md)::

    header   b"ANGELREC" | version u16 | length u32 | JSON (length bytes) | CRC32 of the JSON u32
    record   length u32 | type u8 | body (length - 1 bytes) | CRC32 of type + body u32
    body     wall_ns i64 | mono_ns i64 | payload

little-endian throughout. ``FRAME`` payloads are the WebSocket binary message exactly as
received; ``SUBSCRIPTIONS`` is the whole set the server was told, as JSON ``[[mode, exchange
type, token], …]``, written at the start and at every change (a reconnect re-sends it); ``LINK``
is JSON ``{"event": "connected" | "disconnected"}`` — a reconnect is a gap between the two.

Invariants:
- Append-only, one ``os.write`` per flush of whole records; a process killed mid-write leaves at
  most one torn record at the tail, which ``read_recording`` skips and counts, never raising.
- The writer flushes when ``FLUSH_BYTES`` are buffered, when ``flush_ms`` passed since the last
  flush (checked on every record and by ``poll()``), and on ``close()``, which also fsyncs. A
  ``kill -9`` loses at most the records of the last ``flush_ms``; a power cut may lose what the
  OS had not written (no fsync per flush: a feed records thousands of frames a second).
- Ticks are public market data and the header holds no secret (URLs are stripped of user info
  and query), so the file gets the ordinary 0644 (less the umask) and no private folder. An
  existing file is never overwritten.
- Nothing here touches the network, a clock other than the injected one, or the client.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from angelctl.errors import UsageError

MAGIC = b"ANGELREC"
VERSION = 1
FRAME, SUBSCRIPTIONS, LINK = 1, 2, 3
RECORD_TYPES = {FRAME: "frame", SUBSCRIPTIONS: "subscriptions", LINK: "link"}
MAX_RECORD = 1 << 24  # a length beyond this is damage, not a record
MAX_HEADER = 1 << 24
FLUSH_BYTES = 1 << 16
FLUSH_MS = 200

_PREFIX = struct.Struct("<8sHI")  # magic, version, header length
_LENGTH = struct.Struct("<I")
_TIMES = struct.Struct("<qq")  # wall ns since the epoch (UTC), monotonic ns
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RecordingError(UsageError):
    """A file that is not a readable recording (missing, not one, or its header damaged)."""


class _Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Record:
    type: int
    wall_ns: int
    mono_ns: int
    payload: bytes

    @property
    def wall(self) -> datetime:
        return _EPOCH + timedelta(microseconds=self.wall_ns // 1000)

    def json(self) -> Any:
        """The payload of a SUBSCRIPTIONS or LINK record."""
        return json.loads(self.payload)


@dataclass
class Recording:
    """A recording read whole: header, the complete records, and what was left off the tail."""

    path: Path
    header: dict[str, Any]
    records: list[Record] = field(default_factory=list)
    torn_records: int = 0  # 1 when the tail held an incomplete or CRC-failing record
    torn_bytes: int = 0  # bytes after the last good record

    @property
    def frames(self) -> list[Record]:
        return [r for r in self.records if r.type == FRAME]


def encode_record(kind: int, wall_ns: int, mono_ns: int, payload: bytes) -> bytes:
    body = bytes([kind]) + _TIMES.pack(wall_ns, mono_ns) + payload
    return _LENGTH.pack(len(body)) + body + _LENGTH.pack(zlib.crc32(body))


def encode_header(header: dict[str, Any]) -> bytes:
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    return _PREFIX.pack(MAGIC, VERSION, len(text)) + text + _LENGTH.pack(zlib.crc32(text))


def public_url(url: str) -> str:
    """``url`` without user info, query or fragment (a header never carries a secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def wall_ns(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


class RecordingWriter:
    """Append records to a new recording; thread-safe (the feed thread and the command's)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        header: dict[str, Any],
        *,
        clock: _Clock,
        flush_ms: float = FLUSH_MS,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._flush_s = flush_ms / 1000.0
        self._lock = threading.Lock()
        self._buffer = bytearray()
        self.records = 0
        self.frames = 0
        header = {"format": "angelctl-recording", "version": VERSION, **header}
        header.setdefault("created_at", clock.now().isoformat())
        try:
            self._fd: int | None = os.open(
                self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644
            )
        except FileExistsError:
            raise RecordingError(
                f"{self.path} already exists",
                hint="record to a new file (a recording is never overwritten)",
            ) from None
        except OSError as exc:
            raise RecordingError(f"cannot create {self.path}: {exc.strerror}") from None
        os.write(self._fd, encode_header(header))
        self._flushed_at = clock.monotonic()

    # ---------------------------------------------------------------- records

    def frame(self, payload: bytes) -> None:
        """One binary feed message exactly as received, stamped now."""
        self._append(FRAME, payload)
        self.frames += 1

    def subscriptions(self, keys: Iterable[tuple[int, int, str]]) -> None:
        """The whole subscription set the server now has: ``(mode, exchange type, token)``."""
        rows = sorted([int(m), int(e), str(t)] for m, e, t in keys)
        self._append(SUBSCRIPTIONS, json.dumps(rows, separators=(",", ":")).encode())

    def link(self, event: str) -> None:
        """``connected`` or ``disconnected``: a reconnect shows as a gap between the two."""
        self._append(LINK, json.dumps({"event": event}).encode())

    def _append(self, kind: int, payload: bytes) -> None:
        clock = self._clock
        mono = clock.monotonic()
        data = encode_record(kind, wall_ns(clock.now()), int(mono * 1e9), payload)
        with self._lock:
            if self._fd is None:
                return
            self._buffer += data
            self.records += 1
            if len(self._buffer) >= FLUSH_BYTES or mono - self._flushed_at >= self._flush_s:
                self._flush(mono)

    # ---------------------------------------------------------------- flushing

    def poll(self) -> None:
        """Flush if ``flush_ms`` passed since the last flush (the command's loop calls this)."""
        mono = self._clock.monotonic()
        with self._lock:
            if self._buffer and mono - self._flushed_at >= self._flush_s:
                self._flush(mono)

    def _flush(self, mono: float) -> None:
        if self._buffer and self._fd is not None:
            os.write(self._fd, self._buffer)  # whole records in one write
            self._buffer.clear()
        self._flushed_at = mono

    def close(self) -> None:
        """Flush, fsync and close; idempotent."""
        with self._lock:
            if self._fd is None:
                return
            self._flush(self._clock.monotonic())
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_recording(
    path: str | os.PathLike[str], header: dict[str, Any], records: Iterable[Record]
) -> int:
    """Write a whole recording made elsewhere (a derived one: ``bench/make_recording.py``);
    refuses an existing file like the writer. Returns the number of bytes written."""
    header = {"format": "angelctl-recording", "version": VERSION, **header}
    data = bytearray(encode_header(header))
    for r in records:
        data += encode_record(r.type, r.wall_ns, r.mono_ns, r.payload)
    with open(path, "xb") as handle:
        handle.write(data)
    return len(data)


# ---------------------------------------------------------------------- reading


def read_header(data: bytes, path: Path) -> tuple[dict[str, Any], int]:
    """The header and the offset of the first record; ``RecordingError`` if not a recording."""
    if len(data) < _PREFIX.size or data[:8] != MAGIC:
        raise RecordingError(
            f"{path} is not an angelctl recording",
            hint="record one with `angelctl stream SYMBOL --record FILE`",
        )
    _, version, length = _PREFIX.unpack_from(data)
    if version != VERSION:
        raise RecordingError(
            f"{path} is a recording of format version {version}; this reads {VERSION}"
        )
    end = _PREFIX.size + length
    if length > MAX_HEADER or len(data) < end + 4:
        raise RecordingError(f"{path}: the recording's header is damaged (the file is cut short)")
    text = data[_PREFIX.size : end]
    if zlib.crc32(text) != _LENGTH.unpack_from(data, end)[0]:
        raise RecordingError(f"{path}: the recording's header is damaged (checksum)")
    try:
        header = json.loads(text)
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise RecordingError(f"{path}: the recording's header is damaged (not JSON)")
    return header, end + 4


def iter_records(data: bytes, offset: int) -> Iterator[Record | int]:
    """The complete records from ``offset``; at the first bad one, yields its offset and stops."""
    size, times = len(data), _TIMES.size
    while offset < size:
        if offset + 4 > size:
            yield offset
            return
        (length,) = _LENGTH.unpack_from(data, offset)
        end = offset + 4 + length
        if length < 1 + times or length > MAX_RECORD or end + 4 > size:
            yield offset
            return
        body = data[offset + 4 : end]
        if zlib.crc32(body) != _LENGTH.unpack_from(data, end)[0]:
            yield offset
            return
        wall, mono = _TIMES.unpack_from(body, 1)
        yield Record(body[0], wall, mono, body[1 + times :])
        offset = end + 4


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read a whole recording; a torn or damaged tail is counted in ``torn_*``, never raised."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such recording") from None
    except OSError as exc:
        raise RecordingError(f"cannot read {path}: {exc.strerror}") from None
    header, offset = read_header(data, path)
    recording = Recording(path, header)
    for item in iter_records(data, offset):
        if isinstance(item, int):
            recording.torn_records, recording.torn_bytes = 1, len(data) - item
            break
        recording.records.append(item)
    return recording
