"""Handlers for the order and portfolio routes (docs/protocol.md#route-table #6-#11, #15-#18, and
getRMS's funds): request validation with SmartAPI's codes, then the paper broker (``paper``) does
the rest.

Two kinds of refusal, as on the live API:
- the API refuses the request itself: ``status:false`` in the status dialect, no order exists
  (table below);
- the OMS refuses the order after accepting the request: ``status:true`` with an order id, and the
  order is ``rejected`` in the book with the reason in ``text`` (``paper``'s texts).

==========  ===================================================================  ==============
code        message                                                              evidence
==========  ===================================================================  ==============
AB1007      Invalid Order Variety. Value should be NORMAL, STOPLOSS, ROBO         live (2026)
AB2002      ROBO order is block                                                   docs table
AB4008      ordertag length should be less than 20 characters                    docs table
AB4006      Invalid symboltoken  (unknown, missing or index token)               live
AB1009      Symbol Not Found  (tradingsymbol is not the token's symbol)           docs table
AB1012      Invalid Product Type                                                  docs table
AB1007      Invalid Exchange / Invalid Transaction Type / Invalid Order Type /    chosen
            Invalid Duration / Invalid Quantity / Invalid Price / Invalid
            Trigger Price / Invalid Disclosed Quantity
AB1007      Order not found  (unknown order id, or another client's)              live
AB1007      Cancel Order Response : Bad Input  (no orderid; ``data.orderid ""``)  live
AB1007      Cancel|Modify Order Response : Order is already filled|cancelled|     chosen, in the
            rejected  (``data.orderid`` set) — "already filled" tells a kill      live format
            switch the cancel lost a race with a fill (``terminal_order_message``  [GAP]
            sets the text; the fault ``fill_before_cancel`` stages the race)
AB1007      Cancel|Modify Order Response : Previous request is still pending      chosen
AB1007      <OMS text>  (a modification the OMS refuses; the order is unchanged)  chosen
AB1016/7    convertPosition's refusals: ``convert_api``                         docs table
==========  ===================================================================  ==============

The orders-per-second meter of the order's exchange segment (``segment_ops_limit``) is checked
after validation; over the limit the request gets the configured rate-limit reply.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from angelctl.sandbox.engine.accounts import Account
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.orders import (
    CANCEL_PENDING,
    DURATIONS,
    EXCHANGES,
    MODIFY_PENDING,
    ORDER_TYPES,
    PRODUCTS,
    SIDES,
    VARIETIES,
    Order,
)
from angelctl.sandbox.engine.paper import OrderTicket
from angelctl.sandbox.rest.state import BrokerState, Call, Handler
from angelctl.sandbox.rest.wire import (
    EngineResponse,
    list_or_null,
    oms_error,
    rate_limited,
    success,
)

INVALID_VARIETY = ("AB1007", "Invalid Order Variety. Value should be NORMAL, STOPLOSS, ROBO")
ROBO_BLOCKED = ("AB2002", "ROBO order is block")
TAG_TOO_LONG = ("AB4008", "ordertag length should be less than 20 characters")
INVALID_TOKEN = ("AB4006", "Invalid symboltoken")
SYMBOL_NOT_FOUND = ("AB1009", "Symbol Not Found")
INVALID_PRODUCT = ("AB1012", "Invalid Product Type")
ORDER_NOT_FOUND = ("AB1007", "Order not found")
MAX_TAG_LENGTH = 19
ALREADY = {"complete": "filled", "cancelled": "cancelled", "rejected": "rejected"}


class Refused(Exception):
    """A request the API refuses before any order exists."""

    def __init__(self, code: str, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.response = oms_error(code, message, data)


def _refuse(pair: tuple[str, str]) -> Refused:
    return Refused(*pair)


def _invalid(what: str) -> Refused:
    return Refused("AB1007", f"Invalid {what}")


def _choice(call: Call, key: str, options: tuple[str, ...], error: Refused) -> str:
    value = (call.text(key) or "").strip()
    if value not in options:
        raise error
    return value


def _decimal(call: Call, key: str, what: str) -> Decimal:
    text = (call.text(key) or "").strip()
    if not text:
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _invalid(what) from None
    if not value.is_finite() or value < 0:
        raise _invalid(what)
    return value


def _whole(call: Call, key: str, what: str, *, required: bool) -> int | None:
    text = (call.text(key) or "").strip()
    if not text:
        if required:
            raise _invalid(what)
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _invalid(what) from None
    if not value.is_finite() or value != value.to_integral_value() or value < 0:
        raise _invalid(what)
    return int(value)


def _account(state: BrokerState, call: Call) -> Account:
    return state.accounts[call.client_code]


def _instrument(state: BrokerState, call: Call, exchange: str) -> Instrument:
    token = (call.text("symboltoken") or "").strip()
    instrument = state.universe.instrument(exchange, token) if token else None
    if instrument is None or instrument.is_index:
        raise _refuse(INVALID_TOKEN)
    symbol = (call.text("tradingsymbol") or "").strip()
    if symbol and symbol != instrument.symbol:
        raise _refuse(SYMBOL_NOT_FOUND)
    return instrument


def _variety(call: Call) -> str:
    variety = _choice(call, "variety", VARIETIES, _refuse(INVALID_VARIETY))
    if variety == "ROBO":
        raise _refuse(ROBO_BLOCKED)
    return variety


def _prices(call: Call, ordertype: str) -> tuple[Decimal, Decimal]:
    price = _decimal(call, "price", "Price")
    trigger = _decimal(call, "triggerprice", "Trigger Price")
    return _checked_prices(ordertype, price, trigger)


def _checked_prices(ordertype: str, price: Decimal, trigger: Decimal) -> tuple[Decimal, Decimal]:
    """Prices the order type needs are positive; the ones it ignores are 0."""
    if ordertype in ("LIMIT", "STOPLOSS_LIMIT") and price <= 0:
        raise _invalid("Price")
    if ordertype.startswith("STOPLOSS") and trigger <= 0:
        raise _invalid("Trigger Price")
    if ordertype in ("MARKET", "STOPLOSS_MARKET"):
        price = Decimal(0)
    if not ordertype.startswith("STOPLOSS"):
        trigger = Decimal(0)
    return price, trigger


def parse_ticket(state: BrokerState, call: Call) -> OrderTicket:
    variety = _variety(call)
    tag = call.text("ordertag") or ""
    if len(tag) > MAX_TAG_LENGTH:
        raise _refuse(TAG_TOO_LONG)
    exchange = _choice(call, "exchange", EXCHANGES, _invalid("Exchange"))
    instrument = _instrument(state, call, exchange)
    side = _choice(call, "transactiontype", SIDES, _invalid("Transaction Type"))
    ordertype = _choice(call, "ordertype", ORDER_TYPES, _invalid("Order Type"))
    product = _choice(call, "producttype", PRODUCTS, _refuse(INVALID_PRODUCT))
    if product == "BO":
        raise _refuse(INVALID_PRODUCT)  # BO goes with variety ROBO only, which is blocked
    duration = _choice(call, "duration", DURATIONS, _invalid("Duration"))
    quantity = _whole(call, "quantity", "Quantity", required=True) or 0
    if quantity <= 0:
        raise _invalid("Quantity")
    price, trigger = _prices(call, ordertype)
    disclosed = _whole(call, "disclosedquantity", "Disclosed Quantity", required=False) or 0
    if disclosed > quantity:
        raise _invalid("Disclosed Quantity")
    return OrderTicket(
        instrument=instrument,
        variety=variety,
        ordertype=ordertype,
        producttype=product,
        duration=duration,
        transactiontype=side,
        price=price,
        triggerprice=trigger,
        quantity=quantity,
        disclosedquantity=disclosed,
        ordertag=tag,
        squareoff=_decimal(call, "squareoff", "Squareoff"),
        stoploss=_decimal(call, "stoploss", "Stoploss"),
        trailingstoploss=_decimal(call, "trailingStopLoss", "Trailing Stoploss"),
    )


def _over_ops_limit(state: BrokerState, call: Call, exch_seg: str) -> EngineResponse | None:
    if state.paper.admit_segment(call.client_code, exch_seg):
        return None
    return rate_limited(state.config.rate_limit_reply)


# --------------------------------------------------------------------------- order entry


def place_order(state: BrokerState, call: Call) -> EngineResponse:
    try:
        ticket = parse_ticket(state, call)
    except Refused as refused:
        return refused.response
    limited = _over_ops_limit(state, call, ticket.instrument.exch_seg)
    if limited is not None:
        return limited
    order = state.paper.place(_account(state, call), ticket)
    return success(
        {
            "script": order.instrument.symbol,
            "orderid": order.orderid,
            "uniqueorderid": order.uniqueorderid,
        }
    )


def _target(state: BrokerState, call: Call, action: str) -> Order:
    """The caller's order named by ``orderid``, still open to changes."""
    _variety(call)
    orderid = (call.text("orderid") or "").strip()
    if not orderid:
        raise Refused("AB1007", f"{action} Order Response : Bad Input", {"orderid": ""})
    order = state.paper.order(call.client_code, orderid)
    if order is None:
        raise _refuse(ORDER_NOT_FOUND)
    return order


