"""Symbol prefixes for shell completion: sqlite3 only, so a completion call starts fast."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def complete_symbols(path: Path, prefix: str, limit: int = 60) -> list[str]:
    """Symbols starting with ``prefix`` (for shell completion): one indexed range scan."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        upper = prefix.upper()
        rows = db.execute(
            "SELECT symbol FROM contracts WHERE usym >= ? AND usym < ? ORDER BY usym LIMIT ?",
            (upper, upper + "\uffff", limit),
        ).fetchall()
        return [r[0] for r in rows]
    except sqlite3.Error:
        return []
    finally:
        db.close()
