"""Placing an order so that it is never sent twice, and settling what is not known.

The sequence for one intent, each step durable before the next:
1. take the intent's lock file (``flock`` on its first ordertag; the kernel releases it if this
   process dies) — a second process with the same intent id waits here (scenario A5);
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
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from angelctl.broker.session import BrokerSession, WriteGate
from angelctl.clock import IST, boot_id
from angelctl.errors import (
    AngelctlError,
    AuthError,
    BrokerError,
    ConnectFailed,
    LocalStateError,
    RateLimited,
    RequestRejected,
    ResponseLost,
)
from angelctl.orders.journal import Intent, Journal, tag_for
from angelctl.orders.model import BrokerOrder, OrderRequest, parse_order_book
from angelctl.risk.latch import KillSwitchEngaged
from angelctl.status import ExitStatus

LOCK_WAIT_SECONDS = 30.0
SETTLE_AFTER_SECONDS = 60.0  # > the broker's gateway timeout (30 s): docs/protocol.md
FOLLOW_SECONDS = 10.0  # how long a placer watches the book after an unknown answer
BOOK_POLL_SECONDS = 1.0  # the order book allows one read a second


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


class IntentMismatch(AngelctlError):
    exit_status = ExitStatus.INTENT_MISMATCH


class NotPlaced(AngelctlError):
    """Proven not placed: the broker's refusal or a settled absence. ``exit_status`` depends
    on why (the README's table): 6 no answer, 7 rate limit, 4 session, 9 broker error."""

    def __init__(self, message: str, *, exit_status: ExitStatus, hint: str | None) -> None:
        super().__init__(message, hint=hint)
        self.exit_status = exit_status


@dataclass
class Placement:
    intent: Intent
    order_id: str
    recovered: bool = False
    reused: bool = False  # the intent id had been placed before (an idempotent re-run)

    @property
    def late(self) -> bool:
        return self.intent.late

    @property
    def exit_status(self) -> ExitStatus:
        if self.late:
            return ExitStatus.LATE_LANDING
        return ExitStatus.RECOVERED if self.recovered else ExitStatus.OK


def fingerprint_differences(earlier: dict[str, str], now: dict[str, str]) -> list[str]:
    """The fields whose values differ, as ``field earlier → now``."""
    return [
        f"{key} {earlier.get(key) or '-'} → {now.get(key) or '-'}"
        for key in sorted(set(earlier) | set(now))
        if earlier.get(key, "") != now.get(key, "")
    ]


def check_fingerprint(journal: Journal, intent_id: str, fingerprint: dict[str, str]) -> None:
    """Refuse an intent id already journalled with other parameters (before any network call).
    A sliced order's children carry the parent's fingerprint under ``ID.1``, ``ID.2``…"""
    for candidate in (intent_id, f"{intent_id}.1"):
        earlier = journal.get(candidate)
        if earlier is not None and earlier.fingerprint and earlier.fingerprint != fingerprint:
            raise IntentMismatch(
                f"intent {intent_id} was used for a different order: "
                + ", ".join(fingerprint_differences(earlier.fingerprint, fingerprint)),
                hint="use a new --intent-id for a new order (nothing was sent)",
            )


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
        book, at, _ = read_book(self.session)
        watch_book(self.journal, self.profile, book, at)
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
        body = request.to_wire(intent.tag)
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
            data = self.session.call("placeOrder", body, on_send=on_send, gate=gate)
        except BrokerError as exc:
            return self._answered_with_error(intent, exc)
        except LocalStateError:
            raise
        except KillSwitchEngaged:
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
        order_id = str(data.get("orderid") or "") if isinstance(data, dict) else ""
        unique = str(data.get("uniqueorderid") or "") if isinstance(data, dict) else ""
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


def _ist(moment: datetime) -> str:
    return moment.astimezone(IST).strftime("%H:%M:%S IST")


def settle_time(intent: Intent, settle_after: float) -> datetime | None:
    """The wall time from which an order-book read can prove the intent absent."""
    if not intent.sent_at:
        return None
    return datetime.fromisoformat(intent.sent_at) + timedelta(seconds=settle_after + 1)


def _broker_said(intent: Intent) -> str:
    if intent.cause == "broker_error" or (intent.cause == "bad_body" and intent.error_text):
        code = f"{intent.error_code}: " if intent.error_code else ""
        return f"the broker answered ({code}{intent.error_text})"
    if intent.cause == "no_answer":
        return f"the broker did not answer ({intent.error_text})"
    if intent.cause == "local":
        return f"a local failure interrupted it ({intent.error_text})"
    if intent.cause == "crash":
        return "the sending process stopped before the answer"
    return "its answer was lost"


def _intent_details(intent: Intent, **more: object) -> dict[str, object]:
    return {
        "intent_id": intent.intent_id,
        "tag": intent.tag,
        "state": intent.state,
        "broker_code": intent.error_code,
        "broker_message": intent.error_text,
        **more,
    }


def outcome_unknown_error(intent: Intent, settle_after: float) -> OutcomeUnknown:
    when = settle_time(intent, settle_after)
    after = f"`angelctl reconcile` after {_ist(when)}" if when else "`angelctl reconcile`"
    error = OutcomeUnknown(
        f"intent {intent.intent_id} (tag {intent.tag}): {_broker_said(intent)}; the order may "
        f"still land: do not place it again; {after}",
        hint="a rerun with the same --intent-id waits for the answer and never sends twice",
    )
    error.code = intent.error_code
    error.details = _intent_details(
        intent, placed="unknown", reconcile_after=when.isoformat() if when else None
    )
    return error


def not_placed_error(intent: Intent, settle_after: float) -> NotPlaced:
    error = _not_placed_error(intent, settle_after)
    error.code = intent.error_code
    error.details = _intent_details(intent, placed=False, settle_after=settle_after)
    return error


def _not_placed_error(intent: Intent, settle_after: float) -> NotPlaced:
    said = _broker_said(intent)
    if intent.outcome == "refused by the gateway":
        status = ExitStatus.RATE_LIMITED if "rate" in intent.error_text.lower() else None
        return NotPlaced(
            f"intent {intent.intent_id}: the broker refused it before its order system saw it"
            f" ({intent.error_code + ': ' if intent.error_code else ''}{intent.error_text}):"
            " nothing was placed",
            exit_status=status or ExitStatus.AUTH,
            hint="safe to place again with the same --intent-id",
        )
    if intent.outcome == "never sent":
        return NotPlaced(
            f"intent {intent.intent_id} was journalled but never sent: nothing was placed",
            exit_status=ExitStatus.NETWORK,
            hint="safe to place again with the same --intent-id",
        )
    status = ExitStatus.BROKER_ERROR if intent.cause in ("broker_error", "bad_body") else None
    return NotPlaced(
        f"intent {intent.intent_id}: {said}; no order with tag {intent.tag} exists "
        f"{settle_after:g} s after it was sent: nothing was placed",
        exit_status=status or ExitStatus.NETWORK,
        hint="safe to place again with the same --intent-id",
    )


def _age(intent: Intent, book_at: datetime, book_mono: float | None) -> float:
    """Seconds from the intent's latest send to the start of the book read, judged
    conservatively: the smaller of the monotonic age (same boot only) and the wall-clock age,
    so a step of either clock (NTP, a resumed VM, libfaketime) can only delay a settlement,
    never hasten one."""
    # The journal stamps to the millisecond: a step in the book's own millisecond may have
    # come after the read, so only a strictly earlier one counts as seen by this book.
    read_at = book_at.replace(microsecond=book_at.microsecond // 1000 * 1000)
    since = intent.sent_at or intent.updated_at
    wall = (read_at - datetime.fromisoformat(since)).total_seconds()
    age = wall if wall > 0 else -1.0
    if book_mono is not None and intent.sent_mono and intent.boot_id == boot_id():
        age = min(age, book_mono - intent.sent_mono)
    return age


def read_book(session: BrokerSession) -> tuple[list[BrokerOrder], datetime, float]:
    """The order book with the wall and monotonic times its read *started*."""
    clock = session.clock
    at, mono = clock.now(), clock.monotonic()
    return parse_order_book(session.call("getOrderBook")), at, mono


def reconcile_intent(
    session: BrokerSession,
    journal: Journal,
    intent_id: str,
    *,
    settle_after: float = SETTLE_AFTER_SECONDS,
    book: list[BrokerOrder] | None = None,
    book_at: datetime | None = None,
    book_mono: float | None = None,
) -> Intent:
    """Settle one open intent against the broker's order book (looked up by every tag it was
    ever sent with).

    Absent from the book counts as "not placed" only when the read *started* at least
    ``settle_after`` seconds after the latest send (``book_at``/``book_mono`` say when a
    passed-in ``book`` was read), or when the intent was never sent at all.
    """
    intent = journal.get(intent_id)
    if intent is None:
        raise KeyError(intent_id)
    if not intent.is_open:
        return intent
    if book is None:
        orders, book_at, book_mono = read_book(session)
    elif book_at is None:
        raise TypeError("a passed-in order book needs book_at, the time it was read")
    else:
        orders = book
    tags = set(journal.tags_of(intent_id)) | {intent.tag}
    matches = [o for o in orders if o.tag in tags]
    if matches:
        order = matches[0]
        if intent.state == "journalled":
            journal.move(intent_id, "sending", detail={"note": "found at the broker"})
        if journal.get(intent_id).state == "sending":  # type: ignore[union-attr]
            journal.move(intent_id, "unknown", cause="crash", detail={"note": "answer missing"})
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
    age = _age(intent, book_at, book_mono)
    if age >= settle_after:
        if intent.state == "sending":
            journal.move(intent_id, "unknown", cause="crash", detail={"note": "no answer recorded"})
        return journal.move(
            intent_id,
            "not_placed",
            outcome="absent from the order book",
            detail={"age_seconds": round(age, 1), "settle_after": settle_after},
        )
    return intent


# -- late landings and foreign tags ------------------------------------------------------------


@dataclass
class BookWatch:
    """What one order-book read says about the journal's settled intents."""

    adopted: list[tuple[Intent, BrokerOrder]]  # settled "not placed", yet in the book: adopted
    duplicates: list[tuple[Intent, BrokerOrder]]  # a second order for an accepted intent
    foreign: list[BrokerOrder]  # angelctl-shaped tags this journal never issued

    @property
    def alarming(self) -> bool:
        return bool(self.adopted or self.duplicates)


def trading_day_start(now: datetime) -> datetime:
    local = now.astimezone(IST)
    return datetime(local.year, local.month, local.day, tzinfo=IST)


def watch_book(
    journal: Journal, profile: str, orders: list[BrokerOrder], now: datetime
) -> BookWatch:
    """Compare one order book with every tag the journal issued today, settled intents
    included: an order whose intent was settled as not placed (or rejected) is adopted (the
    journal now says accepted, marked late); an angelctl-shaped tag the journal never issued is
    reported as foreign and never adopted."""
    from angelctl.orders.journal import TAG_SHAPE, InvalidTransition

    since = trading_day_start(now).astimezone(now.tzinfo).isoformat(timespec="milliseconds")
    issued = journal.tags_since(profile, since)
    watch = BookWatch([], [], [])
    for order in orders:
        if not order.tag:
            continue
        intent_id = issued.get(order.tag)
        if intent_id is None:
            if TAG_SHAPE.match(order.tag) and not journal.issued(order.tag):
                watch.foreign.append(order)
            continue
        intent = journal.get(intent_id)
        if intent is None:
            continue
        if intent.state in ("not_placed", "rejected"):
            try:
                adopted = journal.move(
                    intent_id,
                    "accepted",
                    order_id=order.order_id,
                    unique_order_id=order.unique_order_id,
                    outcome="late landing",
                    recovered=1,
                    late=1,
                    detail={"status": order.status, "was": intent.state, "tag": order.tag},
                )
            except InvalidTransition:  # moved on meanwhile (a new attempt): judged next time
                continue
            watch.adopted.append((adopted, order))
        elif intent.state == "accepted" and intent.order_id and order.order_id != intent.order_id:
            watch.duplicates.append((intent, order))
    return watch


def describe_watch(watch: BookWatch) -> list[str]:
    """Loud lines for a person (stderr)."""
    lines = []
    for intent, order in watch.adopted:
        lines.append(
            f"LATE LANDING: order {order.order_id} ({order.side} {order.quantity} "
            f"{order.symbol}, {order.status}) carries tag {order.tag} of intent "
            f"{intent.intent_id}, which had been settled as not placed: adopted; check the "
            "position"
        )
    for intent, order in watch.duplicates:
        lines.append(
            f"DUPLICATE: order {order.order_id} carries a tag of intent {intent.intent_id}, "
            f"which was placed as order {intent.order_id}: check the position"
        )
    for order in watch.foreign:
        lines.append(
            f"foreign: order {order.order_id} has an angelctl-shaped tag {order.tag} that this "
            "journal never issued (another machine or profile?); not adopted"
        )
    return lines
