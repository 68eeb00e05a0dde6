"""WebSocket framing (RFC 6455 §5) for the feeds: a thin adapter over wsproto's frame protocol.

Sans-I/O: no sockets, no threads, no clock. ``FrameParser.feed(data)`` takes whatever bytes
arrived (any chunking) and returns the complete events they finish; ``FrameWriter`` turns
messages into the bytes to send. The handshake is not here (``feed.upgrade`` does it). The
frame work itself (header parsing, masking, length encodings, RSV bits, opcodes, control-frame
rules, close codes, incremental UTF-8) is wsproto's ``FrameProtocol``; this module adds what the
feeds need on top: whole messages (wsproto hands over a frame cut by a ``recv`` boundary in
pieces), a size limit, our event and error types, and send-side checks.

Events: ``BinaryMessage``, ``TextMessage`` (whole messages, fragments joined), ``Ping``,
``Pong``, ``CloseReceived``. Errors: ``RemoteProtocolError`` (the peer sent something RFC 6455
forbids; ``MessageTooBig`` is one) and ``LocalProtocolError`` (we were asked to build a frame
RFC 6455 forbids). Each carries ``close_code``, the status to close the connection with.

Invariants:
- A parser holds at most ``max_message_bytes`` of one message plus one ``recv`` of input: a
  message whose pieces add up to more raises ``MessageTooBig`` (close code 1009) as they arrive.
- Frames from a server must be unmasked and frames from a client masked (``role`` is our side);
  the writer masks exactly when ``role == "client"``, with a fresh random key per frame.
- No extension is negotiated, so any RSV bit, a reserved opcode, a fragmented or > 125-byte
  control frame, a continuation with no message open (or a new message inside one), a length
  not minimally encoded or with the 64-bit MSB set, a close code that may not travel, and text
  (or a close reason) that is not UTF-8 are all ``RemoteProtocolError``.
- Control frames may arrive between the fragments of a message and are returned in arrival
  order, before the message they interrupt.
- After a ``RemoteProtocolError`` or a ``CloseReceived`` the parser is finished: ``feed``
  discards whatever else arrives (the connection is over; RFC 6455 §5.5.1).

Why wsproto (issue 14: use the maintained library unless it misses the CPU target), measured
side by side on a loaded two-core machine, Python 3.11, wsproto 1.3.2:
- ``bench/ws_framing_bench.py`` (20 000 server frames, one real-size tick each, 64 KiB chunks),
  µs per frame, framing only: this adapter 6.4 (QUOTE) / 6.6 (SNAP_QUOTE); wsproto's own
  ``Connection`` events 7.6 / 10.6; the hand-written parser this module first was
  (``bench/_own_framing.py``) 0.42 / 0.75; main's former inline parser 0.21 / 0.39.
- ``bench/feed_e2e.py --seconds 20`` (1 000 tokens × 10 QUOTE ticks/s, sandbox in a child
  process), feed-thread CPU in alternating runs: this adapter 7.3 % and 7.5 % of a core, the
  hand-written parser 3.2 % and 3.0 %; 10 000 ticks/s received either way, no drops.
The target is < 60 % of a core at 10 000 ticks/s, so wsproto meets it with room to spare; the
per-frame cost it adds (about 6 µs) buys a parser maintained and fuzzed by others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from wsproto.frame_protocol import CloseReason, Frame, FrameProtocol, Opcode, ParseFailed

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


class FrameParser:
    """Incremental frame reader; ``frames`` counts every whole frame parsed (control included)."""

    def __init__(
        self, *, role: Role = "client", max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    ) -> None:
        self.role = role
        self.max_message_bytes = max_message_bytes
        self.frames = 0
        self.finished = False
        self._proto = FrameProtocol(client=role == "client", extensions=[])
        self._parts: list[bytes] | list[str] = []  # pieces of the message being received
        self._size = 0

    def feed(self, data: bytes) -> list[Event]:
        """Take the bytes that arrived; return the events they complete, in order."""
        if self.finished:
            return []
        self._proto.receive_bytes(data)
        events: list[Event] = []
        try:
            for frame in self._proto.received_frames():
                if frame.frame_finished:
                    self.frames += 1
                if frame.opcode is _BINARY and frame.message_finished and not self._parts:
                    payload = cast(bytes, frame.payload)  # the common case: a whole binary frame
                    if len(payload) > self.max_message_bytes:
                        raise MessageTooBig(len(payload), self.max_message_bytes)
                    events.append(BinaryMessage(payload))
                    continue
                event = self._frame(frame)
                if event is not None:
                    events.append(event)
                    if type(event) is CloseReceived:
                        self.finished = True
                        break
        except ParseFailed as exc:
            self._fail()
            raise RemoteProtocolError(str(exc), int(exc.code)) from None
        except RemoteProtocolError:
            self._fail()
            raise
        return events

    def _fail(self) -> None:
        self.finished = True
        self._parts, self._size = [], 0

    def _frame(self, frame: Frame) -> Event | None:
        """Everything but the fast path: control frames and pieces of a message."""
        opcode, payload = frame.opcode, frame.payload
        if opcode is Opcode.PING:
            return Ping(cast(bytes, payload))
        if opcode is Opcode.PONG:
            return Pong(cast(bytes, payload))
        if opcode is Opcode.CLOSE:
            code, reason = cast(tuple[int, str], payload)
            return CloseReceived(None if code == CloseReason.NO_STATUS_RCVD else int(code), reason)
        assert not isinstance(payload, tuple)
        self._size += len(payload)
        if self._size > self.max_message_bytes:
            raise MessageTooBig(self._size, self.max_message_bytes)
        self._parts.append(payload)  # type: ignore[arg-type]
        if not frame.message_finished:
            return None
        parts, self._parts, self._size = self._parts, [], 0
        if opcode is Opcode.TEXT:
            return TextMessage("".join(parts))  # type: ignore[arg-type]
        return BinaryMessage(b"".join(parts))  # type: ignore[arg-type]


_BINARY = Opcode.BINARY


class FrameWriter:
    """Builds frames to send; masks them when ``role == "client"`` (RFC 6455 §5.3).

    Checks what wsproto would let through or silently change (a control payload over 125 bytes,
    a close code that may not travel, a close reason over 123 bytes, text and binary mixed in
    one fragmented message, a message over ``max_message_bytes``) and raises
    ``LocalProtocolError`` before a byte is produced.
    """

    def __init__(self, *, role: Role = "client", max_message_bytes: int | None = None) -> None:
        self.role = role
        self.max_message_bytes = max_message_bytes
        self._proto = FrameProtocol(client=role == "client", extensions=[])
        self._open: type | None = None  # str or bytes: the fragmented message being sent

    def text(self, text: str) -> bytes:
        return self.message(text)

    def binary(self, data: bytes) -> bytes:
        return self.message(bytes(data))

    def message(self, data: str | bytes, *, fin: bool = True) -> bytes:
        """A whole message; with ``fin=False``, the first or next fragment of one."""
        kind = type(data)
        if self._open is not None and self._open is not kind:
            raise LocalProtocolError("text and binary mixed in one fragmented message")
        limit = self.max_message_bytes
        if limit is not None and len(data) > limit:
            raise LocalProtocolError(f"message of {len(data)} bytes exceeds {limit}")
        self._open = None if fin else kind
        return bytes(self._proto.send_data(data, fin))

    def ping(self, payload: bytes = b"") -> bytes:
        _control_payload(payload)
        return bytes(self._proto.ping(payload))

    def pong(self, payload: bytes = b"") -> bytes:
        _control_payload(payload)
        return bytes(self._proto.pong(payload))

    def close(self, code: int | None = CLOSE_NORMAL, reason: str = "") -> bytes:
        if code is None:
            if reason:
                raise LocalProtocolError("a close reason needs a close code")
            return bytes(self._proto.close())
        if not close_code_allowed(code):
            raise LocalProtocolError(f"close code {code} may not be sent")
        _control_payload(b"..", reason.encode("utf-8"))
        return bytes(self._proto.close(code, reason))


def _control_payload(*pieces: bytes) -> None:
    size = sum(len(piece) for piece in pieces)
    if size > MAX_CONTROL_PAYLOAD:
        raise LocalProtocolError(f"control payload of {size} bytes (max 125)")
