"""The desired subscription set of one feed connection, and the request JSON that reaches it.

Entry points:
- ``SubscriptionSet``: what the caller wants, keyed by ``(mode, exchange_type, token)``;
  ``add``/``remove``/``set_mode`` change it, ``plan(sent)`` says which requests move a
  connection that has ``sent`` to the desired set.
- ``request_frames(action, keys, correlation_id)``: the docs/protocol.md#subscribe-requests JSON
  text frames for a set of keys, one frame per mode, tokens grouped per exchange type.

Invariants:
- At most ``MAX_SUBSCRIPTIONS`` (1000, counted per token×mode as the broker counts them) are
  desired at any time; a change that would exceed it is refused whole (``SubscriptionLimit``)
  and leaves the set as it was.
- One token is desired in one mode at a time (the broker's recommendation,
  docs/protocol.md#feed-limits): subscribing a token in another mode moves it, so a mode change is
  "unsubscribe old + subscribe new".
- ``plan`` never asks to subscribe a key already sent, nor to unsubscribe one never sent: a
  connection that follows its plan receives no duplicate subscribe message.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable

from angelctl.errors import UsageError
from angelctl.feed.ticks import ExchangeType, Mode
from angelctl.records import record

MAX_SUBSCRIPTIONS = 1000
SUBSCRIBE = 1
UNSUBSCRIBE = 0
STREAM_MODES = (Mode.LTP, Mode.QUOTE, Mode.SNAP_QUOTE)
_EXCHANGE_TYPES = frozenset(int(e) for e in ExchangeType)

SubscriptionKey = tuple[int, int, str]  # (mode, exchange_type, token)


class SubscriptionLimit(UsageError):
    """More than 1000 token×mode subscriptions were asked of one connection."""

    error_code = "subscription_limit"


@record
class SubscriptionPlan:
    unsubscribe: frozenset[SubscriptionKey]
    subscribe: frozenset[SubscriptionKey]

    def __bool__(self) -> bool:
        return bool(self.unsubscribe or self.subscribe)


class SubscriptionSet:
    """Thread-safe desired set; the feed client's loop thread reads it, callers change it."""

    def __init__(self, limit: int = MAX_SUBSCRIPTIONS) -> None:
        self.limit = limit
        self._modes: dict[tuple[int, str], int] = {}  # (exchange_type, token) -> mode
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._modes)

    def keys(self) -> frozenset[SubscriptionKey]:
        with self._lock:
            return frozenset((mode, et, token) for (et, token), mode in self._modes.items())

    def mode_of(self, exchange_type: int, token: str) -> int | None:
        return self._modes.get((exchange_type, token))

    def add(self, mode: int, exchange_type: int, tokens: Iterable[str]) -> None:
        """Desire ``tokens`` in ``mode`` (moving any of them already desired in another mode)."""
        _check_mode(mode)
        _check_exchange_type(exchange_type)
        wanted = [_check_token(t) for t in tokens]
        with self._lock:
            new = {(exchange_type, t) for t in wanted} - self._modes.keys()
            if len(self._modes) + len(new) > self.limit:
                raise SubscriptionLimit(
                    f"{len(self._modes) + len(new)} subscriptions asked of one connection; "
                    f"the broker allows {self.limit} (counted per token and mode)",
                    hint="stream fewer symbols, or split them over several stream runs",
                )
            for token in wanted:
                self._modes[(exchange_type, token)] = int(mode)

    def remove(self, exchange_type: int, tokens: Iterable[str]) -> None:
        with self._lock:
            for token in tokens:
                self._modes.pop((exchange_type, str(token)), None)

    def set_mode(self, mode: int, exchange_type: int, tokens: Iterable[str]) -> None:
        """Move already-desired tokens to ``mode``; tokens not desired are ignored."""
        _check_mode(mode)
        with self._lock:
            for token in tokens:
                key = (exchange_type, str(token))
                if key in self._modes:
                    self._modes[key] = int(mode)

    def clear(self) -> None:
        with self._lock:
            self._modes.clear()

    def plan(self, sent: frozenset[SubscriptionKey]) -> SubscriptionPlan:
        desired = self.keys()
        return SubscriptionPlan(unsubscribe=sent - desired, subscribe=desired - sent)


def request_frames(
    action: int, keys: Iterable[SubscriptionKey], correlation_id: str = ""
) -> list[str]:
    """One docs/protocol.md#subscribe-requests request per mode, in mode order, tokens sorted within
    each exchange type."""
    by_mode: dict[int, dict[int, list[str]]] = {}
    for mode, exchange_type, token in keys:
        by_mode.setdefault(mode, {}).setdefault(exchange_type, []).append(token)
    frames = []
    for mode in sorted(by_mode):
        groups = by_mode[mode]
        token_list = [
            {"exchangeType": et, "tokens": sorted(groups[et], key=_token_order)}
            for et in sorted(groups)
        ]
        request: dict[str, object] = {"correlationID": correlation_id} if correlation_id else {}
        request["action"] = action
        request["params"] = {"mode": mode, "tokenList": token_list}
        frames.append(json.dumps(request, separators=(",", ":")))
    return frames


def _token_order(token: str) -> tuple[int, str]:
    return (len(token), token)


def _check_mode(mode: int) -> None:
    if mode not in STREAM_MODES:
        raise UsageError(f"feed mode {mode} is not one of 1 (LTP), 2 (QUOTE), 3 (SNAP_QUOTE)")


def _check_exchange_type(exchange_type: int) -> None:
    if exchange_type not in _EXCHANGE_TYPES:
        raise UsageError(f"exchange type {exchange_type} is not a feed exchange type")


def _check_token(token: str) -> str:
    text = str(token)
    if not text.isdigit() or len(text) > 25:
        raise UsageError(f"feed token {text!r} is not a numeric instrument token")
    return text
