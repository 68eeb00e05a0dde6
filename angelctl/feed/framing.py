"""Sans-I/O WebSocket framing (RFC 6455 §5): bytes in, events out; frames in, bytes out.

No sockets, no threads, no clock: ``FrameParser.feed(data)`` takes whatever bytes arrived (any
chunking) and returns the complete events they finish; ``FrameWriter`` turns messages into
the bytes to send. The handshake is not here (the connection does it). Used by
``feed.connection`` on the client side; a server may use it with ``role="server"``.

Events: ``BinaryMessage``, ``TextMessage`` (whole messages, fragments joined), ``Ping``,
``Pong``, ``CloseReceived``. Errors: ``RemoteProtocolError`` (the peer sent something RFC 6455
forbids; ``MessageTooBig`` is one) and ``LocalProtocolError`` (we were asked to build a frame
RFC 6455 forbids). Each carries ``close_code``, the status to close the connection with.

Invariants:
- A parser never buffers more than ``max_message_bytes`` of payload plus one frame header: a
  frame or a fragmented message that declares or reaches more raises ``MessageTooBig`` as soon
  as its header is read, before its payload arrives.
- Frames from a server must be unmasked and frames from a client masked (``role`` is our side);
  the writer masks exactly when ``role == "client"``, with a fresh 4-byte key per frame.
- No extension is negotiated, so any RSV bit, a reserved opcode (3–7, 0xB–0xF), a control frame
  that is fragmented or longer than 125 bytes, a continuation with no message open, a new
  message inside an open one, a length that is not minimally encoded or has the 64-bit MSB set,
  a close code that may not be sent on the wire, and a text message (or close reason) that is
  not UTF-8 are all protocol errors.
- Control frames may arrive between the fragments of a message and are returned in arrival
  order, before the message they interrupt.
- After a ``RemoteProtocolError`` or a ``CloseReceived`` the parser is finished: ``feed``
  discards whatever else arrives (the connection is over; RFC 6455 §5.5.1).

Why not wsproto: measured side by side with ``bench/ws_framing_bench.py`` (server frames of
real-size QUOTE and SNAP_QUOTE ticks fed in 64 KiB chunks, parse + ``feed.decode``), wsproto
1.2 spends several times this parser's CPU per tick (its per-frame event objects, the
incremental UTF-8/fragment machinery run for every binary frame, and a ``bytearray`` buffer
copied per frame). Figures are in the bench's output and the branch report; the fast path here
is one index check per unfragmented binary frame.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DEFAULT_MAX_MESSAGE_BYTES",
    "OP_BINARY",
    "OP_CLOSE",
    "OP_CONT",
    "OP_PING",
    "OP_PONG",
    "OP_TEXT",
    "BinaryMessage",
    "CloseReceived",
    "Event",
    "FrameParser",
    "FrameWriter",
    "LocalProtocolError",
    "MessageTooBig",
    "Ping",
    "Pong",
    "ProtocolError",
    "RemoteProtocolError",
    "TextMessage",
    "close_code_allowed",
]

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_DATA_OPCODES = frozenset({OP_TEXT, OP_BINARY})
_CONTROL_OPCODES = frozenset({OP_CLOSE, OP_PING, OP_PONG})
_FIN_BINARY = 0x80 | OP_BINARY
MAX_CONTROL_PAYLOAD = 125
DEFAULT_MAX_MESSAGE_BYTES = 1 << 20

# close status codes (RFC 6455 §7.4)
CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_INVALID_DATA = 1007
CLOSE_TOO_BIG = 1009

Role = Literal["client", "server"]


class ProtocolError(Exception):
    """A frame RFC 6455 forbids; ``close_code`` is the status to close the connection with."""

    def __init__(self, message: str, close_code: int = CLOSE_PROTOCOL_ERROR) -> None:
        super().__init__(message)
        self.close_code = close_code


class RemoteProtocolError(ProtocolError):
    """The peer sent a bad frame; the connection must be failed."""


class MessageTooBig(RemoteProtocolError):
    """A frame or message longer than ``max_message_bytes`` (close code 1009)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"message of {size} bytes exceeds the {limit}-byte limit", CLOSE_TOO_BIG)
        self.size = size
        self.limit = limit


class LocalProtocolError(ProtocolError):
    """We were asked to build a frame RFC 6455 forbids (a bug on our side, nothing was sent)."""


@dataclass(slots=True)
class BinaryMessage:
    data: bytes


@dataclass(slots=True)
class TextMessage:
    text: str


@dataclass(slots=True)
class Ping:
    payload: bytes


@dataclass(slots=True)
class Pong:
    payload: bytes


