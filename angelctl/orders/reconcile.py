"""Settling open intents against the broker's order book, and watching the book for late
landings (docs/orders.md, "Unknown means unknown").

Invariants:
- An intent is found by every tag it was ever sent with; found → ``accepted`` ("recovered").
- Absent counts as "not placed" only when the book read *started* at least ``settle_after``
  seconds after the latest send, judged by the smaller of the monotonic and wall-clock ages
  (a clock step can only delay a settlement), or when it was never sent at all.
- An order under the tag of an intent settled as not placed or rejected is adopted (late); an
  angelctl-shaped tag the journal never issued is foreign and never adopted.
"""

from __future__ import annotations

from datetime import datetime

from angelctl.broker.orders import BrokerOrder, OrderBook, read_book
from angelctl.broker.session import BrokerSession
from angelctl.clock import IST, boot_id
from angelctl.orders.journal import TAG_SHAPE, Intent, InvalidTransition, Journal
from angelctl.orders.outcome import SETTLE_AFTER_SECONDS
from angelctl.records import record


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


def reconcile_intent(
    session: BrokerSession,
    journal: Journal,
    intent_id: str,
    *,
    settle_after: float = SETTLE_AFTER_SECONDS,
    book: OrderBook | None = None,
) -> Intent:
    """Settle one open intent against the broker's order book (looked up by every tag it was
    ever sent with), read now unless a ``book`` (which knows when it was read) is passed in.

    Absent from the book counts as "not placed" only when the read *started* at least
    ``settle_after`` seconds after the latest send, or when the intent was never sent at all.
    """
    intent = journal.get(intent_id)
    if intent is None:
        raise KeyError(intent_id)
    if not intent.is_open:
        return intent
    if book is None:
        book = read_book(session)
    orders = book.orders
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
    age = _age(intent, book.read_at, book.read_mono)
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


@record(frozen=False)
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
    issued = journal.tags_since(profile, trading_day_start(now))
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
