"""The ``convertPosition`` handler (docs/protocol.md#route-table #16): move quantity of an open
position from one product to another (intraday ⇄ carry-forward/delivery); ``data: null`` on
success, as live.

Request: the documented field set is a getPosition row's fields plus ``oldproducttype``,
``newproducttype``, ``transactiontype``, ``quantity`` (int, or a string as the SDK's users send)
and ``type`` ("DAY"). Only ``exchange``, the products, ``transactiontype``, ``quantity`` and the
instrument (``symboltoken``, else ``tradingsymbol``: the SDK test's 7-field subset has no token)
are read; the position row's echo fields are tolerated, never checked. A body that names the old
product as ``producttype`` (the position row's key, as in the one live capture) is read the same.

Refusals (OMS dialect; codes chosen where the docs give none):

==========  ===================================================================  ==============
code        message                                                              evidence
==========  ===================================================================  ==============
AB1004      Something went wrong. Please try after sometime  (old = new product)  live capture
AB1012      Invalid Product Type  (unknown product; or one the segment does not   docs table;
            carry: DELIVERY/MARGIN on derivatives, CARRYFORWARD on cash, BO)     chosen
AB1007      Invalid Exchange / Transaction Type / Quantity                        chosen
AB4006      Invalid symboltoken / AB1009 Symbol Not Found                         live / docs
AB1016      Position not found  (no row of that instrument and old product)      docs table
AB1017      Position conversion failed  (more than the open quantity on that     docs table,
            side; outside the session with ``enforce_market_hours``; funds that   chosen
            cannot carry the new product's margin)
==========  ===================================================================  ==============

The route's rate limit (10/s, 500/min, 5000/h) is the gateway's (``config_defaults``).
"""

from __future__ import annotations

from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.orders import EXCHANGES, PRODUCTS, SIDES
from angelctl.sandbox.engine.portfolio import is_cash
from angelctl.sandbox.rest.order_api import (
    INVALID_PRODUCT,
    INVALID_TOKEN,
    SYMBOL_NOT_FOUND,
    Refused,
    _account,
    _choice,
    _invalid,
    _refuse,
    _whole,
)
from angelctl.sandbox.rest.state import BrokerState, Call, Handler
from angelctl.sandbox.rest.wire import EngineResponse, oms_error, success
from angelctl.sandbox.trading_hours import session_open

SAME_PRODUCT = ("AB1004", "Something went wrong. Please try after sometime")
POSITION_NOT_FOUND = ("AB1016", "Position not found")
CONVERSION_FAILED = ("AB1017", "Position conversion failed")
CASH_PRODUCTS = ("DELIVERY", "INTRADAY", "MARGIN")
DERIVATIVE_PRODUCTS = ("CARRYFORWARD", "INTRADAY")


def allowed_products(instrument: Instrument) -> tuple[str, ...]:
    """The products a position of ``instrument`` may be converted between."""
    return CASH_PRODUCTS if is_cash(instrument) else DERIVATIVE_PRODUCTS


def _instrument(state: BrokerState, call: Call, exchange: str) -> Instrument:
    token = (call.text("symboltoken") or "").strip()
    symbol = (call.text("tradingsymbol") or "").strip()
    universe = state.universe
    if token:
        instrument = universe.instrument(exchange, token)
        if instrument is None or instrument.is_index:
            raise _refuse(INVALID_TOKEN)
        if symbol and symbol != instrument.symbol:
            raise _refuse(SYMBOL_NOT_FOUND)
        return instrument
    found = universe.by_symbol(exchange, symbol) if symbol else None
    if found is None or found.is_index:
        raise _refuse(SYMBOL_NOT_FOUND)
    return found


def _old_product(call: Call) -> str:
    key = "oldproducttype" if call.text("oldproducttype") is not None else "producttype"
    return _choice(call, key, PRODUCTS, _refuse(INVALID_PRODUCT))


def convert_position(state: BrokerState, call: Call) -> EngineResponse:
    try:
        exchange = _choice(call, "exchange", EXCHANGES, _invalid("Exchange"))
        old = _old_product(call)
        new = _choice(call, "newproducttype", PRODUCTS, _refuse(INVALID_PRODUCT))
        side = _choice(call, "transactiontype", SIDES, _invalid("Transaction Type"))
        quantity = _whole(call, "quantity", "Quantity", required=True) or 0
        if quantity <= 0:
            raise _invalid("Quantity")
        instrument = _instrument(state, call, exchange)
    except Refused as refused:
        return refused.response
    if old == new:
        return oms_error(*SAME_PRODUCT)
    allowed = allowed_products(instrument)
    if old not in allowed or new not in allowed:
        return oms_error(*INVALID_PRODUCT)
    config = state.config
    if config.enforce_market_hours and not session_open(exchange, state.clock.now()):
        return oms_error(*CONVERSION_FAILED)
    problem = state.paper.convert_position(
        _account(state, call), instrument, old, new, side, quantity
    )
    if problem == POSITION_NOT_FOUND[1]:
        return oms_error(*POSITION_NOT_FOUND)
    if problem is not None:
        return oms_error(*CONVERSION_FAILED)
    return success(None)


HANDLERS: dict[str, Handler] = {"convertPosition": convert_position}
