"""The index's costs stay flat: every resolver form is an index seek (read from the query plans
SQLite itself reports), word search goes through the trigram table and answers exactly what a
brute-force substring filter over the same rows answers, short words still work, an index of an
older schema is refused with the sync hint, and the instruments package imports one way."""

from __future__ import annotations

import ast
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from angelctl.instruments.build import BuildReport, build_index
from angelctl.instruments.index import IndexUnusable, InstrumentIndex
from angelctl.instruments.master import RowError, normalise
from angelctl.instruments.resolve import Resolver
from angelctl.instruments.search import search_sql
from tests.conftest import REALDATA
from tests.instruments.test_instruments import RESOLVER_FORMS
from tests.instruments_master import TODAY, master_rows

FORMS = [text for text, _, _ in RESOLVER_FORMS]
FRIENDLY = [
    "NIFTY 25000 CE",
    "BANKNIFTY FUT",
    "RELIANCE BSE",
    "NIFTY 25000 CE DEC",
    "NIFTY 25000",  # ambiguous: both types
    "SBIN",
    "RELIANC",  # a miss: the suggestion lookups too
]


def _real_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted((REALDATA / "scripmaster").glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue  # two 2022 files are cut mid-row in their public copies
        if isinstance(data, dict):
            data = [v for v in data.values() if isinstance(v, dict) and "token" in v]
        rows += data
    return rows


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstrumentIndex]:
    """The test master plus every real row in tests/realdata, in one index."""
    normal = []
    for raw in [*master_rows(), *_real_rows()]:
        try:
            normal.append(normalise(raw))
        except RowError:
            continue
    path = tmp_path_factory.mktemp("index") / "i.sqlite3"
    build_index(normal, path, {"downloaded_at": "2026-11-25T03:00:00+00:00"}, BuildReport())
    idx = InstrumentIndex(path)
    yield idx
    idx.close()


def _statements(index: InstrumentIndex, text: str) -> list[str]:
    seen: list[str] = []
    index.db.set_trace_callback(seen.append)
    try:
        Resolver(index, TODAY).candidates(text)
        if text == "RELIANC":
            Resolver(index, TODAY).suggest(text)
    finally:
        index.db.set_trace_callback(None)
    return seen


