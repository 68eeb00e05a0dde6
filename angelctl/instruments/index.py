"""The local instrument index: one SQLite file in the cache folder, rebuilt whole and swapped in.

Invariants: the index is built in a temporary file beside the live one and replaced with
``os.replace`` only after it is complete and fsync'd, so readers see the old index or the new
one, never a mix; a file that is not a complete index of this schema version is reported as
``IndexUnusable`` (callers treat it like a missing index). Symbols are matched
case-insensitively through the upper-cased ``usym`` column.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from angelctl.instruments.model import DEFAULT_FREEZE_QTY, Contract

if TYPE_CHECKING:
    from angelctl.instruments.master import NormalRow

SCHEMA_VERSION = 1
_COLUMNS = (
    "exchange, token, symbol, usym, name, itype, kind, expiry, strike, strike_num, "
    "option_type, lot_size, tick_size, freeze_qty, cas"
)
_SCHEMA = """
CREATE TABLE contracts (
    exchange TEXT NOT NULL, token TEXT NOT NULL, symbol TEXT NOT NULL, usym TEXT NOT NULL,
    name TEXT NOT NULL, itype TEXT NOT NULL, kind TEXT NOT NULL, expiry TEXT NOT NULL,
    strike TEXT NOT NULL, strike_num REAL, option_type TEXT NOT NULL,
    lot_size INTEGER NOT NULL, tick_size TEXT NOT NULL, freeze_qty INTEGER, cas INTEGER NOT NULL,
    PRIMARY KEY (exchange, token)
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_INDEXES = """
CREATE INDEX contracts_usym ON contracts (usym);
CREATE INDEX contracts_name ON contracts (name, kind, expiry, strike_num);
"""


class IndexUnusable(Exception):
    """The index file is missing, damaged or of another schema version."""


@dataclass
class BuildReport:
    rows: int = 0
    duplicates: int = 0
    unknown_types: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def reject(self, reason: str, sample: str) -> None:
        key = reason.split(" ", 1)[0]
        self.rejected[key] = self.rejected.get(key, 0) + 1
        if len(self.examples) < 5:
            self.examples.append(f"{sample}: {reason}")

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


def build_index(
    rows: Iterable[NormalRow],
    dest: Path,
    meta: Mapping[str, str],
    report: BuildReport,
    accept: Callable[[BuildReport], None] | None = None,
) -> None:
    """Write a complete index to ``dest``, replacing it atomically once ``accept`` passes."""
    from angelctl.fsutil import ensure_private_dir, fsync_dir

    ensure_private_dir(dest.parent)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.building")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    db = sqlite3.connect(tmp, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.executescript(_SCHEMA)
        db.execute("BEGIN")
        insert = (
            f"INSERT OR IGNORE INTO contracts ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        )
        before = db.total_changes
        offered = 0

        def tuples() -> Iterator[tuple[Any, ...]]:
            nonlocal offered
            for r in rows:
                offered += 1
                if not r.known_type:
                    report.unknown_types[r.instrument_type] = (
                        report.unknown_types.get(r.instrument_type, 0) + 1
                    )
                yield (
                    r.exchange,
                    r.token,
                    r.symbol,
                    r.symbol.upper(),
                    r.name,
                    r.instrument_type,
                    r.kind,
                    r.expiry,
                    r.strike,
                    r.strike_num,
                    r.option_type,
                    r.lot_size,
                    r.tick_size,
                    r.freeze_qty,
                    r.cas,
                )

        db.executemany(insert, tuples())
        report.rows = db.total_changes - before
        report.duplicates = offered - report.rows
        if accept is not None:
            accept(report)
        summary = {
            "rejected": report.rejected,
            "unknown_types": report.unknown_types,
            "duplicates": report.duplicates,
        }
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [*meta.items(), ("rows", str(report.rows)), ("report", json.dumps(summary))],
        )
        db.execute("COMMIT")
        db.executescript(_INDEXES)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.close()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    db.close()
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, dest)
    fsync_dir(dest.parent)


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
        sql = f"SELECT {_COLUMNS} FROM contracts WHERE {where} ORDER BY {order} LIMIT {int(limit)}"
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

    def tokens(self, token: str) -> list[Contract]:
        return self._contracts("token = ?", (token,))

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
        where: list[str] = ["name = ?"]
        args: list[Any] = [name.upper()]
        for column, value in (("kind", kind), ("exchange", exchange), ("option_type", option_type)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if expiry is not None:
            where.append("expiry = ?")
            args.append(expiry.isoformat())
        if expiry_from is not None:
            where.append("(expiry = '' OR expiry >= ?)")
            args.append(expiry_from.isoformat())
        if strike is not None:
            where.append("strike_num = ?")
            args.append(float(strike))
        return self._contracts(" AND ".join(where), args, limit)

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
        where: list[str] = []
        args: list[Any] = []
        for word in words:
            where.append("(usym LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')")
            pattern = (
                "%"
                + word.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                + "%"
            )
            args += [pattern, pattern]
        for column, value in (("exchange", exchange), ("kind", kind), ("name", name)):
            if value:
                where.append(f"{column} = ?")
                args.append(value.upper())
        if expiry is not None:
            where.append("expiry = ?")
            args.append(expiry.isoformat())
        first = words[0].upper() if words else ""
        order = (
            "CASE WHEN usym = ? THEN 0 WHEN usym LIKE ? THEN 1 WHEN name = ? THEN 2 "
            "ELSE 3 END, CASE kind WHEN 'INDEX' THEN 0 WHEN 'EQ' THEN 1 WHEN 'FUT' THEN 2 "
            "ELSE 3 END, expiry, strike_num, symbol"
        )
        sql_where = " AND ".join(where) or "1"
        sql = (
            f"SELECT {_COLUMNS} FROM contracts WHERE {sql_where} ORDER BY {order} "
            f"LIMIT {int(limit)}"
        )
        params = (*args, first, first + "%", first)
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
