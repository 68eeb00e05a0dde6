"""Property tests for reconciliation (``orders.reconcile``), judged by a model written here.

Generated: when an intent was sent (wall and monotonic), each later book read (its start on
both clocks, either of which may have stepped hours either way since), and what the book holds
(other orders, foreign tags, and — or not — the intent's own order under any of its tags).
The model's rules (docs/orders.md, "Unknown means unknown"):

- an order under one of the intent's tags → accepted, with that order's id;
- absent → "not placed" only when the read started at least ``settle_after`` after the latest
  send on BOTH clocks (the monotonic one counts only within the same boot), else still open;
- a settled intent never changes again from an absence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from angelctl.broker.orders import BrokerOrder, OrderBook
from angelctl.orders.journal import Journal, tag_for
from angelctl.orders.reconcile import reconcile_intent

START = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
SETTLE = 60.0


@dataclass
class HandClock:
    """A clock the test sets: the journal stamps from it."""

    wall: datetime = START
    mono: float = 1_000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        raise AssertionError("reconcile never sleeps")


def order(tag: str, order_id: str) -> BrokerOrder:
    return BrokerOrder.from_wire(
        {"orderid": order_id, "uniqueorderid": f"u-{order_id}", "ordertag": tag,
         "orderstatus": "open", "quantity": "1", "price": "100", "triggerprice": "0",
         "averageprice": "0", "filledshares": "0", "unfilledshares": "1"}
    )  # fmt: skip


reads = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=200),  # seconds after the send, on the monotonic clock
        st.floats(min_value=-4 * 3600, max_value=4 * 3600),  # the wall clock's step since
        st.booleans(),  # does this read's book hold our order?
        st.integers(min_value=0, max_value=3),  # other orders in the book
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(reads=reads, attempts=st.integers(min_value=1, max_value=3), same_boot=st.booleans())
def test_reconcile_settles_exactly_as_the_model_says(
    reads: list[tuple[float, float, bool, int]], attempts: int, same_boot: bool
) -> None:
    clock = HandClock()
    journal = Journal(None, clock)
    intent_id = "p1"
    tags = [tag_for("prof", intent_id, "AC", n) for n in range(1, attempts + 1)]
    journal.record(intent_id, tags[0], "prof", "C1", {}, {})
    for n, tag in enumerate(tags[1:], 2):  # earlier attempts, proven absent, then resent
        journal.move(intent_id, "sending")
        journal.move(intent_id, "not_placed", outcome="refused by the gateway")
        journal.reopen(intent_id, tag)
        assert journal.get(intent_id).attempt == n  # type: ignore[union-attr]
    journal.move(intent_id, "sending")
    journal.mark_sent(intent_id, attempts, "first", clock.mono)
    journal.move(intent_id, "unknown", cause="no_answer")
    if not same_boot:
        journal.db.execute("UPDATE intents SET boot_id = 'another-boot'")
    model_state = "unknown"
    for n, (after, wall_step, holds_ours, others) in enumerate(reads):
        orders = [order(f"XX{n}{k}", f"o{n}{k}") for k in range(others)]
        if holds_ours:
            orders.insert(others // 2, order(tags[n % len(tags)], f"ours{n}"))
        read_at = START + timedelta(seconds=after + wall_step)
        book = OrderBook(orders, read_at, read_mono=1_000.0 + after)
        got = reconcile_intent(None, journal, intent_id, settle_after=SETTLE, book=book)  # type: ignore[arg-type]
        # the model
        if model_state in ("unknown",):
            wall_age = after + wall_step
            ages = [wall_age] + ([after] if same_boot else [])
            if holds_ours:
                model_state = "accepted"
                assert got.order_id == f"ours{n}"
            elif min(ages) >= SETTLE:  # "at least settle_after" on both clocks
                model_state = "not_placed"
            elif min(ages) > SETTLE - 0.001 and got.state == "not_placed":
                model_state = "not_placed"  # within the journal's millisecond stamps: either
        assert got.state == model_state, (n, after, wall_step, holds_ours, got)


def test_a_passed_in_book_is_never_read_again() -> None:
    """With a book, reconcile makes no broker call (the session is never touched)."""
    journal = Journal(None, HandClock())
    journal.record("x", tag_for("p", "x"), "p", "C", {}, {})
    journal.move("x", "sending")
    session: Any = object()  # any attribute use would raise
    book = OrderBook([], START + timedelta(seconds=SETTLE + 5), read_mono=None)
    assert reconcile_intent(session, journal, "x", settle_after=SETTLE, book=book).state == (
        "not_placed"
    )
