"""The portfolio views (docs/protocol.md#route-table routes #15, #17, #18; row shapes
docs/protocol.md#row-shapes): positions and holdings as typed values (the day's trades are
``broker.orders``, with the order book).

Entry points: ``fetch_positions``, ``fetch_holdings`` (each one call), and the pure parsers
``parse_positions``, ``parse_holdings`` for captured replies.

Invariants:
- An empty book is ``data: null`` on the wire (not ``[]``); it parses to an empty list.
- Position rows are all strings, money may carry a space after the sign (``"- 2235.80"``);
  holdings are JSON numbers with ``null`` for absent quantities. Both parse to ``Decimal``
  rupees and ``int`` quantities here, once.
- A position is open while its net quantity is not zero; a flat row still carries the day's
  realised P&L, so totals always cover every row.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker.fields import decimal_field, int_field, optional_decimal, text, wire_rows
from angelctl.records import record

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession


# ---------------------------------------------------------------------------- positions


@record
class Position:
    """One position row. ``buy_qty``/``sell_qty`` are the day's; ``cf_*`` were carried in."""

    exchange: str
    token: str
    symbol: str
    product: str
    instrument_type: str
    net_qty: int
    buy_qty: int
    sell_qty: int
    cf_buy_qty: int
    cf_sell_qty: int
    buy_avg: Decimal
    sell_avg: Decimal
    net_price: Decimal
    buy_value: Decimal
    sell_value: Decimal
    realised: Decimal
    unrealised: Decimal
    pnl: Decimal
    ltp: Decimal
    close: Decimal

    @property
    def is_open(self) -> bool:
        return self.net_qty != 0

    @property
    def day_net_qty(self) -> int:
        return self.buy_qty - self.sell_qty

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> Position:
        realised = decimal_field(row, "realised")
        unrealised = decimal_field(row, "unrealised")
        pnl = optional_decimal(row, "pnl")
        return cls(
            exchange=text(row, "exchange"),
            token=text(row, "symboltoken"),
            symbol=text(row, "tradingsymbol"),
            product=text(row, "producttype"),
            instrument_type=text(row, "instrumenttype"),
            net_qty=int_field(row, "netqty"),
            buy_qty=int_field(row, "buyqty"),
            sell_qty=int_field(row, "sellqty"),
            cf_buy_qty=int_field(row, "cfbuyqty"),
            cf_sell_qty=int_field(row, "cfsellqty"),
            buy_avg=decimal_field(row, "buyavgprice"),
            sell_avg=decimal_field(row, "sellavgprice"),
            net_price=decimal_field(row, "netprice"),
            buy_value=decimal_field(row, "totalbuyvalue"),
            sell_value=decimal_field(row, "totalsellvalue"),
            realised=realised,
            unrealised=unrealised,
            pnl=pnl if pnl is not None else realised + unrealised,
            ltp=decimal_field(row, "ltp"),
            close=decimal_field(row, "close"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "exchange": self.exchange,
            "token": self.token,
            "symbol": self.symbol,
            "product": self.product,
            "instrument_type": self.instrument_type,
            "net_qty": self.net_qty,
            "day_buy_qty": self.buy_qty,
            "day_sell_qty": self.sell_qty,
            "day_net_qty": self.day_net_qty,
            "cf_buy_qty": self.cf_buy_qty,
            "cf_sell_qty": self.cf_sell_qty,
            "buy_avg": self.buy_avg,
            "sell_avg": self.sell_avg,
            "net_price": self.net_price,
            "buy_value": self.buy_value,
            "sell_value": self.sell_value,
            "realised": self.realised,
            "unrealised": self.unrealised,
            "pnl": self.pnl,
            "ltp": self.ltp,
            "close": self.close,
            "open": self.is_open,
        }


@record
class PositionTotals:
    realised: Decimal
    unrealised: Decimal
    pnl: Decimal
    open: int
    flat: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "realised": self.realised,
            "unrealised": self.unrealised,
            "pnl": self.pnl,
            "open": self.open,
            "flat": self.flat,
        }


def position_totals(positions: Iterable[Position]) -> PositionTotals:
    rows = list(positions)
    return PositionTotals(
        realised=sum((p.realised for p in rows), Decimal(0)),
        unrealised=sum((p.unrealised for p in rows), Decimal(0)),
        pnl=sum((p.pnl for p in rows), Decimal(0)),
        open=sum(1 for p in rows if p.is_open),
        flat=sum(1 for p in rows if not p.is_open),
    )


