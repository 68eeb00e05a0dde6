"""One tradable thing in the sandbox's universe, typed, and its row in the instrument master.

``Instrument`` carries typed values for the engines (``Decimal`` rupees, ``int`` units, ``date``);
``to_row`` renders the exact wire row of ``OpenAPIScripMaster.json`` (formats in ``contracts``).

Invariants: ``to_row`` keys come in ``ROW_KEYS`` order; every value is a ``str`` except
``is_cas_enabled`` (``bool``); ``strike`` is set exactly for options.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from angelctl.records import record
from angelctl.sandbox.engine.contracts import CDS_STRIKE_SCALE, PAISE, format_expiry, six_decimals

MasterRow = dict[str, str | bool]

ROW_KEYS = (
    "token",
    "symbol",
    "name",
    "expiry",
    "strike",
    "lotsize",
    "instrumenttype",
    "exch_seg",
    "tick_size",
    "freeze_qty",
    "is_cas_enabled",
)

INDEX_TYPE = "AMXIDX"
OPTION_TYPES = frozenset({"OPTIDX", "OPTSTK", "OPTFUT", "OPTCUR"})
FUTURE_TYPES = frozenset({"FUTIDX", "FUTSTK", "FUTCOM", "FUTCUR"})


@record(slots=True)
class Instrument:
    exch_seg: str
    token: str
    symbol: str
    name: str
    instrumenttype: str
    lotsize: int
    tick_size: Decimal  # rupees (0 on index rows)
    freeze_qty: int  # 0: none / not applicable
    expiry: date | None = None
    strike: Decimal | None = None  # rupees, options only
    option_type: str | None = None  # "CE" / "PE", options only
    is_cas_enabled: bool = False
    underlying: tuple[str, str] | None = None  # (exch_seg, token) the price derives from

    @property
    def key(self) -> tuple[str, str]:
        return (self.exch_seg, self.token)

    @property
    def is_index(self) -> bool:
        return self.instrumenttype == INDEX_TYPE

    @property
    def is_option(self) -> bool:
        return self.instrumenttype in OPTION_TYPES

    @property
    def is_future(self) -> bool:
        return self.instrumenttype in FUTURE_TYPES

    def strike_field(self) -> str:
        if self.is_index:
            return "0.000000"
        if self.strike is None:
            return "-1.000000"
        scale = CDS_STRIKE_SCALE if self.exch_seg == "CDS" else PAISE
        return six_decimals(self.strike * scale)

    def to_row(self) -> MasterRow:
        return {
            "token": self.token,
            "symbol": self.symbol,
            "name": self.name,
            "expiry": format_expiry(self.expiry),
            "strike": self.strike_field(),
            "lotsize": str(self.lotsize),
            "instrumenttype": self.instrumenttype,
            "exch_seg": self.exch_seg,
            "tick_size": six_decimals(self.tick_size * PAISE),
            "freeze_qty": str(self.freeze_qty),
            "is_cas_enabled": self.is_cas_enabled,
        }
