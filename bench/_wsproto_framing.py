"""A thin wsproto adapter with ``feed.framing.FrameParser``'s interface, for side-by-side runs.

``WsprotoParser(max_message_bytes=…)`` feeds bytes to a wsproto client ``Connection`` (framing
only, no handshake) and turns its events into ``feed.framing`` events: partial messages are
joined (wsproto hands over a frame cut by a ``recv`` boundary in pieces), the size limit is
enforced on the pieces, and a parse failure (wsproto reports it as a ``CloseConnection`` with
its close code, not an exception) becomes ``RemoteProtocolError``. ``frames`` counts events.
Needs ``pip install wsproto``; angelctl itself does not depend on it.
"""

from __future__ import annotations

from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection
from wsproto.events import Ping as WsPing
from wsproto.events import Pong as WsPong
from wsproto.events import TextMessage as WsText

from angelctl.feed.framing import (
    BinaryMessage,
    CloseReceived,
    Event,
    MessageTooBig,
    Ping,
    Pong,
    RemoteProtocolError,
    TextMessage,
)

_PARSE_FAILURE_CODES = frozenset({1002, 1007, 1009})


class WsprotoParser:
    def __init__(self, *, max_message_bytes: int = 1 << 20) -> None:
        self._conn = Connection(ConnectionType.CLIENT)
        self.max_message_bytes = max_message_bytes
        self.frames = 0
        self._parts: list[bytes | str] = []
        self._size = 0

    def feed(self, data: bytes) -> list[Event]:
        self._conn.receive_data(data)
        out: list[Event] = []
        for event in self._conn.events():
            kind = type(event)
            if kind is BytesMessage or kind is WsText:
                message = self._message(event)  # type: ignore[arg-type]
                if message is not None:
                    out.append(message)
            elif kind is WsPing:
                self.frames += 1
                out.append(Ping(bytes(event.payload)))  # type: ignore[attr-defined]
            elif kind is WsPong:
                self.frames += 1
                out.append(Pong(bytes(event.payload)))  # type: ignore[attr-defined]
            elif kind is CloseConnection:
                code, reason = event.code, event.reason or ""  # type: ignore[attr-defined]
                if code in _PARSE_FAILURE_CODES:
                    raise RemoteProtocolError(reason, code)
                out.append(CloseReceived(code, reason))
        return out

    def _message(self, event: BytesMessage | WsText) -> Event | None:
        data = event.data
        if not event.message_finished or self._parts:
            self._size += len(data)
            if self._size > self.max_message_bytes:
                raise MessageTooBig(self._size, self.max_message_bytes)
            self._parts.append(bytes(data) if isinstance(data, bytearray) else data)
            if not event.message_finished:
                return None
            parts, self._parts, self._size = self._parts, [], 0
            data = "".join(parts) if isinstance(data, str) else b"".join(parts)  # type: ignore[arg-type]
        elif len(data) > self.max_message_bytes:
            raise MessageTooBig(len(data), self.max_message_bytes)
        self.frames += 1
        if isinstance(data, str):
            return TextMessage(data)
        return BinaryMessage(bytes(data))
