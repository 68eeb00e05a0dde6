"""The CLI as a person and a script see it: a real terminal, a real process, real sockets."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from angelctl.status import ExitStatus
from tests.broker.test_login_session import demo
from tests.conftest import REPO, Terminal, run_cli_process


def test_first_login_prompts_on_a_terminal_with_hidden_input(sandbox: Any) -> None:
    account = demo(sandbox)
    with Terminal(
        "login", "--profile", "t", "--url", sandbox.rest_url, "--allow-plaintext-store"
    ) as term:
        transcript = term.read_until(b"client code")
        term.write(f"{account['client_code']}\n")
        for prompt, answer in (
            (b"API key", account["api_key"]),
            (b"MPIN", account["mpin"]),
            (b"TOTP seed", account["totp_secret"]),
        ):
            transcript += term.read_until(prompt)
            term.wait_for_echo_off()
            term.write(f"{answer}\n")
        transcript += term.read_until(b"Logged in")
        assert term.exit_code() == 0
    text = transcript.decode(errors="replace")
    assert account["client_code"] in text  # the client code is echoed: it is not a secret
    for secret in (account["api_key"], account["totp_secret"]):
        assert secret not in text  # secrets are typed without echo


def test_no_prompt_when_stdin_is_not_a_terminal(cli: Any, sandbox: Any) -> None:
    result = cli(
        "login",
        "--profile",
        "t",
        "--url",
        sandbox.rest_url,
        "--allow-plaintext-store",
        "--client-code",
        demo(sandbox)["client_code"],
    )
    assert result.code == 2
    assert "standard input is not a terminal" in result.err
    assert "--stdin" in result.err


@pytest.fixture
def served_sandbox(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "angelctl", "sandbox", "serve", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    ready = json.loads(proc.stdout.readline())
    yield proc, ready
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_sandbox_serve_prints_one_ready_line_and_stops_on_sigint(
    served_sandbox: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    proc, ready = served_sandbox
    assert ready["event"] == "ready"
    assert ready["rest_url"].startswith("http://127.0.0.1:")
    assert ready["ws_url"].endswith("/smart-stream")
    assert set(ready["demo"]) == {"client_code", "api_key", "mpin", "totp_secret"}
    token_file = Path(ready["admin_token_file"])  # left for this user only
    assert token_file.read_text() == ready["admin_token"] and len(ready["admin_token"]) >= 32
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    login = run_cli_process("login", "--sandbox", "--url", ready["rest_url"], "--json")
    assert login.code == 0, login.both
    funds = run_cli_process("funds", "--json")
    assert funds.code == 0 and funds.json()["profile"] == "sandbox"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0
    assert not token_file.exists()


def test_sandbox_fault_commands_switch_the_running_server(
    served_sandbox: tuple[subprocess.Popen[str], dict[str, Any]], cli: Any
) -> None:
    _, ready = served_sandbox
    assert cli("login", "--sandbox", "--url", ready["rest_url"]).code == 0
    armed = cli("sandbox", "fault", "set", "http_5xx:status=503,route=getRMS")
    assert armed.code == 0, armed.both
    listed = cli("sandbox", "fault", "list", "--json").json()
    assert [f["name"] for f in listed["faults"]] == ["http_5xx"]
    assert cli("funds").code == 9
    assert cli("sandbox", "fault", "clear").code == 0
    assert cli("funds").code == 0


def test_the_admin_token_is_in_no_process_argv_or_environment(
    served_sandbox: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    """`login --sandbox` (the token file, then standard input) and `sandbox fault` as processes:
    /proc/PID/cmdline and environ never hold the token, nor does anything they print."""
    from tests.test_secrets_canary import run

    proc, ready = served_sandbox
    token, url = ready["admin_token"], ready["rest_url"]
    serve_argv = Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode()
    runs = [
        run("login", "--sandbox", "--url", url),
        run("login", "--sandbox", "--url", url, "--admin-token-stdin", input=token),
        run("sandbox", "fault", "set", "latency:ms=1"),
        run("sandbox", "fault", "list", "--json"),
        run("sandbox", "fault", "clear"),
    ]

    assert [result.code for result, _ in runs] == [0] * 5, [r.both for r, _ in runs]
    argv = [seen["cmdline"] for _, seen in runs]
    assert all(line.startswith(sys.executable) and "\0angelctl\0" in line for line in argv)
    texts = [serve_argv, *argv, *(seen["environ"] for _, seen in runs)]
    texts += [result.both for result, _ in runs]
    assert [text[:80] for text in texts if token in text] == []


def test_doctor_offline_makes_no_connection(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        assert cli("config", "set", "profiles.main.client_code", "A12345").code == 0
        monkeypatch.setenv("ANGELCTL_API_URL", f"http://127.0.0.1:{port}")
        result = cli("doctor", "--offline", "--json", "--profile", "main")
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    checks = {c["name"]: c for c in result.json()["checks"]}
    assert checks["reachability"]["status"] == "skip"
    assert checks["config"]["status"] == "ok"
    assert checks["credentials"]["status"] == "fail"  # no keyring and no session: exit 5
    assert result.code == 5


def test_doctor_reports_clock_skew_and_session(
    cli: Any, sandbox_login: Any, sandbox: Any, sandbox_clock: Any
) -> None:
    sandbox_clock.offset = -12.0  # the server's clock is 12 s behind ours
    result = cli("doctor", "--json")
    checks = {c["name"]: c for c in result.json()["checks"]}
    assert checks["clock skew"]["status"] == "warn"
    assert 10 <= checks["clock skew"]["seconds"] <= 14
    assert checks["session"]["status"] == "ok"
    assert checks["reachability"]["status"] == "ok"
    assert checks["session at broker"]["status"] == "ok"
    assert result.code == 0


def test_connect_timeout_is_connect_failed_not_a_hang(sandbox: Any) -> None:
    from angelctl.broker.client import RestClient
    from angelctl.clock import SystemClock
    from angelctl.config import ProfileSettings
    from angelctl.errors import ConnectFailed
    from angelctl.secrets import Secret

    # A listener whose accept queue is full drops new SYNs: the connect times out.
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        port = full.getsockname()[1]
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        settings = ProfileSettings(
            name="t", client_code="C1", api_url=f"http://127.0.0.1:{port}", connect_timeout=0.2
        )
        client = RestClient(settings, lambda: Secret("api-key-12345678"), SystemClock())
        started = time.monotonic()
        with pytest.raises(ConnectFailed) as info:
            client.call("getProfile", jwt=Secret("jwt-1234567890"))
        elapsed = time.monotonic() - started
        for filler in fillers:
            filler.close()
    assert "could not connect within 0.2 s" in info.value.message
    assert client.stats["sent:getProfile"] == client.retry.max_attempts  # nothing was sent
    assert elapsed < 10


def test_login_without_a_running_sandbox_is_a_network_error(cli: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cli("login", "--sandbox", "--url", f"http://127.0.0.1:{port}")
    assert result.code == 6
    assert "no sandbox answers" in result.err and "angelctl sandbox serve" in result.err


@pytest.mark.parametrize(
    "args",
    [["funds", "--json"], ["whoami"], ["instruments", "search", "NIFTY", "-n", "1000", "--json"]],
)
def test_a_closed_pipe_is_not_an_error(sandbox_login: Any, args: list[str]) -> None:
    """`angelctl … | head -c0`: the reader is gone before angelctl writes; exit 0 quietly."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read
    proc = subprocess.Popen(
        [sys.executable, "-m", "angelctl", *args],
        stdout=write_end,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    os.close(write_end)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert b"Traceback" not in err and b"rror" not in err


def test_the_process_exit_flushes_the_log_file_and_every_output_line(
    sandbox_login: Any, tmp_path: Path
) -> None:
    """The entry point ends the process without tearing the interpreter down: it must still
    run the exit handlers (logging flushes --log-file) and flush stdout and stderr."""
    log = tmp_path / "trace.log"
    result = run_cli_process("--debug", "--log-file", str(log), "funds", "--json")
    assert result.code == 0, result.both
    assert json.loads(result.out)["funds"]["net"]  # the whole document reached stdout
    trace = log.read_text()
    assert "getRMS" in trace and trace.endswith("\n")


def test_the_process_exit_joins_a_live_thread_as_python_would(tmp_path: Path) -> None:
    """With another thread still running, the entry point exits the usual way, so the thread
    finishes its work (here: waits for the main thread to end, then writes a file)."""
    marker = tmp_path / "joined"
    script = (
        "import sys, threading\n"
        "from pathlib import Path\n"
        "def after_main():\n"
        "    threading.main_thread().join()\n"
        f"    Path({str(marker)!r}).write_text('joined')\n"
        "threading.Thread(target=after_main).start()\n"
        "sys.argv = ['angelctl', '--version']\n"
        "from angelctl.__main__ import entry\n"
        "sys.exit(entry())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("angelctl ")
    assert marker.read_text() == "joined"


def test_the_process_exit_runs_exit_handlers_and_flushes_buffered_output(tmp_path: Path) -> None:
    marker = tmp_path / "handler-ran"
    script = (
        "import atexit, sys\n"
        "from pathlib import Path\n"
        f"atexit.register(lambda: Path({str(marker)!r}).write_text('ran'))\n"
        "sys.argv = ['angelctl', '--version']\n"
        "from angelctl.__main__ import entry\n"
        "sys.exit(entry())\n"
    )
    proc = subprocess.run(  # stdout is a pipe: block-buffered, so only a flush delivers it
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("angelctl ") and proc.stdout.endswith("\n")
    assert marker.read_text() == "ran"


@pytest.mark.parametrize(
    "args",
    [
        ["quote", "SBIN", "--watch", "1e400"],
        ["quote", "SBIN", "--watch", "nan"],
        ["stream", "SBIN", "--duration", "inf"],
        ["stream", "SBIN", "--count", "99999999999999999999"],
        ["killswitch", "--dry-run", "--budget", "nan"],
        ["killswitch", "--dry-run", "--budget", "1e400"],
        ["guard", "--once", "--interval", "-1"],
        ["sandbox", "serve", "--port", "70000"],
        ["sandbox", "serve", "--port", "99999999999999999999"],
        ["sandbox", "serve", "--session-ttl", "99999999999999999999"],
        ["instruments", "search", "SBIN", "-n", "１０"],
    ],
)
def test_numeric_options_are_range_checked_before_anything_runs(cli: Any, args: list[str]) -> None:
    result = cli(*args, "--json")
    assert result.code == 2, result.both
    assert result.err.startswith("error: ") and args[-2] in result.err
    assert result.json()["error"]["exit_status"] == 2


USAGE_MISTAKES = [
    (["order", "place", "BUY", "SBIN", "--bogus"], "no such option: --bogus"),
    (["order", "place", "BUY"], "missing argument"),
    (["quote", "SBIN", "--mode", "xyz"], "'xyz' is not one of"),
    (["ordr"], "no such command 'ordr'"),
    (["gtt", "create", "SBIN", "--price", "1"], "missing option"),
    (["gtt", "create", "BUY", "--trigger", "1", "--price", "2"], "missing argument 'SYMBOL'"),
    (["config", "show", "--bogus"], "no such option: --bogus"),
    (["calendar", "status", "--segment"], "requires an argument"),
]


@pytest.mark.parametrize(("args", "message"), USAGE_MISTAKES)
def test_click_usage_errors_print_one_json_error_document_under_json(
    cli: Any, args: list[str], message: str
) -> None:
    result = cli(*args, "--json")
    assert result.code == 2, result.both
    document = json.loads(result.out)  # exactly one document on stdout
    assert document["ok"] is False
    error = document["error"]
    assert error["code"] == "usage" and error["exit_status"] == 2
    assert message in error["message"] and error["hint"].startswith("usage: angelctl")
    assert result.err.splitlines() == [f"error: {error['message']}", f"hint: {error['hint']}"]


@pytest.mark.parametrize(("args", "message"), USAGE_MISTAKES)
def test_click_usage_errors_are_the_documented_error_and_hint_pair(
    cli: Any, args: list[str], message: str
) -> None:
    result = cli(*args)
    assert result.code == 2 and result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 2, result.err
    assert lines[0].startswith("error: ") and message in lines[0]
    assert lines[1].startswith("hint: usage: angelctl ") and " -h`)" in lines[1]
    assert "Usage:" not in result.err and "Error:" not in result.err


def test_a_usage_error_in_a_real_process_with_json() -> None:
    result = run_cli_process("--json", "order", "place", "--no-such-option")
    assert result.code == 2
    assert json.loads(result.out)["error"]["exit_status"] == 2
    assert result.err.startswith("error: no such option: --no-such-option")


def test_control_characters_in_a_bad_option_stay_on_one_line(cli: Any) -> None:
    result = cli("quote", "SBIN", "--mode", "a\nb\x1b[31m", "--json")
    assert result.code == 2
    assert len(result.err.splitlines()) == 2 and "\x1b" not in result.err
    assert json.loads(result.out)["error"]["exit_status"] == 2


def test_a_group_without_its_command_shows_help_and_a_missing_command_error(cli: Any) -> None:
    result = cli("order", "--json")
    assert result.code == 2
    assert "Commands" in result.err and "place" in result.err
    assert result.json()["error"]["message"].startswith("missing command")


def _decline(*args: str, question: bytes) -> tuple[int, str]:
    """Run ``angelctl ARGS`` on a terminal and answer "n" at its confirmation."""
    with Terminal(*args) as term:
        screen = term.read_until(question)
        term.write("n\n")
        screen += term.read_to_end()
        code = term.exit_code()
    return code, screen.decode(errors="replace")


def _latch() -> Any:
    from angelctl.config import state_dir
    from angelctl.risk.latch import Latch, latch_folder

    return Latch(latch_folder(state_dir()), "sandbox")


def test_declining_the_kill_switch_exits_18_and_latches_nothing(sandbox_login: Any) -> None:
    code, screen = _decline("killswitch", "--reason", "drill", question=b"Engage it now?")
    assert code == ExitStatus.DECLINED, screen
    assert screen.strip().splitlines()[-1].strip() == "error: declined: nothing was latched or sent"
    assert _latch().read() is None


def test_declining_a_kill_switch_reset_exits_18_and_keeps_the_latch(sandbox_login: Any) -> None:
    _latch().engage("test", at="2026-11-25T10:00:00+00:00")
    code, screen = _decline("killswitch", "reset", question=b"Allow orders again?")
    assert code == ExitStatus.DECLINED, screen
    assert "declined: the kill switch stays engaged" in screen
    assert _latch().read() is not None


def test_declining_a_gtt_rule_exits_18_and_sends_nothing(sandbox: Any, sandbox_login: Any) -> None:
    from tests.conftest import routes_seen

    args = ("gtt", "create", "BUY", "SBIN", "--qty", "1")
    code, screen = _decline(*args, "--trigger", "780", "--price", "781", question=b"Send it?")
    assert code == ExitStatus.DECLINED, screen
    assert screen.strip().splitlines()[-1].strip() == "error: declined: nothing was sent"
    assert "createRule" not in routes_seen(sandbox)


def test_every_confirmation_uses_the_one_shared_helper() -> None:
    sources = {p.name: p.read_text() for p in (REPO / "angelctl" / "cli").glob("*.py")}
    asking = sorted(name for name, text in sources.items() if "typer.confirm(" in text)
    assert asking == ["common.py"]
    assert "raise typer.Exit(1)" not in "".join(sources.values())


def test_a_non_utf8_stdout_never_changes_the_exit_code(
    sandbox: Any, sandbox_login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under LC_ALL=C without UTF-8 mode Python's stdout is ASCII: the rupee sign and the dash
    of a successful dry run are replaced, never an internal error."""
    from tests.conftest import admin
    from tests.orders.test_orders import SBIN, set_price

    admin(sandbox, "POST", "market/freeze", frozen=True)
    set_price(sandbox, SBIN, "800")
    monkeypatch.delenv("PYTHONIOENCODING", raising=False)
    env = {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    args = ("order", "place", "BUY", "SBIN", "--qty", "2", "--price", "790", "--dry-run")
    result = run_cli_process(*args, env=env)
    assert result.code == 0, result.both
    assert "Dry run ? nothing sent" in result.out and "notional ?1,580.00" in result.out
    encoding = subprocess.run(
        [sys.executable, "-c", "import sys; print(sys.stdout.encoding)"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    ).stdout.strip()
    assert encoding.lower() in ("ascii", "ansi_x3.4-1968")


def test_an_argument_of_undecodable_bytes_is_a_usage_error(sandbox_login: Any) -> None:
    """`angelctl journal --intent $'\\xff'`: Python hands such bytes over as lone surrogates,
    which SQLite, JSON and HTTP cannot take; refused before anything runs."""
    for args in ([b"journal", b"--intent", b"\xff"], [b"quote", b"SB\xffIN", b"--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "angelctl", *args],
            capture_output=True,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
            cwd=REPO,
            timeout=60,
        )
        assert proc.returncode == ExitStatus.USAGE, proc.stderr
        assert proc.stderr.startswith(b"error: the argument ") and b"Traceback" not in proc.stderr
        if b"--json" in args:
            assert json.loads(proc.stdout)["error"]["exit_status"] == ExitStatus.USAGE
