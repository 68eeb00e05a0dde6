"""Quotes: the parser against real captures, batching and ordering, the views, the refresh
schedule of ``--watch``, and ``angelctl quote`` end to end against the sandbox.

Real captures (attribution in tests/realdata/SOURCES.md):
- ``market_quote_FULL_ZOMATO_2024-12-20_Vectra.txt`` — github
  yajneshkulalmanjeshwar-source/Vectra_AI_Automated_Trade_System, example/test.js @ 01dc4430;
  its envelope head is missing in the original paste and is restored here.
- ``market_quote_LTP_OHLC_comment_captures_index.json`` — OHLC (TRENT, GRANULES) and LTP (MCX
  GOLD05JUN26FUT) bodies pasted into comments of public source files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
import requests
from rich.console import Console

from angelctl.broker.envelope import RawResponse, parse_envelope
from angelctl.broker.market import (
    QUOTE_BATCH,
    Quote,
    fetch_quotes,
    ltp,
    quote_batches,
)
from angelctl.clock import IST, refresh_schedule
from angelctl.errors import UnparseableResponse
from angelctl.render.quotes import LtpHistory, depth_table, quotes_table, sparkline, watch_view
from angelctl.status import ExitStatus
from tests.broker.test_login_session import settings_for
from tests.conftest import REALDATA, ShiftedClock, requests_seen, sandbox_admin

RESPONSES = REALDATA / "responses"
ENVELOPE_HEAD = '{"status":true,"message":"SUCCESS","errorcode":"","data":{"fetched":[{'


def envelope_data(route: str, body: str) -> Any:
    return parse_envelope(route, RawResponse(200, {}, body.encode()))


def zomato_full() -> Any:
    text = (RESPONSES / "market_quote_FULL_ZOMATO_2024-12-20_Vectra.txt").read_text()
    return envelope_data("quote", ENVELOPE_HEAD + text)


def comment_capture(mode_prefix: str) -> Any:
    items = json.loads(
        (RESPONSES / "market_quote_LTP_OHLC_comment_captures_index.json").read_text()
    )
    item = next(i for i in items["items"] if i["mode"].startswith(mode_prefix))
    body = "\n".join(re.sub(r"^\s*(//|\*)\s?", "", line) for line in item["text"].splitlines())
    return envelope_data("quote", body[body.index('{"status"') if '{"status"' in body else 0 :])


def render(renderable: Any) -> str:
    console = Console(file=StringIO(), width=100, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


# ------------------------------------------------------------------- parsers on real captures


def test_full_capture_parses_to_typed_decimal_quote() -> None:
    data = zomato_full()
    assert data["unfetched"] == []
    q = Quote.from_wire(data["fetched"][0], "FULL")
    assert (q.exchange, q.token, q.symbol) == ("NSE", "5097", "ZOMATO-EQ")
    assert q.ltp == Decimal("290") and q.close == Decimal("288.5")
    assert q.change == Decimal("1.5") and q.percent_change == Decimal("0.52")
    assert (q.volume, q.open_interest, q.last_trade_qty) == (132803, 210554000, 40)
    assert (q.lower_circuit, q.upper_circuit) == (Decimal("259.65"), Decimal("317.35"))
    assert (q.week52_low, q.week52_high) == (Decimal("120.2"), Decimal("304.7"))
    assert (q.total_buy_qty, q.total_sell_qty) == (444628, 1210190)
    assert q.feed_time == datetime(2024, 12, 20, 9, 12, 54, tzinfo=IST)
    assert q.last_trade_time == datetime(2024, 12, 20, 9, 7, 58, tzinfo=IST)
    assert q.depth is not None and len(q.depth.buy) == len(q.depth.sell) == 5
    assert q.depth.buy[0].price == Decimal("290") and q.depth.buy[0].quantity == 9386
    assert q.depth.buy[0].orders == 82 and q.depth.sell[0].price == Decimal("290.1")
    assert all(isinstance(level.price, Decimal) for level in q.depth.buy + q.depth.sell)


def test_the_json_document_is_what_output_json_writes() -> None:
    """``quotes_json`` encodes in one C pass; its text equals the generic walk's, byte for byte."""
    from angelctl.render.output import to_jsonable
    from angelctl.render.quotes import quotes_json

    quotes = [Quote.from_wire(zomato_full()["fetched"][0], "FULL")]
    quotes += [Quote.from_wire(comment_capture("OHLC")["fetched"][0], "OHLC")]
    document = {
        "at": datetime(2026, 12, 7, 9, 15, tzinfo=IST),
        "mode": "FULL",
        "quotes": [q.as_dict() for q in quotes],
        "unfetched": [],
    }
    text = quotes_json(document)
    assert text == json.dumps(to_jsonable(document), indent=None)
    assert '"ltp": "290"' in text and '"feed_time": "2024-12-20T09:12:54+05:30"' in text
    with pytest.raises(TypeError):
        quotes_json({"odd": object()})


