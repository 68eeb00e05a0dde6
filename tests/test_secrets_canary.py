"""Scenarios docs/scenarios.md#d1--no-secrets-in-any-output and
docs/scenarios.md#d2--no-secrets-in-argv-or-environment: canary secrets never reach any output,
file, URL, argv or environment.

Every command runs as a real process with --debug and a log file while the sandbox injects
timeouts, 4xx, 5xx, non-JSON bodies and token expiry (so tracebacks and refresh paths run too).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from angelctl.config import cache_dir, config_dir, state_dir
from tests.conftest import REPO, Result, ShiftedClock, admin_request, arm, sandbox_admin

API_KEY = "canary-apikey-7f3a9c1e55"
MPIN = "9067"
SEED = "CANARYSEEDQ7ZP3KX2M4WN6TVB5Y"
CLIENT = "CANARY01"


@pytest.fixture(scope="module")
def canary_sandbox() -> Iterator[Any]:
    from angelctl.sandbox import SandboxConfig, SandboxServer
    from angelctl.sandbox.config import SandboxAccount

    account = SandboxAccount(
        client_code=CLIENT, api_key=API_KEY, mpin=MPIN, totp_secret=SEED, name="Canary"
    )
    with SandboxServer(SandboxConfig(port=0, demo=account), clock=ShiftedClock()) as server:
        yield server


def mpin_leaks(text: str) -> bool:
    return re.search(rf"(?<!\d){MPIN}(?!\d)", text) is not None


def run(*args: str, input: str = "") -> tuple[Result, dict[str, str]]:
    """Run angelctl as a process; read its /proc cmdline and environ while it runs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "angelctl", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    seen = {name: proc_text(proc.pid, name) for name in ("cmdline", "environ")}
    out, err = proc.communicate(input, timeout=120)
    return Result(proc.returncode, out, err), seen


def proc_text(pid: int, name: str) -> str:
    """/proc/PID/NAME of a process just started: empty for a moment after exec (a read then
    would check nothing), so read again until it is not; Python's start-up outlasts that."""
    deadline = time.monotonic() + 10
    while not (data := Path(f"/proc/{pid}/{name}").read_bytes()) and time.monotonic() < deadline:
        time.sleep(0.001)
    assert data, f"/proc/{pid}/{name} stayed empty"
    return data.decode(errors="replace")


def test_no_canary_secret_appears_anywhere(canary_sandbox: Any, tmp_path: Path) -> None:
    url = canary_sandbox.rest_url
    log = tmp_path / "angelctl.log"
    dbg = ("--debug", "--log-file", str(log), "--profile", "c")
    outputs: list[str] = []
    procs: list[dict[str, str]] = []
    tokens: set[str] = set()
    session_file = state_dir() / "sessions" / "c.json"

    def step(*args: str, input: str = "", expect: int | None = None) -> Result:
        result, seen = run(*dbg, *args, input=input)
        outputs.extend([result.out, result.err])
        procs.append(seen)
        if expect is not None:
            assert result.code == expect, result.both
        if session_file.exists():
            cached = json.loads(session_file.read_text())
            tokens.update(cached[k] for k in ("jwt", "refresh", "feed"))
        return result

    secrets = f"api_key={API_KEY}\nmpin={MPIN}\ntotp_secret={SEED}\n"
    step(
        "login",
        "--url",
        url,
        "--client-code",
        CLIENT,
        "--stdin",
        "--allow-plaintext-store",
        input=secrets,
        expect=0,
    )
    step("whoami", expect=0)
    arm(canary_sandbox, name="expire_tokens")  # refresh path: new tokens
    step("funds", "--json", expect=0)
    arm(canary_sandbox, name="http_5xx", status=502, route="getRMS")
    step("funds", expect=9)
    sandbox_admin(canary_sandbox, "DELETE", "faults")
    arm(canary_sandbox, name="waf_html", route="getProfile", count=1)
    step("whoami", expect=8)
    arm(canary_sandbox, name="empty_400", route="getProfile", count=1)
    step("whoami", "--json", expect=8)
    step("config", "set", "read_timeout", "0.3", expect=0)
    arm(canary_sandbox, name="hold", seconds=1.0, route="logout", count=1)
    step("logout", expect=6)  # read timeout on a write: surfaced, not resent
    step("doctor", "--json")
    step("config", "show")
    step("logout", expect=0)
    assert len(tokens) >= 6  # the login's and the refresh's jwt, refresh and feed tokens

    canaries = [API_KEY, SEED, *tokens]
    texts = {"stdout/stderr": "\n".join(outputs), "log file": log.read_text()}
    for folder in (config_dir(), cache_dir(), state_dir()):
        for path in folder.rglob("*") if folder.exists() else []:
            if (
                path.is_file()
                and path.parent.name != "sessions"
                and path.name != "credentials.json"
            ):
                texts[str(path)] = path.read_bytes().decode(errors="replace")
    # The raw targets, as the client sent them (the admin route masks them), and the log as the
    # admin route shows it: secrets masked.
    texts["URLs the sandbox saw"] = "\n".join(r.target for r in canary_sandbox.engine.log.records())
    texts["the sandbox's request log"] = admin_request(canary_sandbox, "GET", "requests").text
    texts["argv"] = "\n".join(p["cmdline"] for p in procs)
    texts["environment"] = "\n".join(p["environ"] for p in procs)
    hits = {
        where: [c[:12] for c in canaries if c in text] + (["MPIN"] if mpin_leaks(text) else [])
        for where, text in texts.items()
    }
    assert {where: found for where, found in hits.items() if found} == {}
    assert "> POST" in texts["log file"] and "Bearer ***" in texts["log file"]