def parse_positions(data: Any) -> list[Position]:
    return [Position.from_wire(row) for row in wire_rows(data, "getPosition")]


def fetch_positions(session: BrokerSession) -> list[Position]:
    return parse_positions(session.call("getPosition"))


# ----------------------------------------------------------------------------- holdings


@record
class Holding:
    """One demat holding. ``pnl``/``pnl_percent`` are the broker's, against ``average_price``."""

    exchange: str
    symbol: str
    token: str
    isin: str
    product: str
    quantity: int
    t1_quantity: int
    realised_quantity: int
    authorised_quantity: int
    collateral_quantity: int
    average_price: Decimal
    ltp: Decimal
    close: Decimal
    pnl: Decimal
    pnl_percent: Decimal

    @property
    def value(self) -> Decimal:
        return self.ltp * self.quantity

    @property
    def invested(self) -> Decimal:
        return self.average_price * self.quantity

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> Holding:
        average = decimal_field(row, "averageprice")
        ltp = decimal_field(row, "ltp")
        quantity = int_field(row, "quantity")
        pnl = optional_decimal(row, "profitandloss")
        percent = optional_decimal(row, "pnlpercentage")
        if pnl is None:
            pnl = (ltp - average) * quantity
        if percent is None:
            percent = (
                (pnl * 100 / (average * quantity)).quantize(Decimal("0.01"))
                if average and quantity
                else Decimal(0)
            )
        return cls(
            exchange=text(row, "exchange"),
            symbol=text(row, "tradingsymbol"),
            token=text(row, "symboltoken"),
            isin=text(row, "isin"),
            product=text(row, "product"),
            quantity=quantity,
            t1_quantity=int_field(row, "t1quantity"),
            realised_quantity=int_field(row, "realisedquantity"),
            authorised_quantity=int_field(row, "authorisedquantity"),
            collateral_quantity=int_field(row, "collateralquantity"),
            average_price=average,
            ltp=ltp,
            close=decimal_field(row, "close"),
            pnl=pnl,
            pnl_percent=percent,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "exchange": self.exchange,
            "symbol": self.symbol,
            "token": self.token,
            "isin": self.isin,
            "product": self.product,
            "quantity": self.quantity,
            "t1_quantity": self.t1_quantity,
            "realised_quantity": self.realised_quantity,
            "authorised_quantity": self.authorised_quantity,
            "collateral_quantity": self.collateral_quantity,
            "average_price": self.average_price,
            "ltp": self.ltp,
            "close": self.close,
            "value": self.value,
            "invested": self.invested,
            "pnl": self.pnl,
            "pnl_percent": self.pnl_percent,
        }


@record
class HoldingTotals:
    """``getAllHolding``'s ``totalholding`` (computed from the rows when the broker omits it)."""

    value: Decimal
    invested: Decimal
    pnl: Decimal
    pnl_percent: Decimal

    @classmethod
    def from_rows(cls, rows: Iterable[Holding]) -> HoldingTotals:
        rows = list(rows)
        value = sum((h.value for h in rows), Decimal(0))
        invested = sum((h.invested for h in rows), Decimal(0))
        pnl = sum((h.pnl for h in rows), Decimal(0))
        percent = (pnl * 100 / invested).quantize(Decimal("0.01")) if invested else Decimal(0)
        return cls(value, invested, pnl, percent)

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "invested": self.invested,
            "pnl": self.pnl,
            "pnl_percent": self.pnl_percent,
        }


@record
class Holdings:
    rows: list[Holding]
    totals: HoldingTotals


def parse_holdings(data: Any) -> Holdings:
    """A ``getAllHolding`` reply (``{holdings, totalholding}``) or a ``getHolding`` list."""
    if isinstance(data, dict):
        rows = [Holding.from_wire(r) for r in wire_rows(data.get("holdings"), "getAllHolding")]
        total = data.get("totalholding")
        if isinstance(total, dict) and total:
            return Holdings(
                rows,
                HoldingTotals(
                    value=decimal_field(total, "totalholdingvalue"),
                    invested=decimal_field(total, "totalinvvalue"),
                    pnl=decimal_field(total, "totalprofitandloss"),
                    pnl_percent=decimal_field(total, "totalpnlpercentage"),
                ),
            )
        return Holdings(rows, HoldingTotals.from_rows(rows))
    rows = [Holding.from_wire(r) for r in wire_rows(data, "getHolding")]
    return Holdings(rows, HoldingTotals.from_rows(rows))


def fetch_holdings(session: BrokerSession) -> Holdings:
    return parse_holdings(session.call("getAllHolding"))
