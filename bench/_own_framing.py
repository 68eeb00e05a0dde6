"""The hand-written frame parser this branch first wrote (commit 2e048c1), kept as a reference.

``OwnFrameParser`` has ``feed.framing.FrameParser``'s interface and events but parses the
frames itself (a fast path of one test per unfragmented binary frame). The product uses the
wsproto adapter in ``feed.framing``; this parser exists so ``bench/ws_framing_bench.py`` and
``bench/feed_e2e.py --framing own`` can show what that choice costs, side by side.
"""

from __future__ import annotations

from angelctl.feed.framing import (
    CLOSE_INVALID_DATA,
    DEFAULT_MAX_MESSAGE_BYTES,
    BinaryMessage,
    CloseReceived,
    Event,
    MessageTooBig,
    Ping,
    Pong,
    RemoteProtocolError,
    Role,
    TextMessage,
    close_code_allowed,
)

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_DATA_OPCODES = frozenset({OP_TEXT, OP_BINARY})
_CONTROL_OPCODES = frozenset({OP_CLOSE, OP_PING, OP_PONG})
_FIN_BINARY = 0x80 | OP_BINARY
MAX_CONTROL_PAYLOAD = 125


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


class OwnFrameParser:
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
