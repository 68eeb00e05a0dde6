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

from decimal import Decimal, InvalidOperation
from typing import Any

from angelctl.errors import UnparseableResponse

MAX_DIGITS = 30  # no rupee amount or quantity on the wire has more digits before the point
_ZERO = Decimal(0)
_INT_LIMIT = 10 ** (MAX_DIGITS + 1)  # an int at or beyond it has more than MAX_DIGITS digits
# A float strictly inside it is finite and short enough: parsed without the checks (NaN fails
# every comparison, so it takes the checked path and is refused there). Quotes are mostly floats.
_FLOAT_LIMIT = float(10**MAX_DIGITS)


def is_blank(value: Any) -> bool:
    """``None`` or a string of nothing but spaces: the broker's "no value"."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_decimal(value: Any, key: str) -> Decimal:
    """One non-blank wire value (a JSON number or a numeric string) as a finite ``Decimal``."""
    kind = type(value)
    if kind is str:  # the common cases first, by exact type: a quote has ~40 of these
        text = value.replace(" ", "").replace(",", "") if " " in value or "," in value else value
    elif kind is float or kind is int:
        text = str(value)
    elif isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _malformed(key, value)
    else:
        text = str(value).replace(" ", "").replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _malformed(key, value) from None
    if not number.is_finite() or number.adjusted() > MAX_DIGITS:
        raise _malformed(key, value)
    return number


def decimal_field(row: dict[str, Any], key: str) -> Decimal:
    """The field as a ``Decimal``; absent, null or blank is 0."""
    value = row.get(key)
    if type(value) is float and -_FLOAT_LIMIT < value < _FLOAT_LIMIT:
        return Decimal(repr(value))  # what parse_decimal gives, without its checks
    return _ZERO if is_blank(value) else parse_decimal(value, key)


def optional_decimal(row: dict[str, Any], key: str) -> Decimal | None:
    """``None`` when the key is absent, null or blank (a mode that does not carry it)."""
    value = row.get(key)
    if type(value) is float and -_FLOAT_LIMIT < value < _FLOAT_LIMIT:
        return Decimal(repr(value))
    return None if is_blank(value) else parse_decimal(value, key)


def int_field(row: dict[str, Any], key: str) -> int:
    """A quantity sent as ``"1600"``, ``1600``, ``"1600.0"``, ``1600.0`` or ``"- 5"``; blank is
    0; a fraction is malformed (never truncated)."""
    value = row.get(key)
    if type(value) is int and -_INT_LIMIT < value < _INT_LIMIT:
        return value  # what parsing it as a Decimal would give, without the round trip
    number = _ZERO if is_blank(value) else parse_decimal(value, key)
    if number != number.to_integral_value():
        raise UnparseableResponse(f"the broker sent {key}={value!r}, not a whole number")
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


def wire_rows(data: Any, route: str) -> list[dict[str, Any]]:
    """A list reply's rows (``data: null`` or ``""`` is an empty list; non-object rows are
    skipped); anything but a list is an ``UnparseableResponse``."""
    if data is None or data == "":
        return []
    if not isinstance(data, list):
        raise UnparseableResponse(f"the broker's {route} reply is not a list", route=route)
    return [row for row in data if isinstance(row, dict)]


def text(row: dict[str, Any], key: str) -> str:
    """A text field, stripped; absent or null is ``""``."""
    value = row.get(key)
    return "" if value is None else str(value).strip()
