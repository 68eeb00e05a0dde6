"""``angelctl killswitch --drill``: scenario files and their errors, a private sandbox that never
touches the operator's latch or journal, the verdict read from the sandbox's own books,
repeatable reports (equal JSON for one scenario and seed, different for another seed), a second
client's orders and out-of-scope orders left alone, the recording seam, and the screen at 80
columns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyte
import pytest

from angelctl.cli.drill_host import RecordingMarket, SyntheticMarket, host_drill, market_source
from angelctl.config import cache_dir, config_dir, state_dir
from angelctl.drill.scenario import ScenarioError, load_scenario
from angelctl.status import ExitStatus
from tests.conftest import REPO, Terminal, run_cli, run_cli_process

DRILLS = REPO / "angelctl" / "drills"
CALM = DRILLS / "calm-index-options.toml"
BAD = DRILLS / "bad-day.toml"


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


SMALL = """
[market]
seed = 11
start = "2026-03-10 11:00"
request_latency_ms = 20

[[positions]]
symbol = "SBIN"
qty = 10
product = "INTRADAY"
"""


# ----------------------------------------------------------------------- scenarios and errors


def test_shipped_scenarios_parse() -> None:
    calm, bad = load_scenario(CALM), load_scenario(BAD)
    assert calm.name == "calm-index-options" and len(calm.positions) == 4 and not calm.faults
    assert [f["name"] for f in bad.faults] == ["latency", "error_reply", "rate_limit"]
    assert [o.client for o in bad.orders].count("other") == 2
    assert bad.start.isoformat() == "2026-03-10T14:50:00+05:30"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SMALL + "colour = 1\n", "line 11: positions[0].colour: unknown key"),
        (SMALL.replace("qty = 10", "qty = 0"), "line 9: positions[0].qty: give exactly one"),
        (SMALL + "\n[[orders]]\nsymbol = 'SBIN'\nqty = 1\nside = 'HOLD'\n", "orders[0].side"),
        (SMALL.replace("seed = 11", "seed = 'x'"), "line 3: market.seed: must be an integer"),
        (SMALL.replace('"2026-03-10 11:00"', '"10:00"'), "market.start: must be YYYY-MM-DD"),
        (SMALL + "\n[kill]\nbudget = 0\n", "kill.budget: must be 1..3600"),
        (SMALL + "\n[weather]\n", "weather: unknown section"),
        (SMALL + "\n[[faults]]\nname = 'ws_drop'\n", "socket faults"),
        ("[market\n", "not valid TOML"),
    ],
)
def test_validation_names_file_line_key_and_problem(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(path) in caught.value.message and expected in caught.value.message


def test_a_bad_scenario_exits_2_naming_what_is_wrong(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL + "\n[[faults]]\nname = 'latency'\nms = -5\n")
    result = run_cli("killswitch", "--drill", str(path))
    assert result.code == ExitStatus.USAGE, result.both
    assert "line 12: faults[0]: latency.ms must be in 0..600000" in result.err
    unknown = write(tmp_path, SMALL.replace('"SBIN"', '"NOSUCHSTOCK"'), "u.toml")
    result = run_cli("killswitch", "--drill", str(unknown), "--json")
    assert result.code == ExitStatus.USAGE
    assert "positions[0].symbol" in result.json()["error"]["message"]
    missing = run_cli("killswitch", "--drill", str(tmp_path / "nope.toml"))
    assert missing.code == ExitStatus.USAGE and "cannot read the scenario" in missing.err


INFY_ON_A_RECORDING = """
[market]
seed = 7
start = "2024-12-20 09:25"
request_latency_ms = 40
recording = "banknifty-sample"
from = "09:25"