def _check_open(state: BrokerState, order: Order, action: str) -> None:
    data = {"orderid": order.orderid}
    if order.is_terminal:
        template = state.config.terminal_order_message
        raise Refused("AB1007", template.format(action=action, state=ALREADY[order.status]), data)
    if order.status in (MODIFY_PENDING, CANCEL_PENDING):
        raise Refused(
            "AB1007", f"{action} Order Response : Previous request is still pending", data
        )


def _modifications(call: Call, order: Order) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if call.text("ordertype"):
        changes["ordertype"] = _choice(call, "ordertype", ORDER_TYPES, _invalid("Order Type"))
    if call.text("duration"):
        changes["duration"] = _choice(call, "duration", DURATIONS, _invalid("Duration"))
    ordertype = changes.get("ordertype", order.ordertype)
    quantity = _whole(call, "quantity", "Quantity", required=False)
    if quantity is not None:
        if quantity <= 0:
            raise _invalid("Quantity")
        changes["quantity"] = quantity
    price = _decimal(call, "price", "Price") if call.text("price") else order.price
    trigger = (
        _decimal(call, "triggerprice", "Trigger Price")
        if call.text("triggerprice")
        else order.triggerprice
    )
    changes["price"], changes["triggerprice"] = _checked_prices(ordertype, price, trigger)
    disclosed = _whole(call, "disclosedquantity", "Disclosed Quantity", required=False)
    if disclosed is not None:
        if disclosed > changes.get("quantity", order.quantity):
            raise _invalid("Disclosed Quantity")
        changes["disclosedquantity"] = disclosed
    return changes


