"""Login, refresh, re-login and every failure class, against the sandbox over loopback."""

from __future__ import annotations

import json
import os
import stat
from typing import Any

import pyotp
import pytest
import requests

from angelctl.broker.api import SmartApi, build_session
from angelctl.config import ProfileSettings, sandbox_urls, state_dir
from angelctl.errors import LoginRejected, NotLoggedIn
from angelctl.secrets import PlaintextStore, Secret
from tests.conftest import ShiftedClock

DEMO_SEED = None


def arm(sandbox: Any, **fault: Any) -> None:
    reply = requests.post(f"{sandbox.rest_url}/_sandbox/faults", json=fault, timeout=5)
    assert reply.status_code < 300, reply.text


def requests_seen(sandbox: Any) -> list[dict[str, Any]]:
    reply = requests.get(f"{sandbox.rest_url}/_sandbox/requests", timeout=5)
    data = reply.json()
    return data["requests"] if isinstance(data, dict) else data


def routes_seen(sandbox: Any) -> list[str]:
    return [entry.get("route") or entry.get("route_name") or "" for entry in requests_seen(sandbox)]


def demo(sandbox: Any) -> dict[str, str]:
    return requests.get(f"{sandbox.rest_url}/_sandbox/demo-account", timeout=5).json()


def settings_for(sandbox: Any, **overrides: Any) -> ProfileSettings:
    values: dict[str, Any] = {
        "name": "t",
        "environment": "sandbox",
        "credential_store": "sandbox-demo",
        "client_code": demo(sandbox)["client_code"],
        **sandbox_urls(sandbox.rest_url),
    }
    values.update(overrides)
    return ProfileSettings(**values)


def plaintext_store(**secrets: str) -> PlaintextStore:
    store = PlaintextStore(state_dir() / "credentials.json")
    for name, value in secrets.items():
        store.set("t", name, Secret(value))
    return store


# --------------------------------------------------------------------------------- via the CLI


def test_sandbox_login_then_whoami_and_funds(cli: Any, sandbox_login: Any, sandbox: Any) -> None:
    doc = sandbox_login.json()
    assert doc["ok"] and doc["profile"] == "sandbox" and doc["environment"] == "sandbox"
    who = cli("whoami", "--json")
    assert who.code == 0, who.both
    assert who.json()["client_code"] == demo(sandbox)["client_code"]
    funds = cli("funds", "--json")
    assert funds.code == 0, funds.both
    assert float(funds.json()["funds"]["availablecash"]) > 0
    session_file = state_dir() / "sessions" / "sandbox.json"
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(session_file.parent.stat().st_mode) == 0o700
    # one login, then the cached session served both calls
    assert routes_seen(sandbox).count("loginByPassword") == 1


def test_whoami_renders_a_table_for_people(cli: Any, sandbox_login: Any) -> None:
    result = cli("whoami")
    assert result.code == 0
    assert "Client code" in result.out and "nse_cm" in result.out


def _login_with(cli: Any, sandbox: Any, *, mpin: str | None = None, seed: str | None = None) -> Any:
    account = demo(sandbox)
    secrets = (
        f"api_key={account['api_key']}\nmpin={mpin or account['mpin']}\n"
        f"totp_secret={seed or account['totp_secret']}\n"
    )
    return cli(
        "login",
        "--profile",
        "p",
        "--url",
        sandbox.rest_url,
        "--client-code",
        account["client_code"],
        "--stdin",
        "--allow-plaintext-store",
        input=secrets,
    )


def test_login_with_stdin_secrets_and_opt_in_file_store(cli: Any, sandbox: Any) -> None:
    result = _login_with(cli, sandbox)
    assert result.code == 0, result.both
    creds = state_dir() / "credentials.json"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert cli("whoami", "--profile", "p", "--json").code == 0


def test_wrong_mpin_is_an_auth_error_with_a_hint(cli: Any, sandbox: Any) -> None:
    wrong = "0000" if demo(sandbox)["mpin"] != "0000" else "1111"
    result = _login_with(cli, sandbox, mpin=wrong)
    assert result.code == 4
    assert "error: " in result.err and "[loginByPassword]" in result.err
    assert "hint: " in result.err
    assert "Traceback" not in result.err


def test_bad_totp_seed_gives_ab1050_and_a_clock_hint(cli: Any, sandbox: Any) -> None:
    result = _login_with(cli, sandbox, seed=pyotp.random_base32())
    assert result.code == 4
    assert "AB1050" in result.err and "clock" in result.err


def test_web_password_is_refused_locally_before_any_network_call(cli: Any, sandbox: Any) -> None:
    before = len(requests_seen(sandbox))
    result = _login_with(cli, sandbox, mpin="MyWebPass@1")
    assert result.code == 2
    assert "4 digits" in result.err
    assert len(requests_seen(sandbox)) == before


