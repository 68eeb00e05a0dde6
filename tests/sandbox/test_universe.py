"""The sandbox's instrument universe: row format, uniqueness, composition, lookups and prices.

Real-data comparisons (symbol forms, tokens, lot sizes) are in ``test_universe_realdata.py``.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from angelctl.sandbox import Universe, build_universe
from angelctl.sandbox.engine.contracts import STOCKS
from angelctl.sandbox.engine.instrument import ROW_KEYS
from angelctl.sandbox.engine.listing_core import SYNTHETIC_TOKEN_BASE, UniverseSpec
from angelctl.sandbox.engine.universe import master_rows

DAY = date(2026, 3, 10)  # the sandbox fixtures' start day (a NIFTY weekly expiry day)
SEGMENTS = ("NSE", "BSE", "NFO", "BFO", "MCX", "CDS")
EXPIRY = re.compile(r"^\d{2}(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{4}$")
SIX_DECIMALS = re.compile(r"^-?\d+\.\d{6}$")


@pytest.fixture(scope="module")
def universe() -> Universe:
    return build_universe(DAY)


def test_every_row_has_the_real_keys_in_order_and_string_values(universe: Universe) -> None:
    for row in universe.rows:
        assert tuple(row) == ROW_KEYS
        for key, value in row.items():
            if key == "is_cas_enabled":
                assert isinstance(value, bool)
            else:
                assert isinstance(value, str), (key, row)


def test_value_formats_match_the_master(universe: Universe) -> None:
    for row in universe.rows:
        assert str(row["token"]).isdigit()
        assert str(row["lotsize"]).isdigit() and int(row["lotsize"]) >= 1
        assert str(row["freeze_qty"]).isdigit()
        assert SIX_DECIMALS.match(str(row["strike"])), row
        assert SIX_DECIMALS.match(str(row["tick_size"])), row
        assert row["expiry"] == "" or EXPIRY.match(str(row["expiry"])), row
        assert row["exch_seg"] in SEGMENTS
        kind = row["instrumenttype"]
        if kind == "AMXIDX":
            assert (row["strike"], row["tick_size"], row["expiry"]) == ("0.000000", "0.000000", "")
            assert (row["lotsize"], row["freeze_qty"]) == ("1", "0")
        elif str(kind).startswith("OPT"):
            assert float(str(row["strike"])) > 0 and row["expiry"] != ""
            assert str(row["symbol"]).endswith(("CE", "PE"))
        else:
            assert row["strike"] == "-1.000000"
            assert (row["expiry"] == "") == (kind == "")


def test_tokens_and_symbols_are_unique_within_each_segment(universe: Universe) -> None:
    keys = [(row["exch_seg"], row["token"]) for row in universe.rows]
    symbols = [(row["exch_seg"], row["symbol"]) for row in universe.rows]

    assert len(set(keys)) == len(keys)
    assert len(set(symbols)) == len(symbols)


def test_build_is_deterministic_for_a_day() -> None:
    first, second = build_universe(DAY), build_universe(DAY)

    assert first.rows == second.rows
    assert first.master_json() == second.master_json()
    assert first.master_gzip() == second.master_gzip()


def test_a_contract_keeps_its_token_from_one_day_to_the_next() -> None:
    today, tomorrow = build_universe(DAY), build_universe(DAY + timedelta(days=1))
    tokens = {(r["exch_seg"], r["symbol"]): r["token"] for r in today.rows}

    shared = [r for r in tomorrow.rows if (r["exch_seg"], r["symbol"]) in tokens]

    assert len(shared) > 2000
    assert all(r["token"] == tokens[(r["exch_seg"], r["symbol"])] for r in shared)


def test_real_tokens_are_kept_and_synthetic_ones_live_in_their_own_range(
    universe: Universe,
) -> None:
    for stock in STOCKS:
        if stock.token:
            row = universe.by_symbol("NSE", f"{stock.name}-{stock.series}")
            assert row is not None and row.token == stock.token
    nifty = universe.by_symbol("NSE", "Nifty 50")
    assert nifty is not None and nifty.token == "99926000"
    tokens = [int(i.token) for i in universe.instruments if not i.is_index]
    synthetic = [t for t in tokens if t >= SYNTHETIC_TOKEN_BASE]
    assert all(t < 10_000_000 for t in synthetic)
    assert all(t < 1_200_000 for t in tokens if t < SYNTHETIC_TOKEN_BASE)  # the real ones
    assert len(synthetic) > 3000


def test_composition_covers_every_segment_and_instrument_type(universe: Universe) -> None:
    kinds = {(row["exch_seg"], row["instrumenttype"]) for row in universe.rows}

    assert kinds == {
        ("NSE", "AMXIDX"),
        ("NSE", ""),
        ("BSE", "AMXIDX"),
        ("BSE", ""),
        ("NFO", "FUTIDX"),
        ("NFO", "OPTIDX"),
        ("NFO", "FUTSTK"),
        ("NFO", "OPTSTK"),
        ("BFO", "FUTIDX"),
        ("BFO", "OPTIDX"),
        ("MCX", "FUTCOM"),
        ("MCX", "OPTFUT"),
        ("CDS", "FUTCUR"),
        ("CDS", "OPTCUR"),
    }
    assert 3000 < len(universe) < 5000
    cash = [r for r in universe.rows if r["exch_seg"] == "NSE" and r["instrumenttype"] == ""]
    series = {str(r["symbol"]).rsplit("-", 1)[1] for r in cash}
    assert {"EQ", "BE", "SM"} <= series


def test_nifty_lists_four_weeklies_and_three_monthlies_of_41_strikes(universe: Universe) -> None:
    options = universe.find(exch_seg="NFO", name="NIFTY", instrumenttype="OPTIDX")
    expiries = sorted({i.expiry for i in options if i.expiry})

    assert [e.isoformat() for e in expiries] == [
        "2026-03-10",  # today is an expiry day: still listed
        "2026-03-17",
        "2026-03-24",
        "2026-03-30",  # monthly: 31-Mar-2026 is a holiday (Shri Mahavir Jayanti)
        "2026-04-07",
        "2026-04-28",
        "2026-05-26",
    ]
    first = [i for i in options if i.expiry == expiries[0]]
    assert len({i.strike for i in first}) == 41
    assert {i.option_type for i in first} == {"CE", "PE"}
    steps = sorted({i.strike for i in first if i.strike is not None})
    assert {b - a for a, b in itertools.pairwise(steps)} == {Decimal(50)}


def test_lookups_by_token_symbol_and_filters(universe: Universe) -> None:
    sbin = universe.by_symbol("NSE", "SBIN-EQ")
    assert sbin is not None and sbin.token == "3045"
    assert universe.instrument("nse", "3045") == sbin
    assert universe.instrument("NSE", "0") is None
    bse = universe.by_symbol("BSE", "RELIANCE")
    assert bse is not None and bse.token == "500325"
    futures = universe.find(exch_seg="NFO", name="nifty", instrumenttype="FUTIDX")
    assert [f.symbol for f in futures] == ["NIFTY30MAR26FUT", "NIFTY28APR26FUT", "NIFTY26MAY26FUT"]
    assert universe.find(symbol="sensex")[0].token == "99919000"


def test_every_derivative_points_at_a_listed_underlying(universe: Universe) -> None:
    for instrument in universe.instruments:
        if instrument.is_option or instrument.instrumenttype in ("FUTIDX", "FUTSTK"):
            assert instrument.underlying is not None, instrument.symbol
            assert universe.instrument(*instrument.underlying) is not None


def test_reference_prices_are_positive_and_on_the_tick(universe: Universe) -> None:
    for instrument in universe.instruments:
        price = universe.reference_price(instrument.exch_seg, instrument.token)
        assert price > 0, instrument.symbol
        tick = instrument.tick_size or Decimal("0.05")
        assert price % tick == 0, (instrument.symbol, price, tick)
    with pytest.raises(KeyError):
        universe.reference_price("NSE", "0")


def test_reference_prices_are_coherent_across_a_chain(universe: Universe) -> None:
    spot = universe.reference_price("NSE", "99926000")
    future = universe.find(name="NIFTY", instrumenttype="FUTIDX")[0]
    assert spot < universe.reference_price(*future.key) < spot * Decimal("1.02")
    chain = [i for i in universe.find(name="NIFTY", instrumenttype="OPTIDX") if i.expiry == DAY]
    calls = sorted((i for i in chain if i.option_type == "CE"), key=lambda i: i.strike or 0)
    puts = sorted((i for i in chain if i.option_type == "PE"), key=lambda i: i.strike or 0)
    call_prices = [universe.reference_price(*i.key) for i in calls]
    put_prices = [universe.reference_price(*i.key) for i in puts]
    assert call_prices == sorted(call_prices, reverse=True)
    assert put_prices == sorted(put_prices)
    deep_call = calls[0]
    assert deep_call.strike is not None
    assert universe.reference_price(*deep_call.key) >= spot - deep_call.strike


def test_master_json_is_one_compact_array_of_the_rows(universe: Universe) -> None:
    body = universe.master_json()

    assert body.startswith(b'[{"token":"99926000","symbol":"Nifty 50","name":"NIFTY",')
    assert b'", "' not in body and b'": ' not in body
    assert b'"is_cas_enabled":false}' in body


def test_master_rows_fill_to_an_exact_count_with_valid_unique_rows() -> None:
    base = len(build_universe(DAY))
    for wanted in (base - 100, base + 1001):
        rows = master_rows(DAY, UniverseSpec(), fill_to=wanted)
        assert len(rows) == wanted
        assert len({(r["exch_seg"], r["token"]) for r in rows}) == wanted
        assert len({(r["exch_seg"], r["symbol"]) for r in rows}) == wanted
        assert all(tuple(r) == ROW_KEYS for r in rows)
