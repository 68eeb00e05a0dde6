"""Rupees and quantities the Indian way on a terminal: lakh/crore digit grouping.

``group_indian(3646500)`` is ``"36,46,500"``: the last three digits, then groups of two.
``inr(Decimal("250000"))`` is ``"₹2,50,000.00"``: two decimals (half-up), the sign before the
rupee symbol. Screens only; JSON keeps plain numbers or decimal strings.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def group_indian(value: int) -> str:
    """An integer with lakh/crore grouping: ``1234567`` → ``"12,34,567"``."""
    sign, digits = ("-", str(-value)) if value < 0 else ("", str(value))
    if len(digits) <= 3:
        return sign + digits
    head, tail = digits[:-3], digits[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return sign + ",".join([head, *pairs, tail])


def inr(value: Decimal | int | float | str) -> str:
    """Rupees with paise: ``₹2,50,000.00``, ``-₹1,234.50``."""
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, _, paise = f"{abs(amount):f}".partition(".")
    return f"{sign}₹{group_indian(int(whole))}.{paise or '00'}"
