"""Rupees and quantities the Indian way: lakh/crore digit grouping (``36,46,500``,
``₹2,50,000.00``). Pure functions, no rich: the core's messages (refusals, limits, summaries)
and every screen (``render.units``) write money with these, never with Western ``{:,}``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def group_indian(value: int) -> str:
    """``3646500`` → ``36,46,500``; ``-1234`` → ``-1,234``."""
    sign = "-" if value < 0 else ""
    digits = str(abs(value))
    if len(digits) <= 3:
        return sign + digits
    head, tail = digits[:-3], digits[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return sign + ",".join([head, *pairs, tail])


def grouped_decimal(value: Decimal, places: int = 2) -> str:
    """``1051.3`` → ``1,051.30`` (Indian grouping, ``places`` decimals, half up)."""
    quantum = Decimal(1).scaleb(-places)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = format(abs(rounded), "f").partition(".")
    text = sign + group_indian(int(whole))
    return f"{text}.{fraction}" if places else text


def inr(value: Decimal | int | float | str) -> str:
    """``₹2,50,000.00``; a loss keeps its sign in front: ``-₹1,250.50``."""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    body = grouped_decimal(abs(amount))
    return f"-₹{body}" if amount < 0 and body.strip("0.,") else f"₹{body}"  # never "-₹0.00"
