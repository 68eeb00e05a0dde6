"""Login, refresh, re-login and every failure class, against the sandbox over loopback."""

from __future__ import annotations

import json
import os
import stat
from typing import Any

import pyotp
import pytest

from angelctl.broker.api import SmartApi, build_session
from angelctl.config import ProfileSettings, sandbox_urls, state_dir
from angelctl.errors import LoginRejected, NotLoggedIn
from angelctl.secrets import PlaintextStore, Secret
from tests.conftest import (
    ShiftedClock,
    arm,
    remember_admin_token,
    requests_seen,
    routes_seen,
    sandbox_admin,
)

DEMO_SEED = None


def demo(sandbox: Any) -> dict[str, str]:
    account: dict[str, str] = sandbox_admin(sandbox, "GET", "demo-account")
    return account


def settings_for(sandbox: Any, **overrides: Any) -> ProfileSettings:
    """A ``sandbox-demo`` profile of ``sandbox`` (its admin token kept, as a login would)."""
    values: dict[str, Any] = {
        "name": "t",
        "environment": "sandbox",
        "credential_store": "sandbox-demo",
        "client_code": demo(sandbox)["client_code"],
        **sandbox_urls(sandbox.rest_url),
    }
    values.update(overrides)
    remember_admin_token(sandbox, values["name"])
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
    assert float(funds.json()["funds"]["available_cash"]) > 0
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
        login = cli(
            "login",
            "--sandbox",
            "--url",
            sandbox.rest_url,
            "--admin-token-stdin",
            input=sandbox.admin_token,
        )
        assert login.code == 0, login.both
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
    assert [json.loads(r["body"])["totp"] for r in logins] == ["***", "***"]  # the log masks
    # The sandbox refuses a TOTP code used before (reject_totp_reuse): both were accepted, so
    # the retry sent a new code.
    assert sandbox.engine.config.reject_totp_reuse
    assert [(r["status"], r["code"]) for r in logins] == [(200, ""), (200, "")]
    assert any(0 < s <= 30.1 for s in sandbox_clock.slept)  # waited for the next step
    assert "login answer lost; retrying with the next TOTP step" in api.session.events