[[positions]]
symbol = "INFY"
qty = 50
product = "INTRADAY"
"""


def test_a_recording_that_cannot_be_read_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    scenario = load_scenario(CALM)
    assert isinstance(market_source(scenario), SyntheticMarket)
    assert isinstance(market_source(scenario, tmp_path / "day.rec"), RecordingMarket)
    missing = run_cli("killswitch", "--drill", str(CALM), "--recording", str(tmp_path / "d.rec"))
    assert missing.code == ExitStatus.USAGE and "no such recording" in missing.err
    (tmp_path / "x.rec").write_bytes(b"not a recording at all")
    with_file = write(tmp_path, SMALL.replace("seed = 11", "seed = 11\nrecording = 'x.rec'"))
    damaged = run_cli("killswitch", "--drill", str(with_file))
    assert damaged.code == ExitStatus.USAGE, damaged.both
    assert run_cli("killswitch", "--seed", "3", "--yes").code == ExitStatus.USAGE


def test_a_drill_on_a_recording_trades_the_replayed_prices_and_repeats(tmp_path: Path) -> None:
    """The shipped recording drives the private sandbox: the exit's reference is a price the
    recording holds for INFY around 09:25 IST (read from the file by the feed decoder, not by
    the sandbox), and two runs give the same report."""
    from datetime import datetime

    from angelctl.clock import IST
    from angelctl.feed.decode import decode
    from angelctl.feed.recording import FRAME, read_recording
    from angelctl.sandbox.engine.replay import resolve_path

    scenario = load_scenario(write(tmp_path, INFY_ON_A_RECORDING))
    first, second = (host_drill(scenario).as_dict() for _ in range(2))
    assert json.dumps(first) == json.dumps(second)
    assert first["verdict"]["flat"] is True
    assert "recording banknifty-sample" in first["scenario"]["market"]
    (leg,) = first["legs"]
    window = (datetime(2024, 12, 20, 9, 24, tzinfo=IST), datetime(2024, 12, 20, 9, 26, tzinfo=IST))
    recorded = {
        str(tick.ltp)
        for record in read_recording(resolve_path("banknifty-sample")).records
        if record.type == FRAME and window[0] <= record.wall <= window[1]
        for tick in [decode(record.payload)]
        if tick.token == "1594"  # INFY
    }
    assert recorded and str(leg["reference_price"]) in recorded


# ------------------------------------------------------------------------ the drill itself


def tree(*folders: Path) -> dict[str, bytes]:
    return {
        str(p): p.read_bytes()
        for folder in folders
        if folder.exists()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_drill_never_touches_the_operators_latch_or_journal(tmp_path: Path) -> None:
    from angelctl.orders.journal import Journal

    journal = Journal(state_dir() / "journal.sqlite3")
    journal.risk_event("live", "run1", "latched", {"reason": "yesterday"})
    journal.close()
    before = tree(state_dir(), config_dir(), cache_dir())
    # --yes would latch at once on a real kill (cli.fastlatch): a drill must not
    result = run_cli("killswitch", "--drill", str(BAD), "--yes", "--json")
    assert result.code == 0, result.both
    assert tree(state_dir(), config_dir(), cache_dir()) == before
    assert not (state_dir() / "killswitch").exists()
    doc = result.json()
    assert doc["schema"] == "killswitch.drill/1" and doc["verdict"]["flat"] is True


def test_reports_are_identical_for_one_seed_and_differ_for_another() -> None:
    scenario = load_scenario(CALM)
    first = json.dumps(host_drill(scenario).as_dict())
    second = json.dumps(host_drill(scenario).as_dict())
    assert first == second
    other = host_drill(scenario.with_seed(scenario.seed + 1)).as_dict()
    assert json.dumps(other) != first
    assert other["scenario"]["seed"] == scenario.seed + 1
    doc = json.loads(first)
    assert doc["simulated_time"] is True and doc["time_to_flat_seconds"] > 0
    assert len(doc["legs"]) == 4 and all(leg["filled_qty"] for leg in doc["legs"])
    assert len(doc["cancelled"]) == 2 and len(doc["gtt_cancelled"]) == 2
    placed = [r for r in doc["requests"] if r["route"] == "placeOrder"]
    assert len(placed) == 4 and doc["calls"]["placeOrder"] == 4


def test_reports_are_identical_across_processes_and_hash_seeds() -> None:
    """Byte for byte, as the bench checks: two processes whose set and dict hashing differ
    (``PYTHONHASHSEED``) print the same document."""
    runs = [
        run_cli_process("killswitch", "--drill", str(BAD), "--json", env={"PYTHONHASHSEED": s})
        for s in ("1", "2")
    ]
    assert all(r.code == 0 for r in runs), runs[0].both
    assert runs[0].out == runs[1].out


def test_slippage_is_signed_as_a_cost() -> None:
    doc = host_drill(load_scenario(CALM)).as_dict()
    total = 0.0
    for leg in doc["legs"]:
        ref, fill = float(leg["reference_price"]), float(leg["fill_price"])
        cost = (ref - fill) if leg["start_qty"] > 0 else (fill - ref)
        assert float(leg["slippage_per_unit"]) == pytest.approx(cost, abs=1e-4)
        assert float(leg["slippage_rupees"]) == pytest.approx(cost * leg["filled_qty"], abs=0.01)
        assert leg["slippage_ticks"] == pytest.approx(cost / float(leg["tick_size"]), abs=0.01)
        total += float(leg["slippage_rupees"])
    assert float(doc["total_slippage_rupees"]) == pytest.approx(total, abs=0.01)


def test_faults_fire_and_the_second_clients_orders_stay(tmp_path: Path) -> None:
    doc = host_drill(load_scenario(BAD)).as_dict()
    assert doc["faults_fired"] == {"error_reply": 1, "latency": 12, "rate_limit": 1}
    refused = [r for r in doc["requests"] if "error_reply" in r["faults"]]
    assert refused[0]["route"] == "placeOrder" and refused[0]["code"] == "AB1004"
    assert [o["status"] for o in doc["other_client_orders"]] == ["open", "open"]
    assert not {o["order_id"] for o in doc["other_client_orders"]} & {
        c["order_id"] for c in doc["cancelled"]
    }
    assert doc["verdict"]["flat"] and doc["verdict"]["agrees"]


def test_out_of_scope_orders_and_positions_are_left_alone(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        SMALL
        + """
