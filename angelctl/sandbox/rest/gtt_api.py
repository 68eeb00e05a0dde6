"""Handlers for the GTT routes (docs/protocol.md#route-table #19-#23): validation with the
documented AB9xxx codes, then the rule book (``gtt``) of the paper broker.

==========  ======================================  ==========================================
code        message                                 when
==========  ======================================  ==========================================
AB9010      Invalid Exchange Segment                exchange unknown, or not the rule's
AB9011      Invalid Symbol Token                    token unknown or an index, or not the rule's
AB9012      Invalid Trading Symbol                  missing, or not the token's symbol
AB9014      Invalid Order Side                      transactiontype not BUY/SELL
AB9015      Invalid Product Type                    not DELIVERY/CARRYFORWARD/MARGIN/INTRADAY
AB9006      Invalid Order Quantity                  not a positive whole lot multiple
AB9007      Invalid Disclosed Quantity              negative, or above the quantity
AB9008      Invalid Price                           not positive, or off the tick
AB9009      Invalid Trigger Price                   not positive, off the tick, or at the LTP
AB9016      Invalid Time Period                     not a whole number of days in 1..365
AB9013      Invalid Rule ID                         missing, unknown, or another client's
AB9013      Rule is already <STATUS>                modify/cancel of a rule that is not live
                                                    (chosen wording [GAP])
AB9004      Invalid Status Array Size               ruleList ``status`` not a non-empty list
AB9001      Invalid Parameters                      ruleList ``status`` value not in the enum
AB9017      Invalid Page Value                      page not a whole number ≥ 1
AB9018      Invalid Count Value                     count not in 1..``MAX_COUNT`` [GAP: max]
==========  ======================================  ==========================================

Answers: create/modify/cancel ``{"id": <number>}``; ruleDetails the rule row; ruleList an array
of rows, newest first, ``null`` when nothing matches (like the books). ``modifyRule`` accepts the
quantity as ``qty`` or ``quantity`` (the SDK test sends the latter) and keeps any field it is
not sent. Rate limits (per route, docs/protocol.md#rate-limits) and the static-IP check apply before
these handlers, in the engine; GTT writes do not count against the segment orders/second meter (the
order a rule creates is the broker's, not an API call).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from angelctl.sandbox.engine.gtt import CANCELLED, FILTER_STATUSES, FOR_ALL, GttRule
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.orders import EXCHANGES, SIDES
from angelctl.sandbox.rest.state import BrokerState, Call, Handler
from angelctl.sandbox.rest.wire import EngineResponse, list_or_null, oms_error, success

GTT_PRODUCTS = ("DELIVERY", "CARRYFORWARD", "MARGIN", "INTRADAY")
DEFAULT_TIME_PERIOD = 365
MAX_COUNT = 1000


class GttRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.response = oms_error(code, message)


INVALID_EXCHANGE = ("AB9010", "Invalid Exchange Segment")
INVALID_TOKEN = ("AB9011", "Invalid Symbol Token")
INVALID_SYMBOL = ("AB9012", "Invalid Trading Symbol")
INVALID_SIDE = ("AB9014", "Invalid Order Side")
INVALID_PRODUCT = ("AB9015", "Invalid Product Type")
INVALID_QUANTITY = ("AB9006", "Invalid Order Quantity")
INVALID_DISCLOSED = ("AB9007", "Invalid Disclosed Quantity")
INVALID_PRICE = ("AB9008", "Invalid Price")
INVALID_TRIGGER = ("AB9009", "Invalid Trigger Price")
INVALID_PERIOD = ("AB9016", "Invalid Time Period")
INVALID_RULE = ("AB9013", "Invalid Rule ID")
INVALID_STATUS_ARRAY = ("AB9004", "Invalid Status Array Size")
INVALID_PARAMETERS = ("AB9001", "Invalid Parameters")
INVALID_PAGE = ("AB9017", "Invalid Page Value")
INVALID_COUNT = ("AB9018", "Invalid Count Value")


def _refuse(pair: tuple[str, str]) -> GttRefused:
    return GttRefused(*pair)


def _text(call: Call, key: str) -> str:
    return (call.text(key) or "").strip()


def _number(call: Call, key: str, error: tuple[str, str]) -> Decimal:
    try:
        value = Decimal(_text(call, key))
    except InvalidOperation:
        raise _refuse(error) from None
    if not value.is_finite():
        raise _refuse(error)
    return value


def _whole(call: Call, keys: tuple[str, ...], error: tuple[str, str]) -> int | None:
    """A whole number from the first key present; None when none is."""
    for key in keys:
        if _text(call, key):
            value = _number(call, key, error)
            if value != value.to_integral_value():
                raise _refuse(error)
            return int(value)
    return None


def _price(call: Call, key: str, error: tuple[str, str], tick: Decimal) -> Decimal:
    value = _number(call, key, error)
    if value <= 0 or (tick > 0 and value % tick):
        raise _refuse(error)
    return value


def _instrument(state: BrokerState, call: Call) -> Instrument:
    exchange = _text(call, "exchange").upper()
    if exchange not in EXCHANGES:
        raise _refuse(INVALID_EXCHANGE)
    token = _text(call, "symboltoken")
    instrument = state.universe.instrument(exchange, token) if token else None
    if instrument is None or instrument.is_index:
        raise _refuse(INVALID_TOKEN)
    return instrument


def _ltp(state: BrokerState, instrument: Instrument) -> Decimal:
    return state.paper.ltp(instrument).ltp


def _quantity(value: int | None, instrument: Instrument) -> int:
    lot = max(instrument.lotsize, 1)
    if value is None or value <= 0 or value % lot:
        raise _refuse(INVALID_QUANTITY)
    return value


def _disclosed(value: int | None, quantity: int) -> int:
    if value is None:
        return 0
    if value < 0 or value > quantity:
        raise _refuse(INVALID_DISCLOSED)
    return value


def _period(value: int | None) -> int:
    if value is None:
        return DEFAULT_TIME_PERIOD
    if not 1 <= value <= DEFAULT_TIME_PERIOD:
        raise _refuse(INVALID_PERIOD)
    return value


def _direction(state: BrokerState, instrument: Instrument, trigger: Decimal) -> bool:
    """True when the trigger is above the LTP (fires on a rise); a trigger at the LTP is refused."""
    ltp = _ltp(state, instrument)
    if trigger == ltp:
        raise _refuse(INVALID_TRIGGER)
    return trigger > ltp


def _rule(state: BrokerState, call: Call) -> GttRule:
    """The caller's rule named by ``id`` (number or numeric string)."""
    text = _text(call, "id")
    if not text.isdigit():
        raise _refuse(INVALID_RULE)
    rule = state.paper.gtt.get(call.client_code, int(text))
    if rule is None:
        raise _refuse(INVALID_RULE)
    return rule


