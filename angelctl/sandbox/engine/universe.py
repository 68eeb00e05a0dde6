"""The market the sandbox trades on a given day, and the instrument master it publishes.

``build_universe(day)`` lists every live instrument for that IST trading day (see ``listing`` for
the rules and ``contracts`` for reference data and symbol forms) and gives each a reference
price. The engine keeps one ``Universe`` per day; the matching engine and feeds read it, and
``GET /OpenAPI_File/files/OpenAPIScripMaster.json`` serves ``master_json()``.

Public entry points:
- ``build_universe(trading_day, spec=None) -> Universe`` — deterministic for a given day;
- ``Universe.rows`` (the master rows, real format and key order), ``instrument(exch_seg, token)``,
  ``by_symbol(exch_seg, symbol)``, ``find(...)``, ``reference_price(exch_seg, token)``,
  ``master_json()`` / ``master_gzip()`` (cached bytes);
- ``master_rows(day, spec, fill_to=N)`` — rows only, no prices: the large bench master.

Invariants: (exch_seg, token) and (exch_seg, symbol) are unique — construction fails otherwise;
a ``Universe`` is never mutated after construction (the engine rebuilds it for a new day).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

from angelctl.sandbox.engine.instrument import ROW_KEYS, Instrument, MasterRow
from angelctl.sandbox.engine.listing import list_cash_stocks, list_instruments, synthetic_stocks
from angelctl.sandbox.engine.listing_core import UniverseSpec

__all__ = [
    "ROW_KEYS",
    "Instrument",
    "MasterRow",
    "Universe",
    "UniverseSpec",
    "build_universe",
    "master_rows",
]

DEFAULT_SPEC = UniverseSpec()


class Universe:
    def __init__(
        self,
        trading_day: date,
        instruments: list[Instrument],
        prices: dict[tuple[str, str], Decimal],
    ) -> None:
        self.trading_day = trading_day
        self.instruments: tuple[Instrument, ...] = tuple(instruments)
        self._by_key: dict[tuple[str, str], Instrument] = {}
        self._by_symbol: dict[tuple[str, str], Instrument] = {}
        for instrument in self.instruments:
            key, symbol_key = instrument.key, (instrument.exch_seg, instrument.symbol)
            if key in self._by_key:
                raise ValueError(f"duplicate token {key}: {instrument.symbol}")
            if symbol_key in self._by_symbol:
                raise ValueError(f"duplicate symbol {symbol_key}")
            self._by_key[key] = instrument
            self._by_symbol[symbol_key] = instrument
        self._prices = prices
        self.rows: list[MasterRow] = [instrument.to_row() for instrument in self.instruments]
        self._json: bytes | None = None
        self._gzip: bytes | None = None

    def __len__(self) -> int:
        return len(self.instruments)

    def instrument(self, exch_seg: str, token: str) -> Instrument | None:
        return self._by_key.get((exch_seg.upper(), token))

    def by_symbol(self, exch_seg: str, symbol: str) -> Instrument | None:
        return self._by_symbol.get((exch_seg.upper(), symbol))

    def find(
        self,
        *,
        exch_seg: str | None = None,
        symbol: str | None = None,
        token: str | None = None,
        name: str | None = None,
        instrumenttype: str | None = None,
    ) -> list[Instrument]:
        """Instruments matching every given filter (symbol and name case-insensitively)."""
        seg = exch_seg.upper() if exch_seg else None
        sym = symbol.upper() if symbol else None
        nam = name.upper() if name else None
        kind = instrumenttype.upper() if instrumenttype is not None else None
        return [
            i
            for i in self.instruments
            if (seg is None or i.exch_seg == seg)
            and (sym is None or i.symbol.upper() == sym)
            and (token is None or i.token == token)
            and (nam is None or i.name.upper() == nam)
            and (kind is None or i.instrumenttype == kind)
        ]

    def reference_price(self, exch_seg: str, token: str) -> Decimal:
        """A plausible price (index level, spot, future or premium); ``KeyError`` if unknown."""
        return self._prices[(exch_seg.upper(), token)]

    def with_extras(
        self, instruments: list[Instrument], prices: dict[tuple[str, str], Decimal]
    ) -> Universe:
        """A new universe that also lists ``instruments`` (a replayed recording's): a token
        already listed stays as it is; a symbol already taken by another token gets
        ``-REPLAY``."""
        extra = []
        for instrument in instruments:
            if instrument.key in self._by_key:
                continue
            if (instrument.exch_seg, instrument.symbol) in self._by_symbol:
                instrument = replace(instrument, symbol=f"{instrument.symbol}-REPLAY")
            extra.append(instrument)
        if not extra:
            return self
        merged = {**self._prices, **{i.key: prices[i.key] for i in extra}}
        return Universe(self.trading_day, [*self.instruments, *extra], merged)

    def master_json(self) -> bytes:
        """The rows as one compact JSON array, as the real file is serialised."""
        if self._json is None:
            self._json = json.dumps(self.rows, separators=(",", ":")).encode()
        return self._json

    def master_gzip(self) -> bytes:
        if self._gzip is None:
            self._gzip = gzip.compress(self.master_json(), compresslevel=6, mtime=0)
        return self._gzip


def build_universe(trading_day: date, spec: UniverseSpec | None = None) -> Universe:
    listing = list_instruments(trading_day, spec or DEFAULT_SPEC, with_prices=True)
    return Universe(trading_day, listing.instruments, listing.prices)


def master_rows(
    trading_day: date, spec: UniverseSpec, *, fill_to: int | None = None
) -> list[MasterRow]:
    """Master rows without prices; with ``fill_to``, exactly that many.

    Short of ``fill_to`` rows, synthetic cash-only stocks (an NSE and a BSE row each) are
    appended; beyond it, the list is cut (every row stays valid and unique on its own).
    """
    listing = list_instruments(trading_day, spec, with_prices=False)
    missing = 0 if fill_to is None else fill_to - len(listing.instruments)
    if missing > 0:
        listed = spec.synthetic_fno_stocks + spec.synthetic_cash_stocks
        list_cash_stocks(listing, synthetic_stocks(listed + (missing + 1) // 2)[listed:])
    return [instrument.to_row() for instrument in listing.instruments[:fill_to]]
