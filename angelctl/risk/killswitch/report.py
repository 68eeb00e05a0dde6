"""The kill switch's options and its report (what ``--json`` prints), and the small pure
helpers the procedure shares. Nothing here talks to the broker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from angelctl.instruments.model import Contract
from angelctl.orders.checks import protected_price
from angelctl.orders.scope import Scope
from angelctl.records import record
from angelctl.risk.latch import LatchState

EXIT_TAG_PREFIX = "KS"  # on the wire only: the kill knows its exits by its journal
EXIT_INTENT_PREFIX = "kill-"
DEFAULT_BUDGET_SECONDS = 120.0
DEFAULT_REPRICE_AFTER = 2.0
DEFAULT_BAND_PERCENT = Decimal("0.5")
DEFAULT_REPRICE_STEP_PERCENT = Decimal("0.5")
MAX_BAND_PERCENT = Decimal(20)
POLL_SECONDS = 0.25
ERROR_WINDOW_SECONDS = 5.0  # a repeating failure is shown once per this many seconds
INFLIGHT_WAIT_SECONDS = 12.0  # > the read timeout: a request on the wire ends by then


@record
class KillOptions:
    reason: str = ""
    cancel_only: bool = False
    scope: Scope = field(default_factory=Scope)  # resolved segments and instruments
    dry_run: bool = False
    all_profiles: bool = False
    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    reprice_after: float = DEFAULT_REPRICE_AFTER
    band_percent: Decimal = DEFAULT_BAND_PERCENT
    reprice_step_percent: Decimal = DEFAULT_REPRICE_STEP_PERCENT
    source: str = "killswitch"

    def in_scope(self, exchange: str, token: str) -> bool:
        return self.scope.covers(exchange, token)


@dataclass
class ExitRecord:
    exchange: str
    symbol: str
    token: str
    product: str
    start_qty: int  # signed net quantity when the kill first saw it
    sent: int = 0  # units sent in exit orders (all rounds)
    slices: int = 0
    reprices: int = 0
    orders: list[str] = field(default_factory=list)
    filled: int = 0  # units of this run's exits that filled
    exit_price: Decimal | None = None  # their average fill price
    realised: Decimal | None = None  # the position's realised P&L after the run

    def as_dict(self) -> dict[str, Any]:
        return {
            "filled": self.filled,
            "exit_price": None if self.exit_price is None else format(self.exit_price, "f"),
            "realised": None if self.realised is None else format(self.realised, "f"),
            "exchange": self.exchange,
            "symbol": self.symbol,
            "token": self.token,
            "product": self.product,
            "start_qty": self.start_qty,
            "sent": self.sent,
            "slices": self.slices,
            "reprices": self.reprices,
            "orders": self.orders,
        }


@dataclass
class KillReport:
    run_id: str
    profile: str
    latch: LatchState | None = None
    newly_latched: bool = False
    dry_run: bool = False
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    gtt_cancelled: list[dict[str, Any]] = field(default_factory=list)
    exits: dict[str, ExitRecord] = field(default_factory=dict)
    planned: list[dict[str, Any]] = field(default_factory=list)  # dry run: what would be sent
    residual_positions: list[dict[str, Any]] = field(default_factory=list)
    residual_orders: list[dict[str, Any]] = field(default_factory=list)
    verified_flat: bool = False  # the whole account: flat, nothing working (unscoped runs only)
    done: bool = False  # what was asked is verified: scope flat, or (cancel-only) nothing working
    cancel_only: bool = False
    scope_labels: list[str] = field(default_factory=list)
    scope_segments: list[str] = field(default_factory=list)
    positions_left_open: list[dict[str, Any]] = field(default_factory=list)  # cancel-only
    exposure_unknown: bool = False  # the broker's books could never be read
    unknown_exits: list[dict[str, Any]] = field(default_factory=list)  # sent, outcome unknown
    outside_scope: list[dict[str, Any]] = field(default_factory=list)  # left as it is
    unverified_reason: str = ""
    calls: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "profile": self.profile,
            "latch": self.latch.as_dict() if self.latch else None,
            "newly_latched": self.newly_latched,
            "dry_run": self.dry_run,
            "verified_flat": self.verified_flat,
            "scope_flat": self.done and not self.cancel_only,
            "nothing_working": self.done if self.cancel_only else None,
            "scope": {"segments": self.scope_segments, "symbols": self.scope_labels},
            "positions_left_open": self.positions_left_open,
            "exposure_unknown": self.exposure_unknown,
            "unknown_exits": self.unknown_exits,
            "outside_scope": self.outside_scope,
            "unverified_reason": self.unverified_reason,
            "cancelled": self.cancelled,
            "gtt_cancelled": self.gtt_cancelled,
            "exits": [e.as_dict() for e in self.exits.values()],
            "planned": self.planned,
            "residual_positions": self.residual_positions,
            "residual_orders": self.residual_orders,
            "calls": dict(sorted(self.calls.items())),
            "errors": self.errors[-20:],
            "elapsed_seconds": round(self.elapsed, 3),
        }


Progress = Callable[[str, dict[str, Any]], None]


class StopFlag:
    """Set to a signal's name to end a run after its current step (with its summary)."""

    name: str | None = None


ContractLookup = Callable[[str, str], Contract | None]


def exit_price(
    side: str,
    ltp: Decimal,
    band_percent: Decimal,
    tick: Decimal,
    lower_circuit: Decimal | None,
    upper_circuit: Decimal | None,
) -> Decimal:
    """An exit's protected LIMIT price: ``orders.checks.protected_price`` around the LTP."""
    return protected_price(side, ltp, band_percent, tick, lower_circuit, upper_circuit)


def exit_key(exchange: str, token: str, product: str) -> str:
    return f"{exchange}:{token}:{product}"


def sign(value: int) -> int:
    return (value > 0) - (value < 0)


def bare_contract(exchange: str, token: str, symbol: str) -> Contract:
    """A stand-in when the instrument index lacks the contract: ₹0.05 tick, no freeze split."""
    return Contract(
        exchange=exchange,
        token=token,
        symbol=symbol,
        name=symbol,
        instrument_type="",
        kind="",
        expiry=None,
        strike=None,
        option_type="",
        lot_size=1,
        tick_size=Decimal("0.05"),
        freeze_qty=None,
        freeze_source="none",
    )
