"""Ranking of symbol candidates (instruments.complete): nearest expiry first, names inside a
group, and a cut list that never narrows the prefix a shell inserts beyond the nearest group."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from angelctl.instruments.complete import CAP, common_prefix, rank

TODAY = "2026-12-07"


def _options(expiry: str, tag: str, strikes: range) -> list[tuple[str, str]]:
    return [(f"NIFTY{tag}{k}{side}", expiry) for k in strikes for side in ("CE", "PE")]


def test_cash_first_then_nearest_expiry_then_name() -> None:
    rows = [
        ("NIFTY26JAN27FUT", "2027-01-26"),
        ("NIFTY08DEC2625000CE", "2026-12-08"),
        ("NIFTYBEES-EQ", ""),
        ("NIFTY29DEC26FUT", "2026-12-29"),
        ("NIFTY08DEC2624950CE", "2026-12-08"),
        ("NIFTY01DEC2625000CE", "2026-12-01"),  # expired: last
    ]
    assert rank(rows, TODAY) == [
        "NIFTYBEES-EQ",
        "NIFTY08DEC2624950CE",
        "NIFTY08DEC2625000CE",
        "NIFTY29DEC26FUT",
        "NIFTY26JAN27FUT",
        "NIFTY01DEC2625000CE",
    ]


def test_one_symbol_on_two_exchanges_is_one_candidate() -> None:
    assert rank([("SBIN", ""), ("SBIN", ""), ("SBIN-EQ", "")], TODAY) == ["SBIN", "SBIN-EQ"]


def test_over_the_cap_only_the_nearest_expiry_is_offered() -> None:
    """NIFTY0<Tab> with December weeklies and January monthlies: the shell gets the 08DEC
    contracts only, so the prefix it inserts is the near week's, never 05JAN27's."""
    rows = (
        _options("2027-01-05", "05JAN27", range(24000, 26000, 50))
        + _options("2026-12-15", "15DEC26", range(24000, 26000, 50))
        + _options("2026-12-08", "08DEC26", range(25000, 25500, 50))
    )
    got = rank(rows, TODAY)
    assert got == sorted(s for s, e in rows if e == "2026-12-08")
    assert common_prefix(got) == "NIFTY08DEC2625"


def test_a_nearest_group_larger_than_the_cap_keeps_its_own_prefix() -> None:
    rows = _options("2026-12-08", "08DEC26", range(9500, 30000, 100)) + _options(
        "2026-12-15", "15DEC26", range(24000, 26000, 50)
    )
    got = rank(rows, TODAY)
    assert len(got) == CAP
    near = [s for s, e in rows if e == "2026-12-08"]
    # the cut list inserts exactly what the whole nearest group would: NIFTY08DEC26, not
    # NIFTY08DEC261 (which the alphabetically first 60 strikes alone would share)
    assert common_prefix(got) == common_prefix(near) == "NIFTY08DEC26"
    assert all(e == "2026-12-08" for s, e in rows if s in got)


def test_under_the_cap_everything_is_offered_in_rank_order() -> None:
    rows = [("NIFTY29DEC26FUT", "2026-12-29"), ("NIFTY08DEC26FUT", "2026-12-08")]
    assert rank(rows, TODAY) == ["NIFTY08DEC26FUT", "NIFTY29DEC26FUT"]


_symbols = st.text(alphabet="NIFTY0123456789CEP", min_size=1, max_size=8)
_expiries = st.one_of(
    st.just(""),
    st.integers(-20, 60).map(lambda d: (date(2026, 12, 7) + timedelta(days=d)).isoformat()),
)


@given(st.lists(st.tuples(_symbols, _expiries), max_size=200), st.integers(2, 80))
def test_the_inserted_prefix_never_leaves_the_leading_group(
    rows: list[tuple[str, str]], cap: int
) -> None:
    """Whatever the rows, the prefix the shell inserts is shared by every symbol of the leading
    group (no expiry, then the nearest), and the cut list is no longer than the cap."""
    got = rank(rows, TODAY, cap)
    first: dict[str, str] = {}
    for symbol, expiry in rows:
        first.setdefault(symbol, expiry)
    assert len(got) <= max(cap, 0) or len(first) <= cap
    assert len(set(got)) == len(got) and set(got) <= set(first)
    if not first:
        return
    live = sorted({e for e in first.values() if e and e >= TODAY}) or sorted(
        {e for e in first.values() if e}
    )
    lead = {s for s, e in first.items() if not e} | (
        {s for s, e in first.items() if e == live[0]} if live else set()
    )
    prefix = common_prefix(got)
    assert all(symbol.startswith(prefix) for symbol in lead)


def test_a_prefix_too_short_to_rank_still_keeps_the_common_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``RANKED`` matching rows nothing is ranked, but the candidates (the first names
    and the last) share exactly the prefix every match shares."""
    from angelctl.instruments import complete

    path = tmp_path / "index.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE contracts (symbol TEXT, usym TEXT, expiry TEXT)")
    names = [f"SB{n:03d}" for n in range(300)] + ["SBIN", "SYNGENE"]
    db.executemany("INSERT INTO contracts VALUES (?, ?, '')", [(n, n.upper()) for n in names])
    db.commit()
    db.close()
    monkeypatch.setattr(complete, "RANKED", 100)
    got = complete.complete_symbols(path, "s", TODAY, cap=20)
    assert len(got) == 20 and got[-1] == "SYNGENE"
    assert common_prefix(got) == common_prefix(names) == "S"
    assert complete.complete_symbols(path, "sb2", TODAY, cap=20)[0] == "SB200"  # ranked again
