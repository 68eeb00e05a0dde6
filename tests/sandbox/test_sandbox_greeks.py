"""``marketData/v1/optionGreek`` over loopback: the broker's shape (strings), Black-Scholes IV
that reprices the LTP within a tick, put-call parity, delta signs and ranges, determinism, the
AB9019 refusal, the 1/s limit, and the official SDK 1.5.5's exact request."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from angelctl.sandbox import ManualClock, SandboxConfig
from angelctl.sandbox.engine.greeks import RISK_FREE_RATE, bs_price, years_to_expiry
from angelctl.sandbox.rest.greeks_api import option_greek
from angelctl.sandbox.rest.routes import ROUTES_BY_NAME
from angelctl.sandbox.rest.state import BrokerState, Call
from tests.sandbox.test_sandbox_quirks import SDK_HEADERS

from .conftest import QUOTE, START, Broker

GREEKS = "/rest/secure/angelbroking/marketData/v1/optionGreek"
RATE_TEXT = "Access denied because of exceeding access rate"
KEYS = [
    "name", "expiry", "strikePrice", "optionType", "delta", "gamma", "theta", "vega",
    "impliedVolatility", "tradeVolume",
]  # fmt: skip


def nifty_chain(broker: Broker) -> tuple[str, list[dict[str, str]]]:
    """The nearest NIFTY expiry (as the route wants it, ``10MAR2026``) and its option rows."""
    rows = broker.admin_get(
        "/instruments", params={"exch_seg": "NFO", "name": "NIFTY", "instrumenttype": "OPTIDX"}
    )["rows"]
    first = min(rows, key=lambda r: datetime.strptime(r["expiry"], "%d%b%Y"))["expiry"]
    return first, [r for r in rows if r["expiry"] == first]


def greeks(broker: Broker, jwt: str, name: str, expiry: str) -> dict[str, Any]:
    broker.clock.advance(1)
    reply = broker.post(GREEKS, {"name": name, "expirydate": expiry}, jwt)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


def test_every_listed_strike_in_the_brokers_shape(broker: Broker, jwt: str) -> None:
    expiry, rows = nifty_chain(broker)

    reply = greeks(broker, jwt, "NIFTY", expiry)

    assert reply["status"] is True and reply["errorcode"] == ""
    data = reply["data"]
    assert len(data) == len(rows) > 40
    assert all(list(item) == KEYS for item in data)
    assert all(isinstance(v, str) for item in data for v in item.values())
    assert {(Decimal(i["strikePrice"]), i["optionType"]) for i in data} == {
        (Decimal(r["strike"]) / 100, r["symbol"][-2:]) for r in rows
    }
    assert data[0]["expiry"] == expiry and data[0]["name"] == "NIFTY"
    assert data[0]["strikePrice"].endswith(".000000")


def _by_contract(data: list[dict[str, str]]) -> dict[tuple[Decimal, str], dict[str, str]]:
    return {(Decimal(i["strikePrice"]), i["optionType"]): i for i in data}


def test_iv_reprices_the_ltp_within_a_tick_and_greeks_have_the_right_signs(
    broker: Broker, jwt: str
) -> None:
    expiry, rows = nifty_chain(broker)
    spot = broker.admin_get("/instruments", params={"exch_seg": "NSE", "symbol": "Nifty 50"})
    index_token = spot["rows"][0]["token"]
    data = _by_contract(greeks(broker, jwt, "NIFTY", expiry)["data"])
    tokens = {(Decimal(r["strike"]) / 100, r["symbol"][-2:]): r["token"] for r in rows}
    wanted = [("NFO", t) for t in tokens.values()] + [("NSE", index_token)]
    ltp: dict[str, float] = {}
    for start in range(0, len(wanted), 50):  # 50 tokens a request
        batch: dict[str, list[str]] = {}
        for seg, token in wanted[start : start + 50]:
            batch.setdefault(seg, []).append(token)
        broker.clock.advance(1)
        reply = broker.post(QUOTE, {"mode": "LTP", "exchangeTokens": batch}, jwt).json()
        ltp.update({q["symbolToken"]: q["ltp"] for q in reply["data"]["fetched"]})
    level = ltp[index_token]
    years = years_to_expiry(datetime.strptime(expiry, "%d%b%Y").date(), broker.clock.now())
    repriced, solved = 0, []
    for (strike, right), item in data.items():
        delta, gamma, vega = (float(item[k]) for k in ("delta", "gamma", "vega"))
        assert (0 <= delta <= 1) if right == "CE" else (-1 <= delta <= 0), item
        assert gamma >= 0 and vega >= 0, item
        iv = float(item["impliedVolatility"]) / 100
        premium = ltp[tokens[(strike, right)]]
        if 0.02 < iv < 4.9 and premium > 1:  # solved inside the bracket, above the floor
            model = bs_price(level, float(strike), years, iv, right, RISK_FREE_RATE)
            assert abs(model - premium) <= 0.05 + premium * 1e-3, (item, premium, model)
            repriced += 1
            if abs(float(strike) - level) < level * 0.01:  # far out, time value is tick noise
                solved.append(iv)
    assert repriced >= 20
    # premiums are Black-76 at the series' 13 % on the index's level: flat near the money
    assert 0.11 < sorted(solved)[len(solved) // 2] < 0.16, solved
    assert all(float(i["theta"]) < 0 for (_, right), i in data.items() if right == "CE")


def test_put_call_parity_gives_one_iv_when_prices_obey_it(broker: Broker, jwt: str) -> None:
    """Put the ATM call and put at parity-consistent prices: their IVs agree."""
    expiry, rows = nifty_chain(broker)
    index = broker.admin_get("/instruments", params={"exch_seg": "NSE", "symbol": "Nifty 50"})
    broker.set_price("NSE", index["rows"][0]["token"], "25000")
    strikes = sorted({Decimal(r["strike"]) / 100 for r in rows})
    atm = min(strikes, key=lambda k: abs(k - 25000))
    token = {r["symbol"][-2:]: r["token"] for r in rows if Decimal(r["strike"]) / 100 == atm}
    years = years_to_expiry(datetime.strptime(expiry, "%d%b%Y").date(), broker.clock.now())
    call = bs_price(25000, float(atm), years, 0.14, "CE")
    put = bs_price(25000, float(atm), years, 0.14, "PE")
    broker.set_price("NFO", token["CE"], f"{call:.2f}")
    broker.set_price("NFO", token["PE"], f"{put:.2f}")

    data = _by_contract(greeks(broker, jwt, "NIFTY", expiry)["data"])

    call_iv = float(data[(atm, "CE")]["impliedVolatility"])
    put_iv = float(data[(atm, "PE")]["impliedVolatility"])
    assert abs(call_iv - 14) < 0.2 and abs(put_iv - 14) < 0.2, (call, put, call_iv, put_iv)
    assert abs(call_iv - put_iv) < 0.5


def _answer(seed: int, minutes: int) -> Any:
    """optionGreek for the nearest NIFTY expiry from a fresh broker with ``seed``, its market
    walked ``minutes`` of market time."""
    clock = ManualClock(START)
    state = BrokerState(SandboxConfig(market_seed=seed), clock)
    clock.advance(minutes * 60)
    route = ROUTES_BY_NAME["optionGreek"]
    body = {"name": "NIFTY", "expirydate": "10MAR2026"}
    call = Call(request=None, route=route, now=clock.now(), body=body)  # type: ignore[arg-type]
    return option_greek(state, call).json()


def test_same_seed_and_moment_same_answer() -> None:
    first = _answer(7, 30)
    assert first["status"] is True and len(first["data"]) > 40
    assert _answer(7, 30) == first
    assert _answer(8, 30) != first


def test_unknown_name_or_expiry_is_no_data_available(broker: Broker, jwt: str) -> None:
    expiry, _ = nifty_chain(broker)
    for body in (
        {"name": "DMART", "expirydate": "25JAN2024"},  # the live capture
        {"name": "NIFTY", "expirydate": "25JAN2024"},
        {"name": "NIFTY", "expirydate": "soon"},
        {"name": "SENSEX", "expirydate": expiry},  # BSE: the route is NSE only
        {},
    ):
        broker.clock.advance(1)
        reply = broker.post(GREEKS, body, jwt).json()
        assert reply == {
            "status": False, "message": "No Data Available", "errorcode": "AB9019", "data": None
        }, body  # fmt: skip


def test_one_call_a_second(broker: Broker, jwt: str) -> None:
    expiry, _ = nifty_chain(broker)
    broker.clock.advance(2)
    body = {"name": "NIFTY", "expirydate": expiry}
    replies = [broker.post(GREEKS, body, jwt) for _ in range(2)]
    assert replies[0].status_code == 200 and replies[1].status_code == 403
    assert replies[1].text == RATE_TEXT
    broker.clock.advance(1)
    assert broker.post(GREEKS, body, jwt).status_code == 200


def test_the_sdk_1_5_5_request_as_it_goes_on_the_wire(broker: Broker, jwt: str) -> None:
    """``SmartConnect.optionGreek({"name", "expirydate"})``: the route string without its leading
    slash joined to the root, ``json.dumps`` with its default separators, the SDK's headers
    (lower-case ``Content-type``, the hard-coded public IP)."""
    expiry, _ = nifty_chain(broker)
    broker.clock.advance(1)
    body = json.dumps({"name": "NIFTY", "expirydate": expiry})
    headers = {**SDK_HEADERS, "Authorization": f"Bearer {jwt}"}
    url = requests.compat.urljoin(
        broker.url + "/", "rest/secure/angelbroking/marketData/v1/optionGreek"
    )

    reply = requests.post(url, data=body, headers=headers, timeout=7)

    assert reply.status_code == 200
    payload = reply.json()
    assert list(payload) == ["status", "message", "errorcode", "data"]
    assert payload["status"] is True and payload["message"] == "SUCCESS"
    assert all(list(item) == KEYS for item in payload["data"])


def test_time_to_expiry_runs_to_half_past_three_ist() -> None:
    assert START.hour == 10
    assert abs(years_to_expiry(date(2026, 3, 10), START) * 365 * 24 - 5.5) < 1e-9
    assert abs(years_to_expiry(date(2026, 3, 9), START) * 365 * 86_400 - 60) < 1e-6  # past


def test_open_interest_peaks_near_the_money_and_the_feed_agrees_with_quotes() -> None:
    """Options' OI is highest just out of the money; a REST quote's ``opnInterest`` and the
    feed's SNAP_QUOTE carry the same OI, and the feed's OI change % is against the previous
    session's OI."""
    from angelctl.sandbox.rest.market_api import quote_row
    from angelctl.sandbox.ws.feed import build_tick

    clock = ManualClock(START)
    state = BrokerState(SandboxConfig(), clock)
    options = sorted(
        (i for i in state.universe.instruments
         if i.exch_seg == "NFO" and i.name == "NIFTY" and i.is_option
         and i.expiry == date(2026, 3, 10) and i.option_type == "CE"),
        key=lambda i: i.strike or 0,
    )  # fmt: skip
    market = state.paper.market
    tickers = [market.ticker(*i.key) for i in options]
    oi = [t.open_interest for t in tickers if t is not None]
    middle = len(oi) // 2
    assert sum(oi[middle - 3 : middle + 5]) > 2 * (sum(oi[:4]) + sum(oi[-4:]))
    for ticker in tickers[::7]:
        assert ticker is not None
        row = quote_row(ticker, "FULL", clock.now())
        tick = build_tick(3, 2, ticker.instrument.token, ticker)
        assert row["opnInterest"] == tick.open_interest == ticker.open_interest  # type: ignore[attr-defined]
        previous = ticker.oi_base
        assert tick.oi_change_pct == pytest.approx(
            (ticker.open_interest - previous) * 100 / previous
        )  # type: ignore[attr-defined]
        assert ticker.open_interest != previous


