"""The broker's option greeks (``marketData/v1/optionGreek``, docs/chain.md): one call returns
IV and greeks for every strike of one NSE underlying and expiry.

Invariants:
- one request per call, body ``{"name": "NIFTY", "expirydate": "25JAN2024"}``;
- every value is parsed with ``broker.fields`` (strings on the wire) into ``Decimal``; a row
  without CE/PE or a strike is an ``UnparseableResponse``;
- ``implied_volatility`` stays in percent, theta per day and vega per 1 % vol, as served.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker.fields import decimal_field, optional_decimal, wire_rows
from angelctl.errors import UnparseableResponse
from angelctl.records import record

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession


@record
class OptionGreek:
    strike: Decimal
    option_type: str  # CE or PE
    delta: Decimal | None
    gamma: Decimal | None
    theta: Decimal | None  # rupees per calendar day
    vega: Decimal | None  # rupees per 1 percentage point of volatility
    implied_volatility: Decimal | None  # percent
    trade_volume: Decimal | None

    @property
    def key(self) -> tuple[Decimal, str]:
        return (self.strike.normalize(), self.option_type)

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> OptionGreek:
        right = str(row.get("optionType") or "").upper()
        if right not in ("CE", "PE"):
            raise UnparseableResponse(f"an optionGreek row without CE/PE: {row!r}"[:200])
        return cls(
            strike=decimal_field(row, "strikePrice"),
            option_type=right,
            delta=optional_decimal(row, "delta"),
            gamma=optional_decimal(row, "gamma"),
            theta=optional_decimal(row, "theta"),
            vega=optional_decimal(row, "vega"),
            implied_volatility=optional_decimal(row, "impliedVolatility"),
            trade_volume=optional_decimal(row, "tradeVolume"),
        )


def expiry_text(expiry: date) -> str:
    """The route's expiry spelling: ``25JAN2024``."""
    return expiry.strftime("%d%b%Y").upper()


def option_greeks(session: BrokerSession, name: str, expiry: date) -> list[OptionGreek]:
    """IV and greeks of every strike of ``name`` expiring on ``expiry`` (one call)."""
    data = session.call("optionGreek", {"name": name.upper(), "expirydate": expiry_text(expiry)})
    return [OptionGreek.from_wire(row) for row in wire_rows(data, "optionGreek")]