def test_web_password_reaching_the_broker_is_ab7001(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    account = demo(sandbox)
    store = plaintext_store(
        api_key=account["api_key"], mpin="MyWebPass@1", totp_secret=account["totp_secret"]
    )
    session = build_session(
        settings_for(sandbox, credential_store="plaintext"), store=store, clock=sandbox_clock
    )
    with pytest.raises(LoginRejected) as info:
        session.login()
    assert info.value.code == "AB7001"
    assert info.value.hint and "MPIN" in info.value.hint


def test_no_keyring_fails_closed_with_exit_5_and_writes_nothing(cli: Any, sandbox: Any) -> None:
    account = demo(sandbox)
    result = cli(
        "login",
        "--profile",
        "k",
        "--url",
        sandbox.rest_url,
        "--client-code",
        account["client_code"],
        "--stdin",
        input=f"api_key={account['api_key']}\nmpin=1234\ntotp_secret=AAAAAAAAAAAAAAAA\n",
    )
    assert result.code == 5
    assert "no secure keyring backend" in result.err
    assert "--allow-plaintext-store" in result.err
    assert not (state_dir() / "credentials.json").exists()


# ------------------------------------------------------------------------- refresh / re-login


def test_expired_jwt_is_refreshed_transparently(sandbox: Any, sandbox_clock: ShiftedClock) -> None:
    api = SmartApi(build_session(settings_for(sandbox), clock=sandbox_clock))
    api.session.login()
    arm(sandbox, name="expire_tokens")
    assert api.profile().client_code
    seen = routes_seen(sandbox)
    assert seen.count("generateTokens") == 1
    assert seen.count("loginByPassword") == 1
    assert "session refreshed" in api.session.events


def test_refused_refresh_falls_back_to_a_login_with_a_fresh_totp_step(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    api = SmartApi(build_session(settings_for(sandbox), clock=sandbox_clock))
    api.session.login()
    arm(sandbox, name="expire_tokens", also_refresh=True)
    assert api.funds().available_cash > 0
    seen = routes_seen(sandbox)
    assert seen.count("loginByPassword") == 2
    assert seen.count("generateTokens") == 1
    # the second login waited for the next 30 s TOTP step instead of reusing the code
    assert any(0 < s <= 30.1 for s in sandbox_clock.slept)


def test_expiry_without_credentials_is_not_logged_in(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    account = demo(sandbox)
    store = plaintext_store(
        api_key=account["api_key"], mpin=account["mpin"], totp_secret=account["totp_secret"]
    )
    settings = settings_for(sandbox, credential_store="plaintext")
    build_session(settings, store=store, clock=sandbox_clock).login()
    for name in ("api_key", "mpin", "totp_secret"):
        store.delete("t", name)  # like a cron job with the cached session but no keyring
    api = SmartApi(build_session(settings, store=store, clock=sandbox_clock))
    assert api.profile().client_code == account["client_code"]  # cached session is enough
    arm(sandbox, name="expire_tokens", also_refresh=True)
    with pytest.raises(NotLoggedIn) as info:
        api.profile()
    assert info.value.exit_status == 4


def test_cli_files_are_private_under_umask_000(cli: Any, sandbox: Any) -> None:
    old = os.umask(0)
    try:
        assert cli("login", "--sandbox", "--url", sandbox.rest_url).code == 0
    finally:
        os.umask(old)
    for path in state_dir().rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_lost_login_answer_retries_with_the_next_totp_step(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    """D5: the first login is processed (its TOTP consumed) but its answer never arrives."""
    api = SmartApi(build_session(settings_for(sandbox, read_timeout=0.3), clock=sandbox_clock))
    arm(sandbox, name="hold", seconds=1.0, route="loginByPassword", count=1)
    api.session.login()
    logins = [r for r in requests_seen(sandbox) if r["route"] == "loginByPassword"]
    codes = [json.loads(r["body"])["totp"] for r in logins]
    assert len(codes) == 2 and codes[0] != codes[1]  # never the same code twice
    assert [r["status"] for r in logins] == [200, 200]
    assert any(0 < s <= 30.1 for s in sandbox_clock.slept)  # waited for the next step
    assert "login answer lost; retrying with the next TOTP step" in api.session.events


def test_client_rate_limiter_keeps_the_sandbox_from_refusing(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    api = SmartApi(build_session(settings_for(sandbox), clock=sandbox_clock))
    api.session.login()
    for _ in range(7):  # getRMS allows 2/s
        api.funds()
    stats = requests.get(f"{sandbox.rest_url}/_sandbox/stats", timeout=5).json()
    assert stats["rate_limited"] == 0
    assert stats["buckets"]["getRMS"]["admitted"] == 7
    assert stats["buckets"]["getRMS"]["peak_rolling_second"] <= 2
    assert sum(sandbox_clock.slept) >= 2.0  # the limiter held calls back instead
