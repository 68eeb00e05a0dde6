"""Orders as the paper broker keeps them, and the exact rows SmartAPI shows for them.

``Order`` holds typed values (``Decimal`` rupees, ``int`` units, aware datetimes); ``book_row``
renders the order-book / order-details / order-update row of docs/protocol.md#row-shapes with the
live types: quantities as strings (``"1600"``), prices as JSON numbers (``432.05``, ``-1.0``),
``status`` and ``orderstatus`` the same lower-case text, times as ``"26-Dec-2024 13:48:37"`` (IST),
``""`` where the exchange has not said anything yet.

Statuses and the order-update codes a transition is reported with
(docs/protocol.md#order-update-socket):

=====================================  ======  ============================================
status                                 code    when
=====================================  ======  ============================================
open pending                           AB09    received, not yet through the OMS
after market order req received        AB06    received outside market hours (AMO)
open                                   AB01    at the exchange (also after a partial fill)
trigger pending                        AB10    stop-loss order waiting for its trigger
modify pending                         AB11    a modification not yet applied
(modified)                             AB04    a modification applied (status unchanged)
(modified AMO)                         AB08    an after-market order modified
cancel pending                         —       a cancellation not yet applied
cancelled                              AB02    cancelled (AB07 for an after-market order)
rejected                               AB03    refused by the OMS/RMS or the exchange
complete                               AB05    fully filled
=====================================  ======  ============================================

Invariants: ``orderid`` is 15 digits, ``YYMMDD`` (IST) + a 9-digit sequence; ``uniqueorderid``
is a UUID; ``filled + unfilled == quantity``; a terminal order never changes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from angelctl.records import record
from angelctl.sandbox.clock import IST
from angelctl.sandbox.engine.contracts import format_expiry
from angelctl.sandbox.engine.instrument import Instrument

OPEN_PENDING = "open pending"
AMO_RECEIVED = "after market order req received"
OPEN = "open"
TRIGGER_PENDING = "trigger pending"
MODIFY_PENDING = "modify pending"
CANCEL_PENDING = "cancel pending"
CANCELLED = "cancelled"
REJECTED = "rejected"
COMPLETE = "complete"

TERMINAL = frozenset({CANCELLED, REJECTED, COMPLETE})

# Order-update codes (docs/protocol.md#order-update-socket).
AB_OPEN = "AB01"
AB_CANCELLED = "AB02"
AB_REJECTED = "AB03"
AB_MODIFIED = "AB04"
AB_COMPLETE = "AB05"
AB_AMO_RECEIVED = "AB06"
AB_AMO_CANCELLED = "AB07"
AB_AMO_MODIFIED = "AB08"
AB_OPEN_PENDING = "AB09"
AB_TRIGGER_PENDING = "AB10"
AB_MODIFY_PENDING = "AB11"

STATUS_CODES = {
    OPEN_PENDING: AB_OPEN_PENDING,
    AMO_RECEIVED: AB_AMO_RECEIVED,
    OPEN: AB_OPEN,
    TRIGGER_PENDING: AB_TRIGGER_PENDING,
    MODIFY_PENDING: AB_MODIFY_PENDING,
    CANCELLED: AB_CANCELLED,
    REJECTED: AB_REJECTED,
    COMPLETE: AB_COMPLETE,
}

VARIETIES = ("NORMAL", "STOPLOSS", "ROBO")
SIDES = ("BUY", "SELL")
ORDER_TYPES = ("MARKET", "LIMIT", "STOPLOSS_LIMIT", "STOPLOSS_MARKET")
PRODUCTS = ("DELIVERY", "CARRYFORWARD", "MARGIN", "INTRADAY", "BO")
DURATIONS = ("DAY", "IOC")
EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "MCX", "CDS")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def angel_time(moment: datetime | None) -> str:
    """``"26-Dec-2024 13:48:37"`` in IST, independent of the locale; ``""`` for none."""
    if moment is None:
        return ""
    local = moment.astimezone(IST)
    return f"{local.day:02d}-{_MONTHS[local.month - 1]}-{local.year} {local:%H:%M:%S}"


def clock_time(moment: datetime) -> str:
    """``"13:27:53"`` in IST (the trade book's ``filltime``)."""
    return f"{moment.astimezone(IST):%H:%M:%S}"


def number(value: Decimal) -> float:
    return float(value)


def option_type(instrument: Instrument) -> str:
    if instrument.is_option:
        return instrument.option_type or ""
    return "XX" if instrument.is_future else ""


def strike_number(instrument: Instrument) -> float:
    return float(instrument.strike) if instrument.strike is not None else -1.0


@dataclass
class PendingChange:
    """A modification or cancellation received but not yet applied (``oms_latency_seconds``)."""

    kind: str  # "modify" | "cancel"
    due: float  # engine monotonic time
    resume_status: str
    changes: dict[str, Any]


@dataclass
class Order:
    client_code: str
    orderid: str
    uniqueorderid: str
    instrument: Instrument
    variety: str
    ordertype: str
    producttype: str
    duration: str
    transactiontype: str
    price: Decimal
    triggerprice: Decimal
    quantity: int
    disclosedquantity: int
    ordertag: str
    status: str
    updated_at: datetime
    received_mono: float
    squareoff: Decimal = Decimal(0)
    stoploss: Decimal = Decimal(0)
    trailingstoploss: Decimal = Decimal(0)
    text: str = ""
    filled: int = 0
    filled_value: Decimal = Decimal(0)
    cancelsize: int = 0
    exchangeorderid: str = ""
    exchtime: datetime | None = None
    exchorderupdatetime: datetime | None = None
    fillid: str = ""
    filltime: datetime | None = None
    parentorderid: str = ""
    due: float | None = None  # still inside the OMS until this monotonic time
    pending: PendingChange | None = None
    is_amo: bool = False
    aggressive: bool = False  # next match is its first: it may fill better than its limit
    seen_version: int = -1

    @property
    def unfilled(self) -> int:
        return self.quantity - self.filled

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def is_buy(self) -> bool:
        return self.transactiontype == "BUY"

    @property
    def is_stop(self) -> bool:
        return self.ordertype.startswith("STOPLOSS")

    @property
    def is_market(self) -> bool:
        """Executes at any price once live: MARKET, or STOPLOSS_MARKET after its trigger."""
        return self.ordertype in ("MARKET", "STOPLOSS_MARKET")

    @property
    def average_price(self) -> Decimal:
        if not self.filled:
            return Decimal(0)
        places = Decimal("0.0001") if self.instrument.exch_seg == "CDS" else Decimal("0.01")
        return (self.filled_value / self.filled).quantize(places)

    @property
    def exchange(self) -> str:
        return self.instrument.exch_seg

    def book_row(self) -> dict[str, Any]:
        """The row of getOrderBook / details / order updates, in the live key order."""
        i = self.instrument
        return {
            "variety": self.variety,
            "ordertype": self.ordertype,
            "producttype": self.producttype,
            "duration": self.duration,
            "price": number(self.price),
            "triggerprice": number(self.triggerprice),
            "quantity": str(self.quantity),
            "disclosedquantity": str(self.disclosedquantity),
            "squareoff": number(self.squareoff),
            "stoploss": number(self.stoploss),
            "trailingstoploss": number(self.trailingstoploss),
            "tradingsymbol": i.symbol,
            "transactiontype": self.transactiontype,
            "exchange": i.exch_seg,
            "symboltoken": i.token,
            "ordertag": self.ordertag,
            "instrumenttype": i.instrumenttype,
            "strikeprice": strike_number(i),
            "optiontype": option_type(i),
            "expirydate": format_expiry(i.expiry),
            "lotsize": str(i.lotsize),
            "cancelsize": str(self.cancelsize),
            "averageprice": number(self.average_price),
            "filledshares": str(self.filled),
            "unfilledshares": str(self.unfilled),
            "orderid": self.orderid,
            "text": self.text,
            "status": self.status,
            "orderstatus": self.status,
            "updatetime": angel_time(self.updated_at),
            "exchtime": angel_time(self.exchtime),
            "exchorderupdatetime": angel_time(self.exchorderupdatetime),
            "fillid": self.fillid,
            "filltime": angel_time(self.filltime),
            "parentorderid": self.parentorderid,
            "uniqueorderid": self.uniqueorderid,
            "exchangeorderid": self.exchangeorderid,
        }


@record
class OrderEvent:
    """One state change of one order, as the order-update socket will stream it."""

    seq: int
    at: datetime
    client_code: str
    order_status: str | None  # AB01..AB11; None for "cancel pending" (no code exists)
    orderid: str
    status: str
    row: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.astimezone(IST).isoformat(),
            "client_code": self.client_code,
            "order_status": self.order_status,
            "orderid": self.orderid,
            "status": self.status,
            "row": self.row,
        }