@dataclass(slots=True)
class CloseReceived:
    code: int | None  # None: the close frame carried no status
    reason: str = ""


Event = BinaryMessage | TextMessage | Ping | Pong | CloseReceived


def close_code_allowed(code: int) -> bool:
    """Whether ``code`` may travel in a close frame (RFC 6455 §7.4.1, IANA registry)."""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def _apply_mask(payload: bytes, key: bytes) -> bytes:
    """XOR with the repeated 4-byte key (one big-integer XOR, no per-byte Python loop)."""
    n = len(payload)
    if not n:
        return payload
    repeated = (key * (n // 4 + 1))[:n]
    value = int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")
    return value.to_bytes(n, "big")


def _parse_close(payload: bytes) -> CloseReceived:
    if not payload:
        return CloseReceived(None)
    if len(payload) == 1:
        raise RemoteProtocolError("close frame with a 1-byte payload")
    code = int.from_bytes(payload[:2], "big")
    if not close_code_allowed(code):
        raise RemoteProtocolError(f"close code {code} may not be sent")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise RemoteProtocolError("close reason is not UTF-8", CLOSE_INVALID_DATA) from None
    return CloseReceived(code, reason)


class FrameParser:
    """Incremental frame reader; ``frames`` counts every frame parsed (control ones included)."""

    def __init__(
        self, *, role: Role = "client", max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    ) -> None:
        self.role = role
        self.max_message_bytes = max_message_bytes
        self.frames = 0
        self.finished = False
        self._buf = b""
        self._opcode = 0  # the open fragmented message's opcode, 0 when none is open
        self._fragments: list[bytes] = []
        self._fragment_bytes = 0

    def feed(self, data: bytes) -> list[Event]:
        """Take the bytes that arrived; return the events they complete, in order.

        One loop on purpose (~60 lines): this is the per-frame hot path, and the common case (an
        unfragmented, unmasked binary frame under 126 bytes of header length) costs one test.
        """
        if self.finished:
            return []
        buf = self._buf + data if self._buf else data
        size = len(buf)
        pos = 0
        events: list[Event] = []
        server = self.role == "server"
        want_mask = 0x80 if server else 0
        fast = -1 if server else _FIN_BINARY  # the masked path never takes the shortcut
        limit = self.max_message_bytes
        try:
            while size - pos >= 2:
                b0 = buf[pos]
                length = buf[pos + 1]
                start = pos + 2
                if length & 0x80 != want_mask:
                    raise RemoteProtocolError(
                        "unmasked frame from a client" if server else "masked frame from a server"
                    )
                length &= 0x7F
                if length >= 126:
                    header = self._extended_length(buf, pos, length)
                    if header is None:
                        break
                    start, length = header
                if length > limit or (
                    self._fragment_bytes and not b0 & 0x08 and length + self._fragment_bytes > limit
                ):
                    raise MessageTooBig(length + self._fragment_bytes, limit)
                key = b""
                if server:
                    key, start = buf[start : start + 4], start + 4
                end = start + length
                if end > size:
                    break
                pos = end
                self.frames += 1
                if b0 == fast and not self._opcode:
                    events.append(BinaryMessage(buf[start:end]))
                    continue
                payload = buf[start:end]
                if server:
                    payload = _apply_mask(payload, key)
                event = self._frame(b0, payload)
                if event is not None:
                    events.append(event)
                    if type(event) is CloseReceived:
                        self.finished = True
                        break
        except RemoteProtocolError:
            self.finished = True
            self._buf, self._fragments = b"", []
            raise
        self._buf = buf[pos:] if pos < size and not self.finished else b""
        return events

    @staticmethod
    def _extended_length(buf: bytes, pos: int, marker: int) -> tuple[int, int] | None:
        """(payload start, length) of a 16- or 64-bit length, or None until it has arrived."""
        if marker == 126:
            if len(buf) - pos < 4:
                return None
            length = (buf[pos + 2] << 8) | buf[pos + 3]
            if length < 126:
                raise RemoteProtocolError("16-bit length that fits in 7 bits")
            return pos + 4, length
        if len(buf) - pos < 10:
            return None
        length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
        if length >> 63:
            raise RemoteProtocolError("64-bit length with the most significant bit set")
        if length < 1 << 16:
            raise RemoteProtocolError("64-bit length that fits in 16 bits")
        return pos + 10, length

    def _frame(self, b0: int, payload: bytes) -> Event | None:
        """Everything but the fast path: RSV bits, opcodes, fragments, control frames."""
        if b0 & 0x70:
            raise RemoteProtocolError(f"reserved bits set ({b0 & 0x70:#x}) without an extension")
        opcode = b0 & 0x0F
        fin = bool(b0 & 0x80)
        if opcode in _CONTROL_OPCODES:
            if not fin:
                raise RemoteProtocolError("fragmented control frame")
            if len(payload) > MAX_CONTROL_PAYLOAD:
                raise RemoteProtocolError(f"control frame of {len(payload)} bytes (max 125)")
            if opcode == OP_PING:
                return Ping(payload)
            if opcode == OP_PONG:
                return Pong(payload)
            return _parse_close(payload)
        if opcode == OP_CONT:
            if not self._opcode:
                raise RemoteProtocolError("continuation frame with no message open")
        elif opcode in _DATA_OPCODES:
            if self._opcode:
                raise RemoteProtocolError("new message before the open one finished")
            self._opcode = opcode
        else:
            raise RemoteProtocolError(f"reserved opcode {opcode:#x}")
        self._fragment_bytes += len(payload)
        if self._fragment_bytes > self.max_message_bytes:
            raise MessageTooBig(self._fragment_bytes, self.max_message_bytes)
        self._fragments.append(payload)
        if not fin:
            return None
        message = self._fragments[0] if len(self._fragments) == 1 else b"".join(self._fragments)
        kind, self._opcode, self._fragments, self._fragment_bytes = self._opcode, 0, [], 0
        if kind == OP_BINARY:
            return BinaryMessage(message)
        try:
            return TextMessage(message.decode("utf-8"))
        except UnicodeDecodeError:
            raise RemoteProtocolError("text message is not UTF-8", CLOSE_INVALID_DATA) from None


class FrameWriter:
    """Builds frames to send; masks them when ``role == "client"`` (RFC 6455 §5.3).

    ``mask_key`` supplies the 4-byte key of each frame (default ``os.urandom``; tests pass a
    fixed one). Tracks the fragmented message being sent so a misuse raises
    ``LocalProtocolError`` before a byte is produced.
    """

    def __init__(
        self,
        *,
        role: Role = "client",
        mask_key: Callable[[int], bytes] = os.urandom,
        max_message_bytes: int | None = None,
    ) -> None:
        self.role = role
        self._mask_key = mask_key
        self.max_message_bytes = max_message_bytes
        self._sending: int = 0  # opcode of the fragmented message being sent

    def text(self, text: str) -> bytes:
        return self.frame(OP_TEXT, text.encode("utf-8"))

    def binary(self, data: bytes) -> bytes:
        return self.frame(OP_BINARY, bytes(data))

    def ping(self, payload: bytes = b"") -> bytes:
        return self.frame(OP_PING, payload)

    def pong(self, payload: bytes = b"") -> bytes:
        return self.frame(OP_PONG, payload)

    def close(self, code: int | None = CLOSE_NORMAL, reason: str = "") -> bytes:
        if code is None:
            if reason:
                raise LocalProtocolError("a close reason needs a close code")
            return self.frame(OP_CLOSE, b"")
        if not close_code_allowed(code):
            raise LocalProtocolError(f"close code {code} may not be sent")
        return self.frame(OP_CLOSE, code.to_bytes(2, "big") + reason.encode("utf-8"))

    def frame(self, opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
        """One frame; ``fin=False`` / ``OP_CONT`` send a message in fragments."""
        self._check(opcode, payload, fin)
        n = len(payload)
        head = bytearray([(0x80 if fin else 0) | opcode])
        masked = 0x80 if self.role == "client" else 0
        if n < 126:
            head.append(masked | n)
        elif n < 1 << 16:
            head.append(masked | 126)
            head += n.to_bytes(2, "big")
        else:
            head.append(masked | 127)
            head += n.to_bytes(8, "big")
        if masked:
            key = self._mask_key(4)
            return bytes(head) + key + _apply_mask(payload, key)
        return bytes(head) + payload

    def _check(self, opcode: int, payload: bytes, fin: bool) -> None:
        if opcode in _CONTROL_OPCODES:
            if not fin:
                raise LocalProtocolError("control frames cannot be fragmented")
            if len(payload) > MAX_CONTROL_PAYLOAD:
                raise LocalProtocolError(f"control payload of {len(payload)} bytes (max 125)")
            return
        limit = self.max_message_bytes
        if limit is not None and len(payload) > limit:
            raise LocalProtocolError(f"frame of {len(payload)} bytes exceeds {limit}")
        if opcode == OP_CONT:
            if not self._sending:
                raise LocalProtocolError("continuation frame with no message open")
        elif opcode in _DATA_OPCODES:
            if self._sending:
                raise LocalProtocolError("new message before the open one finished")
            self._sending = opcode
        else:
            raise LocalProtocolError(f"reserved opcode {opcode:#x}")
        if fin:
            self._sending = 0
