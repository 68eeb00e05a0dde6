"""Sandbox configuration: accounts, session rules, rate limits, reply forms and start-up faults.

Where the protocol reference marks a behaviour [GAP] or [CONFLICT], it is an option here with the
most likely behaviour as the default, so a test can pin either reading.

Invariants:
- A ``SandboxConfig`` is validated on construction and treated as immutable afterwards; run-time
  changes (``POST /_sandbox/config``) build a new one with ``with_changes`` and ``reset()`` goes
  back to the one the server started with.
- Rate limits are keyed by *bucket*; a route counts against the buckets in ``route_buckets``
  (default: a bucket named after the route, plus ``orders`` for place/modify/cancel).
  Windows are in seconds; a route whose buckets have no limits is unlimited but still metered.

The defaults (the published rate-limit table, the demo account and its holdings) and the account
records are in ``config_defaults`` (``SandboxAccount`` is re-exported here).
"""

# long module: a documented field per sandbox setting and its check; split, they would scatter

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping
from dataclasses import field
from typing import Any, Literal

from angelctl.records import record
from angelctl.sandbox.config_defaults import (
    RateLimitTable,
    default_rate_limits,
    default_route_buckets,
    demo_account,
)
from angelctl.sandbox.config_defaults import SandboxAccount as SandboxAccount

SessionExpiry = Literal["midnight", "ttl"]
RateLimitReply = Literal["text403", "json_ab1021", "http429"]
ApiKeyErrorCode = Literal["AG8004", "AG8001"]
ExpiredTokenCode = Literal["AG8001", "AG8002"]
MarketOrders = Literal["reject", "convert_to_limit", "allow"]
AfterHoursOrders = Literal["amo", "reject"]
UnregisteredIpMessage = Literal["access_denied", "not_registered"]
HistoryNoData = Literal["empty", "AB9019", "AB1004"]
HistoryOverSpan = Literal["truncate", "error"]

MARKET_ORDER_CHOICES = ("reject", "convert_to_limit", "allow")


class SandboxConfigError(ValueError):
    """A configuration value the sandbox cannot honour."""


