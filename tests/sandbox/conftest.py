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
from tests.conftest import admin_request

START = datetime(2026, 3, 10, 10, 0, 0, tzinfo=IST)

LOGIN = "/rest/auth/angelbroking/user/v1/loginByPassword"
GENERATE_TOKENS = "/rest/auth/angelbroking/jwt/v1/generateTokens"
PROFILE = "/rest/secure/angelbroking/user/v1/getProfile"
LOGOUT = "/rest/secure/angelbroking/user/v1/logout"
RMS = "/rest/secure/angelbroking/user/v1/getRMS"
PLACE_ORDER = "/rest/secure/angelbroking/order/v1/placeOrder"
MODIFY_ORDER = "/rest/secure/angelbroking/order/v1/modifyOrder"
CANCEL_ORDER = "/rest/secure/angelbroking/order/v1/cancelOrder"
ORDER_BOOK = "/rest/secure/angelbroking/order/v1/getOrderBook"
TRADE_BOOK = "/rest/secure/angelbroking/order/v1/getTradeBook"
ORDER_DETAILS = "/rest/secure/angelbroking/order/v1/details/"
POSITIONS = "/rest/secure/angelbroking/order/v1/getPosition"
CONVERT_POSITION = "/rest/secure/angelbroking/order/v1/convertPosition"
HOLDING = "/rest/secure/angelbroking/portfolio/v1/getHolding"
ALL_HOLDING = "/rest/secure/angelbroking/portfolio/v1/getAllHolding"
QUOTE = "/rest/secure/angelbroking/market/v1/quote"
LTP_DATA = "/rest/secure/angelbroking/order/v1/getLtpData"

SBIN = ("NSE", "3045", "SBIN-EQ")

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

    def admin(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        """An admin request with the server's token (``tests.conftest.admin_request``)."""
        response: requests.Response = admin_request(self.server, method, path, body, **kw)
        return response

    def admin_get(self, path: str, **kw: Any) -> Any:
        response = self.admin("GET", path, **kw)
        response.raise_for_status()
        return response.json()

    def admin_post(self, path: str, body: Any) -> requests.Response:
        return self.admin("POST", path, body)

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

    # ---------------------------------------------------------------- paper broker

    def set_price(self, exch_seg: str, token: str, ltp: str, **extra: str) -> dict[str, Any]:
        response = self.admin_post(
            "/market/price", {"exch_seg": exch_seg, "token": token, "ltp": ltp, **extra}
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def freeze(self, frozen: bool = True) -> None:
        assert self.admin_post("/market/freeze", {"frozen": frozen}).json() == {"frozen": frozen}

    def step(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin_post("/orders/step", {}).json()
        return result

    def orders(self, **params: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.admin_get("/orders", params=params)["orders"]
        return rows

    def order(self, orderid: str) -> dict[str, Any]:
        (row,) = [row for row in self.orders() if row["orderid"] == orderid]
        return row

    def events(self, **params: Any) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.admin_get("/events", params=params)["events"]
        return events

    def place(self, token: str, **overrides: Any) -> dict[str, Any]:
        """placeOrder with ``order_body(**overrides)``; the parsed reply."""
        result: dict[str, Any] = self.post(PLACE_ORDER, order_body(**overrides), token).json()
        return result

    def place_id(self, token: str, **overrides: Any) -> str:
        reply = self.place(token, **overrides)
        assert reply["status"] is True, reply
        return str(reply["data"]["orderid"])

    def read(self, path: str, token: str) -> Any:
        """GET a book after a second has passed (books allow one read a second); its JSON."""
        self.clock.advance(1)
        response = self.get(path, token)
        assert response.status_code == 200, response.text
        return response.json()


def order_body(**overrides: Any) -> dict[str, Any]:
    """A placeOrder body as the SDKs send it (strings): BUY 1 SBIN-EQ LIMIT 800 INTRADAY DAY."""
    body: dict[str, Any] = {
        "variety": "NORMAL",
        "tradingsymbol": SBIN[2],
        "symboltoken": SBIN[1],
        "transactiontype": "BUY",
        "exchange": SBIN[0],
        "ordertype": "LIMIT",
        "producttype": "INTRADAY",
        "duration": "DAY",
        "price": "800",
        "triggerprice": "0",
        "squareoff": "0",
        "stoploss": "0",
        "quantity": "1",
        "ordertag": "t1",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


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


@pytest.fixture
def jwt(broker: Broker) -> str:
    """The demo account logged in, with a still market and SBIN-EQ at 800."""
    token = broker.tokens().jwt
    broker.freeze()
    broker.set_price("NSE", SBIN[1], "800")
    return token
