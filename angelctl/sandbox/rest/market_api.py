"""Handlers for market data over REST (docs/protocol.md#route-table #12-#13,
docs/protocol.md#market-quotes): ``market/v1/quote`` and ``getLtpData``, read from the paper market
(``market``).

Quote rows use the camelCase keys and key order of the live FULL capture (ZOMATO, 2024-12-20):
prices in rupees as JSON numbers (``290.0``, ``288.5``), quantities as integers, times as
``"20-Dec-2024 09:12:54"`` (IST), ``depth.buy``/``depth.sell`` five levels each. ``close`` is the
previous session's close; ``netChange``/``percentChange`` are against it (2 decimals).

Refusals:
- ``mode`` not LTP/OHLC/FULL, or ``exchangeTokens`` not an object of lists → AB1007 (chosen);
- more than 50 tokens in one request → AB1007 "You can fetch a maximum of 50 tokens in a single
  request" (chosen: the docs state the limit, not the reply);
- per token, in ``unfetched`` (``{exchange, symbolToken, message, errorCode}``): an empty token →
  AB4018 "Symbol token cannot be empty" (docs); a token the exchange does not list → AB4030
  "Unable to fetch market data" (seen live, forum topic 4331);
- getLtpData for an unknown token → AB1018 "Failed to get symbol details" (seen live, forum post
  8412).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from angelctl.sandbox.engine.market import Ticker
from angelctl.sandbox.engine.orders import angel_time
from angelctl.sandbox.rest.state import BrokerState, Call, Handler
from angelctl.sandbox.rest.wire import EngineResponse, oms_error, success

MODES = ("LTP", "OHLC", "FULL")
MAX_TOKENS = 50
TOO_MANY_TOKENS = ("AB1007", "You can fetch a maximum of 50 tokens in a single request")
EMPTY_TOKEN = ("AB4018", "Symbol token cannot be empty")
UNFETCHABLE = ("AB4030", "Unable to fetch market data")
NO_SYMBOL = ("AB1018", "Failed to get symbol details")


def _rupees(value: Decimal) -> float:
    return float(value)


def quote_row(ticker: Ticker, mode: str, now: datetime) -> dict[str, Any]:
    """One ``fetched`` element in ``mode`` (LTP, OHLC or FULL)."""
    i = ticker.instrument
    row: dict[str, Any] = {
        "exchange": i.exch_seg,
        "tradingSymbol": i.symbol,
        "symbolToken": i.token,
        "ltp": _rupees(ticker.ltp),
    }
    if mode == "LTP":
        return row
    close = ticker.prev_close
    row.update(
        {
            "open": _rupees(ticker.open),
            "high": _rupees(ticker.high),
            "low": _rupees(ticker.low),
            "close": _rupees(close),
        }
    )
    if mode == "OHLC":
        return row
    change = ticker.ltp - close
    percent = (change * 100 / close).quantize(Decimal("0.01")) if close else Decimal(0)
    bids, asks = ticker.depth()
    buy_total, sell_total = ticker.total_quantities()
    row.update(
        {
            "lastTradeQty": ticker.last_qty,
            "exchFeedTime": angel_time(now),
            "exchTradeTime": angel_time(ticker.last_trade_at),
            "netChange": _rupees(change),
            "percentChange": float(percent),
            "avgPrice": _rupees(ticker.avg_price),
            "tradeVolume": ticker.volume,
            "opnInterest": ticker.open_interest,
            "lowerCircuit": _rupees(ticker.lower_circuit),
            "upperCircuit": _rupees(ticker.upper_circuit),
            "totBuyQuan": buy_total,
            "totSellQuan": sell_total,
            "52WeekLow": _rupees(ticker.week52_low),
            "52WeekHigh": _rupees(ticker.week52_high),
            "depth": {
                "buy": [_level(level) for level in bids],
                "sell": [_level(level) for level in asks],
            },
        }
    )
    return row


def _level(level: Any) -> dict[str, Any]:
    return {"price": _rupees(level.price), "quantity": level.quantity, "orders": level.orders}


def _unfetched(exchange: str, token: str, pair: tuple[str, str]) -> dict[str, str]:
    return {"exchange": exchange, "symbolToken": token, "message": pair[1], "errorCode": pair[0]}


def _token_text(token: Any) -> str | None:
    """A token as sent (string or number); None for anything else (a nested list, say)."""
    if isinstance(token, bool) or not isinstance(token, str | int):
        return None
    return str(token).strip()


def market_quote(state: BrokerState, call: Call) -> EngineResponse:
    mode = call.text("mode") or ""
    if mode not in MODES:
        return oms_error("AB1007", "Invalid mode. Value should be LTP, OHLC, FULL")
    wanted = call.body.get("exchangeTokens")
    if not isinstance(wanted, dict) or not all(isinstance(v, list) for v in wanted.values()):
        return oms_error("AB1007", "Invalid exchangeTokens")
    if sum(len(tokens) for tokens in wanted.values()) > MAX_TOKENS:
        return oms_error(*TOO_MANY_TOKENS)
    fetched: list[dict[str, Any]] = []
    unfetched: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    now = call.now
    for exchange, tokens in wanted.items():
        exchange = str(exchange)
        for raw in tokens:
            token = _token_text(raw)
            if not token:
                unfetched.append(_unfetched(exchange, "" if token is None else token, EMPTY_TOKEN))
                continue
            if (exchange, token) in seen:
                continue
            seen.add((exchange, token))
            ticker = state.paper.market.ticker(exchange, token)
            if ticker is None or ticker.instrument.exch_seg != exchange:
                unfetched.append(_unfetched(exchange, token, UNFETCHABLE))
            else:
                fetched.append(quote_row(ticker, mode, now))
    return success({"fetched": fetched, "unfetched": unfetched})


def get_ltp_data(state: BrokerState, call: Call) -> EngineResponse:
    exchange = (call.text("exchange") or "").strip()
    token = (call.text("symboltoken") or "").strip()
    ticker = state.paper.market.ticker(exchange, token) if exchange and token else None
    if ticker is None or ticker.instrument.exch_seg != exchange:
        return oms_error(*NO_SYMBOL)
    i = ticker.instrument
    return success(
        {
            "exchange": i.exch_seg,
            "tradingsymbol": i.symbol,
            "symboltoken": i.token,
            "open": _rupees(ticker.open),
            "high": _rupees(ticker.high),
            "low": _rupees(ticker.low),
            "close": _rupees(ticker.prev_close),
            "ltp": _rupees(ticker.ltp),
        }
    )


HANDLERS: dict[str, Handler] = {
    "marketQuote": market_quote,
    "getLtpData": get_ltp_data,
}
