"""One live WebSocket connection: read, answer, heartbeat, watchdog — shared by both feeds.

``LiveSocket`` serves one upgraded connection on the thread that ``feed.reconnect``'s
``ReconnectingSocket`` (its subclass) runs: it reads from the socket itself, many frames per
``recv``, through the sans-I/O ``feed.framing.FrameParser``; answers protocol pings; sends the
heartbeats; runs the watchdog; and ends with the cause (a ``feed.upgrade.Drop``). Subclasses
(``feed.client.FeedClient``, ``feed.orderupdates.OrderUpdateClient``) supply what to do on
open, on a binary message and on a text message; they write through the ``Link`` they get.

This module keeps only the socket, the timers and the watchdog. Elsewhere: reconnecting
(``feed.reconnect``), the policies (``feed.policy``), credentials (``feed.auth``), states,
events and counters (``feed.linkstate``), connecting and refusals (``feed.upgrade``), framing
(``feed.framing``). The public names of policy, auth and linkstate are re-exported here, so
``from angelctl.feed.connection import Backoff, SessionAuth, …`` keeps working.

Rules this module keeps:
- Every socket write happens on the connection thread (an SSL object is not safe for concurrent
  use); other threads post work and wake the thread through a pipe.
- A connection ends (a drop, reconnected by ``feed.reconnect``) on a reset, EOF, a close frame,
  a frame ``feed.framing`` refuses (``protocol``: a masked or malformed frame, a message over
  ``MAX_MESSAGE_BYTES``, text that is not UTF-8), silence, or ``reconnect()``.
- The watchdog drops a connection silent (no byte at all: data, pong, anything) for
  ``Heartbeat.stale_after``, and, when ``data_stale_after`` is set, one whose subscriptions have
  produced no data frame for that long while ``market_open()`` says the market is open; the
  silence it saw is recorded in ``LinkStats.detections`` (time to detection).
- Callbacks run on the connection thread and must be quick; an exception in one is counted
  (``callback_errors``) and never ends the connection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import websocket

from angelctl.feed.auth import LOGIN_HINT, FeedAuth, SessionAuth, StaticAuth, WsCredentials
from angelctl.feed.framing import (
    BinaryMessage,
    CloseReceived,
    Event,
    FrameParser,
    FrameWriter,
    Ping,
    Pong,
    RemoteProtocolError,
    TextMessage,
)
from angelctl.feed.linkstate import FeedState, FeedStatus, LinkEvent, LinkStats
from angelctl.feed.policy import (
    Backoff,
    Heartbeat,
)
from angelctl.feed.upgrade import (
    Drop,
    shutdown,
    tls_context,
)

if TYPE_CHECKING:
    from angelctl.clock import Clock

__all__ = [
    "LOGIN_HINT",
    "Backoff",
    "FeedAuth",
    "FeedState",
    "FeedStatus",
    "Heartbeat",
    "Link",
    "LinkEvent",
    "LinkStats",
    "LiveSocket",
    "SessionAuth",
    "StaticAuth",
    "WsCredentials",
    "tls_context",
]

log = logging.getLogger("angelctl.feed")

RECV_BYTES = 256 * 1024
MAX_MESSAGE_BYTES = 1 << 20  # the largest message accepted; a larger one is a protocol drop
CLOSE_NORMAL = 1000


class Deframer(Protocol):
    """What the read loop needs of a frame parser (``feed.framing.FrameParser``)."""

    frames: int

    def feed(self, data: bytes) -> list[Event]: ...


class Link:
    """The live connection's write side, handed to the subclass hooks (connection thread only)."""

    def __init__(self, ws: websocket.WebSocket, writer: FrameWriter | None = None) -> None:
        sock = ws.sock
        assert sock is not None
        self.sock: socket.socket = sock
        self._writer = writer or FrameWriter()

    def send(self, text: str) -> None:
        """One text message (subscribe requests, the ``ping`` heartbeat)."""
        self.sock.sendall(self._writer.text(text))

    def ping(self, payload: bytes = b"") -> None:
        self.sock.sendall(self._writer.ping(payload))

    def pong(self, payload: bytes) -> None:
        self.sock.sendall(self._writer.pong(payload))

    def close(self, code: int = CLOSE_NORMAL) -> None:
        self.sock.sendall(self._writer.close(code))