@record
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 0
    allow_remote: bool = False
    # The admin routes' token (header X-Sandbox-Admin); None: a random one at start (tests may
    # fix one). Never settable at run time.
    admin_token: str | None = field(default=None, repr=False)
    demo: SandboxAccount = field(default_factory=demo_account)
    extra_accounts: list[SandboxAccount] = field(default_factory=list)
    # [CONFLICT] docs: valid till midnight; observed exp claims: ~24 h. "midnight" = 23:59:59 IST.
    session_expiry: SessionExpiry = "midnight"
    session_ttl_seconds: int = 86400
    # [GAP] refresh-token lifetime is undocumented; None = same expiry as the jwt it came with.
    refresh_ttl_seconds: int | None = None
    # [GAP] whether generateTokens kills the previous tokens is undocumented.
    invalidate_old_tokens_on_refresh: bool = False
    reject_totp_reuse: bool = True
    totp_valid_window: int = 1
    rate_limits: RateLimitTable = field(default_factory=default_rate_limits)
    route_buckets: dict[str, list[str]] = field(default_factory=default_route_buckets)
    rate_limit_enabled: bool = True
    rate_limit_reply: RateLimitReply = "text403"
    # [GAP] a missing/unknown X-PrivateKey: JAVA SDK names AG8004 "Invalid or missing api key";
    # one forum report got AG8001 "Invalid Token" for a misnamed header. Default AG8004.
    api_key_error_code: ApiKeyErrorCode = "AG8004"
    # [CONFLICT] AG8002 "Token Expired" is documented; live stale tokens get AG8001.
    expired_token_code: ExpiredTokenCode = "AG8001"
    faults: list[dict[str, Any]] = field(default_factory=list)
    # [GAP] The broker's gateway timeout is undocumented; 30 s is assumed (docs/protocol.md).
    # A request delayed longer (``latency``) is discarded unprocessed; a processed answer held
    # longer (``hold``) is replaced: either way the client gets a 504 page at this time.
    gateway_timeout_seconds: float = 30.0
    request_log_limit: int = 100_000
    # Simulated time (the kill-switch drill): None = real time. A number = every request costs
    # that many milliseconds of *simulated* time (half before it is processed, half after), and
    # latency and hold faults advance the engine's clock (it must have ``advance``: a
    # ``ManualClock``) instead of sleeping, so a run is repeatable to the byte.
    simulated_latency_ms: float | None = None

    # ---- the paper market (``market``): a seeded, mean-reverting walk per instrument
    market_seed: int = 20260310
    market_step_seconds: float = 1.0
    market_step_bps: float = 4.0  # standard deviation of one step of the log price
    market_half_life_seconds: float = 900.0  # pull back toward the walk's centre
    market_frozen: bool = False  # start with a still market (``/_sandbox/market/freeze``)
    circuit_percent: float = 10.0  # cash and futures band around the previous close

    # ---- the paper broker (``paper``)
    # [CONFLICT] April-2026 rule "Market orders and IOC orders are strictly prohibited for
    # algorithmic trading" vs docs "market orders will be converted into limit orders ... as per
    # the MPP limits". Default: reject (the newer rule). SL-M counts as a market order.
    market_orders: MarketOrders = "reject"
    market_protection_percent: float = 2.0  # [GAP] MPP of convert_to_limit
    oms_latency_seconds: float = 0.0  # how long a new order stays "open pending"
    fill_lots_per_step: int | None = None  # partial fills: at most N lots per price step
    # Partial fills (docs/scenarios.md#b4--partial-fills-and-refused-exits): one matching pass fills
    # at most this fraction of what is unfilled, rounded down to lots, at least one lot. None: fill
    # everything marketable.
    partial_fill_fraction: float | None = None
    # [GAP] Angel's text for modifying/cancelling an order that is already final is unknown; the
    # chosen form follows the live "Cancel Order Response : Bad Input". {action}: Cancel|Modify,
    # {state}: filled|cancelled|rejected.
    terminal_order_message: str = "{action} Order Response : Order is already {state}"
    intraday_margin_percent: float = 20.0
    derivatives_margin_percent: float = 12.0
    # [GAP] Angel's AMO windows are undocumented: off by default so the sandbox trades any time.
    enforce_market_hours: bool = False
    after_hours_orders: AfterHoursOrders = "amo"
    # Static IP (docs/protocol.md#static-ip-and-the-2026-algo-rules): order writes from other IPs
    # get AG7002. Empty: no check.
    registered_ips: tuple[str, ...] = ()
    # The two live AG7002 texts: Apr-2026 "Access denied: Unregistered IP address. ..." and
    # Jun-2026 "<ip> is not a registered IP, please check your registered IP."
    unregistered_ip_message: UnregisteredIpMessage = "access_denied"
    # SEBI's 10 orders/second per exchange segment; None meters without refusing.
    segment_ops_limit: int | None = 10

    # --- the WebSocket feeds (``ws.feed``, ``ws.orders``;
    # docs/protocol.md#websocket-20-market-feed, docs/protocol.md#order-update-socket)
    feed_ticks_per_second: float = 2.0  # per subscribed token×mode, on every connection
    # per connection, counted per token×mode (docs/protocol.md#feed-limits)
    feed_subscription_limit: int = 1000
    # accept mode 4, the 20-level book Angel deprecated (docs/protocol.md#feed-limits)
    feed_depth20: bool = False
    # per client code, on each socket (docs/protocol.md#feed-limits,
    # docs/protocol.md#order-update-socket)
    ws_max_connections: int = 3
    order_feed_heartbeat_seconds: float | None = 10.0  # the 1-byte b"\x00" frame; None: off

    # --- historical candles (``rest.history_api``, docs/protocol.md#historical-candles)
    # [CONFLICT] a range with no candles (holiday, weekend): an empty ``data`` list (what
    # OpenAlgo handles), "No Data Available" AB9019, or AB1004 (seen live for a holiday).
    history_no_data: HistoryNoData = "empty"
    # [GAP] a range over the interval's maximum span: a third-party adapter saw it silently
    # truncated to the maximum ("truncate"); "error" answers AB1004.
    history_over_span: HistoryOverSpan = "truncate"

    def __post_init__(self) -> None:
        # long: one flat list of independent field checks, each a single condition
        _check(0 < self.feed_ticks_per_second <= 1000, "feed_ticks_per_second must be (0, 1000]")
        _check(self.feed_subscription_limit > 0, "feed_subscription_limit must be > 0")
        _check(self.ws_max_connections > 0, "ws_max_connections must be > 0")
        _check(
            self.order_feed_heartbeat_seconds is None or self.order_feed_heartbeat_seconds > 0,
            "order_feed_heartbeat_seconds must be > 0 or null",
        )
        _check(self.session_expiry in ("midnight", "ttl"), "session_expiry: midnight or ttl")
        _check(self.session_ttl_seconds > 0, "session_ttl_seconds must be > 0")
        _check(
            self.refresh_ttl_seconds is None or self.refresh_ttl_seconds > 0,
            "refresh_ttl_seconds must be > 0 or null",
        )
        _check(0 <= self.totp_valid_window <= 10, "totp_valid_window must be 0..10")
        _check(
            self.rate_limit_reply in ("text403", "json_ab1021", "http429"),
            "rate_limit_reply: text403, json_ab1021 or http429",
        )
        _check(self.api_key_error_code in ("AG8004", "AG8001"), "api_key_error_code")
        _check(self.expired_token_code in ("AG8001", "AG8002"), "expired_token_code")
        _check(0 <= self.port <= 65535, "port must be 0..65535")
        _check(
            self.admin_token is None or _token_like(self.admin_token),
            "admin_token must be 16 or more printable ASCII characters without spaces",
        )
        _check(self.request_log_limit > 0, "request_log_limit must be > 0")
        _check(
            self.simulated_latency_ms is None or 0 <= self.simulated_latency_ms <= 60_000,
            "simulated_latency_ms must be 0..60000 or null",
        )
        codes = [account.client_code for account in self.accounts]
        _check(len(codes) == len(set(codes)), "client codes must be unique")
        for bucket, limits in self.rate_limits.items():
            for count, window in limits:
                _check(count > 0 and window > 0, f"rate limit {bucket}: count and window > 0")
        _check(self.market_step_seconds > 0, "market_step_seconds must be > 0")
        _check(0 <= self.market_step_bps <= 1000, "market_step_bps must be 0..1000")
        _check(self.market_half_life_seconds > 0, "market_half_life_seconds must be > 0")
        _check(0 < self.circuit_percent < 100, "circuit_percent must be in (0, 100)")
        _check(
            self.market_orders in MARKET_ORDER_CHOICES,
            "market_orders: " + ", ".join(MARKET_ORDER_CHOICES),
        )
        _check(0 < self.market_protection_percent < 100, "market_protection_percent: (0, 100)")
        _check(0 <= self.oms_latency_seconds <= 3600, "oms_latency_seconds must be 0..3600")
        _check(
            0 < self.gateway_timeout_seconds <= 600, "gateway_timeout_seconds must be in (0, 600]"
        )
        _check(
            self.fill_lots_per_step is None or self.fill_lots_per_step > 0,
            "fill_lots_per_step must be > 0 or null",
        )
        _check(
            self.partial_fill_fraction is None or 0 < self.partial_fill_fraction < 1,
            "partial_fill_fraction must be in (0, 1) or null",
        )
        _check(_formats(self.terminal_order_message), "terminal_order_message: {action} {state}")
        _check(0 < self.intraday_margin_percent <= 100, "intraday_margin_percent: (0, 100]")
        _check(0 < self.derivatives_margin_percent <= 100, "derivatives_margin_percent: (0, 100]")
        _check(self.after_hours_orders in ("amo", "reject"), "after_hours_orders: amo or reject")
        _check(
            self.unregistered_ip_message in ("access_denied", "not_registered"),
            "unregistered_ip_message: access_denied or not_registered",
        )
        _check(
            self.segment_ops_limit is None or self.segment_ops_limit > 0,
            "segment_ops_limit must be > 0 or null",
        )
        _check(self.history_no_data in ("empty", "AB9019", "AB1004"), "history_no_data")
        _check(self.history_over_span in ("truncate", "error"), "history_over_span")
        for account in self.accounts:
            for ip in (*account.registered_ips, *self.registered_ips):
                _check(is_ip_address(ip), f"not an IP address: {ip!r}")

    @property
    def accounts(self) -> list[SandboxAccount]:
        return [self.demo, *self.extra_accounts]

    @property
    def host_is_loopback(self) -> bool:
        return is_loopback_host(self.host)

    def buckets_for(self, route_name: str) -> list[str]:
        return self.route_buckets.get(route_name, [route_name])

    def with_changes(self, changes: Mapping[str, Any]) -> SandboxConfig:
        """A new config with run-time changes applied (the keys of ``RUNTIME_KEYS``).

        ``rate_limits`` and ``route_buckets`` merge per bucket/route, e.g.
        ``{"rate_limits": {"getRMS": [[2, 1]], "getProfile": []}}`` sets getRMS to 2/s and
        lifts getProfile's limits; every other key replaces the current value.
        """
        unknown = set(changes) - RUNTIME_KEYS
        if unknown:
            raise SandboxConfigError(f"not settable at run time: {', '.join(sorted(unknown))}")
        updates: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "rate_limits":
                merged = dict(self.rate_limits)
                merged.update(_parse_rate_limits(value))
                updates[key] = {bucket: limits for bucket, limits in merged.items() if limits}
            elif key == "route_buckets":
                buckets = dict(self.route_buckets)
                buckets.update(_parse_route_buckets(value))
                updates[key] = buckets
            else:
                updates[key] = _coerce(key, value)
        try:
            return dataclasses.replace(self, **updates)
        except (TypeError, ValueError) as exc:
            raise SandboxConfigError(str(exc)) from exc

    def runtime_dict(self) -> dict[str, Any]:
        """The run-time settable part, JSON-ready (``GET /_sandbox/config``)."""
        out: dict[str, Any] = {}
        for key in sorted(RUNTIME_KEYS):
            value = getattr(self, key)
            if key == "rate_limits":
                value = {b: [[c, w] for c, w in limits] for b, limits in value.items()}
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out


