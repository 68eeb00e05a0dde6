"""E5: starting with no network. ``--help``, ``doctor --offline``, ``config show`` (which
validates the config file), ``calendar status`` and ``killswitch status`` make no network
connection at all — checked with an audit hook on every connect, send and name lookup, and with
every URL and proxy pointing at a black-hole address (RFC 5737) so that a stray call would hang,
not pass. (Creating or binding a socket is not a connection: urllib3 probes IPv6 support by
binding ``::1`` when it is imported.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPT = r"""
import json, sys
events = []
NETWORK = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
           "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg", "http.client.connect",
           "urllib.Request"}
def audit(event, args):
    if event in NETWORK:
        events.append(event)
sys.addaudithook(audit)
from angelctl.cli.app import run
code = run(json.loads(sys.argv[1]))
sys.stderr.write(f"\nNETWORK-EVENTS {json.dumps(events)}\n")
import socket
try:
    socket.getaddrinfo("127.0.0.1", 9)  # the control: the hook does see a lookup
except OSError:
    pass
sys.stderr.write(f"CONTROL {json.dumps(events)}\n")
sys.exit(code)
"""

BLACK_HOLE = "http://192.0.2.1:9"


def run_offline(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ANGELCTL_API_URL": BLACK_HOLE,
        "ANGELCTL_WS_URL": "ws://192.0.2.1:9",
        "ANGELCTL_ORDER_WS_URL": "ws://192.0.2.1:9",
        "ANGELCTL_INSTRUMENTS_URL": BLACK_HOLE,
        "http_proxy": BLACK_HOLE,
        "https_proxy": BLACK_HOLE,
    }
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=30,  # a call into the black hole would hang past this
        env=env,
        cwd=REPO,
    )


def write_config(home: Path) -> None:
    path = home / ".config" / "angelctl" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        'default_profile = "main"\n[profiles.main]\nclient_code = "A123456"\n'
        'public_ip = "203.0.113.7"\n[profiles.main.risk]\nmax_quantity = 100\n'
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["doctor", "--offline", "--json"],
        ["config", "show", "--json"],
        ["calendar", "status", "--json"],
        ["killswitch", "status", "--offline", "--json"],
        ["order", "place", "--help"],
    ],
    ids=lambda a: " ".join(a),
)
def test_command_makes_no_network_connection(isolated_dirs: Path, args: list[str]) -> None:
    write_config(isolated_dirs)
    proc = run_offline(args)
    assert "NETWORK-EVENTS []" in proc.stderr, proc.stderr
    assert 'CONTROL ["socket.getaddrinfo"]' in proc.stderr, proc.stderr
    # doctor reports the (absent) keyring of this test machine with its own exit code
    expected = {0, 5} if args[0] == "doctor" else {0}
    assert proc.returncode in expected, proc.stderr
    if "--json" in args:
        document = json.loads(proc.stdout)
        assert isinstance(document, dict) and document


def test_a_bad_config_is_reported_without_any_connection(isolated_dirs: Path) -> None:
    path = isolated_dirs / ".config" / "angelctl" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[profiles.main]\nclient_code = "A123456"\nmac_address = "nope"\n')
    proc = run_offline(["config", "show", "--profile", "main"])
    assert proc.returncode == 3, proc.stderr
    assert "mac_address" in proc.stderr and str(path) in proc.stderr
    assert "NETWORK-EVENTS []" in proc.stderr
