"""Syncing the master from the sandbox over loopback: atomic replace, partial downloads,
staleness once per trading day, offline operation, a damaged index, and the property that
every row the sandbox publishes resolves back to itself."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from angelctl.clock import IST
from angelctl.config import ProfileSettings, sandbox_urls
from angelctl.errors import BrokerError
from angelctl.instruments.index import InstrumentIndex
from angelctl.instruments.resolve import Resolver
from angelctl.instruments.store import (
    InstrumentsUnavailable,
    index_path,
    open_index,
    refresh_boundary,
)
from angelctl.instruments.sync import sync_master
from tests.conftest import ShiftedClock, arm, routes_seen


def settings_for(url: str) -> ProfileSettings:
    return ProfileSettings(name="t", environment="sandbox", **sandbox_urls(url))


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def published(sandbox: Any) -> list[dict[str, Any]]:
    reply = requests.get(sandbox.instruments_url, timeout=30)
    reply.raise_for_status()
    rows: list[dict[str, Any]] = reply.json()
    return rows


def test_sync_from_the_sandbox_builds_the_index(sandbox: Any, sandbox_clock: ShiftedClock) -> None:
    result = sync_master(settings_for(sandbox.rest_url), sandbox_clock)
    rows = published(sandbox)
    assert result.rows == len(rows) > 500
    assert result.report.rejected_total == 0
    index = InstrumentIndex(index_path())
    assert index.count() == len(rows)
    assert oct(index_path().stat().st_mode & 0o777) == "0o600"
    index.close()


@pytest.mark.parametrize(
    "fault",
    [
        {"name": "truncate", "fraction": 0.6},
        {"name": "garbage"},
        {"name": "http_5xx", "status": 503},
        {"name": "drop"},
    ],
)
def test_a_bad_download_keeps_the_previous_index(
    sandbox: Any, sandbox_clock: ShiftedClock, fault: dict[str, Any]
) -> None:
    settings = settings_for(sandbox.rest_url)
    sync_master(settings, sandbox_clock)
    before = index_path().read_bytes()
    arm(sandbox, route="instrumentMaster", count=1, **fault)
    with pytest.raises(BrokerError):
        sync_master(settings, sandbox_clock)
    assert index_path().read_bytes() == before
    assert not list(index_path().parent.glob(".*"))  # no temporary files left behind


def test_a_much_smaller_master_is_refused_as_partial(
    sandbox: Any, sandbox_clock: ShiftedClock, tmp_path: Path
) -> None:
    import json

    sync_master(settings_for(sandbox.rest_url), sandbox_clock)
    small = tmp_path / "small.json"
    small.write_text(json.dumps(published(sandbox)[:50]))
    with pytest.raises(BrokerError, match="partial"):
        sync_master(settings_for(sandbox.rest_url), sandbox_clock, file=small)
    assert (
        sync_master(settings_for(sandbox.rest_url), sandbox_clock, file=small, force=True).rows
        == 50
    )


def test_refreshes_once_per_trading_day(sandbox: Any, sandbox_clock: ShiftedClock) -> None:
    settings = settings_for(sandbox.rest_url)
    warnings: list[str] = []
    open_index(settings, sandbox_clock, warn=warnings.append).close()
    open_index(settings, sandbox_clock, warn=warnings.append).close()
    assert routes_seen(sandbox).count("instrumentMaster") == 1
    sandbox_clock.advance(24 * 3600)  # the next day, after 08:00 IST on a weekday or not
    open_index(settings, sandbox_clock, warn=warnings.append).close()
    expected = 2 if refresh_boundary(sandbox_clock.now()) > datetime.now(UTC) else 1
    assert routes_seen(sandbox).count("instrumentMaster") == expected
    assert warnings == []


def test_offline_uses_the_last_good_index_with_a_dated_warning(
    sandbox: Any, sandbox_clock: ShiftedClock
) -> None:
    sync_master(settings_for(sandbox.rest_url), sandbox_clock)
    day = sandbox_clock.now().astimezone(IST).date().isoformat()
    sandbox_clock.advance(4 * 24 * 3600)  # stale for certain
    warnings: list[str] = []
    index = open_index(settings_for(closed_port_url()), sandbox_clock, warn=warnings.append)
    assert index.count() > 500
    index.close()
    assert len(warnings) == 1 and day in warnings[0]


def test_damaged_index_is_rebuilt_or_reported(sandbox: Any, sandbox_clock: ShiftedClock) -> None:
    sync_master(settings_for(sandbox.rest_url), sandbox_clock)
    index_path().write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with pytest.raises(InstrumentsUnavailable) as info:
        open_index(settings_for(closed_port_url()), sandbox_clock, warn=print)
    assert info.value.hint and "sync" in info.value.hint
    rebuilt = open_index(settings_for(sandbox.rest_url), sandbox_clock, warn=print)
    assert rebuilt.count() > 500
    rebuilt.close()


def test_cli_offline_warning_names_the_index_date(
    cli: Any, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANGELCTL_INSTRUMENTS_URL", sandbox.instruments_url)
    assert cli("instruments", "sync").code == 0
    stale = (datetime.now(UTC) - timedelta(days=4)).isoformat()
    import sqlite3

    db = sqlite3.connect(index_path())
    db.execute("UPDATE meta SET value = ? WHERE key = 'downloaded_at'", (stale,))
    db.execute("UPDATE meta SET value = '2026-01-01' WHERE key = 'trading_day'")
    db.commit()
    db.close()
    monkeypatch.setenv("ANGELCTL_INSTRUMENTS_URL", closed_port_url() + "/m.json")
    shown = cli("instruments", "show", "NSE:2885", "--json")
    assert shown.code == 0, shown.both
    assert shown.json()["symbol"] == "RELIANCE-EQ"
    assert "warning: using the instrument index from 2026-01-01" in shown.err


@pytest.fixture(scope="module")
def universe_index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The sandbox's published universe, ingested once for the property test."""
    from angelctl.instruments.build import BuildReport, build_index
    from angelctl.instruments.master import normalise
    from angelctl.sandbox import SandboxConfig, SandboxServer

    with SandboxServer(SandboxConfig(port=0)) as server:
        rows = requests.get(server.instruments_url, timeout=30).json()
    path = tmp_path_factory.mktemp("universe") / "i.sqlite3"
    build_index([normalise(r) for r in rows], path, {}, BuildReport())
    index = InstrumentIndex(path)
    yield rows, index
    index.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.data_too_large])
