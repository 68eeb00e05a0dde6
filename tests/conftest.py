"""Shared fixtures: isolated folders per test, one sandbox per session (reset per test), and a
runner that invokes the real CLI in-process or as a subprocess.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import pty
import select
import signal
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

from tests import json_contract

REPO = Path(__file__).resolve().parent.parent
# Real broker data, copied verbatim from the project's real-data folder (attribution in its
# SOURCES.md) so a clean clone tests against it with nothing beside it; test_realdata_copy.py keeps
# them equal.
REALDATA = REPO / "tests" / "realdata"


class FixedClock:
    """A clock stopped at ``moment`` (the journal stamps from it); ``sleep`` moves it on."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def monotonic(self) -> float:
        return 0.0

    def sleep(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


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
    """One sandbox for the session; its admin routes want ``server.admin_token`` (random)."""
    from angelctl.sandbox import SandboxConfig, SandboxServer

    server = SandboxServer(SandboxConfig(port=0), clock=sandbox_clock)
    server.start()
    yield server
    server.stop()


def admin_request(server: Any, method: str, path: str, body: Any = None, **kw: Any) -> Any:
    """One request to an admin route of ``server`` (a ``SandboxServer``: ``rest_url`` and
    ``admin_token``) with its token; a POST always carries JSON (``{}`` without a body).
    The ``requests`` response, whatever its status."""
    import requests

    from angelctl.broker.sandbox_admin import ADMIN_HEADER

    if body is not None or method.upper() == "POST":
        kw["json"] = {} if body is None else body
    kw.setdefault("timeout", 10)
    url = f"{server.rest_url}/_sandbox/{path.lstrip('/')}"
    return requests.request(method, url, headers={ADMIN_HEADER: server.admin_token}, **kw)


def sandbox_admin(server: Any, method: str, path: str, body: Any = None, **kw: Any) -> Any:
    """``admin_request`` that must succeed (< 300); its JSON answer (None when empty)."""
    reply = admin_request(server, method, path, body, **kw)
    assert reply.status_code < 300, reply.text
    return reply.json() if reply.content else None


def admin(server: Any, method: str, path: str, **body: Any) -> Any:
    """``sandbox_admin`` with the body as keywords: ``admin(sandbox, "POST", "market/freeze",
    frozen=True)``. The one helper every test uses to drive a sandbox's admin routes."""
    return sandbox_admin(server, method, path, body or None)


def arm(server: Any, **fault: Any) -> None:
    """Arm one fault (``sandbox fault set``'s fields as keywords)."""
    sandbox_admin(server, "POST", "faults", fault)


def requests_seen(server: Any) -> list[dict[str, Any]]:
    """The sandbox's masked request log, oldest first."""
    data = sandbox_admin(server, "GET", "requests")
    rows: list[dict[str, Any]] = data["requests"] if isinstance(data, dict) else data
    return rows


def routes_seen(server: Any) -> list[str]:
    return [entry.get("route") or entry.get("route_name") or "" for entry in requests_seen(server)]


def sandbox_orders(server: Any, tag: str | None = None) -> list[dict[str, Any]]:
    """The paper broker's own order book (every account), optionally only one tag's orders."""
    reply = sandbox_admin(server, "GET", "orders", params={"tag": tag} if tag else None)
    rows: list[dict[str, Any]] = reply["orders"] if isinstance(reply, dict) else reply
    return rows


def remember_admin_token(server: Any, profile: str) -> None:
    """Keep ``server``'s admin token for ``profile`` as `login --sandbox` does, so that a
    ``sandbox-demo`` profile set up without a login can fetch the demo account."""
    from angelctl.broker.sandbox_admin import token_folder
    from angelctl.secrets import SANDBOX_ADMIN_TOKEN, SandboxDemoStore, Secret

    store = SandboxDemoStore(lambda _: {}, token_folder())
    store.set(profile, SANDBOX_ADMIN_TOKEN, Secret(server.admin_token))


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


def run_cli(*args: str, input: str | None = None, clock: Any = None) -> Result:
    """Run the real CLI in this process; stdin is not a TTY unless a test arranges it. With
    ``clock`` the run takes all its time from it (``cli.environment``): the sandbox's clock
    makes every wait move both sides' time forward instead of passing."""
    from angelctl.cli.app import run
    from angelctl.cli.environment import Environment

    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO(input or "")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        old_stdin = sys.stdin
        sys.stdin = stdin
        try:
            code = run(list(args), Environment.of_process(clock))
        finally:
            sys.stdin = old_stdin
    if "--json" in args:
        json_contract.check(out.getvalue())
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
    if "--json" in args:
        json_contract.check(proc.stdout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


class Terminal:
    """``python -m angelctl ARGS`` on a real pseudo-terminal, as a person runs it.

    Use it as a context manager: leaving the block early (a failed assertion) kills the child,
    so a test never hangs waiting for a process that is blocked writing to a full terminal.
    """

    def __init__(self, *args: str, timeout: float = 60) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: angelctl on the terminal
            try:
                os.chdir(REPO)
                # A test run started as a background job inherits SIGINT ignored, and Python
                # keeps an ignored SIGINT ignored; a person's terminal delivers Ctrl-C.
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.execvpe(sys.executable, [sys.executable, "-m", "angelctl", *args], os.environ)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.deadline = time.monotonic() + timeout
        self.status: int | None = None

    def read_until(self, needle: bytes) -> bytes:
        seen = b""
        while needle not in seen:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"did not see {needle!r} in {seen[-2000:]!r}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                chunk = self._read()
                if not chunk:
                    raise AssertionError(f"the terminal closed before {needle!r}: {seen!r}")
                seen += chunk
        return seen

    def read_to_end(self) -> bytes:
        seen = b""
        while chunk := self._read():
            seen += chunk
        return seen

    def _read(self) -> bytes:
        try:
            return os.read(self.fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            return b""

    def write(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def interrupt(self) -> None:
        os.kill(self.pid, signal.SIGINT)

    def wait_for_echo_off(self) -> None:
        """Hidden prompts turn terminal echo off (and flush input) before reading."""
        import termios

        while termios.tcgetattr(self.fd)[3] & termios.ECHO:
            if time.monotonic() > self.deadline:
                raise AssertionError("the prompt never turned echo off")
            select.select([], [], [], 0.01)

    def exit_code(self) -> int:
        """Drain the terminal (the child may still be writing) and reap the child."""
        self.read_to_end()
        _, status = os.waitpid(self.pid, 0)
        self.status = status
        return os.waitstatus_to_exitcode(status)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


@pytest.fixture
def cli() -> Any:
    return run_cli


@pytest.fixture
def cli_on_sandbox_time(sandbox_clock: ShiftedClock) -> Any:
    """The CLI on the sandbox's clock: a poll, a rate-limit slot or a re-price delay moves both
    sides' time forward at once instead of passing, so a kill or a guard run takes as long as
    its requests do."""
    return functools.partial(run_cli, clock=sandbox_clock)


@pytest.fixture
def sandbox_login(sandbox: Any) -> Result:
    """A profile named ``sandbox`` logged in to the sandbox's demo account."""
    result = run_cli(
        "login",
        "--sandbox",
        "--url",
        sandbox.rest_url,
        "--admin-token-stdin",
        "--json",
        input=sandbox.admin_token,
    )
    assert result.code == 0, result.both
    return result
