"""``RestClient``: the one request choke point (headers, rate limit, trace, envelope, retry).

Retry rules (the money-safety core of the transport):
- ``ConnectFailed``: nothing left the machine → retry any route.
- ``RateLimited``: the broker refused before acting → retry read-only routes after backoff; a
  write surfaces it to ``BrokerSession.call``, whose resend policy waits a full window and
  journals every attempt (docs/protocol.md, "Resend policy").
- ``ResponseLost`` / ``ServerError``: the broker may have acted → retry read-only routes only;
  a write surfaces the error to its caller, which settles it by reconciling, never by resending.
Backoff is full-jitter exponential, capped, on the injected monotonic clock; a backoff over two
seconds is announced on stderr (``clock.pause``).
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from angelctl.broker.envelope import RawResponse, parse_envelope
from angelctl.broker.ratelimit import RateLimiter
from angelctl.broker.routes import ROUTES, Route
from angelctl.broker.trace import trace_request, trace_response
from angelctl.broker.transport import HttpTransport
from angelctl.clock import Clock, pause
from angelctl.config import ProfileSettings
from angelctl.errors import ConnectFailed, RateLimited, ResponseLost, ServerError
from angelctl.records import record
from angelctl.secrets import Secret

log = logging.getLogger("angelctl.broker")

DEFAULT_LOCAL_IP = "127.0.0.1"
DEFAULT_PUBLIC_IP = "127.0.0.1"
DEFAULT_MAC = "00:00:00:00:00:00"


@record
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 4.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))], at least 10 ms."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return max(0.01, rng.uniform(0, ceiling))


class RestClient:
    def __init__(
        self,
        settings: ProfileSettings,
        api_key: Callable[[], Secret],
        clock: Clock,
        limiter: RateLimiter | None = None,
        transport: HttpTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self._api_key = api_key
        self.clock = clock
        self.limiter = limiter
        self.transport = transport or HttpTransport(settings.connect_timeout, settings.read_timeout)
        self.retry = retry or RetryPolicy()
        self.rng = random.Random()
        self.stats: Counter[str] = Counter()
        self.last_server_date: datetime | None = None
        # Monotonic time (on ``clock``) after which no request starts and none waits longer:
        # set by a caller with a hard budget (the kill switch), None otherwise.
        self.deadline: float | None = None
        self.last_server_date_at: datetime | None = None

    def headers(self, route: Route, jwt: Secret | None) -> dict[str, str]:
        s = self.settings
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-UserType": "USER",
            "X-SourceID": "WEB",
            "X-ClientLocalIP": s.local_ip or DEFAULT_LOCAL_IP,
            "X-ClientPublicIP": s.public_ip or DEFAULT_PUBLIC_IP,
            "X-MACAddress": s.mac_address or DEFAULT_MAC,
            "X-PrivateKey": self._api_key().reveal(),
            "User-Agent": "angelctl",
        }
        if route.auth and jwt is not None:
            headers["Authorization"] = f"Bearer {jwt.reveal()}"
        return headers

    def url(self, route: Route, path_args: Mapping[str, str] | None) -> str:
        path = route.path.format(**(path_args or {}))
        return self.settings.api_url.rstrip("/") + path

    def call(
        self,
        route_name: str,
        body: Mapping[str, Any] | None = None,
        *,
        jwt: Secret | None = None,
        path_args: Mapping[str, str] | None = None,
        before_send: Callable[[], None] | None = None,
        inflight: Callable[[], AbstractContextManager[None]] | None = None,
    ) -> Any:
        """One call. ``before_send`` runs after the rate-limit wait, immediately before each
        attempt leaves (the kill-switch check, the journal's send mark); ``inflight`` marks
        the attempt as on the wire."""
        route = ROUTES[route_name]
        payload = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        if route.method == "POST" and payload is None:
            payload = b"{}"
        url = self.url(route, path_args)
        attempt = 0
        while True:
            attempt += 1
            self._within_budget(route.name)
            if self.limiter is not None:
                waited = self.limiter.acquire(self.settings.client_code or "anon", route.spends)
                if waited > 0.001:
                    log.debug("rate limiter held %s for %.0f ms", route.name, waited * 1000)
            timeout = self._budget_timeout(route.name)
            headers = self.headers(route, jwt)
            if before_send is not None:
                before_send()
            trace_request(route.method, url, headers, payload)
            self.stats[f"sent:{route.name}"] += 1
            try:
                with inflight() if inflight is not None else nullcontext():
                    raw, elapsed = self.transport.send(
                        route.method, url, headers, payload, route.name, timeout=timeout
                    )
                trace_response(raw.status, raw.headers, raw.body, elapsed)
                self._note_date(raw)
                return parse_envelope(route.name, raw)
            except ConnectFailed as exc:
                error: Exception = exc
                retryable = True
            except (RateLimited, ResponseLost, ServerError) as exc:
                error = exc
                retryable = route.read_only
            if not retryable or attempt >= self.retry.max_attempts:
                raise error
            delay = self.retry.delay(attempt, self.rng)
            left = self._remaining()
            if left is not None and delay >= left:
                raise error  # no time left in the caller's budget for another attempt
            self.stats[f"retry:{type(error).__name__}"] += 1
            log.info("%s: %s; retry %d in %.2f s", route.name, error, attempt, delay)
            pause(self.clock, delay, f"retry {attempt} of {route.name} after {_why(error)}")

    def _remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock.monotonic()

    def _within_budget(self, route: str) -> None:
        """A caller with a time budget (the kill switch) never starts a request after it."""
        left = self._remaining()
        if left is not None and left <= 0:
            raise ConnectFailed("the time budget ran out before the request was sent", route=route)

    def _budget_timeout(self, route: str) -> tuple[float, float] | None:
        self._within_budget(route)
        left = self._remaining()
        if left is None:
            return None
        connect, read = self.transport.timeout
        return (min(connect, left), min(read, left))

    def _note_date(self, raw: RawResponse) -> None:
        date = raw.headers.get("Date")
        if date:
            try:
                self.last_server_date = parsedate_to_datetime(date)
                self.last_server_date_at = self.clock.now()
            except (TypeError, ValueError):
                pass

    def close(self) -> None:
        self.transport.close()
        if self.limiter is not None:
            self.limiter.close()


def _why(error: Exception) -> str:
    """A few words for a retry notice."""
    kinds: tuple[tuple[type[Exception], str], ...] = (
        (ConnectFailed, "a failed connection"),
        (RateLimited, "a rate-limit reply"),
        (ResponseLost, "a lost answer"),
        (ServerError, "a server error"),
    )
    return next((words for kind, words in kinds if isinstance(error, kind)), "an error")
