"""Modifying a working order: the change the operator asks for, checked as the order it will
become with the same rules as a new order, shown field by field, then sent once.

Sequence (``prepare_modify`` then ``send_modify``):
1. ``ModifyRequest.build`` parses the flags; nothing asked for is a usage error (no network).
2. The order as it is (``current_request``: the book row on the contract from the instrument
   index) and as it will be; the fields that differ are the change. A change that differs in
   nothing is refused before any quote or write.
3. Unless it is a pure quantity reduction: the kill-switch latch (``guard.check()``).
4. The static pre-trade rules of ``orders.checks`` on the order as it will be (market policy,
   prices and the stop-loss trigger rule, lot multiple, tick, profile caps, freeze limit — a
   modification cannot be sliced), and the new quantity must stay above what already filled.
5. Unless it is a pure quantity reduction: one quote for the LTP and circuits, the MARKET
   protection when the profile asks for it, and the price collar. A reduction keeps a price
   already accepted and only removes exposure, so — as with the latch — it is never held up by
   a market that has moved since.
6. ``send_modify``: modifyOrder once, through ``guard.gate`` unless it is a pure reduction.
   Broker refusals are raised exactly as the envelope parser gives them (the classes and exit
   codes of placeOrder's).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker import orders as broker_orders
from angelctl.broker.orders import BrokerOrder, OrderChange
from angelctl.errors import UsageError
from angelctl.orders.checks import (
    OrderControls,
    PreTradeRejected,
    Reference,
    Violation,
    check_collar,
    protect_market,
    static_checks,
)
from angelctl.orders.entry import fetch_reference
from angelctl.orders.model import DURATIONS, ORDER_TYPES, OrderRequest, _decimal, choice
from angelctl.records import record

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession
    from angelctl.instruments.index import InstrumentIndex
    from angelctl.instruments.model import Contract

MARKET_TYPES = ("MARKET", "STOPLOSS_MARKET")
# The fields a modification can change, in the order they are shown.
FIELDS = ("price", "trigger", "quantity", "order_type", "validity")
NOTHING_TO_CHANGE = (
    "nothing to change: give --price, --trigger, --qty or --lots, --type or --validity"
)


@record
class ModifyRequest:
    """What the operator asked to change; ``None`` keeps the order's value."""

    price: Decimal | None = None
    trigger: Decimal | None = None
    quantity: int | None = None
    lots: int | None = None
    order_type: str | None = None
    validity: str | None = None

    @classmethod
    def build(
        cls,
        *,
        price: str | None = None,
        trigger: str | None = None,
        quantity: int | None = None,
        lots: int | None = None,
        order_type: str | None = None,
        validity: str | None = None,
    ) -> ModifyRequest:
        if quantity is not None and lots is not None:
            raise UsageError("give the new size as --qty UNITS or --lots N, not both")
        if (quantity is not None and quantity <= 0) or (lots is not None and lots <= 0):
            raise UsageError("the quantity must be positive")
        request = cls(
            price=_decimal(price, "--price"),
            trigger=_decimal(trigger, "--trigger"),
            quantity=quantity,
            lots=lots,
            order_type=choice(order_type, ORDER_TYPES, "--type") if order_type else None,
            validity=choice(validity, DURATIONS, "--validity") if validity else None,
        )
        if request == cls():
            raise UsageError(NOTHING_TO_CHANGE)
        return request

    @property
    def only_size(self) -> bool:
        """Only the size was given: whether that adds exposure depends on the order's size."""
        return replace(self, quantity=None, lots=None) == ModifyRequest()

    def units(self, contract: Contract) -> int | None:
        if self.lots is not None:
            return self.lots * max(contract.lot_size, 1)
        return self.quantity


@record
class Change:
    """One field, old → new, as shown (``text``) and as JSON values."""

    field: str
    old: Any
    new: Any
    text: str


@record
class PreparedModify:
    order: BrokerOrder
    before: OrderRequest
    after: OrderRequest
    changes: tuple[Change, ...]
    reference: Reference | None = None
    notes: tuple[str, ...] = ()

    @property
    def reduces_only(self) -> bool:
        """A pure quantity reduction: it passes an engaged latch and skips the collar."""
        return reduces_only(self.before, self.after)

    def change(self) -> OrderChange:
        """The modifyOrder request: every field, the unchanged ones as the order has them."""
        o, a = self.order, self.after
        return o.change(
            variety=o.variety or a.variety,
            order_type=a.order_type,
            product=o.product or a.product,
            duration=a.duration,
            price=a.price,
            quantity=a.quantity,
            trigger=a.trigger,
        )

    def change_text(self) -> str:
        return ", ".join(change.text for change in self.changes)

    def summary(self) -> str:
        o = self.order
        return (
            f"Modify order {o.order_id} ({o.exchange}:{o.symbol} {o.side} "
            f"{self.before.order_type}): {self.change_text()}"
        )

    def describe(self) -> dict[str, Any]:
        o = self.order
        return {
            "order_id": o.order_id,
            "symbol": o.symbol,
            "exchange": o.exchange,
            "side": o.side,
            "changes": {c.field: {"from": c.old, "to": c.new} for c in self.changes},
            "ltp": format(self.reference.ltp, "f") if self.reference else None,
            "notes": list(self.notes),
        }


