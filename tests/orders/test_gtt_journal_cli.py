"""``gtt create|modify|cancel`` against the sandbox journal each write the broker accepted, and
only those (a static refusal, a latched create, a lost answer: nothing); ``gtt show|modify|
cancel`` take a unique prefix of a journalled rule id, and an ambiguous one is exit 2 before
any broker call; ``journal prune`` counts and deletes old GTT events but keeps today's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from angelctl.config import state_dir
from angelctl.orders.journal import Journal
from angelctl.status import ExitStatus
from tests.conftest import arm
from tests.orders.test_gtt import engage_latch, gtt_calls, sandbox_rules, sell_rule


@pytest.fixture
def market(sandbox: Any, sandbox_login: Any) -> Any:
    from tests.conftest import admin
    from tests.orders.test_gtt import set_price

    admin(sandbox, "POST", "market/freeze", frozen=True)
    set_price(sandbox, "800")
    return sandbox


def events() -> list[tuple[str, str, str, str, str]]:
    """Every journalled GTT event: (profile, rule id, action, symbol, side), oldest first."""
    journal = Journal(state_dir() / "journal.sqlite3")
    try:
        rows = journal.db.execute(
            "SELECT profile, rule_id, action, symbol, side FROM gtt_events ORDER BY seq"
        ).fetchall()
    finally:
        journal.close()
    return [tuple(r) for r in rows]


def details(rule_id: str) -> list[dict[str, Any]]:
    journal = Journal(state_dir() / "journal.sqlite3")
    try:
        return journal.gtt_events("sandbox", rule_id)
    finally:
        journal.close()


def test_create_modify_cancel_are_journalled_once_each(cli: Any, market: Any) -> None:
    before = datetime.now(UTC)
    rule_id = sell_rule(cli)
    modified = cli("gtt", "modify", rule_id, "--price", "844", "--trigger", "845", "--yes")
    cancelled = cli("gtt", "cancel", rule_id, "--yes")
    again = cli("gtt", "cancel", rule_id, "--yes")  # already cancelled: nothing sent

    assert (modified.code, cancelled.code, again.code) == (0, 0, 0), again.both
    assert events() == [
        ("sandbox", rule_id, action, "SBIN-EQ", "SELL") for action in ("create", "modify", "cancel")
    ]
    create, modify, cancel = details(rule_id)
    assert create["detail"]["trigger"] == "840" and create["detail"]["quantity"] == 5
    changed = {k: (Decimal(v["old"]), Decimal(v["new"])) for k, v in modify["detail"].items()}
    assert changed == {"price": (839, 844), "trigger": (840, 845)}
    assert cancel["detail"]["status_before"] == "NEW"
    stamps = [datetime.fromisoformat(e["at"]) for e in (create, modify, cancel)]
    assert before - timedelta(seconds=1) <= stamps[0] <= stamps[1] <= stamps[2]
    assert set(create["detail"]) == {  # the rule's fields only: no client code, no credential
        "exchange", "token", "product", "quantity", "price", "trigger", "disclosed_quantity",
        "time_period_days",
    }  # fmt: skip


def test_refused_writes_journal_nothing(cli: Any, market: Any) -> None:
    odd = cli("gtt", "create", "SELL", "SBIN", "--qty", "5", "--trigger", "840.03",
              "--price", "839", "--yes")  # fmt: skip
    assert odd.code == ExitStatus.USAGE and "tick" in odd.err, odd.both  # refused locally
    engage_latch()
    latched = cli("gtt", "create", "SELL", "SBIN", "--qty", "5", "--trigger", "840",
                  "--price", "839", "--yes")  # fmt: skip
    assert latched.code == ExitStatus.KILL_SWITCH, latched.both
    assert gtt_calls(market) == [] and events() == []


def test_a_lost_create_answer_journals_nothing_though_the_rule_exists(
    cli: Any, market: Any
) -> None:
    arm(market, name="drop", route="createRule", count=1)
    lost = cli("gtt", "create", "SELL", "SBIN", "--qty", "5", "--trigger", "840",
               "--price", "839", "--yes")  # fmt: skip
    assert lost.code != 0, lost.both
    assert len(sandbox_rules(market)) == 1  # the broker made it; no id came back
    assert events() == []


def _journal_extra(rule_id: str) -> None:
    """A rule id this profile journalled earlier (made by hand: the sandbox numbers rules in
    sequence, so real ids share long prefixes)."""
    journal = Journal(state_dir() / "journal.sqlite3")
    try:
        journal.gtt_event("sandbox", rule_id, "create", symbol="SBIN-EQ", side="BUY", detail={})
    finally:
        journal.close()


def test_a_unique_prefix_resolves_and_an_ambiguous_one_is_exit_2(cli: Any, market: Any) -> None:
    rule_id = sell_rule(cli)
    sibling = rule_id[:-2] + ("99" if rule_id[-2:] != "99" else "88")
    _journal_extra(sibling)
    unique, ambiguous_prefix = rule_id[:-1], rule_id[:-2]  # 337530 names one, 33753 both

    shown = cli("gtt", "show", unique, "--json")
    assert shown.code == 0, shown.both
    assert shown.json()["id"] == rule_id

    calls = len(gtt_calls(market))
    ambiguous = cli("gtt", "cancel", ambiguous_prefix, "--yes")
    assert ambiguous.code == ExitStatus.USAGE, ambiguous.both
    assert "ambiguous" in ambiguous.err and rule_id in ambiguous.err and sibling in ambiguous.err
    assert len(gtt_calls(market)) == calls  # nothing reached the broker

    modified = cli("gtt", "modify", unique, "--price", "838", "--yes", "--json")
    assert modified.code == 0 and modified.json()["id"] == rule_id, modified.both
    cancelled = cli("gtt", "cancel", unique, "--yes", "--json")
    assert cancelled.code == 0 and cancelled.json()["cancelled"] is True, cancelled.both
    assert sandbox_rules(market)[0]["status"] == "CANCELLED"


def test_journal_prune_counts_old_gtt_events_and_keeps_todays(cli: Any, market: Any) -> None:
    rule_id = sell_rule(cli)
    _journal_extra("1234567")
    journal = Journal(state_dir() / "journal.sqlite3")
    with journal.transaction() as db:
        db.execute("UPDATE gtt_events SET at = '2020-01-01T00:00:00.000+00:00' WHERE rule_id = ?",
                   ("1234567",))  # fmt: skip
    journal.close()
    today = datetime.now(UTC).date().isoformat()

    dry = cli("journal", "prune", "--before", today, "--dry-run", "--json")
    done = cli("journal", "prune", "--before", today, "--yes")

    assert dry.code == 0 and dry.json()["gtt_events"] == 1, dry.both
    assert done.code == 0 and "1 GTT rule events" in done.out, done.both
    assert [e[1] for e in events()] == [rule_id]


def test_a_full_id_names_its_rule_even_when_it_prefixes_a_journalled_one(
    cli: Any, market: Any
) -> None:
    """A rule made elsewhere, typed in full, is that rule: the journal's longer id that it
    happens to be a prefix of must not take its place (a script cancelling rule X must never
    cancel rule XY). Only an id the broker does not know is read as a journalled prefix."""
    ours = sell_rule(cli)
    journal = Journal(state_dir() / "journal.sqlite3")
    try:  # the rule as if made elsewhere, and a journalled id its id is a prefix of
        journal.db.execute("DELETE FROM gtt_events WHERE rule_id = ?", (ours,))
        journal.gtt_event("sandbox", ours + "9", "create", symbol="SBIN-EQ", side="SELL", detail={})
    finally:
        journal.close()

    shown = cli("gtt", "show", ours, "--json")
    cancelled = cli("gtt", "cancel", ours, "--yes", "--json")
    prefix = cli("gtt", "show", ours[:-1], "--json")  # unknown to the broker: the journal's id

    assert shown.code == 0, shown.both
    assert str(shown.json()["id"]) == ours
    assert cancelled.code == 0 and str(cancelled.json()["id"]) == ours
    assert {str(r["id"]): r["status"] for r in sandbox_rules(market)}[ours] == "CANCELLED"
    assert prefix.code != 0 and ours + "9" in prefix.both  # read as the journalled id
