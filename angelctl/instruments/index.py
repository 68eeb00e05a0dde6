"""The local instrument index: one SQLite file in the cache folder, rebuilt whole and swapped in.

Invariants: the index is built in a temporary file beside the live one and replaced with
``os.replace`` only after it is complete and fsync'd, so readers see the old index or the new
one, never a mix; a file that is not a complete index of this schema version is reported as
``IndexUnusable`` (callers treat it like a missing index, so an index of an older schema is
rebuilt by the next sync, or the operator is told to run ``angelctl instruments sync``).
Symbols are matched case-insensitively through the upper-cased ``usym`` column.

Costs stay flat as the master grows: a friendly lookup (``NIFTY 25000 CE``, ``BANKNIFTY FUT``)
first reads only the keys of the matching rows from the covering index ``contracts_friendly``
(name, kind, strike, option type, expiry, then the primary key), picks the expiry there, and
fetches whole rows by primary key for the chosen contracts alone. Word search goes through the
FTS5 trigram table ``contracts_fts`` (``search``); no lookup scans the table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from angelctl.instruments.model import DEFAULT_FREEZE_QTY, EXCHANGES, Contract
from angelctl.instruments.search import has_search, search_sql

if TYPE_CHECKING:
    pass

# 2: the covering index for friendly lookups and the trigram search table. An index of an
# older version is IndexUnusable: open_index re-syncs it, or says to run `instruments sync`.
SCHEMA_VERSION = 2
COLUMNS = (
    "exchange, token, symbol, usym, name, itype, kind, expiry, strike, strike_num, "
    "option_type, lot_size, tick_size, freeze_qty, cas"
)
SCHEMA = """
CREATE TABLE contracts (
    exchange TEXT NOT NULL, token TEXT NOT NULL, symbol TEXT NOT NULL, usym TEXT NOT NULL,
    name TEXT NOT NULL, itype TEXT NOT NULL, kind TEXT NOT NULL, expiry TEXT NOT NULL,
    strike TEXT NOT NULL, strike_num REAL, option_type TEXT NOT NULL,
    lot_size INTEGER NOT NULL, tick_size TEXT NOT NULL, freeze_qty INTEGER, cas INTEGER NOT NULL,
    PRIMARY KEY (exchange, token)
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# contracts_complete covers completion's prefix scan (instruments.complete: usym range, expiry
# and symbol read from the index alone, ~3x faster per matching row than a lookup into the
# table; measured for issue 15). It is an index of its own: widening contracts_usym instead
# moves the PK columns behind it and the planner then scans an exchange's rows for
# `usym = ? AND exchange = ?`. An index built before lacks it; completion still works on it
# (slower), so this needs no new schema version.
INDEXES = """
CREATE INDEX contracts_usym ON contracts (usym);
CREATE INDEX contracts_complete ON contracts (usym, expiry, symbol);
CREATE INDEX contracts_friendly ON contracts (name, kind, strike_num, option_type, expiry);
"""
# Keys of friendly lookups in index order; with the primary key (exchange, token) that every
# index of a WITHOUT ROWID table carries, these columns make ``contracts_friendly`` covering.
_KEY_COLUMNS = "exchange, token, expiry"


class IndexUnusable(Exception):
    """The index file is missing, damaged or of another schema version."""


class InstrumentIndex:
    """Read access to a built index. Cheap to open; every query is an indexed lookup."""

    def __init__(self, path: Path, freeze_overrides: Mapping[str, int] | None = None) -> None:
        self.path = path
        self.freeze_overrides = {k.upper(): v for k, v in (freeze_overrides or {}).items()}
        if not path.exists():
            raise IndexUnusable(f"no instrument index at {path}")
        try:
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                raise IndexUnusable(
                    f"the instrument index {path} has schema {version}, not {SCHEMA_VERSION}"
                )
            self._meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise IndexUnusable(f"the instrument index {path} is damaged ({exc})") from None

    def close(self) -> None:
        self.db.close()

    @property
    def meta(self) -> dict[str, str]:
        return dict(self._meta)

    def _contracts(
        self,
        where: str,
        args: Iterable[Any],
        limit: int = 500,
        order: str = "exchange, expiry, strike_num, symbol",
    ) -> list[Contract]:
        sql = f"SELECT {COLUMNS} FROM contracts WHERE {where} ORDER BY {order} LIMIT {int(limit)}"
        try:
            return [self._contract(row) for row in self.db.execute(sql, tuple(args))]
        except sqlite3.DatabaseError as exc:
            raise IndexUnusable(f"the instrument index {self.path} is damaged ({exc})") from None

    def _contract(self, row: tuple[Any, ...]) -> Contract:
        (
            exchange,
            token,
            symbol,
            _usym,
            name,
            itype,
            kind,
            expiry,
            strike,
            _num,
            option_type,
            lot,
            tick,
            freeze,
            cas,
        ) = row
        source = "master" if freeze else "none"
        if name in self.freeze_overrides and kind in ("FUT", "OPT"):
            freeze, source = self.freeze_overrides[name], "config"
        elif not freeze and kind in ("FUT", "OPT") and name in DEFAULT_FREEZE_QTY:
            freeze, source = DEFAULT_FREEZE_QTY[name], "table"
        return Contract(
            exchange=exchange,
            token=token,
            symbol=symbol,
            name=name,
            instrument_type=itype,
            kind=kind,
            expiry=date.fromisoformat(expiry) if expiry else None,
            strike=Decimal(strike) if strike else None,
            option_type=option_type,
            lot_size=lot,
            tick_size=Decimal(tick),
            freeze_qty=freeze,
            freeze_source=source,
            cas_enabled=bool(cas),
        )

    # -- lookups ---------------------------------------------------------------------------

    def by_token(self, exchange: str, token: str) -> Contract | None:
        found = self._contracts("exchange = ? AND token = ?", (exchange.upper(), token), 1)
        return found[0] if found else None

    def by_symbol(self, symbol: str, exchange: str | None = None) -> list[Contract]:
        if exchange:
            return self._contracts("usym = ? AND exchange = ?", (symbol.upper(), exchange))
        return self._contracts("usym = ?", (symbol.upper(),))

    def by_symbols(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[Contract]]:
        """Exact ``(symbol, exchange)`` lookups in one query per 400 pairs (a watchlist of
        qualified symbols costs one seek each, not one statement each); keyed by the upper-case
        symbol and the exchange as given, each list in ``by_symbol``'s order."""
        found: dict[tuple[str, str], list[Contract]] = {}
        wanted = list(dict.fromkeys((symbol.upper(), exchange) for symbol, exchange in pairs))
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            values = ", ".join("(?, ?)" for _ in chunk)
            rows = self._contracts(
                f"(usym, exchange) IN (VALUES {values})",
                [part for pair in chunk for part in pair],
                limit=len(chunk) * 500,
            )
            for contract in rows:
                found.setdefault((contract.symbol.upper(), contract.exchange), []).append(contract)
        return found

    def tokens(self, token: str) -> list[Contract]:
        """Every exchange's contract with this token: one primary-key seek per exchange."""
        marks = ", ".join("?" * len(EXCHANGES))
        return self._contracts(f"exchange IN ({marks}) AND token = ?", (*EXCHANGES, token))

    def friendly_keys(
        self,
        name: str,
        *,
        kind: str | None = None,
        exchange: str | None = None,
        expiry: date | None = None,
        strike: Decimal | None = None,
        option_type: str | None = None,
        expiry_from: date | None = None,
    ) -> list[tuple[str, str, str]]:
        """``(exchange, token, expiry)`` of the matching contracts, read from the covering index
        ``contracts_friendly`` alone: no table row is touched, so the cost follows the matches,
        not the master's size. ``expiry_from`` keeps contracts without an expiry."""
        where: list[str] = ["name = ?"]
        args: list[Any] = [name.upper()]
        for column, value in (("kind", kind), ("exchange", exchange), ("option_type", option_type)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if strike is not None:
            where.append("strike_num = ?")
            args.append(float(strike))
        if expiry is not None:
            where.append("expiry = ?")
            args.append(expiry.isoformat())
        if expiry_from is not None:
            where.append("(expiry = '' OR expiry >= ?)")
            args.append(expiry_from.isoformat())
        sql = f"SELECT {_KEY_COLUMNS} FROM contracts WHERE {' AND '.join(where)}"
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise IndexUnusable(f"the instrument index {self.path} is damaged ({exc})") from None

    def by_keys(self, keys: Iterable[tuple[str, str, str]], limit: int = 2000) -> list[Contract]:
        """The contracts of these ``friendly_keys`` rows, fetched by primary key, in the order
        exchange, expiry, strike, symbol (SQLite's: a missing strike first), at most ``limit``."""
        pairs = dict.fromkeys((exchange, token) for exchange, token, _ in keys)
        sql = f"SELECT {COLUMNS} FROM contracts WHERE exchange = ? AND token = ?"
        rows: list[tuple[Any, ...]] = []
        try:
            for pair in pairs:  # one primary-key seek each (a VALUES join plans a scan)
                rows += self.db.execute(sql, pair).fetchall()
        except sqlite3.DatabaseError as exc:
            raise IndexUnusable(f"the instrument index {self.path} is damaged ({exc})") from None
        rows.sort(key=lambda r: (r[0], r[7], r[9] is not None, r[9] or 0.0, r[2]))
        return [self._contract(row) for row in rows[: max(int(limit), 0)]]

    def underlying(
        self,
        name: str,
        *,
        kind: str | None = None,
        exchange: str | None = None,
        expiry: date | None = None,
        strike: Decimal | None = None,
        option_type: str | None = None,
        expiry_from: date | None = None,
        limit: int = 2000,
    ) -> list[Contract]:
        keys = self.friendly_keys(
            name,
            kind=kind,
            exchange=exchange,
            expiry=expiry,
            strike=strike,
            option_type=option_type,
            expiry_from=expiry_from,
        )
        return self.by_keys(keys, limit)

    @property
    def search_method(self) -> str:
        """``fts5-trigram`` for an indexed search, ``scan`` when the SQLite lacked it at build."""
        return "fts5-trigram" if has_search(self._meta) else "scan"

    def search(
        self,
        words: list[str],
        *,
        exchange: str | None = None,
        kind: str | None = None,
        name: str | None = None,
        expiry: date | None = None,
        limit: int = 50,
    ) -> list[Contract]:
        """Contracts whose symbol or underlying contains every word (``search`` module)."""
        sql, params = search_sql(
            words,
            fts=has_search(self._meta),
            exchange=exchange,
            kind=kind,
            name=name,
            expiry=expiry,
            limit=limit,
        )
        try:
            return [self._contract(row) for row in self.db.execute(sql, params)]
        except sqlite3.DatabaseError as exc:
            raise IndexUnusable(f"the instrument index {self.path} is damaged ({exc})") from None

    def names_like(self, prefix: str, limit: int = 2000) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT name FROM contracts WHERE name >= ? AND name < ? LIMIT ?",
            (prefix, prefix + "\uffff", limit),
        ).fetchall()
        return [r[0] for r in rows]

    def symbols_like(self, prefix: str, limit: int = 2000) -> list[str]:
        rows = self.db.execute(
            "SELECT symbol FROM contracts WHERE usym >= ? AND usym < ? LIMIT ?",
            (prefix.upper(), prefix.upper() + "\uffff", limit),
        ).fetchall()
        return [r[0] for r in rows]

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM contracts").fetchone()[0])
