"""Numeric fields as the broker sends them: a JSON number or a string of the same value parse to
the same result in every parser of broker rows, and a malformed value is a clear
``UnparseableResponse`` (REST) or a dropped, counted frame (order updates), never a traceback.

Rows are real where ``tests/realdata`` has one (attribution in its SOURCES.md):
- the FULL quote of ZOMATO-EQ, ``responses/market_quote_FULL_ZOMATO_2024-12-20_Vectra.txt``;
- the order-update frames AB09 and AB05 (``orderData`` is the order-book row),
  ``ticks/smartapi_python_ws2_decoded_SNAP_QUOTE_ticks_and_order_updates_2023-2025_index.txt``;
- Angel's own getHolding row, ``responses/forum_and_issue_captures_smartapi.json`` (truncated
  after ``haircut`` in the capture; the remaining documented keys are added).
The realdata has no trade book, position, getLtpData, GTT rule or getRMS row; those use the
documented example rows (trade book: the docs' ``"fillprice":"175.00"`` row; positions:
``DOCS_POSITION``) and the sandbox's live-shaped rows (numbers where the live broker sends them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from angelctl.broker.fields import decimal_field, int_field, optional_decimal
from angelctl.broker.gtt import parse_rules
from angelctl.broker.market import Quote
from angelctl.broker.models import Funds
from angelctl.broker.orders import BrokerOrder, parse_order_book
from angelctl.broker.portfolio import parse_holdings, parse_positions
from angelctl.broker.trades import parse_trades as parse_trades_on
from angelctl.errors import UnparseableResponse
from angelctl.feed.orderupdates import MalformedOrderUpdate, parse_order_update
from tests.broker.test_portfolio import DOCS_POSITION
from tests.broker.test_quote import zomato_full
from tests.conftest import REALDATA
from tests.render.test_render_stream import REAL_AB05


def parse_trades(data: Any) -> Any:
    """The trade-book parser on a fixed day (the fills' date is the day the book was read)."""
    return parse_trades_on(data, date(2026, 12, 7))


TICKS = REALDATA / "ticks"
RESPONSES = REALDATA / "responses"


def real_order_update_frames() -> list[str]:
    """The AB09 and AB05 frames of the captured order-update log, verbatim (their line breaks
    fall between JSON tokens)."""
    name = "smartapi_python_ws2_decoded_SNAP_QUOTE_ticks_and_order_updates_2023-2025_index.txt"
    text = (TICKS / name).read_text()
    decoder, frames = json.JSONDecoder(), []
    start = text.find('{"user-id"')
    while start >= 0:
        _, end = decoder.raw_decode(text, start)
        frames.append(text[start:end])
        start = text.find('{"user-id"', end)
    return frames


def real_holding() -> dict[str, Any]:
    items = json.loads((RESPONSES / "forum_and_issue_captures_smartapi.json").read_text())
    text = next(i["text"] for i in items["items"] if i["endpoint"].startswith("getHolding"))
    row: dict[str, Any] = json.loads(text.rstrip().rstrip(",") + "}")
    documented_rest = {
        "averageprice": 111.87,
        "ltp": 130.15,
        "symboltoken": "3499",
        "close": 129.6,
        "profitandloss": 37,
        "pnlpercentage": 16.34,
    }
    return {**row, **documented_rest}


DOCS_TRADE = {
    "exchange": "NSE",
    "producttype": "DELIVERY",
    "tradingsymbol": "ITC-EQ",
    "instrumenttype": "",
    "symbolgroup": "EQ",
    "strikeprice": "-1",
    "optiontype": "",
    "expirydate": "",
    "marketlot": "1",
    "precision": "2",
    "multiplier": "-1",
    "tradevalue": "175.00",
    "transactiontype": "BUY",
    "fillprice": "175.00",
    "fillsize": "1",
    "orderid": "201020000000095",
    "fillid": "50005750",
    "filltime": "13:27:53",
}
# The live trade book: fillprice, tradevalue and strikeprice as JSON numbers (the sandbox's row).
LIVE_TRADE = {**DOCS_TRADE, "fillprice": 175.0, "tradevalue": 175.0, "strikeprice": -1.0}
LTP_DATA = {
    "exchange": "NSE",
    "tradingsymbol": "SBIN-EQ",
    "symboltoken": "3045",
    "open": "18600",
    "high": "19125",
    "low": "18415.8",
    "close": "18527.65",
    "ltp": "18685.5",
}
GTT_RULE = {
    "stoplossprice": 0,
    "stoplosstriggerprice": 0,
    "gttType": "GENERIC",
    "id": 3375316,
    "status": "NEW",
    "createddate": "2026-11-25T10:00:00.000+05:30",
    "updateddate": "2026-11-25T10:00:00.000+05:30",
    "expirydate": "2027-11-25T10:00:00.000+05:30",
    "clientid": "SBX0001",
    "tradingsymbol": "SBIN-EQ",
    "symboltoken": "3045",
    "exchange": "NSE",
    "transactiontype": "SELL",
    "producttype": "DELIVERY",
    "price": 839.0,
    "qty": 5,
    "triggerprice": 840.0,
    "disclosedqty": 0,
}
FUNDS = {
    "net": "9999.00",
    "availablecash": "9999.00",
    "availableintradaypayin": "0",
    "availablelimitmargin": "0",
    "collateral": "0",
    "m2munrealized": "- 12.50",
    "m2mrealized": "0",
    "utiliseddebits": "0",
}

MONEY_TRADE = {"fillprice", "tradevalue", "strikeprice"}
QTY_TRADE = {"fillsize", "marketlot", "precision", "multiplier"}
MONEY_POSITION = {
    "buyamount", "sellamount", "strikeprice", "cfbuyamount", "cfsellamount", "buyavgprice",
    "sellavgprice", "avgnetprice", "netvalue", "totalbuyvalue", "totalsellvalue",
    "cfbuyavgprice", "cfsellavgprice", "totalbuyavgprice", "totalsellavgprice", "netprice",
    "pnl", "realised", "unrealised", "ltp", "close",
}  # fmt: skip
QTY_POSITION = {
    "buyqty", "sellqty", "netqty", "cfbuyqty", "cfsellqty", "lotsize", "boardlotsize",
    "precision", "multiplier", "priceden", "pricenum", "genden", "gennum",
}  # fmt: skip
MONEY_HOLDING = {"averageprice", "ltp", "close", "profitandloss", "pnlpercentage", "haircut"}
QTY_HOLDING = {
    "t1quantity", "realisedquantity", "quantity", "authorisedquantity", "collateralquantity",
}  # fmt: skip
MONEY_QUOTE = {
    "ltp", "open", "high", "low", "close", "netChange", "percentChange", "avgPrice",
    "lowerCircuit", "upperCircuit", "52WeekLow", "52WeekHigh", "price",
}  # fmt: skip
QTY_QUOTE = {
    "lastTradeQty", "tradeVolume", "opnInterest", "totBuyQuan", "totSellQuan", "quantity",
    "orders",
}  # fmt: skip
MONEY_ORDER = {
    "price", "triggerprice", "squareoff", "stoploss", "trailingstoploss", "strikeprice",
    "averageprice",
}  # fmt: skip
QTY_ORDER = {
    "quantity", "disclosedquantity", "lotsize", "cancelsize", "filledshares", "unfilledshares",
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One parser, a row it reads, and which of the row's keys are amounts and quantities."""

    name: str
    parse: Callable[[Any], Any]
    row: Any
    money: frozenset[str]
    quantities: frozenset[str]


def _order_update(frame: dict[str, Any]) -> Any:
    return parse_order_update(json.dumps(frame)).order


def _cases() -> list[Case]:
    quote_row = zomato_full()["fetched"][0]
    frames = [json.loads(f) for f in real_order_update_frames()]
    holdings = {
        "holdings": [real_holding()],
        "totalholding": {
            "totalholdingvalue": 260.3,
            "totalinvvalue": 223.74,
            "totalprofitandloss": 36.56,
            "totalpnlpercentage": 16.34,
        },
    }
    holding_money = MONEY_HOLDING | {
        "totalholdingvalue", "totalinvvalue", "totalprofitandloss", "totalpnlpercentage",
    }  # fmt: skip
    return [
        Case("trades (docs row)", parse_trades, [DOCS_TRADE], *_keys(MONEY_TRADE, QTY_TRADE)),
        Case("trades (live-shaped row)", parse_trades, [LIVE_TRADE],
             *_keys(MONEY_TRADE, QTY_TRADE)),
        Case(
            "positions (docs row)",
            parse_positions,
            [DOCS_POSITION, {**DOCS_POSITION, "pnl": "-13.75", "realised": "0"}],
            *_keys(MONEY_POSITION, QTY_POSITION),
        ),
        Case("holdings (real row)", parse_holdings, holdings, *_keys(holding_money, QTY_HOLDING)),
        Case(
            "quote FULL (real ZOMATO row)",
            lambda row: Quote.from_wire(row, "FULL"),
            quote_row,
            *_keys(MONEY_QUOTE, QTY_QUOTE),
        ),
        Case(
            "getLtpData (docs row)",
            Quote.from_ltp_data,
            LTP_DATA,
            *_keys({"open", "high", "low", "close", "ltp"}, set()),
        ),
        Case(
            "order book (real AB05 row)",
            parse_order_book,
            [json.loads(REAL_AB05)["orderData"]],
            *_keys(MONEY_ORDER, QTY_ORDER),
        ),
        Case(
            "order details (real AB09 row)",
            BrokerOrder.from_wire,
            frames[0]["orderData"],
            *_keys(MONEY_ORDER, QTY_ORDER),
        ),
        *(
            Case(
                f"order update (real {frame['order-status']} frame)",
                _order_update,
                frame,
                *_keys(MONEY_ORDER, QTY_ORDER),
            )
            for frame in frames
        ),
        Case(
            "GTT rule list (sandbox live-shaped row)",
            parse_rules,
            [GTT_RULE],
            *_keys({"price", "triggerprice", "stoplossprice", "stoplosstriggerprice"},
                   {"qty", "disclosedqty"}),
        ),
        Case("funds (getRMS row)", Funds.from_wire, FUNDS, *_keys(set(FUNDS), set())),
    ]  # fmt: skip


def _keys(money: set[str], quantities: set[str]) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(money), frozenset(quantities)


CASES = _cases()


# ---------------------------------------------------------------------------- spellings


def canonical(value: Decimal) -> str:
    """The plain string spelling every parser must agree with."""
    return format(value, "f")


def spellings(value: Decimal) -> st.SearchStrategy[Any]:
    """The ways the broker writes one value: a JSON number (an integer or a float, as
    ``json.loads`` gives them), or a string — plain, with two decimals, with thousands
    separators, or with a space after a minus sign."""
    whole = value == value.to_integral_value()
    options: list[Any] = [int(value) if whole else float(value), canonical(value)]
    options += [f"{value:.2f}", f"{value:,.2f}"]
    if value < 0:
        options.append(f"- {-value:.2f}")
    if whole:
        options += [float(value), f"{value:.1f}"]
    return st.sampled_from(options)


MONEY = st.decimals(min_value=-(10**9), max_value=10**9, places=2)
QUANTITY = st.integers(min_value=-(10**7), max_value=10**9).map(Decimal)


def values_for(case: Case, key: str) -> st.SearchStrategy[Decimal]:
    """The row's own value for ``key`` or a random one of its kind."""
    random = QUANTITY if key in case.quantities else MONEY
    real = _real(case.row, key)
    return random if real is None else st.one_of(st.just(real), random)


def _real(row: Any, key: str) -> Decimal | None:
    """The row's own value for ``key`` (the first one met), if it has one."""
    if isinstance(row, list):
        return next((v for item in row if (v := _real(item, key)) is not None), None)
    if not isinstance(row, dict):
        return None
    value = row.get(key)
    if value not in (None, "") and not isinstance(value, dict | list):
        return Decimal(str(value).replace(" ", ""))
    return next((v for item in row.values() if (v := _real(item, key)) is not None), None)


def respell(node: Any, values: dict[str, Decimal], pick: Callable[[Decimal], Any]) -> Any:
    """A copy of ``node`` with each numeric key set to its chosen value, spelled by ``pick``."""
    if isinstance(node, list):
        return [respell(item, values, pick) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: pick(values[key])
        if key in values and item is not None and not isinstance(item, dict | list)
        else respell(item, values, pick)
        for key, item in node.items()
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_number_or_its_string_parse_to_the_same_result(case: Case, data: st.DataObject) -> None:
    keys = sorted(case.money | case.quantities)
    values = {key: data.draw(values_for(case, key), label=key) for key in keys}
    expected = case.parse(respell(case.row, values, canonical))
    mixed = respell(case.row, values, lambda value: data.draw(spellings(value)))
    assert case.parse(mixed) == expected


def test_the_real_rows_parse_and_keep_their_values() -> None:
    quote = Quote.from_wire(zomato_full()["fetched"][0], "FULL")
    assert (quote.ltp, quote.close, quote.upper_circuit) == (
        290,
        Decimal("288.5"),
        Decimal("317.35"),
    )
    ab09, ab05 = (parse_order_update(f) for f in real_order_update_frames())
    assert (ab09.status_code, ab09.order.price, ab09.order.unfilled) == ("AB09", 260, 1)
    assert (ab05.order.average_price, ab05.order.filled) == (Decimal("265.62"), 1)
    assert ab05.order.duration == "DAY"
    as_number, as_text = parse_rules([GTT_RULE, {**GTT_RULE, "id": "3375316"}])
    assert as_number == as_text and as_number.rule_id == "3375316"  # an id, never an amount
    (holding,) = parse_holdings([real_holding()]).rows
    assert (holding.quantity, holding.average_price) == (2, Decimal("111.87"))


# ------------------------------------------------------------------------ malformed values

JUNK = st.one_of(
    st.text(min_size=1).filter(lambda t: not _numeric(t) and t.strip() != ""),
    st.sampled_from(["NaN", "nan", "Infinity", "-inf", "sNaN", "1e999", "12.5.1", "₹175"]),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(float("nan")),
    st.just(float("inf")),
)


def _numeric(text: str) -> bool:
    try:
        return Decimal(text.replace(" ", "").replace(",", "")).is_finite()
    except ArithmeticError:
        return False


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_malformed_value_is_a_clear_error_never_a_traceback(
    case: Case, data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(case.money | case.quantities)), label="key")
    junk = data.draw(JUNK, label="junk")
    row = respell(case.row, {key: Decimal(0)}, lambda _: junk)
    try:
        parsed = case.parse(row)
    except UnparseableResponse as exc:
        assert key in str(exc)
    except MalformedOrderUpdate as exc:
        assert exc.reason == "row"
    else:  # only a key the parser does not read may carry junk, and it changes nothing
        assert parsed == case.parse(case.row)


def test_a_fraction_where_a_whole_number_belongs_is_refused_not_truncated() -> None:
    with pytest.raises(UnparseableResponse, match=re.escape("fillsize='1.5', not a whole number")):
        parse_trades([{**DOCS_TRADE, "fillsize": "1.5"}])
    assert int_field({"netqty": 6.0}, "netqty") == 6
    assert int_field({"netqty": "- 5"}, "netqty") == -5


def test_the_brokers_spellings_of_one_amount_agree() -> None:
    spelled = ["- 2235.80", "-2235.8", -2235.8, "-2,235.80", " -2235.80 "]
    assert {decimal_field({"v": v}, "v") for v in spelled} == {Decimal("-2235.80")}
    assert decimal_field({"v": "  "}, "v") == 0 and optional_decimal({"v": " "}, "v") is None
    for bad in ("NaN", float("inf"), True, [1], "1e400"):
        with pytest.raises(UnparseableResponse, match="v="):
            decimal_field({"v": bad}, "v")


def test_an_order_update_with_a_malformed_number_is_dropped_and_counted() -> None:
    from angelctl.clock import SystemClock
    from angelctl.feed.connection import StaticAuth, WsCredentials
    from angelctl.feed.orderupdates import OrderUpdateClient
    from angelctl.secrets import Secret

    frame = json.loads(REAL_AB05)
    frame["orderData"]["filledshares"] = "one"
    with pytest.raises(MalformedOrderUpdate) as raised:
        parse_order_update(json.dumps(frame))
    assert raised.value.reason == "row"
    seen: list[Any] = []
    credentials = WsCredentials("SBX0001", Secret("jwt"), Secret("key"), Secret("feed"))
    client = OrderUpdateClient(
        "ws://127.0.0.1:9/smart-order-update",
        StaticAuth(credentials),
        on_update=seen.append,
        clock=SystemClock(),
    )  # never started: frames are fed to it directly
    client._on_text(json.dumps(frame))
    client._on_text(REAL_AB05)
    assert client.stats.dropped["row"] == 1 and client.updates == 1
    assert [u.order.order_id for u in seen] == ["241226000790638"]
