"""Shared set-up of the feed benchmarks: a sandbox in its own process (so the client's CPU is
measured alone), a logged-in session factory for it, instrument tokens, admin calls, and the
CPU time of one thread read from /proc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _util import sandbox_admin  # noqa: E402

from angelctl.broker.api import build_session, fetch_sandbox_demo  # noqa: E402
from angelctl.broker.session import BrokerSession  # noqa: E402
from angelctl.config import ProfileSettings, sandbox_urls  # noqa: E402
from angelctl.instruments.model import EXCHANGE_TYPES  # noqa: E402
from angelctl.secrets import SandboxDemoStore, Secret  # noqa: E402


@contextmanager
def sandbox_process() -> Iterator[dict[str, Any]]:
    """``angelctl sandbox serve --port 0 --json`` in a child process; yields its ready line."""
    with tempfile.TemporaryDirectory(prefix="angelctl-bench-") as home:
        env = {**os.environ, "HOME": home, "XDG_STATE_HOME": f"{home}/state"}
        env.update(XDG_CONFIG_HOME=f"{home}/config", XDG_CACHE_HOME=f"{home}/cache")
        os.environ.update({k: env[k] for k in ("XDG_STATE_HOME", "XDG_CONFIG_HOME")})
        cmd = [sys.executable, "-m", "angelctl", "sandbox", "serve", "--port", "0", "--json"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
        try:
            assert proc.stdout is not None
            info: dict[str, Any] = json.loads(proc.stdout.readline())
            info["pid"] = proc.pid
            yield info
        finally:
            proc.terminate()
            proc.wait(10)


def session_factory(info: dict[str, Any]) -> Callable[[], BrokerSession]:
    """Sessions of a ``sandbox-demo`` profile that fetch the demo account with the token."""
    token = Secret(info["admin_token"])
    store = SandboxDemoStore(lambda _: fetch_sandbox_demo(info["rest_url"], token))
    settings = ProfileSettings(
        name="bench",
        environment="sandbox",
        credential_store="sandbox-demo",
        client_code=info["demo"]["client_code"],
        **sandbox_urls(info["rest_url"]),
    )
    return lambda: build_session(settings, store=store)


def admin(info: dict[str, Any], method: str, path: str, **payload: Any) -> Any:
    return sandbox_admin(info["rest_url"], info["admin_token"], method, path, payload or None)


def feed_tokens(info: dict[str, Any], count: int) -> dict[int, list[str]]:
    """``count`` instrument tokens of the sandbox's universe, grouped by feed exchange type."""
    rows = admin(info, "GET", "instruments")["rows"]
    grouped: dict[int, list[str]] = {}
    for row in rows[:count]:
        grouped.setdefault(EXCHANGE_TYPES[row["exch_seg"]], []).append(row["token"])
    if sum(len(v) for v in grouped.values()) < count:
        raise SystemExit(f"the sandbox lists only {len(rows)} instruments; {count} wanted")
    return grouped


def thread_cpu_seconds(native_id: int) -> float:
    """utime + stime of one thread of this process (from /proc, clock-tick resolution)."""
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spawn_on_pty(
    cwd: Path, args: list[str], env: dict[str, str], lines: int, columns: int
) -> tuple[int, int]:
    """``python -m angelctl ARGS`` on a new pseudo-terminal of ``lines`` x ``columns``:
    (its pid, the terminal's master fd)."""
    import fcntl
    import pty
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.chdir(cwd)
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
            os.execvpe(sys.executable, [sys.executable, "-m", "angelctl", *args], env)
        finally:
            os._exit(127)
    return pid, fd


def drain_pty(fd: int, seconds: float) -> bytes:
    """Read the pty for ``seconds`` as a terminal would (a blocked writer would idle); the
    last 64 KiB written. Stops early when the child closes it."""
    import select
    import time

    end = time.monotonic() + seconds
    tail = b""
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], min(left, 0.1))
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            break
        tail = (tail + chunk)[-(1 << 16) :]
    return tail


def stop_on_pty(pid: int, fd: int) -> None:
    """Ctrl-C the CLI, let it finish for up to 3 s (its output drained), then make sure."""
    import contextlib
    import signal

    os.kill(pid, signal.SIGINT)
    drain_pty(fd, 3.0)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    os.close(fd)


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))
