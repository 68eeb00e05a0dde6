"""The paper market: a seeded walk per instrument, the admin price switches, and the quote routes
compared with the real captures (ZOMATO FULL 2024-12-20, OHLC/LTP comment captures)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from angelctl.sandbox import ManualClock, SandboxConfig, SandboxEngine
from angelctl.sandbox.engine import market as market_module
from angelctl.sandbox.engine.market import Market
from tests.conftest import REALDATA as ALL_REALDATA

from .conftest import LTP_DATA, QUOTE, SBIN, START, Broker

REALDATA = ALL_REALDATA / "responses"
FULL_CAPTURE = REALDATA / "market_quote_FULL_ZOMATO_2024-12-20_Vectra.txt"
OHLC_LTP_CAPTURES = REALDATA / "market_quote_LTP_OHLC_comment_captures_index.json"
PRICE_KEYS = {"ltp", "open", "high", "low", "close", "netChange", "percentChange", "avgPrice"}
PRICE_KEYS |= {"lowerCircuit", "upperCircuit", "52WeekLow", "52WeekHigh"}


def engine_market(seed: int = 7, **config: Any) -> tuple[Market, ManualClock]:
    clock = ManualClock(START)
    engine = SandboxEngine(SandboxConfig(market_seed=seed, **config), clock)
    return engine.state.paper.market, clock


def walk(market: Market, clock: ManualClock, seconds: int) -> list[Decimal]:
    prices = []
    for _ in range(seconds):
        clock.advance(1)
        ticker = market.ticker("NSE", SBIN[1])
        assert ticker is not None
        prices.append(ticker.ltp)
    return prices


def full_capture() -> dict[str, Any]:
    """The real FULL quote body; the paste starts inside ``fetched[0]`` (see SOURCES.md)."""
    text = FULL_CAPTURE.read_text()
    body: dict[str, Any] = json.loads(
        '{"status":true,"message":"SUCCESS","errorcode":"","data":{"fetched":[{' + text
    )
    return body


def quote(broker: Broker, jwt: str, mode: str, tokens: dict[str, list[Any]]) -> Any:
    return broker.post(QUOTE, {"mode": mode, "exchangeTokens": tokens}, jwt).json()


# ---------------------------------------------------------------------------- the walk


def test_the_walk_is_a_function_of_the_seed_and_the_clock() -> None:
    first = walk(*engine_market(seed=7), 120)
    again = walk(*engine_market(seed=7), 120)
    other = walk(*engine_market(seed=8), 120)

    assert first == again
    assert first != other
    assert len(set(first)) > 20  # it does move


def test_prices_stay_on_the_tick_and_inside_the_circuit_band() -> None:
    market, clock = engine_market(market_step_bps=80)  # a wild market, to reach the band
    prices = walk(market, clock, 600)
    ticker = market.ticker("NSE", SBIN[1])
    assert ticker is not None

    assert all(price % ticker.tick == 0 for price in prices)
    assert all(ticker.lower_circuit <= price <= ticker.upper_circuit for price in prices)
    assert (ticker.low, ticker.high) == (min(*prices, ticker.open), max(*prices, ticker.open))
    assert ticker.week52_low <= ticker.low and ticker.high <= ticker.week52_high
    assert ticker.volume > 0 and ticker.low <= ticker.avg_price <= ticker.high


def test_an_hour_unobserved_is_one_jump_not_3600_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted, not timed: an hour's gap draws one normal (one exact OU jump), whatever the
    machine's speed (bench/sandbox_ticks.py times looks at the feed's rate)."""
    market, clock = engine_market()
    market.ticker("NSE", SBIN[1])
    clock.advance(3600)
    draws: list[int] = []
    normal = market_module._normal
    monkeypatch.setattr(
        market_module, "_normal", lambda seed, i: draws.append(i) or normal(seed, i)
    )

    ticker = market.ticker("NSE", SBIN[1])

    assert ticker is not None and ticker.step == 3600
    assert draws == [3600]
    clock.advance(3)
    market.ticker("NSE", SBIN[1])
    assert draws == [3600, 3601, 3602, 3603]  # a short gap is walked step by step


def test_freeze_stops_the_walk_and_thawing_resumes_it(broker: Broker) -> None:
    broker.freeze()
    before = broker.admin_get("/market", params={"exch_seg": "NSE", "token": SBIN[1]})
    broker.clock.advance(300)
    frozen = broker.admin_get("/market", params={"exch_seg": "NSE", "token": SBIN[1]})
    assert frozen["quote"]["ltp"] == before["quote"]["ltp"]
    assert frozen["step"] == before["step"]

    broker.freeze(False)
    broker.clock.advance(30)
    thawed = broker.admin_get("/market", params={"exch_seg": "NSE", "token": SBIN[1]})

    assert thawed["step"] == before["step"] + 30  # the frozen five minutes never happened
    assert broker.admin_get("/market")["frozen"] is False