[[positions]]
symbol = "NIFTY FUT MAR"
lots = 1

[[orders]]
side = "BUY"
symbol = "SBIN"
qty = 5
tag = "cashdesk"

[[orders]]
side = "SELL"
symbol = "NIFTY FUT MAR"
lots = 1
tag = "fnodesk"

[kill]
segments = ["NFO"]
""",
    )
    doc = host_drill(load_scenario(path)).as_dict()
    assert [c["symbol"] for c in doc["cancelled"]] == ["NIFTY30MAR26FUT"]
    assert [leg["symbol"] for leg in doc["legs"]] == ["NIFTY30MAR26FUT"]
    assert doc["verdict"]["flat"] and doc["scope"]["segments"] == ["NFO"]


def test_the_verdict_comes_from_the_sandbox_books(tmp_path: Path) -> None:
    """Every exit refused and a short budget: the books still hold the position, and the
    report says so from them (exit 15)."""
    path = write(
        tmp_path,
        SMALL + "\n[[faults]]\nname = 'rate_limit'\nroute = 'placeOrder'\n\n[kill]\nbudget = 5\n",
    )
    result = run_cli("killswitch", "--drill", str(path), "--json")
    assert result.code == ExitStatus.NOT_FLAT, result.both
    verdict = result.json()["verdict"]
    assert verdict["flat"] is False and verdict["kill_said_done"] is False
    assert verdict["positions_open"] == [
        {"exchange": "NSE", "symbol": "SBIN-EQ", "product": "INTRADAY", "net_qty": 10}
    ]
    assert result.json()["time_to_flat_seconds"] is None


# ---------------------------------------------------------------------------- the screen


def test_the_report_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    screen = pyte.Screen(80, 300)
    stream = pyte.ByteStream(screen)
    with Terminal("killswitch", "--drill", str(BAD), timeout=120) as term:
        stream.feed(term.read_to_end())
        assert term.exit_code() == 0, "\n".join(screen.display)
    text = "\n".join(line.rstrip() for line in screen.display)
    assert "Drill bad-day — FLAT in" in text and "s simulated" in text
    assert "2026-03-10 14:50:00 IST" in text
    assert re.search(r"-₹\d,\d{3}\.\d{2}", text)  # a gain: Indian grouping, the sign in front
    assert "BANKNIFTY30MAR2654000PE" in text and "…" not in text
    assert "placeOrder    200 AB1004" in text
    assert "Second client's orders: 2, left open" in text


def test_help_names_the_drill() -> None:
    result = run_cli("killswitch", "--help")
    assert "--drill" in result.out and "--recording" in result.out and "--seed" in result.out
