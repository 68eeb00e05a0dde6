"""Placing an order so that it is never sent twice, and settling what is not known.

The sequence for one intent, each step durable before the next:
1. take the intent's lock file (``flock`` on its first ordertag; the kernel releases it if this
   process dies) — a second process with the same intent id waits here
   (docs/scenarios.md#a5--ten-runs-with-one-intent-id-at-once);
2. an intent id seen before is compared by its fingerprint (side, token, quantity, price,
   trigger, type, product, variety, validity): other parameters are refused (exit 17); the
   same parameters return the earlier outcome, never a second order;
3. journal the intent (``journalled``) with its ordertag, mark ``sending`` and commit;
4. call placeOrder; every HTTP attempt is journalled before it leaves (the resend policy in
   ``broker.session``: only after a rate-limit or expired-session reply, at most twice);
5. classify the answer (``broker.classify``): an order id → ``accepted``; a refusal that
   proves the order system never saw it → ``rejected`` (or ``not_placed`` when only the rate
   limit or the session refused it, so the same intent id may try again); anything else — no
   answer, a 5xx, "Something went wrong", an unknown code, a body that is not the broker's
   JSON — → ``unknown``, kept with the broker's code and message.

"Not placed" needs proof (docs/orders.md, "Unknown means unknown"): the request provably never
left, or the broker refused it before its order system saw it, or an order-book read that
*started* at least ``settle_after`` seconds after the request was sent holds no order with
its tag. ``settle_after`` (default 60 s) is longer than the broker's gateway timeout (taken as
30 s, docs/protocol.md): a request still held in the gateway after that is never processed.
Until then the intent stays unknown and the placer exits 10 naming the time from which
``reconcile`` can settle it; a rerun with the same intent id waits for that and never sends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from angelctl.broker import orders as broker_orders
from angelctl.broker.session import BrokerSession, WriteGate
from angelctl.clock import boot_id
from angelctl.errors import (
    AngelctlError,
    AuthError,
    BrokerError,
    ConnectFailed,
    LocalStateError,
    OrderingHalted,
    RateLimited,
    RequestRejected,
    ResponseLost,
)
from angelctl.orders.journal import Intent, Journal, tag_for
from angelctl.orders.model import OrderRequest
from angelctl.orders.outcome import (
    SETTLE_AFTER_SECONDS,
    IntentInProgress,
    OutcomeUnknown,
    Placement,
    check_fingerprint,
    not_placed_error,
    outcome_unknown_error,
)
from angelctl.orders.reconcile import reconcile_intent, watch_book

LOCK_WAIT_SECONDS = 30.0
FOLLOW_SECONDS = 10.0  # how long a placer watches the book after an unknown answer
BOOK_POLL_SECONDS = 1.0  # the order book allows one read a second


CRASH_ENV = "ANGELCTL_CRASH_AT"


_crash_counts: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Crash drills (docs/scenarios.md#a4--crash-at-every-step-of-placement,
    docs/scenarios.md#b3--the-kill-run-twice-or-crashed-halfway): ``ANGELCTL_CRASH_AT=NAME`` kills
    this process with SIGKILL at that step, exactly as a power cut or ``kill -9`` would; ``NAME#N``
    does so the N-th time the step is reached. Unset, it does nothing."""
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


