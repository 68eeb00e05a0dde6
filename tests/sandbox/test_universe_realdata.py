"""The universe against real data (tests/realdata, attributed in its SOURCES.md).

- Angel master rows 2022-2026 (scripmaster/*): our formatters spell the same contracts the same
  way, and rows we list with a real token equal the real row field for field;
- Zerodha's Kite dump of 2026-08-18 (calendar/*kite*): exchange lot sizes, listed expiries and
  contract tokens of the index derivatives; BSE symbols (Kite uses the exchange's own);
- the NSE holiday master 2025/2026: the embedded calendar is the same.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

from angelctl.sandbox import Instrument, build_universe
from angelctl.sandbox.engine.contracts import (
    MONTHS,
    bfo_future_symbol,
    bfo_option_symbol,
    cds_option_symbol,
    format_expiry,
    mcx_future_symbol,
    mcx_option_symbol,
    nfo_future_symbol,
    nfo_option_symbol,
)
from angelctl.sandbox.market_calendar import HOLIDAYS, Calendar
from tests.conftest import REALDATA

SCRIPMASTER = REALDATA / "scripmaster"
CALENDAR = REALDATA / "calendar"
KITE_DAY = date(2026, 8, 18)
V13 = "angel_scripmaster_NSE_idx_eq_rows_with_freeze_qty_TRANSCRIBED_APPLICATION-V13.json"
GHOSTTRADE = "angel_scripmaster_2026_NFO_rows_with_freeze_qty_TRANSCRIBED_ghosttrade.json"
LAXMAN = "angel_scripmaster_NSE_EQ_BSE_IDX_map_2026-07-28_LaxmanHJ.json"


def parse_expiry(text: str) -> date:
    """``28MAR2024`` (or the re-cased ``04Apr2024`` of one public copy)."""
    return date(int(text[5:]), MONTHS.index(text[2:5].upper()) + 1, int(text[:2]))


def load_rows(name: str) -> list[dict[str, Any]]:
    text = (SCRIPMASTER / name).read_text()
    text = text.rstrip().removesuffix("]").rstrip().removesuffix(",") + "]"  # 2022 copies
    rows: list[dict[str, Any]] = json.loads(text)
    return rows


def nfo_derivative_rows() -> list[dict[str, Any]]:
    names = [
        "angel_scripmaster_NFO_OPTIDX_NIFTY_2022-10-15_barunks-ds.json",
        "angel_scripmaster_NFO_OPTIDX_BANKNIFTY_2022-10-15_barunks-ds.json",
        "angel_scripmaster_NFO_OPTIDX_sample_2024-03-07_sarveshsta.json",
        "angel_scripmaster_NFO_FUTSTK_2026-04-12_prathamptl34.json",
        GHOSTTRADE,
    ]
    return [row for name in names for row in load_rows(name)]


def as_instrument(row: dict[str, Any]) -> Instrument:
    """A real NFO row's contract, typed, as the sandbox would list it (with the real token)."""
    is_option = row["instrumenttype"].startswith("OPT")
    return Instrument(
        exch_seg=row["exch_seg"],
        token=row["token"],
        symbol=row["symbol"],
        name=row["name"],
        instrumenttype=row["instrumenttype"],
        lotsize=int(row["lotsize"]),
        tick_size=Decimal(row["tick_size"]) / 100,
        freeze_qty=int(row.get("freeze_qty", "0")),
        expiry=parse_expiry(row["expiry"]),
        strike=Decimal(row["strike"]) / 100 if is_option else None,
        option_type=row["symbol"][-2:] if is_option else None,
        is_cas_enabled=row.get("is_cas_enabled", False),
    )


def test_nfo_symbols_of_real_rows_2022_to_2026_are_formed_identically() -> None:
    rows = nfo_derivative_rows()
    assert len(rows) > 4500
    for row in rows:
        expiry = parse_expiry(row["expiry"])
        if row["instrumenttype"].startswith("OPT"):
            strike = Decimal(row["strike"]) / 100
            symbol = nfo_option_symbol(row["name"], expiry, strike, row["symbol"][-2:])
        else:
            symbol = nfo_future_symbol(row["name"], expiry)
        assert symbol == row["symbol"]
        assert format_expiry(expiry) == row["expiry"].upper()
        assert as_instrument(row).strike_field() == row["strike"]