@dataclass
class _Watch:
    """The read loop's clocks: heartbeats due, last byte and last data seen, the rate mark."""

    next_text: float
    next_ping: float
    last_rx: float
    last_data: float
    rate_mark: float
    rate_ticks: int
    market_checked: float
    data_watch: bool = False

    @classmethod
    def start(cls, hb: Heartbeat, opened: float, ticks: int) -> _Watch:
        inf = float("inf")
        return cls(
            next_text=opened + hb.text_ping_every if hb.text_ping_every else inf,
            next_ping=opened + hb.protocol_ping_every if hb.protocol_ping_every else inf,
            last_rx=opened,
            last_data=opened,
            rate_mark=opened,
            rate_ticks=ticks,
            market_checked=opened - 1.0,
        )

    def timeout(self, hb: Heartbeat, now: float) -> float:
        """Wake exactly when the watchdog would fire (not up to one poll interval later)."""
        deadline = self.last_rx + hb.stale_after
        if hb.data_stale_after is not None and self.data_watch:
            deadline = min(deadline, self.last_data + hb.data_stale_after)
        return min(hb.poll, max(0.0, deadline - now))


class LiveSocket:
    """One connection at a time: serve it (read, answer, heartbeat, watch) until it ends.

    The base of ``feed.reconnect.ReconnectingSocket``, which owns the thread, connects and
    decides when to try again; this class holds only what runs while a socket is open.
    """

    thread_name = "angelctl-ws"
    #: the frame parser of each connection (a class attribute so a benchmark can swap it)
    frame_parser: Callable[..., Deframer] = FrameParser

    url: str
    clock: Clock
    heartbeat: Heartbeat
    on_status: Callable[[FeedStatus], None] | None
    market_open: Callable[[], bool] | None
    stats: LinkStats
    _stopping: threading.Event
    _wake_r: int
    _wake_w: int
    _reconnect_asked: bool
    _state_lock: threading.Condition

    @property
    def state(self) -> FeedState:
        return self.stats.state

    # ------------------------------------------------------------ subclass hooks

    def _on_open(self, link: Link) -> None:
        """Called on the thread right after each successful upgrade."""

    def _on_binary(self, payload: bytes) -> None:
        raise NotImplementedError

    def _on_text(self, text: str) -> None:
        raise NotImplementedError

    def _on_wake(self, link: Link) -> None:
        """Called on the thread when another thread posted work (``_wake``)."""

    def _on_closed(self) -> None:
        """Called on the thread after each connection ends (before any backoff)."""

    def _expects_data(self) -> bool:
        """Whether silence of data frames (not pongs) means the stream is stuck."""
        return False

    # --------------------------------------------------------------- the thread

    def _wake(self) -> None:
        if self._wake_w >= 0:
            with contextlib.suppress(BlockingIOError, OSError):
                os.write(self._wake_w, b"\x01")

    def _set_state(self, state: FeedState, **details: Any) -> None:
        with self._state_lock:
            self.stats.state = state
            self._state_lock.notify_all()
        status = FeedStatus(state=state, at=self.clock.monotonic(), **details)
        self._emit(self.on_status, status)

    def _emit(self, callback: Callable[[Any], None] | None, value: Any) -> None:
        if callback is None:
            return
        try:
            callback(value)
        except Exception:
            self.stats.callback_errors += 1
            log.exception("%s callback failed", type(self).__name__)

    def _serve(self, ws: websocket.WebSocket) -> tuple[str, float]:
        """Read until the connection ends; returns (cause, seconds it lived)."""
        stats = self.stats
        clock = self.clock
        opened = clock.monotonic()
        stats.connects += 1
        if stats.connects > 1:
            stats.reconnects += 1
        stats.failed_attempts = 0
        link = Link(ws)
        cause = "stopped"
        try:
            self._set_state(FeedState.CONNECTED)
            self._on_open(link)
            self._read_loop(link, opened)
        except Drop as drop:
            cause = drop.cause
            if drop.silence is not None:
                stats.detections.append(drop.silence)
        except (OSError, ssl.SSLError):
            cause = "reset"
        finally:
            if self._stopping.is_set():
                with contextlib.suppress(Exception):
                    link.close(CLOSE_NORMAL)
            shutdown(ws)
            self._on_closed()
        if self._stopping.is_set():
            cause = "stopped"
        log.info("%s connection ended: %s", type(self).__name__, cause)
        return cause, clock.monotonic() - opened

    def _read_loop(self, link: Link, opened: float) -> None:
        sock = link.sock
        hb = self.heartbeat
        sock.settimeout(max(1.0, hb.poll))
        stats, clock, on_binary = self.stats, self.clock, self._on_binary
        parser = self.frame_parser(max_message_bytes=MAX_MESSAGE_BYTES)
        watch = _Watch.start(hb, opened, stats.ticks)
        pending = getattr(sock, "pending", None)
        fd, wake_r = sock.fileno(), self._wake_r
        while not self._stopping.is_set():
            if pending and pending():
                data: bytes | None = sock.recv(RECV_BYTES)
            else:
                readable = select.select(
                    [fd, wake_r], [], [], watch.timeout(hb, clock.monotonic())
                )[0]
                if wake_r in readable and self._woken(link):
                    return
                data = sock.recv(RECV_BYTES) if fd in readable else None
            now = clock.monotonic()
            if data is not None:
                if not data:
                    raise Drop("eof")
                watch.last_rx = now
                ticks_before, frames_before = stats.ticks, parser.frames
                try:
                    events = parser.feed(data)
                except RemoteProtocolError as exc:
                    log.info("%s protocol error: %s", type(self).__name__, exc)
                    raise Drop("protocol") from None
                stats.frames += parser.frames - frames_before
                for event in events:
                    if type(event) is BinaryMessage:
                        on_binary(event.data)
                    else:
                        self._event(link, event)
                if stats.ticks != ticks_before:
                    watch.last_data = stats.last_tick_at = now
            self._duties(link, watch, now)

    def _woken(self, link: Link) -> bool:
        """Another thread posted work; True when it was ``stop()``."""
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_r, 4096)
        if self._stopping.is_set():
            return True
        if self._reconnect_asked:
            self._reconnect_asked = False
            raise Drop("requested")
        self._on_wake(link)
        return False

    def _event(self, link: Link, event: Event) -> None:
        kind = type(event)
        if kind is TextMessage:
            self._on_text(event.text)  # type: ignore[union-attr]
        elif kind is Ping:
            link.pong(event.payload)  # type: ignore[union-attr]
        elif kind is Pong:
            self.stats.protocol_pongs += 1
        elif kind is CloseReceived:
            raise Drop("close-frame")
        elif kind is BinaryMessage:
            self._on_binary(event.data)  # type: ignore[union-attr]

    def _duties(self, link: Link, watch: _Watch, now: float) -> None:
        """The clock-driven duties: heartbeats, the watchdog, the rate figure."""
        hb, stats = self.heartbeat, self.stats
        if now >= watch.next_text:
            link.send("ping")
            watch.next_text = now + (hb.text_ping_every or 0.0)
        if now >= watch.next_ping:
            link.ping(b"")
            watch.next_ping = now + (hb.protocol_ping_every or 0.0)
        silence = now - watch.last_rx
        if silence >= hb.stale_after:
            raise Drop("stale", silence)
        if hb.data_stale_after is not None:
            if now >= watch.market_checked + 1.0:  # the market-hours predicate, once a second
                watch.market_checked = now
                watch.data_watch = self._expects_data() and (
                    self.market_open is None or self.market_open()
                )
            if not watch.data_watch:
                watch.last_data = now
            elif now - watch.last_data >= hb.data_stale_after:
                raise Drop("data-stale", now - watch.last_data)
        if now - watch.rate_mark >= 1.0:
            stats.ticks_per_second = (stats.ticks - watch.rate_ticks) / (now - watch.rate_mark)
            watch.rate_mark, watch.rate_ticks = now, stats.ticks
