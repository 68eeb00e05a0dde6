"""The OMS/RMS checks an order meets on entry and on modification, with the live refusal texts.

Checks, in order (the first that fails gives the refusal): market/IOC policy
(``market_orders``), IOC on MCX, lot multiple, freeze quantity, tick multiple, circuit band,
stop-loss trigger vs limit, funds. ``convert_market`` turns MARKET into LIMIT (SL-M into SL-L)
at the market-protection price when ``market_orders="convert_to_limit"``.

Invariant: ``oms_refusal`` changes nothing and asks for funds (the costliest check) only when
every earlier check passed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from angelctl.sandbox.config import SandboxConfig
from angelctl.sandbox.engine.market import Ticker, to_tick
from angelctl.sandbox.engine.orders import Order
from angelctl.sandbox.engine.paper.funds import Funds
from angelctl.sandbox.engine.portfolio import money

# ----------------------------------------------------------------------- rejection texts
# Seen live (docs/protocol.md#row-shapes, docs/protocol.md#market-hours, realdata 2026-05-11):
INSUFFICIENT_FUNDS = (
    "Your order has been rejected due to Insufficient Funds. Available funds - Rs. {available} . "
    "You require Rs. {required} funds to execute this order."
)
CIRCUIT_LIMIT = (
    "Your order price exceeds the circuit limit. Please adjust your order within the circuit "
    "limit or place a market order."
)
ADAPTER_LOGGED_OFF = "Adapter is Logged Off"
IOC_ON_COMMODITY = "IOC orders are not allowed for commodities segment"  # docs wording
# Chosen (Angel's own text is unknown): the April-2026 rule in its own words.
MARKET_PROHIBITED = (
    "Market orders and IOC orders are strictly prohibited for algorithmic trading. "
    "Please place a LIMIT order with DAY validity."
)
# NEST OMS wordings used by other NEST brokers [UNVERIFIED for Angel One].
FREEZE_QUANTITY = "RMS:Rule: Check freeze quantity for {segment}"
TICK_MULTIPLE = "RATE NOT MULTIPLE OF TICK [{tick}]"
# Chosen wordings.
LOT_MULTIPLE = "Quantity should be in multiples of the lot size {lot}"
BUY_TRIGGER_ABOVE_PRICE = "Trigger price cannot be greater than the limit price for a buy order"
SELL_TRIGGER_BELOW_PRICE = "Trigger price cannot be less than the limit price for a sell order"

FREEZE_SEGMENTS = {
    "NSE": "NSE CASH",
    "BSE": "BSE CASH",
    "NFO": "NSE FO",
    "BFO": "BSE FO",
    "MCX": "MCX FO",
    "CDS": "NSE CDS",
}


def convert_market(config: SandboxConfig, order: Order, ticker: Callable[[], Ticker]) -> None:
    """``market_orders="convert_to_limit"``: MARKET → LIMIT, SL-M → SL-L at the MPP price."""
    if config.market_orders != "convert_to_limit" or not order.is_market:
        return
    quote = ticker()
    reference = quote.ltp if order.ordertype == "MARKET" else order.triggerprice
    protection = Decimal(str(config.market_protection_percent)) / 100
    factor = 1 + protection if order.is_buy else 1 - protection
    price = to_tick(reference * factor, quote.tick)
    if quote.has_circuits:
        price = min(max(price, quote.lower_circuit), quote.upper_circuit)
    order.price = price
    order.ordertype = "LIMIT" if order.ordertype == "MARKET" else "STOPLOSS_LIMIT"


def oms_refusal(
    config: SandboxConfig, order: Order, ticker: Callable[[], Ticker], funds: Callable[[], Funds]
) -> str | None:
    """The refusal text for ``order``, or None when the OMS accepts it."""
    refusal = _static_refusal(config, order)
    if refusal is None:
        refusal = _price_refusal(order, ticker())
    if refusal is not None:
        return refusal
    available = funds()
    if available.required > 0 and available.required > available.net:
        return INSUFFICIENT_FUNDS.format(
            available=money(available.net), required=money(available.required)
        )
    return None


def _static_refusal(config: SandboxConfig, order: Order) -> str | None:
    """Checks that need no price: policy, IOC on MCX, lot multiple, freeze quantity."""
    instrument = order.instrument
    if config.market_orders == "reject" and (order.is_market or order.duration == "IOC"):
        return MARKET_PROHIBITED
    if order.duration == "IOC" and instrument.exch_seg == "MCX":
        return IOC_ON_COMMODITY
    lot = instrument.lotsize
    if lot > 1 and order.quantity % lot:
        return LOT_MULTIPLE.format(lot=lot)
    if instrument.freeze_qty and order.quantity >= instrument.freeze_qty:
        return FREEZE_QUANTITY.format(segment=FREEZE_SEGMENTS[instrument.exch_seg])
    return None


def _price_refusal(order: Order, ticker: Ticker) -> str | None:
    """Tick multiple and circuit band of the order's prices, then stop-loss trigger vs limit."""
    prices = [order.triggerprice] if order.is_stop else []
    if not order.is_market:
        prices.append(order.price)
    for price in prices:
        if price % ticker.tick:
            return TICK_MULTIPLE.format(tick=f"{ticker.tick:.8f}")
    for price in prices:
        if not ticker.within_band(price):
            return CIRCUIT_LIMIT
    if order.ordertype == "STOPLOSS_LIMIT":
        if order.is_buy and order.triggerprice > order.price:
            return BUY_TRIGGER_ABOVE_PRICE
        if not order.is_buy and order.triggerprice < order.price:
            return SELL_TRIGGER_BELOW_PRICE
    return None
