"""Market quotes (docs/protocol.md#market-quotes, routes ``quote`` and ``getLtpData``): typed quotes
parsed once from the camelCase ``fetched`` rows, and the refresh schedule of a watched quote.

Entry points:
- ``fetch_quotes(session, instruments, mode) -> (quotes, unfetched)``;
- ``ltp(session, instrument) -> Quote`` (one ``getLtpData`` call: LTP and the day's OHLC);
- ``refresh_schedule(clock, interval)`` — the ticks of ``quote --watch``.

Invariants:
- A quote request carries at most ``QUOTE_BATCH`` (50) tokens, grouped per exchange in
  ``exchangeTokens``; a token asked for twice is sent once.
- Quotes and unfetched tokens come back in the caller's order, whatever order the broker used.
- Every token asked for ends up either quoted or unfetched: a token the broker silently left
  out of both lists is reported as unfetched, never dropped.
- Prices are ``Decimal`` rupees (REST quotes are not in paise); quantities are ``int``.
- A watched quote never falls behind: a refresh that overruns its interval skips the missed
  ticks instead of queueing them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from angelctl.broker.fields import (
    decimal_field,
    int_field,
    is_blank,
    optional_decimal,
    optional_int,
)
from angelctl.clock import IST
from angelctl.errors import UnparseableResponse, UsageError
from angelctl.records import record

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession

MODES = ("LTP", "OHLC", "FULL")
_CENT = Decimal("0.01")
QUOTE_BATCH = 50  # tokens per market/v1/quote request (the broker's documented maximum)
FEED_TIME_FORMAT = "%d-%b-%Y %H:%M:%S"  # "20-Dec-2024 09:12:54", IST


class Quotable(Protocol):
    """Anything with an exchange, a token and a symbol (an instrument ``Contract``)."""

    @property
    def exchange(self) -> str: ...

    @property
    def token(self) -> str: ...

    @property
    def symbol(self) -> str: ...


@record
class DepthLevel:
    price: Decimal
    quantity: int
    orders: int

    def as_dict(self) -> dict[str, Any]:
        return {"price": self.price, "quantity": self.quantity, "orders": self.orders}


@record
class Depth:
    """Best five bids (``buy``, best first) and offers (``sell``, best first)."""

    buy: tuple[DepthLevel, ...]
    sell: tuple[DepthLevel, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "buy": [level.as_dict() for level in self.buy],
            "sell": [level.as_dict() for level in self.sell],
        }


@record
class Quote:
    """One instrument's quote. Fields the mode does not carry are ``None``.

    ``close`` is the previous session's close; ``change``/``percent_change`` are against it.
    """

    exchange: str
    token: str
    symbol: str
    mode: str
    ltp: Decimal
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    close: Decimal | None = None
    change: Decimal | None = None
    percent_change: Decimal | None = None
    volume: int | None = None
    open_interest: int | None = None
    avg_price: Decimal | None = None
    last_trade_qty: int | None = None
    last_trade_time: datetime | None = None
    feed_time: datetime | None = None
    lower_circuit: Decimal | None = None
    upper_circuit: Decimal | None = None
    week52_low: Decimal | None = None
    week52_high: Decimal | None = None
    total_buy_qty: int | None = None
    total_sell_qty: int | None = None
    depth: Depth | None = None

    @property
    def key(self) -> str:
        return f"{self.exchange}:{self.token}"

    @classmethod
    def from_wire(cls, row: Any, mode: str, *, symbol: str = "") -> Quote:
        """A ``fetched`` row of ``market/v1/quote`` (camelCase keys)."""
        if not isinstance(row, dict):
            raise UnparseableResponse(f"the broker sent a quote row that is not an object: {row!r}")
        if is_blank(row.get("ltp")):
            raise UnparseableResponse(
                f"the broker's quote for {row.get('symbolToken')!r} has no ltp", route="quote"
            )
        ltp = decimal_field(row, "ltp")
        close = optional_decimal(row, "close")
        change = optional_decimal(row, "netChange")
        percent = optional_decimal(row, "percentChange")
        if close is not None and (change is None or percent is None):
            computed = change_against(ltp, close)
            change = computed[0] if change is None else change
            percent = computed[1] if percent is None else percent
        return cls(
            exchange=str(row.get("exchange", "")).upper(),
            token=str(row.get("symbolToken", "")),
            symbol=str(row.get("tradingSymbol") or symbol),
            mode=mode,
            ltp=ltp,
            open=optional_decimal(row, "open"),
            high=optional_decimal(row, "high"),
            low=optional_decimal(row, "low"),
            close=close,
            change=change,
            percent_change=percent,
            volume=optional_int(row, "tradeVolume"),
            open_interest=optional_int(row, "opnInterest"),
            avg_price=optional_decimal(row, "avgPrice"),
            last_trade_qty=optional_int(row, "lastTradeQty"),
            last_trade_time=_feed_time(row.get("exchTradeTime")),
            feed_time=_feed_time(row.get("exchFeedTime")),
            lower_circuit=optional_decimal(row, "lowerCircuit"),
            upper_circuit=optional_decimal(row, "upperCircuit"),
            week52_low=optional_decimal(row, "52WeekLow"),
            week52_high=optional_decimal(row, "52WeekHigh"),
            total_buy_qty=optional_int(row, "totBuyQuan"),
            total_sell_qty=optional_int(row, "totSellQuan"),
            depth=_depth(row.get("depth")),
        )

    @classmethod
    def from_ltp_data(cls, data: Any, *, symbol: str = "") -> Quote:
        """The ``getLtpData`` reply (lower-case keys, LTP and the day's OHLC)."""
        if not isinstance(data, dict) or is_blank(data.get("ltp")):
            raise UnparseableResponse(
                "the broker's getLtpData reply has no ltp", route="getLtpData"
            )
        ltp = decimal_field(data, "ltp")
        close = optional_decimal(data, "close")
        change, percent = change_against(ltp, close) if close is not None else (None, None)
        return cls(
            exchange=str(data.get("exchange", "")).upper(),
            token=str(data.get("symboltoken", "")),
            symbol=str(data.get("tradingsymbol") or symbol),
            mode="LTP",
            ltp=ltp,
            open=optional_decimal(data, "open"),
            high=optional_decimal(data, "high"),
            low=optional_decimal(data, "low"),
            close=close,
            change=change,
            percent_change=percent,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "exchange": self.exchange,
            "token": self.token,
            "symbol": self.symbol,
            "ltp": self.ltp,
            "open": self.open,
            "high": self.high,
            "low": self.low,
            "close": self.close,
            "change": self.change,
            "percent_change": self.percent_change,
            "volume": self.volume,
            "open_interest": self.open_interest,
            "avg_price": self.avg_price,
            "last_trade_qty": self.last_trade_qty,
            "last_trade_time": self.last_trade_time,
            "feed_time": self.feed_time,
            "lower_circuit": self.lower_circuit,
            "upper_circuit": self.upper_circuit,
            "week52_low": self.week52_low,
            "week52_high": self.week52_high,
            "total_buy_qty": self.total_buy_qty,
            "total_sell_qty": self.total_sell_qty,
            "depth": self.depth.as_dict() if self.depth else None,
        }


@record
class Unfetched:
    """A token the broker did not quote, with its reason (``code`` may be blank)."""

    exchange: str
    token: str
    code: str
    message: str
    symbol: str = ""

    @property
    def key(self) -> str:
        return f"{self.exchange}:{self.token}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "exchange": self.exchange,
            "token": self.token,
            "symbol": self.symbol,
            "code": self.code,
            "message": self.message,
        }


