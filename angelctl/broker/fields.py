"""Parsers for the numeric fields of SmartAPI's JSON, whichever type the broker used for them.

The same field comes as a JSON number in one reply and a string in another (the trade book's
``fillprice``: a JSON number from the live broker, ``"175.00"`` in the documented example;
order rows mix ``"quantity": "1"`` with ``"price": 260.0``), and strings carry the broker's
own spellings: ``"- 2235.80"`` (a space after the sign), ``""`` for nothing; thousands
separators (``"1,600"``) are accepted too, as the order-row parser always did.
Every typed value (profile, funds, quotes, orders, trades, positions, holdings, GTT rules,
order updates) reads the wire through these, so a number and its string give the same
``Decimal``, and a malformed value (text, a boolean, a list, NaN, infinity or an absurd
magnitude, a fraction where a whole number belongs) is one ``UnparseableResponse`` naming the
key, never a bare exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from angelctl.errors import UnparseableResponse

if TYPE_CHECKING:
    from decimal import Decimal

MAX_DIGITS = 30  # no rupee amount or quantity on the wire has more digits before the point


def is_blank(value: Any) -> bool:
    """``None`` or a string of nothing but spaces: the broker's "no value"."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_decimal(value: Any, key: str) -> Decimal:
    """One non-blank wire value (a JSON number or a numeric string) as a finite ``Decimal``."""
    from decimal import Decimal, InvalidOperation  # not on the path of commands without money

    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _malformed(key, value)
    try:
        number = Decimal(str(value).replace(" ", "").replace(",", ""))
    except InvalidOperation:
        raise _malformed(key, value) from None
    if not number.is_finite() or number.adjusted() > MAX_DIGITS:
        raise _malformed(key, value)
    return number


def decimal_field(row: dict[str, Any], key: str) -> Decimal:
    """The field as a ``Decimal``; absent, null or blank is 0."""
    from decimal import Decimal

    value = row.get(key)
    return Decimal(0) if is_blank(value) else parse_decimal(value, key)


def optional_decimal(row: dict[str, Any], key: str) -> Decimal | None:
    """``None`` when the key is absent, null or blank (a mode that does not carry it)."""
    value = row.get(key)
    return None if is_blank(value) else parse_decimal(value, key)


def int_field(row: dict[str, Any], key: str) -> int:
    """A quantity sent as ``"1600"``, ``1600``, ``"1600.0"``, ``1600.0`` or ``"- 5"``; blank is
    0; a fraction is malformed (never truncated)."""
    number = decimal_field(row, key)
    if number != number.to_integral_value():
        raise UnparseableResponse(f"the broker sent {key}={row.get(key)!r}, not a whole number")
    return int(number)


def optional_int(row: dict[str, Any], key: str) -> int | None:
    if is_blank(row.get(key)):
        return None
    return int_field(row, key)


def _malformed(key: str, value: Any) -> UnparseableResponse:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:59] + "…"
    return UnparseableResponse(f"the broker sent {key}={shown}, not a number")
