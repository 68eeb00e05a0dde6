"""The day's P&L: the arithmetic of ``portfolio_pnl`` on hand-made rows, the rupee formatter,
the footer of ``positions`` and the NDJSON snapshots of ``positions --watch --json`` against
the sandbox's paper fills."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from angelctl.broker.portfolio import Position
from angelctl.portfolio_pnl import day_pnl, mark_all, marked
from angelctl.render.pnl import inr
from angelctl.render.units import group_indian
from tests.broker.test_portfolio import broker, place  # noqa: F401 - the fixture is used
from tests.conftest import admin


def position(
    exchange: str,
    token: str,
    net_qty: int,
    ltp: str,
    realised: str = "0",
    unrealised: str = "0",
) -> Position:
    zero = Decimal(0)
    return Position(
        exchange=exchange,
        token=token,
        symbol=f"S{token}",
        product="INTRADAY",
        instrument_type="",
        net_qty=net_qty,
        buy_qty=max(net_qty, 0),
        sell_qty=max(-net_qty, 0),
        cf_buy_qty=0,
        cf_sell_qty=0,
        buy_avg=zero,
        sell_avg=zero,
        net_price=zero,
        buy_value=zero,
        sell_value=zero,
        realised=Decimal(realised),
        unrealised=Decimal(unrealised),
        pnl=Decimal(realised) + Decimal(unrealised),
        ltp=Decimal(ltp),
        close=zero,
    )


def test_a_live_ltp_moves_the_brokers_unrealised_by_quantity_times_the_move() -> None:
    short = position("NFO", "1", -65, "100.00", realised="10", unrealised="-130")
    live = marked(short, Decimal("101.50"))
    assert str(marked(short, Decimal(1015) / 10).ltp) == "101.50"  # at the price's places
    assert (live.ltp, live.unrealised, live.pnl) == (
        Decimal("101.50"),
        Decimal("-227.50"),  # -130 + (-65 × 1.50)
        Decimal("-217.50"),
    )
    assert marked(short, Decimal("100.00")).unrealised == Decimal(-130)  # no jump at the same LTP


def test_flat_rows_and_segments_with_a_multiplier_keep_the_brokers_figures() -> None:
    flat = position("NSE", "2", 0, "50", realised="75")
    gold = position("MCX", "3", 1, "70000", unrealised="500")
    assert marked(flat, Decimal(60)) is flat
    assert marked(gold, Decimal(71000)) is gold


def test_day_pnl_sums_by_segment_and_counts_the_rows_marked_live() -> None:
    rows = [
        position("NFO", "1", -65, "100", realised="10", unrealised="-130"),
        position("NFO", "4", 50, "20", realised="-5", unrealised="0"),
        position("NSE", "2", 0, "50", realised="75"),
        position("MCX", "3", 1, "70000", unrealised="500"),
    ]
    ltps = {("NFO", "1"): Decimal(99), ("NFO", "4"): Decimal(21), ("MCX", "3"): Decimal(1)}
    day = day_pnl(rows, ltps)
    assert (day.realised, day.unrealised, day.total) == (Decimal(80), Decimal(485), Decimal(565))
    assert (day.open, day.marked) == (3, 2)
    by = {s.segment: (s.realised, s.unrealised, s.total, s.open) for s in day.segments}
    assert by == {
        "MCX": (0, 500, 500, 1),
        "NFO": (5, -65 + 50, -10, 2),  # -130 + 65 and 0 + 50
        "NSE": (75, 0, 75, 0),
    }
    assert [s.segment for s in day.segments] == ["MCX", "NFO", "NSE"]
    marked_rows = mark_all(rows, ltps)
    assert sum((p.pnl for p in marked_rows), Decimal(0)) == day.total
    document = json.loads(json.dumps(day.as_dict(), default=str))
    assert document["total"] == "565.00" and document["by_segment"][1]["segment"] == "NFO"
    assert day_pnl(rows).total == Decimal(450)  # no live prices: the broker's own figures


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0", "₹0.00"),
        ("99.5", "+₹99.50"),
        ("1234567.891", "+₹12,34,567.89"),
        ("-250000", "-₹2,50,000.00"),
        ("-0.004", "₹0.00"),
        ("100000", "+₹1,00,000.00"),
    ],
)
def test_rupees_are_grouped_the_indian_way(value: str, text: str) -> None:
    assert inr(Decimal(value), signed=True) == text


def test_group_indian() -> None:
    assert [group_indian(n) for n in (0, 999, 1000, 3646500, -12345678)] == [
        "0",
        "999",
        "1,000",
        "36,46,500",
        "-1,23,45,678",
    ]


def test_positions_prints_the_day_pnl_under_the_table_and_in_its_json(
    cli: Any,
    sandbox: Any,
    broker: Any,  # noqa: F811 - the fixture
) -> None:
    place(broker, "BUY", 10, "801")  # fills at the LTP, 800
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="810")
    place(broker, "SELL", 4, "809")  # fills at 810: realised 40, unrealised 6 × 10
    table = cli("positions")
    assert table.code == 0, table.both
    assert "Day P&L +₹100.00 (realised +₹40.00 · unrealised +₹60.00)" in table.out
    day = cli("positions", "--json").json()["day_pnl"]
    assert [Decimal(day[k]) for k in ("realised", "unrealised", "total")] == [40, 60, 100]
    (nse,) = day["by_segment"]
    assert nse["segment"] == "NSE" and nse["open"] == 1
    assert [Decimal(nse[k]) for k in ("realised", "unrealised", "total")] == [40, 60, 100]


def test_positions_watch_json_prints_one_snapshot_per_read(
    cli_on_sandbox_time: Any,
    sandbox: Any,
    broker: Any,  # noqa: F811 - the fixture
) -> None:
    place(broker, "BUY", 2, "801")  # fills at 800
    result = cli_on_sandbox_time("positions", "--watch", "1", "--iterations", "3", "--json")
    assert result.code == 0, result.both
    snapshots = [json.loads(line) for line in result.out.splitlines()]
    assert len(snapshots) == 3
    for snap in snapshots:
        assert snap["type"] == "positions" and snap["profile"] == "sandbox"
        assert snap["at"].endswith("+05:30")  # ISO 8601 in IST
        assert [p["symbol"] for p in snap["positions"]] == ["SBIN-EQ"]
        assert snap["day_pnl"]["open"] == 1
        assert [s["segment"] for s in snap["day_pnl"]["by_segment"]] == ["NSE"]


def test_positions_watch_refuses_an_interval_under_the_brokers_limit(cli: Any) -> None:
    result = cli("positions", "--watch", "0.5")
    assert result.code != 0 and "--watch" in result.err