def test_real_2026_nfo_rows_render_byte_for_byte() -> None:
    """Eleven fields, key order, decimal strikes (``117.5``) and the boolean is_cas_enabled."""
    rows = load_rows(GHOSTTRADE)
    for row in rows:
        assert as_instrument(row).to_row() == row
        assert list(as_instrument(row).to_row()) == list(row)
    assert any("." in row["symbol"] for row in rows)


def test_listed_contracts_with_real_tokens_equal_the_real_2026_rows() -> None:
    universe = build_universe(KITE_DAY)
    matched = 0
    for row in load_rows(GHOSTTRADE):
        ours = universe.by_symbol("NFO", row["symbol"])
        if ours is not None:
            assert ours.to_row() == row
            matched += 1
    assert matched >= 5  # NIFTYNXT50, INFY and ICICIBANK options of Oct 2026


def test_index_and_cash_rows_equal_the_real_rows_with_freeze_qty() -> None:
    universe = build_universe(date(2026, 3, 10))
    rows = json.loads((SCRIPMASTER / V13).read_text())
    for row in rows:
        ours = universe.instrument(row["exch_seg"], row["token"])
        assert ours is not None, row["symbol"]
        assert ours.to_row() == row
    assert len(rows) == 13


def test_index_and_stock_tokens_names_and_ticks_match_the_2026_map() -> None:
    real = {v["symbol"]: v for v in json.loads((SCRIPMASTER / LAXMAN).read_text()).values()}
    universe = build_universe(date(2026, 7, 28))
    checked = 0
    for instrument in universe.instruments:
        in_map = instrument.exch_seg == "NSE" or (
            instrument.exch_seg == "BSE" and instrument.is_index
        )
        if not in_map or instrument.symbol not in real:
            continue
        ours, theirs = instrument.to_row(), real[instrument.symbol]
        for key in ("token", "name", "exch_seg", "lotsize", "tick_size"):
            assert ours[key] == theirs[key], (instrument.symbol, key)
        checked += 1
    assert checked >= 60
    vix = universe.by_symbol("NSE", "India VIX")
    assert vix is not None and vix.token == "99926017"  # not 99926004 (that is Nifty 500)
    midcap = universe.find(name="MIDCPNIFTY", instrumenttype="AMXIDX")
    assert [i.token for i in midcap] == ["99926074"]


D = Decimal
REFERENCE_EXAMPLES = [
    ("NIFTY28MAR2422000CE", nfo_option_symbol("NIFTY", date(2024, 3, 28), D(22000), "CE")),
    ("NIFTY27NOV2525000CE", nfo_option_symbol("NIFTY", date(2025, 11, 27), D(25000), "CE")),
    ("BANKNIFTY29MAY24FUT", nfo_future_symbol("BANKNIFTY", date(2024, 5, 29))),
    ("ITC27JUN24FUT", nfo_future_symbol("ITC", date(2024, 6, 27))),
    ("SENSEX24MAR75000PE", bfo_option_symbol("SENSEX", date(2024, 3, 28), D(75000), "PE")),
    ("SENSEX25OCTFUT", bfo_future_symbol("SENSEX", date(2025, 10, 30))),
    ("GOLD05JUN26FUT", mcx_future_symbol("GOLD", date(2026, 6, 5))),
    ("CRUDEOIL25NOV5000CE", mcx_option_symbol("CRUDEOIL", date(2025, 11, 17), D(5000), "CE")),
    ("USDINR25OCT8325CE", cds_option_symbol("USDINR", date(2025, 10, 29), D("83.25"), "CE")),
]


@pytest.mark.parametrize(("symbol", "made"), REFERENCE_EXAMPLES)
def test_symbols_of_the_protocol_reference_examples(symbol: str, made: str) -> None:
    assert made == symbol


