"""Numbers on an Indian operator's screen: lakh/crore grouping, prices at tick precision.

``group_indian(3646500) == "36,46,500"`` (the last three digits, then pairs);
``inr(Decimal("250000")) == "₹2,50,000.00"``; ``inr_compact`` gives ``₹33.5 L`` / ``₹1.2 Cr``
where a column is tight. Prices print at tick precision: two decimals, four for currency
derivatives (CDS, BCD) or as many as the instrument's tick size needs, so a column never mixes
``1.2``, ``24700.0`` and ``1,051.30``. Lots are whole numbers. Pure functions, no rich: the
plain (piped) path uses them too. JSON never goes through here: it keeps plain numbers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from angelctl.indian import group_indian, grouped_decimal, inr

__all__ = ["group_indian", "grouped_decimal", "inr"]  # the core's, used here and by every view

CURRENCY_EXCHANGES = frozenset({"CDS", "BCD"})
LAKH = Decimal(100_000)
CRORE = Decimal(10_000_000)


def inr_compact(value: Decimal | int) -> str:
    """``₹33.5 L``, ``₹1.2 Cr`` for tight columns; below a lakh the full ``inr`` form."""
    amount = Decimal(value)
    size = abs(amount)
    sign = "-" if amount < 0 else ""
    for unit, name in ((CRORE, "Cr"), (LAKH, "L")):
        if size >= unit:
            scaled = (size / unit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            return f"{sign}₹{scaled.normalize():f} {name}".replace(".0 ", " ")
    return inr(amount)


def quantity(value: int | None) -> str:
    """Units, lots or open interest: ``36,46,500``; ``-`` when unknown."""
    return "-" if value is None else group_indian(int(value))


def tick_places(exchange: str = "", tick_size: Decimal | None = None) -> int:
    """Decimals a price of this instrument shows: from its tick size when known (at least 2),
    four on the currency segments, otherwise two."""
    if tick_size:
        exponent = tick_size.normalize().as_tuple().exponent
        if isinstance(exponent, int):
            return min(4, max(2, -exponent))
    return 4 if exchange.upper() in CURRENCY_EXCHANGES else 2


def price(
    value: Decimal | int | float | None,
    exchange: str = "",
    tick_size: Decimal | None = None,
) -> str:
    """``24,700.00``, ``1.20``; four decimals on CDS/BCD; ``-`` when unknown."""
    if value is None:
        return "-"
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    places = tick_places(exchange, tick_size)
    if not (exchange or tick_size):  # unknown instrument: never hide a finer tick it carries
        exponent = amount.normalize().as_tuple().exponent
        if isinstance(exponent, int):
            places = min(4, max(places, -exponent))
    return grouped_decimal(amount, places)


def signed_price(value: Decimal | None, suffix: str = "") -> str:
    """``+1,250.50`` / ``-0.52%``: the direction survives NO_COLOR and pipes."""
    if value is None:
        return "-"
    return ("+" if value > 0 else "") + price(value) + suffix


def lots(value: int | Decimal) -> str:
    """Lots as a whole number (``10``, never ``1E+1``)."""
    return group_indian(int(value))
