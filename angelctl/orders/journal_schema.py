"""The order journal's schema: numbered migrations, applied in order and recorded in the
``migrations`` table (``Journal._migrate``). A migration is never edited once released; a change
is a new one. Migration 4 gives every journal query an index
(``tests/orders/test_journal_indexes.py`` checks each plan at 100 000 intents); migration 5
adds the append-only ``gtt_events``, migration 6 the append-only ``conversion_events``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def _run(db: sqlite3.Connection, script: str) -> None:
    """Statements one by one: ``executescript`` would commit the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _migration_1(db: sqlite3.Connection) -> None:
    _run(
        db,
        """
        CREATE TABLE intents (
            intent_id TEXT PRIMARY KEY,
            tag TEXT NOT NULL UNIQUE,
            profile TEXT NOT NULL,
            client_code TEXT NOT NULL,
            state TEXT NOT NULL,
            request TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            order_id TEXT NOT NULL DEFAULT '',
            unique_order_id TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL DEFAULT '',
            error_code TEXT NOT NULL DEFAULT '',
            error_text TEXT NOT NULL DEFAULT '',
            recovered INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX intents_state ON intents (state);
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            intent_id TEXT NOT NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX events_intent ON events (intent_id);
    """,
    )


def _migration_2(db: sqlite3.Connection) -> None:
    """Kill-switch and guard steps: one row per step, never updated."""
    _run(
        db,
        """
        CREATE TABLE risk_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            profile TEXT NOT NULL,
            run_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX risk_events_profile ON risk_events (profile, seq);
    """,
    )


def _migration_3(db: sqlite3.Connection) -> None:
    """Intent fingerprints, attempts and their send times, and every tag ever issued."""
    _run(
        db,
        """
        ALTER TABLE intents ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE intents ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE intents ADD COLUMN sent_at TEXT NOT NULL DEFAULT '';
        ALTER TABLE intents ADD COLUMN sent_mono REAL NOT NULL DEFAULT 0;
        ALTER TABLE intents ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';
        ALTER TABLE intents ADD COLUMN cause TEXT NOT NULL DEFAULT '';
        ALTER TABLE intents ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX intents_profile_created ON intents (profile, created_at);
        CREATE TABLE tags (
            tag TEXT PRIMARY KEY,
            intent_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            profile TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX tags_profile_created ON tags (profile, created_at);
        INSERT INTO tags (tag, intent_id, attempt, profile, created_at)
            SELECT tag, intent_id, 1, profile, created_at FROM intents
    """,
    )


def _migration_4(db: sqlite3.Connection) -> None:
    """Indexes that serve every query (no statement scans intents, tags or events as they
    grow; ``tests/orders/test_journal_indexes.py`` checks each plan), and the ``maintenance`` table
    where the retention run notes the day it last ran (``orders/retention.py``)."""
    _run(
        db,
        """
        DROP INDEX intents_state;
        DROP INDEX intents_profile_created;
        CREATE INDEX intents_profile_created_state ON intents (profile, created_at, state);
        CREATE INDEX intents_state_profile_created ON intents (state, profile, created_at);
        CREATE INDEX intents_created ON intents (created_at);
        CREATE INDEX tags_intent ON tags (intent_id, attempt);
        CREATE INDEX risk_events_profile_at ON risk_events (profile, at);
        CREATE TABLE maintenance (key TEXT PRIMARY KEY, value TEXT NOT NULL)
    """,
    )


def _migration_5(db: sqlite3.Connection) -> None:
    """GTT rule writes the broker accepted (``orders.gtt``): one row per create, modify or
    cancel, never updated. ``(profile, at)`` (and the rowid ``seq`` after it: ties in order)
    serves the day's ids for completion and the prune; ``(profile, rule_id)`` serves the prefix
    lookup (``Journal.gtt_rule_match``)."""
    _run(
        db,
        """
        CREATE TABLE gtt_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            profile TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            action TEXT NOT NULL,
            symbol TEXT NOT NULL,
            side TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX gtt_events_profile_at ON gtt_events (profile, at);
        CREATE INDEX gtt_events_profile_rule ON gtt_events (profile, rule_id)
    """,
    )


def _migration_6(db: sqlite3.Connection) -> None:
    """Position conversions (``orders.journal_convert``): one row per step, never updated.
    ``(profile, at)`` serves the unsettled list and the prune; ``(conversion_id)`` one
    conversion's steps."""
    _run(
        db,
        """
        CREATE TABLE conversion_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            profile TEXT NOT NULL,
            conversion_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            symbol TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX conversion_events_profile_at ON conversion_events (profile, at);
        CREATE INDEX conversion_events_id ON conversion_events (conversion_id)
    """,
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
]