def modify_order(state: BrokerState, call: Call) -> EngineResponse:
    try:
        order = _target(state, call, "Modify")
        limited = _over_ops_limit(state, call, order.exchange)
        if limited is not None:
            return limited
        _check_open(state, order, "Modify")
        changes = _modifications(call, order)
    except Refused as refused:
        return refused.response
    refusal = state.paper.modify(_account(state, call), order, changes)
    if refusal is not None:
        return oms_error("AB1007", refusal, {"orderid": order.orderid})
    return success({"orderid": order.orderid, "uniqueorderid": order.uniqueorderid})


def cancel_order(state: BrokerState, call: Call) -> EngineResponse:
    try:
        order = _target(state, call, "Cancel")
        limited = _over_ops_limit(state, call, order.exchange)
        if limited is not None:
            return limited
        _check_open(state, order, "Cancel")
    except Refused as refused:
        return refused.response
    state.paper.cancel(_account(state, call), order)
    return success({"orderid": order.orderid, "uniqueorderid": order.uniqueorderid})


# ------------------------------------------------------------------------------ reports


def get_order_book(state: BrokerState, call: Call) -> EngineResponse:
    return success(list_or_null(state.paper.order_rows(_account(state, call))))


def order_details(state: BrokerState, call: Call) -> EngineResponse:
    unique = call.path_params.get("uniqueorderid", "")
    order = state.paper.order_by_unique(call.client_code, unique)
    if order is None:
        return oms_error(*ORDER_NOT_FOUND)
    return success(order.book_row())


def get_trade_book(state: BrokerState, call: Call) -> EngineResponse:
    return success(list_or_null(state.paper.trade_rows(_account(state, call))))


def get_position(state: BrokerState, call: Call) -> EngineResponse:
    return success(list_or_null(state.paper.position_rows(_account(state, call))))


def get_holding(state: BrokerState, call: Call) -> EngineResponse:
    rows, _ = state.paper.holding_rows(_account(state, call))
    return success(list_or_null(rows))


def get_all_holding(state: BrokerState, call: Call) -> EngineResponse:
    rows, totals = state.paper.holding_rows(_account(state, call))
    return success({"holdings": list_or_null(rows), "totalholding": totals})


def get_rms(state: BrokerState, call: Call) -> EngineResponse:
    return success(state.paper.funds(_account(state, call)))


HANDLERS: dict[str, Handler] = {
    "placeOrder": place_order,
    "modifyOrder": modify_order,
    "cancelOrder": cancel_order,
    "getOrderBook": get_order_book,
    "orderDetails": order_details,
    "getTradeBook": get_trade_book,
    "getPosition": get_position,
    "getHolding": get_holding,
    "getAllHolding": get_all_holding,
    "getRMS": get_rms,
}