def _plan(index: InstrumentIndex, sql: str, params: Any = ()) -> list[str]:
    return [str(row[-1]) for row in index.db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


@pytest.mark.parametrize("text", FORMS + FRIENDLY)
def test_every_resolver_form_is_an_index_seek(index: InstrumentIndex, text: str) -> None:
    statements = _statements(index, text)
    assert statements
    for sql in statements:
        plan = _plan(index, sql)
        reads = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
        assert reads, (sql, plan)
        assert not any(step.startswith("SCAN") for step in reads), (sql, plan)
        assert all(
            "USING COVERING INDEX" in step or "USING INDEX" in step or "USING PRIMARY KEY" in step
            for step in reads
        ), (sql, plan)


@pytest.mark.parametrize("text", [t for t in FORMS + FRIENDLY if " " in t and ":" not in t])
def test_friendly_keys_come_from_the_covering_index_alone(
    index: InstrumentIndex, text: str
) -> None:
    keyed = [s for s in _statements(index, text) if s.startswith("SELECT exchange, token, expiry")]
    for sql in keyed:
        assert any("USING COVERING INDEX contracts_friendly" in s for s in _plan(index, sql)), sql


def test_a_friendly_option_reads_whole_rows_only_for_the_chosen_contract(
    index: InstrumentIndex,
) -> None:
    statements = _statements(index, "NIFTY 25000 CE")
    whole_rows = [s for s in statements if s.startswith("SELECT exchange, token, symbol")]
    keys = [s for s in statements if s.startswith("SELECT exchange, token, expiry")]
    assert len(keys) == 1
    assert len(index.db.execute(keys[0]).fetchall()) == 3  # three live expiries of the strike
    fetched = [s for s in whole_rows if "token = " in s and "exchange = 'NFO'" in s]
    assert len(fetched) == 1  # ... and only the nearest one is read whole


def test_search_goes_through_the_trigram_table(index: InstrumentIndex) -> None:
    assert index.search_method == "fts5-trigram"
    sql, params = search_sql(["NIFTY", "25000", "CE"], fts=True)
    plan = _plan(index, sql, params)
    assert any("contracts_fts VIRTUAL TABLE INDEX" in step for step in plan), plan
    assert any(step.startswith("SEARCH c USING PRIMARY KEY") for step in plan), plan
    assert not any(step.split()[:2] == ["SCAN", "c"] for step in plan), plan


def _brute(index: InstrumentIndex, words: list[str]) -> set[tuple[str, str]]:
    rows = index.db.execute("SELECT exchange, token, usym, name FROM contracts").fetchall()
    upper = [w.upper() for w in words]
    return {
        (ex, tok)
        for ex, tok, usym, name in rows
        if all(w in usym or w in name.upper() for w in upper)
    }


def _search(index: InstrumentIndex, words: list[str], *, fts: bool) -> list[tuple[str, str]]:
    sql, params = search_sql(words, fts=fts, limit=1_000_000)
    return [(row[0], row[1]) for row in index.db.execute(sql, params)]


@st.composite
def substrings(draw: st.DrawFn, pool: list[str]) -> str:
    text = draw(st.sampled_from(pool))
    start = draw(st.integers(0, max(len(text) - 1, 0)))
    end = draw(st.integers(start + 1, min(len(text), start + 9)))
    return text[start:end].strip() or text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_search_answers_what_a_brute_force_filter_answers(
    index: InstrumentIndex, data: Any
) -> None:
    pool = [r[0] for r in index.db.execute("SELECT symbol FROM contracts")]
    pool += [r[0] for r in index.db.execute("SELECT DISTINCT name FROM contracts")]
    words = data.draw(st.lists(substrings(pool), min_size=1, max_size=3))
    words = [w for text in words for w in text.split()]
    indexed = _search(index, words, fts=True)
    assert set(indexed) == _brute(index, words)
    assert indexed == _search(index, words, fts=False)  # and in the LIKE scan's order
    assert [c.key for c in index.search(words, limit=20)] == [
        f"{ex}:{tok}" for ex, tok in indexed[:20]
    ]


@pytest.mark.parametrize("words", [["N"], ["CE"], ["NIFTY", "CE"], ["%"], ["_"], ["M&"]])
def test_one_and_two_character_words_still_search(index: InstrumentIndex, words: list[str]) -> None:
    found = _search(index, words, fts=True)
    assert set(found) == _brute(index, words)
    if words[0] in ("N", "CE", "NIFTY"):
        assert found
    assert found == _search(index, words, fts=False)


def test_search_keeps_the_ranking_exact_symbol_first(index: InstrumentIndex) -> None:
    assert index.search(["SBIN-EQ"])[0].symbol == "SBIN-EQ"
    assert index.search(["nifty"])[0].kind == "INDEX"


def test_an_index_of_the_previous_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "i.sqlite3"
    build_index([normalise(r) for r in master_rows()], path, {}, BuildReport())
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with pytest.raises(IndexUnusable, match="has schema 1, not 2"):
        InstrumentIndex(path)


def test_the_instruments_package_imports_one_way() -> None:
    """No cycle among the package's modules, counting imports inside functions too."""
    package = Path(__file__).parents[2] / "angelctl" / "instruments"
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("angelctl.instruments."):
                    edges.add(node.module.rsplit(".", 1)[1])
                elif node.module == "angelctl.instruments":
                    edges.update(alias.name for alias in node.names)
        graph[path.stem] = edges
    assert "store" not in graph["sync"] and "sync" in graph["store"]

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    assert [m for m in graph if reaches(m, m, set())] == []


def test_completion_scan_reads_its_covering_index_and_symbol_seeks_are_unchanged(
    index: InstrumentIndex,
) -> None:
    """instruments.complete's prefix scan touches no table row; the exact-symbol lookups keep
    seeking contracts_usym on (usym, exchange) rather than scanning an exchange's rows."""
    scan = "SELECT symbol, expiry FROM contracts WHERE usym >= ? AND usym < ?"
    assert any(
        "COVERING INDEX contracts_complete" in s for s in _plan(index, scan, ("N", "N\uffff"))
    )
    seek = "SELECT * FROM contracts WHERE usym = ? AND exchange = ?"
    assert _plan(index, seek, ("SBIN", "BSE")) == [
        "SEARCH contracts USING INDEX contracts_usym (usym=? AND exchange=?)"
    ]