class OrderPlacer:
    """Places, reconciles and reports intents for one profile."""

    def __init__(
        self,
        session: BrokerSession,
        journal: Journal,
        lock_folder: Path,
        *,
        settle_after: float = SETTLE_AFTER_SECONDS,
        follow_seconds: float = FOLLOW_SECONDS,
    ) -> None:
        self.session = session
        self.journal = journal
        self.lock_folder = lock_folder
        self.profile = session.settings.name
        self.client_code = session.settings.client_code
        self.settle_after = settle_after
        self.follow_seconds = follow_seconds

    def place(
        self,
        request: OrderRequest,
        intent_id: str,
        *,
        tag_prefix: str = "AC",
        fingerprint: dict[str, str] | None = None,
        gate: WriteGate | None = None,
    ) -> Placement:
        """Place one intent. ``gate`` (the kill-switch latch) is checked immediately before
        each HTTP attempt leaves; a refusal there sends nothing and settles "not placed"."""
        fingerprint = fingerprint or request.fingerprint()
        first_tag = tag_for(self.profile, intent_id, tag_prefix)
        # The lock comes first: a process that journals the intent holds the lock until the
        # outcome is recorded, so whoever else finds the row "journalled" under the lock knows
        # its writer died before sending.
        with intent_lock(self.lock_folder, first_tag, wait=LOCK_WAIT_SECONDS) as locked:
            if not locked:
                raise IntentInProgress(
                    f"intent {intent_id} is being placed by another process",
                    hint="wait for it, then `angelctl journal` shows its outcome",
                )
            current = self.journal.get(intent_id)
            if current is not None:
                check_fingerprint(self.journal, intent_id, fingerprint)
                if current.state == "journalled":  # its writer died before sending
                    current = self._reconcile(current.intent_id)
                if current.state != "not_placed":
                    return self._existing(current)
                current = self._last_look(current)  # a late landing of an earlier attempt?
                if current.state != "not_placed":
                    return self._existing(current)
                tag = tag_for(self.profile, intent_id, tag_prefix, current.attempt + 1)
                intent = self._local(lambda: self.journal.reopen(intent_id, tag), sent=False)
            else:
                crash_point("before_journal")
                recorded = self._local(
                    lambda: self.journal.record(
                        intent_id,
                        first_tag,
                        self.profile,
                        self.client_code,
                        request.describe(),
                        fingerprint,
                    ),
                    sent=False,
                )
                crash_point("after_journal")
                if recorded is None:  # the id is new but its tag is taken (a hash collision)
                    raise AngelctlError(
                        f"ordertag {first_tag} of intent {intent_id} is already journalled "
                        "for another intent",
                        hint="use a different --intent-id",
                    )
                intent = recorded
            self._local(lambda: self.journal.move(intent_id, "sending"), sent=False)
            crash_point("before_send")
            return self._send(intent, request, gate)

    def _last_look(self, intent: Intent) -> Intent:
        """Before a new attempt of an intent proven not placed: one fresh book read, so an
        earlier attempt that landed after all is adopted instead of being doubled."""
        book = broker_orders.read_book(self.session)
        watch_book(self.journal, self.profile, book.orders, book.read_at)
        current = self.journal.get(intent.intent_id)
        assert current is not None
        return current

    # -- sending -----------------------------------------------------------------------------

    def _local(self, step: Any, *, sent: bool) -> Any:
        """Run a journal step; a disk or database failure names the file and says whether
        anything may have been sent."""
        try:
            return step()
        except (sqlite3.Error, OSError) as exc:
            raise self._local_failure(exc, sent=sent) from None

    def _local_failure(self, exc: BaseException, *, sent: bool) -> AngelctlError:
        where = f"the order journal {self.journal.path} could not be written ({exc})"
        if not sent:
            return LocalStateError(
                f"{where}: nothing was sent",
                hint="free disk space or fix the file's permissions, then run it again",
            )
        return OutcomeUnknown(
            f"{where} after the order was sent: it may have been placed",
            hint="do not place it again; fix the disk, then `angelctl reconcile` settles it",
        )

    def _send(self, intent: Intent, request: OrderRequest, gate: WriteGate | None) -> Placement:
        ticket = request.ticket(intent.tag)
        started = False

        def on_send(attempt: int, reason: str) -> None:
            nonlocal started
            mono = self.session.clock.monotonic()
            self._local(
                lambda: self.journal.mark_sent(intent.intent_id, attempt, reason, mono),
                sent=False,  # every earlier attempt was refused before the order system
            )
            started = True
            crash_point("mid_send")

        try:
            answer = broker_orders.place(self.session, ticket, on_send=on_send, gate=gate)
        except BrokerError as exc:
            return self._answered_with_error(intent, exc)
        except LocalStateError:
            raise
        except OrderingHalted:
            # Refused at the gate, before the request left: nothing was sent.
            self._local(
                lambda: self.journal.move(
                    intent.intent_id, "not_placed", outcome="refused: kill switch engaged"
                ),
                sent=False,
            )
            raise
        except BaseException as exc:
            # A bug, Ctrl-C or a local failure after the request may have left: unknown.
            if started:
                self._try_move_unknown(intent, cause="local", text=f"{type(exc).__name__}")
                if isinstance(exc, Exception):
                    raise self._local_failure(exc, sent=True) from None
            raise
        crash_point("after_response")
        return self._answered(intent, answer.order_id, answer.unique_order_id)

    def _answered(self, intent: Intent, order_id: str, unique: str) -> Placement:
        """A success envelope: accepted with its order id; without one, the outcome is unknown."""
        if not order_id:
            self._local(
                lambda: self.journal.move(
                    intent.intent_id,
                    "unknown",
                    cause="bad_body",
                    error_text="placeOrder succeeded without an order id",
                ),
                sent=True,
            )
            return self._follow(intent.intent_id)
        try:
            moved = self.journal.move(
                intent.intent_id,
                "accepted",
                order_id=order_id,
                unique_order_id=unique,
                outcome="accepted",
            )
        except (sqlite3.Error, OSError) as exc:
            raise OutcomeUnknown(
                f"the broker accepted order {order_id} (tag {intent.tag}) but the order journal "
                f"{self.journal.path} could not record it ({exc})",
                hint="do not place it again; fix the disk, then `angelctl reconcile` records it",
            ) from None
        return Placement(moved, order_id)

    def _answered_with_error(self, intent: Intent, exc: BrokerError) -> Placement:
        if exc.definite:
            # Refused before the order system saw it. A refusal of the gateway (rate limit,
            # session, connection) leaves the intent free to try again under the same id.
            gateway = isinstance(exc, RateLimited | AuthError | ConnectFailed)
            self._local(
                lambda: self.journal.move(
                    intent.intent_id,
                    "not_placed" if gateway else "rejected",
                    outcome="refused by the gateway" if gateway else "rejected",
                    error_code=exc.code,
                    error_text=exc.message[:300],
                    detail={"family": exc.family, "http_status": exc.http_status},
                ),
                sent=True,
            )
            raise exc
        cause = (
            "no_answer"
            if isinstance(exc, ResponseLost)
            else ("broker_error" if exc.envelope else "bad_body")
        )
        self._local(
            lambda: self.journal.move(
                intent.intent_id,
                "unknown",
                cause=cause,
                error_code=exc.code,
                error_text=exc.message[:300],
                detail={"family": exc.family, "http_status": exc.http_status},
            ),
            sent=True,
        )
        return self._follow(intent.intent_id)

    def _try_move_unknown(self, intent: Intent, *, cause: str, text: str) -> None:
        # The journal itself may be what failed; reconcile settles the intent then.
        with contextlib.suppress(Exception):
            self.journal.move(intent.intent_id, "unknown", cause=cause, error_text=text)

    # -- settling ----------------------------------------------------------------------------

    def _reconcile(self, intent_id: str) -> Intent:
        return reconcile_intent(
            self.session, self.journal, intent_id, settle_after=self.settle_after
        )

    def _follow(self, intent_id: str, *, until_settled: bool = False) -> Placement:
        """Watch the book after an unknown answer: briefly (a placer), or until the settle
        time has passed (a rerun of the same intent id). Never sends."""
        clock = self.session.clock
        intent = self.journal.get(intent_id)
        assert intent is not None
        budget = self.settle_after + 2.0 if until_settled else self.follow_seconds
        stop = clock.monotonic() + min(budget, self._settle_remaining(intent) + 2.0)
        while True:
            intent = self._reconcile(intent_id)
            if not intent.is_open or clock.monotonic() >= stop:
                break
            clock.sleep(BOOK_POLL_SECONDS)
        return self._outcome(intent)

    def _settle_remaining(self, intent: Intent) -> float:
        if intent.sent_mono and intent.boot_id == boot_id():
            return max(0.0, intent.sent_mono + self.settle_after - self.session.clock.monotonic())
        return self.settle_after

    def _outcome(self, intent: Intent) -> Placement:
        if intent.state == "accepted":
            return Placement(intent, intent.order_id, recovered=intent.recovered)
        if intent.state == "not_placed":
            raise not_placed_error(intent, self.settle_after)
        if intent.state == "rejected":
            raise RequestRejected(
                f"intent {intent.intent_id} was refused by the broker: {intent.error_text}",
                code=intent.error_code,
                route="placeOrder",
            )
        raise outcome_unknown_error(intent, self.settle_after)

    def _existing(self, intent: Intent) -> Placement:
        if intent.state == "accepted":
            return Placement(intent, intent.order_id, recovered=intent.recovered, reused=True)
        if intent.state in ("rejected", "not_placed"):
            return self._outcome(intent)
        # sending / unknown with no live holder: settle it by waiting, never resend.
        return self._follow(intent.intent_id, until_settled=True)
