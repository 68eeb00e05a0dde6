"""Shared fixtures: isolated folders per test, one sandbox per session (reset per test), and a
runner that invokes the real CLI in-process or as a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
# Real broker data, copied verbatim from ../shared/realdata (attribution in its SOURCES.md) so a
# clean clone tests against it with nothing beside it; test_realdata_copy.py keeps them equal.
REALDATA = REPO / "tests" / "realdata"


class ShiftedClock:
    """Real time plus an offset that ``sleep`` advances instead of sleeping.

    The sandbox and an in-process client share one instance, so a client that "waits" for the
    next TOTP step or a rate-limit slot moves both sides' time forward together.
    """

    def __init__(self) -> None:
        self.offset = 0.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.offset += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += seconds


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HOME, config, state and cache folders and a clean environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    for var in list(os.environ):
        if var.startswith("ANGELCTL_") or var in ("DBUS_SESSION_BUS_ADDRESS", "NO_COLOR"):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "120")
    return home


@pytest.fixture(scope="session")
def sandbox_clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture(scope="session")
def sandbox_server(sandbox_clock: ShiftedClock) -> Iterator[Any]:
    from angelctl.sandbox import SandboxConfig, SandboxServer

    server = SandboxServer(SandboxConfig(port=0), clock=sandbox_clock)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: Any, sandbox_clock: ShiftedClock) -> Any:
    """The session's sandbox, reset to its initial state for this test."""
    sandbox_server.engine.reset()
    sandbox_clock.offset = 0.0
    return sandbox_server


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def both(self) -> str:
        return self.out + self.err


def run_cli(*args: str, input: str | None = None) -> Result:
    """Run the real CLI in this process; stdin is not a TTY unless a test arranges it."""
    from angelctl.cli.app import run

    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO(input or "")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        old_stdin = sys.stdin
        sys.stdin = stdin
        try:
            code = run(list(args))
        finally:
            sys.stdin = old_stdin
    return Result(code, out.getvalue(), err.getvalue())


def run_cli_process(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> Result:
    """Run ``python -m angelctl`` as a real process with the test's environment."""
    proc = subprocess.run(
        [sys.executable, "-m", "angelctl", *args],
        input=input or "",
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=REPO,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli() -> Any:
    return run_cli


@pytest.fixture
def sandbox_login(sandbox: Any) -> Result:
    """A profile named ``sandbox`` logged in to the sandbox's demo account."""
    result = run_cli("login", "--sandbox", "--url", sandbox.rest_url, "--json")
    assert result.code == 0, result.both
    return result
