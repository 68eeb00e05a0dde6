"""The order journal: every intent is written durably *before* anything is sent.

SQLite in the state folder, WAL with ``synchronous=FULL`` (a committed intent survives a crash
or power loss), schema changes as numbered migrations recorded in ``migrations``
(``orders.journal_schema``). Opening the machine's journal, and moving a damaged one aside for
the kill switch, is ``orders.journal_files``.

Intent states (the transition table is the ``TRANSITIONS`` literal; anything else raises
``InvalidTransition``)::

    journalled ──► sending ──► accepted            (broker returned an order id)
        │             ├──────► rejected            (definite refusal: nothing was placed)
        │             └──────► unknown ──► accepted (reconcile found it by tag: "recovered")
        │                         └──────► not_placed (reconcile proved absence)
        └──► not_placed                             (reconcile: never sent)

    not_placed / rejected ──► accepted   (a late landing: the book shows its tag; adopted)
    not_placed ──► journalled            (placed again with the same intent id: a new attempt
                                          with a new tag; every tag ever issued is kept)

``sending`` is written and committed before the HTTP request leaves, so a crash at any point
leaves a row that ``reconcile`` settles by looking the tag up at the broker — never by sending
again. GTT rule writes the broker accepted are noted in ``gtt_events`` (``orders.journal_gtt``);
position conversions, step by step, in ``conversion_events`` (``orders.journal_convert``).
Each intent has a unique ``ordertag`` (≤ 15 characters) derived from its intent id, so
two processes handed the same ``--intent-id`` compute the same tag and the same journal key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from angelctl.clock import Clock, SystemClock, boot_id, utc_stamp
from angelctl.dbutil import connect_wal
from angelctl.fsutil import ensure_private_dir
from angelctl.orders.journal_convert import ConversionJournal
from angelctl.orders.journal_gtt import GttJournal
from angelctl.orders.journal_schema import MIGRATIONS
from angelctl.records import record

TAG_PREFIX = "AC"
TAG_LENGTH = 15

TRANSITIONS: dict[str, frozenset[str]] = {
    "journalled": frozenset({"sending", "not_placed"}),
    "sending": frozenset({"accepted", "rejected", "unknown", "not_placed"}),
    # a lost answer is settled only by what the broker's books say
    "unknown": frozenset({"accepted", "not_placed"}),
    "accepted": frozenset(),
    "rejected": frozenset({"accepted"}),
    "not_placed": frozenset({"accepted", "journalled"}),
}
OPEN_STATES = ("journalled", "sending", "unknown")
TERMINAL_STATES = ("accepted", "rejected", "not_placed")


class InvalidTransition(Exception):
    pass


TAG_SHAPE = re.compile(r"^(?:AC|KS)[A-Z2-7]{13}$")


def tag_for(profile: str, intent_id: str, prefix: str = TAG_PREFIX, attempt: int = 1) -> str:
    """A stable ordertag: the same profile, intent id and attempt always give the same tag.

    The prefix says who sent it: ``AC`` for ordinary orders, ``KS`` for kill-switch exits.
    A later attempt of an intent settled as not placed gets a tag of its own, so a late landing
    of the earlier attempt is still told apart.
    """
    key = f"{profile}\x00{intent_id}" + (f"\x00{attempt}" if attempt > 1 else "")
    digest = hashlib.sha256(key.encode()).digest()
    body = base64.b32encode(digest).decode().rstrip("=")
    return (prefix + body)[:TAG_LENGTH]


def new_intent_id() -> str:
    return uuid.uuid4().hex


@record
class Intent:
    intent_id: str
    tag: str
    profile: str
    client_code: str
    state: str
    request: dict[str, Any]
    created_at: str
    updated_at: str
    order_id: str
    unique_order_id: str
    outcome: str
    error_code: str
    error_text: str
    recovered: bool
    fingerprint: dict[str, str]
    attempt: int
    sent_at: str  # wall time (UTC ISO) the latest attempt was about to leave; "" if never
    sent_mono: float  # the same instant on the system's monotonic clock
    boot_id: str  # the boot that monotonic time belongs to
    cause: str  # why the outcome was unknown: no_answer, broker_error, bad_body, local, crash
    late: bool  # adopted after it had been settled as not placed (a late landing)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


_COLUMNS = (
    "intent_id, tag, profile, client_code, state, request, created_at, updated_at, "
    "order_id, unique_order_id, outcome, error_code, error_text, recovered, "
    "fingerprint, attempt, sent_at, sent_mono, boot_id, cause, late"
)


class Journal(GttJournal, ConversionJournal):
    def __init__(self, path: Path | None, clock: Clock | None = None) -> None:
        """``path`` None: an in-memory journal (the kill switch's last resort). Every stamp
        comes from ``clock`` (the run's: ``cli.environment``), the system's by default."""
        self.clock: Clock = clock or SystemClock()
        self.path = path if path is not None else Path(":memory:")
        if path is None:
            self.db = sqlite3.connect(":memory:", isolation_level=None)
        else:
            ensure_private_dir(path.parent)
            self.db = connect_wal(path, synchronous="FULL")
        self._migrate()

    def _now(self) -> str:
        return utc_stamp(self.clock.now())

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        with self.transaction():
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS migrations (number INTEGER PRIMARY KEY,"
                " applied_at TEXT NOT NULL)"
            )
            done = {r[0] for r in self.db.execute("SELECT number FROM migrations")}
            for number, migration in enumerate(MIGRATIONS, 1):
                if number not in done:
                    migration(self.db)
                    self.db.execute("INSERT INTO migrations VALUES (?, ?)", (number, self._now()))

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- writes ------------------------------------------------------------------------------

    def record(
        self,
        intent_id: str,
        tag: str,
        profile: str,
        client_code: str,
        request: dict[str, Any],
        fingerprint: dict[str, str] | None = None,
    ) -> Intent | None:
        """Journal a new intent; None when the intent id (or tag) is already journalled."""
        now = self._now()
        try:
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO intents (intent_id, tag, profile, client_code, state, request,"
                    " created_at, updated_at, fingerprint) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        intent_id,
                        tag,
                        profile,
                        client_code,
                        "journalled",
                        json.dumps(request),
                        now,
                        now,
                        json.dumps(fingerprint or {}, sort_keys=True),
                    ),
                )
                db.execute(
                    "INSERT INTO tags (tag, intent_id, attempt, profile, created_at)"
                    " VALUES (?,?,1,?,?)",
                    (tag, intent_id, profile, now),
                )
                self._event(intent_id, "journalled", {"tag": tag})
        except sqlite3.IntegrityError:
            return None
        return self.get(intent_id)

    def reopen(self, intent_id: str, tag: str) -> Intent:
        """A new attempt of an intent settled as not placed, under a tag of its own."""
        now = self._now()
        with self.transaction() as db:
            row = db.execute(
                "SELECT state, attempt, profile FROM intents WHERE intent_id = ?", (intent_id,)
            ).fetchone()
            if row is None or row[0] != "not_placed":
                raise InvalidTransition(f"{row[0] if row else 'missing'} -> journalled")
            attempt = int(row[1]) + 1
            db.execute(
                "UPDATE intents SET state = 'journalled', tag = ?, attempt = ?, updated_at = ?,"
                " sent_at = '', sent_mono = 0, boot_id = '', cause = '', outcome = '',"
                " error_code = '', error_text = '' WHERE intent_id = ?",
                (tag, attempt, now, intent_id),
            )
            db.execute(
                "INSERT INTO tags (tag, intent_id, attempt, profile, created_at)"
                " VALUES (?,?,?,?,?)",
                (tag, intent_id, attempt, row[2], now),
            )
            self._event(intent_id, "journalled", {"tag": tag, "attempt": attempt})
        intent = self.get(intent_id)
        assert intent is not None
        return intent

    def mark_sent(self, intent_id: str, attempt: int, reason: str, mono: float) -> None:
        """Durably note that one HTTP attempt of the intent is about to leave (each resend too):
        the settle rule measures from the latest one."""
        now = self._now()
        with self.transaction() as db:
            db.execute(
                "UPDATE intents SET sent_at = ?, sent_mono = ?, boot_id = ? WHERE intent_id = ?",
                (now, mono, boot_id(), intent_id),
            )
            self._event(intent_id, "send", {"http_attempt": attempt, "reason": reason})

    def tags_since(self, profile: str, since: datetime) -> dict[str, str]:
        """Every tag this journal issued for ``profile`` since ``since`` (any zone) → its intent
        id."""
        return dict(
            self.db.execute(
                "SELECT tag, intent_id FROM tags WHERE profile = ? AND created_at >= ?",
                (profile, utc_stamp(since)),
            ).fetchall()
        )

    def tags_of(self, intent_id: str) -> list[str]:
        return [
            r[0]
            for r in self.db.execute(
                "SELECT tag FROM tags WHERE intent_id = ? ORDER BY attempt", (intent_id,)
            )
        ]

    def issued(self, tag: str) -> bool:
        return self.db.execute("SELECT 1 FROM tags WHERE tag = ?", (tag,)).fetchone() is not None

    def move(
        self, intent_id: str, state: str, *, detail: dict[str, Any] | None = None, **fields: Any
    ) -> Intent:
        with self.transaction() as db:
            row = db.execute(
                "SELECT state FROM intents WHERE intent_id = ?", (intent_id,)
            ).fetchone()
            if row is None:
                raise KeyError(intent_id)
            current = row[0]
            if state not in TRANSITIONS[current]:
                raise InvalidTransition(f"{current} -> {state}")
            sets = ", ".join(f"{k} = ?" for k in fields)
            db.execute(
                f"UPDATE intents SET state = ?, updated_at = ?{', ' if sets else ''}"
                f"{sets} WHERE intent_id = ?",
                (state, self._now(), *fields.values(), intent_id),
            )
            self._event(intent_id, state, {**(detail or {}), **fields})
        intent = self.get(intent_id)
        assert intent is not None
        return intent

    def note(self, intent_id: str, kind: str, detail: dict[str, Any]) -> None:
        with self.transaction():
            self._event(intent_id, kind, detail)

    def _event(self, intent_id: str, kind: str, detail: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO events (intent_id, at, kind, detail) VALUES (?,?,?,?)",
            (intent_id, self._now(), kind, json.dumps(detail, default=str)),
        )

    def risk_event(self, profile: str, run_id: str, kind: str, detail: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO risk_events (at, profile, run_id, kind, detail) VALUES (?,?,?,?,?)",
                (self._now(), profile, run_id, kind, json.dumps(detail, default=str)),
            )

    # -- reads -------------------------------------------------------------------------------

    def risk_events(self, profile: str, limit: int = 50) -> list[dict[str, Any]]:
        """The latest kill-switch/guard steps of ``profile``, oldest first."""
        rows = self.db.execute(
            "SELECT at, run_id, kind, detail FROM risk_events WHERE profile = ? "
            "ORDER BY seq DESC LIMIT ?",
            (profile, limit),
        ).fetchall()
        return [
            {"at": at, "run_id": run, "kind": kind, "detail": json.loads(detail)}
            for at, run, kind, detail in reversed(rows)
        ]

    def get(self, intent_id: str) -> Intent | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM intents WHERE intent_id = ?", (intent_id,)
        ).fetchone()
        return _intent(row) if row else None

    def find(self, text: str) -> Intent | None:
        """The intent ``text`` names: its id, or a unique prefix of it as the journal's table
        shows it (``idmatch``; ambiguous is a UsageError)."""
        from angelctl.idmatch import match_prefix

        exact = self.get(text)
        if exact is not None or not text:
            return exact
        pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.db.execute(
            "SELECT intent_id FROM intents WHERE intent_id LIKE ? ESCAPE '\\' LIMIT 10",
            (pattern,),
        ).fetchall()
        found = match_prefix(text, [str(r[0]) for r in rows], "intent")
        return self.get(found) if found else None

    def open_intents(self, profile: str | None = None) -> list[Intent]:
        marks = ",".join("?" for _ in OPEN_STATES)
        # Named: left to itself SQLite walks every row of the profile in created_at order (no
        # sort) rather than read the few open ones and sort them.
        sql = (
            f"SELECT {_COLUMNS} FROM intents INDEXED BY intents_state_profile_created"
            f" WHERE state IN ({marks})"
        )
        args: list[Any] = list(OPEN_STATES)
        if profile:
            sql += " AND profile = ?"
            args.append(profile)
        return [_intent(r) for r in self.db.execute(sql + " ORDER BY created_at", args)]

    def count_since(self, profile: str, *, seconds: float) -> int:
        """Intents of ``profile`` that left (or tried to) in the last ``seconds``."""
        since = utc_stamp(self.clock.now() - timedelta(seconds=seconds))
        row = self.db.execute(
            "SELECT COUNT(*) FROM intents WHERE profile = ? AND created_at >= ? "
            "AND state != 'journalled'",
            (profile, since),
        ).fetchone()
        return int(row[0])

    def recent(self, limit: int = 50, profile: str | None = None) -> list[Intent]:
        sql = f"SELECT {_COLUMNS} FROM intents"
        args: list[Any] = []
        if profile:
            sql += " WHERE profile = ?"
            args.append(profile)
        sql += " ORDER BY created_at DESC LIMIT ?"
        return [_intent(r) for r in self.db.execute(sql, (*args, limit))]

    def events(self, intent_id: str) -> list[dict[str, Any]]:
        return [
            {"at": at, "kind": kind, "detail": json.loads(detail)}
            for at, kind, detail in self.db.execute(
                "SELECT at, kind, detail FROM events WHERE intent_id = ? ORDER BY seq", (intent_id,)
            )
        ]


def _intent(row: tuple[Any, ...]) -> Intent:
    values = list(row)
    values[5] = json.loads(values[5])
    values[13] = bool(values[13])
    values[14] = json.loads(values[14])
    values[20] = bool(values[20])
    return Intent(*values)
