"""The journal's position conversions (migration 6, ``conversion_events``): one row per step of
one ``positions convert``, never updated; mixed into ``orders.journal.Journal``.

A conversion's steps, in order (``CONVERSION_KINDS``)::

    journalled ──► sending ──► accepted                    (the broker answered data: null)
                     ├───────► rejected                    (a definite refusal: nothing moved)
                     └───────► unknown ──► converted        (a positions read shows it moved)
                                   ├────► not_converted     (a positions read shows nothing moved)
                                   └────► (left unknown: the read could not tell)

``journalled`` is committed before anything is sent, ``sending`` as the request leaves (the
session's ``on_send`` hook), so a crash at any point leaves a conversion whose last step says how
far it got; ``unsettled_conversions`` lists them. An unknown outcome is settled only by reading
positions, never by sending again.

Invariants: rows are appended only; ``detail`` holds the conversion's fields (exchange, token,
side, quantity, products), never a token, a password or the client code; reads are served by
the ``(profile, at)`` and ``(conversion_id)`` indexes.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from angelctl.clock import utc_stamp

CONVERSION_KINDS = (
    "journalled", "sending", "accepted", "rejected", "unknown", "converted", "not_converted",
)  # fmt: skip
SETTLED_KINDS = frozenset({"accepted", "rejected", "converted", "not_converted"})


class ConversionJournal:
    """The conversion half of the journal; ``Journal`` supplies the connection and the clock."""

    db: sqlite3.Connection

    def _now(self) -> str:
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def conversion_event(
        self, profile: str, conversion_id: str, kind: str, *, symbol: str, detail: dict[str, Any]
    ) -> None:
        """Append one step of a conversion (committed, durably, before this returns)."""
        if kind not in CONVERSION_KINDS:
            raise ValueError(f"unknown conversion step {kind!r}")
        with self.transaction() as db:
            db.execute(
                "INSERT INTO conversion_events (at, profile, conversion_id, kind, symbol, detail)"
                " VALUES (?,?,?,?,?,?)",
                (self._now(), profile, conversion_id, kind, symbol,
                 json.dumps(detail, default=str)),
            )  # fmt: skip

    def conversion_events(self, conversion_id: str) -> list[dict[str, Any]]:
        """One conversion's steps, oldest first."""
        return [
            {"at": at, "profile": profile, "kind": kind, "symbol": symbol,
             "detail": json.loads(detail)}
            for at, profile, kind, symbol, detail in self.db.execute(
                "SELECT at, profile, kind, symbol, detail FROM conversion_events"
                " WHERE conversion_id = ? ORDER BY seq",
                (conversion_id,),
            )
        ]  # fmt: skip

    def unsettled_conversions(self, profile: str, since: datetime) -> list[str]:
        """Conversions of ``profile`` begun at or after ``since`` (any zone) whose last step
        is not a settled one (a crash, or an unknown outcome a read could not settle)."""
        last: dict[str, str] = {}
        for conversion_id, kind in self.db.execute(
            "SELECT conversion_id, kind FROM conversion_events WHERE profile = ? AND at >= ?"
            " ORDER BY at, seq",
            (profile, utc_stamp(since)),
        ):
            last[str(conversion_id)] = str(kind)
        return [c for c, kind in last.items() if kind not in SETTLED_KINDS]