def test_client_rate_limiter_keeps_the_sandbox_from_refusing(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    api = SmartApi(build_session(settings_for(sandbox), clock=sandbox_clock))
    api.session.login()
    for _ in range(7):  # getRMS allows 2/s
        api.funds()
    stats = sandbox_admin(sandbox, "GET", "stats")
    assert stats["rate_limited"] == 0
    assert stats["buckets"]["getRMS"]["admitted"] == 7
    assert stats["buckets"]["getRMS"]["peak_rolling_second"] <= 2
    assert sum(sandbox_clock.slept) >= 2.0  # the limiter held calls back instead


# ------------------------------------------------------------- a failed login writes nothing


def _previous_state(sandbox: Any) -> dict[str, bytes | None]:
    """Profile p as an earlier login left it: config, stored secrets and a cached session."""
    from datetime import UTC, datetime, timedelta

    from angelctl.config import config_path
    from angelctl.config_edit import set_config_key, write_profile_values
    from angelctl.tokens import SessionStore, SessionTokens

    account = demo(sandbox)
    values = {
        "api_url": sandbox.rest_url,
        "client_code": account["client_code"],
        "credential_store": "plaintext",
    }
    write_profile_values(config_path(), "p", values)
    set_config_key(config_path(), "default_profile", "p")
    store = PlaintextStore(state_dir() / "credentials.json")
    for name in ("api_key", "mpin", "totp_secret"):
        store.set("p", name, Secret(account[name]))
    now = datetime.now(UTC)
    SessionStore(state_dir() / "sessions").save(
        "p",
        SessionTokens(
            client_code=account["client_code"],
            api_url=sandbox.rest_url,
            api_key=Secret(account["api_key"]),
            jwt=Secret("earlier.jwt.token"),
            refresh=Secret("earlier-refresh"),
            feed=Secret("earlier-feed"),
            issued_at=now,
            expires_at=now + timedelta(hours=1),
        ),
    )
    return _state_files()


def _state_files() -> dict[str, bytes | None]:
    from angelctl.config import config_path

    paths = {
        "config": config_path(),
        "secrets": state_dir() / "credentials.json",
        "session p": state_dir() / "sessions" / "p.json",
        "session q": state_dir() / "sessions" / "q.json",
    }
    return {key: path.read_bytes() if path.exists() else None for key, path in paths.items()}


BAD_LOGINS = [
    ("wrong MPIN at the broker", {"mpin": "WRONG"}, 4),
    ("bad TOTP seed at the broker", {"totp_secret": "RANDOM"}, 4),
    ("MPIN refused locally after a good API key", {"mpin": "12"}, 2),
    ("TOTP seed refused locally", {"totp_secret": "not base32!"}, 2),
    ("MPIN in non-ASCII digits refused locally", {"mpin": "١٢٣٤"}, 2),
    ("API key with a non-ASCII character refused locally", {"api_key": "key₹"}, 2),
]


def _bad_secrets(sandbox: Any, bad: dict[str, str]) -> str:
    account = demo(sandbox)
    values = {"api_key": "a-new-api-key", "mpin": account["mpin"], **bad}
    values.setdefault("totp_secret", account["totp_secret"])
    if values["mpin"] == "WRONG":
        values["mpin"] = "0000" if account["mpin"] != "0000" else "1111"
    if values["totp_secret"] == "RANDOM":
        values["totp_secret"] = pyotp.random_base32()
    return "".join(f"{key}={value}\n" for key, value in values.items())


@pytest.mark.parametrize(("case", "bad", "status"), BAD_LOGINS, ids=[b[0] for b in BAD_LOGINS])
def test_a_failed_relogin_leaves_config_secrets_and_session_untouched(
    cli: Any, sandbox: Any, case: str, bad: dict[str, str], status: int
) -> None:
    before = _previous_state(sandbox)
    result = cli(
        "login",
        "--profile",
        "p",
        "--reset-secrets",
        "--stdin",
        "--allow-plaintext-store",
        "--url",
        f"{sandbox.rest_url}/",  # a changed api_url must not be written either
        input=_bad_secrets(sandbox, bad),
    )
    assert result.code == status, result.both
    assert _state_files() == before


@pytest.mark.parametrize(("case", "bad", "status"), BAD_LOGINS, ids=[b[0] for b in BAD_LOGINS])
def test_a_failed_first_login_writes_no_profile_and_no_secret(
    cli: Any, sandbox: Any, case: str, bad: dict[str, str], status: int
) -> None:
    before = _previous_state(sandbox)
    result = cli(
        "login",
        "--profile",
        "q",
        "--url",
        sandbox.rest_url,
        "--client-code",
        demo(sandbox)["client_code"],
        "--stdin",
        "--allow-plaintext-store",
        input=_bad_secrets(sandbox, bad),
    )
    assert result.code == status, result.both
    assert _state_files() == before


def test_a_failure_while_committing_puts_secrets_and_config_back(tmp_path: Any) -> None:
    from angelctl.cli.login_state import HeldSessions, StagedSecrets, commit
    from angelctl.tokens import SessionStore

    config = tmp_path / "config.toml"
    config.write_bytes(b'default_profile = "p"\n')
    store = PlaintextStore(tmp_path / "credentials.json")
    store.set("p", "api_key", Secret("old-key"))
    secrets_before = store.path.read_bytes()
    staged = StagedSecrets(store, "p", {"api_key": Secret("new-key"), "mpin": Secret("1234")})
    sessions = HeldSessions(SessionStore(tmp_path / "sessions"))

    def write_config_then_fail() -> None:
        config.write_bytes(b"half written")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        commit(config, write_config_then_fail, staged, sessions)
    assert config.read_bytes() == b'default_profile = "p"\n'
    assert store.get("p", "api_key") == Secret("old-key") and store.get("p", "mpin") is None
    assert json.loads(store.path.read_bytes()) == json.loads(secrets_before)
    assert not (tmp_path / "sessions").exists()