def _live(rule: GttRule) -> GttRule:
    if not rule.is_live:
        raise GttRefused(INVALID_RULE[0], f"Rule is already {rule.status}")
    return rule


def _same_instrument(state: BrokerState, call: Call, rule: GttRule) -> None:
    if _text(call, "exchange").upper() != rule.instrument.exch_seg:
        raise _refuse(INVALID_EXCHANGE)
    if _text(call, "symboltoken") != rule.instrument.token:
        raise _refuse(INVALID_TOKEN)


# ------------------------------------------------------------------------------- writes


def create_rule(state: BrokerState, call: Call) -> EngineResponse:
    try:
        instrument = _instrument(state, call)
        symbol = _text(call, "tradingsymbol")
        if symbol != instrument.symbol:
            raise _refuse(INVALID_SYMBOL)
        side = _text(call, "transactiontype").upper()
        if side not in SIDES:
            raise _refuse(INVALID_SIDE)
        product = _text(call, "producttype").upper()
        if product not in GTT_PRODUCTS:
            raise _refuse(INVALID_PRODUCT)
        quantity = _quantity(_whole(call, ("qty",), INVALID_QUANTITY), instrument)
        disclosed = _disclosed(_whole(call, ("disclosedqty",), INVALID_DISCLOSED), quantity)
        tick = state.paper.ltp(instrument).tick
        price = _price(call, "price", INVALID_PRICE, tick)
        trigger = _price(call, "triggerprice", INVALID_TRIGGER, tick)
        period = _period(_whole(call, ("timeperiod",), INVALID_PERIOD))
        fires_above = _direction(state, instrument, trigger)
    except GttRefused as refused:
        return refused.response
    paper = state.paper
    now = call.now
    rule = paper.gtt.add(
        GttRule(
            id=paper.gtt.next_id(),
            account=state.accounts[call.client_code],
            instrument=instrument,
            transactiontype=side,
            producttype=product,
            price=price,
            qty=quantity,
            triggerprice=trigger,
            disclosedqty=disclosed,
            timeperiod=period,
            created=now,
            updated=now,
            fires_above=fires_above,
        )
    )
    return success({"id": rule.id})


