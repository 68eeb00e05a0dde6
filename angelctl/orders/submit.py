"""Placing an order so that it is never sent twice.

The sequence for one intent, each step durable before the next:
1. take the intent's lock file (``flock`` on its ordertag; the kernel releases it if this
   process dies) — a second process with the same intent id waits here (scenario A5);
2. journal the intent (state ``journalled``) with its unique ordertag — a process that then
   finds the row already there does not send but reports or settles it — mark ``sending``
   and commit;
3. call placeOrder once (the transport retries only what provably never left, and a definite
   refusal such as a rate-limit or expired-token reply);
4. classify: an order id → ``accepted``; a definite refusal → ``rejected``; anything else
   (read timeout, reset after send, 5xx, unparseable body) → ``unknown``, settled at once by
   ``reconcile`` against the order book by tag — never by sending again.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from angelctl.broker.session import BrokerSession
from angelctl.errors import (
    AngelctlError,
    ApiError,
    AuthError,
    BrokerError,
    ConnectFailed,
    RateLimited,
    ResponseLost,
    ServerError,
    UnparseableResponse,
)
from angelctl.orders.journal import Intent, Journal, tag_for
from angelctl.orders.model import OrderRequest, parse_order_book
from angelctl.status import ExitStatus

LOCK_WAIT_SECONDS = 30.0
SETTLE_SECONDS = 10.0  # an order the broker accepted shows in its book well within this


CRASH_ENV = "ANGELCTL_CRASH_AT"


_crash_counts: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Crash drills (scenarios A4, B3): ``ANGELCTL_CRASH_AT=NAME`` kills this process with
    SIGKILL at that step, exactly as a power cut or ``kill -9`` would; ``NAME#N`` does so the
    N-th time the step is reached. Unset, it does nothing."""
    wanted = os.environ.get(CRASH_ENV)
    if not wanted:
        return
    target, _, nth = wanted.partition("#")
    if target != name:
        return
    _crash_counts[name] = _crash_counts.get(name, 0) + 1
    if _crash_counts[name] >= int(nth or 1):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


class IntentInProgress(AngelctlError):
    exit_status = ExitStatus.IN_PROGRESS


class OutcomeUnknown(AngelctlError):
    exit_status = ExitStatus.OUTCOME_UNKNOWN


@dataclass
class Placement:
    intent: Intent
    order_id: str
    recovered: bool = False
    reused: bool = False  # the intent id had been placed before (an idempotent re-run)

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.RECOVERED if self.recovered else ExitStatus.OK


@contextmanager
def intent_lock(folder: Path, tag: str, *, wait: float) -> Iterator[bool]:
    """An exclusive lock per intent; yields False if it could not be had within ``wait``."""
    from angelctl.fsutil import open_private

    fd = open_private(folder / f"{tag}.lock")
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.02)
        yield True
    finally:
        os.close(fd)


