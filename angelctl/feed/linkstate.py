"""What a feed connection reports: its state, state changes, server/refusal events, and counters.

``FeedState`` / ``FeedStatus`` (what ``on_status`` receives), ``LinkEvent`` (what ``on_error``
receives) and ``LinkStats`` (the counters a connection keeps; ``copy()`` is a consistent
snapshot for other threads). Plain values: no I/O, no clock.

Invariant: ``LinkStats`` is written only by the connection thread; other threads read copies.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from enum import StrEnum

from angelctl.errors import AngelctlError
from angelctl.records import record

__all__ = ["DELAY_HISTORY", "FeedState", "FeedStatus", "LinkEvent", "LinkStats"]

DELAY_HISTORY = 256


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
