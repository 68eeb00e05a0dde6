"""Test set-up in one call: open orders, filled positions and GTT rules for an account, without
the gateway (no rate limits, segment meters, tokens or request log).

Spec (``POST /_sandbox/seed``; every key optional)::

    {"client_code": "SBX0001",            # default: the demo account
     "opening_cash": "50000000",          # replaces the account's opening cash first
     "orders":    [{"exch_seg": "NFO", "token": "…" | "symbol": "…", "side": "BUY",
                    "quantity": 65 | "lots": 1, "price": "…", "ordertype": "LIMIT",
                    "triggerprice": "…", "product": "CARRYFORWARD", "tag": "seed",
                    "count": 25}],
     "positions": [{"exch_seg": "MCX", "symbol": "…", "netqty": -100 | "lots": -1,
                    "price": "…", "product": "…"}],
     "rules":     [{"exch_seg": "NSE", "symbol": "SBIN-EQ", "side": "SELL", "quantity": 5,
                    "price": "…", "triggerprice": "…", "product": "…", "count": 3}]}

Defaults: one lot; product CARRYFORWARD for derivatives, INTRADAY for cash; an order's price
rests away from the market (BUY 3 % below the LTP, SELL 3 % above, on the tick); a position's
price is the LTP; a rule triggers 5 % away (BUY below, SELL above) at a limit equal to the
trigger. ``count`` repeats an entry. Orders go through the paper broker's OMS checks (lot, tick,
circuit, funds), so a bad seed shows up as a ``rejected`` order in the answer; positions are
complete orders with one fill each (``PaperBroker.seed_position``).

Invariants: the whole spec is validated before anything is applied (``SeedError`` → nothing
changed); the answer lists what was created in spec order.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from angelctl.records import record
from angelctl.sandbox.engine.accounts import Account
from angelctl.sandbox.engine.gtt import GttRule
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.market import to_tick
from angelctl.sandbox.engine.orders import ORDER_TYPES, SIDES
from angelctl.sandbox.engine.paper import OrderTicket
from angelctl.sandbox.rest.state import BrokerState

KINDS = ("orders", "positions", "rules")
PRODUCTS = ("DELIVERY", "CARRYFORWARD", "MARGIN", "INTRADAY")
MAX_COUNT = 10_000


class SeedError(ValueError):
    """A seed spec the sandbox cannot apply (nothing was applied)."""


@record
class _Entry:
    kind: str
    instrument: Instrument
    side: str
    quantity: int
    price: Decimal | None
    trigger: Decimal | None
    ordertype: str
    product: str
    tag: str
    count: int


def seed(state: BrokerState, spec: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(spec) - {"client_code", *KINDS, "opening_cash"}
    if unknown:
        raise SeedError(f"unknown key(s) {', '.join(sorted(unknown))}")
    account = _account(state, spec.get("client_code"))
    cash = _decimal(spec, "opening_cash") if "opening_cash" in spec else None
    entries = [
        _entry(state, kind, item, index)
        for kind in KINDS
        for index, item in enumerate(_items(spec, kind))
    ]
    paper = state.paper
    paper.sync()
    book = paper.book(account)
    if cash is not None:
        book.opening_cash = cash
    created: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for entry in entries:
        for _ in range(entry.count):
            created[entry.kind].append(_apply(state, account, entry))
    return {"client_code": account.client_code, **created}


def _account(state: BrokerState, client_code: Any) -> Account:
    if client_code is None:
        return state.accounts[state.config.demo.client_code.upper()]
    found = state.account(str(client_code))
    if found is None:
        raise SeedError(f"no account {client_code!r}")
    return found


def _items(spec: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    items = spec.get(kind, [])
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise SeedError(f"{kind} must be a list of objects")
    return items


def _decimal(item: Mapping[str, Any], key: str) -> Decimal:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SeedError(f"{key} must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SeedError(f"{key} must be a number, not {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise SeedError(f"{key} must be positive")
    return number


def _int(item: Mapping[str, Any], key: str, default: int) -> int:
    value = item.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SeedError(f"{key} must be an integer")
    return value


def _instrument(state: BrokerState, item: Mapping[str, Any], where: str) -> Instrument:
    exch_seg = str(item.get("exch_seg") or "").upper()
    token, symbol = item.get("token"), item.get("symbol")
    universe = state.universe
    if token is not None:
        found = universe.instrument(exch_seg, str(token))
    elif symbol is not None:
        found = universe.by_symbol(exch_seg, str(symbol))
    else:
        raise SeedError(f"{where}: exch_seg and token or symbol are required")
    if found is None or found.is_index:
        raise SeedError(f"{where}: no tradable instrument {exch_seg}:{token or symbol}")
    return found


def _entry(state: BrokerState, kind: str, item: Mapping[str, Any], index: int) -> _Entry:
    where = f"{kind}[{index}]"
    instrument = _instrument(state, item, where)
    lot = max(instrument.lotsize, 1)
    derivative = instrument.is_future or instrument.is_option
    product = str(item.get("product") or ("CARRYFORWARD" if derivative else "INTRADAY")).upper()
    if product not in PRODUCTS:
        raise SeedError(f"{where}: product must be one of {', '.join(PRODUCTS)}")
    if kind == "positions":
        signed = _int(item, "netqty", 0) or _int(item, "lots", 0) * lot
        if signed == 0:
            raise SeedError(f"{where}: netqty (or lots) must be a non-zero integer")
        side, quantity = ("BUY" if signed > 0 else "SELL"), abs(signed)
    else:
        side = str(item.get("side") or "").upper()
        if side not in SIDES:
            raise SeedError(f"{where}: side must be BUY or SELL")
        quantity = _int(item, "quantity", 0) or _int(item, "lots", 1) * lot
        if quantity <= 0:
            raise SeedError(f"{where}: quantity must be positive")
    ordertype = str(item.get("ordertype") or "LIMIT").upper()
    if ordertype not in ORDER_TYPES:
        raise SeedError(f"{where}: ordertype must be one of {', '.join(ORDER_TYPES)}")
    count = _int(item, "count", 1)
    if not 1 <= count <= MAX_COUNT:
        raise SeedError(f"{where}: count must be 1..{MAX_COUNT}")
    trigger = _decimal(item, "triggerprice") if item.get("triggerprice") is not None else None
    if kind == "rules" and trigger is not None and trigger == state.paper.ltp(instrument).ltp:
        raise SeedError(f"{where}: a rule's trigger cannot be at the LTP")
    return _Entry(
        kind=kind,
        instrument=instrument,
        side=side,
        quantity=quantity,
        price=_decimal(item, "price") if item.get("price") is not None else None,
        trigger=trigger,
        ordertype=ordertype,
        product=product,
        tag=str(item.get("tag", "seed"))[:19],
        count=count,
    )


def _away(ltp: Decimal, tick: Decimal, percent: int, below: bool) -> Decimal:
    factor = Decimal(100 - percent if below else 100 + percent) / 100
    return to_tick(ltp * factor, tick, ROUND_FLOOR if below else ROUND_CEILING)


def _apply(state: BrokerState, account: Account, entry: _Entry) -> dict[str, Any]:
    paper = state.paper
    ticker = paper.ltp(entry.instrument)
    ltp, tick = ticker.ltp, ticker.tick
    summary: dict[str, Any] = {
        "exch_seg": entry.instrument.exch_seg,
        "symbol": entry.instrument.symbol,
        "token": entry.instrument.token,
    }
    if entry.kind == "positions":
        signed = entry.quantity if entry.side == "BUY" else -entry.quantity
        order = paper.seed_position(
            account, entry.instrument, entry.product, signed, entry.price or ltp
        )
        return {**summary, "orderid": order.orderid, "netqty": signed}
    if entry.kind == "orders":
        price = entry.price or _away(ltp, tick, 3, below=entry.side == "BUY")
        is_stop = entry.ordertype.startswith("STOPLOSS")
        order = paper.place(
            account,
            OrderTicket(
                instrument=entry.instrument,
                variety="STOPLOSS" if is_stop else "NORMAL",
                ordertype=entry.ordertype,
                producttype=entry.product,
                duration="DAY",
                transactiontype=entry.side,
                price=Decimal(0) if entry.ordertype in ("MARKET", "STOPLOSS_MARKET") else price,
                triggerprice=entry.trigger or (price if is_stop else Decimal(0)),
                quantity=entry.quantity,
                disclosedquantity=0,
                ordertag=entry.tag,
            ),
        )
        return {**summary, "orderid": order.orderid, "status": order.status, "text": order.text}
    trigger = entry.trigger or _away(ltp, tick, 5, below=entry.side == "BUY")
    if trigger == ltp:  # a price of one tick: 5 % below rounds back to it
        trigger = ltp + tick
    now = state.clock.now()
    rule = paper.gtt.add(
        GttRule(
            id=paper.gtt.next_id(),
            account=account,
            instrument=entry.instrument,
            transactiontype=entry.side,
            producttype=entry.product,
            price=entry.price or trigger,
            qty=entry.quantity,
            triggerprice=trigger,
            disclosedqty=0,
            timeperiod=365,
            created=now,
            updated=now,
            fires_above=trigger > ltp,
        )
    )
    return {**summary, "id": rule.id, "status": rule.status}
