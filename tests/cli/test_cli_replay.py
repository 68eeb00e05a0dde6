"""Record and replay end to end: ``angelctl stream --record`` against the sandbox (a kill -9
leaves a readable file), ``sandbox serve --replay`` refusing bad files, and the shipped recording
replayed to a real ``angelctl stream --json`` process equal to the recording decoded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from angelctl.feed.decode import decode
from angelctl.feed.recording import FRAME, SUBSCRIPTIONS, read_recording
from angelctl.render.stream_json import tick_json
from angelctl.sandbox import ReplaySource, SandboxConfig, SandboxServer
from angelctl.sandbox.engine.replay import resolve_path
from angelctl.status import ExitStatus
from tests.conftest import REPO, admin, arm, run_cli
from tests.feed.test_feed_client import eventually


def test_stream_record_keeps_its_output_and_writes_every_frame(
    cli: Any, sandbox: Any, sandbox_login: Any, tmp_path: Path
) -> None:
    admin(sandbox, "POST", "config", feed_ticks_per_second=20)
    path = tmp_path / "day.rec"
    result = cli("stream", "SBIN", "--json", "--count", "5", "--record", str(path))
    assert result.code == 0, result.both
    printed = [json.loads(line) for line in result.out.splitlines()]
    assert len(printed) == 5
    got = read_recording(path)
    assert got.torn_records == 0 and got.header["ws_url"].endswith("/smart-stream")
    assert got.header["instruments"][0]["symbol"] == "SBIN-EQ"
    assert "token" not in json.dumps(got.header).lower().replace('"token"', "")
    subs = [r.json() for r in got.records if r.type == SUBSCRIPTIONS]
    assert subs[0] == [[2, 1, "3045"]]
    frames = [decode(r.payload) for r in got.frames]
    assert [tick_json(t, "SBIN-EQ") for t in frames[:5]] == printed
    assert "recorded" in result.err and str(path) in result.err


def test_stream_record_refuses_an_existing_file(
    cli: Any, sandbox: Any, sandbox_login: Any, tmp_path: Path
) -> None:
    path = tmp_path / "old.rec"
    path.write_bytes(b"keep me")
    result = cli("stream", "SBIN", "--count", "1", "--record", str(path))
    assert result.code == ExitStatus.USAGE
    assert "already exists" in result.err and "hint:" in result.err
    assert path.read_bytes() == b"keep me"


def recording_stream(sandbox: Any, path: Path) -> subprocess.Popen[bytes]:
    """``stream SBIN NIFTY --json --record PATH`` in its own process, at 50 ticks a second."""
    admin(sandbox, "POST", "config", feed_ticks_per_second=50)
    return subprocess.Popen(
        [sys.executable, "-m", "angelctl", "stream", "SBIN", "NIFTY", "--json", "--record",
         str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
    )  # fmt: skip


def test_a_recording_stream_killed_with_sigkill_leaves_a_readable_file(
    sandbox: Any, sandbox_login: Any, tmp_path: Path
) -> None:
    path = tmp_path / "killed.rec"
    proc = recording_stream(sandbox, path)
    try:
        assert proc.stdout is not None
        for _ in range(30):
            assert json.loads(proc.stdout.readline())["type"] == "tick"
        assert eventually(lambda: len(read_recording(path).frames) >= 10)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    got = read_recording(path)  # no exception, whatever the tail
    assert got.torn_records in (0, 1)
    assert len(got.frames) >= 10
    assert {decode(r.payload).token for r in got.frames} <= {"3045", "99926000"}


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_a_recording_stream_stopped_by_sigterm_or_sighup_ends_as_ctrl_c_does(
    sandbox: Any, sandbox_login: Any, tmp_path: Path, stop: int
) -> None:
    """A supervisor's stop (SIGTERM) or a closed terminal (SIGHUP) ends the stream as Ctrl-C
    does: the recording flushed and closed, holding every frame whose tick was printed, the
    summary on stderr, exit 0. By default Python dies at once and loses the last 200 ms."""
    path = tmp_path / "stopped.rec"
    proc = recording_stream(sandbox, path)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        printed = [json.loads(proc.stdout.readline()) for _ in range(30)]
        proc.send_signal(stop)
        printed += [json.loads(line) for line in proc.stdout.read().splitlines()]
        err = proc.stderr.read().decode()
        assert proc.wait(20) == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
    ticks = [t for t in printed if t["type"] == "tick"]
    got = read_recording(path)
    assert got.torn_records == 0
    assert len(got.frames) >= len(ticks) >= 30  # every printed tick's frame is in the file
    assert f"recorded {len(got.frames):,} frames to" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such recording"), (b"not a recording at all", "not an angelctl recording")],
)
def test_serve_replay_refuses_a_missing_or_foreign_file(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "bad.rec"
    if content is not None:
        path.write_bytes(content)
    result = run_cli("sandbox", "serve", "--port", "0", "--replay", str(path))
    assert result.code == ExitStatus.USAGE, result.both
    assert result.err.startswith("error:") and message in result.err
    assert len(result.err.strip().splitlines()) <= 2


def test_serve_replay_options_need_replay() -> None:
    result = run_cli("sandbox", "serve", "--port", "0", "--speed", "5")
    assert result.code == ExitStatus.USAGE and "need --replay" in result.err


@pytest.fixture
def replaying() -> Iterator[SandboxServer]:
    """The shipped recording from 09:39 IST at 20× speed, held until the test starts it."""
    source = ReplaySource("banknifty-sample", speed=20, start=time(9, 39), hold=True)
    with SandboxServer(SandboxConfig(port=0, rate_limit_enabled=False), replay=source) as server:
        yield server


def test_the_shipped_recording_replays_to_stream_json_exactly(replaying: SandboxServer) -> None:
    login = run_cli("login", "--sandbox", "--url", replaying.rest_url, "--admin-token-stdin",
                    "--json", input=replaying.admin_token)  # fmt: skip
    assert login.code == 0, login.both
    recording = read_recording(resolve_path("banknifty-sample"))
    since = recording.frames[0].wall.replace(hour=4, minute=9, second=0, microsecond=0)  # 09:39
    expected = [
        decode(r.payload)
        for r in recording.records
        if r.type == FRAME and r.wall >= since and r.payload[0] == 3
        and decode(r.payload).token in ("1594", "41735")
    ]  # fmt: skip
    names = {"1594": "INFY-EQ", "41735": "BANKNIFTY-REC41735"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "angelctl", "stream", "NSE:1594", "NFO:41735", "--mode", "snap",
         "--json", "--count", str(len(expected))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        assert eventually(lambda: _subscriptions(replaying) == 2, timeout=30)
        replaying.engine.replay_start()
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    got = [json.loads(line) for line in out.splitlines()]
    assert got == [tick_json(t, names[t.token]) for t in expected]  # none lost, none reordered
    last = next(t for t in reversed(expected) if t.token == "41735")
    quote = replaying.engine.market_view("NFO", "41735")["quote"]
    assert quote["ltp"] == float(last.ltp)  # REST follows the replay too


def _subscriptions(server: SandboxServer) -> int:
    import urllib.request

    request = urllib.request.Request(
        f"{server.admin_url}/ws", headers={"X-Sandbox-Admin": server.admin_token}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        stats = json.load(response)
    return sum(len(c["subscriptions"]) for c in stats["smartStream"]["connections"])


def test_a_recording_goes_on_across_a_reconnect_and_notes_the_gap(
    cli: Any, sandbox: Any, sandbox_login: Any, tmp_path: Path
) -> None:
    admin(sandbox, "POST", "config", feed_ticks_per_second=20)
    arm(sandbox, name="ws_drop", mode="close", code=4000, after_frames=3, route="smartStream",
        count=1)  # fmt: skip
    path = tmp_path / "gap.rec"
    result = cli("stream", "SBIN", "--json", "--count", "8", "--record", str(path))
    assert result.code == 0, result.both
    kinds = []
    for record in read_recording(path).records:
        if record.type == FRAME:
            if not kinds or kinds[-1] != "frame":
                kinds.append("frame")
        else:
            kinds.append(record.json()["event"] if record.type != SUBSCRIPTIONS else "subs")
    assert kinds[:7] == [
        "connected", "subs", "frame", "disconnected", "connected", "subs", "frame",
    ]  # fmt: skip