def test_set_price_moves_the_ltp_and_keeps_the_day_inside_the_band(broker: Broker) -> None:
    broker.freeze()
    broker.set_price("NSE", SBIN[1], "800")  # far from the reference: the day is rebased
    view = broker.set_price("NSE", SBIN[1], "812.34")  # rounded to the 0.10 tick

    q = view["quote"]
    assert (q["ltp"], q["close"], q["open"], q["high"], q["low"]) == (
        812.3,
        800.0,
        800.0,
        812.3,
        800.0,
    )
    assert (q["lowerCircuit"], q["upperCircuit"]) == (720.0, 880.0)
    assert (q["netChange"], q["percentChange"]) == (12.3, 1.54)
    assert view["tick_size"] == "0.1"


def test_set_price_can_set_the_previous_close(broker: Broker) -> None:
    broker.freeze()
    q = broker.set_price("NSE", SBIN[1], "800", close="790")["quote"]

    assert (q["ltp"], q["close"], q["lowerCircuit"], q["upperCircuit"]) == (
        800.0,
        790.0,
        711.0,
        869.0,
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"exch_seg": "NSE", "token": SBIN[1], "ltp": "-5"}, 400),
        ({"exch_seg": "NSE", "token": SBIN[1], "ltp": "abc"}, 400),
        ({"exch_seg": "NSE", "ltp": "800"}, 400),
        ({"exch_seg": "NSE", "token": "424242", "ltp": "800"}, 404),
    ],
)
def test_bad_set_price_requests_are_refused(
    broker: Broker, body: dict[str, str], status: int
) -> None:
    assert broker.admin_post("/market/price", body).status_code == status


# ------------------------------------------------------------------------------- quotes


def test_full_quote_has_the_keys_order_and_types_of_the_real_capture(
    broker: Broker, jwt: str
) -> None:
    real = full_capture()["data"]["fetched"][0]

    reply = quote(broker, jwt, "FULL", {"NSE": [SBIN[1]]})

    ours = reply["data"]["fetched"][0]
    assert list(ours) == list(real)
    assert list(ours["depth"]) == ["buy", "sell"]
    assert [list(level) for level in ours["depth"]["buy"]] == [["price", "quantity", "orders"]] * 5
    for key, value in real.items():
        if key in PRICE_KEYS:
            assert isinstance(ours[key], float), key  # rupees as JSON numbers
        else:
            assert type(ours[key]) is type(value), key
    assert reply["data"]["unfetched"] == []
    assert list(reply) == ["status", "message", "errorcode", "data"]


def test_full_quote_values_hang_together(broker: Broker, jwt: str) -> None:
    q = quote(broker, jwt, "FULL", {"NSE": [SBIN[1]]})["data"]["fetched"][0]
    bids = [level["price"] for level in q["depth"]["buy"]]
    asks = [level["price"] for level in q["depth"]["sell"]]

    assert (q["tradingSymbol"], q["symbolToken"], q["ltp"]) == ("SBIN-EQ", SBIN[1], 800.0)
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert bids[0] <= q["ltp"] < asks[0]
    assert q["lowerCircuit"] <= min(bids) and max(asks) <= q["upperCircuit"]
    assert q["totBuyQuan"] >= sum(level["quantity"] for level in q["depth"]["buy"])
    assert q["exchFeedTime"] == "10-Mar-2026 10:00:30"  # the engine clock, IST
    assert q["opnInterest"] == 0  # a cash stock


def test_derivatives_carry_open_interest_and_option_bands(broker: Broker, jwt: str) -> None:
    future = broker.admin_get("/instruments", params={"name": "NIFTY", "instrumenttype": "FUTIDX"})
    option = broker.admin_get("/instruments", params={"name": "NIFTY", "instrumenttype": "OPTIDX"})
    tokens = [future["rows"][0]["token"], option["rows"][0]["token"]]

    fut, opt = quote(broker, jwt, "FULL", {"NFO": tokens})["data"]["fetched"]

    assert fut["opnInterest"] > 0 and fut["opnInterest"] % 65 == 0
    assert opt["lowerCircuit"] == 0.05 and opt["upperCircuit"] > 3 * opt["close"]


def test_an_index_quote_has_no_circuits_volume_or_depth(broker: Broker, jwt: str) -> None:
    q = quote(broker, jwt, "FULL", {"NSE": ["99926000"]})["data"]["fetched"][0]

    assert q["tradingSymbol"] == "Nifty 50" and q["ltp"] > 0
    assert (q["lowerCircuit"], q["upperCircuit"], q["tradeVolume"]) == (0.0, 0.0, 0)
    assert {level["quantity"] for level in q["depth"]["buy"] + q["depth"]["sell"]} == {0}


