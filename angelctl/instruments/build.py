"""Building the local instrument index: every normalised master row into a new SQLite file,
then the indexes and the search table, then an atomic swap (``index`` reads it).

Invariants: the file is built beside the live one and replaced with ``os.replace`` only after
it is complete, fsync'd and private (0600), so readers see the old index or the new one, never
a mix; rows with the same exchange and token are counted as duplicates, not stored.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from angelctl.instruments.index import COLUMNS, INDEXES, SCHEMA, SCHEMA_VERSION
from angelctl.instruments.search import build_search

if TYPE_CHECKING:
    from angelctl.instruments.master import NormalRow


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
    from angelctl.fsutil import ensure_private_dir

    ensure_private_dir(dest.parent)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.building")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    db = sqlite3.connect(tmp, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.executescript(SCHEMA)
        db.execute("BEGIN")
        _insert_rows(db, rows, report)
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
        db.executescript(INDEXES)
        build_search(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.close()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    db.close()
    _publish(tmp, dest)


def _insert_rows(db: sqlite3.Connection, rows: Iterable[NormalRow], report: BuildReport) -> None:
    """Every row in one statement; duplicates (same exchange and token) counted, not stored."""
    insert = f"INSERT OR IGNORE INTO contracts ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
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
                r.exchange, r.token, r.symbol, r.symbol.upper(), r.name, r.instrument_type,
                r.kind, r.expiry, r.strike, r.strike_num, r.option_type, r.lot_size,
                r.tick_size, r.freeze_qty, r.cas,
            )  # fmt: skip

    db.executemany(insert, tuples())
    report.rows = db.total_changes - before
    report.duplicates = offered - report.rows


def _publish(tmp: Path, dest: Path) -> None:
    """The finished file, durable and private, atomically in place of the old one."""
    from angelctl.fsutil import fsync_dir

    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, dest)
    fsync_dir(dest.parent)
