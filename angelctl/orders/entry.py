"""Order entry, the steps ``order place`` takes: prepare (every local check, then one quote
for the collar), place each freeze slice as its own intent through ``OrderPlacer``, follow the
order until it works or ends; and cancel. Modifying is ``orders.modify``; the wire is
``broker.orders``. The CLI only parses and renders.

Invariant: nothing here sends before ``prepare`` has passed every check; the kill-switch gate
(``OrderControls.gate``) is checked once before each slice and again as its request leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from typing import Any

from angelctl.broker import orders as broker_orders
from angelctl.broker.orders import TERMINAL_STATUSES, BrokerOrder
from angelctl.broker.session import BrokerSession
from angelctl.config import state_dir
from angelctl.errors import RequestRejected
from angelctl.indian import inr
from angelctl.orders.checks import (
    OrderControls,
    PreTradeRejected,
    Reference,
    check_collar,
    protect_market,
    slice_order,
    static_checks,
)
from angelctl.orders.journal import Journal, new_intent_id
from angelctl.orders.model import OrderRequest
from angelctl.orders.outcome import Placement, check_fingerprint
from angelctl.orders.placer import OrderPlacer
from angelctl.records import record

WORKING_FOR_WAIT = frozenset({"open", "trigger pending"})


def order_placer(session: BrokerSession, journal: Journal) -> OrderPlacer:
    settings = session.settings
    return OrderPlacer(
        session,
        journal,
        state_dir() / "locks",
        settle_after=settings.settle_after,
        follow_seconds=settings.follow_unknown,
    )


def fetch_reference(session: BrokerSession, request: OrderRequest) -> Reference:
    """LTP and circuit band from one read-only FULL quote."""
    from angelctl.broker.market import fetch_quotes

    contract = request.contract
    quotes, _ = fetch_quotes(session, [contract], "FULL")
    if not quotes:
        raise RequestRejected(
            f"no quote for {contract.symbol}: cannot check the price collar",
            route="quote",
            hint="retry, or check the symbol",
        )
    quote = quotes[0]
    return Reference(
        ltp=quote.ltp, upper_circuit=quote.upper_circuit, lower_circuit=quote.lower_circuit
    )


@record(frozen=False)
class PreparedOrder:
    request: OrderRequest
    children: list[OrderRequest]
    reference: Reference | None
    intent_id: str
    fingerprint: dict[str, str]  # of the order as asked (before MARKET protection, slicing)
    notes: list[str] = field(default_factory=list)

    def child_intent(self, index: int) -> str:
        return self.intent_id if len(self.children) == 1 else f"{self.intent_id}.{index + 1}"

    def describe(self) -> dict[str, Any]:
        return {
            "intent_id": self.intent_id,
            "order": self.request.describe(),
            "slices": [c.quantity for c in self.children],
            "ltp": format(self.reference.ltp, "f") if self.reference else None,
            "notes": self.notes,
        }


def account_limits(session: BrokerSession, journal: Journal, guard: OrderControls) -> None:
    """The limits that need the account's state: orders per minute (local journal), open
    orders (one order-book read) and daily loss (one positions read); each only if configured.
    A breach named in ``trip_latch`` engages the kill-switch latch as well as refusing."""
    limits = guard.limits
    at = session.clock.now().isoformat(timespec="milliseconds")
    if limits.max_orders_per_minute is not None:
        recent = journal.count_since(session.settings.name, seconds=60)
        if recent >= limits.max_orders_per_minute:
            raise guard.breach(
                "max_orders_per_minute",
                f"{recent} orders in the last minute; the profile allows "
                f"{limits.max_orders_per_minute}",
                at=at,
            )
    if limits.max_open_orders is not None:
        working = len(broker_orders.read_book(session).working())
        if working >= limits.max_open_orders:
            raise guard.breach(
                "max_open_orders",
                f"{working} orders are working; the profile allows {limits.max_open_orders}",
                at=at,
            )
    if limits.max_daily_loss is not None:
        from angelctl.broker.portfolio import fetch_positions, position_totals

        pnl = position_totals(fetch_positions(session)).pnl
        if pnl <= -limits.max_daily_loss:
            raise guard.breach(
                "daily_loss",
                f"today's P&L is {inr(pnl)}; the profile's loss limit is "
                f"{inr(limits.max_daily_loss)}",
                at=at,
            )


def prepare(
    session: BrokerSession,
    journal: Journal,
    request: OrderRequest,
    guard: OrderControls,
    *,
    slice_allowed: bool,
    intent_id: str | None,
    before_quote: Callable[[OrderRequest], None] | None = None,
) -> PreparedOrder:
    """Every local check (no network), then the reference-price checks (one quote read).
    An intent id already used for another order is refused first (exit 17). ``before_quote``
    is called once every check but the quote's has passed, just before that read (the
    confirmation starts its own reads there, so they overlap it)."""
    fingerprint = request.fingerprint()
    if intent_id is not None:
        check_fingerprint(journal, intent_id, fingerprint)
    guard.check()
    violations = static_checks(request, guard.limits, slice_allowed=slice_allowed)
    if violations:
        raise PreTradeRejected(violations)
    guard.check_hours(request)
    account_limits(session, journal, guard)
    notes: list[str] = []
    reference = None
    needs_reference = (
        request.order_type in ("MARKET", "STOPLOSS_MARKET") or request.price is not None
    )
    if before_quote is not None:
        before_quote(request)
    if needs_reference:
        reference = fetch_reference(session, request)
        if request.order_type in ("MARKET", "STOPLOSS_MARKET"):
            request = protect_market(request, reference, guard.limits)
            notes.append(f"MARKET converted to a protected LIMIT at {request.price}")
        violation = check_collar(request, reference, guard.limits)
        if violation:
            raise PreTradeRejected([violation])
    return PreparedOrder(
        request, slice_order(request), reference, intent_id or new_intent_id(), fingerprint, notes
    )


def place_prepared(
    placer: OrderPlacer, prepared: PreparedOrder, controls: OrderControls
) -> list[Placement]:
    placements = []
    for index, child in enumerate(prepared.children):
        controls.check()  # fail fast; the gate is checked again as each request leaves
        placements.append(
            placer.place(
                child,
                prepared.child_intent(index),
                fingerprint=prepared.fingerprint,
                gate=controls.gate,
            )
        )
    return placements


FOLLOW_FIRST_PAUSES = (0.05, 0.1, 0.2)
FOLLOW_POLL_SECONDS = 0.25


def follow(
    session: BrokerSession,
    placement: Placement,
    *,
    timeout: float,
    on_update: Callable[[BrokerOrder], None] | None = None,
) -> BrokerOrder:
    """Poll until the order is terminal or working (open / trigger pending): first soon after
    the placement (most orders leave "open pending" within tens of milliseconds), then every
    ``FOLLOW_POLL_SECONDS`` (the order-details limit is 10/s)."""
    clock = session.clock
    deadline = clock.monotonic() + timeout
    last: BrokerOrder | None = None
    pauses = iter(FOLLOW_FIRST_PAUSES)
    while True:
        unique = placement.intent.unique_order_id
        order = (
            broker_orders.order_details(session, unique)
            if unique
            else broker_orders.find_order(session, placement.order_id)
        )
        if on_update and (last is None or order.status != last.status):
            on_update(order)
        last = order
        if (
            order.status in TERMINAL_STATUSES
            or order.status in WORKING_FOR_WAIT
            or clock.monotonic() >= deadline
        ):
            return order
        clock.sleep(next(pauses, FOLLOW_POLL_SECONDS))


def cancel(session: BrokerSession, order: BrokerOrder) -> bool:
    """Cancel one order; False (no error) when it is already terminal."""
    if order.is_terminal:
        return False
    broker_orders.cancel(session, order.variety, order.order_id)
    return True
