"""The order routes, typed: the one place that knows their wire bodies and rows.

Entry points, all over a ``BrokerSession`` (so every call passes its rate limiter, its session
renewal and its resend policy):

- ``place(session, NewOrder, on_send=, gate=)`` → ``PlaceAnswer`` (order ids; empty when the
  broker's success carried none — the caller decides what that means);
- ``modify(session, OrderChange, gate=)``, ``cancel(session, variety, order_id)``;
- ``read_book(session)`` → ``OrderBook``: the orders with the wall and monotonic times at which
  the read *started* (what "absent from the book" is judged against);
- ``order_details(session, unique_order_id)``, ``find_order(session, id)``;
- ``BrokerOrder.from_wire`` parses one order-book, details or order-update row.

Invariants: bodies are built only here (``NewOrder.to_wire``, ``OrderChange.to_wire``), every
value a string as the real clients send; rows are parsed only here; nothing in this module
decides whether an outcome is known — that is the order layer's (``angelctl.orders``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker.fields import decimal_field, int_field
from angelctl.errors import UnparseableResponse, UsageError
from angelctl.records import record

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession, SendHook, WriteGate

# Order-book statuses (lower-case text on the wire) grouped by what they mean for exposure.
TERMINAL_STATUSES = frozenset({"complete", "cancelled", "rejected"})
WORKING_STATUSES = frozenset(
    {
        "open",
        "trigger pending",
        "open pending",
        "modify pending",
        "cancel pending",
        "after market order req received",
        "modify after market order req received",
        "validation pending",
        "put order req received",
        "modify validation pending",
    }
)


def wire_money(value: Decimal | None) -> str:
    """A price as the wire carries it: plain digits, ``"0"`` for none."""
    return "0" if value is None else format(value, "f")


@record
class NewOrder:
    """A placeOrder request as the broker reads it (the order layer builds it from an intent)."""

    exchange: str
    symbol: str
    token: str
    side: str
    quantity: int
    order_type: str
    product: str
    variety: str = "NORMAL"
    duration: str = "DAY"
    price: Decimal | None = None
    trigger: Decimal | None = None
    disclosed_quantity: int = 0
    tag: str = ""

    def to_wire(self) -> dict[str, str]:
        return {
            "variety": self.variety,
            "tradingsymbol": self.symbol,
            "symboltoken": self.token,
            "transactiontype": self.side,
            "exchange": self.exchange,
            "ordertype": self.order_type,
            "producttype": self.product,
            "duration": self.duration,
            "price": wire_money(self.price),
            "triggerprice": wire_money(self.trigger),
            "squareoff": "0",
            "stoploss": "0",
            "quantity": str(self.quantity),
            "disclosedquantity": str(self.disclosed_quantity),
            "ordertag": self.tag,
        }


@record
class OrderChange:
    """A modifyOrder request: the order's identity and every field as it is to be after."""

    order_id: str
    variety: str
    exchange: str
    symbol: str
    token: str
    order_type: str
    product: str
    duration: str
    quantity: int
    price: Decimal | None = None
    trigger: Decimal | None = None

    def to_wire(self) -> dict[str, str]:
        return {
            "variety": self.variety or "NORMAL",
            "orderid": self.order_id,
            "ordertype": self.order_type,
            "producttype": self.product,
            "duration": self.duration,
            "price": wire_money(self.price),
            "quantity": str(self.quantity),
            "tradingsymbol": self.symbol,
            "symboltoken": self.token,
            "exchange": self.exchange,
            "triggerprice": wire_money(self.trigger),
        }


@record
class PlaceAnswer:
    order_id: str  # "" when a success envelope carried no order id
    unique_order_id: str


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def broker_time_iso(text: str) -> str | None:
    """The order book's IST ``07-Dec-2026 09:15:02`` as ISO 8601 with its offset
    (``2026-12-07T09:15:02+05:30``); None when absent or in another shape."""
    from angelctl.clock import IST

    try:
        day, month, rest = text.strip().split("-", 2)
        year, clock_time = rest.split(" ", 1)
        hour, minute, second = (int(part) for part in clock_time.split(":"))
        moment = datetime(
            int(year), _MONTHS.index(month.title()) + 1, int(day), hour, minute, second, tzinfo=IST
        )
    except ValueError:
        return None
    return moment.isoformat()


