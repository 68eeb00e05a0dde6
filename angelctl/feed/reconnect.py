"""``ReconnectingSocket``: the thread of a feed connection — connect, serve, back off, repeat.

The base class of both feeds. It owns one background thread for its whole life; the thread
connects (``feed.upgrade``), serves the connection (``feed.connection.LiveSocket``: socket,
timers, watchdog) and, when the connection ends for any reason but ``stop()``, waits the
``feed.policy.Backoff`` delay and connects again.

Invariants:
- A refused upgrade is surfaced as a ``LinkEvent``; 401/403 gets one ``FeedAuth.renew()`` per
  run of refusals and then ends the client with an ``AuthError``; 429 and certificate failures
  end it after ``max_refusals`` in a row; any other failure is a drop, retried until ``stop()``.
- A connection that lived ``Backoff.stable_after`` resets the delay; ``reconnect()`` connects
  again without a delay.
- The thread never dies silently: an ``AngelctlError`` ends it as FAILED with ``failure`` set,
  and so does a bug (``crash``); ``auth.release()`` runs on the way out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Self

import websocket

from angelctl.errors import AngelctlError, TransportError
from angelctl.feed.auth import FeedAuth
from angelctl.feed.connection import LiveSocket
from angelctl.feed.linkstate import FeedState, FeedStatus, LinkEvent, LinkStats
from angelctl.feed.policy import CONNECT_TIMEOUT_S, MAX_CONSECUTIVE_REFUSALS, Backoff, Heartbeat
from angelctl.feed.upgrade import Drop, Refusal, RefusedUpgrade, fatal, open_websocket

if TYPE_CHECKING:
    from angelctl.clock import Clock

__all__ = ["ReconnectingSocket"]

log = logging.getLogger("angelctl.feed")


@dataclass
class _Retry:
    refusals: int = 0  # consecutive refused upgrades (429, certificate)
    renewed: bool = False  # one token renewal per run of refusals


@dataclass
class _Outcome:
    cause: str
    stable: bool = False  # the connection lived long enough to reset the backoff
    at_once: bool = False  # connect again without a delay (a renewed token)


class ReconnectingSocket(LiveSocket):
    """Base class: one thread, one connection at a time, reconnect until ``stop()``."""

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

    # --------------------------------------------------------------- the thread

    def _run(self) -> None:
        try:
            self._reconnect_until_stopped()
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

    def _reconnect_until_stopped(self) -> None:
        previous_delay: float | None = None
        retry = _Retry()
        stats = self.stats
        while not self._stopping.is_set():
            self._set_state(FeedState.CONNECTING, attempt=stats.failed_attempts)
            outcome = self._attempt(retry)
            if outcome is None:  # stopped while serving
                break
            if outcome.stable:
                previous_delay = None
            stats.causes[outcome.cause] += 1
            if outcome.at_once:
                continue
            delay = self.backoff.next_delay(previous_delay, self._rng)
            previous_delay = delay
            stats.backoff_delays.append(delay)
            self._set_state(
                FeedState.BACKOFF, cause=outcome.cause, attempt=stats.failed_attempts, delay=delay
            )
            if self._wait(delay) or self._stopping.is_set():
                break

    def _attempt(self, retry: _Retry) -> _Outcome | None:
        """One connect (and, if it succeeds, serve); None when ``stop()`` ended it."""
        try:
            ws = self._connect()
        except Drop as drop:
            self.stats.failed_attempts += 1
            return _Outcome(drop.cause)
        except RefusedUpgrade as refused:
            self.stats.failed_attempts += 1
            return self._refused(refused.refusal, retry)
        retry.refusals, retry.renewed = 0, False
        cause, lived = self._serve(ws)
        if self._stopping.is_set():
            return None
        stable = lived >= self.backoff.stable_after
        return _Outcome(cause, stable=stable, at_once=cause == "requested")

    def _refused(self, refusal: Refusal, retry: _Retry) -> _Outcome:
        """Surface a refused upgrade; renew once on 401/403; raise when it is final."""
        self._emit(self.on_error, LinkEvent(refusal.kind, refusal.code, refusal.message))
        if refusal.kind == "auth":
            if retry.renewed:
                raise fatal(refusal) from None
            retry.renewed = True
            try:
                self._renew(refusal)
            except TransportError:
                retry.renewed = False
                return _Outcome("renew-network")  # try again after a pause
            return _Outcome(refusal.kind, at_once=True)  # with the renewed token
        retry.refusals += 1
        if not refusal.retry or retry.refusals >= self._max_refusals:
            raise fatal(refusal) from None
        return _Outcome(refusal.kind)

    def _renew(self, refusal: Refusal) -> None:
        try:
            self.auth.renew()
        except TransportError:
            raise
        except AngelctlError as exc:
            log.info("feed token renewal refused: %s", type(exc).__name__)
            raise fatal(refusal) from None

    # --------------------------------------------------------------- connecting

    def _connect(self) -> websocket.WebSocket:
        try:
            credentials = self.auth.credentials()  # NotLoggedIn, AuthError: fatal, by design
        except TransportError:
            raise Drop("credentials-network") from None  # a login/refresh that did not get through
        return open_websocket(
            self.url, credentials.headers(), cafile=self._cafile, timeout=self._connect_timeout
        )
