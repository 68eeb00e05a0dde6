"""The real keyring: a Secret Service (gnome-keyring) under dbus-run-session
(docs/scenarios.md#d3--no-keyring-backend).

CI sets ANGELCTL_REQUIRE_KEYRING_TEST=1 so that a missing dbus/gnome-keyring fails the run
instead of skipping this test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.broker.test_login_session import demo
from tests.conftest import REPO

HAVE_SECRET_SERVICE = bool(
    shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")
)
if not HAVE_SECRET_SERVICE and os.environ.get("ANGELCTL_REQUIRE_KEYRING_TEST") == "1":
    raise RuntimeError(
        "ANGELCTL_REQUIRE_KEYRING_TEST=1 but dbus-run-session or gnome-keyring-daemon is missing"
    )

pytestmark = [
    pytest.mark.keyring,
    pytest.mark.skipif(not HAVE_SECRET_SERVICE, reason="needs dbus-run-session + gnome-keyring"),
]


def in_dbus_session(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a shell script inside a fresh D-Bus session with an unlocked gnome-keyring."""
    wrapper = tmp_path / "session.sh"
    wrapper.write_text(
        "set -e\n"
        "printf 'throwaway' | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n"
        + script
    )
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run(
        ["dbus-run-session", "--", "sh", str(wrapper)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def test_secrets_round_trip_through_the_secret_service(sandbox: Any, tmp_path: Path) -> None:
    account = demo(sandbox)
    secrets = tmp_path / "secrets.txt"
    secrets.write_text(
        f"api_key={account['api_key']}\nmpin={account['mpin']}\n"
        f"totp_secret={account['totp_secret']}\n"
    )
    probe = (
        "import json, keyring; "
        "print(json.dumps({'backend': type(keyring.get_keyring()).__name__, "
        "'mpin_stored': keyring.get_password('angelctl', 'kr/mpin') is not None}))"
    )
    result = in_dbus_session(
        f'"$PYTHON" -m angelctl login --profile kr --url {sandbox.rest_url} '
        f"--client-code {account['client_code']} --stdin --json < {secrets}\n"
        # login stored the secrets, then read them back from the keyring to log in
        '"$PYTHON" -m angelctl whoami --profile kr --json\n'
        '"$PYTHON" -m angelctl doctor --profile kr --offline --json\n'
        f'"$PYTHON" -c "{probe}"\n',
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    login, whoami, doctor, stored = (json.loads(line) for line in result.stdout.splitlines())
    assert login["credential_store"] == "keyring"
    assert whoami["client_code"] == account["client_code"]
    creds = next(c for c in doctor["checks"] if c["name"] == "credentials")
    assert creds["status"] == "ok" and creds["path"] == "keyring"
    assert stored == {"backend": "Keyring", "mpin_stored": True}
    state = Path(os.environ["XDG_STATE_HOME"]) / "angelctl"
    assert not (state / "credentials.json").exists()  # no plaintext copy anywhere


def test_a_failed_login_leaves_the_keyring_items_as_they_were(sandbox: Any, tmp_path: Path) -> None:
    account = demo(sandbox)
    wrong_mpin = "0000" if account["mpin"] != "0000" else "1111"
    good, refused_locally, refused_by_broker = (tmp_path / n for n in ("g", "l", "b"))
    good.write_text(
        f"api_key={account['api_key']}\nmpin={account['mpin']}\n"
        f"totp_secret={account['totp_secret']}\n"
    )
    refused_locally.write_text(
        f"api_key=other-key\nmpin=12\ntotp_secret={account['totp_secret']}\n"
    )
    refused_by_broker.write_text(
        f"api_key=other-key\nmpin={wrong_mpin}\ntotp_secret={account['totp_secret']}\n"
    )
    probe = (
        "import json, keyring; print(json.dumps({f'{p}/{n}': keyring.get_password('angelctl', "
        "f'{p}/{n}') for p in ('kr', 'kr2') for n in ('api_key', 'mpin', 'totp_secret')}))"
    )
    login = (
        f'"$PYTHON" -m angelctl login --url {sandbox.rest_url} '
        f"--client-code {account['client_code']} --stdin --json"
    )
    result = in_dbus_session(
        f"{login} --profile kr < {good} >/dev/null\n"
        f'"$PYTHON" -c "{probe}"\n'
        f"{login} --profile kr --reset-secrets < {refused_locally} || echo $?\n"
        f"{login} --profile kr2 < {refused_by_broker} || echo $?\n"
        f'"$PYTHON" -c "{probe}"\n',
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    before, after = json.loads(lines[0]), json.loads(lines[-1])
    assert [line for line in lines if line.isdigit()] == ["2", "4"]  # refused, each its way
    assert after == before
    assert before["kr/api_key"] == account["api_key"] and before["kr2/api_key"] is None
