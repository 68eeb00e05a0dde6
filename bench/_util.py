"""Small helpers shared by the benchmark scripts (timing subprocesses, medians)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def sandbox_admin(
    url: str, token: str, method: str, path: str, body: Any = None, timeout: float = 30
) -> Any:
    """An admin call to the sandbox at ``url`` with its admin token (a POST always as JSON);
    the JSON answer, None when empty."""
    import requests

    from angelctl.broker.sandbox_admin import ADMIN_HEADER

    if body is None and method.upper() == "POST":
        body = {}
    reply = requests.request(
        method, f"{url}/_sandbox/{path}", json=body, headers={ADMIN_HEADER: token}, timeout=timeout
    )
    reply.raise_for_status()
    return reply.json() if reply.content else None


def user_env(home: str) -> dict[str, str]:
    """This process's environment with a fresh user under ``home`` (XDG folders inside it),
    bytecode caching on: a user's shell, for the CLI's subprocesses."""
    env = {
        **os.environ,
        "HOME": home,
        "XDG_CONFIG_HOME": f"{home}/c",
        "XDG_STATE_HOME": f"{home}/s",
        "XDG_CACHE_HOME": f"{home}/k",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def angelctl_cmd() -> list[str]:
    script = BIN / "angelctl"
    return [str(script)] if script.exists() else [sys.executable, "-m", "angelctl"]


def time_command(
    cmd: list[str], runs: int, env: dict[str, str] | None = None, pause: float = 0.0
) -> list[float]:
    """Wall seconds of ``runs`` executions; each must exit 0."""
    times = []
    full_env = {**os.environ, **(env or {})}
    # Measure an installed program as users run it: with its bytecode cached (pip compiles
    # site-packages at install; the warm-up runs write the cache for an editable checkout).
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=full_env, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-500:]}")
        if pause:
            time.sleep(pause)
    return times


def describe(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return (
        f"{name:<40} median {statistics.median(ms):7.1f} ms   min {ms[0]:7.1f}   "
        f"max {ms[-1]:7.1f}   (n={len(ms)})"
    )
