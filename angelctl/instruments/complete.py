"""Symbol candidates for shell completion, ranked: sqlite3 and the standard library only, so a
completion call starts fast (the entry point's fast path imports this without the CLI); the
scan reads the covering index ``contracts_complete`` (usym, expiry, symbol) alone.

Ranking (docs/completion.md): contracts without an expiry (cash, indices) first, then by expiry,
nearest first (contracts that expired before today last), and by name inside each group. One
symbol listed on two exchanges is one candidate.

Never a misleading prefix: a shell inserts the longest common prefix (LCP) of the candidates it
is given, so a cut list must keep the LCP of what it stands for. When every candidate fits in
``CAP`` all are returned; otherwise only the *leading group* is — the no-expiry contracts and
the nearest expiry's — and if that group alone is larger than ``CAP`` a sample of it that holds
its alphabetically first and last names (the LCP of a set is the LCP of those two). So
``NIFTY0<Tab>`` completes towards the nearest expiry, never to a far month, and never to a
prefix that only a cut of the list shares.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path

CAP = 60  # candidates a shell is given at most: more is a wall of text, not a choice
RANKED = 20_000  # matching rows ranked at most (~10 ms); a prefix matching more is cut by name
_IST = timezone(timedelta(hours=5, minutes=30))


def today_ist() -> str:
    """Today's date in India as ISO text, the form the index stores expiries in."""
    return datetime.now(_IST).date().isoformat()


def complete_symbols(
    path: Path, prefix: str, today: str | None = None, cap: int = CAP
) -> list[str]:
    """Symbols starting with ``prefix`` (any case), ranked and cut as the module says; one
    indexed range scan of the ``usym`` index."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    bounds = (prefix.upper(), prefix.upper() + "\uffff")
    where = "FROM contracts WHERE usym >= ? AND usym < ?"
    try:
        # one step through the index (no row reaches Python) says whether to rank at all
        probe = db.execute(f"SELECT 1 {where} ORDER BY usym LIMIT 1 OFFSET ?", (*bounds, RANKED))
        if probe.fetchone() is None:
            found = db.execute(f"SELECT symbol, expiry {where}", bounds).fetchall()
            return rank(found, today or today_ist(), cap)
        # Too short a prefix to rank (every symbol for ''): the first names and the last
        # keep the whole range's common prefix, so the shell inserts only what all share.
        head = db.execute(f"SELECT symbol {where} ORDER BY usym LIMIT ?", (*bounds, cap - 1))
        tail = db.execute(f"SELECT symbol {where} ORDER BY usym DESC LIMIT 1", bounds)
        return list(dict.fromkeys(row[0] for row in [*head.fetchall(), *tail.fetchall()]))
    except sqlite3.Error:
        return []
    finally:
        db.close()


def _group_key(expiry: str, today: str) -> tuple[int, str]:
    if not expiry:
        return (0, "")
    return (1, expiry) if expiry >= today else (2, expiry)


def rank(rows: Iterable[tuple[str, str]], today: str, cap: int = CAP) -> list[str]:
    """``(symbol, expiry ISO or '')`` rows as ranked candidates (see the module docstring)."""
    groups: dict[tuple[int, str], set[str]] = {}
    seen: set[str] = set()
    for symbol, expiry in rows:
        if symbol not in seen:  # the first row's expiry (one symbol, one contract in practice)
            seen.add(symbol)
            groups.setdefault(_group_key(expiry, today), set()).add(symbol)
    keys = sorted(groups)
    ordered = [sorted(groups[key]) for key in keys]
    if len(seen) <= cap:
        return [symbol for names in ordered for symbol in names]
    lead = ordered[0] if keys[0][0] != 0 or len(ordered) == 1 else ordered[0] + ordered[1]
    return _keep_prefix(lead, cap)


def _keep_prefix(names: list[str], cap: int) -> list[str]:
    """At most ``cap`` of ``names`` in their order, keeping the alphabetically first and last
    (so the cut list has the same longest common prefix as the whole)."""
    if len(names) <= cap:
        return names
    ends = {min(names), max(names)}
    head = [name for name in names if name not in ends][: max(cap - len(ends), 0)]
    keep = set(head) | ends
    return [name for name in names if name in keep]


def common_prefix(names: Iterable[str]) -> str:
    """The longest common prefix of ``names`` (what a shell inserts)."""
    listed = sorted(names)
    if not listed:
        return ""
    first, last = listed[0], listed[-1]
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]