RUNTIME_KEYS = frozenset(
    {
        "session_expiry",
        "session_ttl_seconds",
        "refresh_ttl_seconds",
        "invalidate_old_tokens_on_refresh",
        "reject_totp_reuse",
        "totp_valid_window",
        "rate_limits",
        "route_buckets",
        "rate_limit_enabled",
        "rate_limit_reply",
        "api_key_error_code",
        "expired_token_code",
        "circuit_percent",
        "market_orders",
        "market_protection_percent",
        "oms_latency_seconds",
        "gateway_timeout_seconds",
        "fill_lots_per_step",
        "partial_fill_fraction",
        "terminal_order_message",
        "intraday_margin_percent",
        "derivatives_margin_percent",
        "enforce_market_hours",
        "after_hours_orders",
        "registered_ips",
        "unregistered_ip_message",
        "segment_ops_limit",
        "history_no_data",
        "history_over_span",
        "feed_ticks_per_second",
        "feed_subscription_limit",
        "feed_depth20",
        "ws_max_connections",
        "order_feed_heartbeat_seconds",
    }
)

_BOOL_KEYS = {
    "invalidate_old_tokens_on_refresh",
    "reject_totp_reuse",
    "rate_limit_enabled",
    "enforce_market_hours",
    "feed_depth20",
}
_INT_KEYS = {
    "session_ttl_seconds",
    "totp_valid_window",
    "feed_subscription_limit",
    "ws_max_connections",
}
_OPTIONAL_INT_KEYS = {"refresh_ttl_seconds", "fill_lots_per_step", "segment_ops_limit"}
_FLOAT_KEYS = {
    "circuit_percent",
    "market_protection_percent",
    "oms_latency_seconds",
    "gateway_timeout_seconds",
    "intraday_margin_percent",
    "derivatives_margin_percent",
    "feed_ticks_per_second",
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _coerce(key: str, value: Any) -> Any:
    if key in _BOOL_KEYS:
        _check(isinstance(value, bool), f"{key} must be true or false")
    elif key in _INT_KEYS:
        _check(_is_int(value), f"{key} must be an integer")
    elif key in _OPTIONAL_INT_KEYS:
        _check(value is None or _is_int(value), f"{key} must be an integer or null")
    elif key == "partial_fill_fraction":
        ok = value is None or (isinstance(value, int | float) and not isinstance(value, bool))
        _check(ok, f"{key} must be a number or null")
        value = None if value is None else float(value)
    elif key == "order_feed_heartbeat_seconds":
        ok = value is None or _is_int(value) or isinstance(value, float)
        _check(ok, f"{key} must be a number or null")
        value = None if value is None else float(value)
    elif key in _FLOAT_KEYS:
        _check(_is_int(value) or isinstance(value, float), f"{key} must be a number")
        value = float(value)
    elif key == "registered_ips":
        ok = isinstance(value, list | tuple) and all(isinstance(ip, str) for ip in value)
        _check(ok, "registered_ips must be a list of IP addresses")
        value = tuple(ip.strip() for ip in value)
    else:
        _check(isinstance(value, str), f"{key} must be a string")
    return value


def _parse_rate_limits(value: Any) -> RateLimitTable:
    _check(isinstance(value, Mapping), "rate_limits must map bucket -> [[count, seconds], ...]")
    table: RateLimitTable = {}
    for bucket, limits in value.items():
        _check(isinstance(limits, list), f"rate_limits.{bucket} must be a list")
        parsed: list[tuple[int, float]] = []
        for pair in limits:
            ok = isinstance(pair, list | tuple) and len(pair) == 2
            _check(ok, f"rate_limits.{bucket}: each limit is [count, seconds]")
            count, window = pair
            _check(isinstance(count, int) and isinstance(window, int | float), bucket)
            parsed.append((int(count), float(window)))
        table[str(bucket)] = parsed
    return table


def _parse_route_buckets(value: Any) -> dict[str, list[str]]:
    _check(isinstance(value, Mapping), "route_buckets must map route -> [bucket, ...]")
    out: dict[str, list[str]] = {}
    for route, buckets in value.items():
        ok = isinstance(buckets, list) and all(isinstance(b, str) for b in buckets)
        _check(ok, f"route_buckets.{route} must be a list of names")
        out[str(route)] = list(buckets)
    return out


def _formats(template: str) -> bool:
    try:
        template.format(action="Cancel", state="filled")
    except (KeyError, IndexError, ValueError):
        return False
    return True


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SandboxConfigError(message)


def _token_like(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) >= 16
        and value.isascii()
        and value.isprintable()
        and " " not in value
    )


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