def modify_rule(state: BrokerState, call: Call) -> EngineResponse:
    try:
        rule = _live(_rule(state, call))
        _same_instrument(state, call, rule)
        instrument = rule.instrument
        tick = state.paper.ltp(instrument).tick
        quantity = _whole(call, ("qty", "quantity"), INVALID_QUANTITY)
        quantity = rule.qty if quantity is None else _quantity(quantity, instrument)
        disclosed = _whole(call, ("disclosedqty",), INVALID_DISCLOSED)
        disclosed = _disclosed(rule.disclosedqty if disclosed is None else disclosed, quantity)
        price = _price(call, "price", INVALID_PRICE, tick) if _text(call, "price") else rule.price
        trigger = (
            _price(call, "triggerprice", INVALID_TRIGGER, tick)
            if _text(call, "triggerprice")
            else rule.triggerprice
        )
        period = _whole(call, ("timeperiod",), INVALID_PERIOD)
        period = rule.timeperiod if period is None else _period(period)
        fires_above = _direction(state, instrument, trigger)
    except GttRefused as refused:
        return refused.response
    rule.qty, rule.disclosedqty, rule.price, rule.triggerprice = quantity, disclosed, price, trigger
    rule.timeperiod, rule.fires_above, rule.updated = period, fires_above, call.now
    return success({"id": rule.id})


def cancel_rule(state: BrokerState, call: Call) -> EngineResponse:
    try:
        rule = _live(_rule(state, call))
        _same_instrument(state, call, rule)
    except GttRefused as refused:
        return refused.response
    rule.status, rule.updated = CANCELLED, call.now
    return success({"id": rule.id})


# -------------------------------------------------------------------------------- reads


def rule_details(state: BrokerState, call: Call) -> EngineResponse:
    try:
        rule = _rule(state, call)
    except GttRefused as refused:
        return refused.response
    return success(rule.row())


def _statuses(call: Call) -> set[str]:
    value: Any = call.body.get("status")
    if not isinstance(value, list) or not value:
        raise _refuse(INVALID_STATUS_ARRAY)
    wanted = {str(item).strip().upper() for item in value}
    if not wanted <= set(FILTER_STATUSES):
        raise _refuse(INVALID_PARAMETERS)
    return wanted


def rule_list(state: BrokerState, call: Call) -> EngineResponse:
    try:
        wanted = _statuses(call)
        page = _whole(call, ("page",), INVALID_PAGE)
        if page is None or page < 1:
            raise _refuse(INVALID_PAGE)
        count = _whole(call, ("count",), INVALID_COUNT)
        if count is None or not 1 <= count <= MAX_COUNT:
            raise _refuse(INVALID_COUNT)
    except GttRefused as refused:
        return refused.response
    rules = [
        rule
        for rule in reversed(state.paper.gtt.rules(call.client_code))
        if FOR_ALL in wanted or rule.status in wanted
    ]
    start = (page - 1) * count
    return success(list_or_null([rule.row() for rule in rules[start : start + count]]))


HANDLERS: dict[str, Handler] = {
    "createRule": create_rule,
    "modifyRule": modify_rule,
    "cancelRule": cancel_rule,
    "ruleDetails": rule_details,
    "ruleList": rule_list,
}