def test_premiums_follow_the_index_and_keep_put_call_parity() -> None:
    """An option's walk is centred on its Black-76 value at the index's LTP of the moment: lift
    the index 1 % and, a step later, the ATM call is dearer, the put cheaper, and C − P stays
    near F − K (each keeps only its own small noise)."""
    from angelctl.sandbox.engine.pricing import FUTURES_CARRY, forward, years_to

    clock = ManualClock(START)
    state = BrokerState(SandboxConfig(), clock)
    market = state.paper.market
    chain = {
        (i.strike, i.option_type): i
        for i in state.universe.instruments
        if i.exch_seg == "NFO" and i.name == "NIFTY" and i.expiry == date(2026, 3, 17)
    }
    index = market.ticker("NSE", "99926000")
    assert index is not None
    atm = min({k for k, _ in chain if k is not None}, key=lambda k: abs(k - index.ltp))

    def prices() -> tuple[Decimal, Decimal, Decimal]:
        call, put = (market.ticker(*chain[(atm, r)].key) for r in ("CE", "PE"))
        level = market.ticker("NSE", "99926000")
        assert call is not None and put is not None and level is not None
        return level.ltp, call.ltp, put.ltp

    _, call0, put0 = prices()
    market.set_ltp("NSE", "99926000", index.ltp * Decimal("1.01"))
    clock.advance(2)
    level, call1, put1 = prices()
    assert call1 > call0 + 100 and put1 < put0 - 50, (call0, call1, put0, put1)
    fwd = forward(level, FUTURES_CARRY, years_to(date(2026, 3, 17), START.date()))
    assert abs(float(call1 - put1) - (fwd - float(atm))) < 0.05 * float(call1 + put1)
