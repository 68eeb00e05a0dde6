"""Unknown means unknown: order outcomes under late answers, the gateway timeout, crashes, reused
intent ids and every real broker answer (issue 12). The sandbox's own book is the judge."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from typing import Any

import pytest

from angelctl.config import config_path, state_dir
from angelctl.config_edit import write_profile_values
from angelctl.orders.journal import Journal, tag_for
from angelctl.status import ExitStatus
from tests.conftest import REPO, admin, arm, requests_seen, run_cli_process, sandbox_orders
from tests.orders.test_orders import market, place

__all__ = ["market"]  # the fixture, shared with test_orders

BUY = ("BUY", "SBIN", "--qty", "1", "--price", "790")


def timing(sandbox: Any, *, gateway: float, settle_after: float, follow: float) -> None:
    """Shrink every timeout so a test sees both sides of the gateway in a few seconds."""
    admin(sandbox, "POST", "config", gateway_timeout_seconds=gateway)
    write_profile_values(
        config_path(),
        "sandbox",
        {"read_timeout": 0.5, "settle_after": settle_after, "follow_unknown": follow},
    )


def journal() -> Journal:
    return Journal(state_dir() / "journal.sqlite3")


def orders_of(sandbox: Any, intent_id: str, attempts: int = 4) -> list[dict[str, Any]]:
    """Every order the sandbox holds under any tag the intent could have had."""
    rows: list[dict[str, Any]] = []
    for attempt in range(1, attempts + 1):
        rows += sandbox_orders(sandbox, tag_for("sandbox", intent_id, "AC", attempt))
    return rows


def place_calls(sandbox: Any) -> int:
    return [r["route"] for r in requests_seen(sandbox)].count("placeOrder")


def wait_for(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


# ------------------------------------------------------------------- the settle rule


def test_a_late_answer_is_unknown_then_found_never_resent(cli: Any, market: Any) -> None:
    """The order lands after the placer gave up watching: exit 10 naming when reconcile can
    settle it; a rerun with the same id waits and finds it; nothing is ever sent twice."""
    timing(market, gateway=4.0, settle_after=5.0, follow=0.3)
    arm(market, name="latency", ms=2000, route="placeOrder", count=1)
    first = place(cli, *BUY, "--intent-id", "late")
    assert first.code == ExitStatus.OUTCOME_UNKNOWN, first.both
    assert "may still land" in first.err and "do not place it again" in first.err
    assert "reconcile` after" in first.err and "IST" in first.err
    assert "nothing was placed" not in first.both
    details = first.json()["error"]["details"]
    assert details["placed"] == "unknown" and details["reconcile_after"]
    rerun = place(cli, *BUY, "--intent-id", "late")  # waits for the book, never sends
    assert rerun.code == ExitStatus.RECOVERED, rerun.both
    assert len(orders_of(market, "late")) == 1
    assert place_calls(market) == 1
    assert journal().get("late").state == "accepted"  # type: ignore[union-attr]


def test_a_request_discarded_by_the_gateway_settles_not_placed_only_after_settle_after(
    cli: Any, market: Any
) -> None:
    timing(market, gateway=1.0, settle_after=2.5, follow=0.2)
    arm(market, name="latency", ms=3000, route="placeOrder", count=1)
    started = time.monotonic()
    first = place(cli, *BUY, "--intent-id", "gone")
    assert first.code == ExitStatus.OUTCOME_UNKNOWN, first.both
    # A reconcile before settle_after proves nothing.
    early = cli("reconcile", "--json")
    assert early.code == ExitStatus.OUTCOME_UNKNOWN, early.both
    assert early.json()["settled"][0]["state"] in ("unknown", "sending")
    # A rerun waits until a book read started settle_after after the send, then says so.
    rerun = place(cli, *BUY, "--intent-id", "gone")
    assert time.monotonic() - started >= 2.5
    assert rerun.code == ExitStatus.NETWORK, rerun.both
    assert "nothing was placed" in rerun.err and "same --intent-id" in rerun.err
    assert orders_of(market, "gone") == []
    stats = admin(market, "GET", "stats")
    assert stats["gateway_timeouts"] == {"gateway_timeouts_discarded": 1}
    # Now it is proven: the same id places it, once, under a tag of its own.
    third = place(cli, *BUY, "--intent-id", "gone")
    assert third.code == 0, third.both
    assert len(orders_of(market, "gone")) == 1
    assert sandbox_orders(market, tag_for("sandbox", "gone", "AC", 2))
    assert journal().get("gone").attempt == 2  # type: ignore[union-attr]


def test_a_hold_past_the_gateway_is_processed_and_recovered(cli: Any, market: Any) -> None:
    timing(market, gateway=1.0, settle_after=3.0, follow=5.0)
    arm(market, name="hold", seconds=5, route="placeOrder", count=1)
    placed = place(cli, *BUY, "--intent-id", "held")
    assert placed.code == ExitStatus.RECOVERED, placed.both
    assert len(orders_of(market, "held")) == 1
    wait_for(
        lambda: (
            admin(market, "GET", "stats")["gateway_timeouts"] == {"gateway_timeouts_processed": 1}
        )
    )


def test_a_late_landing_is_adopted_loudly_with_its_own_exit_code(cli: Any, market: Any) -> None:
    """A misconfigured settle_after (shorter than the gateway) lets an order land after the
    journal settled it: reconcile adopts it, says so, and exits 16."""
    timing(market, gateway=5.0, settle_after=0.6, follow=3.0)
    arm(market, name="latency", ms=2500, route="placeOrder", count=1)
    first = place(cli, *BUY, "--intent-id", "lander")
    assert first.code == ExitStatus.NETWORK, first.both  # wrongly proven not placed
    wait_for(lambda: orders_of(market, "lander"))
    found = cli("reconcile", "--json")
    assert found.code == ExitStatus.LATE_LANDING, found.both
    assert "LATE LANDING" in found.err
    doc = found.json()
    assert doc["late_landings"][0]["intent_id"] == "lander"
    intent = journal().get("lander")
    assert intent is not None and intent.state == "accepted" and intent.late
    assert intent.order_id == orders_of(market, "lander")[0]["orderid"]
    # Once adopted it is no longer alarming; the same id now returns the adopted order.
    assert cli("reconcile").code == 0
    again = place(cli, *BUY, "--intent-id", "lander")
    assert again.code == ExitStatus.LATE_LANDING and again.json()["orders"][0]["reused"]
    assert place_calls(market) == 1


def test_a_foreign_angelctl_shaped_tag_is_reported_never_adopted(cli: Any, market: Any) -> None:
    foreign = tag_for("another-machine", "x")
    admin(
        market,
        "POST",
        "seed",
        orders=[{"exch_seg": "NSE", "token": "3045", "side": "BUY", "tag": foreign}],
    )
    result = cli("reconcile", "--json")
    assert result.code == 0, result.both
    assert result.json()["foreign_tags"][0]["tag"] == foreign
    assert "foreign" in result.err
    listed = cli("order", "list", "--json")
    assert listed.code == 0 and listed.json()["foreign_tags"][0]["tag"] == foreign


# ------------------------------------------------------------------- fingerprints


def test_an_intent_id_reused_with_other_parameters_is_refused_before_any_call(
    cli: Any, market: Any
) -> None:
    assert place(cli, *BUY, "--intent-id", "Y").code == 0
    before = len(requests_seen(market))
    other = place(cli, "SELL", "SBIN", "--qty", "7", "--price", "1060", "--intent-id", "Y")
    assert other.code == ExitStatus.INTENT_MISMATCH, other.both
    assert "side BUY → SELL" in other.err and "quantity 1 → 7" in other.err
    assert "price 790 → 1060" in other.err
    assert len(requests_seen(market)) == before  # not even a quote
    same = place(cli, *BUY, "--intent-id", "Y")
    assert same.code == 0 and same.json()["orders"][0]["reused"] is True
    assert len(orders_of(market, "Y")) == 1


def test_a_price_written_differently_is_the_same_intent(cli: Any, market: Any) -> None:
    assert place(cli, *BUY, "--intent-id", "norm").code == 0
    same = place(cli, "BUY", "SBIN", "--qty", "1", "--price", "790.00", "--intent-id", "norm")
    assert same.code == 0, same.both
    assert same.json()["orders"][0]["reused"] is True


# ------------------------------------------------------------------- broker answers


def test_something_went_wrong_on_place_keeps_the_brokers_code_and_message(
    cli: Any, market: Any
) -> None:
    timing(market, gateway=1.0, settle_after=1.5, follow=3.0)
    arm(
        market,
        name="error_reply",
        code="AB2001",
        message="Your account is dormant, please contact support",
        route="placeOrder",
        count=1,
    )
    placed = place(cli, *BUY, "--intent-id", "dormant")
    assert placed.code == ExitStatus.BROKER_ERROR, placed.both
    assert "AB2001" in placed.err and "dormant" in placed.err
    assert "nothing was placed" in placed.err and "never answered" not in placed.err
    error = placed.json()["error"]
    assert error["code"] == "not_placed" and error["broker_code"] == "AB2001"
    assert error["details"]["placed"] is False
    assert "dormant" in error["details"]["broker_message"]
    intent = journal().get("dormant")
    assert intent is not None and intent.state == "not_placed"
    assert intent.error_code == "AB2001" and "dormant" in intent.error_text


def test_something_went_wrong_after_processing_is_recovered(cli: Any, market: Any) -> None:
    timing(market, gateway=1.0, settle_after=1.5, follow=3.0)
    arm(market, name="error_after", code="AB1004", route="placeOrder", count=1)
    placed = place(cli, *BUY, "--intent-id", "placed-anyway")
    assert placed.code == ExitStatus.RECOVERED, placed.both
    assert len(orders_of(market, "placed-anyway")) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"name": "garbage", "kind": "html"},
        {"name": "garbage", "kind": "cut_json"},
        {"name": "empty_400"},
        {"name": "waf_html", "status": 200},
    ],
)
def test_a_body_that_is_not_an_envelope_on_a_write_is_unknown_never_rejected(
    cli: Any, market: Any, fault: dict[str, Any]
) -> None:
    timing(market, gateway=1.0, settle_after=1.2, follow=0.1)
    arm(market, route="placeOrder", count=1, **fault)
    placed = place(cli, *BUY, "--intent-id", "odd")
    assert placed.code == ExitStatus.OUTCOME_UNKNOWN, placed.both
    intent = journal().get("odd")
    assert intent is not None and intent.state == "unknown" and intent.cause == "bad_body"
    rerun = place(cli, *BUY, "--intent-id", "odd")  # waits out settle_after, never sends
    assert rerun.code == ExitStatus.BROKER_ERROR, rerun.both
    assert "nothing was placed" in rerun.err
    assert journal().get("odd").state == "not_placed"  # type: ignore[union-attr]
    assert place_calls(market) == 1 and orders_of(market, "odd") == []


def test_a_truncated_answer_to_a_processed_order_is_recovered(cli: Any, market: Any) -> None:
    timing(market, gateway=1.0, settle_after=1.2, follow=3.0)
    arm(market, name="truncate", fraction=0.5, route="placeOrder", count=1)
    placed = place(cli, *BUY, "--intent-id", "cut")
    assert placed.code == ExitStatus.RECOVERED, placed.both
    assert len(orders_of(market, "cut")) == 1 and place_calls(market) == 1


def test_an_invalid_variety_is_a_definite_rejection_with_its_own_hint(
    cli: Any, market: Any
) -> None:
    arm(
        market,
        name="error_reply",
        code="AB1007",
        message="Invalid Order Variety. Value should be NORMAL, STOPLOSS, ROBO",
        route="placeOrder",
        count=1,
    )
    placed = place(cli, *BUY, "--intent-id", "variety")
    assert placed.code == ExitStatus.REJECTED, placed.both
    assert "MPIN" not in placed.err and "variety" in placed.err.lower()
    assert journal().get("variety").state == "rejected"  # type: ignore[union-attr]
    assert place_calls(market) == 1


# ------------------------------------------------------------------- the resend policy


def test_a_rate_limit_reply_is_resent_after_a_window_and_every_attempt_is_journalled(
    cli: Any, market: Any
) -> None:
    arm(market, name="rate_limit", route="placeOrder", count=1)
    placed = place(cli, *BUY, "--intent-id", "rl1")
    assert placed.code == 0, placed.both
    sends = [e for e in journal().events("rl1") if e["kind"] == "send"]
    assert [e["detail"]["http_attempt"] for e in sends] == [1, 2]
    assert "rate-limit" in sends[1]["detail"]["reason"]
    seen = [r for r in requests_seen(market) if r["route"] == "placeOrder"]
    assert len(seen) == 2 and len(orders_of(market, "rl1")) == 1


@pytest.mark.parametrize("reply", ["text403", "json_ab1021", "http429"])
def test_rate_limit_replies_are_resent_at_most_twice(cli: Any, market: Any, reply: str) -> None:
    arm(market, name="rate_limit", reply=reply, route="placeOrder", count=5)
    placed = place(cli, *BUY, "--intent-id", "rl3")
    assert placed.code == ExitStatus.RATE_LIMITED, placed.both
    assert place_calls(market) == 3
    assert journal().get("rl3").state == "not_placed"  # type: ignore[union-attr]
    admin(market, "DELETE", "faults")
    again = place(cli, *BUY, "--intent-id", "rl3")  # refused before the OMS: may try again
    assert again.code == 0, again.both
    assert len(orders_of(market, "rl3")) == 1


def test_too_many_requests_under_another_code_is_a_rate_limit(cli: Any, market: Any) -> None:
    arm(
        market,
        name="error_reply",
        code="AB1004",
        message="Too many requests",
        route="placeOrder",
        count=1,
    )
    placed = place(cli, *BUY, "--intent-id", "tmr")
    assert placed.code == 0, placed.both
    assert place_calls(market) == 2


# ------------------------------------------------------------------- local failures


FSZ = ("--intent-id", "fsz", "--yes", "--json")


def test_a_journal_that_cannot_be_written_after_the_send_exits_10_naming_it(
    market: Any,
) -> None:
    """The file-size limit is hit while the answer is on its way: the order is at the broker,
    so the placer must say it may have been placed (10), never "internal error"."""
    arm(market, name="hold", seconds=1.0, route="placeOrder", count=1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "angelctl", "order", "place", *BUY, *FSZ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: place_calls(market) == 1)
    resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (0, 0))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitStatus.OUTCOME_UNKNOWN, out + err
    assert "journal.sqlite3" in err and "accepted order" in err and "do not place it" in err
    assert "internal error" not in err
    assert len(orders_of(market, "fsz")) == 1
    settled = run_cli_process("reconcile", "--json")
    assert settled.code == 0, settled.both
    assert journal().get("fsz").state == "accepted"  # type: ignore[union-attr]


def test_a_journal_that_cannot_be_opened_sends_nothing_and_names_the_file(
    cli: Any, market: Any
) -> None:
    path = state_dir() / "journal.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir()  # not a database
    placed = place(cli, *BUY, "--intent-id", "nojournal")
    assert placed.code == ExitStatus.LOCAL_STATE, placed.both
    assert str(path) in placed.err
    assert place_calls(market) == 0
