"""The typed contract and the segment tables (exchange → feed exchangeType / segment code)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from angelctl.records import record

# WebSocket 2.0 exchangeType (docs/protocol.md#subscribe-requests) and the getProfile segment codes.
EXCHANGE_TYPES = {"NSE": 1, "NFO": 2, "BSE": 3, "BFO": 4, "MCX": 5, "NCDEX": 7, "CDS": 13}
SEGMENT_CODES = {
    "NSE": "nse_cm",
    "NFO": "nse_fo",
    "BSE": "bse_cm",
    "BFO": "bse_fo",
    "MCX": "mcx_fo",
    "NCDEX": "ncx_fo",
    "CDS": "cde_fo",
}
EXCHANGES = tuple(EXCHANGE_TYPES)
# Strike scale per segment: the master stores strike × this (docs/protocol.md#instrument-master).
STRIKE_SCALE = {"CDS": Decimal(10_000_000)}
DEFAULT_STRIKE_SCALE = Decimal(100)

KIND_OF_TYPE = {
    "": "EQ",
    "EQ": "EQ",
    "AMXIDX": "INDEX",
    "FUTIDX": "FUT",
    "FUTSTK": "FUT",
    "FUTCOM": "FUT",
    "FUTCUR": "FUT",
    "FUTIRC": "FUT",
    "FUTIRT": "FUT",
    "FUTBLN": "FUT",
    "FUTENR": "FUT",
    "FUTAGR": "FUT",
    "OPTIDX": "OPT",
    "OPTSTK": "OPT",
    "OPTFUT": "OPT",
    "OPTCUR": "OPT",
    "OPTIRC": "OPT",
    "OPTCOM": "OPT",
    "OPTBLN": "OPT",
    "OPTENR": "OPT",
    "COMDTY": "INDEX",
}
KINDS = ("EQ", "INDEX", "FUT", "OPT")

# Exchange freeze quantities (units per order) for index derivatives, used when the master
# row has none. An order must be strictly below it (the master's own values are max + 1).
# Sources: docs/protocol.md#lot-sizes-and-freeze-quantities (NSE circulars as reported, 2025-2026).
# Override in config.
DEFAULT_FREEZE_QTY = {
    "NIFTY": 1800,
    "BANKNIFTY": 600,
    "FINNIFTY": 1800,
    "MIDCPNIFTY": 2800,
    "NIFTYNXT50": 600,
    "SENSEX": 1000,
    "BANKEX": 900,
}


@record(slots=True)
class Contract:
    exchange: str
    token: str
    symbol: str
    name: str
    instrument_type: str
    kind: str  # EQ, INDEX, FUT, OPT
    expiry: date | None
    strike: Decimal | None  # rupees; None unless an option
    option_type: str  # CE, PE or ""
    lot_size: int
    tick_size: Decimal  # rupees
    freeze_qty: int | None
    freeze_source: str  # master, config, table or none
    cas_enabled: bool = False

    @property
    def key(self) -> str:
        return f"{self.exchange}:{self.token}"

    @property
    def exchange_type(self) -> int:
        return EXCHANGE_TYPES.get(self.exchange, 0)

    @property
    def segment(self) -> str:
        return SEGMENT_CODES.get(self.exchange, self.exchange.lower())

    @property
    def max_order_qty(self) -> int | None:
        """The largest lot multiple an order may carry below the freeze quantity."""
        if not self.freeze_qty:
            return None
        lot = max(self.lot_size, 1)
        return ((self.freeze_qty - 1) // lot) * lot

    def as_dict(self) -> dict[str, object]:
        return {
            "exchange": self.exchange,
            "token": self.token,
            "symbol": self.symbol,
            "name": self.name,
            "instrument_type": self.instrument_type,
            "kind": self.kind,
            "expiry": self.expiry.isoformat() if self.expiry else None,
            "strike": format(self.strike, "f") if self.strike is not None else None,
            "option_type": self.option_type or None,
            "lot_size": self.lot_size,
            "tick_size": format(self.tick_size, "f"),
            "freeze_qty": self.freeze_qty,
            "freeze_source": self.freeze_source,
            "max_order_qty": self.max_order_qty,
            "exchange_type": self.exchange_type,
            "segment": self.segment,
            "cas_enabled": self.cas_enabled,
        }