def test_ltp_and_ohlc_modes_carry_exactly_the_captured_keys(broker: Broker, jwt: str) -> None:
    captures = json.loads(OHLC_LTP_CAPTURES.read_text())["items"]
    ohlc_text = "\n".join(line.removeprefix("// ") for line in captures[0]["text"].splitlines()[2:])
    ltp_text = "\n".join(line.strip().lstrip("*") for line in captures[1]["text"].splitlines())
    real_ohlc = json.loads(ohlc_text)["data"]["fetched"][0]
    real_ltp = json.loads(ltp_text)["data"]["fetched"][0]

    ohlc = quote(broker, jwt, "OHLC", {"NSE": [SBIN[1]]})["data"]["fetched"][0]
    ltp = quote(broker, jwt, "LTP", {"NSE": [SBIN[1]]})["data"]["fetched"][0]

    assert list(ohlc) == list(real_ohlc)
    assert list(ltp) == list(real_ltp)
    assert all(isinstance(ohlc[k], float) for k in ("ltp", "open", "high", "low", "close"))


def test_fifty_tokens_are_served_and_fifty_one_are_refused(broker: Broker, jwt: str) -> None:
    rows = broker.admin_get("/instruments", params={"exch_seg": "NSE"})["rows"]
    tokens = [row["token"] for row in rows][:51]

    fifty = quote(broker, jwt, "LTP", {"NSE": tokens[:50], "BSE": []})
    broker.clock.advance(1)
    fifty_one = broker.post(QUOTE, {"mode": "LTP", "exchangeTokens": {"NSE": tokens}}, jwt)

    assert len(fifty["data"]["fetched"]) == 50
    assert fifty_one.text == (
        '{"message":"You can fetch a maximum of 50 tokens in a single request",'
        '"errorcode":"AB1007","status":false,"data":null}'
    )


def test_unknown_and_empty_tokens_come_back_unfetched(broker: Broker, jwt: str) -> None:
    reply = quote(broker, jwt, "FULL", {"NSE": [SBIN[1], "99999999", "", SBIN[1]], "XYZ": ["1"]})

    assert [q["symbolToken"] for q in reply["data"]["fetched"]] == [SBIN[1]]  # asked twice
    assert reply["data"]["unfetched"] == [
        {
            "exchange": "NSE",
            "symbolToken": "99999999",
            "message": "Unable to fetch market data",
            "errorCode": "AB4030",
        },
        {
            "exchange": "NSE",
            "symbolToken": "",
            "message": "Symbol token cannot be empty",
            "errorCode": "AB4018",
        },
        {
            "exchange": "XYZ",
            "symbolToken": "1",
            "message": "Unable to fetch market data",
            "errorCode": "AB4030",
        },
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "QUOTE", "exchangeTokens": {"NSE": [SBIN[1]]}},
        {"mode": "LTP", "exchangeTokens": [SBIN[1]]},
        {"mode": "LTP"},
    ],
)
def test_bad_mode_or_token_map_is_refused(broker: Broker, jwt: str, body: dict[str, Any]) -> None:
    reply = broker.post(QUOTE, body, jwt).json()

    assert (reply["status"], reply["errorcode"]) == (False, "AB1007")


def test_get_ltp_data_answers_ohlc_and_ltp_for_one_token(broker: Broker, jwt: str) -> None:
    reply = broker.post(
        LTP_DATA, {"exchange": "NSE", "tradingsymbol": "SBIN-EQ", "symboltoken": SBIN[1]}, jwt
    ).json()
    unknown = broker.post(
        LTP_DATA, {"exchange": "NSE", "tradingsymbol": "X", "symboltoken": "424242"}, jwt
    )

    assert reply["data"] == {
        "exchange": "NSE",
        "tradingsymbol": "SBIN-EQ",
        "symboltoken": SBIN[1],
        "open": 800.0,
        "high": 800.0,
        "low": 800.0,
        "close": 800.0,
        "ltp": 800.0,
    }
    assert unknown.text == (
        '{"message":"Failed to get symbol details","errorcode":"AB1018","status":false,"data":null}'
    )


def test_quotes_follow_the_walk_when_the_market_is_live(broker: Broker, jwt: str) -> None:
    broker.freeze(False)
    seen = set()
    for _ in range(10):
        broker.clock.advance(5)
        seen.add(quote(broker, jwt, "LTP", {"NSE": [SBIN[1]]})["data"]["fetched"][0]["ltp"])

    assert len(seen) > 3
