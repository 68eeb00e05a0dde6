"""The confirmation ``positions convert`` shows before it sends, and its one-line report.

Invariants: at most 80 columns per line for symbols up to 30 characters; lots are whole numbers
of the lot size; rupees in lakh/crore grouping; a margin the calculator could not give prints
"unavailable"; symbols are text, never markup.
"""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text

from angelctl.orders.convert import PreparedConversion
from angelctl.render.units import group_indian, inr


def size_text(p: PreparedConversion) -> str:
    """``130 (2 lots of 65)``; a contract traded in single units shows no lots."""
    lot = p.contract.lot_size
    if lot <= 1:
        return group_indian(p.quantity)
    lots = p.quantity // lot
    return f"{group_indian(p.quantity)} ({lots} lot{'' if lots == 1 else 's'} of {lot})"


def margin_text(change: tuple[Decimal, Decimal] | None) -> str:
    if change is None:
        return "margin change unavailable"
    before, after = change
    diff = after - before
    sign = "+" if diff >= 0 else "-"
    return f"margin {inr(before)} → {inr(after)} ({sign}{inr(abs(diff))})"


def conversion_confirmation(
    p: PreparedConversion, change: tuple[Decimal, Decimal] | None, available: Decimal | None
) -> Text:
    c = p.contract
    held = "long" if p.side == "BUY" else "short"
    lines = [
        f"Convert {c.exchange}:{c.symbol}: {size_text(p)}, {held}",
        f"  {p.old} → {p.new} · open {p.old} quantity {group_indian(p.open_qty)}",
        f"  {margin_text(change)}",
    ]
    if available is not None:
        lines.append(f"  available funds {inr(available)}")
    text = Text("\n".join(lines))
    if change is not None and available is not None and change[1] - change[0] > available:
        text.append("\n  INSUFFICIENT FUNDS: the broker will likely refuse it", style="bold red")
    return text


def converted_line(p: PreparedConversion, outcome: str) -> str:
    c = p.contract
    how = "" if outcome == "accepted" else " (its answer was lost; positions show it moved)"
    return f"Converted {size_text(p)} {c.exchange}:{c.symbol} from {p.old} to {p.new}{how}."
