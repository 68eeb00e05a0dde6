"""Order operations the CLI and scripts share: prepare (resolve + checks), place with slicing,
follow an order, modify, cancel, and read the book. The CLI only parses and renders.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from angelctl.broker.session import BrokerSession
from angelctl.config import state_dir
from angelctl.errors import RequestRejected, UsageError
from angelctl.orders.checks import (
    OrderGuard,
    PreTradeRejected,
    Reference,
    check_collar,
    protect_market,
    slice_order,
    static_checks,
)
from angelctl.orders.journal import Journal, new_intent_id
from angelctl.orders.model import (
    TERMINAL_STATUSES,
    BrokerOrder,
    OrderRequest,
    parse_order_book,
)
from angelctl.orders.submit import OrderDesk, Placement

WORKING_FOR_WAIT = frozenset({"open", "trigger pending"})


def open_journal() -> Journal:
    return Journal(state_dir() / "journal.sqlite3")


def order_desk(session: BrokerSession, journal: Journal) -> OrderDesk:
    return OrderDesk(session, journal, state_dir() / "locks")


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


@dataclass
class PreparedOrder:
    request: OrderRequest
    children: list[OrderRequest]
    reference: Reference | None
    intent_id: str
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


def prepare(
    session: BrokerSession,
    journal: Journal,
    request: OrderRequest,
    guard: OrderGuard,
    *,
    slice_allowed: bool,
    intent_id: str | None,
) -> PreparedOrder:
    """Every local check (no network), then the reference-price checks (one quote read)."""
    violations = static_checks(request, guard.limits, slice_allowed=slice_allowed)
    if violations:
        raise PreTradeRejected(violations)
    per_minute = guard.limits.max_orders_per_minute
    if per_minute is not None:
        recent = journal.count_since(session.settings.name, seconds=60)
        if recent >= per_minute:
            from angelctl.orders.checks import Violation

            raise PreTradeRejected(
                [
                    Violation(
                        "max_orders_per_minute",
                        f"{recent} orders in the last minute; the profile allows {per_minute}",
                    )
                ]
            )
    notes: list[str] = []
    reference = None
    needs_reference = (
        request.order_type in ("MARKET", "STOPLOSS_MARKET") or request.price is not None
    )
    if needs_reference:
        reference = fetch_reference(session, request)
        if request.order_type in ("MARKET", "STOPLOSS_MARKET"):
            request = protect_market(request, reference, guard.limits)
            notes.append(f"MARKET converted to a protected LIMIT at {request.price}")
        violation = check_collar(request, reference, guard.limits)
        if violation:
            raise PreTradeRejected([violation])
    return PreparedOrder(
        request, slice_order(request), reference, intent_id or new_intent_id(), notes
    )


def place_prepared(desk: OrderDesk, prepared: PreparedOrder, guard: OrderGuard) -> list[Placement]:
    placements = []
    for index, child in enumerate(prepared.children):
        guard.before_send()
        placements.append(desk.place(child, prepared.child_intent(index)))
    return placements


def order_book(session: BrokerSession) -> list[BrokerOrder]:
    return parse_order_book(session.call("getOrderBook"))


def find_order(session: BrokerSession, order_id: str) -> BrokerOrder:
    for order in order_book(session):
        if order_id in (order.order_id, order.unique_order_id, order.tag):
            return order
    raise UsageError(
        f"no order {order_id!r} in today's order book",
        hint="`angelctl order list` shows today's orders",
    )


def order_details(session: BrokerSession, unique_order_id: str) -> BrokerOrder:
    return BrokerOrder.from_wire(
        session.call("orderDetails", path_args={"uniqueorderid": unique_order_id})
    )


def follow(
    session: BrokerSession,
    placement: Placement,
    *,
    timeout: float,
    on_update: Callable[[BrokerOrder], None] | None = None,
) -> BrokerOrder:
    """Poll until the order is terminal or working (open / trigger pending)."""
    deadline = time.monotonic() + timeout
    last: BrokerOrder | None = None
    while True:
        unique = placement.intent.unique_order_id
        order = (
            order_details(session, unique) if unique else find_order(session, placement.order_id)
        )
        if on_update and (last is None or order.status != last.status):
            on_update(order)
        last = order
        if (
            order.status in TERMINAL_STATUSES
            or order.status in WORKING_FOR_WAIT
            or time.monotonic() >= deadline
        ):
            return order
        session.clock.sleep(0.25)


def cancel(session: BrokerSession, order: BrokerOrder) -> bool:
    """Cancel one order; False (no error) when it is already terminal."""
    if order.is_terminal:
        return False
    session.call("cancelOrder", {"variety": order.variety or "NORMAL", "orderid": order.order_id})
    return True


def modify(
    session: BrokerSession,
    order: BrokerOrder,
    *,
    price: Decimal | None,
    quantity: int | None,
    trigger: Decimal | None,
    order_type: str | None,
) -> Any:
    if order.is_terminal:
        raise UsageError(f"order {order.order_id} is {order.status}; it cannot be modified")
    body = {
        "variety": order.variety or "NORMAL",
        "orderid": order.order_id,
        "ordertype": order_type or order.order_type,
        "producttype": order.product,
        "duration": "DAY",
        "price": format(price if price is not None else order.price, "f"),
        "quantity": str(quantity if quantity is not None else order.quantity),
        "tradingsymbol": order.symbol,
        "symboltoken": order.token,
        "exchange": order.exchange,
        "triggerprice": format(trigger if trigger is not None else order.trigger, "f"),
    }
    return session.call("modifyOrder", body)
