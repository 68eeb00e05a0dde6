"""Fault specifications: the flat JSON form of a fault switch, checked and turned into a fault.

``parse_fault({"name": "hold", "seconds": 5, "route": "getProfile", "count": 1})`` → ``Hold``;
the switches and their parameters are described in ``faults``. Each parameter is checked for its
type, its choices (``_CHOICES``) and its range (``_RANGES``); ``route`` must name a REST route
(or ``instrumentMaster``) for a REST fault, a socket for a ``ws_*`` one, or ``"*"``.

Invariant: ``parse_fault`` either returns a fault built from every given key or raises
``FaultSpecError`` naming the first bad one; it never arms anything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from angelctl.sandbox.rest.faults import (
    ERROR_DIALECTS,
    SOCKET_ROUTE_NAMES,
    WS_BAD_FRAME_KINDS,
    WS_DELAY_STAGES,
    WS_STALL_MODES,
    AuthAfter,
    Drop,
    Empty400,
    ErrorAfter,
    ErrorReply,
    ExpireTokens,
    Fault,
    FaultSpecError,
    FillBeforeCancel,
    Garbage,
    Hold,
    Http5xx,
    Latency,
    RateLimit,
    Truncate,
    WafHtml,
    WsBadFrame,
    WsDelay,
    WsDrop,
    WsReject,
    WsStall,
)
from angelctl.sandbox.rest.routes import FAULT_ROUTE_NAMES
from angelctl.sandbox.rest.wire import GARBAGE_KINDS

FAULT_TYPES: dict[str, type[Fault]] = {
    cls.name: cls
    for cls in (
        Latency,
        Hold,
        Drop,
        Http5xx,
        RateLimit,
        WafHtml,
        Empty400,
        ExpireTokens,
        AuthAfter,
        Truncate,
        Garbage,
        ErrorReply,
        ErrorAfter,
        FillBeforeCancel,
        WsReject,
        WsDelay,
        WsDrop,
        WsStall,
        WsBadFrame,
    )
}

_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("drop", "mode"): ("reset", "close"),
    ("rate_limit", "reply"): ("text403", "json_ab1021", "http429"),
    ("garbage", "kind"): GARBAGE_KINDS,
    ("error_reply", "dialect"): ERROR_DIALECTS,
    ("error_after", "dialect"): ERROR_DIALECTS,
    ("ws_delay", "stage"): WS_DELAY_STAGES,
    ("ws_drop", "mode"): ("reset", "close"),
    ("ws_stall", "mode"): WS_STALL_MODES,
    ("ws_bad_frame", "kind"): WS_BAD_FRAME_KINDS,
}
_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("http_5xx", "status"): (500, 599),
    ("waf_html", "status"): (200, 599),
    ("error_reply", "status"): (200, 599),
    ("error_after", "status"): (200, 599),
    ("latency", "ms"): (0, 600_000),
    ("hold", "seconds"): (0, 3600),
    ("auth_after", "calls"): (1, 10**9),
    ("truncate", "fraction"): (0, 1),
    ("ws_reject", "status"): (400, 599),
    ("ws_delay", "ms"): (0, 600_000),
    ("ws_drop", "code"): (1000, 4999),
    ("ws_drop", "after_frames"): (0, 10**9),
    ("ws_stall", "seconds"): (0, 86_400),
}
# Ranges whose upper bound is excluded (a "truncation" that sends everything is no fault).
_OPEN_ABOVE = frozenset({("truncate", "fraction")})


def parse_fault(spec: Mapping[str, Any]) -> Fault:
    """Build a fault from its flat JSON form; ``FaultSpecError`` on anything unexpected."""
    name = spec.get("name")
    cls = FAULT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None or not isinstance(name, str):
        raise FaultSpecError(f"unknown fault {name!r}; known: {', '.join(FAULT_TYPES)}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in ("id", "seen")}
    kwargs: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "name":
            continue
        if key not in fields:
            raise FaultSpecError(f"{name}: unknown parameter {key!r}")
        kwargs[key] = _check_value(name, key, fields[key].type, value)
    if name == "auth_after" and "calls" not in kwargs:
        raise FaultSpecError("auth_after needs 'calls'")
    return cls(**kwargs)


def _check_value(fault: str, key: str, type_name: Any, value: Any) -> Any:
    kind = str(type_name)
    if key == "count":
        ok = value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0)
    elif key == "route":
        socket = FAULT_TYPES[fault].is_socket
        ok = value == "*" or value in (SOCKET_ROUTE_NAMES if socket else FAULT_ROUTE_NAMES)
    elif kind.startswith("bool"):
        ok = isinstance(value, bool)
    elif kind.startswith("int"):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind.startswith("float"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = value is None or isinstance(value, str)
    if not ok:
        raise FaultSpecError(f"{fault}: bad value for {key!r}: {value!r}")
    choices = _CHOICES.get((fault, key))
    if choices is not None and value is not None and value not in choices:
        raise FaultSpecError(f"{fault}.{key} must be one of {', '.join(choices)}")
    low_high = _RANGES.get((fault, key))
    if low_high is not None:
        low, high = low_high
        open_above = (fault, key) in _OPEN_ABOVE
        if not (low <= value < high if open_above else low <= value <= high):
            shown = f"[{low:g}, {high:g})" if open_above else f"{low:g}..{high:g}"
            raise FaultSpecError(f"{fault}.{key} must be in {shown}")
    return value