def order_contract(index: InstrumentIndex, order: BrokerOrder, today: date) -> Contract:
    """The order's contract (lot, tick, freeze) from the instrument index, by its token."""
    from angelctl.instruments.resolve import Resolver

    if not order.exchange or not order.token:
        raise UsageError(f"order {order.order_id} has no exchange or token in the order book")
    return Resolver(index, today).resolve(f"{order.exchange}:{order.token}")


def current_request(order: BrokerOrder, contract: Contract) -> OrderRequest:
    """The working order as an ``OrderRequest`` (the book's 0 price or trigger is none)."""
    return OrderRequest(
        contract=contract,
        side=order.side,
        quantity=order.quantity,
        order_type=order.order_type,
        price=order.price or None,
        trigger=order.trigger or None,
        product=order.product,
        variety=order.variety or "NORMAL",
        duration=order.duration or "DAY",
    )


def requested_order(before: OrderRequest, change: ModifyRequest) -> OrderRequest:
    """The order as it will be: a price or trigger the new type ignores is dropped."""
    kind = change.order_type or before.order_type
    price = change.price if change.price is not None else before.price
    trigger = change.trigger if change.trigger is not None else before.trigger
    if kind in MARKET_TYPES and change.price is None:
        price = None
    if not kind.startswith("STOPLOSS"):
        trigger = None
    units = change.units(before.contract)
    return replace(
        before,
        order_type=kind,
        price=price,
        trigger=trigger,
        quantity=before.quantity if units is None else units,
        duration=change.validity or before.duration,
    )


def reduces_only(before: OrderRequest, after: OrderRequest) -> bool:
    return after.quantity < before.quantity and replace(after, quantity=before.quantity) == before


def changes_between(before: OrderRequest, after: OrderRequest) -> tuple[Change, ...]:
    """The fields that differ (compared as values), each shown as text and as JSON values."""
    pairs: dict[str, tuple[Any, Any]] = {
        "price": (before.price, after.price),
        "trigger": (before.trigger, after.trigger),
        "quantity": (before.quantity, after.quantity),
        "order_type": (before.order_type, after.order_type),
        "validity": (before.duration, after.duration),
    }
    places = _places(before.contract.tick_size)
    changes = []
    for name in FIELDS:
        old, new = pairs[name]
        if old == new:
            continue
        if name in ("price", "trigger"):
            old, new = _price(old, places), _price(new, places)
        changes.append(Change(name, old, new, _change_text(name, old, new, after)))
    return tuple(changes)


def _places(value: Decimal) -> int:
    """Decimals to show: at least 2 (rupees and paise), more when the tick or value has them."""
    exponent = value.normalize().as_tuple().exponent
    return max(2, -exponent if isinstance(exponent, int) else 2)


def _price(value: Decimal | None, places: int) -> str | None:
    return None if value is None else f"{value:.{max(places, _places(value))}f}"


def _change_text(name: str, old: Any, new: Any, after: OrderRequest) -> str:
    label = name.replace("_", " ")
    text = f"{label} {'none' if old is None else old} → {'none' if new is None else new}"
    lot = after.contract.lot_size
    if name == "quantity" and lot > 1:
        lots = after.lots.normalize()
        text += f" ({lots:f} lot{'' if lots == 1 else 's'})"
    return text


def _local_violations(
    order: BrokerOrder, after: OrderRequest, guard: OrderControls
) -> list[Violation]:
    violations = static_checks(
        after, guard.limits, slice_allowed=False, unsliceable="a modification"
    )
    if order.filled and after.quantity <= order.filled:
        violations.append(
            Violation(
                "filled",
                f"quantity {after.quantity} is not above the {order.filled} already filled",
            )
        )
    return violations


def prepare_modify(
    session: BrokerSession,
    order: BrokerOrder,
    contract: Contract,
    change: ModifyRequest,
    guard: OrderControls,
) -> PreparedModify:
    """The latch (unless a pure reduction), every local check on the order as it will be, then
    (unless a pure reduction) one quote for the collar. Raises before any write."""
    if order.is_terminal:
        raise UsageError(f"order {order.order_id} is {order.status}; it cannot be modified")
    before = current_request(order, contract)
    after = requested_order(before, change)
    if not changes_between(before, after):
        raise UsageError(
            f"nothing to change: order {order.order_id} already has these values",
            hint="nothing was sent",
        )
    reducing = reduces_only(before, after)
    if not reducing:
        guard.check()
    violations = _local_violations(order, after, guard)
    if violations:
        raise PreTradeRejected(violations)
    reference, notes = None, []
    if not reducing and (after.order_type in MARKET_TYPES or after.price is not None):
        reference = fetch_reference(session, after)
        if after.order_type in MARKET_TYPES:
            kind = after.order_type
            after = protect_market(after, reference, guard.limits)
            notes.append(f"{kind} converted to a protected {after.order_type} at {after.price}")
        violation = check_collar(after, reference, guard.limits)
        if violation:
            raise PreTradeRejected([violation])
    return PreparedModify(
        order, before, after, changes_between(before, after), reference, tuple(notes)
    )


def send_modify(session: BrokerSession, prepared: PreparedModify, guard: OrderControls) -> Any:
    """modifyOrder once; through the kill-switch gate unless it only lowers the quantity."""
    gate = None if prepared.reduces_only else guard.gate
    return broker_orders.modify(session, prepared.change(), gate=gate)
