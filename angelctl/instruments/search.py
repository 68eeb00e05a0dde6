"""Word search of the instrument index through an FTS5 trigram table, never a table scan.

``instruments search RELIANCE FUT`` wants the contracts whose upper-cased symbol or underlying
contains every word, ranked exact symbol first, then symbol prefix, then exact underlying; then
index, cash, futures, options; then expiry, strike and symbol. The ranking is the one the
``LIKE '%word%'`` scan used, and so are the answers:

- the ``contracts_fts`` table (``tokenize='trigram'``, SQLite ≥ 3.34) holds ``usym`` and
  ``name`` of every row with its primary key; a word of three or more characters is a trigram
  phrase, which matches exactly the rows containing it as a substring in either column
  (case-insensitively, as ``LIKE`` is), and each match is joined to ``contracts`` by primary key;
- a word of one or two characters (a trigram cannot index it) is a ``LIKE`` filter on the rows
  the longer words matched; when every word is that short (or the SQLite lacks FTS5 trigram,
  recorded as ``search=scan`` in the index's meta at build time), the search is the old
  ``LIKE`` scan: correct, but its cost grows with the master.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

FTS_TABLE = "contracts_fts"
MIN_TRIGRAM = 3  # characters: shorter words cannot be looked up in a trigram index
_FTS_SCHEMA = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "usym, name, exchange UNINDEXED, token UNINDEXED, tokenize='trigram')"
)
_COLUMNS = (
    "exchange",
    "token",
    "symbol",
    "usym",
    "name",
    "itype",
    "kind",
    "expiry",
    "strike",
    "strike_num",
    "option_type",
    "lot_size",
    "tick_size",
    "freeze_qty",
    "cas",
)
_SELECT = ", ".join(f"c.{column}" for column in _COLUMNS)
_ORDER = (
    "CASE WHEN c.usym = ? THEN 0 WHEN c.usym LIKE ? THEN 1 WHEN c.name = ? THEN 2 ELSE 3 END, "
    "CASE c.kind WHEN 'INDEX' THEN 0 WHEN 'EQ' THEN 1 WHEN 'FUT' THEN 2 ELSE 3 END, "
    "c.expiry, c.strike_num, c.symbol"
)


def build_search(db: sqlite3.Connection) -> None:
    """Create and fill the trigram table from ``contracts``; record which search the index has."""
    try:
        db.execute(_FTS_SCHEMA)
    except sqlite3.OperationalError:  # no FTS5, or no trigram tokenizer (SQLite < 3.34)
        db.execute("INSERT INTO meta VALUES ('search', 'scan')")
        return
    db.execute("BEGIN")
    db.execute(
        f"INSERT INTO {FTS_TABLE} (usym, name, exchange, token) "
        "SELECT usym, name, exchange, token FROM contracts"
    )
    db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('optimize')")
    db.execute("INSERT INTO meta VALUES ('search', 'fts5-trigram')")
    db.execute("COMMIT")


def has_search(meta: dict[str, str]) -> bool:
    return meta.get("search") == "fts5-trigram"


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def search_sql(
    words: list[str],
    *,
    fts: bool,
    exchange: str | None = None,
    kind: str | None = None,
    name: str | None = None,
    expiry: date | None = None,
    limit: int = 50,
) -> tuple[str, tuple[Any, ...]]:
    """The SQL and its parameters: through ``contracts_fts`` when ``fts`` and some word has at
    least ``MIN_TRIGRAM`` characters, else the ``LIKE`` scan."""
    upper = [word.upper() for word in words]
    indexed = [word for word in upper if len(word) >= MIN_TRIGRAM] if fts else []
    where: list[str] = []
    args: list[Any] = []
    if indexed:
        source = f"{FTS_TABLE} CROSS JOIN contracts AS c ON c.exchange = {FTS_TABLE}.exchange "
        source += f"AND c.token = {FTS_TABLE}.token"
        where.append(f"{FTS_TABLE} MATCH ?")
        args.append(" AND ".join(_phrase(word) for word in indexed))
    else:
        source = "contracts AS c"
    for word in upper:
        if word not in indexed:
            where.append("(c.usym LIKE ? ESCAPE '\\' OR c.name LIKE ? ESCAPE '\\')")
            args += [_like(word), _like(word)]
    for column, value in (("exchange", exchange), ("kind", kind), ("name", name)):
        if value:
            where.append(f"c.{column} = ?")
            args.append(value.upper())
    if expiry is not None:
        where.append("c.expiry = ?")
        args.append(expiry.isoformat())
    first = upper[0] if upper else ""
    sql = (
        f"SELECT {_SELECT} FROM {source} WHERE {' AND '.join(where) or '1'} "
        f"ORDER BY {_ORDER} LIMIT {int(limit)}"
    )
    return sql, (*args, first, first + "%", first)
