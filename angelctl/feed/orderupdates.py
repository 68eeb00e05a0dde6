"""``OrderUpdateClient``: the order-update WebSocket (``/smart-order-update``,
docs/protocol.md#order-update-socket).

Usage::

    auth = SessionAuth(lambda: build_session(settings))
    with OrderUpdateClient(settings.order_ws_url, auth, clock=SystemClock(),
                           on_update=print) as orders:
        ...

The server pushes; there is nothing to subscribe. Each text frame is one JSON object
``{"user-id", "status-code", "order-status": "ABxx", "error-message", "orderData": {row}}``;
it becomes an ``OrderUpdate`` (the row parsed once by ``broker.orders.BrokerOrder.from_wire``,
the raw row kept for anything else). The first frame after connecting, ``AB00`` with an empty
row, is the server's acknowledgement: it releases ``wait_acknowledged`` and is not passed to
``on_update``.

Invariants:
- A frame that is not such an object, names an unknown ``ABxx`` code, or carries a row that does
  not parse is counted in ``stats.dropped`` (``json``, ``shape``, ``status``, ``row``) and
  dropped; it never ends the connection.
- The 1-byte ``\\x00`` frame the live server sends every ~10 s is a heartbeat
  (``stats.heartbeats``), text or binary.
- Connection resilience is ``feed.connection``'s, with a 10 s heartbeat
  (docs/protocol.md#order-update-socket) by default.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from angelctl.broker.orders import BrokerOrder
from angelctl.errors import UnparseableResponse
from angelctl.feed.connection import FeedAuth, Heartbeat, Link
from angelctl.feed.reconnect import ReconnectingSocket
from angelctl.records import record

__all__ = ["ORDER_STATUS_CODES", "OrderUpdate", "OrderUpdateClient", "parse_order_update"]

#: the documented ``order-status`` codes (docs/protocol.md#order-update-socket)
ORDER_STATUS_CODES = {
    "AB00": "connected",
    "AB01": "open",
    "AB02": "cancelled",
    "AB03": "rejected",
    "AB04": "modified",
    "AB05": "complete",
    "AB06": "after market order req received",
    "AB07": "cancelled after market order",
    "AB08": "modify after market order req received",
    "AB09": "open pending",
    "AB10": "trigger pending",
    "AB11": "modify pending",
}
ACK_CODE = "AB00"
ORDER_HEARTBEAT = Heartbeat(text_ping_every=10.0, protocol_ping_every=10.0, stale_after=25.0)
_UPDATE_TIME_FORMAT = "%d-%b-%Y %H:%M:%S"  # "12-Jun-2024 09:45:39", IST


class MalformedOrderUpdate(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@record
class OrderUpdate:
    status_code: str  # AB01 … AB11
    user_id: str
    error_message: str
    order: BrokerOrder
    raw: dict[str, Any]  # the ``orderData`` row as sent

    @property
    def order_id(self) -> str:
        return self.order.order_id

    @property
    def status(self) -> str:
        return self.order.status or ORDER_STATUS_CODES.get(self.status_code, "")

    @property
    def filled(self) -> int:
        return self.order.filled

    @property
    def unfilled(self) -> int:
        return self.order.unfilled

    @property
    def average_price(self) -> Decimal:
        return self.order.average_price

    @property
    def quantity(self) -> int:
        return self.order.quantity

    @property
    def symbol(self) -> str:
        return self.order.symbol

    @property
    def exchange(self) -> str:
        return self.order.exchange

    @property
    def side(self) -> str:
        return self.order.side

    @property
    def tag(self) -> str:
        return self.order.tag

    @property
    def text(self) -> str:
        return self.order.text or self.error_message

    @property
    def updated_at(self) -> datetime | None:
        from angelctl.clock import IST

        value = self.raw.get("updatetime") or self.raw.get("exchorderupdatetime")
        if not value:
            return None
        try:
            return datetime.strptime(str(value), _UPDATE_TIME_FORMAT).replace(tzinfo=IST)
        except ValueError:
            return None


def parse_order_update(text: str) -> OrderUpdate:
    """One order-update frame → ``OrderUpdate``; ``MalformedOrderUpdate(reason)`` otherwise."""
    try:
        message = json.loads(text)
    except ValueError:
        raise MalformedOrderUpdate("json") from None
    if not isinstance(message, dict):
        raise MalformedOrderUpdate("shape")
    code = message.get("order-status")
    if not isinstance(code, str) or code not in ORDER_STATUS_CODES:
        raise MalformedOrderUpdate("status")
    row = message.get("orderData")
    if row is None:
        row = {}
    if not isinstance(row, dict):
        raise MalformedOrderUpdate("shape")
    try:
        order = BrokerOrder.from_wire(row)
    except (UnparseableResponse, ValueError):
        raise MalformedOrderUpdate("row") from None
    if code != ACK_CODE and not order.order_id:
        raise MalformedOrderUpdate("row")
    return OrderUpdate(
        status_code=code,
        user_id=str(message.get("user-id") or ""),
        error_message=str(message.get("error-message") or ""),
        order=order,
        raw=row,
    )


class OrderUpdateClient(ReconnectingSocket):
    thread_name = "angelctl-orders"

    def __init__(
        self,
        url: str,
        auth: FeedAuth,
        *,
        on_update: Callable[[OrderUpdate], None] | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("heartbeat", ORDER_HEARTBEAT)
        super().__init__(url, auth, **options)
        self.on_update = on_update
        self.updates = 0
        self._acknowledged = threading.Event()

    def wait_acknowledged(self, timeout: float) -> bool:
        """Wait for the server's AB00 on the current connection."""
        return self._acknowledged.wait(timeout)

    def _on_open(self, link: Link) -> None:
        self._acknowledged.clear()

    def _on_binary(self, payload: bytes) -> None:
        if payload == b"\x00":
            self.stats.heartbeats += 1
            return
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            self.stats.dropped["utf8"] += 1
            return
        self._on_text(text)

    def _on_text(self, text: str) -> None:
        if text == "\x00":
            self.stats.heartbeats += 1
            return
        if text == "pong":
            self.stats.text_pongs += 1
            return
        try:
            update = parse_order_update(text)
        except MalformedOrderUpdate as exc:
            self.stats.dropped[exc.reason] += 1
            return
        if update.status_code == ACK_CODE:
            self._acknowledged.set()
            return
        self.updates += 1
        self._emit(self.on_update, update)
