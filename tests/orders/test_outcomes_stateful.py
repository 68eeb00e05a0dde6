"""A Hypothesis state machine of the order path against the sandbox (issue 12).

Rules place with fresh ids, reused ids and reused ids with other parameters, kill -9 a placer
at every step, arm every fault that bends an answer (latency and holds on both sides of the read
timeout and of the gateway timeout, drops, 5xx, the rate-limit text, JSON and 429 forms, HTML
and cut bodies, truncation, expired tokens, error envelopes before and after processing), let
time pass and reconcile. The invariants are judged by the sandbox's own order book, an observer
independent of the code under test:

- never two orders for one intent id (whatever attempt tags it had);
- the journal never says "not placed" or "rejected" for an intent the book holds an order for;
- an intent the journal says is accepted is in the book under its order id;
- every command exits with a code from the README's table, never 1, and a place that printed
  "nothing was placed" left nothing in the book.

``bench/outcomes_stateful.py`` runs the same machine for thousands of steps.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from angelctl.config import config_path, state_dir
from angelctl.config_edit import write_profile_values
from angelctl.orders.journal import Journal, tag_for
from angelctl.status import ExitStatus
from tests.conftest import admin, arm, run_cli, run_cli_process, sandbox_orders
from tests.orders.test_orders import market

__all__ = ["market"]

# The sandbox's gateway timeout. ``bench/outcomes_stateful.py --break`` sets it above
# SETTLE_AFTER (a misconfiguration) to show the invariants catch what then goes wrong.
GATEWAY = float(os.environ.get("ORDER_MACHINE_GATEWAY", "0.6"))
READ_TIMEOUT = 0.3
SETTLE_AFTER = 0.9  # longer than the gateway timeout, as the product requires
ATTEMPTS = 6  # tags an intent may have had (a new attempt only after proof of absence)

PARAMS = (
    ("BUY", "1", "790"),
    ("BUY", "2", "790"),
    ("SELL", "1", "810"),
)
FAULTS: tuple[dict[str, Any], ...] = (
    {"name": "latency", "ms": 100},  # inside the read timeout
    {"name": "latency", "ms": 450},  # past the read timeout, inside the gateway
    {"name": "latency", "ms": int(GATEWAY * 900)},  # just inside the gateway
    {"name": "latency", "ms": int(GATEWAY * 1500)},  # past the gateway: discarded unprocessed
    {"name": "hold", "seconds": 0.1},
    {"name": "hold", "seconds": 0.45},
    {"name": "hold", "seconds": GATEWAY * 1.5},  # processed; the answer becomes a 504
    {"name": "drop"},
    {"name": "http_5xx", "status": 503},
    {"name": "rate_limit", "reply": "text403"},
    {"name": "rate_limit", "reply": "json_ab1021"},
    {"name": "rate_limit", "reply": "http429"},
    {"name": "garbage", "kind": "html"},
    {"name": "garbage", "kind": "cut_json"},
    {"name": "truncate", "fraction": 0.5},
    {"name": "empty_400"},
    {"name": "error_reply", "code": "AB1004"},
    {"name": "error_after", "code": "AB1004"},
    {"name": "error_reply", "code": "AB7777", "message": "Unheard of"},
    {"name": "error_reply", "code": "AB1007", "message": "Invalid Order Variety"},
    {"name": "expire_tokens"},
)
# The faults that put an answer on either side of the gateway timeout, drawn as often as all the
# others together.
AROUND_THE_GATEWAY = tuple(
    f for f in FAULTS if f["name"] in ("latency", "hold") and f.get("ms", 0) != 100
)
ANY_FAULT = st.sampled_from(AROUND_THE_GATEWAY) | st.sampled_from(FAULTS)
CRASH_POINTS = ("before_journal", "after_journal", "before_send", "mid_send", "after_response")
VALID_EXITS = {int(s) for s in ExitStatus} - {int(ExitStatus.ERROR)}
NOTHING_PLACED = "nothing was placed"

_ids = itertools.count(1)
STEPS = {"count": 0}
EXITS: dict[int, int] = {}  # place exit codes seen, for the bench's report
# Every intent id of every example: an answer may land after its example ended, so the
# invariants keep judging them all.
SEEN: dict[str, tuple[str, str, str]] = {}
# Broken invariants, each with the steps of its example. They are collected rather than raised:
# a real-time failure does not replay identically, and Hypothesis would report a replay that
# passed as a flaky strategy instead of the failure itself.
VIOLATIONS: list[dict[str, Any]] = []


def _journalled(intent_id: str) -> bool:
    """Whether the journal file holds the intent, read with plain SQL (the precondition of the
    mismatch rule: an id a crashed placer never wrote down is still free)."""
    import sqlite3

    from angelctl.config import state_dir

    path = state_dir() / "journal.sqlite3"
    if not path.exists():
        return False
    with contextlib.closing(sqlite3.connect(path)) as db:
        row = db.execute("SELECT 1 FROM intents WHERE intent_id = ?", (intent_id,)).fetchone()
    return row is not None


class OrderPath(RuleBasedStateMachine):
    sandbox: Any = None

    intents = Bundle("intents")

    def __init__(self) -> None:
        super().__init__()
        admin(self.sandbox, "DELETE", "faults")
        self.params = SEEN
        self.steps: list[str] = []

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            VIOLATIONS.append({"violation": what, "steps": list(self.steps)})

    # -- helpers ---------------------------------------------------------------------------

    def _place(self, intent_id: str, params: tuple[str, str, str]) -> Any:
        side, qty, price = params
        result = run_cli(
            "order", "place", side, "SBIN", "--qty", qty, "--price", price,
            "--intent-id", intent_id, "--yes", "--json",
        )  # fmt: skip
        STEPS["count"] += 1
        self.steps.append(f"place {intent_id} {params} → {result.code}")
        EXITS[result.code] = EXITS.get(result.code, 0) + 1
        self.check(result.code in VALID_EXITS, result.both)
        self.check("Traceback" not in result.err, result.both)
        if NOTHING_PLACED in result.err:
            self.check(self._book(intent_id) == [], result.both)
        if result.code in (ExitStatus.OK, ExitStatus.RECOVERED):
            order_id = result.json()["orders"][0]["order_id"]
            self.check(order_id in {o["orderid"] for o in self._book(intent_id)}, result.both)
        return result

    def _book(
        self, intent_id: str, by_tag: dict[str, list[dict[str, Any]]] | None = None
    ) -> list[dict[str, Any]]:
        """The sandbox's orders under any tag the intent could have had."""
        if by_tag is None:
            by_tag = self._orders_by_tag()
        rows: list[dict[str, Any]] = []
        for attempt in range(1, ATTEMPTS + 1):
            rows += by_tag.get(tag_for("sandbox", intent_id, "AC", attempt), [])
        return rows

    def _orders_by_tag(self) -> dict[str, list[dict[str, Any]]]:
        """One read of the sandbox's whole book, grouped by tag."""
        by_tag: dict[str, list[dict[str, Any]]] = {}
        for row in sandbox_orders(self.sandbox):
            by_tag.setdefault(row.get("ordertag", ""), []).append(row)
        return by_tag

    # -- rules -----------------------------------------------------------------------------

    @rule(target=intents, params=st.sampled_from(PARAMS))
    def place_fresh(self, params: tuple[str, str, str]) -> str:
        intent_id = f"sm{next(_ids)}"
        self.params[intent_id] = params
        self._place(intent_id, params)
        return intent_id

    @rule(target=intents, params=st.sampled_from(PARAMS), fault=ANY_FAULT)
    def place_fresh_under_a_fault(self, params: tuple[str, str, str], fault: dict[str, Any]) -> str:
        self.arm_a_fault(fault)
        return self.place_fresh(params)

    @rule(intent_id=intents)
    def place_again(self, intent_id: str) -> None:
        self._place(intent_id, self.params[intent_id])

    @rule(intent_id=intents, params=st.sampled_from(PARAMS))
    def place_again_with_other_parameters(
        self, intent_id: str, params: tuple[str, str, str]
    ) -> None:
        if params == self.params[intent_id] or not _journalled(intent_id):
            return  # never journalled (a crash before the write, a refusal before it): no claim
        before = len(self._book(intent_id))
        result = self._place(intent_id, params)
        self.check(result.code == ExitStatus.INTENT_MISMATCH, result.both)
        self.check(len(self._book(intent_id)) == before, f"{intent_id}: an order was added")

    @rule(target=intents, params=st.sampled_from(PARAMS), point=st.sampled_from(CRASH_POINTS))
    def crash_a_fresh_placer(self, params: tuple[str, str, str], point: str) -> str:
        intent_id = f"sm{next(_ids)}"
        self.params[intent_id] = params
        side, qty, price = params
        result = run_cli_process(
            "order", "place", side, "SBIN", "--qty", qty, "--price", price,
            "--intent-id", intent_id, "--yes", "--json",
            env={"ANGELCTL_CRASH_AT": point},
        )  # fmt: skip
        STEPS["count"] += 1
        self.steps.append(f"crash {intent_id} at {point} → {result.code}")
        self.check(result.code in (-9, *VALID_EXITS), result.both)
        return intent_id

    @rule(fault=ANY_FAULT)
    def arm_a_fault(self, fault: dict[str, Any]) -> None:
        STEPS["count"] += 1
        self.steps.append(f"arm {fault}")
        if fault["name"] == "expire_tokens":
            arm(self.sandbox, **fault)
        else:
            arm(self.sandbox, route="placeOrder", count=1, **fault)

    @rule()
    def let_the_settle_time_pass(self) -> None:
        STEPS["count"] += 1
        self.steps.append("time passes")
        import time

        time.sleep(SETTLE_AFTER + 0.1)  # time passing is the step, not a synchronisation

    @rule()
    def reconcile(self) -> None:
        STEPS["count"] += 1
        result = run_cli("reconcile", "--json")
        self.steps.append(f"reconcile → {result.code}")
        self.check(result.code in (0, ExitStatus.OUTCOME_UNKNOWN), result.both)
        doc = result.json()
        self.check(not doc["late_landings"] and not doc["duplicates"], result.both)

    @rule(intent_id=consumes(intents))
    def forget(self, intent_id: str) -> None:
        """Stop reusing an id (keeps the bundle small); the invariants still watch it."""

    # -- invariants, judged by the sandbox's book ------------------------------------------

    @invariant()
    def the_book_and_the_journal_agree(self) -> None:
        journal = Journal(state_dir() / "journal.sqlite3")
        by_tag = self._orders_by_tag()
        try:
            for intent_id in self.params:
                book = self._book(intent_id, by_tag)
                self.check(len(book) <= 1, f"two orders for intent {intent_id}: {book}")
                intent = journal.get(intent_id)
                if intent is None:
                    self.check(book == [], f"{intent_id}: an order with no journal entry")
                    continue
                if intent.state in ("not_placed", "rejected"):
                    self.check(book == [], f"{intent_id} is {intent.state} but the book has {book}")
                if intent.state == "accepted":
                    self.check(
                        [o["orderid"] for o in book] == [intent.order_id],
                        f"{intent_id} accepted as {intent.order_id}, book {book}",
                    )
        finally:
            journal.close()


def machine_settings() -> settings:
    return settings(
        max_examples=int(os.environ.get("ORDER_MACHINE_EXAMPLES", "4")),
        stateful_step_count=int(os.environ.get("ORDER_MACHINE_STEPS", "12")),
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def test_the_order_path_never_lies_and_never_sends_twice(market: Any) -> None:
    admin(market, "POST", "config", gateway_timeout_seconds=GATEWAY)
    write_profile_values(
        config_path(),
        "sandbox",
        {"read_timeout": READ_TIMEOUT, "settle_after": SETTLE_AFTER, "follow_unknown": 0.5},
    )
    OrderPath.sandbox = market
    STEPS["count"] = 0
    SEEN.clear()
    VIOLATIONS.clear()
    EXITS.clear()
    run_state_machine_as_test(OrderPath, settings=machine_settings())
    report = os.environ.get("ORDER_MACHINE_REPORT")
    if report:
        with open(report, "w", encoding="utf-8") as handle:
            json.dump(
                {"steps": STEPS["count"], "exits": EXITS, "violations": VIOLATIONS},
                handle,
                indent=1,
            )
    assert STEPS["count"] > 0
    assert VIOLATIONS == [], json.dumps(VIOLATIONS[:3], indent=1)
