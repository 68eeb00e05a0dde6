"""Every command a hint can print runs (issue 15 item 5: "a test runs every hint command the
CLI can print and requires it to work"): 100 %, counted.

``collect`` reads every string of the package with ``ast`` (docstrings, option help and the
command table left out: they are not hints) and takes each command in backticks (```angelctl
login```, ```login --sandbox```) and each ``hint=`` that is itself a command. An f-string's
fields are kept as ``{…}``. ``RUNS`` says how each one is run as a person would: the profile
the run used for ``{…}``, a real value for a placeholder in capitals (``SYMBOL`` → ``SBIN``),
the standard input or the answers typed at a terminal prompt. A hint missing from ``RUNS``
fails the first test, so a new hint is run too.

The world each one runs in: the test's sandbox, ``ANGELCTL_API_URL`` pointing at it, the token
`sandbox serve` leaves for this user, a `login --sandbox` profile (``sandbox``), the instrument
index — what an operator who followed the README has.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

import angelctl
from tests.calendar_data import NSE_2026
from tests.conftest import Result, Terminal, run_cli

ROOT = Path(angelctl.__file__).parent
NOT_HINTS = {"cli/roothelp.py", "cli/argv.py"}  # the root help, the command table
COMMAND_WORDS = (
    "login|logout|whoami|funds|doctor|config|instruments|order|gtt|reconcile|journal|quote|"
    "stream|trades|positions|holdings|margin|sandbox|calendar|killswitch|kill|guard"
)
BACKTICKED = re.compile(rf"`((?:angelctl )?(?:{COMMAND_WORDS}|-h\b)[^`]*)`")


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"  # type: ignore[attr-defined]
            for v in node.values
        )
    return None


def _skipped(tree: ast.AST) -> set[int]:
    """Docstrings and ``help=`` values: what the CLI prints as help, not as a hint."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))
        if isinstance(node, ast.keyword) and node.arg == "help":
            skip.update(id(n) for n in ast.walk(node.value))
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
    return skip


