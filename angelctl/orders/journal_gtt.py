"""The journal's GTT rule record (migration 5, ``gtt_events``): one row per create, modify or
cancel the broker accepted, never updated; mixed into ``orders.journal.Journal``.

Invariants: rows are appended only (the prune deletes whole days of them, ``orders.retention``);
``detail`` holds the rule's fields as sent (prices, quantities, validity), never a token, a
password or the client code; every read is served by an index (``gtt_events_profile_at`` for a
day's ids, ``gtt_events_profile_rule`` for a prefix), checked by
``tests/orders/test_journal_indexes.py``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from angelctl.clock import utc_stamp

GTT_ACTIONS = ("create", "modify", "cancel")


class GttJournal:
    """The GTT half of the journal; ``Journal`` supplies the connection, clock and transaction."""

    db: sqlite3.Connection

    def _now(self) -> str:
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def gtt_event(
        self,
        profile: str,
        rule_id: str,
        action: str,
        *,
        symbol: str,
        side: str,
        detail: dict[str, Any],
    ) -> None:
        """Note a GTT write the broker accepted (``action``: create, modify or cancel)."""
        if action not in GTT_ACTIONS:
            raise ValueError(f"unknown GTT action {action!r}")
        with self.transaction() as db:
            db.execute(
                "INSERT INTO gtt_events (at, profile, rule_id, action, symbol, side, detail)"
                " VALUES (?,?,?,?,?,?,?)",
                (
                    self._now(),
                    profile,
                    rule_id,
                    action,
                    symbol,
                    side,
                    json.dumps(detail, default=str),
                ),
            )

    def gtt_rule_ids(self, profile: str, since: datetime) -> list[str]:
        """The distinct rule ids of ``profile`` with an event at or after ``since`` (any zone),
        newest event first (in the same millisecond, the later row)."""
        rows = self.db.execute(
            "SELECT rule_id FROM gtt_events WHERE profile = ? AND at >= ?"
            " ORDER BY at DESC, seq DESC",
            (profile, utc_stamp(since)),
        )
        return list(dict.fromkeys(str(r[0]) for r in rows))

    def gtt_rule_match(self, profile: str, text: str) -> str:
        """The rule id ``text`` names: a journalled id of ``profile`` it is the unique prefix
        of (``idmatch``; ambiguous is a UsageError), else ``text`` itself (a rule made
        elsewhere, or by an older angelctl, is sent to the broker as typed)."""
        from angelctl.idmatch import match_prefix

        text = text.strip()
        if not text:
            return text
        found = match_prefix(text, _prefixed(self.db, profile, text), "GTT rule")
        return found or text

    def gtt_events(self, profile: str, rule_id: str) -> list[dict[str, Any]]:
        """One rule's journalled writes, oldest first."""
        return [
            {"at": at, "action": action, "symbol": symbol, "side": side, "detail": json.loads(d)}
            for at, action, symbol, side, d in self.db.execute(
                "SELECT at, action, symbol, side, detail FROM gtt_events"
                " WHERE profile = ? AND rule_id = ? ORDER BY seq",
                (profile, rule_id),
            )
        ]


def _prefixed(db: sqlite3.Connection, profile: str, text: str) -> Iterator[str]:
    """Distinct journalled rule ids of ``profile`` starting with ``text``: an index range
    (``rule_id >= text AND rule_id < text'``, text' being text with its last character
    raised), at most a few more than the ambiguity error lists."""
    upper = text[:-1] + chr(ord(text[-1]) + 1)
    rows = db.execute(
        "SELECT DISTINCT rule_id FROM gtt_events WHERE profile = ? AND rule_id >= ?"
        " AND rule_id < ? LIMIT 10",
        (profile, text, upper),
    )
    return (str(r[0]) for r in rows)
