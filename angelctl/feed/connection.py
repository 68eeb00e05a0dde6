"""One resilient WebSocket: connect, read, heartbeat, watchdog, reconnect — shared by both feeds.

``ReconnectingSocket`` owns one background thread for its whole life. The thread connects
(websocket-client does the TLS and the HTTP upgrade), then reads frames itself from the socket
through a small buffered parser (many frames per ``recv``, no per-frame syscalls), answers
protocol pings, sends the heartbeats, runs the watchdog and, when the connection ends for any
reason but ``stop()``, waits a jittered, capped, exponential delay and connects again.
Subclasses (``feed.client.FeedClient``, ``feed.orderupdates.OrderUpdateClient``) supply what to
do on open, on a binary frame and on a text frame.

Entry points: ``Backoff``, ``Heartbeat`` (policies with named defaults), ``WsCredentials`` and
``FeedAuth`` / ``SessionAuth`` / ``StaticAuth`` (where the handshake headers come from),
``FeedState`` / ``FeedStatus`` (what ``on_status`` receives), ``LinkStats``, ``LinkEvent`` (what
``on_error`` receives), and the base class ``ReconnectingSocket``.

Rules this module keeps:
- TLS is always verified (``CERT_REQUIRED`` and the host name); there is no switch to turn it
  off. A certificate failure happens before any HTTP byte is sent, so no credential leaves.
- Headers are built from ``FeedAuth.credentials()`` at every connect, so a renewed token is used
  on the next reconnect. Secret values are revealed only into that header list; they never
  reach a log line, an exception message, a status or a ``repr``.
- Every socket write happens on the connection thread (an SSL object is not safe for concurrent
  use); other threads post work and wake the thread through a pipe.
- A refused upgrade (401/403, 429, a certificate failure, another 4xx) is surfaced as a
  ``LinkEvent``; 401/403 gets one ``FeedAuth.renew()`` and then ends the client with an
  ``AuthError`` that tells the user to run ``angelctl login``; 429 and certificate failures end
  it after ``MAX_CONSECUTIVE_REFUSALS``. Everything else (5xx, reset, close frame, EOF, TLS
  errors, timeouts, silence, a login or refresh that could not reach the broker) is a drop:
  reconnect, forever, until ``stop()``.
- The watchdog drops a connection silent (no byte at all: data, pong, anything) for
  ``Heartbeat.stale_after``, and, when ``data_stale_after`` is set, one whose subscriptions have
  produced no data frame for that long while ``market_open()`` says the market is open; the
  silence it saw is recorded in ``LinkStats.detections`` (time to detection).
- Callbacks run on the connection thread and must be quick; an exception in one is counted
  (``callback_errors``) and never ends the connection.
- The thread count is constant (one per client) and so is the descriptor count (the wake pipe
  plus at most one socket) however many reconnects happen.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import select
import ssl
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

import websocket

from angelctl.errors import (
    AngelctlError,
    AuthError,
    ConnectFailed,
    RateLimited,
    RequestRejected,
    TransportError,
)
from angelctl.records import record
from angelctl.secrets import Secret

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession
    from angelctl.clock import Clock

log = logging.getLogger("angelctl.feed")

# Reconnect policy (decorrelated jitter: each delay is uniform in [base, 3 × previous], capped).
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
STABLE_AFTER_S = 60.0  # a connection that lived this long resets the delay to the base
MAX_CONSECUTIVE_REFUSALS = 5  # 429 or certificate failures in a row before giving up
DELAY_HISTORY = 256

# Heartbeat and watchdog (docs/protocol.md#feed-heartbeat: text ping every 30 s, protocol pings
# every 10 s).
TEXT_PING_EVERY_S = 30.0
PROTOCOL_PING_EVERY_S = 10.0
STALE_AFTER_S = 15.0
CONNECT_TIMEOUT_S = 10.0

RECV_BYTES = 256 * 1024
MAX_FRAME_BYTES = 1 << 20
CLOSE_NORMAL = 1000
LOGIN_HINT = "run `angelctl login` to start a new session"

# WebSocket opcodes (RFC 6455 §5.2)
_CONT, _TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_FIN_BINARY = 0x80 | _BINARY


# ------------------------------------------------------------------------------ policies


@record
class Backoff:
    base: float = BACKOFF_BASE_S
    cap: float = BACKOFF_CAP_S
    stable_after: float = STABLE_AFTER_S

    def next_delay(self, previous: float | None, rng: random.Random) -> float:
        """The delay before the next attempt; ``previous`` is None after a stable connection."""
        if previous is None:
            return min(self.cap, rng.uniform(self.base, 3 * self.base))
        return min(self.cap, rng.uniform(self.base, max(self.base, 3 * previous)))


@record
class Heartbeat:
    text_ping_every: float | None = TEXT_PING_EVERY_S
    protocol_ping_every: float | None = PROTOCOL_PING_EVERY_S
    stale_after: float = STALE_AFTER_S  # no byte at all (data, pong, anything) for this long
    data_stale_after: float | None = None  # no data frame for this long while data is expected

    @property
    def poll(self) -> float:
        """How often the thread wakes on a silent socket to run the clock-driven checks."""
        return max(0.005, min(0.25, self.stale_after / 10))


# --------------------------------------------------------------------------- credentials


@record
class WsCredentials:
    client_code: str
    jwt: Secret
    api_key: Secret
    feed_token: Secret

    def headers(self) -> list[str]:
        """The four handshake headers (docs/protocol.md#feed-handshake); the only place these
        secrets are revealed."""
        jwt = self.jwt.reveal().removeprefix("Bearer ").strip()
        return [
            f"Authorization: Bearer {jwt}",
            f"x-api-key: {self.api_key.reveal()}",
            f"x-client-code: {self.client_code}",
            f"x-feed-token: {self.feed_token.reveal()}",
        ]


class FeedAuth(Protocol):
    def credentials(self) -> WsCredentials: ...

    def renew(self) -> None:
        """Get fresh tokens after the server refused the current ones; raise if impossible."""
        ...


class StaticAuth:
    """Fixed credentials (scripts and tests); ``renew`` cannot help."""

    def __init__(self, credentials: WsCredentials) -> None:
        self._credentials = credentials

    def credentials(self) -> WsCredentials:
        return self._credentials

    def renew(self) -> None:
        raise AuthError("the feed refused the credentials", hint=LOGIN_HINT)


class SessionAuth:
    """Credentials from broker sessions, each confined to the connection thread that uses it.

    A ``BrokerSession`` is not thread-safe (its rate-limit ledger belongs to the thread that
    opened it), so every connection thread builds its own with ``make_session`` on first use.
    They share the on-disk session cache: ``renew`` first reloads it (another thread or process
    may have renewed already) and refreshes with the refresh token only if it has not.
    """

    def __init__(self, make_session: Callable[[], BrokerSession]) -> None:
        self._make_session = make_session
        self._local = threading.local()

    def _session(self) -> BrokerSession:
        session: BrokerSession | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._make_session()
        return session

    def credentials(self) -> WsCredentials:
        session = self._session()
        tokens = session.ensure()
        return WsCredentials(
            client_code=session.settings.client_code,
            jwt=tokens.jwt,
            api_key=tokens.api_key or session.api_key(),
            feed_token=tokens.feed,
        )

    def renew(self) -> None:
        refused = self._session().cached_tokens()
        self.release()
        fresh = self._session()
        reloaded = fresh.cached_tokens()
        if reloaded is not None and refused is not None and reloaded.jwt != refused.jwt:
            return
        fresh.refresh()

    def release(self) -> None:
        """Close this thread's session (the connection thread calls it on its way out)."""
        session: BrokerSession | None = getattr(self._local, "session", None)
        self._local.session = None
        if session is not None:
            session.rest.close()


# ------------------------------------------------------------------------ status and stats


class FeedState(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    BACKOFF = "backoff"
    STOPPED = "stopped"
    FAILED = "failed"


@record
class FeedStatus:
    """A state change. ``cause`` says why a connection ended or an attempt failed."""

    state: FeedState
    at: float  # clock monotonic
    cause: str = ""
    attempt: int = 0  # consecutive failed attempts so far
    delay: float | None = None  # the backoff about to be waited
    error: AngelctlError | None = None  # set on FAILED


@record
class LinkEvent:
    """Something the server said or refused: an E1001/E1002 frame, a refused upgrade."""

    kind: str  # "server" | "auth" | "connection-limit" | "tls" | "upgrade"
    code: str  # E1002, HTTP status, …
    message: str
    correlation_id: str = ""


@dataclass
class LinkStats:
    state: FeedState = FeedState.IDLE
    connects: int = 0
    reconnects: int = 0
    failed_attempts: int = 0
    frames: int = 0
    ticks: int = 0
    ticks_per_second: float = 0.0
    last_tick_at: float | None = None  # clock monotonic
    text_pongs: int = 0
    protocol_pongs: int = 0
    heartbeats: int = 0  # order-update 1-byte frames
    dropped: Counter[str] = field(default_factory=Counter)  # bad frames by reason
    server_errors: Counter[str] = field(default_factory=Counter)  # E1001, E1002, …
    causes: Counter[str] = field(default_factory=Counter)  # why connections ended / failed
    callback_errors: int = 0
    subscribe_messages: int = 0
    unsubscribe_messages: int = 0
    backoff_delays: deque[float] = field(default_factory=lambda: deque(maxlen=DELAY_HISTORY))
    detections: deque[float] = field(default_factory=lambda: deque(maxlen=DELAY_HISTORY))

    @property
    def last_detection_s(self) -> float | None:
        """Silence measured when the watchdog last dropped a connection (time to detection)."""
        return self.detections[-1] if self.detections else None

    def copy(self) -> LinkStats:
        return LinkStats(
            **{
                **self.__dict__,
                "dropped": Counter(self.dropped),
                "server_errors": Counter(self.server_errors),
                "causes": Counter(self.causes),
                "backoff_delays": deque(self.backoff_delays, maxlen=DELAY_HISTORY),
                "detections": deque(self.detections, maxlen=DELAY_HISTORY),
            }
        )


# ------------------------------------------------------------------------------ internals


class _Drop(Exception):
    """The current connection is over; ``cause`` names why (a stats key)."""

    def __init__(self, cause: str, silence: float | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.silence = silence


@dataclass
class _Refusal:
    kind: str
    code: str
    message: str
    retry: bool


def tls_context(cafile: str | None = None) -> ssl.SSLContext:
    """Verification always on: system CAs (or ``cafile``), CERT_REQUIRED, host name checked."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    return context


class ReconnectingSocket:
    """Base class: one thread, one connection at a time, reconnect until ``stop()``."""

    thread_name = "angelctl-ws"

    def __init__(
        self,
        url: str,
        auth: FeedAuth,
        *,
        clock: Clock,
        heartbeat: Heartbeat | None = None,
        backoff: Backoff | None = None,
        on_status: Callable[[FeedStatus], None] | None = None,
        on_error: Callable[[LinkEvent], None] | None = None,
        market_open: Callable[[], bool] | None = None,
        wait: Callable[[float], bool] | None = None,
        rng: random.Random | None = None,
        cafile: str | None = None,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        max_refusals: int = MAX_CONSECUTIVE_REFUSALS,
    ) -> None:
        if not url.startswith(("ws://", "wss://")):
            raise ValueError(f"not a WebSocket URL: {url!r}")
        self.url = url
        self.auth = auth
        self.clock = clock
        self.heartbeat = heartbeat or Heartbeat()
        self.backoff = backoff or Backoff()
        self.on_status = on_status
        self.on_error = on_error
        self.market_open = market_open
        self.stats = LinkStats()
        self.failure: AngelctlError | None = None
        self._cafile = cafile
        self._connect_timeout = connect_timeout
        self._max_refusals = max_refusals
        self._rng = rng or random.Random()
        self._stopping = threading.Event()
        self._wait = wait or self._stopping.wait
        self._ended = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self._ws: websocket.WebSocket | None = None
        self._reconnect_asked = False
        self._state_lock = threading.Condition()

    # ------------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> bool:
        """Close the connection and end the thread; True when it ended within ``timeout``."""
        thread = self._thread
        if thread is None:
            return True
        self._stopping.set()
        self._wake()
        thread.join(timeout)
        if thread.is_alive():
            return False
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._wake_r = self._wake_w = -1
        return True

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r}, state={self.stats.state.value})"

    @property
    def state(self) -> FeedState:
        return self.stats.state

    def wait_ended(self, timeout: float | None = None) -> bool:
        """Wait until the thread has stopped or failed (``failure`` says which)."""
        return self._ended.wait(timeout)

    def wait_state(self, state: FeedState, timeout: float) -> bool:
        with self._state_lock:
            return self._state_lock.wait_for(lambda: self.stats.state == state, timeout)

    def wait_until(self, predicate: Callable[[LinkStats], bool], timeout: float) -> bool:
        """Wait (re-checked at every state change) until ``predicate(stats)`` holds."""
        with self._state_lock:
            return self._state_lock.wait_for(lambda: predicate(self.stats), timeout)

    def reconnect(self) -> None:
        """Drop the current connection now and connect again (without a backoff delay)."""
        self._reconnect_asked = True
        self._wake()

    def snapshot(self) -> LinkStats:
        return self.stats.copy()

    # ------------------------------------------------------------ subclass hooks

    def _on_open(self, ws: websocket.WebSocket) -> None:
        """Called on the thread right after each successful upgrade."""

    def _on_binary(self, payload: bytes) -> None:
        raise NotImplementedError

    def _on_text(self, text: str) -> None:
        raise NotImplementedError

    def _on_wake(self, ws: websocket.WebSocket) -> None:
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

    def _run(self) -> None:
        previous_delay: float | None = None
        refusals = 0  # consecutive refused upgrades (429, certificate)
        renewed = False  # one token renewal per run of refusals
        stats = self.stats
        try:
            while not self._stopping.is_set():
                self._set_state(FeedState.CONNECTING, attempt=stats.failed_attempts)
                try:
                    ws = self._connect()
                except _Drop as drop:
                    cause = drop.cause
                    stats.failed_attempts += 1
                except _RefusedUpgrade as refused:
                    refusal = refused.refusal
                    cause = refusal.kind
                    stats.failed_attempts += 1
                    self._emit(
                        self.on_error, LinkEvent(refusal.kind, refusal.code, refusal.message)
                    )
                    if refusal.kind == "auth":
                        if renewed:
                            raise _fatal(refusal) from None
                        renewed = True
                        try:
                            self._renew(refusal)
                        except TransportError:
                            renewed, cause = False, "renew-network"  # try again after a pause
                        else:
                            stats.causes[cause] += 1
                            continue  # at once, with the renewed token
                    else:
                        refusals += 1
                        if not refusal.retry or refusals >= self._max_refusals:
                            raise _fatal(refusal) from None
                else:
                    refusals, renewed = 0, False
                    cause, lived = self._serve(ws)
                    if self._stopping.is_set():
                        break
                    if lived >= self.backoff.stable_after:
                        previous_delay = None
                    if cause == "requested":
                        stats.causes[cause] += 1
                        continue
                stats.causes[cause] += 1
                delay = self.backoff.next_delay(previous_delay, self._rng)
                previous_delay = delay
                stats.backoff_delays.append(delay)
                self._set_state(
                    FeedState.BACKOFF, cause=cause, attempt=stats.failed_attempts, delay=delay
                )
                if self._wait(delay) or self._stopping.is_set():
                    break
        except AngelctlError as exc:
            self.failure = exc
            self._set_state(FeedState.FAILED, error=exc, cause=type(exc).__name__)
        except Exception as exc:  # a bug: report it, never leave a silent dead thread
            log.exception("%s thread crashed", type(self).__name__)
            self.failure = AngelctlError(f"the feed thread crashed: {type(exc).__name__}")
            self._set_state(FeedState.FAILED, error=self.failure, cause="crash")
        else:
            self._set_state(FeedState.STOPPED)
        finally:
            release = getattr(self.auth, "release", None)
            if callable(release):
                with contextlib.suppress(Exception):
                    release()
            self._ended.set()

    def _renew(self, refusal: _Refusal) -> None:
        try:
            self.auth.renew()
        except TransportError:
            raise
        except AngelctlError as exc:
            log.info("feed token renewal refused: %s", type(exc).__name__)
            raise _fatal(refusal) from None

    # --------------------------------------------------------------- connecting

    def _connect(self) -> websocket.WebSocket:
        try:
            credentials = self.auth.credentials()  # NotLoggedIn, AuthError: fatal, by design
        except TransportError:
            raise _Drop("credentials-network") from None  # a login/refresh that did not get through
        sslopt: dict[str, Any] = {}
        if self.url.startswith("wss://"):
            sslopt["context"] = tls_context(self._cafile)
        ws = websocket.WebSocket(sslopt=sslopt, skip_utf8_validation=True)
        try:
            ws.connect(  # type: ignore[no-untyped-call]
                self.url,
                header=credentials.headers(),
                timeout=self._connect_timeout,
                suppress_origin=True,
            )
        except Exception as exc:
            _shutdown(ws)
            raise _connect_failure(exc) from None
        return ws

    # ------------------------------------------------------------------ serving

    def _serve(self, ws: websocket.WebSocket) -> tuple[str, float]:
        """Read until the connection ends; returns (cause, seconds it lived)."""
        stats = self.stats
        clock = self.clock
        opened = clock.monotonic()
        stats.connects += 1
        if stats.connects > 1:
            stats.reconnects += 1
        stats.failed_attempts = 0
        self._ws = ws
        cause = "stopped"
        try:
            self._set_state(FeedState.CONNECTED)
            self._on_open(ws)
            self._read_loop(ws, opened)
        except _Drop as drop:
            cause = drop.cause
            if drop.silence is not None:
                stats.detections.append(drop.silence)
        except (OSError, ssl.SSLError):
            cause = "reset"
        except websocket.WebSocketException:
            cause = "send-failed"
        finally:
            self._ws = None
            self._close(ws, clean=self._stopping.is_set())
            self._on_closed()
        if self._stopping.is_set():
            cause = "stopped"
        log.info("%s connection ended: %s", type(self).__name__, cause)
        return cause, clock.monotonic() - opened

    def _close(self, ws: websocket.WebSocket, *, clean: bool) -> None:
        if clean:
            with contextlib.suppress(Exception):
                ws.send_close(CLOSE_NORMAL)
        _shutdown(ws)

    def _read_loop(self, ws: websocket.WebSocket, opened: float) -> None:
        sock = ws.sock
        assert sock is not None
        sock.settimeout(max(1.0, self.heartbeat.poll))
        hb = self.heartbeat
        stats = self.stats
        clock = self.clock
        on_binary = self._on_binary
        pending = getattr(sock, "pending", None)
        fd = sock.fileno()
        wake_r = self._wake_r
        poll = hb.poll
        now = opened
        last_rx = last_data = opened
        next_text = opened + hb.text_ping_every if hb.text_ping_every else float("inf")
        next_ping = opened + hb.protocol_ping_every if hb.protocol_ping_every else float("inf")
        rate_mark, rate_ticks = opened, stats.ticks
        market_checked, data_watch = opened - 1.0, False
        buf = b""
        fragments: list[bytes] = []
        fragment_opcode = 0
        while True:
            if self._stopping.is_set():
                return
            if not (pending and pending()):
                # wake exactly when the watchdog would fire, so a stall is detected at
                # stale_after, not up to one poll interval later
                deadline = last_rx + hb.stale_after
                if hb.data_stale_after is not None and data_watch:
                    deadline = min(deadline, last_data + hb.data_stale_after)
                timeout = min(poll, max(0.0, deadline - clock.monotonic()))
                readable, _, _ = select.select([fd, wake_r], [], [], timeout)
                if wake_r in readable:
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake_r, 4096)
                    if self._stopping.is_set():
                        return
                    if self._reconnect_asked:
                        self._reconnect_asked = False
                        raise _Drop("requested")
                    self._on_wake(ws)
                data = sock.recv(RECV_BYTES) if fd in readable else None
            else:
                data = sock.recv(RECV_BYTES)
            now = clock.monotonic()
            if data is not None:
                if not data:
                    raise _Drop("eof")
                last_rx = now
                ticks_before = stats.ticks
                buf = buf + data if buf else data
                size = len(buf)
                pos = 0
                while size - pos >= 2:
                    b0 = buf[pos]
                    length = buf[pos + 1]
                    if length & 0x80:
                        raise _Drop("protocol")  # servers never mask
                    start = pos + 2
                    if length == 126:
                        if size - pos < 4:
                            break
                        length = (buf[pos + 2] << 8) | buf[pos + 3]
                        start = pos + 4
                    elif length == 127:
                        if size - pos < 10:
                            break
                        length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                        start = pos + 10
                    end = start + length
                    if end > size:
                        if length > MAX_FRAME_BYTES:
                            raise _Drop("protocol")
                        break
                    pos = end
                    stats.frames += 1
                    if b0 == _FIN_BINARY:
                        on_binary(buf[start:end])
                        continue
                    opcode = b0 & 0x0F
                    if b0 & 0x70:
                        raise _Drop("protocol")
                    payload = buf[start:end]
                    if opcode >= _CLOSE:
                        self._control(ws, opcode, payload)
                        continue
                    if opcode == _CONT:
                        if not fragment_opcode:
                            raise _Drop("protocol")
                        fragments.append(payload)
                    else:
                        if fragment_opcode:
                            raise _Drop("protocol")
                        fragment_opcode, fragments = opcode, [payload]
                    if b0 & 0x80:
                        message = b"".join(fragments)
                        kind, fragment_opcode, fragments = fragment_opcode, 0, []
                        self._message(kind, message)
                buf = buf[pos:] if pos < size else b""
                if stats.ticks != ticks_before:
                    last_data = stats.last_tick_at = now
            # clock-driven duties: heartbeats, the watchdog, the rate figure
            if now >= next_text:
                ws.send("ping")
                next_text = now + (hb.text_ping_every or 0.0)
            if now >= next_ping:
                ws.ping(b"")
                next_ping = now + (hb.protocol_ping_every or 0.0)
            silence = now - last_rx
            if silence >= hb.stale_after:
                raise _Drop("stale", silence)
            if hb.data_stale_after is not None:
                if now >= market_checked + 1.0:  # the market-hours predicate, once a second
                    market_checked = now
                    data_watch = self._expects_data() and (
                        self.market_open is None or self.market_open()
                    )
                if not data_watch:
                    last_data = now
                elif now - last_data >= hb.data_stale_after:
                    raise _Drop("data-stale", now - last_data)
            if now - rate_mark >= 1.0:
                stats.ticks_per_second = (stats.ticks - rate_ticks) / (now - rate_mark)
                rate_mark, rate_ticks = now, stats.ticks

    def _control(self, ws: websocket.WebSocket, opcode: int, payload: bytes) -> None:
        if opcode == _PING:
            ws.pong(payload)
        elif opcode == _PONG:
            self.stats.protocol_pongs += 1
        elif opcode == _CLOSE:
            raise _Drop("close-frame")
        else:
            raise _Drop("protocol")

    def _message(self, opcode: int, payload: bytes) -> None:
        if opcode == _BINARY:
            self._on_binary(payload)
            return
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            self.stats.dropped["utf8"] += 1
            return
        self._on_text(text)


def _shutdown(ws: websocket.WebSocket) -> None:
    with contextlib.suppress(Exception):
        ws.shutdown()  # type: ignore[no-untyped-call]


def _connect_failure(exc: Exception) -> Exception:
    """What a failed connect means: a drop to retry, or a refusal to surface."""
    if isinstance(exc, websocket.WebSocketBadStatusException):
        if exc.status_code >= 500:
            return _Drop("upgrade-5xx")
        return _RefusedUpgrade(_classify_status(exc.status_code, exc.resp_headers))
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = f"TLS certificate verification failed: {exc.verify_message}"
        return _RefusedUpgrade(_Refusal("tls", "certificate", message, retry=True))
    if isinstance(exc, ssl.SSLError):
        return _Drop("connect-tls")
    if isinstance(exc, websocket.WebSocketTimeoutException | TimeoutError):
        return _Drop("connect-timeout")
    if isinstance(exc, ConnectionRefusedError):
        return _Drop("connect-refused")
    if isinstance(exc, websocket.WebSocketException | OSError):
        return _Drop("connect-error")
    return exc


class _RefusedUpgrade(Exception):
    def __init__(self, refusal: _Refusal) -> None:
        super().__init__(refusal.kind)
        self.refusal = refusal


def _classify_status(status: int, headers: dict[str, str] | None) -> _Refusal:
    reason = ""
    for name, value in (headers or {}).items():
        if name.lower() == "x-error-message":
            reason = str(value)[:200]
    detail = f": {reason}" if reason else ""
    if status in (401, 403):
        message = f"the feed refused the session (HTTP {status}{detail})"
        return _Refusal("auth", str(status), message, retry=False)
    if status == 429:
        message = "the broker refused another feed connection (HTTP 429): at most 3 per client code"
        return _Refusal("connection-limit", "429", message, retry=True)
    message = f"the feed refused the WebSocket upgrade (HTTP {status}{detail})"
    return _Refusal("upgrade", str(status), message, retry=False)


def _fatal(refusal: _Refusal) -> AngelctlError:
    route = "websocket"
    if refusal.kind == "auth":
        return AuthError(refusal.message, route=route, code=refusal.code, hint=LOGIN_HINT)
    if refusal.kind == "connection-limit":
        return RateLimited(
            refusal.message,
            route=route,
            code=refusal.code,
            hint="close another stream (angelctl or an SDK client) using this client code",
        )
    if refusal.kind == "tls":
        return ConnectFailed(
            refusal.message,
            route=route,
            hint="the server's certificate is not trusted: check ws_url and the network path",
        )
    return RequestRejected(
        refusal.message, route=route, code=refusal.code, hint="check ws_url / order_ws_url"
    )
