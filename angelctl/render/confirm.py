"""The confirmation an order shows before it is sent: what it is, where its price sits against
the LTP, and the money — margin required, available funds, estimated charges — plus the
old → new view of a modification.

Invariants: at most 80 columns per line for symbols up to 30 characters; a value that could not
be fetched prints "unavailable", never blocks; lots are always whole numbers; rupees use lakh/crore
grouping (``render.units.inr``); symbols and tags are text, never markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.text import Text

from angelctl.render.units import group_indian, inr

if TYPE_CHECKING:
    from angelctl.instruments.model import Contract
    from angelctl.orders.model import OrderRequest
    from angelctl.orders.money import OrderMoney

UNAVAILABLE = "unavailable"


def price_text(value: Decimal, contract: Contract | None = None) -> str:
    """A price at tick precision: two decimals, four for currency derivatives."""
    places = 4 if contract is not None and contract.exchange == "CDS" else 2
    if places == 2:
        return inr(value)
    return f"₹{value.quantize(Decimal(1).scaleb(-places)):f}"


def lots_text(request: OrderRequest) -> str:
    """``2 lots of 65`` (whole lots; ``check_lot`` refused anything else before this)."""
    lot = max(request.contract.lot_size, 1)
    lots = request.quantity // lot
    whole = f"{lots}" if request.quantity % lot == 0 else f"{request.lots:f}"
    return f"{whole} lot{'' if lots == 1 else 's'} of {lot}"


def ltp_text(request: OrderRequest, ltp: Decimal | None) -> str:
    if ltp is None:
        return "LTP unavailable"
    shown = f"LTP {price_text(ltp, request.contract)}"
    if request.price is None or ltp <= 0:
        return shown
    diff = request.price - ltp
    if diff == 0:
        return f"{shown} (at the LTP)"
    where = "above" if diff > 0 else "below"
    percent = abs(diff) * 100 / ltp
    return f"{shown} ({price_text(abs(diff), request.contract)} {where}, {percent:.2f} %)"


def order_line(request: OrderRequest) -> str:
    """``BUY 130 (2 lots of 65) NFO:…``; a contract traded in single units shows no lots."""
    c = request.contract
    lots = f" ({lots_text(request)})" if c.lot_size > 1 else ""
    return f"{request.side} {group_indian(request.quantity)}{lots} {c.exchange}:{c.symbol}"


def terms_line(request: OrderRequest) -> str:
    price = f" @ {price_text(request.price, request.contract)}" if request.price else ""
    trigger = f" trigger {price_text(request.trigger, request.contract)}" if request.trigger else ""
    return f"{request.order_type}{price}{trigger}"


def _money(value: Decimal | None) -> str:
    return UNAVAILABLE if value is None else inr(value)


def confirmation(
    request: OrderRequest, slices: int, money: OrderMoney, notes: Iterable[str] = ()
) -> Text:
    """The lines a person reads before "Send it?"."""
    notional = request.notional
    lines = [
        order_line(request),
        f"  {terms_line(request)} · {ltp_text(request, money.ltp)}",
        f"  {request.product} · {request.duration} · notional "
        + (inr(notional) if notional is not None else "at market")
        + (f" · in {slices} slices" if slices > 1 else ""),
        f"  margin required {_money(money.margin.total if money.margin else None)}"
        f" · available funds {_money(money.available)}",
        f"  estimated charges {_money(money.charges.total if money.charges else None)}",
        *(f"  note: {note}" for note in notes),
    ]
    text = Text("\n".join(lines))
    short = money.shortfall
    if short is not None:
        text.append(
            f"\n  INSUFFICIENT FUNDS: {inr(short)} short; the broker will likely reject it",
            style="bold red",
        )
    return text


def change_lines(changes: Iterable[tuple[str, str, str]]) -> list[str]:
    """``  price   ₹101.00 → ₹102.50`` for each field that changes."""
    rows = list(changes)
    width = max((len(name) for name, _, _ in rows), default=0)
    return [f"  {name:<{width}}  {old} → {new}" for name, old, new in rows]
