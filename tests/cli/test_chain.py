"""``angelctl chain`` against the sandbox: the assembly (ATM, N strikes each side, PCR over the
shown strikes), the request count, the table at 80 and 120 columns on a real terminal (no
strike or LTP hidden, ATM marked), ``--json``, ``--watch`` repainting on ticks and surviving a
resize, and the feed limit."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from tests.cli.test_live_screens import PtyScreen
from tests.conftest import admin, routes_seen, run_cli


def _chain_json(*args: str) -> dict[str, Any]:
    result = run_cli("chain", "NIFTY", *args, "--json")
    assert result.code == 0, result.both
    document: dict[str, Any] = result.json()
    return document


def test_one_shot_json_has_atm_and_n_strikes_each_side(sandbox: Any, sandbox_login: Any) -> None:
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="99926000", ltp="24612")
    document = _chain_json("--strikes", "3")

    assert document["schema"] == "chain/1"
    strikes = [Decimal(r["strike"]) for r in document["rows"]]
    assert len(strikes) == 7 and strikes == sorted(strikes)
    assert Decimal(document["atm_strike"]) == Decimal(24600) == strikes[3]
    assert [r["atm"] for r in document["rows"]] == [False] * 3 + [True] + [False] * 3
    assert Decimal(document["spot"]["ltp"]) == Decimal(24612)
    calls = sum(r["call"]["oi"] for r in document["rows"])
    puts = sum(r["put"]["oi"] for r in document["rows"])
    assert Decimal(document["pcr"]) == (Decimal(puts) / Decimal(calls)).quantize(Decimal("0.01"))
    assert document["pcr_over"] == "shown_strikes"
    row = document["rows"][3]
    assert row["call"]["symbol"].endswith("24600CE") and row["put"]["symbol"].endswith("24600PE")
    assert row["call"]["iv"] is not None and Decimal(row["put"]["delta"]) <= 0


def test_quotes_in_batches_and_greeks_in_one_call(sandbox: Any, sandbox_login: Any) -> None:
    before = len(routes_seen(sandbox))
    _chain_json("--strikes", "20")
    routes = routes_seen(sandbox)[before:]
    assert routes.count("optionGreek") == 1
    assert routes.count("marketQuote") == 2  # 82 options and the index: two 50-token requests


def test_a_bad_expiry_and_too_many_strikes_are_usage_errors(
    sandbox: Any, sandbox_login: Any
) -> None:
    bad = run_cli("chain", "NIFTY", "--expiry", "01JAN2020")
    assert bad.code == 2 and "NIFTY has no expiry" in bad.err
    many = run_cli("chain", "NIFTY", "--strikes", "300", "--watch")
    assert many.code == 2 and "at most 1000" in many.err.replace(",", "")


def _strike_rows(lines: list[str]) -> list[str]:
    return [ln for ln in lines if re.search(r"\b2[3-6],\d{3}\b", ln) and "IST" not in ln]


def _one_shot_on_a_terminal(columns: int) -> list[str]:
    with PtyScreen("chain", "NIFTY", "--strikes", "4", columns=columns, lines=40) as term:
        code = term.exit_code()
        lines = term.lines()
    assert code == 0, "\n".join(lines)
    return lines


def test_the_table_at_120_and_80_columns_keeps_strikes_and_ltps(
    sandbox: Any, sandbox_login: Any
) -> None:
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="99926000", ltp="24612")
    wide = _one_shot_on_a_terminal(120)
    narrow = _one_shot_on_a_terminal(80)
    for lines, width in ((wide, 120), (narrow, 80)):
        assert max(len(line) for line in lines) <= width
        text = "\n".join(lines)
        assert lines[0].startswith("NIFTY 24,612.00 · exp") and lines[0].endswith(" IST")
        rows = _strike_rows(lines)
        assert len(rows) == 9, text
        assert sum("▸24,600◂" in row for row in rows) == 1  # the ATM row, marked
        header = next(line for line in lines if "Strike" in line).split()
        assert header.count("LTP") == 2 and header.count("OI") == 2
        assert all(len(row.split()) == len(header) for row in rows), text
    assert "Delta" in "\n".join(wide) and "IV" in next(ln for ln in wide if "Strike" in ln)
    narrow_header = next(ln for ln in narrow if "Strike" in ln)
    assert "Vega" not in narrow_header and "Delta" not in narrow_header
    assert "hidden to fit the terminal" in "\n".join(narrow)


def test_watch_repaints_on_ticks_and_survives_a_resize(sandbox: Any, sandbox_login: Any) -> None:
    admin(sandbox, "POST", "config", feed_ticks_per_second=20)
    args = ("chain", "NIFTY", "--strikes", "3", "--watch", "--greeks-every", "2")
    with PtyScreen(*args, columns=120, lines=30) as term:
        term.wait_for(lambda t: "ticks" in t.text() and _strike_rows(t.lines()), "a live frame")
        first = term.text().split("connected")[1] if "connected" in term.text() else ""
        term.wait_for(lambda t: "connected" in t.text() and t.text().split("connected")[1] != first,
                      "a repaint after more ticks")  # fmt: skip
        term.resize(80, 24)
        term.wait_for(
            lambda t: "Strike" in t.text() and max(len(ln) for ln in t.lines()) <= 80
            and "Delta" not in next((ln for ln in t.lines() if "Strike" in ln), "Delta"),
            "an 80-column frame",
        )  # fmt: skip
        text = term.text()
        assert text.count("Strike") == 1 and text.count(" IST") == 1
        rows = _strike_rows(term.lines())
        assert sum("▸" in row for row in rows) == 1
        term.interrupt()
        assert term.exit_code() == 0


def test_watch_json_prints_ndjson_snapshots(sandbox: Any, sandbox_login: Any) -> None:
    result = run_cli("chain", "NIFTY", "--strikes", "1", "--watch", "--json", "--iterations", "2")
    assert result.code == 0, result.both
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert len(lines) == 2 and all(doc["schema"] == "chain/1" for doc in lines)
    assert all(len(doc["rows"]) == 3 for doc in lines)


def test_one_shot_takes_the_oi_change_from_one_feed_snapshot(
    sandbox: Any, sandbox_login: Any
) -> None:
    """The REST quote has no previous OI; the feed's SNAP_QUOTE does: every shown option gets
    an OI change, and OI minus it is a whole number of lots (the previous session's OI)."""
    document = _chain_json("--strikes", "2")
    sides = [r[side] for r in document["rows"] for side in ("call", "put")]
    assert all(s["oi_change"] is not None for s in sides), sides
    assert any(s["oi_change"] != 0 for s in sides)
    assert all((s["oi"] - s["oi_change"]) % 65 == 0 for s in sides)
