"""bench/make_master.py: a large master in the real format, fast, every row valid and unique."""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from pathlib import Path
from types import ModuleType

from angelctl.sandbox.engine.instrument import ROW_KEYS
from tests.conftest import REPO


def make_master() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_master", REPO / "bench" / "make_master.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generate_rows_gives_exactly_n_valid_rows() -> None:
    rows = make_master().generate_rows(2500, date(2026, 3, 10))

    assert len(rows) == 2500
    assert all(tuple(row) == ROW_KEYS for row in rows)
    assert rows[0]["token"] == "99926000"


def test_the_150k_master_is_written_with_unique_tokens_and_symbols(tmp_path: Path) -> None:
    out = tmp_path / "OpenAPIScripMaster.json"

    assert make_master().main([str(out), "--rows", "150000", "--date", "2026-03-10"]) == 0

    rows = json.loads(out.read_text())
    assert len(rows) == 150_000
    assert len({(r["exch_seg"], r["token"]) for r in rows}) == 150_000
    assert len({(r["exch_seg"], r["symbol"]) for r in rows}) == 150_000
    assert {tuple(r) for r in rows} == {ROW_KEYS}
    assert all(isinstance(r["is_cas_enabled"], bool) for r in rows)
    kinds = {r["instrumenttype"] for r in rows}
    assert {"", "AMXIDX", "OPTIDX", "OPTSTK", "FUTIDX", "FUTSTK", "OPTFUT", "OPTCUR"} <= kinds
