"""Parsers for the fields of SmartAPI's string-typed JSON (``"1600"``, ``"- 5"``, ``""``).

Every typed value (profile, funds, quotes, positions, GTT rules) reads the wire through these,
so a malformed number is one ``UnparseableResponse`` naming the key, never a bare exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from angelctl.errors import UnparseableResponse

if TYPE_CHECKING:
    from decimal import Decimal


def decimal_field(row: dict[str, Any], key: str) -> Decimal:
    from decimal import Decimal, InvalidOperation  # not on the path of commands without money

    value = row.get(key)
    if value in (None, ""):
        return Decimal(0)
    try:
        return Decimal(str(value).replace(" ", ""))
    except InvalidOperation:
        raise UnparseableResponse(f"the broker sent {key}={value!r}, not a number") from None


def optional_decimal(row: dict[str, Any], key: str) -> Decimal | None:
    """``None`` when the key is absent, null or blank (a mode that does not carry it)."""
    if row.get(key) in (None, ""):
        return None
    return decimal_field(row, key)


def int_field(row: dict[str, Any], key: str) -> int:
    """A quantity sent as ``"1600"``, ``1600``, ``"1600.0"`` or ``"- 5"``; blank is 0."""
    return int(decimal_field(row, key))


def optional_int(row: dict[str, Any], key: str) -> int | None:
    if row.get(key) in (None, ""):
        return None
    return int_field(row, key)