def change_against(ltp: Decimal, close: Decimal) -> tuple[Decimal | None, Decimal | None]:
    """Change and % change of ``ltp`` against the previous close (``None`` % for a 0 close)."""
    change = ltp - close
    if not close:
        return change, None
    return change, (change * 100 / close).quantize(_CENT)


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}


def _feed_time(value: Any) -> datetime | None:
    """``FEED_TIME_FORMAT`` ("20-Dec-2024 09:12:54", IST) parsed by hand: ``strptime`` costs a
    locale-aware regex build on its first call, a noticeable share of a one-order process."""
    if not value:
        return None
    text = str(value).strip()
    try:
        day, month, rest = text.split("-", 2)
        year, clock = rest.split(" ", 1)
        hour, minute, second = clock.split(":")
        return datetime(
            int(year),
            _MONTHS[month.upper()],
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=IST,
        )
    except (ValueError, KeyError):
        return None  # a display-only field: an odd format must not lose the quote


def _depth(value: Any) -> Depth | None:
    if not isinstance(value, dict):
        return None

    def side(levels: Any) -> tuple[DepthLevel, ...]:
        # ten levels a FULL quote: positional, no generator (a third of a quote's parse)
        if not isinstance(levels, list):
            return ()
        return tuple(
            [
                DepthLevel(
                    decimal_field(level, "price"),
                    int_field(level, "quantity"),
                    int_field(level, "orders"),
                )
                for level in levels
                if isinstance(level, dict)
            ]
        )

    return Depth(buy=side(value.get("buy")), sell=side(value.get("sell")))