@given(data=st.data())
def test_every_published_row_resolves_back_to_itself(universe_index: Any, data: Any) -> None:
    rows, index = universe_index
    row = data.draw(st.sampled_from(rows))
    resolver = Resolver(index, datetime.now(UTC).astimezone(IST).date())
    by_token = resolver.resolve(f"{row['exch_seg']}:{row['token']}")
    assert (by_token.exchange, by_token.token, by_token.symbol) == (
        row["exch_seg"],
        row["token"],
        row["symbol"],
    )
    by_symbol = resolver.resolve(f"{row['exch_seg']}:{row['symbol']}")
    assert by_symbol.token == row["token"]
    assert by_symbol.lot_size == int(row["lotsize"])


def test_every_published_row_by_bare_symbol(universe_index: Any) -> None:
    """A bare exact symbol resolves to its row unless the same symbol is listed twice."""
    rows, index = universe_index
    resolver = Resolver(index, datetime.now(UTC).astimezone(IST).date())
    symbols: dict[str, int] = {}
    for row in rows:
        symbols[row["symbol"].upper()] = symbols.get(row["symbol"].upper(), 0) + 1
    for row in rows:
        if symbols[row["symbol"].upper()] > 1 or row["instrumenttype"] == "":
            continue  # shared across exchanges, or a bare cash name that prefers NSE
        contract = resolver.resolve(row["symbol"])
        assert (contract.exchange, contract.token) == (row["exch_seg"], row["token"])
