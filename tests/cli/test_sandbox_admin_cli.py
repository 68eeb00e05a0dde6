"""The sandbox's admin token on the CLI side: `login --sandbox` keeps it, `sandbox fault` uses it
(no URL or token on the command line), a sandbox profile fetches its demo account with it."""

from __future__ import annotations

import stat
from typing import Any

import pytest

from angelctl.broker.api import SmartApi, build_session
from angelctl.config import config_path, load_config_file, resolve_profile, state_dir
from angelctl.errors import CredentialError
from angelctl.status import ExitStatus
from tests.conftest import Result, ShiftedClock, routes_seen


def token_file(profile: str = "sandbox") -> Any:
    return state_dir() / "sandbox" / f"{profile}.admin-token"


def login(cli: Any, sandbox: Any, token: str | None, *extra: str) -> Result:
    args = ["login", "--sandbox", "--url", sandbox.rest_url, *extra]
    if token is not None:
        args.append("--admin-token-stdin")
    result: Result = cli(*args, input=token)
    return result


def test_login_keeps_the_token_and_fault_commands_need_no_url_or_token(
    cli: Any, sandbox: Any
) -> None:
    logged_in = login(cli, sandbox, sandbox.admin_token, "--json")
    assert logged_in.code == 0, logged_in.both
    kept = token_file()
    assert kept.read_text() == sandbox.admin_token
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert sandbox.admin_token not in config_path().read_text() + logged_in.both

    armed = cli("sandbox", "fault", "set", "http_5xx:status=503,route=getRMS")
    assert armed.code == 0, armed.both
    assert [f["name"] for f in sandbox.engine.list_faults()] == ["http_5xx"]
    listed = cli("sandbox", "fault", "list", "--json")
    assert [f["name"] for f in listed.json()["faults"]] == ["http_5xx"]
    assert cli("funds").code == ExitStatus.BROKER_ERROR
    assert cli("sandbox", "fault", "clear").code == 0
    assert sandbox.engine.list_faults() == []
    assert cli("funds").code == 0


def test_login_without_the_token_is_refused_with_a_hint_and_writes_nothing(
    cli: Any, sandbox: Any
) -> None:
    missing = login(cli, sandbox, None)
    wrong = login(cli, sandbox, "not-the-token-0123456789")

    assert missing.code == wrong.code == ExitStatus.CREDENTIALS
    assert "error: the sandbox at" in missing.err and "wants its admin token" in missing.err
    assert "hint:" in missing.err and "--admin-token-stdin" in missing.err
    assert "refused the admin token" in wrong.err
    assert not config_path().exists() and not token_file().exists()


@pytest.mark.parametrize("given", ["", "two words", "\n\n", "tökén-0123456789abcdef"])
def test_the_token_on_standard_input_is_one_word(cli: Any, sandbox: Any, given: str) -> None:
    result = login(cli, sandbox, given)

    assert result.code == ExitStatus.USAGE
    assert "admin token (one word of ASCII) on standard input" in result.err


def test_admin_token_stdin_goes_with_sandbox(cli: Any) -> None:
    result = cli("login", "--admin-token-stdin", "--client-code", "A1", input="tok")

    assert result.code == ExitStatus.USAGE and "goes with --sandbox" in result.err


def test_fault_commands_name_the_missing_sandbox_profile(cli: Any) -> None:
    none = cli("sandbox", "fault", "list")
    assert cli("config", "set", "profiles.main.client_code", "A12345").code == 0
    live = cli("--profile", "main", "sandbox", "fault", "list")

    assert none.code == live.code == ExitStatus.CONFIG
    assert "no sandbox profile 'sandbox'" in none.err and "login --sandbox" in none.err
    assert "profile main is not a sandbox profile" in live.err


def test_a_stale_token_is_refused_with_the_way_out(cli: Any, sandbox_login: Any) -> None:
    token_file().write_text("a-token-of-a-sandbox-that-restarted")

    result = cli("sandbox", "fault", "set", "drop")

    assert result.code == ExitStatus.CREDENTIALS
    assert "refused the admin token" in result.err and "login --sandbox" in result.err


def test_a_sandbox_profile_logs_in_again_with_its_kept_token(
    sandbox_login: Any, sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    settings = resolve_profile(load_config_file(), "sandbox")
    api = SmartApi(build_session(settings, clock=sandbox_clock))
    try:
        api.session.login()  # the demo account fetched again, with the kept token
        assert routes_seen(sandbox).count("loginByPassword") == 2
        token_file().unlink()
        fresh = SmartApi(build_session(settings, clock=sandbox_clock))
        with pytest.raises(CredentialError, match="wants its admin token"):
            fresh.session.login()
        fresh.close()
    finally:
        api.close()


def test_logout_forget_secrets_deletes_the_kept_token(cli: Any, sandbox_login: Any) -> None:
    def credentials_check() -> str:
        checks = cli("doctor", "--offline", "--json").json()["checks"]
        status: str = {c["name"]: c for c in checks}["credentials"]["status"]
        return status

    assert credentials_check() == "ok"
    result = cli("logout", "--forget-secrets", "--json")

    assert result.code == 0 and result.json()["secrets_forgotten"] is True
    assert not token_file().exists()
    assert credentials_check() == "warn"