def test_cds_option_strike_is_scaled_by_1e7() -> None:
    universe = build_universe(date(2026, 3, 10))
    option = universe.find(exch_seg="CDS", instrumenttype="OPTCUR")[0]
    assert option.strike is not None
    assert option.to_row()["strike"] == f"{option.strike * 10_000_000:.6f}"
    assert option.to_row()["tick_size"] == "0.250000"


# ------------------------------------------------------------------------ Kite dump


@cache
def kite_rows() -> tuple[dict[str, str], ...]:
    path = next(CALENDAR.glob("zerodha_kite_instruments_NFO_BFO_*.csv.gz"))
    with gzip.open(path, "rt", newline="") as handle:
        return tuple(csv.DictReader(handle))


def kite_summary() -> dict[str, Any]:
    path = next(CALENDAR.glob("index_derivatives_lot_sizes_expiries_*_from_kite_dump.json"))
    indices: dict[str, Any] = json.loads(path.read_text())["indices"]
    return indices


def test_index_derivative_lots_and_expiries_match_the_exchange_listing() -> None:
    universe = build_universe(KITE_DAY)
    ours: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for i in universe.instruments:
        if i.instrumenttype in ("OPTIDX", "FUTIDX") and i.expiry is not None:
            ours[i.name]["lots"].add(str(i.lotsize))
            ours[i.name][i.instrumenttype].add(i.expiry.isoformat())
    summary = kite_summary()
    assert set(ours) == {"NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50"} | {
        "SENSEX",
        "BANKEX",
    }
    for name, listed in ours.items():
        real = summary[name]
        assert listed["lots"] == {str(lot) for lot in real["lot_size"]}, name
        assert listed["FUTIDX"] == set(real["future_expiries"]), name
        assert listed["OPTIDX"] <= set(real["option_expiries"]), name
    assert len(ours["NIFTY"]["OPTIDX"]) == 7 and len(ours["SENSEX"]["OPTIDX"]) == 7


def test_stock_derivative_lots_and_all_futures_tokens_match_the_exchange_listing() -> None:
    universe = build_universe(KITE_DAY)
    futures = {
        (r["exchange"], r["name"], r["expiry"]): r
        for r in kite_rows()
        if r["instrument_type"] == "FUT"
    }
    checked = 0
    for i in universe.instruments:
        if i.exch_seg in ("NFO", "BFO") and i.is_future and i.expiry is not None:
            real = futures[(i.exch_seg, i.name, i.expiry.isoformat())]
            assert (i.token, str(i.lotsize)) == (real["exchange_token"], real["lot_size"])
            assert i.tick_size == Decimal(real["tick_size"]), i.symbol
            checked += 1
    assert checked == 36


def test_bfo_symbols_are_the_exchange_symbols_kite_lists() -> None:
    """BSE's own trading symbols: monthly YYMMM, weekly YY+M+DD ([UNVERIFIED] for Angel)."""
    listed = {r["tradingsymbol"] for r in kite_rows() if r["exchange"] == "BFO"}
    ours = [i.symbol for i in build_universe(KITE_DAY).instruments if i.exch_seg == "BFO"]

    assert "SENSEX2682080000CE" in ours and "SENSEX26AUG80000CE" in ours
    assert [s for s in ours if s not in listed] == []


# ----------------------------------------------------------------------- holidays


@pytest.mark.parametrize("year_file", ["2025_misterdas", "2026_uhsa96446"])
def test_embedded_holidays_are_the_nse_holiday_master(year_file: str) -> None:
    master = json.loads((CALENDAR / f"nse_holiday_master_trading_{year_file}.json").read_text())
    year = int(year_file[:4])

    def days(segment: str, full_only: bool = False) -> set[date]:
        out = set()
        for entry in master[segment]:
            sessions = (entry["morning_session"], entry["evening_session"])
            if full_only and "Open" in sessions:
                continue
            out.add(datetime.strptime(entry["tradingDate"], "%d-%b-%Y").date())
        return out

    def ours(calendar: Calendar) -> set[date]:
        return {d for d in HOLIDAYS[calendar] if d.year == year}

    assert ours("CM") == days("CM")
    assert ours("FO") == days("FO")
    assert ours("CD") == days("CD")
    assert ours("COM") == days("COM", full_only=True)
