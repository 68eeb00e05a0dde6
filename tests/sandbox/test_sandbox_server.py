"""Server lifecycle, binding rules, the ready line, the foreground mode and the bare engine."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pyotp
import pytest
import requests

from angelctl.broker.sandbox_admin import ADMIN_HEADER
from angelctl.sandbox import (
    ManualClock,
    SandboxConfig,
    SandboxConfigError,
    SandboxEngine,
    SandboxServer,
)
from angelctl.sandbox.rest.wire import EngineRequest

from .conftest import LOGIN, RMS

REPO = Path(__file__).resolve().parents[2]
HEADERS = (
    ("Content-Type", "application/json"),
    ("X-PrivateKey", "sandbox-api-key"),
    ("X-UserType", "USER"),
    ("X-SourceID", "WEB"),
)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.com"])
def test_a_non_loopback_host_is_refused(host: str) -> None:
    with pytest.raises(SandboxConfigError, match="loopback"):
        SandboxServer(SandboxConfig(host=host))


def test_allow_remote_lifts_the_refusal() -> None:
    server = SandboxServer(SandboxConfig(host="0.0.0.0", allow_remote=True))
    with server:
        assert server.rest_url == f"http://127.0.0.1:{server.port}"
        assert requests.get(server.rest_url + "/").status_code == 200


def test_ready_info_names_every_endpoint_on_the_bound_port() -> None:
    with SandboxServer() as server:
        info = server.ready_info()
        port = server.port
        token = server.admin_token

    base = f"127.0.0.1:{port}"
    assert port > 0
    assert info == {
        "event": "ready",
        "rest_url": f"http://{base}",
        "ws_url": f"ws://{base}/smart-stream",
        "order_ws_url": f"ws://{base}/smart-order-update",
        "instruments_url": f"http://{base}/OpenAPI_File/files/OpenAPIScripMaster.json",
        "admin_url": f"http://{base}/_sandbox",
        "admin_token": token,
        "demo": {
            "client_code": "SBX0001",
            "api_key": "sandbox-api-key",
            "mpin": "1234",
            "totp_secret": "ANGELCTLSANDBOXDEMOTOTPSECRETAAA",
        },
    }


def test_stop_closes_the_port_and_is_idempotent() -> None:
    server = SandboxServer().start()
    url = server.rest_url + "/"
    assert requests.get(url).status_code == 200

    server.stop()
    server.stop()

    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=1)


def test_a_busy_port_makes_start_raise() -> None:
    with SandboxServer() as first:
        second = SandboxServer(SandboxConfig(port=first.port))
        with pytest.raises(OSError):
            second.start()


def test_real_clock_login_works_with_a_code_from_the_current_time() -> None:
    with SandboxServer() as server:
        demo = server.engine.demo_account()
        body = {
            "clientcode": demo["client_code"],
            "password": demo["mpin"],
            "totp": pyotp.TOTP(demo["totp_secret"]).now(),
        }
        response = requests.post(server.rest_url + LOGIN, json=body, headers=dict(HEADERS))

    assert response.json()["status"] is True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_forever_prints_ready_and_stops_cleanly_on_signal(signum: int) -> None:
    script = (
        "import json\n"
        "from angelctl.sandbox import SandboxConfig, serve_forever\n"
        "serve_forever(SandboxConfig(), lambda info: print(json.dumps(info), flush=True))\n"
        "print('stopped', flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    ) as proc:
        try:
            assert proc.stdout is not None
            ready = json.loads(proc.stdout.readline())
            assert ready["event"] == "ready"
            assert requests.get(ready["rest_url"] + "/", timeout=2).status_code == 200

            proc.send_signal(signum)

            assert proc.wait(timeout=5) == 0
            assert proc.stdout.read().strip() == "stopped"
        finally:
            if proc.poll() is None:
                proc.kill()


def test_a_signal_while_the_main_thread_holds_a_lock_still_stops_the_server() -> None:
    """A signal handler runs in the main thread between two of its bytecodes, wherever it is:
    one that took a lock (``Event.set``) deadlocked when the main thread held that lock (it
    does, briefly, on the way into ``stop.wait()``): `sandbox serve` then ignored Ctrl-C for
    good. Here the signal lands while the ready callback holds the stop event's own lock."""
    script = (
        "import os, signal, threading\n"
        "from angelctl.sandbox import SandboxConfig, serve_forever\n"
        "stop = threading.Event()\n"
        "def ready(info):\n"
        "    with stop._cond:  # the lock Event.wait holds on its way in, and Event.set takes\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        for _ in range(1000):  # the handler runs at one of these bytecodes\n"
        "            pass\n"
        "serve_forever(SandboxConfig(), ready, stop_event=stop)\n"
        "print('stopped', flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO,
        timeout=30,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["stopped"]


def test_the_engine_works_without_sockets() -> None:
    clock = ManualClock()
    engine = SandboxEngine(SandboxConfig(), clock)
    totp = pyotp.TOTP(engine.demo_account()["totp_secret"]).at(clock.now())
    body = json.dumps({"clientcode": "SBX0001", "password": "1234", "totp": totp}).encode()

    response = engine.handle(EngineRequest("POST", LOGIN, HEADERS, body))

    assert response.status == 200 and response.ok
    assert response.json()["data"]["jwtToken"]
    assert engine.requests()[-1]["route"] == "loginByPassword"


def test_engine_serialises_concurrent_callers() -> None:
    config = SandboxConfig(rate_limit_enabled=False)
    with SandboxServer(config) as server:
        request = EngineRequest("GET", RMS, HEADERS)

        def call_engine() -> None:
            for _ in range(25):
                server.engine.handle(request)

        def call_http() -> None:
            for _ in range(25):
                requests.get(server.rest_url + RMS, headers=dict(HEADERS))

        threads = [threading.Thread(target=call_engine) for _ in range(3)]
        threads += [threading.Thread(target=call_http) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        seqs = [record["seq"] for record in server.engine.requests()]
        stats = server.engine.stats()

    assert sorted(seqs) == list(range(1, 126))
    assert stats["routes"]["getRMS"]["rejects"] == {"AG8003": 125}


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address: str = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_admin_routes_refuse_non_loopback_callers() -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("no non-loopback interface to call from")
    with SandboxServer(SandboxConfig(host="0.0.0.0", allow_remote=True)) as server:
        base = f"http://{address}:{server.port}"
        token = {ADMIN_HEADER: server.admin_token}  # the right token does not lift the rule
        admin = requests.get(base + "/_sandbox/demo-account", headers=token, timeout=2)
        api = requests.get(base + "/", timeout=2)

    assert admin.status_code == 403
    assert "loopback" in admin.json()["error"]
    assert api.status_code == 200
