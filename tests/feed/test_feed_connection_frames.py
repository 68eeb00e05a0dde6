"""The connection meets frames no well-behaved server sends: a raw-socket server (real loopback,
a real HTTP upgrade) writes hand-made bytes after the handshake. Checks that the connection
answers a ping inside a fragmented message, joins the fragments, masks what it sends, and ends
(then reconnects) on a masked frame, an oversize message or a close frame, with the cause."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from angelctl.feed.connection import MAX_MESSAGE_BYTES, Heartbeat, LinkStats
from angelctl.feed.framing import (
    CloseReceived,
    Event,
    FrameParser,
    FrameWriter,
    Ping,
    Pong,
    TextMessage,
)
from angelctl.feed.reconnect import ReconnectingSocket
from tests.feed_servers import client_options, fake_auth

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def raw(b0: int, payload: bytes) -> bytes:
    return bytes([b0, len(payload)]) + payload


class RawServer:
    """Accepts upgrades; sends ``scripts[n]`` on the n-th connection (the last one repeats),
    then records every byte the client sends until it closes."""

    def __init__(self, scripts: list[bytes]) -> None:
        self.scripts = scripts
        self.received: list[bytearray] = []
        self.changed = threading.Condition()  # notified on every byte received and at EOF
        self.closed = 0  # connections the client has closed
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            index = min(len(self.received), len(self.scripts) - 1)
            got = bytearray()
            with self.changed:
                self.received.append(got)
            threading.Thread(target=self._talk, args=(conn, index, got), daemon=True).start()

    def _talk(self, conn: socket.socket, index: int, got: bytearray) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            key = next(
                line.split(b":", 1)[1].strip()
                for line in request.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest())
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            with contextlib.suppress(OSError):  # the client may drop mid-script (oversize)
                conn.sendall(self.scripts[index])
            while data := _recv(conn):
                with self.changed:
                    got += data
                    self.changed.notify_all()
        with self.changed:
            self.closed += 1
            self.changed.notify_all()

    def sent(self, connection: int) -> list[Event]:
        """What the client sent on a connection so far, parsed as a server would (refusing any
        unmasked frame)."""
        with self.changed:
            data = bytes(self.received[connection]) if len(self.received) > connection else b""
        return FrameParser(role="server").feed(data)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/smart-stream"


def _recv(conn: socket.socket) -> bytes:
    try:
        return conn.recv(65536)
    except OSError:
        return b""


@contextmanager
def raw_server(scripts: list[bytes]) -> Iterator[RawServer]:
    server = RawServer(scripts)
    server.thread.start()
    try:
        yield server
    finally:
        server.listener.close()


class Recorder(ReconnectingSocket):
    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, fake_auth(), **client_options(**options))
        self.texts: list[str] = []
        self.binaries: list[bytes] = []
        self.got_text = threading.Event()

    def _on_binary(self, payload: bytes) -> None:
        self.binaries.append(payload)

    def _on_text(self, text: str) -> None:
        self.texts.append(text)
        self.got_text.set()


def test_a_ping_inside_a_fragmented_message_is_answered_and_the_message_joined() -> None:
    text = raw(0x01, b"hel") + raw(0x89, b"p1") + raw(0x00, b"lo ") + raw(0x80, "wörld".encode())
    script = raw(0x82, b"\x07") + text  # the binary first: processed before the text
    with raw_server([script]) as server, Recorder(server.url()) as client:
        assert client.got_text.wait(10)
        assert client.texts == ["hello wörld"] and client.binaries == [b"\x07"]
        assert client.stats.frames == 5
        # the pong went out before the text was handed over; masked, or this parse would fail
        assert server.wait_for(lambda: Pong(b"p1") in server.sent(0))


def test_heartbeats_and_the_closing_frame_go_out_masked() -> None:
    fast = Heartbeat(text_ping_every=0.01, protocol_ping_every=0.01, stale_after=5.0)
    with raw_server([b""]) as server:
        client = Recorder(server.url(), heartbeat=fast).start()
        try:
            assert server.wait_for(
                lambda: all(e in server.sent(0) for e in (TextMessage("ping"), Ping(b"")))
            )
        finally:
            client.stop()
        assert server.wait_for(lambda: server.closed == 1)
        assert server.sent(0)[-1] == CloseReceived(1000, "")


def _drops_with(cause: str, bad: bytes) -> LinkStats:
    good = raw(0x81, b"second connection")
    with raw_server([bad, good]) as server, Recorder(server.url()) as client:
        assert client.got_text.wait(15)
        stats = client.snapshot()
    assert stats.causes[cause] == 1 and stats.connects >= 2 and stats.reconnects >= 1
    assert client.texts[0] == "second connection"
    return stats


def test_a_masked_frame_from_the_server_ends_the_connection_as_a_protocol_error() -> None:
    masked = bytes([0x81, 0x80 | 2]) + b"\x00\x00\x00\x00" + b"hi"
    _drops_with("protocol", masked)


def test_a_message_over_the_size_limit_ends_the_connection_before_it_is_buffered() -> None:
    size = MAX_MESSAGE_BYTES + 1
    header = bytes([0x82, 127]) + size.to_bytes(8, "big")
    _drops_with("protocol", header + b"\x00" * size)


def test_reserved_bits_end_the_connection_as_a_protocol_error() -> None:
    _drops_with("protocol", raw(0xC2, b"x"))


def test_a_close_frame_from_the_server_ends_the_connection_and_it_reconnects() -> None:
    _drops_with("close-frame", FrameWriter(role="server").close(1001, "going away"))