class OrderDesk:
    """Places, reconciles and reports intents for one profile."""

    def __init__(self, session: BrokerSession, journal: Journal, lock_folder: Path) -> None:
        self.session = session
        self.journal = journal
        self.lock_folder = lock_folder
        self.profile = session.settings.name
        self.client_code = session.settings.client_code

    def place(self, request: OrderRequest, intent_id: str, *, tag_prefix: str = "AC") -> Placement:
        tag = tag_for(self.profile, intent_id, tag_prefix)
        described = request.describe()
        # The lock comes first: a process that journals the intent holds the lock until the
        # outcome is recorded, so whoever else finds the row "journalled" under the lock knows
        # its writer died before sending. (Journalling before locking let a second process
        # settle a live writer's fresh intent as "not placed", and the order was never sent.)
        with intent_lock(self.lock_folder, tag, wait=LOCK_WAIT_SECONDS) as locked:
            if not locked:
                raise IntentInProgress(
                    f"intent {intent_id} is being placed by another process",
                    hint="wait for it, then `angelctl journal` shows its outcome",
                )
            crash_point("before_journal")
            intent = self.journal.record(intent_id, tag, self.profile, self.client_code, described)
            crash_point("after_journal")
            if intent is None:
                current = self.journal.get(intent_id)
                if current is None:  # the id is new but its tag is taken (a hash collision)
                    raise AngelctlError(
                        f"ordertag {tag} of intent {intent_id} is already journalled "
                        "for another intent",
                        hint="use a different --intent-id",
                    )
                return self._existing(current)
            self.journal.move(intent_id, "sending")
            crash_point("before_send")
            return self._send(intent, request)

    def _send(self, intent: Intent, request: OrderRequest) -> Placement:
        body = request.to_wire(intent.tag)
        try:
            data = self.session.call("placeOrder", body)
        except (ResponseLost, ServerError, UnparseableResponse) as exc:
            self.journal.move(
                intent.intent_id, "unknown", detail={"error": str(exc)}, error_text=str(exc)[:300]
            )
            return self._settle(intent.intent_id)
        except (ApiError, ConnectFailed, AuthError, RateLimited) as exc:
            code = exc.code if isinstance(exc, BrokerError) else ""
            self.journal.move(
                intent.intent_id,
                "rejected",
                detail={"error": str(exc)},
                error_code=code,
                error_text=exc.message[:300],
            )
            raise
        except BaseException as exc:
            # Anything else (a bug, Ctrl-C) after "sending": we cannot know; reconcile later.
            self.journal.move(
                intent.intent_id,
                "unknown",
                detail={"error": repr(exc)},
                error_text=type(exc).__name__,
            )
            raise
        crash_point("after_response")
        order_id = str((data or {}).get("orderid") or "") if isinstance(data, dict) else ""
        unique = str((data or {}).get("uniqueorderid") or "") if isinstance(data, dict) else ""
        if not order_id:
            self.journal.move(
                intent.intent_id,
                "unknown",
                detail={"error": "placeOrder succeeded without an order id"},
            )
            return self._settle(intent.intent_id)
        moved = self.journal.move(
            intent.intent_id,
            "accepted",
            order_id=order_id,
            unique_order_id=unique,
            outcome="accepted",
        )
        return Placement(moved, order_id)

    def _existing(self, intent: Intent) -> Placement:
        if intent.state == "accepted":
            return Placement(intent, intent.order_id, recovered=intent.recovered, reused=True)
        if intent.state == "rejected":
            from angelctl.errors import RequestRejected

            raise RequestRejected(
                f"intent {intent.intent_id} was already tried and refused: {intent.error_text}",
                code=intent.error_code,
                route="placeOrder",
            )
        if intent.state == "not_placed":
            raise OutcomeUnknown(
                f"intent {intent.intent_id} was settled as not placed; use a new intent id "
                "to try again",
                hint="`angelctl journal` shows its history",
            )
        # journalled / sending / unknown with no live holder: settle it, never resend.
        return self._settle(intent.intent_id)

    def _settle(self, intent_id: str) -> Placement:
        """Reconcile until the book settles the intent or SETTLE_SECONDS pass."""
        clock = self.session.clock
        deadline = clock.monotonic() + SETTLE_SECONDS + 1.0
        while True:
            intent = reconcile_intent(self.session, self.journal, intent_id)
            if not intent.is_open or clock.monotonic() >= deadline:
                break
            clock.sleep(1.0)  # the order book allows one read a second
        if intent.state == "accepted":
            return Placement(intent, intent.order_id, recovered=True)
        if intent.state == "not_placed":
            raise OutcomeUnknown(
                f"the broker never answered and holds no order tagged {intent.tag}: "
                "nothing was placed",
                hint="place it again with a new intent id",
            )
        raise OutcomeUnknown(
            f"the order may or may not have been placed (tag {intent.tag})",
            hint="run `angelctl reconcile` shortly; never place it again blindly",
        )


def reconcile_intent(
    session: BrokerSession,
    journal: Journal,
    intent_id: str,
    *,
    settle_seconds: float = SETTLE_SECONDS,
    book: list[Any] | None = None,
    book_at: datetime | None = None,
) -> Intent:
    """Settle one open intent against the broker's order book (looked up by tag).

    An intent absent from the book counts as not placed only when the book was read at least
    ``settle_seconds`` after the intent's last step: ``book_at`` says when a passed-in
    ``book`` was read, so a book read before a placer sent is never taken as proof of absence.
    """
    intent = journal.get(intent_id)
    if intent is None or not intent.is_open:
        assert intent is not None
        return intent
    if book is None:
        book_at = datetime.now(UTC)
        orders = parse_order_book(session.call("getOrderBook"))
    elif book_at is None:
        raise TypeError("a passed-in order book needs book_at, the time it was read")
    else:
        orders = book
    matches = [o for o in orders if o.tag == intent.tag]
    if matches:
        order = matches[0]
        if intent.state == "journalled":
            journal.move(intent_id, "sending", detail={"note": "found at the broker"})
        if journal.get(intent_id).state == "sending":  # type: ignore[union-attr]
            journal.move(intent_id, "unknown", detail={"note": "answer missing"})
        return journal.move(
            intent_id,
            "accepted",
            order_id=order.order_id,
            unique_order_id=order.unique_order_id,
            outcome="recovered",
            recovered=1,
            detail={"status": order.status, "duplicates": len(matches) - 1},
        )
    if intent.state == "journalled":
        return journal.move(intent_id, "not_placed", outcome="never sent")
    # The journal stamps steps to the millisecond: a step in the book's own millisecond may
    # have come after the read, so only a strictly earlier one counts as seen by this book.
    read_at = book_at.replace(microsecond=book_at.microsecond // 1000 * 1000)
    age = (read_at - datetime.fromisoformat(intent.updated_at)).total_seconds()
    if age > 0 and age >= settle_seconds:
        if intent.state == "sending":
            journal.move(intent_id, "unknown", detail={"note": "no answer recorded"})
        return journal.move(
            intent_id,
            "not_placed",
            outcome="absent from the order book",
            detail={"age_seconds": round(age, 1)},
        )
    return intent
