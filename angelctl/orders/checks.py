"""Pre-trade checks (docs/scenarios.md#a6--pre-trade-checks-before-any-network-call): everything
that can be refused locally is refused before any order-route call. Each rule is a small function
returning a ``Violation`` or None; the price collar needs a reference price (LTP and circuit band)
that the caller fetches with one read-only quote call, after the static rules have passed.

``OrderControls.gate`` is what every order-entry request passes: the kill-switch latch (an
injected ``OrderGate``), checked immediately before the request leaves, so nothing starts once
it is set. Protected prices and freeze slices are computed in one place each
(``protected_price``, ``slice_order``), for placed orders and the kill switch's exits alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Protocol

from angelctl.broker.session import WriteGate
from angelctl.errors import UsageError
from angelctl.indian import inr
from angelctl.orders.model import OrderRequest
from angelctl.records import record
from angelctl.status import ExitStatus

MAX_SLICES = 10


@record
class RiskLimits:
    """Per-profile caps (config ``[profiles.NAME.risk]``); None means no cap."""

    max_quantity: int | None = None
    max_notional: Decimal | None = None
    max_orders_per_minute: int | None = None
    collar_percent: Decimal = Decimal(5)
    collar_min_ticks: int = 5  # the collar is never narrower than this many ticks
    market_orders: str = "refuse"  # or "protect": convert to a LIMIT inside a protection band
    market_protection_percent: Decimal = Decimal(2)
    max_open_orders: int | None = None
    max_daily_loss: Decimal | None = None  # rupees of realised + unrealised loss today
    trip_latch: frozenset[str] = frozenset()  # breaches that engage the kill-switch latch
    profile: str = ""  # the profile these limits belong to: hints name its keys


@record
class Violation:
    rule: str
    message: str
    hint: str = ""  # what to do, when it is more than fixing the order


@record
class Reference:
    ltp: Decimal
    upper_circuit: Decimal | None = None
    lower_circuit: Decimal | None = None


class PreTradeRejected(UsageError):
    error_code = "pre_trade_rejected"
    exit_status = ExitStatus.USAGE

    def __init__(self, violations: list[Violation], hint: str | None = None) -> None:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        super().__init__(
            f"order refused before sending: {first.message}{more}",
            hint=hint
            or f"nothing was sent; {first.hint or 'fix the order or the limits in the config'}",
        )
        self.violations = violations


def _multiple(value: Decimal, step: Decimal) -> bool:
    return step <= 0 or (value % step) == 0


def check_lot(req: OrderRequest) -> Violation | None:
    lot = req.contract.lot_size
    if lot > 1 and req.quantity % lot:
        return Violation(
            "lot",
            f"quantity {req.quantity} is not a multiple of the lot size "
            f"{lot} ({req.contract.symbol}); use --lots",
        )
    return None


def nearest_ticks(value: Decimal, tick: Decimal) -> tuple[Decimal, Decimal]:
    """The valid prices just below and just above ``value`` (``value`` is off the grid)."""
    below = (value // tick) * tick
    return below, below + tick


def check_tick(req: OrderRequest) -> Violation | None:
    tick = req.contract.tick_size
    for label, value in (("price", req.price), ("trigger", req.trigger)):
        if value is not None and value > 0 and not _multiple(value, tick):
            below, above = nearest_ticks(value, tick)
            nearest = f"{below} or {above}" if below > 0 else f"{above}"
            return Violation(
                "tick",
                f"{label} {value} is not on the tick size ₹{tick}; the nearest valid "
                f"{label}s are {nearest}",
            )
    return None


def check_prices_present(req: OrderRequest) -> Violation | None:
    if req.order_type in ("LIMIT", "STOPLOSS_LIMIT") and not req.price:
        return Violation("price", f"a {req.order_type} order needs --price")
    if req.order_type.startswith("STOPLOSS") and not req.trigger:
        return Violation("trigger", f"a {req.order_type} order needs --trigger")
    if req.order_type == "STOPLOSS_LIMIT" and req.price and req.trigger:
        # the exchange rule: a BUY stop triggers at or below its limit, a SELL at or above
        wrong = req.trigger > req.price if req.side == "BUY" else req.trigger < req.price
        if wrong:
            relation = "at or below" if req.side == "BUY" else "at or above"
            return Violation(
                "trigger",
                f"a {req.side} stop-loss limit order needs its trigger {relation} its limit price "
                f"(trigger {req.trigger}, price {req.price})",
            )
    return None


def check_market_policy(req: OrderRequest, limits: RiskLimits) -> Violation | None:
    if req.duration == "IOC":
        return Violation("market", "IOC orders are refused for API algos (Angel, April 2026)")
    if req.order_type in ("MARKET", "STOPLOSS_MARKET") and limits.market_orders == "refuse":
        hint = (
            "use a LIMIT price, or "
            f"`angelctl config set profiles.{limits.profile}.risk.market_orders protect`"
            if limits.profile
            else "use a LIMIT price, or `angelctl config set risk.market_orders protect`"
        )
        return Violation(
            "market",
            f"{req.order_type} orders are refused for API algos "
            "(Angel, April 2026); use a LIMIT price, or set "
            "market_orders = 'protect' to convert them",
            hint=hint,
        )
    return None


def check_caps(req: OrderRequest, limits: RiskLimits) -> Violation | None:
    if limits.max_quantity is not None and req.quantity > limits.max_quantity:
        return Violation(
            "max_quantity",
            f"quantity {req.quantity} is above the profile's max_quantity {limits.max_quantity}",
        )
    notional = req.notional
    if limits.max_notional is not None and notional is not None and notional > limits.max_notional:
        return Violation(
            "max_notional",
            f"notional {inr(notional)} is above the profile's "
            f"max_notional {inr(limits.max_notional)}",
        )
    return None


def check_freeze(
    req: OrderRequest, slice_allowed: bool, unsliceable: str | None = None
) -> Violation | None:
    """Strictly below the freeze quantity. ``unsliceable`` names what can never be sliced (a GTT
    rule, a modification); without it the refusal suggests ``--slice``."""
    limit = req.contract.max_order_qty
    if limit is None or req.quantity <= limit:
        return None
    slices = -(-req.quantity // limit)
    if not slice_allowed:
        remedy = (
            f"{unsliceable} cannot be sliced"
            if unsliceable
            else f"use --slice to send {slices} orders"
        )
        return Violation(
            "freeze",
            f"quantity {req.quantity} is above the freeze limit "
            f"({limit} per order for {req.contract.symbol}); {remedy}",
        )
    if slices > MAX_SLICES:
        return Violation(
            "freeze",
            f"quantity {req.quantity} needs {slices} slices of {limit}; "
            f"at most {MAX_SLICES} are allowed",
        )
    return None


def check_collar(req: OrderRequest, ref: Reference, limits: RiskLimits) -> Violation | None:
    if req.price is None or req.order_type not in ("LIMIT", "STOPLOSS_LIMIT"):
        return None
    if ref.upper_circuit and req.price > ref.upper_circuit:
        return Violation(
            "collar", f"price {req.price} is above the upper circuit {ref.upper_circuit}"
        )
    if ref.lower_circuit and req.price < ref.lower_circuit:
        return Violation(
            "collar", f"price {req.price} is below the lower circuit {ref.lower_circuit}"
        )
    if ref.ltp > 0:
        # a floor in ticks, so a cheap contract's band is never narrower than a few ticks
        # (5 % of a ₹1.25 option is less than two ₹0.05 ticks)
        floor = req.contract.tick_size * limits.collar_min_ticks
        band = max(ref.ltp * limits.collar_percent / 100, floor)
        if abs(req.price - ref.ltp) > band:
            return Violation(
                "collar",
                f"price {req.price} is more than {limits.collar_percent}% "
                f"(and {limits.collar_min_ticks} ticks, ₹{floor}) from the LTP {ref.ltp}",
            )
    return None


def static_checks(
    req: OrderRequest,
    limits: RiskLimits,
    *,
    slice_allowed: bool,
    unsliceable: str | None = None,
) -> list[Violation]:
    rules: list[Callable[[], Violation | None]] = [
        lambda: check_market_policy(req, limits),
        lambda: check_prices_present(req),
        lambda: check_lot(req),
        lambda: check_tick(req),
        lambda: check_caps(req, limits),
        lambda: check_freeze(req, slice_allowed, unsliceable),
    ]
    return [v for v in (rule() for rule in rules) if v is not None]


def slice_order(req: OrderRequest) -> list[OrderRequest]:
    """Split at the freeze limit (``Contract.max_order_qty``, the largest lot multiple below
    the freeze quantity) into children; ``check_freeze`` bounds their number beforehand."""
    limit = req.contract.max_order_qty
    if not limit or limit < 1 or req.quantity <= limit:
        return [req]
    children = []
    left = req.quantity
    while left > 0:
        size = min(limit, left)
        children.append(req.with_quantity(size))
        left -= size
    return children


def protected_price(
    side: str,
    anchor: Decimal,
    band_percent: Decimal,
    tick: Decimal,
    lower_circuit: Decimal | None,
    upper_circuit: Decimal | None,
) -> Decimal:
    """A marketable protected LIMIT price: ``band_percent`` through ``anchor`` (the LTP, or a
    stop's trigger), inside the circuit band, on the tick (rounded towards the anchor so it
    never leaves the band), and at least one tick."""
    tick = tick if tick and tick > 0 else Decimal("0.05")
    move = anchor * band_percent / 100
    if side == "BUY":
        raw = anchor + move
        if upper_circuit:
            raw = min(raw, upper_circuit)
        steps = (raw / tick).to_integral_value(rounding=ROUND_FLOOR)
    else:
        raw = anchor - move
        if lower_circuit:
            raw = max(raw, lower_circuit)
        steps = (raw / tick).to_integral_value(rounding=ROUND_CEILING)
    return max(steps * tick, tick)


def protect_market(req: OrderRequest, ref: Reference, limits: RiskLimits) -> OrderRequest:
    """MARKET → a LIMIT priced inside a protection band around the LTP, on the tick;
    STOPLOSS_MARKET → a STOPLOSS_LIMIT banded around its trigger (the price it will execute
    near), which also keeps the limit on the exchange side of the trigger."""
    anchor = req.trigger if req.order_type == "STOPLOSS_MARKET" and req.trigger else ref.ltp
    price = protected_price(
        req.side,
        anchor,
        limits.market_protection_percent,
        req.contract.tick_size,
        ref.lower_circuit,
        ref.upper_circuit,
    )
    kind = "STOPLOSS_LIMIT" if req.order_type == "STOPLOSS_MARKET" else "LIMIT"
    return replace(req, order_type=kind, price=price)


class OrderGate(WriteGate, Protocol):
    """The kill-switch latch as the order layer sees it (``risk.latch.Latch`` is one): checked
    as each order-entry request leaves, and engaged by a limit breach named in ``trip_latch``.
    The order layer never imports ``risk``; the caller injects the gate."""

    def engage(self, reason: str, *, at: str, source: str) -> object: ...


@record(frozen=False)
class OrderControls:
    """What the order layer consults before any order-entry call: the profile's limits, the
    kill-switch gate and the market-hours check."""

    limits: RiskLimits = field(default_factory=RiskLimits)
    gate: OrderGate | None = None
    # the market-hours check (orders.market_hours): (segment, variety, amo) → raises when closed
    hours: Callable[[str, str, bool], object] | None = None

    def check_hours(self, request: OrderRequest) -> None:
        if self.hours is not None:
            self.hours(request.contract.exchange, request.variety, request.amo)

    def check(self) -> None:
        """Fail fast (before any network call) when the latch is engaged."""
        if self.gate is not None:
            self.gate.check()

    def breach(self, rule: str, message: str, *, at: str) -> PreTradeRejected:
        """A limit breach: trips the latch when the profile says so, and refuses the order."""
        if rule in self.limits.trip_latch and self.gate is not None:
            self.gate.engage(f"{rule} limit breached: {message}", at=at, source="guard")
            message += "; the kill-switch latch is now engaged"
        return PreTradeRejected([Violation(rule, message)])


def limits_from_config(table: dict[str, Any] | None, profile: str = "") -> RiskLimits:
    if not table:
        return RiskLimits(profile=profile)

    def dec(key: str) -> Decimal | None:
        return Decimal(str(table[key])) if key in table else None

    return RiskLimits(
        max_quantity=int(table["max_quantity"]) if "max_quantity" in table else None,
        max_notional=dec("max_notional"),
        max_orders_per_minute=(
            int(table["max_orders_per_minute"]) if "max_orders_per_minute" in table else None
        ),
        collar_percent=dec("collar_percent") or Decimal(5),
        collar_min_ticks=int(table.get("collar_min_ticks", 5)),
        market_orders=str(table.get("market_orders", "refuse")),
        market_protection_percent=dec("market_protection_percent") or Decimal(2),
        max_open_orders=int(table["max_open_orders"]) if "max_open_orders" in table else None,
        max_daily_loss=dec("max_daily_loss"),
        trip_latch=frozenset(str(v) for v in table.get("trip_latch", ())),
        profile=profile,
    )
