"""Fixtures: one sandbox on a free loopback port per test session, reset before every test.

The server runs on a ``ManualClock`` so tests decide when time passes: a second for a rate-limit
window, 30 s for the next TOTP step, a night for session expiry. Nothing here sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
import pytest
import requests

from angelctl.sandbox import ManualClock, SandboxAccount, SandboxConfig, SandboxServer
from angelctl.sandbox.clock import IST

START = datetime(2026, 3, 10, 10, 0, 0, tzinfo=IST)

LOGIN = "/rest/auth/angelbroking/user/v1/loginByPassword"
GENERATE_TOKENS = "/rest/auth/angelbroking/jwt/v1/generateTokens"
PROFILE = "/rest/secure/angelbroking/user/v1/getProfile"
LOGOUT = "/rest/secure/angelbroking/user/v1/logout"
RMS = "/rest/secure/angelbroking/user/v1/getRMS"
PLACE_ORDER = "/rest/secure/angelbroking/order/v1/placeOrder"
MODIFY_ORDER = "/rest/secure/angelbroking/order/v1/modifyOrder"
CANCEL_ORDER = "/rest/secure/angelbroking/order/v1/cancelOrder"

SECOND = SandboxAccount(
    client_code="SBX0002",
    api_key="sandbox-api-key-2",
    mpin="5678",
    totp_secret="SECONDSANDBOXACCOUNTTOTPSECRETBB",
    name="Second Trader",
    available_cash="1000.50",
)


@dataclass
class Tokens:
    jwt: str
    refresh: str
    feed: str


class Broker:
    """A deliberately plain SmartAPI caller: raw ``requests``, headers as the docs list them."""

    def __init__(self, server: SandboxServer, clock: ManualClock) -> None:
        self.server = server
        self.clock = clock
        self.url = server.rest_url

    def headers(self, token: str | None = None, api_key: str = "sandbox-api-key") -> dict[str, str]:
        out = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-UserType": "USER",
            "X-SourceID": "WEB",
            "X-ClientLocalIP": "127.0.0.1",
            "X-ClientPublicIP": "127.0.0.1",
            "X-MACAddress": "00:00:00:00:00:00",
            "X-PrivateKey": api_key,
        }
        if token is not None:
            out["Authorization"] = f"Bearer {token}"
        return out

    def totp(self, account: SandboxAccount | None = None, offset_steps: int = 0) -> str:
        secret = (account or self.server.config.demo).totp_secret
        return str(pyotp.TOTP(secret).at(self.clock.now(), counter_offset=offset_steps))

    def login(
        self,
        account: SandboxAccount | None = None,
        *,
        password: str | None = None,
        totp: str | None = None,
        client_code: str | None = None,
    ) -> requests.Response:
        account = account or self.server.config.demo
        body = {
            "clientcode": client_code or account.client_code,
            "password": account.mpin if password is None else password,
            "totp": self.totp(account) if totp is None else totp,
            "state": "live",
        }
        return self.post(LOGIN, body, api_key=account.api_key)

    def tokens(self, account: SandboxAccount | None = None) -> Tokens:
        """Log in (moving to a fresh TOTP step first, as a careful client would)."""
        self.clock.advance(30)
        response = self.login(account)
        data = response.json()["data"]
        return Tokens(data["jwtToken"], data["refreshToken"], data["feedToken"])

    def get(
        self, path: str, token: str | None = None, api_key: str = "sandbox-api-key", **kw: Any
    ) -> requests.Response:
        return requests.get(self.url + path, headers=self.headers(token, api_key), **kw)

    def post(
        self,
        path: str,
        body: Any,
        token: str | None = None,
        api_key: str = "sandbox-api-key",
        **kw: Any,
    ) -> requests.Response:
        return requests.post(
            self.url + path, data=json.dumps(body), headers=self.headers(token, api_key), **kw
        )

    def refresh(self, refresh_token: str, token: str | None = None) -> requests.Response:
        return self.post(GENERATE_TOKENS, {"refreshToken": refresh_token}, token)

    def admin_get(self, path: str, **kw: Any) -> Any:
        response = requests.get(self.server.admin_url + path, **kw)
        response.raise_for_status()
        return response.json()

    def admin_post(self, path: str, body: Any) -> requests.Response:
        return requests.post(self.server.admin_url + path, json=body)

    def fault(self, **spec: Any) -> dict[str, Any]:
        response = self.admin_post("/faults", spec)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def configure(self, **changes: Any) -> dict[str, Any]:
        response = self.admin_post("/config", changes)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def requests_seen(self, route: str | None = None) -> list[dict[str, Any]]:
        params = {"route": route} if route else {}
        records: list[dict[str, Any]] = self.admin_get("/requests", params=params)
        return records


@pytest.fixture(scope="session")
def sandbox_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="session")
def sandbox_server(sandbox_clock: ManualClock) -> Iterator[SandboxServer]:
    config = SandboxConfig(extra_accounts=[SECOND])
    with SandboxServer(config, clock=sandbox_clock) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer, sandbox_clock: ManualClock) -> SandboxServer:
    sandbox_server.engine.reset()
    sandbox_clock.set(START)
    return sandbox_server


@pytest.fixture
def broker(sandbox: SandboxServer, sandbox_clock: ManualClock) -> Broker:
    return Broker(sandbox, sandbox_clock)