def quote_batches(
    instruments: Sequence[Quotable], size: int = QUOTE_BATCH
) -> list[dict[str, list[str]]]:
    """``exchangeTokens`` bodies of at most ``size`` tokens each, in the caller's order."""
    seen: set[tuple[str, str]] = set()
    batches: list[dict[str, list[str]]] = []
    count = size
    for item in instruments:
        key = (item.exchange.upper(), str(item.token))
        if key in seen:
            continue
        seen.add(key)
        if count == size:
            batches.append({})
            count = 0
        batches[-1].setdefault(key[0], []).append(key[1])
        count += 1
    return batches


def fetch_quotes(
    session: BrokerSession, instruments: Sequence[Quotable], mode: str = "FULL"
) -> tuple[list[Quote], list[Unfetched]]:
    """Quote every instrument (``mode`` LTP, OHLC or FULL), ≤ 50 tokens per request."""
    mode = mode.upper()
    if mode not in MODES:
        raise UsageError(f"the quote mode must be one of {', '.join(MODES)}, not {mode!r}")
    symbols = {(i.exchange.upper(), str(i.token)): i.symbol for i in instruments}
    quoted: dict[tuple[str, str], Quote] = {}
    missed: dict[tuple[str, str], Unfetched] = {}
    for tokens in quote_batches(instruments):
        data = session.call("quote", {"mode": mode, "exchangeTokens": tokens})
        asked = {(exchange, token) for exchange, listed in tokens.items() for token in listed}
        fetched, unfetched = _lists(data)
        for row in fetched:
            key = _match(row, asked)
            if key is not None:
                quoted[key] = Quote.from_wire(row, mode, symbol=symbols[key])
        for row in unfetched:
            key = _match(row, asked)
            if key is not None and key not in quoted:
                missed[key] = Unfetched(
                    exchange=key[0],
                    token=key[1],
                    code=str(row.get("errorCode") or row.get("errorcode") or ""),
                    message=str(row.get("message") or "not fetched"),
                    symbol=symbols[key],
                )
        for key in asked - quoted.keys() - missed.keys():
            missed[key] = Unfetched(
                key[0], key[1], "", "the broker's reply left this token out", symbols[key]
            )
    order = list(dict.fromkeys(symbols))
    return (
        [quoted[key] for key in order if key in quoted],
        [missed[key] for key in order if key in missed],
    )


def _lists(data: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if data is None:
        return [], []
    if not isinstance(data, dict):
        raise UnparseableResponse("the broker's quote reply has no fetched list", route="quote")
    fetched = data.get("fetched") or []
    unfetched = data.get("unfetched") or []
    if not isinstance(fetched, list) or not isinstance(unfetched, list):
        raise UnparseableResponse("the broker's quote reply has no fetched list", route="quote")
    return (
        [row for row in fetched if isinstance(row, dict)],
        [row for row in unfetched if isinstance(row, dict)],
    )


def _match(row: dict[str, Any], asked: set[tuple[str, str]]) -> tuple[str, str] | None:
    """The requested (exchange, token) a reply row answers; the token alone if unambiguous."""
    token = str(row.get("symbolToken", row.get("symboltoken", "")))
    key = (str(row.get("exchange", "")).upper(), token)
    if key in asked:
        return key
    same_token = [k for k in asked if k[1] == token]
    return same_token[0] if len(same_token) == 1 else None


def ltp(session: BrokerSession, instrument: Quotable) -> Quote:
    """One ``getLtpData`` call: the last price and the day's OHLC of one instrument."""
    data = session.call(
        "getLtpData",
        {
            "exchange": instrument.exchange,
            "tradingsymbol": instrument.symbol,
            "symboltoken": str(instrument.token),
        },
    )
    return Quote.from_ltp_data(data, symbol=instrument.symbol)
