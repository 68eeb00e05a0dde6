"""Instrument master parsing, the index, the resolver's every form, and contract rules."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from angelctl.instruments import master as master_mod
from angelctl.instruments.build import BuildReport, build_index
from angelctl.instruments.index import IndexUnusable, InstrumentIndex
from angelctl.instruments.master import MasterFormatError, RowError, iter_master, normalise
from angelctl.instruments.resolve import AmbiguousSymbol, Resolver, SymbolNotFound
from tests.conftest import REALDATA
from tests.instruments_master import (
    BAD_ROWS,
    TODAY,
    UNKNOWN_TYPE_ROW,
    master_rows,
    write_master,
)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[InstrumentIndex]:
    rows = [normalise(r) for r in master_rows()]
    build_index(
        rows, tmp_path / "i.sqlite3", {"downloaded_at": "2026-11-25T03:00:00+00:00"}, BuildReport()
    )
    idx = InstrumentIndex(tmp_path / "i.sqlite3", {"BANKNIFTY": 450})
    yield idx
    idx.close()


@pytest.fixture
def resolver(index: InstrumentIndex) -> Resolver:
    return Resolver(index, TODAY)


# ------------------------------------------------------------------------------ reading


def test_streaming_reader_survives_any_chunk_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    text = " [\n" + ",\n ".join(json.dumps(r) for r in master_rows()) + "\n] "
    for chunk in (1, 7, 64, 4096):
        monkeypatch.setattr(master_mod, "CHUNK", chunk)
        rows = list(iter_master(io.BytesIO(text.encode())))
        assert [r["token"] for r in rows] == [r["token"] for r in master_rows()]


@pytest.mark.parametrize("cut", [1, 100, 1000, -2])
def test_truncated_master_is_an_error_not_a_short_list(cut: int) -> None:
    text = json.dumps(master_rows()).encode()
    with pytest.raises(MasterFormatError, match=r"truncated|ends"):
        list(iter_master(io.BytesIO(text[:cut])))


def test_not_an_array_is_refused() -> None:
    with pytest.raises(MasterFormatError):
        list(iter_master(io.BytesIO(b'{"token": "1"}')))
    with pytest.raises(MasterFormatError):
        list(iter_master(io.BytesIO(b"<html>Access Denied</html>")))


def test_units_strike_tick_lot_freeze() -> None:
    rows = {r["symbol"]: normalise(r) for r in master_rows()}
    nifty = rows["NIFTY01DEC2625000CE"]
    assert (nifty.strike, nifty.tick_size, nifty.lot_size) == ("25000", "0.05", 65)
    assert (nifty.option_type, nifty.expiry, nifty.freeze_qty) == ("CE", "2026-12-01", 1756)
    usd = rows["USDINR26DEC8325CE"]
    assert (usd.strike, usd.tick_size) == ("83.25", "0.0025")  # CDS strike is ×1e7
    assert rows["CRUDEOIL16DEC26FUT"].tick_size == "1"
    assert rows["Nifty 50"].kind == "INDEX" and rows["Nifty 50"].strike == ""
    assert rows["RELIANCE-EQ"].cas == 1


@pytest.mark.parametrize("bad", BAD_ROWS)
def test_malformed_rows_raise_row_error(bad: dict[str, Any]) -> None:
    with pytest.raises(RowError):
        normalise(bad)


def test_every_real_master_row_in_realdata_parses() -> None:
    """Real rows from 2022-2026 files (tests/realdata/scripmaster, see SOURCES.md)."""
    checked = 0
    for path in sorted((REALDATA / "scripmaster").glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue  # two 2022 files are cut mid-row in their public copies
        rows = (
            data
            if isinstance(data, list)
            else [v for v in data.values() if isinstance(v, dict) and "token" in v]
        )
        for raw in rows:
            parsed = normalise(raw)
            assert parsed.token == raw["token"]
            checked += 1
    assert checked > 3000


def test_real_2026_rows_keep_freeze_qty_and_units() -> None:
    path = (
        REALDATA
        / "scripmaster/angel_scripmaster_2026_NFO_rows_with_freeze_qty_TRANSCRIBED_ghosttrade.json"
    )
    first = normalise(json.loads(path.read_text())[0])
    assert first.symbol == "HINDZINC27OCT26550CE"
    assert (first.strike, first.lot_size, first.freeze_qty, first.tick_size) == (
        "550",
        1225,
        36751,
        "0.05",
    )


def test_build_reports_rejects_unknown_types_and_duplicates(tmp_path: Path) -> None:
    report = BuildReport()
    good = [normalise(r) for r in [*master_rows(), UNKNOWN_TYPE_ROW, master_rows()[3]]]
    build_index(good, tmp_path / "i.sqlite3", {}, report)
    assert report.unknown_types == {"FUTXYZ": 1}
    assert report.duplicates == 1
    assert report.rows == len(master_rows()) + 1


# ------------------------------------------------------------------------------ resolving


# Every form the resolver accepts, with what it must pick (test_instruments_index reads the plans).
RESOLVER_FORMS = [
    ("NIFTY01DEC2625000CE", "NFO", "NIFTY01DEC2625000CE"),
    ("nifty01dec2625000ce", "NFO", "NIFTY01DEC2625000CE"),
    ("SBIN-EQ", "NSE", "SBIN-EQ"),
    ("SENSEX26DEC85000PE", "BFO", "SENSEX26DEC85000PE"),
    ("CRUDEOIL16DEC26FUT", "MCX", "CRUDEOIL16DEC26FUT"),
    ("USDINR26DEC8325CE", "CDS", "USDINR26DEC8325CE"),
    ("NSE:2885", "NSE", "RELIANCE-EQ"),
    ("BSE:500325", "BSE", "RELIANCE"),
    ("BSE:RELIANCE", "BSE", "RELIANCE"),
    ("RELIANCE", "NSE", "RELIANCE-EQ"),
    ("M&M", "NSE", "M&M-EQ"),
    ("SMALLCO", "NSE", "SMALLCO-BE"),
    ("RELIANCE BSE", "BSE", "RELIANCE"),
    ("NIFTY", "NSE", "Nifty 50"),
    ("BANKNIFTY", "NSE", "Nifty Bank"),
    ("SENSEX", "BSE", "SENSEX"),
    ("Nifty 50", "NSE", "Nifty 50"),
    ("NIFTY INDEX", "NSE", "Nifty 50"),
    ("NIFTY 25000 CE 01DEC26", "NFO", "NIFTY01DEC2625000CE"),
    ("NIFTY 25000 CE 1DEC2026", "NFO", "NIFTY01DEC2625000CE"),
    ("NIFTY 25000 CE 2026-12-08", "NFO", "NIFTY08DEC2625000CE"),
    ("NIFTY 25000CE", "NFO", "NIFTY01DEC2625000CE"),  # nearest live expiry, not 24-Nov
    ("nifty 25050 call", "NFO", "NIFTY01DEC2625050CE"),
    ("NIFTY 25000 PUT", "NFO", "NIFTY01DEC2625000PE"),
    ("NIFTY 25000 CE DEC", "NFO", "NIFTY29DEC2625000CE"),  # a month means its monthly
    ("NIFTY FUT", "NFO", "NIFTY29DEC26FUT"),
    ("NIFTY FUT JAN27", "NFO", "NIFTY26JAN27FUT"),
    ("BANKNIFTY FUT", "NFO", "BANKNIFTY29DEC26FUT"),
    ("RELIANCE FUT", "NFO", "RELIANCE29DEC26FUT"),
    ("SENSEX FUT", "BFO", "SENSEX26DECFUT"),
    ("SENSEX 85000 PE", "BFO", "SENSEX26DEC85000PE"),
    ("USDINR 83.25 CE", "CDS", "USDINR26DEC8325CE"),
    ("CRUDEOIL FUT", "MCX", "CRUDEOIL16DEC26FUT"),
]


@pytest.mark.parametrize(("text", "exchange", "symbol"), RESOLVER_FORMS)
def test_resolves_every_form(resolver: Resolver, text: str, exchange: str, symbol: str) -> None:
    contract = resolver.resolve(text)
    assert (contract.exchange, contract.symbol) == (exchange, symbol)


def test_exchange_filter_narrows(resolver: Resolver) -> None:
    assert resolver.resolve("SBIN", exchange="BSE").token == "500112"


def test_strike_without_call_or_put_is_ambiguous(resolver: Resolver) -> None:
    with pytest.raises(AmbiguousSymbol) as info:
        resolver.resolve("NIFTY 25000")
    symbols = {c.symbol for c in info.value.candidates}
    assert symbols == {"NIFTY01DEC2625000CE", "NIFTY01DEC2625000PE"}
    assert "NFO:NIFTY01DEC2625000CE" in info.value.message
    assert info.value.exit_status == 2


def test_a_miss_suggests_the_closest_symbols(resolver: Resolver) -> None:
    with pytest.raises(SymbolNotFound) as info:
        resolver.resolve("RELIANC")
    assert "RELIANCE-EQ" in info.value.suggestions or "RELIANCE" in info.value.suggestions
    assert info.value.hint and "did you mean" in info.value.hint


def test_expired_contracts_are_not_picked_as_nearest(resolver: Resolver) -> None:
    assert resolver.resolve("NIFTY 25000 CE").expiry == date(2026, 12, 1)
    # ... but the exact symbol of an expired contract still resolves (journals name it)
    assert resolver.resolve("NIFTY24NOV2625000CE").expiry == date(2026, 11, 24)


@pytest.mark.parametrize("text", ["", "   ", "25000 CE", "NIFTY 25000 CE 31FEB26"])
def test_unreadable_input_is_a_usage_error(resolver: Resolver, text: str) -> None:
    from angelctl.errors import UsageError

    with pytest.raises(UsageError):
        resolver.resolve(text)


def _outcome(result: object) -> tuple[str, ...]:
    from angelctl.errors import UsageError

    if isinstance(result, UsageError):
        return (type(result).__name__, result.message)
    assert not isinstance(result, BaseException)
    return (result.exchange, result.token)  # type: ignore[attr-defined]


def test_resolving_a_watchlist_together_is_resolving_each_alone(
    resolver: Resolver, index: InstrumentIndex
) -> None:
    """``resolve_all`` looks EXCH:SYMBOL forms up in one query; every text — qualified, bare,
    friendly, lower-case, a duplicate, a miss, an ambiguous one, junk — comes out exactly as
    ``resolve`` alone says, in order."""
    rows = index.db.execute("SELECT exchange, symbol FROM contracts ORDER BY token").fetchall()
    texts = [f"{ex}:{sym}" for ex, sym in rows]
    texts += [f"{ex.lower()}:{sym.lower()}" for ex, sym in rows[:20]]
    texts += [text for text, _, _ in RESOLVER_FORMS] + [texts[0], "NSE:NOSUCH", "NSE:2885"]
    texts += ["NIFTY 25000", "BSE:", "XYZ:SBIN", "NSE: SBIN-EQ ", "RELIANC", "NFO:NIFTY FUT"]
    together = [_outcome(r) for r in resolver.resolve_all(texts)]
    alone = []
    for text in texts:
        try:
            alone.append(_outcome(resolver.resolve(text)))
        except Exception as exc:  # the outcome, error or not, is what is compared
            alone.append(_outcome(exc))
    assert len(texts) > 60
    assert together == alone


# ------------------------------------------------------------------------------ contract rules


def test_contract_rules(resolver: Resolver) -> None:
    nifty = resolver.resolve("NIFTY01DEC2625000CE")
    assert (nifty.lot_size, nifty.tick_size, nifty.freeze_qty) == (65, Decimal("0.05"), 1756)
    assert nifty.freeze_source == "master"
    assert nifty.max_order_qty == 1755  # 27 lots: strictly below the freeze quantity
    assert (nifty.exchange_type, nifty.segment) == (2, "nse_fo")
    banknifty = resolver.resolve("BANKNIFTY 55000 CE")
    assert (banknifty.freeze_qty, banknifty.freeze_source) == (450, "config")
    sensex = resolver.resolve("SENSEX FUT")
    assert (sensex.freeze_qty, sensex.freeze_source) == (1000, "table")
    assert sensex.exchange_type == 4
    assert resolver.resolve("SBIN").freeze_qty is None
    assert resolver.resolve("USDINR FUT").exchange_type == 13
    assert resolver.resolve("CRUDEOIL FUT").exchange_type == 5
    assert resolver.resolve("SENSEX").exchange_type == 3


def test_damaged_index_file_is_unusable_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "i.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(IndexUnusable):
        InstrumentIndex(path)
    path.write_bytes(b"not a database at all")
    with pytest.raises(IndexUnusable):
        InstrumentIndex(path)


def test_cli_sync_file_show_search_info(cli: Any, tmp_path: Path) -> None:
    rows = [*master_rows(), *BAD_ROWS, UNKNOWN_TYPE_ROW]
    synced = cli(
        "instruments", "sync", "--file", str(write_master(tmp_path / "m.json", rows)), "--json"
    )
    assert synced.code == 0, synced.both
    doc = synced.json()
    assert doc["rows"] == len(master_rows()) + 1
    assert doc["rejected"] == len(BAD_ROWS)
    assert doc["unknown_types"] == {"FUTXYZ": 1}
    shown = cli("instruments", "show", "NSE:3045", "--json")
    assert shown.code == 0, shown.both
    assert shown.json()["symbol"] == "SBIN-EQ" and shown.json()["exchange_type"] == 1
    table = cli("instruments", "show", "RELIANCE29DEC26FUT")  # exact: no date dependence
    assert "Lot size" in table.out and "500 units" in table.out
    found = cli("instruments", "search", "NIFTY", "25000", "--type", "OPT", "--json")
    assert {r["symbol"] for r in found.json()["results"]} >= {
        "NIFTY01DEC2625000CE",
        "NIFTY29DEC2625000CE",
    }
    info = cli("instruments", "info", "--json").json()
    assert info["rows"] == len(master_rows()) + 1 and info["stale"] is False
    assert info["search"] == "fts5-trigram"
    missing = cli("instruments", "show", "RELIANC")
    assert missing.code == 2 and "did you mean" in missing.err
