"""``FeedClient``: the WebSocket 2.0 market feed (``/smart-stream``,
docs/protocol.md#websocket-20-market-feed).

Usage::

    auth = SessionAuth(lambda: build_session(settings))   # one session per connection thread
    client = FeedClient(settings.ws_url, auth, clock=SystemClock(), on_tick=model.on_tick)
    client.subscribe(Mode.QUOTE, ExchangeType.NSE_CM, ["2885", "3045"])
    with client:                # start(); stop() on the way out
        ...

Everything connection-related (TLS, headers, heartbeats, the watchdog, jittered reconnects,
refused upgrades) lives in ``feed.connection``; this module adds what is particular to the
market feed:

- the subscriptions: a ``SubscriptionSet`` of desired (mode, exchange type, token) keys, changed
  from any thread; the connection thread brings the server in line with it by sending only the
  difference (``unsubscribe`` what it sent and is no longer desired, then ``subscribe`` what is
  desired and not yet sent). After every (re)connect that difference is the whole desired set,
  one request per mode, so the server ends up with exactly the desired set and never receives a
  duplicate subscribe on one connection. ``wait_synced`` waits until a change has been sent.
- the frames: binary frames are decoded (``feed.decode``) and handed to ``on_tick``; a frame
  that does not decode is counted under ``stats.dropped[reason]`` and dropped — never a
  reconnect. Text ``pong`` is counted; ``{"errorCode": "E1002", …}`` is counted under
  ``stats.server_errors`` and handed to ``on_error`` as a ``LinkEvent(kind="server")``.
- the recording (``recorder``, ``stream --record``): every binary frame exactly as received
  (before decoding, so a frame that fails to decode is kept too), the subscription set each
  time the server is brought in line with it, and ``connected``/``disconnected`` around every
  connection (``feed.recording``).

The per-frame path is: slice, ``decode``, one counter, the callback. ``on_tick`` runs on the
connection thread and must be quick (``render.stream.StreamModel.on_tick`` is O(1)).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from angelctl.feed.connection import (
    FeedAuth,
    FeedState,
    Link,
    LinkEvent,
)
from angelctl.feed.decode import DecodeError, decode
from angelctl.feed.reconnect import ReconnectingSocket
from angelctl.feed.subscriptions import (
    SUBSCRIBE,
    UNSUBSCRIBE,
    SubscriptionKey,
    SubscriptionSet,
    request_frames,
)
from angelctl.feed.ticks import Tick

__all__ = ["FeedClient", "FeedRecorder"]


class FeedRecorder(Protocol):
    """What ``FeedClient`` tells a recording (``feed.recording.RecordingWriter``)."""

    def frame(self, payload: bytes) -> None: ...

    def subscriptions(self, keys: Iterable[SubscriptionKey]) -> None: ...

    def link(self, event: str) -> None: ...


class FeedClient(ReconnectingSocket):
    thread_name = "angelctl-feed"

    def __init__(
        self,
        url: str,
        auth: FeedAuth,
        *,
        on_tick: Callable[[Tick], None] | None = None,
        subscriptions: SubscriptionSet | None = None,
        recorder: FeedRecorder | None = None,
        **options: Any,
    ) -> None:
        super().__init__(url, auth, **options)
        self.on_tick = on_tick
        self.recorder = recorder
        self.subscriptions = subscriptions or SubscriptionSet()
        self._sent: frozenset[SubscriptionKey] = frozenset()
        self._correlation = itertools.count(1)
        self._sync = threading.Condition()
        self._wanted_version = 0  # bumped by every change of the desired set
        self._sent_version = -1  # the version the live connection was last brought to

    # ---------------------------------------------------------------- subscriptions

    def subscribe(self, mode: int, exchange_type: int, tokens: Iterable[str]) -> None:
        """Desire ``tokens`` in ``mode`` (a token in another mode moves: unsubscribe + subscribe).

        Raises ``SubscriptionLimit`` (nothing changed) past 1000 token×mode keys.
        """
        self.subscriptions.add(mode, exchange_type, tokens)
        self._changed()

    def unsubscribe(self, exchange_type: int, tokens: Iterable[str]) -> None:
        self.subscriptions.remove(exchange_type, tokens)
        self._changed()

    def set_mode(self, mode: int, exchange_type: int, tokens: Iterable[str]) -> None:
        self.subscriptions.set_mode(mode, exchange_type, tokens)
        self._changed()

    def server_view(self) -> frozenset[SubscriptionKey]:
        """What this client has told the server on the live connection (empty when down)."""
        return self._sent

    def wait_synced(self, timeout: float) -> bool:
        """Wait until the desired set as of now has been sent on a live connection."""
        with self._sync:
            target = self._wanted_version
            return self._sync.wait_for(
                lambda: self._sent_version >= target and self.state == FeedState.CONNECTED,
                timeout,
            )

    def _changed(self) -> None:
        with self._sync:
            self._wanted_version += 1
        self._wake()

    # ------------------------------------------------------------- connection hooks

    def _on_open(self, link: Link) -> None:
        self._sent = frozenset()
        if self.recorder is not None:
            self.recorder.link("connected")
        self._send_plan(link)

    def _on_wake(self, link: Link) -> None:
        self._send_plan(link)

    def _on_closed(self) -> None:
        if self.recorder is not None:
            self.recorder.link("disconnected")
        with self._sync:
            self._sent = frozenset()
            self._sent_version = -1

    def _expects_data(self) -> bool:
        return bool(self._sent)

    def _send_plan(self, link: Link) -> None:
        with self._sync:
            version = self._wanted_version
        plan = self.subscriptions.plan(self._sent)
        if plan.unsubscribe:
            for frame in request_frames(UNSUBSCRIBE, plan.unsubscribe, self._next_id()):
                link.send(frame)
                self.stats.unsubscribe_messages += 1
            self._sent = self._sent - plan.unsubscribe
        if plan.subscribe:
            for frame in request_frames(SUBSCRIBE, plan.subscribe, self._next_id()):
                link.send(frame)
                self.stats.subscribe_messages += 1
            self._sent = self._sent | plan.subscribe
        if self.recorder is not None and (plan.subscribe or plan.unsubscribe):
            self.recorder.subscriptions(self._sent)
        with self._sync:
            self._sent_version = max(self._sent_version, version)
            self._sync.notify_all()

    def _next_id(self) -> str:
        return f"ac{next(self._correlation) % 10**8:08d}"

    def _set_state(self, state: FeedState, **details: Any) -> None:
        super()._set_state(state, **details)
        with self._sync:
            self._sync.notify_all()

    # -------------------------------------------------------------------- frames

    def _on_binary(self, payload: bytes) -> None:
        if self.recorder is not None:
            self.recorder.frame(payload)
        try:
            tick = decode(payload)
        except DecodeError as exc:
            self.stats.dropped[exc.reason] += 1
            return
        self.stats.ticks += 1
        if self.on_tick is not None:
            try:
                self.on_tick(tick)
            except Exception:
                self.stats.callback_errors += 1

    def _on_text(self, text: str) -> None:
        if text == "pong":
            self.stats.text_pongs += 1
            return
        try:
            message = json.loads(text)
        except ValueError:
            self.stats.dropped["text"] += 1
            return
        if not isinstance(message, dict) or "errorCode" not in message:
            self.stats.dropped["text"] += 1
            return
        code = str(message.get("errorCode") or "")
        self.stats.server_errors[code] += 1
        event = LinkEvent(
            kind="server",
            code=code,
            message=str(message.get("errorMessage") or "")[:300],
            correlation_id=str(message.get("correlationID") or "")[:20],
        )
        self._emit(self.on_error, event)
