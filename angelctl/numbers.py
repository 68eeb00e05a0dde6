"""Numbers typed by a person: plain ASCII decimals, finite and in range, or a ``UsageError``.

Python's own parsers accept far more than an operator means. ``Decimal`` and ``float`` take
``1e400``, ``NaN``, ``Infinity`` and ``-0``; ``int``, ``float`` and ``Decimal`` all take
full-width and other Unicode digits (``１００``), underscores (``1_000``) and surrounding
whitespace. Every one of those is a plausible slip that must never reach a price, a quantity,
SQLite or C code, so each number an operator types is parsed here instead.
"""

from __future__ import annotations

import re
from decimal import Decimal

from angelctl.errors import UsageError

PRICE_DIGITS = 9  # rupees before the point: far above any listed price
PRICE_DECIMALS = 4  # currency ticks are 0.0025
MAX_UNITS = 100_000_000  # a quantity in units (or lots): far above any freeze limit
_PLAIN_DECIMAL = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_WHOLE = re.compile(r"[0-9]+")
_LONGEST = 32  # characters: anything longer is not a number a person meant


def shown(value: object) -> str:
    """The value as it appears in a message: quoted, escaped, and cut when very long."""
    text = repr(str(value))
    return text if len(text) <= 40 else text[:36] + "…'"


def parse_price(value: str | Decimal, flag: str) -> Decimal:
    """A price in rupees: ``101.5``, ``0.05``, ``25000``; above 0, at most 9 digits before the
    point and 4 after it."""
    if isinstance(value, Decimal):
        return _checked_price(value, format(value, "f"), flag)
    text = value.strip(" \t")
    if not text:
        raise UsageError(f"{flag} is empty: give a price such as 101.5")
    negative = text.startswith("-") and _PLAIN_DECIMAL.fullmatch(text[1:]) is not None
    if negative:
        raise UsageError(f"{flag} {shown(value)} must be above 0")
    if len(text) > _LONGEST or not _PLAIN_DECIMAL.fullmatch(text):
        raise UsageError(
            f"{flag} {shown(value)} is not a price: write it with the digits 0-9 and at most "
            "one point, such as 101.5"
        )
    return _checked_price(Decimal(text), text, flag)


def _checked_price(number: Decimal, text: str, flag: str) -> Decimal:
    if not number.is_finite():
        raise UsageError(f"{flag} {shown(text)} is not a price: give a number such as 101.5")
    if number <= 0:
        raise UsageError(f"{flag} {shown(text)} must be above 0")
    whole, _, fraction = format(number, "f").partition(".")
    if len(whole.lstrip("0")) > PRICE_DIGITS:
        raise UsageError(
            f"{flag} {shown(text)} is too large: at most {PRICE_DIGITS} digits before the point"
        )
    if len(fraction.rstrip("0")) > PRICE_DECIMALS:
        raise UsageError(
            f"{flag} {shown(text)} has more than {PRICE_DECIMALS} digits after the point"
        )
    return number


def parse_whole(value: str | int, flag: str, *, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``, written with the digits 0-9 only."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip(" \t")
        digits = text[1:] if text.startswith("-") else text
        if len(text) <= _LONGEST and _WHOLE.fullmatch(digits):
            number = int(text)
    if number is None or not low <= number <= high:
        raise UsageError(f"{flag} must be a whole number from {low} to {high}, not {shown(value)}")
    return number


def parse_seconds(value: str | float, flag: str, *, low: float, high: float) -> float:
    """A duration in seconds from ``low`` to ``high``: ``0.5``, ``30``."""
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip(" \t")
        if len(text) <= _LONGEST and _PLAIN_DECIMAL.fullmatch(text):
            number = float(text)
    if number is None or not low <= number <= high:  # NaN fails both comparisons
        raise UsageError(
            f"{flag} must be a number of seconds from {low:g} to {high:g}, not {shown(value)}"
        )
    return number
