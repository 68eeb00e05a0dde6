"""``angelctl stream`` end to end against the sandbox: NDJSON when piped or with --json, the live
table only on a terminal, a closed pipe and Ctrl-C are exit 0, a refused session is exit 4."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from angelctl.status import ExitStatus
from tests.conftest import REPO, Terminal, admin, arm


def ndjson(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_stream_json_count_prints_exactly_n_tick_records_and_a_summary_on_stderr(
    cli: Any, sandbox: Any, sandbox_login: Any
) -> None:
    admin(sandbox, "POST", "config", feed_ticks_per_second=20)
    result = cli("stream", "SBIN", "--json", "--count", "5")
    assert result.code == 0, result.both
    records = ndjson(result.out)
    assert len(records) == 5
    assert {r["type"] for r in records} == {"tick"}
    assert {(r["symbol"], r["token"], r["mode"]) for r in records} == {("SBIN-EQ", "3045", "QUOTE")}
    assert all(r["ltp"] and r["volume"] is not None for r in records)
    summary = json.loads(result.err.strip().splitlines()[-1])
    assert summary["type"] == "summary" and summary["ticks"] == 5 and summary["reconnects"] == 0


def test_stream_piped_without_json_is_ndjson_and_never_draws_the_table(
    cli: Any, sandbox: Any, sandbox_login: Any
) -> None:
    admin(sandbox, "POST", "config", feed_ticks_per_second=20)
    result = cli("stream", "SBIN", "NIFTY", "--mode", "ltp", "--count", "6")
    assert result.code == 0, result.both
    records = ndjson(result.out)  # every stdout line is JSON: no table, no escape codes
    assert len(records) == 6 and {r["mode"] for r in records} == {"LTP"}
    assert {r["symbol"] for r in records} <= {"SBIN-EQ", "Nifty 50"}
    assert "Live feed" not in result.both and "\x1b[" not in result.out
    assert "not a terminal" in result.err
    assert "Stream summary" in result.err


def test_stream_duration_ends_with_exit_0(cli: Any, sandbox: Any, sandbox_login: Any) -> None:
    result = cli("stream", "SBIN", "--json", "--duration", "0.5")
    assert result.code == 0, result.both
    assert json.loads(result.err.strip().splitlines()[-1])["duration_s"] >= 0.5


def test_stream_with_a_refused_session_exits_4_with_the_login_hint(
    cli: Any, sandbox: Any, sandbox_login: Any
) -> None:
    arm(sandbox, name="ws_reject", status=401, route="smartStream", count=5)
    result = cli("stream", "SBIN", "--count", "1")
    assert result.code == ExitStatus.AUTH, result.both
    assert "Invalid Auth token" in result.err
    assert "hint: run `angelctl login`" in result.err
    assert result.out == ""


def test_stream_into_a_closed_pipe_exits_0(sandbox: Any, sandbox_login: Any) -> None:
    admin(sandbox, "POST", "config", feed_ticks_per_second=50)
    proc = subprocess.Popen(
        [sys.executable, "-m", "angelctl", "stream", "SBIN", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert json.loads(first)["type"] == "tick"
    proc.stdout.close()  # `| head -1`
    try:
        assert proc.wait(30) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()


def test_stream_on_a_terminal_repaints_the_table_and_ctrl_c_exits_0_with_a_summary(
    sandbox: Any, sandbox_login: Any
) -> None:
    admin(sandbox, "POST", "config", feed_ticks_per_second=20)
    with Terminal("stream", "SBIN") as term:
        screen = term.read_until(b"Live feed")
        screen += term.read_until(b"connected")
        term.interrupt()
        screen += term.read_until(b"Stream summary")
        code = term.exit_code()
    assert b"SBIN-EQ" in screen
    assert code == 0
