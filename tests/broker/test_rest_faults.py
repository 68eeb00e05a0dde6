"""The REST core under injected faults: what is retried, what is not, and the exit codes."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from angelctl.broker.api import SmartApi, build_session
from angelctl.errors import (
    ConnectFailed,
    RateLimited,
    RequestRejected,
    ResponseLost,
    ServerError,
)
from angelctl.status import ExitStatus
from tests.broker.test_login_session import settings_for
from tests.conftest import ShiftedClock, arm, routes_seen


def logged_in(sandbox: Any, clock: ShiftedClock, **overrides: Any) -> SmartApi:
    api = SmartApi(build_session(settings_for(sandbox, **overrides), clock=clock))
    api.session.login()
    return api


def test_read_timeout_on_a_read_only_call_is_retried(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    api = logged_in(sandbox, sandbox_clock, read_timeout=0.3)
    arm(sandbox, name="hold", seconds=1.0, route="getRMS", count=1)
    assert api.funds().available_cash > 0
    assert routes_seen(sandbox).count("getRMS") == 2
    assert api.session.rest.stats["retry:ResponseLost"] == 1


def test_read_timeout_on_a_write_is_not_retried(sandbox: Any, sandbox_clock: ShiftedClock) -> None:
    api = logged_in(sandbox, sandbox_clock, read_timeout=0.3)
    arm(sandbox, name="hold", seconds=1.0, route="logout", count=1)
    with pytest.raises(ResponseLost) as info:
        api.session.logout()
    assert info.value.exit_status == ExitStatus.NETWORK
    assert routes_seen(sandbox).count("logout") == 1  # the server acted once; no resend


def test_dropped_connection_after_processing_is_outcome_unknown_for_writes(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    api = logged_in(sandbox, sandbox_clock)
    arm(sandbox, name="drop", route="logout", count=1)
    with pytest.raises(ResponseLost):
        api.session.logout()
    assert routes_seen(sandbox).count("logout") == 1


def test_5xx_is_retried_for_reads_and_surfaced_when_it_persists(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    api = logged_in(sandbox, sandbox_clock)
    arm(sandbox, name="http_5xx", status=502, route="getProfile", count=2)
    assert api.profile().client_code
    arm(sandbox, name="http_5xx", status=503, route="getProfile")
    with pytest.raises(ServerError) as info:
        api.profile()
    assert info.value.http_status == 503
    assert info.value.exit_status == ExitStatus.BROKER_ERROR


def test_rate_limit_text_reply_is_retried_after_backoff(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    api = logged_in(sandbox, sandbox_clock)
    arm(sandbox, name="rate_limit", route="getRMS", count=2)
    assert api.funds().available_cash > 0
    assert api.session.rest.stats["retry:RateLimited"] == 2
    arm(sandbox, name="rate_limit", route="getRMS")
    with pytest.raises(RateLimited) as info:
        api.funds()
    assert info.value.http_status == 403
    assert info.value.exit_status == ExitStatus.RATE_LIMITED


def test_waf_page_and_empty_400_are_rejections_not_retried(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    api = logged_in(sandbox, sandbox_clock)
    arm(sandbox, name="waf_html", route="getProfile", count=1)
    with pytest.raises(RequestRejected) as waf:
        api.profile()
    assert "firewall" in waf.value.message
    arm(sandbox, name="empty_400", route="getProfile", count=1)
    with pytest.raises(RequestRejected) as empty:
        api.profile()
    assert empty.value.http_status == 400
    assert routes_seen(sandbox).count("getProfile") == 2


def test_connection_refused_is_connect_failed_and_retried(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = settings_for(sandbox, api_url=f"http://127.0.0.1:{closed_port}")
    session = build_session(settings, clock=sandbox_clock, store=_demo_store(sandbox))
    with pytest.raises(ConnectFailed) as info:
        session.login()
    assert "refused" in info.value.message
    assert session.rest.stats["sent:loginByPassword"] == session.rest.retry.max_attempts


def test_cli_exit_codes_for_each_failure(cli: Any, sandbox_login: Any, sandbox: Any) -> None:
    arm(sandbox, name="waf_html", route="getProfile", count=1)
    waf = cli("whoami")
    assert waf.code == ExitStatus.REJECTED and "firewall" in waf.err
    arm(sandbox, name="empty_400", route="getProfile", count=1)
    assert cli("whoami").code == ExitStatus.REJECTED
    arm(sandbox, name="http_5xx", status=500, route="getRMS")
    five = cli("funds", "--json")
    assert five.code == ExitStatus.BROKER_ERROR
    assert five.json()["error"]["exit_status"] == 9


def _demo_store(sandbox: Any) -> Any:
    from angelctl.broker.api import fetch_sandbox_demo
    from angelctl.secrets import SandboxDemoStore, Secret

    return SandboxDemoStore(
        lambda _: fetch_sandbox_demo(sandbox.rest_url, Secret(sandbox.admin_token))
    )
