"""Positions, fills, holdings and margin: the paper broker's books, and their wire rows.

Rows (docs/protocol.md#route-table #10, #15, #17 and docs/protocol.md#row-shapes):
- position rows are **all strings** (``"netqty":"6"``, ``"pnl":"-13.75"``), day quantities in
  ``buyqty``/``sellqty``, carry-forward ones in ``cf…`` (always 0: the sandbox keeps one day);
- trade rows are strings, as the documented example (``"fillsize":"1"``,
  ``"filltime":"13:27:53"``), except ``fillprice``, ``tradevalue`` and ``strikeprice``, which
  the live broker sends as JSON numbers (``"fillprice":175.0``, ``"strikeprice":-1.0``);
- holding rows carry JSON numbers (``"quantity":2``, ``"haircut":0.0``), ``null`` collateral.

P&L on a position uses the day's average prices: realised on the quantity bought *and* sold,
``min(buy, sell) × (sell avg − buy avg)``; unrealised on the open quantity against the LTP.

Margin (a simple broker model, [GAP] — no SPAN): cash INTRADAY ``intraday_margin_percent`` of
the value, other cash products 100 %; futures and option sales ``derivatives_margin_percent`` of
the value (of strike × quantity for options); option purchases the full premium.

Invariants: amounts are rounded to paise only when rendered; rendering never yields ``-0.00``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from angelctl.records import record
from angelctl.sandbox.config import SandboxConfig
from angelctl.sandbox.engine.contracts import format_expiry
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.orders import clock_time, number, option_type, strike_number

PAISE = Decimal("0.01")
ZERO = Decimal(0)


def money(value: Decimal) -> str:
    """Two decimals, no negative zero: ``"-2235.80"``, ``"0.00"``."""
    return f"{(value.quantize(PAISE) + 0):f}"


def symbol_group(instrument: Instrument) -> str:
    """``EQ``/``BE``/… for NSE cash (the series), ``""`` elsewhere."""
    if instrument.exch_seg == "NSE" and not instrument.instrumenttype and "-" in instrument.symbol:
        return instrument.symbol.rsplit("-", 1)[1]
    return ""


def strike_text(instrument: Instrument) -> str:
    return "-1" if instrument.strike is None else money(instrument.strike)


def precision(instrument: Instrument) -> str:
    return "4" if instrument.exch_seg == "CDS" else "2"


def is_cash(instrument: Instrument) -> bool:
    return instrument.exch_seg in ("NSE", "BSE") and not instrument.is_index


def margin(
    instrument: Instrument,
    product: str,
    side: str,
    quantity: int,
    price: Decimal,
    config: SandboxConfig,
) -> Decimal:
    """Margin blocked for ``quantity`` at ``price`` that opens or adds to exposure."""
    if quantity <= 0:
        return ZERO
    value = price * quantity
    derivative = Decimal(str(config.derivatives_margin_percent)) / 100
    if instrument.is_option:
        if side == "BUY":
            return value
        return (instrument.strike or price) * quantity * derivative
    if instrument.is_future:
        return value * derivative
    if product in ("INTRADAY", "BO"):
        return value * Decimal(str(config.intraday_margin_percent)) / 100
    return value


@dataclass
class Position:
    instrument: Instrument
    product: str
    buy_qty: int = 0
    sell_qty: int = 0
    buy_amount: Decimal = ZERO
    sell_amount: Decimal = ZERO

    @property
    def net_qty(self) -> int:
        return self.buy_qty - self.sell_qty

    @property
    def buy_avg(self) -> Decimal:
        return self.buy_amount / self.buy_qty if self.buy_qty else ZERO

    @property
    def sell_avg(self) -> Decimal:
        return self.sell_amount / self.sell_qty if self.sell_qty else ZERO

    @property
    def net_price(self) -> Decimal:
        """Average price of the open quantity (the side that is left)."""
        if self.net_qty > 0:
            return self.buy_avg
        if self.net_qty < 0:
            return self.sell_avg
        return ZERO

    def add(self, side: str, quantity: int, price: Decimal) -> None:
        if side == "BUY":
            self.buy_qty += quantity
            self.buy_amount += price * quantity
        else:
            self.sell_qty += quantity
            self.sell_amount += price * quantity

    def realised(self) -> Decimal:
        closed = min(self.buy_qty, self.sell_qty)
        return closed * (self.sell_avg - self.buy_avg) if closed else ZERO

    def unrealised(self, ltp: Decimal) -> Decimal:
        net = self.net_qty
        if net > 0:
            return net * (ltp - self.buy_avg)
        if net < 0:
            return -net * (self.sell_avg - ltp)
        return ZERO

    def row(self, ltp: Decimal, close: Decimal) -> dict[str, str]:
        i = self.instrument
        realised, unrealised = self.realised(), self.unrealised(ltp)
        return {
            "exchange": i.exch_seg,
            "symboltoken": i.token,
            "producttype": self.product,
            "tradingsymbol": i.symbol,
            "symbolname": i.name,
            "instrumenttype": i.instrumenttype,
            "priceden": "1",
            "pricenum": "1",
            "genden": "1",
            "gennum": "1",
            "precision": precision(i),
            "multiplier": "-1",
            "boardlotsize": str(i.lotsize),
            "buyqty": str(self.buy_qty),
            "sellqty": str(self.sell_qty),
            "buyamount": money(self.buy_amount),
            "sellamount": money(self.sell_amount),
            "symbolgroup": symbol_group(i),
            "strikeprice": strike_text(i),
            "optiontype": option_type(i),
            "expirydate": format_expiry(i.expiry),
            "lotsize": str(i.lotsize),
            "cfbuyqty": "0",
            "cfsellqty": "0",
            "cfbuyamount": "0.00",
            "cfsellamount": "0.00",
            "buyavgprice": money(self.buy_avg),
            "sellavgprice": money(self.sell_avg),
            "avgnetprice": money(self.net_price),
            "netvalue": money(self.sell_amount - self.buy_amount),
            "netqty": str(self.net_qty),
            "totalbuyvalue": money(self.buy_amount),
            "totalsellvalue": money(self.sell_amount),
            "cfbuyavgprice": "0.00",
            "cfsellavgprice": "0.00",
            "totalbuyavgprice": money(self.buy_avg),
            "totalsellavgprice": money(self.sell_avg),
            "netprice": money(self.net_price),
            "pnl": money(realised + unrealised),
            "realised": money(realised),
            "unrealised": money(unrealised),
            "ltp": money(ltp),
            "close": money(close),
        }


@record
class Fill:
    fillid: str
    orderid: str
    instrument: Instrument
    product: str
    side: str
    quantity: int
    price: Decimal
    at: datetime

    def row(self) -> dict[str, Any]:
        i = self.instrument
        return {
            "exchange": i.exch_seg,
            "producttype": self.product,
            "tradingsymbol": i.symbol,
            "instrumenttype": i.instrumenttype,
            "symbolgroup": symbol_group(i),
            "strikeprice": strike_number(i),
            "optiontype": option_type(i),
            "expirydate": format_expiry(i.expiry),
            "marketlot": str(i.lotsize),
            "precision": precision(i),
            "multiplier": "-1",
            "tradevalue": number((self.price * self.quantity).quantize(PAISE)),
            "transactiontype": self.side,
            "fillprice": number(self.price),
            "fillsize": str(self.quantity),
            "orderid": self.orderid,
            "fillid": self.fillid,
            "filltime": clock_time(self.at),
        }


@dataclass
class Holding:
    instrument: Instrument
    isin: str
    quantity: int
    average_price: Decimal

    def values(self, ltp: Decimal) -> tuple[Decimal, Decimal, Decimal]:
        """(current value, invested value, profit and loss)."""
        value, invested = ltp * self.quantity, self.average_price * self.quantity
        return value, invested, value - invested

    def row(self, ltp: Decimal, close: Decimal) -> dict[str, Any]:
        _, invested, pnl = self.values(ltp)
        percent = (pnl * 100 / invested).quantize(PAISE) if invested else ZERO
        return {
            "tradingsymbol": self.instrument.symbol,
            "exchange": self.instrument.exch_seg,
            "isin": self.isin,
            "t1quantity": 0,
            "realisedquantity": self.quantity,
            "quantity": self.quantity,
            "authorisedquantity": 0,
            "product": "DELIVERY",
            "collateralquantity": None,
            "collateraltype": None,
            "haircut": 0.0,
            "averageprice": float(self.average_price),
            "ltp": float(ltp),
            "symboltoken": self.instrument.token,
            "close": float(close),
            "profitandloss": float(pnl.quantize(PAISE)),
            "pnlpercentage": float(percent),
        }
