"""The terminal report of ``angelctl killswitch --drill``: verdict, slippage, every request.

Drawn from the drill's JSON document (``drill.report``), so the screen and ``--json`` never
disagree. Money in rupees with Indian grouping, the start time labelled IST, and every time a
*simulated* one (the drill never waits in real time): the header says so.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from angelctl.clock import ist_text
from angelctl.indian import inr
from angelctl.render.fit import ColumnSpec
from angelctl.render.units import price, quantity
from angelctl.render.view import Cell, Stack, Styled, TableView

LEG_COLUMNS = (
    ColumnSpec("symbol", "left", kind="symbol"),
    ColumnSpec("qty", kind="quantity"),
    ColumnSpec("ref ₹", kind="price"),
    ColumnSpec("fill ₹", kind="price"),
    ColumnSpec("ticks", drop=2, kind="quantity"),
    ColumnSpec("slippage ₹", kind="money"),
)
REQUEST_COLUMNS = (
    ColumnSpec("#", drop=3, kind="id"),
    ColumnSpec("at (sim s)", kind="time"),
    ColumnSpec("route", "left", kind="id"),
    ColumnSpec("result", "left", kind="id"),
    ColumnSpec("faults", "left", drop=1),
)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _result(request: dict[str, Any]) -> str:
    return f"{request['status']} {request['code']}".strip()


def _header(doc: dict[str, Any]) -> list[Cell]:
    scenario, verdict = doc["scenario"], doc["verdict"]
    flat = verdict["flat"]
    if flat:
        head = f"FLAT in {doc['time_to_flat_seconds']:.2f} s simulated"
    else:
        head = f"NOT FLAT after {doc['elapsed_seconds']:.2f} s simulated"
    agrees = "agrees with" if verdict["agrees"] else "DISAGREES with"
    return [
        Styled(f"Drill {scenario['name']} — {head}", "bold green" if flat else "bold red"),
        f"  market     {scenario['market']}, from {ist_text(scenario['start'])}",
        f"  requests   {len(doc['requests'])}, {scenario['request_latency_ms']:g} ms each",
        f"  cancelled  {_count(len(doc['cancelled']), 'order')}, "
        f"{_count(len(doc['gtt_cancelled']), 'GTT rule')}",
        f"  slippage   {inr(Decimal(doc['total_slippage_rupees']))} (positive = cost)",
        f"  verdict    the sandbox's books ({agrees} the kill)",
    ]


def _legs(doc: dict[str, Any]) -> TableView:
    rows: list[list[Cell]] = []
    for leg in doc["legs"]:
        tick = _decimal(leg["tick_size"])
        slip = _decimal(leg["slippage_rupees"])
        rows.append(
            [
                leg["symbol"],
                quantity(leg["start_qty"]),
                price(_decimal(leg["reference_price"]), leg["exchange"], tick),
                price(_decimal(leg["fill_price"]), leg["exchange"], tick),
                "-" if leg["slippage_ticks"] is None else f"{leg['slippage_ticks']:g}",
                "-" if slip is None else inr(slip),
            ]
        )
    return TableView("Exits against the market at the kill's start", LEG_COLUMNS, [rows])


def _requests(doc: dict[str, Any]) -> TableView:
    rows: list[list[Cell]] = [
        [
            str(r["seq"]),
            f"{r['at_seconds']:.2f}",
            r["route"],
            _result(r),
            ", ".join(r["faults"]),
        ]
        for r in doc["requests"]
    ]
    return TableView("Every request the kill made (sandbox log)", REQUEST_COLUMNS, [rows])


def render_drill(doc: dict[str, Any]) -> Stack:
    parts: list[Any] = [Stack(list(_header(doc)))]
    if doc["legs"]:
        parts.append(_legs(doc))
    parts.append(_requests(doc))
    fired = doc["faults_fired"]
    if fired:
        parts.append("Faults fired: " + ", ".join(f"{k} ×{v}" for k, v in fired.items()))
    theirs = doc["other_client_orders"]
    if theirs:
        states = sorted({o["status"] for o in theirs})
        parts.append(
            f"Second client's orders: {len(theirs)}, left {'/'.join(states)} (not this account)"
        )
    verdict = doc["verdict"]
    for p in verdict["positions_open"]:
        parts.append(Styled(f"still open: {p['symbol']} {p['net_qty']}", "red"))
    for o in verdict["working_orders"]:
        parts.append(Styled(f"still working: {o['order_id']} {o['symbol']}", "red"))
    return Stack(parts)


def _count(n: int, noun: str) -> str:
    """``1 order``, ``2 orders``, ``0 GTT rules``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")
