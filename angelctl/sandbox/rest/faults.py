"""Named fault switches: small classes that bend one request's fate.

A fault is armed from a flat JSON object, e.g. ``{"name": "hold", "seconds": 5,
"route": "getProfile", "count": 1}``. Every fault takes ``route`` (a route name or ``"*"``,
the default) and ``count`` (how many matching requests it affects before it disarms; default
unlimited). The switches:

=============  ==========================================  =====================================
name           parameters                                  effect
=============  ==========================================  =====================================
latency        ms (default 200)                            wait, then process and reply
hold           seconds (default 5)                         process, then wait before replying
drop           mode: "reset" (RST, default) | "close"      process, then close without a reply
http_5xx       status (500-599, default 503)               HTML error page, request NOT processed
rate_limit     reply: text403|json_ab1021|http429          the rate-limit reply, NOT processed
               (default: the configured form)
waf_html       status (default 403)                        HTML "Request Rejected", NOT processed
empty_400      —                                           HTTP 400, Content-Length 0, NOT processed
expire_tokens  also_refresh (false), client_code           one-shot action: live jwts die (AG8001)
auth_after     calls (required), also_refresh, client_code after N more successful secure calls,
                                                           expire tokens as above, then disarm
truncate       fraction (0 <= f < 1, default 0.5)          process, send the headers with the full
                                                           Content-Length but only that fraction
                                                           of the body, then close the connection
garbage        kind: "html" (default) | "cut_json" |       HTTP 200 whose body is not JSON (an HTML
               "binary"                                    page; a JSON array cut mid-row; gzip-
                                                           looking bytes), NOT processed
error_reply    code (AB1004), message, status (200),       a SmartAPI error envelope (status or
               dialect: "status" | "success"               success dialect), NOT processed
error_after    same as error_reply                         process the request (an order is
                                                           placed), then answer that error instead
fill_before_   —  (acts on cancelOrder / modifyOrder only)  the named working order fills at its
cancel                                                     price just before the request is
                                                           processed, so the answer is "Order is
                                                           already filled" (a cancel that
                                                           loses the race with a fill)
=============  ==========================================  =====================================

``fill_before_cancel`` serves docs/scenarios.md#b4--partial-fills-and-refused-exits.

Socket faults (``ws_*``) shape the two WebSocket endpoints instead; their ``route`` is ``"*"``
(both), ``"smartStream"`` (market feed) or ``"orderUpdates"`` (order updates), and ``count``
counts what the last column names. REST faults never touch a socket, socket faults never a
request.

=============  ==========================================  =====================================
name           parameters                                  effect (what ``count`` counts)
=============  ==========================================  =====================================
ws_reject      status (400-599, default 503), message      refuse the upgrade: 4xx with that
               (``x-error-message`` of a 4xx)              header, 5xx an HTML page (upgrades)
ws_delay       ms (default 200), stage: "upgrade"          wait before answering the upgrade, or
               (default) | "frames"                        before each batch of frames (batches)
ws_drop        mode: "reset" (RST, default) | "close"      drop live connections once they have
               (a close frame with ``code``, default       sent ``after_frames`` data frames
               1001); after_frames (default 0)             (connections)
ws_stall       mode: "silent" (no data, pings unanswered)  TCP stays open, nothing is sent for
               | "data" (pings answered, no data);         ``seconds`` (connections)
               seconds (default 3600)
ws_bad_frame   kind: "truncated" | "unknown_mode" |        one malformed frame among the good
               "trailing" | "garbage" (default truncated)  ones (frames)
=============  ==========================================  =====================================

``route`` names are the REST route names plus ``instrumentMaster`` (the scrip-master download,
``/OpenAPI_File/files/OpenAPIScripMaster.json``); ``truncate`` and ``garbage`` are meant for that
download but work on any route. ``latency``, ``drop`` and ``http_5xx`` apply to it as well.

Invariants:
- A request consumes at most one *reply* fault (the oldest armed one that matches) and any
  number of timing faults (latencies add up, the longest hold wins, one drop, the smallest
  truncation fraction; a drop beats a truncation).
- ``count`` is decremented when the fault shapes a request; at zero the fault is removed.
- ``expire_tokens`` is never armed: adding it acts at once and returns how many jwts died.

Specs are checked and turned into faults by ``fault_specs.parse_fault``.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from angelctl.sandbox.rest.wire import (
    DropMode,
    EngineResponse,
    empty_reply,
    garbage_reply,
    gateway_error,
    gateway_failure_page,
    oms_error,
    rate_limited,
    waf_page,
)


class FaultSpecError(ValueError):
    """A fault specification that names an unknown fault or carries bad parameters."""


@dataclass
class FaultPlan:
    """What the armed faults do to one request; built before the request is processed."""

    latency_seconds: float = 0.0
    reply: EngineResponse | None = None
    hold_seconds: float = 0.0
    drop: DropMode | None = None
    truncate_fraction: float | None = None
    fill_first: bool = False  # fill_before_cancel: fill the named order, then process
    after_reply: EngineResponse | None = None  # error_after: process, then answer this
    names: list[str] = field(default_factory=list)


@dataclass
class Fault:
    name: ClassVar[str] = ""
    is_reply: ClassVar[bool] = False
    is_socket: ClassVar[bool] = False  # shapes a WebSocket endpoint, never a REST request
    route: str = "*"
    count: int | None = None
    id: int = 0

    def matches(self, route_name: str | None) -> bool:
        return self.route == "*" or self.route == route_name

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        """Apply this fault to ``plan``."""

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        out.update(dataclasses.asdict(self))
        return out


@dataclass
class Latency(Fault):
    name: ClassVar[str] = "latency"
    ms: float = 200.0

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        plan.latency_seconds += self.ms / 1000.0


@dataclass
class Hold(Fault):
    name: ClassVar[str] = "hold"
    seconds: float = 5.0

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        plan.hold_seconds = max(plan.hold_seconds, self.seconds)


@dataclass
class Drop(Fault):
    name: ClassVar[str] = "drop"
    mode: str = "reset"

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        plan.drop = "close" if self.mode == "close" else "reset"


@dataclass
class Http5xx(Fault):
    name: ClassVar[str] = "http_5xx"
    is_reply: ClassVar[bool] = True
    status: int = 503

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        plan.reply = gateway_failure_page(self.status)


@dataclass
class RateLimit(Fault):
    name: ClassVar[str] = "rate_limit"
    is_reply: ClassVar[bool] = True
    reply: str | None = None

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        plan.reply = rate_limited(self.reply or rate_limit_reply)


@dataclass
class WafHtml(Fault):
    name: ClassVar[str] = "waf_html"
    is_reply: ClassVar[bool] = True
    status: int = 403

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        plan.reply = waf_page(self.status)


@dataclass
class Empty400(Fault):
    name: ClassVar[str] = "empty_400"
    is_reply: ClassVar[bool] = True

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        plan.reply = empty_reply(400, "empty_400")


@dataclass
class Truncate(Fault):
    name: ClassVar[str] = "truncate"
    fraction: float = 0.5

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        current = plan.truncate_fraction
        plan.truncate_fraction = self.fraction if current is None else min(current, self.fraction)


@dataclass
class Garbage(Fault):
    name: ClassVar[str] = "garbage"
    is_reply: ClassVar[bool] = True
    kind: str = "html"

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        plan.reply = garbage_reply(self.kind)


ERROR_DIALECTS = ("status", "success")


@dataclass
class ErrorReply(Fault):
    name: ClassVar[str] = "error_reply"
    is_reply: ClassVar[bool] = True
    code: str = "AB1004"
    message: str = "Something Went Wrong, Please Try After Sometime"
    status: int = 200
    dialect: str = "status"

    def response(self) -> EngineResponse:
        make = oms_error if self.dialect == "status" else gateway_error
        reply = make(self.code, self.message)
        reply.status = self.status
        return reply

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        plan.reply = self.response()


@dataclass
class ErrorAfter(ErrorReply):
    name: ClassVar[str] = "error_after"
    is_reply: ClassVar[bool] = False

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        plan.after_reply = self.response()


@dataclass
class ExpireTokens(Fault):
    name: ClassVar[str] = "expire_tokens"
    also_refresh: bool = False
    client_code: str | None = None


@dataclass
class AuthAfter(Fault):
    name: ClassVar[str] = "auth_after"
    calls: int = 0
    also_refresh: bool = False
    client_code: str | None = None
    seen: int = 0


@dataclass
class FillBeforeCancel(Fault):
    name: ClassVar[str] = "fill_before_cancel"

    def matches(self, route_name: str | None) -> bool:
        return route_name in ("cancelOrder", "modifyOrder") and super().matches(route_name)

    def shape(self, plan: FaultPlan, rate_limit_reply: str) -> None:
        plan.fill_first = True


SOCKET_ROUTE_NAMES = frozenset({"smartStream", "orderUpdates"})
WS_DELAY_STAGES = ("upgrade", "frames")
WS_STALL_MODES = ("silent", "data")
WS_BAD_FRAME_KINDS = ("truncated", "unknown_mode", "trailing", "garbage")


@dataclass
class WsReject(Fault):
    name: ClassVar[str] = "ws_reject"
    is_socket: ClassVar[bool] = True
    status: int = 503
    message: str | None = None


@dataclass
class WsDelay(Fault):
    name: ClassVar[str] = "ws_delay"
    is_socket: ClassVar[bool] = True
    ms: float = 200.0
    stage: str = "upgrade"


@dataclass
class WsDrop(Fault):
    name: ClassVar[str] = "ws_drop"
    is_socket: ClassVar[bool] = True
    mode: str = "reset"
    code: int = 1001
    after_frames: int = 0


@dataclass
class WsStall(Fault):
    name: ClassVar[str] = "ws_stall"
    is_socket: ClassVar[bool] = True
    mode: str = "silent"
    seconds: float = 3600.0


@dataclass
class WsBadFrame(Fault):
    name: ClassVar[str] = "ws_bad_frame"
    is_socket: ClassVar[bool] = True
    kind: str = "truncated"


SocketFaultT = TypeVar("SocketFaultT", bound=Fault)


class FaultBoard:
    """The armed faults, in arming order."""

    def __init__(self) -> None:
        self._armed: list[Fault] = []
        self._ids = itertools.count(1)

    def clear(self) -> None:
        self._armed.clear()

    def arm(self, fault: Fault) -> Fault:
        fault.id = next(self._ids)
        self._armed.append(fault)
        return fault

    def disarm(self, fault_id: int) -> bool:
        before = len(self._armed)
        self._armed = [f for f in self._armed if f.id != fault_id]
        return len(self._armed) != before

    def describe(self) -> list[dict[str, Any]]:
        return [fault.describe() for fault in self._armed]

    def plan(self, route_name: str | None, rate_limit_reply: str) -> FaultPlan:
        plan = FaultPlan()
        for fault in list(self._armed):
            if fault.is_socket or isinstance(fault, AuthAfter) or not fault.matches(route_name):
                continue
            if fault.is_reply and plan.reply is not None:
                continue
            fault.shape(plan, rate_limit_reply)
            plan.names.append(fault.name)
            self._consume(fault)
        return plan

    def socket_faults(self, kind: type[SocketFaultT], route_name: str) -> list[SocketFaultT]:
        """The armed socket faults of one kind that apply to ``route_name``, oldest first."""
        return [f for f in self._armed if isinstance(f, kind) and f.matches(route_name)]

    def consume(self, fault: Fault) -> None:
        """Count one use of a socket fault (disarming it when its ``count`` runs out)."""
        self._consume(fault)

    def note_secure_success(self, route_name: str, client_code: str) -> list[AuthAfter]:
        """Count a successful secure call; the ``auth_after`` faults that fire now."""
        fired: list[AuthAfter] = []
        for fault in list(self._armed):
            if not isinstance(fault, AuthAfter) or not fault.matches(route_name):
                continue
            if fault.client_code is not None and fault.client_code != client_code:
                continue
            fault.seen += 1
            if fault.seen >= fault.calls:
                fired.append(fault)
                self.disarm(fault.id)
        return fired

    def _consume(self, fault: Fault) -> None:
        if fault.count is None:
            return
        fault.count -= 1
        if fault.count <= 0:
            self.disarm(fault.id)