def test_root_help_loads_no_quote_parsing() -> None:
    """Root help imports every command module; the quote path stays out until `quote` runs."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom angelctl.__main__ import main\nsys.argv = ['angelctl', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in sys.modules if m in ('decimal', 'sqlite3') or "
        "m.startswith(('angelctl.broker.market', 'angelctl.broker.fields', "
        "'angelctl.instruments.index', 'angelctl.render.quotes'))))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "LOADED []" in proc.stdout, proc.stdout[-300:]


def test_ohlc_capture_computes_change_against_previous_close() -> None:
    data = comment_capture("OHLC")
    trent, granules = (Quote.from_wire(row, "OHLC") for row in data["fetched"])
    assert trent.symbol == "TRENT-EQ" and trent.ltp == Decimal("8234.95")
    assert trent.close == Decimal("8028.85")
    assert trent.change == Decimal("206.10") and trent.percent_change == Decimal("2.57")
    assert granules.change == Decimal("25.45") and granules.percent_change == Decimal("4.40")
    assert trent.volume is None and trent.depth is None


def test_ltp_capture_of_an_mcx_future_has_only_the_price() -> None:
    data = comment_capture("LTP")
    gold = Quote.from_wire(data["fetched"][0], "LTP")
    assert (gold.exchange, gold.token, gold.symbol) == ("MCX", "459277", "GOLD05JUN26FUT")
    assert gold.ltp == Decimal("155627.0")
    assert gold.close is None and gold.change is None and gold.percent_change is None


def test_a_row_without_ltp_is_a_broker_error_not_a_zero_price() -> None:
    with pytest.raises(UnparseableResponse):
        Quote.from_wire({"exchange": "NSE", "symbolToken": "1"}, "LTP")


def test_string_typed_ltp_data_parses_the_same() -> None:
    q = Quote.from_ltp_data(
        {
            "exchange": "NSE",
            "tradingsymbol": "SBIN-EQ",
            "symboltoken": "3045",
            "open": "18600",
            "high": "19125",
            "low": "18500",
            "close": "18500",
            "ltp": "18555",
        }
    )
    assert q.ltp == Decimal("18555") and q.change == Decimal("55")
    assert q.percent_change == Decimal("0.30")


# ------------------------------------------------------------------------ batching, ordering


@dataclass(frozen=True)
class Inst:
    exchange: str
    token: str
    symbol: str


class ScriptedBroker:
    """A session stand-in: answers quote calls from a price table, records every body."""

    def __init__(self, prices: dict[tuple[str, str], str], *, drop: set[str] = frozenset()):
        self.prices = prices
        self.drop = drop
        self.bodies: list[dict[str, Any]] = []

    def call(self, route: str, body: Any = None, **_: Any) -> Any:
        assert route == "quote"
        self.bodies.append(body)
        fetched, unfetched = [], []
        for exchange, tokens in body["exchangeTokens"].items():
            for token in tokens:
                if token in self.drop:
                    continue
                if (exchange, token) in self.prices:
                    fetched.append(
                        {
                            "exchange": exchange,
                            "tradingSymbol": f"S{token}",
                            "symbolToken": token,
                            "ltp": float(self.prices[(exchange, token)]),
                        }
                    )
                else:
                    unfetched.append(
                        {
                            "exchange": exchange,
                            "symbolToken": token,
                            "message": "Invalid symbol token",
                            "errorCode": "AB4006",
                        }
                    )
        fetched.reverse()  # the broker's order is not the caller's
        return {"fetched": fetched, "unfetched": unfetched}


def test_batches_hold_at_most_50_tokens_grouped_per_exchange() -> None:
    items = [Inst("NSE" if i % 3 else "NFO", str(1000 + i), f"S{i}") for i in range(120)]
    batches = quote_batches(items)
    assert [sum(len(v) for v in b.values()) for b in batches] == [50, 50, 20]
    assert set(batches[0]) == {"NSE", "NFO"}
    flat = [(e, t) for b in batches for e, tokens in b.items() for t in tokens]
    assert sorted(flat) == sorted((i.exchange, i.token) for i in items)


def test_results_keep_the_callers_order_and_report_every_miss() -> None:
    items = [
        Inst("NSE", "3", "C"),
        Inst("BSE", "1", "A"),
        Inst("NSE", "2", "B"),
        Inst("NSE", "9", "GONE"),
        Inst("NSE", "404", "BAD"),
        Inst("NSE", "3", "C"),
    ]
    broker = ScriptedBroker(
        {("NSE", "3"): "30", ("BSE", "1"): "10", ("NSE", "2"): "20", ("NSE", "9"): "90"},
        drop={"9"},
    )
    quotes, unfetched = fetch_quotes(broker, items, "ltp")  # type: ignore[arg-type]
    assert [(q.exchange, q.token, q.ltp) for q in quotes] == [
        ("NSE", "3", Decimal("30.0")),
        ("BSE", "1", Decimal("10.0")),
        ("NSE", "2", Decimal("20.0")),
    ]
    assert [(u.token, u.code, u.symbol) for u in unfetched] == [
        ("9", "", "GONE"),
        ("404", "AB4006", "BAD"),
    ]
    assert len(broker.bodies) == 1 and broker.bodies[0]["mode"] == "LTP"
    assert broker.bodies[0]["exchangeTokens"] == {"NSE": ["3", "2", "9", "404"], "BSE": ["1"]}


# ----------------------------------------------------------------------------------- views


def test_full_view_shows_prices_change_volume_and_depth() -> None:
    q = Quote.from_wire(zomato_full()["fetched"][0], "FULL")
    table = render(quotes_table([q], "FULL", width=100))
    expected = ("NSE:ZOMATO-EQ", "290.00", "+1.50", "+0.52%", "288.50", "1,32,803", "21,05,54,000")
    for text in expected:  # volume and OI in lakh/crore grouping
        assert text in table, text
    depth = render(depth_table(q))
    assert "NSE:ZOMATO-EQ depth" in depth
    first = next(line for line in depth.splitlines() if "9,386" in line)
    assert re.search(r"82 .*9,386 .*290\.00 .*290\.10 .*1 .*1", first)
    assert "4,44,628" in depth and "12,10,190" in depth
    assert "circuits 259.65 – 317.35" in depth and "52 weeks 120.20 – 304.70" in depth


def test_an_index_has_no_depth_table_and_no_circuits() -> None:
    from angelctl.render.quotes import quotes_view

    empty = [{"price": 0, "quantity": 0, "orders": 0}] * 5
    row = {
        "exchange": "NSE",
        "tradingSymbol": "Nifty 50",
        "symbolToken": "99926000",
        "ltp": 24605.85,
        "close": 24785.8,
        "lowerCircuit": 0,
        "upperCircuit": 0,
        "depth": {"buy": empty, "sell": empty},
    }
    index = Quote.from_wire(row, "FULL")
    stock = Quote.from_wire(zomato_full()["fetched"][0], "FULL")
    text = render(quotes_view([index, stock], "FULL", width=100))
    assert "NSE:Nifty 50" in text and "Nifty 50 depth" not in text
    assert "NSE:ZOMATO-EQ depth" in text
    assert "circuits none" in render(depth_table(index))


def test_down_moves_are_signed_so_no_colour_is_needed() -> None:
    q = Quote.from_wire(
        {
            "exchange": "NSE",
            "tradingSymbol": "X-EQ",
            "symbolToken": "1",
            "ltp": 95,
            "open": 99,
            "high": 100,
            "low": 94,
            "close": 100,
        },
        "OHLC",
    )
    text = render(quotes_table([q], "OHLC", width=100))
    assert "-5.00" in text and "-5.00%" in text


def test_sparkline_scales_between_low_and_high() -> None:
    assert sparkline([]) == ""
    assert sparkline([Decimal(1), Decimal(2), Decimal(3)]) == "▁▅█"
    assert sparkline([Decimal(5)] * 3) == "▄▄▄"


def test_history_keeps_the_last_30_ltps() -> None:
    history = LtpHistory()
    for i in range(40):
        history.record([Quote("NSE", "1", "A", "LTP", Decimal(i))])
    assert history.values("NSE:1") == [Decimal(i) for i in range(10, 40)]


def test_watch_view_has_a_trend_column_and_a_status_line() -> None:
    history = LtpHistory()
    quotes = [Quote("NSE", "1", "A-EQ", "LTP", Decimal(v)) for v in ("10", "11", "12")]
    for q in quotes:
        history.record([q])
    text = render(
        watch_view(
            quotes[-1:],
            [],
            "LTP",
            history,
            at=datetime(2026, 11, 25, 4, 0, tzinfo=IST),
            interval=2,
            skipped=1,
        )
    )
    assert "trend" in text and "▁▅█" in text
    assert "every 2 s" in text and "1 refresh(es) skipped" in text


# --------------------------------------------------------------------------- refresh schedule


class SlowBroker:
    """Each refresh takes ``seconds`` of (shifted) time."""

    def __init__(self, clock: ShiftedClock, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds

    def refresh(self) -> None:
        self.clock.advance(self.seconds)


def test_refreshes_tick_at_the_interval() -> None:
    clock = ShiftedClock()
    ticks = list(refresh_schedule(clock, 2.0, iterations=4))
    assert [t.number for t in ticks] == [0, 1, 2, 3]
    assert all(t.skipped == 0 for t in ticks)
    assert clock.slept == pytest.approx([2.0, 2.0, 2.0], abs=0.05)


def test_a_slow_refresh_skips_ticks_instead_of_queueing_them() -> None:
    clock = ShiftedClock()
    broker = SlowBroker(clock, 0.0)
    seen = []
    for tick in refresh_schedule(clock, 1.0, iterations=3):
        seen.append(tick.skipped)
        broker.seconds = 2.5 if tick.number == 0 else 0.2
        broker.refresh()
    # tick 0 took 2.5 s: ticks at 1 s and 2 s are skipped, the next one is at 3 s
    assert seen == [0, 2, 0]
    assert all(s < 1.0 for s in clock.slept)
    assert sum(clock.slept) + 2.5 + 0.2 == pytest.approx(4.0, abs=0.05)


# --------------------------------------------------------------------- against the sandbox


def quote_bodies(sandbox: Any) -> list[dict[str, Any]]:
    return [
        json.loads(r["body"])
        for r in requests_seen(sandbox)
        if r.get("route") in ("quote", "marketQuote")
    ]


def test_120_tokens_take_three_requests_of_at_most_50(sandbox: Any, tmp_path: Any) -> None:
    from angelctl.broker.api import build_session

    rows = requests.get(
        f"{sandbox.rest_url}/OpenAPI_File/files/OpenAPIScripMaster.json", timeout=30
    ).json()
    items = [
        Inst(r["exch_seg"], r["token"], r["symbol"])
        for r in rows
        if r["exch_seg"] in ("NSE", "BSE", "NFO")
    ][:120]
    assert len(items) == 120
    session = build_session(settings_for(sandbox), folder=tmp_path)
    try:
        quotes, unfetched = fetch_quotes(session, items, "LTP")
    finally:
        session.rest.close()
    bodies = quote_bodies(sandbox)
    assert len(bodies) == 3
    sizes = [sum(len(t) for t in b["exchangeTokens"].values()) for b in bodies]
    assert sizes == [50, 50, 20] and max(sizes) <= QUOTE_BATCH
    assert all(b["mode"] == "LTP" for b in bodies)
    assert unfetched == []
    assert [(q.exchange, q.token) for q in quotes] == [(i.exchange, i.token) for i in items]


def test_unknown_tokens_come_back_as_unfetched(sandbox: Any, tmp_path: Any) -> None:
    from angelctl.broker.api import build_session

    session = build_session(settings_for(sandbox), folder=tmp_path)
    try:
        quotes, unfetched = fetch_quotes(
            session, [Inst("NSE", "3045", "SBIN-EQ"), Inst("NSE", "99999999", "NOPE")], "FULL"
        )
        single = ltp(session, Inst("NSE", "3045", "SBIN-EQ"))
    finally:
        session.rest.close()
    assert [q.token for q in quotes] == ["3045"] and quotes[0].ltp > 0
    assert [(u.exchange, u.token, u.symbol) for u in unfetched] == [("NSE", "99999999", "NOPE")]
    assert unfetched[0].message
    assert single.ltp > 0 and single.token == "3045"


def set_price(sandbox: Any, exchange: str, token: str, price: str) -> None:
    sandbox_admin(
        sandbox, "POST", "market/price", {"exch_seg": exchange, "token": token, "ltp": price}
    )


@pytest.fixture
def still_market(sandbox: Any, sandbox_login: Any) -> Any:
    sandbox_admin(sandbox, "POST", "market/freeze", {"frozen": True})
    set_price(sandbox, "NSE", "3045", "800")
    return sandbox


def test_quote_json_has_typed_strings_and_no_unfetched(cli: Any, still_market: Any) -> None:
    result = cli("quote", "SBIN", "RELIANCE", "--json")
    assert result.code == 0, result.both
    doc = result.json()
    assert doc["mode"] == "FULL" and doc["unfetched"] == []
    assert [q["symbol"] for q in doc["quotes"]] == ["SBIN-EQ", "RELIANCE-EQ"]
    sbin = doc["quotes"][0]
    assert Decimal(sbin["ltp"]) == Decimal(800)
    set_price(still_market, "NSE", "3045", "810")
    moved = cli("quote", "SBIN", "--mode", "ohlc", "--json").json()["quotes"][0]
    assert Decimal(moved["ltp"]) == 810 and Decimal(moved["close"]) == 800
    assert Decimal(moved["change"]) == 10 and Decimal(moved["percent_change"]) == Decimal("1.25")
    assert moved["depth"] is None and moved["volume"] is None
    assert set(sbin) >= {
        "open",
        "high",
        "low",
        "close",
        "change",
        "percent_change",
        "volume",
        "open_interest",
        "lower_circuit",
        "upper_circuit",
        "depth",
    }
    assert len(sbin["depth"]["buy"]) == 5 and len(sbin["depth"]["sell"]) == 5
    assert datetime.fromisoformat(doc["at"])


def test_quote_table_and_full_depth_for_people(cli: Any, still_market: Any) -> None:
    result = cli("quote", "SBIN")
    assert result.code == 0, result.both
    assert "NSE:SBIN-EQ" in result.out and "800.00" in result.out
    assert "NSE:SBIN-EQ depth" in result.out and "bid qty" in result.out
    ltp_only = cli("quote", "SBIN", "--mode", "ltp")
    assert ltp_only.code == 0 and "depth" not in ltp_only.out and "prev close" not in ltp_only.out


def test_unknown_symbol_fails_before_any_quote_call(cli: Any, still_market: Any) -> None:
    result = cli("quote", "SBIN", "NOSUCHTHING")
    assert result.code == ExitStatus.USAGE
    assert "NOSUCHTHING" in result.err
    assert quote_bodies(still_market) == []


def test_watch_json_prints_one_document_per_refresh(cli: Any, still_market: Any) -> None:
    result = cli("quote", "SBIN", "--mode", "ltp", "--watch", "0.1", "--iterations", "3", "--json")
    assert result.code == 0, result.both
    lines = result.out.splitlines()
    assert len(lines) == 3
    docs = [json.loads(line) for line in lines]
    assert all(d["mode"] == "LTP" and d["quotes"][0]["symbol"] == "SBIN-EQ" for d in docs)
    assert len(quote_bodies(still_market)) == 3


def test_watch_without_a_terminal_prints_one_table(cli: Any, still_market: Any) -> None:
    result = cli("quote", "SBIN", "--watch", "1")
    assert result.code == 0, result.both
    assert result.out.count("Quotes (FULL)") == 1
    assert "not a terminal" in result.err
    assert len(quote_bodies(still_market)) == 1


# ------------------------------------------------------------------ the live screen, Ctrl-C


class ClockedBroker(ScriptedBroker):
    """A scripted broker whose session clock is shifted time; ``stop_after`` simulates Ctrl-C."""

    def __init__(self, prices: dict[tuple[str, str], str], stop_after: int | None = None):
        super().__init__(prices)
        self.clock = ShiftedClock()
        self.stop_after = stop_after

    def call(self, route: str, body: Any = None, **kw: Any) -> Any:
        if self.stop_after is not None and len(self.bodies) >= self.stop_after:
            raise KeyboardInterrupt
        for key in self.prices:
            self.prices[key] = str(Decimal(self.prices[key]) + 1)
        return super().call(route, body, **kw)


def terminal_output() -> Any:
    from angelctl.render.output import Output

    screen = StringIO()
    out = Output(stdout=screen, stderr=StringIO())
    out._console = Console(file=screen, force_terminal=True, width=100, color_system=None)
    out.stdout.isatty = lambda: True  # type: ignore[method-assign]
    return out, screen


def test_live_watch_repaints_in_place_with_a_sparkline() -> None:
    from angelctl.cli.quote import QuoteOptions, _watch

    out, screen = terminal_output()
    broker = ClockedBroker({("NSE", "1"): "100"})
    _watch(out, broker, [Inst("NSE", "1", "A-EQ")], QuoteOptions(("A",), "LTP", 1.0, 4))  # type: ignore[arg-type]
    text = screen.getvalue()
    assert len(broker.bodies) == 4
    assert text.count("Quotes (LTP)") >= 4  # one frame per refresh (+ the final one)
    # the alternate screen, entered once and left, each frame drawn from the top-left corner
    assert text.startswith("\x1b[?1049h") and text.rstrip().endswith("\x1b[?1049l")
    assert text.count("\x1b[H") >= 4
    assert "▁▃▆█" in text  # four rising prices
    assert broker.clock.slept == pytest.approx([1.0, 1.0, 1.0], abs=0.05)


def test_ctrl_c_ends_a_watch_cleanly() -> None:
    from angelctl.cli.quote import QuoteOptions, _watch

    out, _ = terminal_output()
    broker = ClockedBroker({("NSE", "1"): "100"}, stop_after=2)
    _watch(out, broker, [Inst("NSE", "1", "A-EQ")], QuoteOptions(("A",), "LTP", 1.0, None))  # type: ignore[arg-type]
    assert len(broker.bodies) == 2
    assert "stopped" in out.stderr.getvalue()  # type: ignore[attr-defined]


def test_ctrl_c_in_ndjson_watch_exits_0(
    cli: Any, still_market: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import angelctl.broker.market as market

    real = market.fetch_quotes
    calls = []

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) > 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(market, "fetch_quotes", interrupted)
    result = cli("quote", "SBIN", "--watch", "0.1", "--json")
    assert result.code == 0, result.both
    assert len(result.out.splitlines()) == 2


# ------------------------------------------------------------------------------ completion


def test_quote_completes_symbols_and_modes(cli: Any, tmp_path: Any) -> None:
    from tests.cli.test_completion import _complete
    from tests.instruments_master import write_master

    assert cli("instruments", "sync", "--file", str(write_master(tmp_path / "m.json"))).code == 0
    symbols = _complete(
        {
            "_ANGELCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": "angelctl quote SBIN nifty01",
            "COMP_CWORD": "3",
        }
    )
    assert symbols.stdout.split("\n")[0] == "NIFTY01DEC2625000CE"
    modes = _complete(
        {
            "_ANGELCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": "angelctl quote --mode ",
            "COMP_CWORD": "3",
        }
    )
    assert set(modes.stdout.split()) == {"ltp", "ohlc", "full"}


def test_ndjson_watch_into_a_closed_pipe_exits_0(still_market: Any) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "angelctl",
            "quote",
            "SBIN",
            "--mode",
            "ltp",
            "--watch",
            "0.1",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
        cwd=REPO,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = json.loads(proc.stdout.readline())  # like `| head -1`
    proc.stdout.close()
    assert first["quotes"][0]["symbol"] == "SBIN-EQ"
    assert proc.wait(timeout=30) == 0, proc.stderr.read()