@record
class BrokerOrder:
    order_id: str
    unique_order_id: str
    tag: str
    status: str
    exchange: str
    symbol: str
    token: str
    side: str
    order_type: str
    product: str
    variety: str
    quantity: int
    filled: int
    unfilled: int
    price: Decimal
    trigger: Decimal
    average_price: Decimal
    text: str
    updated: str
    duration: str = ""  # DAY or IOC ("" when the row does not say)

    @classmethod
    def from_wire(cls, row: Any) -> BrokerOrder:
        if not isinstance(row, dict):
            raise UnparseableResponse("an order-book row is not an object")
        status = str(row.get("orderstatus") or row.get("status") or "").strip().lower()
        return cls(
            order_id=str(row.get("orderid") or ""),
            unique_order_id=str(row.get("uniqueorderid") or ""),
            tag=str(row.get("ordertag") or ""),
            status=status,
            exchange=str(row.get("exchange") or ""),
            symbol=str(row.get("tradingsymbol") or ""),
            token=str(row.get("symboltoken") or ""),
            side=str(row.get("transactiontype") or ""),
            order_type=str(row.get("ordertype") or ""),
            product=str(row.get("producttype") or ""),
            variety=str(row.get("variety") or ""),
            quantity=int_field(row, "quantity"),
            filled=int_field(row, "filledshares"),
            unfilled=int_field(row, "unfilledshares"),
            price=decimal_field(row, "price"),
            trigger=decimal_field(row, "triggerprice"),
            average_price=decimal_field(row, "averageprice"),
            text=str(row.get("text") or ""),
            updated=str(row.get("updatetime") or ""),
            duration=str(row.get("duration") or "").strip().upper(),
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def is_working(self) -> bool:
        return not self.is_terminal

    @property
    def signed_unfilled(self) -> int:
        """What may still fill, signed (+ buys): the whole quantity when the row says none."""
        unfilled = self.unfilled if self.unfilled or self.filled else self.quantity
        return unfilled if self.side == "BUY" else -unfilled

    def change(self, **fields: Any) -> OrderChange:
        """This order as a modifyOrder request, with ``fields`` changed."""
        base = OrderChange(
            order_id=self.order_id,
            variety=self.variety or "NORMAL",
            exchange=self.exchange,
            symbol=self.symbol,
            token=self.token,
            order_type=self.order_type,
            product=self.product,
            duration=self.duration or "DAY",
            quantity=self.quantity,
            price=self.price,
            trigger=self.trigger,
        )
        return OrderChange(**{**base.__dict__, **fields})

    def as_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "unique_order_id": self.unique_order_id,
            "tag": self.tag,
            "status": self.status,
            "exchange": self.exchange,
            "symbol": self.symbol,
            "token": self.token,
            "side": self.side,
            "order_type": self.order_type,
            "product": self.product,
            "variety": self.variety,
            "quantity": self.quantity,
            "filled": self.filled,
            "unfilled": self.unfilled,
            "price": format(self.price, "f"),
            "trigger": format(self.trigger, "f"),
            "average_price": format(self.average_price, "f"),
            "text": self.text,
            "updated": self.updated,
            "updated_at": broker_time_iso(self.updated),
        }


@record
class OrderBook:
    """One order-book read and when it *started* (wall time from the session's clock, and its
    monotonic time): an order absent from it was absent at ``read_at`` at the earliest."""

    orders: list[BrokerOrder]
    read_at: datetime
    read_mono: float | None  # None: a book whose monotonic read time is not known

    def working(self) -> list[BrokerOrder]:
        return [o for o in self.orders if o.is_working]


def parse_order_book(data: Any) -> list[BrokerOrder]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise UnparseableResponse("the order book is not a list")
    return [BrokerOrder.from_wire(row) for row in data]


def read_book(session: BrokerSession) -> OrderBook:
    clock = session.clock
    at, mono = clock.now(), clock.monotonic()
    return OrderBook(parse_order_book(session.call("getOrderBook")), at, mono)


def order_book(session: BrokerSession) -> list[BrokerOrder]:
    return read_book(session).orders


def find_order(
    session: BrokerSession, order_id: str, book: list[BrokerOrder] | None = None
) -> BrokerOrder:
    """The order with this order id, unique order id or tag, from ``book`` or a fresh read; a
    unique prefix of an order id or unique order id also names it (``idmatch``)."""
    from angelctl.idmatch import match_prefix

    orders = order_book(session) if book is None else book
    for order in orders:
        if order_id in (order.order_id, order.unique_order_id, order.tag):
            return order
    ids = [o.order_id for o in orders] + [o.unique_order_id for o in orders]
    found = match_prefix(order_id, ids, "order id")
    for order in orders if found else ():
        if found in (order.order_id, order.unique_order_id):
            return order
    raise UsageError(
        f"no order {order_id!r} in today's order book",
        hint="`angelctl order list` shows today's orders",
    )


def order_details(session: BrokerSession, unique_order_id: str) -> BrokerOrder:
    return BrokerOrder.from_wire(
        session.call("orderDetails", path_args={"uniqueorderid": unique_order_id})
    )


def place(
    session: BrokerSession,
    order: NewOrder,
    *,
    on_send: SendHook | None = None,
    gate: WriteGate | None = None,
) -> PlaceAnswer:
    """One placeOrder under the session's resend policy; broker errors propagate as raised."""
    data = session.call("placeOrder", order.to_wire(), on_send=on_send, gate=gate)
    if not isinstance(data, dict):
        return PlaceAnswer("", "")
    return PlaceAnswer(str(data.get("orderid") or ""), str(data.get("uniqueorderid") or ""))


def modify(session: BrokerSession, change: OrderChange, *, gate: WriteGate | None = None) -> Any:
    if gate is None:
        return session.call("modifyOrder", change.to_wire())
    return session.call("modifyOrder", change.to_wire(), gate=gate)


def cancel(session: BrokerSession, variety: str, order_id: str) -> None:
    session.call("cancelOrder", {"variety": variety or "NORMAL", "orderid": order_id})