def collect() -> dict[str, list[str]]:
    """Each hint command (without ``angelctl``) → where it is written."""
    found: dict[str, list[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in NOT_HINTS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _skipped(tree)
        hints = {
            id(kw.value)
            for kw in ast.walk(tree)
            if isinstance(kw, ast.keyword) and kw.arg == "hint"
        }
        for node in ast.walk(tree):
            text = None if id(node) in skip else _text(node)
            if text is None:
                continue
            commands = [m.group(1) for m in BACKTICKED.finditer(text)]
            if id(node) in hints and text.startswith("angelctl ") and "`" not in text:
                commands.append(text)
            for command in commands:
                command = command.removeprefix("angelctl ").strip()
                found.setdefault(command, []).append(f"{name}:{node.lineno}")  # type: ignore[attr-defined]
    return found


@dataclasses.dataclass(frozen=True)
class Run:
    """How to run one hint: ``args`` replaces the printed words when a placeholder needs a
    value (None: run as printed, ``{…}`` → the profile); ``stdin`` is piped; ``answers`` are
    typed at a terminal, each after its prompt; ``setup`` prepares what the hint is about."""

    args: tuple[str, ...] | None = None
    stdin: str | None = None
    answers: tuple[tuple[bytes, str], ...] = ()
    setup: Callable[[Any], None] | None = None


def _engaged(sandbox: Any) -> None:
    assert run_cli("killswitch", "--yes", "--cancel-only", "--reason", "drill").code == 0


def _keyring_profile(sandbox: Any) -> None:
    """A profile whose secrets are to be typed (the plaintext store's case)."""
    from angelctl.config import config_path
    from angelctl.config_edit import write_profile_values

    write_profile_values(
        config_path(), "typed", {"environment": "sandbox", "client_code": "SBX0001",
                                 "credential_store": "plaintext"}
    )  # fmt: skip


def _master(sandbox: Any) -> None:
    import requests

    reply = requests.get(f"{sandbox.rest_url}/OpenAPI_File/files/OpenAPIScripMaster.json",
                         timeout=30)  # fmt: skip
    Path("master.json").write_bytes(reply.content)


DEMO = (
    (b"SmartAPI API key", "sandbox-api-key"),
    (b"MPIN", "1234"),
    (b"TOTP seed", "ANGELCTLSANDBOXDEMOTOTPSECRETAAA"),
)
YES = ((b"?", "y"),)

RUNS: dict[str, Run] = {
    "-h": Run(),
    "login": Run(),
    "login --sandbox": Run(),
    "positions": Run(),
    "margin BUY SBIN --qty 10": Run(),
    "login --sandbox --admin-token-stdin": Run(stdin="@TOKEN"),
    "login --stdin": Run(stdin="api_key=sandbox-api-key\nmpin=1234\n"),
    "login --reset-secrets": Run(),
    "login --profile {name}": Run(),
    "login --profile {profile}": Run(),
    "login --profile {self.settings.name}": Run(),
    "login --allow-plaintext-store": Run(
        ("login", "--allow-plaintext-store", "--profile", "typed"),
        answers=DEMO,
        setup=_keyring_profile,
    ),
    "doctor": Run(),
    "whoami": Run(),
    "funds": Run(),
    "reconcile": Run(),
    "journal": Run(),
    "order list": Run(),
    "config show": Run(),
    "config set public_ip IP": Run(("config", "set", "public_ip", "203.0.113.9")),
    "config set profiles.{settings.name}.public_ip IP": Run(
        ("config", "set", "profiles.{}.public_ip", "203.0.113.9")
    ),
    "config set KEY VALUE": Run(("config", "set", "read_timeout", "12")),
    "config set profiles.{settings.name}.risk.max_daily_loss 5000": Run(),
    "config set profiles.{limits.profile}.risk.market_orders protect": Run(),
    "config set risk.market_orders protect": Run(),
    "quote SYMBOL": Run(("quote", "SBIN")),
    "stream SYMBOL --record FILE": Run(("stream", "SBIN", "--count", "2", "--record", "day.rec")),
    "instruments show SYMBOL": Run(("instruments", "show", "SBIN")),
    "instruments search WORDS": Run(("instruments", "search", "SBIN")),
    "instruments sync": Run(),
    "instruments sync --file PATH": Run(
        ("instruments", "sync", "--file", "master.json"), setup=_master
    ),
    "calendar status": Run(),
    "calendar update FILE": Run(("calendar", "update", str(NSE_2026))),
    "killswitch": Run(answers=YES),
    "killswitch status": Run(),
    "killswitch reset": Run(
        answers=((b"?", "y"), (b"Reason:", "checked positions")), setup=_engaged
    ),
    "killswitch reset --yes --reason 'checked positions'": Run(
        ("killswitch", "reset", "--yes", "--reason", "checked positions"), setup=_engaged
    ),
    "gtt create -h": Run(),
    "gtt create {side_option} {first} …": Run(
        (
            "gtt",
            "create",
            "SELL",
            "SBIN",
            "--qty",
            "5",
            "--trigger",
            "840",
            "--price",
            "839",
            "--dry-run",
        )
    ),
    "sandbox serve": Run(("sandbox", "serve", "--port", "0"), answers=((b"Ctrl-C", ""),)),
}


def test_every_hint_command_is_known_here() -> None:
    found = collect()
    unknown = {c: where for c, where in found.items() if c not in RUNS}
    assert not unknown, f"hints with no way to run them here (add them to RUNS): {unknown}"
    stale = sorted(set(RUNS) - set(found))
    assert not stale, f"RUNS names hints the CLI no longer prints: {stale}"
    print(f"\n{len(found)} distinct hint commands, written in {sum(map(len, found.values()))} "
          "places")  # fmt: skip


@pytest.fixture
def world(sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """What an operator who followed the README has, on the test's sandbox."""
    from angelctl.broker.sandbox_admin import serve_token_path, url_port

    monkeypatch.setenv("ANGELCTL_API_URL", sandbox.rest_url)
    monkeypatch.chdir(tmp_path)
    port = url_port(sandbox.rest_url)
    assert port is not None
    token = serve_token_path(port)
    token.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token.write_text(sandbox.admin_token)
    token.chmod(0o600)
    assert run_cli("login", "--sandbox").code == 0
    assert run_cli("instruments", "sync").code == 0
    return sandbox


def _in_process(args: list[str], stdin: str, clock: Any) -> Result:
    from angelctl.cli.app import run
    from angelctl.cli.environment import Environment

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        old, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            code = run(args, Environment.of_process(clock))
        finally:
            sys.stdin = old
    return Result(code, out.getvalue(), err.getvalue())


def _on_terminal(args: list[str], answers: tuple[tuple[bytes, str], ...]) -> tuple[int, str]:
    with Terminal(*args, timeout=45) as term:  # a login may wait out a TOTP step (30 s)
        screen = b""
        for prompt, reply in answers:
            screen += term.read_until(prompt)
            if prompt == b"Ctrl-C":
                term.interrupt()
            elif (prompt, reply) in DEMO:  # a secret: typed once the prompt has hidden the input
                term.wait_for_echo_off()
                term.write(reply + "\n")
            else:
                term.write(reply + "\n")
        screen += _drain(term)
        return term.exit_code(), screen.decode(errors="replace")


def _drain(term: Terminal) -> bytes:
    """The rest of the screen until the child closes it, within the terminal's deadline."""
    import select
    import time

    seen = b""
    while time.monotonic() < term.deadline:
        ready, _, _ = select.select([term.fd], [], [], 0.2)
        if ready:
            chunk = term._read()
            if not chunk:
                return seen
            seen += chunk
    raise AssertionError(f"still running at the deadline: {seen[-1500:]!r}")


@pytest.mark.parametrize("hint", sorted(RUNS))
def test_the_hint_runs(world: Any, sandbox_clock: Any, hint: str) -> None:
    how = RUNS[hint]
    if how.setup:
        how.setup(world)
    words = list(how.args) if how.args else _split(hint)
    words = [re.sub(r"\{[^}]*\}", "sandbox", w) for w in words]
    if how.answers:
        code, screen = _on_terminal(words, how.answers)
        assert code == 0, f"angelctl {' '.join(words)}: exit {code}\n{screen[-1500:]}"
        return
    stdin = (how.stdin or "").replace("@TOKEN", world.admin_token)
    result = _in_process(words, stdin, sandbox_clock)
    assert result.code == 0, f"angelctl {' '.join(words)}: exit {result.code}\n{result.both}"


def _split(hint: str) -> list[str]:
    import shlex

    return shlex.split(hint)
