"""The sandbox engine: one SmartAPI request in, one response out, no sockets.

Pipeline for every API request (``handle``)::

    route match ─ method ─ reply fault? ─ body ─ rate limit ─ headers ─ token ─ static IP
        ─ paper broker catches up with the clock (``sync``) ─ handler
                                                     └ auth_after bookkeeping

then the response is stamped (``Date`` from the engine clock, hold/drop from the fault plan)
and the request is logged. ``plan_faults`` runs first, separately, so the transport can apply
latency *before* the request is processed; ``handle`` without a plan makes its own.

Invariants:
- Every public method takes the engine lock: the HTTP thread and a test thread may call in at
  the same time, and each request is processed atomically.
- Requests refused by a reply fault (5xx, WAF, empty 400, forced rate limit) change no state
  except the request log and counters: they were "not processed".
- A rate-limited request is logged but is not counted as admitted in any bucket meter.
- ``reset()`` restores the start-up config and accounts and clears sessions, faults, limiter
  windows, meters and the log; it does not rotate the token-signing key.
- Routes without a handler yet answer AB2000 after the full gateway pipeline, so auth and rate
  limiting are exercised on every known route.
- The instrument master (route ``instrumentMaster``) skips the gateway: no headers, token or rate
  limit, like the real CDN download. It is faulted and logged like any route. It serves the
  universe of the clock's IST day, gzipped when the request accepts gzip.
- The paper broker (``state.paper``) is brought up to the clock before every handler and every
  admin read of orders, events or the market, so what a test sees is always current.

Admin entry points for tests (each also an HTTP route under ``/_sandbox``; the paper ones are
in ``paper_admin``, mixed in): ``set_price``, ``freeze_market``, ``market_view``, ``orders``,
``events``, ``step_orders``, ``seed`` (open orders, positions and GTT rules in one call, see
``seeding``), ``gtt_rules``, plus ``stats``
(which includes the per-segment orders-per-second meters and ``order_flow``: calls, refusals and
the busiest second per order route, group and segment).

The fault ``fill_before_cancel`` is applied here, just before the handler: the order a
cancelOrder/modifyOrder names fills first, so the handler answers "already filled".
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Mapping
from datetime import UTC
from email.utils import format_datetime
from typing import Any

from angelctl.sandbox.clock import SandboxClock, SystemClock
from angelctl.sandbox.config import SandboxConfig
from angelctl.sandbox.engine.meters import BucketMeter
from angelctl.sandbox.engine.universe import Universe
from angelctl.sandbox.rest.convert_api import HANDLERS as CONVERT_HANDLERS
from angelctl.sandbox.rest.fault_specs import parse_fault
from angelctl.sandbox.rest.faults import ExpireTokens, FaultBoard, FaultPlan
from angelctl.sandbox.rest.gateway import (
    authenticate,
    caller_identity,
    check_headers,
    check_source_ip,
)
from angelctl.sandbox.rest.gtt_api import HANDLERS as GTT_HANDLERS
from angelctl.sandbox.rest.market_api import HANDLERS as MARKET_HANDLERS
from angelctl.sandbox.rest.money_api import HANDLERS as MONEY_HANDLERS
from angelctl.sandbox.rest.order_api import HANDLERS as ORDER_HANDLERS
from angelctl.sandbox.rest.order_flow import OrderFlow
from angelctl.sandbox.rest.paper_admin import PaperAdmin
from angelctl.sandbox.rest.ratelimit import SlidingWindowLimiter
from angelctl.sandbox.rest.request_log import RequestLog, RequestRecord
from angelctl.sandbox.rest.routes import (
    MASTER_ROUTE,
    STATIC_IP_ROUTES,
    WAF_PATHS,
    Route,
    match_path,
    normalise_path,
)
from angelctl.sandbox.rest.state import BrokerState, Call
from angelctl.sandbox.rest.user_api import HANDLERS as USER_HANDLERS
from angelctl.sandbox.rest.user_api import Handler
from angelctl.sandbox.rest.wire import (
    JSON_TYPE,
    EngineRequest,
    EngineResponse,
    empty_reply,
    oms_error,
    rate_limited,
    text_reply,
    waf_page,
)

HANDLERS: dict[str, Handler] = {
    **USER_HANDLERS,
    **ORDER_HANDLERS,
    **CONVERT_HANDLERS,
    **MARKET_HANDLERS,
    **GTT_HANDLERS,
    **MONEY_HANDLERS,
}


def not_implemented(state: BrokerState, call: Call) -> EngineResponse:
    return oms_error("AB2000", f"{call.route.name} is not implemented in this sandbox yet")


class SandboxEngine(PaperAdmin):
    def __init__(self, config: SandboxConfig | None = None, clock: SandboxClock | None = None):
        self._initial_config = config or SandboxConfig()
        self.clock: SandboxClock = clock or SystemClock()
        self._lock: threading.RLock = threading.RLock()
        self.state = BrokerState(self._initial_config, self.clock)
        self.faults = FaultBoard()
        self.limiter = SlidingWindowLimiter()
        self.meters: dict[str, BucketMeter] = {}
        self.log = RequestLog(self._initial_config.request_log_limit)
        self.flow = OrderFlow()
        self.gateway_timeouts: Counter[str] = Counter()
        for spec in self._initial_config.faults:
            self.add_fault(spec)

    @property
    def config(self) -> SandboxConfig:
        return self.state.config

    # ----------------------------------------------------------------- requests

    def plan_faults(self, request: EngineRequest) -> FaultPlan:
        with self._lock:
            matched = match_path(normalise_path(request.path))
            route_name = matched[0].name if matched else None
            return self.faults.plan(route_name, self.config.rate_limit_reply)

    def note_gateway_timeout(self, request: EngineRequest, *, processed: bool) -> None:
        """Count a request the gateway timed out (``stats``: processed or discarded)."""
        with self._lock:
            key = "gateway_timeouts_processed" if processed else "gateway_timeouts_discarded"
            self.gateway_timeouts[key] += 1

    def handle(self, request: EngineRequest, plan: FaultPlan | None = None) -> EngineResponse:
        with self._lock:
            path = normalise_path(request.path)
            matched = match_path(path)
            route = matched[0] if matched else None
            if plan is None:
                plan = self.faults.plan(route.name if route else None, self.config.rate_limit_reply)
            if matched is None:
                response = waf_page() if path in WAF_PATHS else _not_found()
                client = None
            elif route is MASTER_ROUTE:
                response, client = self._serve_master(request, plan), None
            else:
                response, client = self._process(request, matched[0], matched[1], plan)
            response.hold_seconds = plan.hold_seconds
            response.drop = plan.drop
            response.truncate_fraction = plan.truncate_fraction
            now = self.clock.now()
            response.headers.setdefault("Date", format_datetime(now.astimezone(UTC), usegmt=True))
            self.flow.record(
                route.name if route else None,
                response.code,
                now.timestamp(),
                self.clock.monotonic(),
            )
            self.log.append(
                RequestRecord(
                    seq=self.log.next_seq(),
                    time=now.isoformat(),
                    monotonic=self.clock.monotonic(),
                    method=request.method,
                    target=request.target,
                    route=route.name if route else None,
                    headers=request.headers_dict(),
                    body=request.body_text,
                    client_code=client,
                    remote=request.remote,
                    status=response.status,
                    code=response.code,
                    faults=tuple(plan.names),
                )
            )
            return response

    def _process(
        self, request: EngineRequest, route: Route, params: dict[str, str], plan: FaultPlan
    ) -> tuple[EngineResponse, str | None]:
        if request.method.upper() != route.method:
            response = text_reply(405, "405: Method Not Allowed", "method_not_allowed")
            response.headers["Allow"] = route.method
            return response, None
        if plan.reply is not None:
            return plan.reply, None
        body = _parse_body(request, route)
        if body is None:
            return empty_reply(400, "bad_json"), None
        state, config = self.state, self.config
        key, client = caller_identity(state, request, route, body)
        buckets = config.buckets_for(route.name)
        if config.rate_limit_enabled:
            full = self.limiter.check_and_record(
                key, buckets, config.rate_limits, self.clock.monotonic()
            )
            if full is not None:
                self._meter(full).rate_limited += 1
                return rate_limited(config.rate_limit_reply), client
        wall, mono = self.clock.now().timestamp(), self.clock.monotonic()
        for bucket in buckets:
            self._meter(bucket).record_admitted(wall, mono)
        refused = check_headers(state, request)
        if refused is not None:
            return refused, client
        call = Call(request, route, self.clock.now(), body, params)
        if route.is_secure:
            verified = authenticate(state, request)
            if isinstance(verified, EngineResponse):
                return verified, client
            call.token, client = verified, verified.client_code
            if route.name in STATIC_IP_ROUTES:
                refused = check_source_ip(state, request, client)
                if refused is not None:
                    return refused, client
        state.paper.sync()
        if plan.fill_first:
            self._fill_named_order(call)
        response = HANDLERS.get(route.name, not_implemented)(state, call)
        if route.is_secure and response.ok and call.token is not None:
            for fired in self.faults.note_secure_success(route.name, call.token.client_code):
                state.sessions.revoke_jwts(
                    also_refresh=fired.also_refresh, client_code=fired.client_code
                )
        if plan.after_reply is not None:  # error_after: processed, answered with an error
            return plan.after_reply, client
        return response, client

    def _fill_named_order(self, call: Call) -> None:
        """``fill_before_cancel``: the order named by ``orderid`` fills now (if it can)."""
        if call.token is None:
            return
        order = self.state.paper.order(call.token.client_code, (call.text("orderid") or "").strip())
        if order is not None:
            self.state.paper.fill_now(order)

    def _serve_master(self, request: EngineRequest, plan: FaultPlan) -> EngineResponse:
        if request.method.upper() != MASTER_ROUTE.method:
            response = text_reply(405, "405: Method Not Allowed", "method_not_allowed")
            response.headers["Allow"] = MASTER_ROUTE.method
            return response
        if plan.reply is not None:
            return plan.reply
        universe = self.state.universe
        headers = {"Vary": "Accept-Encoding"}
        if _accepts_gzip(request.header("Accept-Encoding")):
            body = universe.master_gzip()
            headers["Content-Encoding"] = "gzip"
        else:
            body = universe.master_json()
        return EngineResponse(status=200, body=body, content_type=JSON_TYPE, headers=headers)

    def _meter(self, bucket: str) -> BucketMeter:
        return self.meters.setdefault(bucket, BucketMeter())

    # -------------------------------------------------------------------- admin

    def reset(self) -> None:
        """Back to the start-up state: config, accounts; no sessions, faults, windows or log."""
        with self._lock:
            self.state.reset(self._initial_config)
            self.faults.clear()
            self.limiter.clear()
            self.meters.clear()
            self.log.clear()
            self.flow.clear()
            self.gateway_timeouts.clear()

    @property
    def universe(self) -> Universe:
        """The instruments of the clock's IST trading day (rebuilt when the day changes)."""
        with self._lock:
            return self.state.universe

    def instrument_master(self) -> list[dict[str, str | bool]]:
        with self._lock:
            return list(self.state.universe.rows)

    def instruments(self, **filters: str) -> dict[str, Any]:
        """Rows matching ``Universe.find`` filters, with their reference prices (admin view)."""
        with self._lock:
            universe = self.state.universe
            found = universe.find(**filters)
            return {
                "trading_day": universe.trading_day.isoformat(),
                "count": len(found),
                "rows": [instrument.to_row() for instrument in found],
                "reference_prices": {
                    f"{i.exch_seg}:{i.token}": str(universe.reference_price(i.exch_seg, i.token))
                    for i in found
                },
            }

    def demo_account(self) -> dict[str, str]:
        return self.config.demo.demo_dict()

    def add_fault(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """Arm a fault (or run the one-shot ``expire_tokens``); ``FaultSpecError`` if bad."""
        fault = parse_fault(spec)
        with self._lock:
            if isinstance(fault, ExpireTokens):
                expired = self.expire_tokens(
                    also_refresh=fault.also_refresh, client_code=fault.client_code
                )
                return {"name": fault.name, "expired": expired}
            return self.faults.arm(fault).describe()

    def expire_tokens(self, *, also_refresh: bool = False, client_code: str | None = None) -> int:
        with self._lock:
            return self.state.sessions.revoke_jwts(
                also_refresh=also_refresh, client_code=client_code
            )

    def list_faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return self.faults.describe()

    def clear_faults(self, fault_id: int | None = None) -> int:
        """Disarm one fault by id, or all; returns how many were disarmed."""
        with self._lock:
            if fault_id is not None:
                return 1 if self.faults.disarm(fault_id) else 0
            count = len(self.faults.describe())
            self.faults.clear()
            return count

    def requests(self, *, since: int = 0, route: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [record.as_dict() for record in self.log.records(since=since, route=route)]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": sum(c.calls for c in self.log.routes.values()),
                "rate_limited": sum(m.rate_limited for m in self.meters.values())
                + sum(m.rate_limited for m in self.state.paper.segment_meters.values()),
                "sessions_live": self.state.sessions.live_sessions(),
                "routes": {name: c.as_dict() for name, c in sorted(self.log.routes.items())},
                "buckets": {name: m.as_dict() for name, m in sorted(self.meters.items())},
                **self.state.paper.stats(),
                "order_flow": self.flow.as_dict(self.state.paper.segment_flow()),
                "gateway_timeouts": dict(self.gateway_timeouts),
            }

    def update_config(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Apply run-time config changes; ``SandboxConfigError`` if any is bad (none applied)."""
        with self._lock:
            self.state.config = self.config.with_changes(changes)
            return self.config.runtime_dict()


def _not_found() -> EngineResponse:
    return text_reply(404, "404: Not Found", "not_found")


def _accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value admits gzip (``gzip``/``x-gzip`` with q > 0)."""
    for part in (accept_encoding or "").split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip"):
            continue
        quality = params.strip().lower()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def _parse_body(request: EngineRequest, route: Route) -> dict[str, Any] | None:
    """The JSON body of a POST (``{}`` if empty); GET bodies and query strings are ignored."""
    if route.method == "GET" or not request.body.strip():
        return {}
    try:
        parsed = json.loads(request.body)
    except ValueError:
        return None
    if parsed is None:
        return {}
    return parsed if isinstance(parsed, dict) else None
