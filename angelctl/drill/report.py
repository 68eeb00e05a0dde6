"""The drill's report: what the kill did, judged by the sandbox's books, as plain data.

``build_report`` takes the kill's own ``KillReport`` and what the private sandbox says (its
request log, order book, positions and GTT rules, read through its admin routes after the kill)
and computes:

- **time to flat**: simulated seconds from the kill's start until it verified flat (None when it
  did not), on the clock the sandbox and the kill share;
- **slippage per leg**: the exits' average fill price (from the sandbox's order rows) against the
  market's LTP at the moment the kill started, per unit in rupees and in ticks, signed so that a
  positive number is a cost (a long sold below, a short bought above the reference), and in
  rupees for the filled quantity; the total in rupees;
- **requests**: every request the kill made (route, simulated time offset, HTTP status, error
  code, faults that shaped it), from the sandbox's log; the faults that fired, counted by name;
- **verdict**: flat and nothing working read from the sandbox's own books (positions of the
  demo account, its working orders), beside what the kill believed, and whether they agree;
  the second client's orders with their status (a kill must leave them alone).

Invariants: every number is derived from the scenario, the seeded market and the simulated
clock, so two runs of one scenario and seed give equal reports (``as_dict`` → the same JSON);
nothing wall-clock (the latch's host, pid or time) is in it. Money is a decimal string.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker.orders import WORKING_STATUSES

if TYPE_CHECKING:
    from angelctl.drill.run import SandboxHandle
    from angelctl.drill.scenario import Scenario
    from angelctl.orders.scope import Scope
    from angelctl.risk.killswitch.report import KillReport


@dataclass(frozen=True)
class Reference:
    """An instrument's market as the kill started: its LTP and tick (decimal strings)."""

    ltp: str
    tick: str


@dataclass
class DrillReport:
    document: dict[str, Any]
    flat: bool  # the sandbox's books agree: in scope flat (or nothing working for cancel-only)
    lines: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return self.document


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _legs(
    kill: KillReport, references: dict[tuple[str, str], Reference], orders: dict[str, Any]
) -> tuple[list[dict[str, Any]], Decimal]:
    legs: list[dict[str, Any]] = []
    total = Decimal(0)
    for record in kill.exits.values():
        reference = references.get((record.exchange, record.token))
        rows = [orders[o] for o in record.orders if o in orders]
        filled = sum(int(r.get("filledshares") or 0) for r in rows)
        value = sum(
            (
                Decimal(str(r.get("averageprice") or 0)) * int(r.get("filledshares") or 0)
                for r in rows
            ),
            Decimal(0),
        )
        fill = (value / filled) if filled else None
        leg: dict[str, Any] = {
            "exchange": record.exchange,
            "symbol": record.symbol,
            "token": record.token,
            "product": record.product,
            "start_qty": record.start_qty,
            "exit_side": "SELL" if record.start_qty > 0 else "BUY",
            "exit_orders": len(rows),
            "reprices": record.reprices,
            "filled_qty": filled,
            "reference_price": reference.ltp if reference else None,
            "fill_price": None if fill is None else format(fill.quantize(Decimal("0.0001")), "f"),
            "tick_size": reference.tick if reference else None,
            "slippage_per_unit": None,
            "slippage_ticks": None,
            "slippage_rupees": None,
        }
        if fill is not None and reference is not None:
            direction = 1 if record.start_qty > 0 else -1
            per_unit = (Decimal(reference.ltp) - fill) * direction
            per_unit = per_unit if per_unit else Decimal(0)  # never "-0"
            rupees = per_unit * filled
            total += rupees
            leg["slippage_per_unit"] = format(per_unit.quantize(Decimal("0.0001")), "f")
            ticks = (per_unit / Decimal(reference.tick)).quantize(Decimal("0.01"))
            leg["slippage_ticks"] = float(ticks) if ticks else 0.0
            leg["slippage_rupees"] = _money(rupees)
        legs.append(leg)
    return legs, total


def _requests(log: list[dict[str, Any]], started: float) -> list[dict[str, Any]]:
    return [
        {
            "seq": r["seq"],
            "at_seconds": round(float(r["monotonic"]) - started, 3),
            "route": r.get("route") or "",
            "status": r["status"],
            "code": r.get("code") or "",
            "faults": list(r.get("faults") or []),
        }
        for r in log
        if float(r["monotonic"]) >= started
    ]


def _verdict(
    kill: KillReport,
    books: dict[str, Any],
    client_code: str,
    in_scope: Callable[[str, str], bool],
) -> dict[str, Any]:
    open_positions = [
        {
            "exchange": p["exchange"],
            "symbol": p["tradingsymbol"],
            "product": p["producttype"],
            "net_qty": int(p["netqty"]),
        }
        for p in books["positions"]
        if int(p.get("netqty") or 0) != 0 and in_scope(p["exchange"], p["symboltoken"])
    ]
    working = [
        {"order_id": o["orderid"], "symbol": o["tradingsymbol"], "status": o["status"]}
        for o in books["orders"]
        if o.get("clientcode", "").upper() == client_code.upper()
        and o["status"] in WORKING_STATUSES
        and in_scope(o["exchange"], o["symboltoken"])
    ]
    flat = not working and (kill.cancel_only or not open_positions)
    return {
        "flat": flat,
        "source": "the sandbox's books (positions, order book), read after the kill",
        "positions_open": open_positions,
        "working_orders": working,
        "kill_said_done": kill.done,
        "agrees": flat == kill.done,
        "unverified_reason": kill.unverified_reason,
    }


def build_report(
    scenario: Scenario,
    sandbox: SandboxHandle,
    kill: KillReport,
    references: dict[tuple[str, str], Reference],
    books: dict[str, Any],
    started: float,
    scope: Scope,
) -> DrillReport:
    code = sandbox.demo["client_code"]
    orders = {o["orderid"]: o for o in books["orders"]}
    legs, total = _legs(kill, references, orders)
    requests = _requests(books["requests"], started)
    fired = Counter(name for r in requests for name in r["faults"])
    verdict = _verdict(kill, books, code, scope.covers)
    theirs = [
        {"order_id": o["orderid"], "symbol": o["tradingsymbol"], "status": o["status"]}
        for o in books["orders"]
        if o.get("clientcode", "").upper() == sandbox.other_client.upper()
    ]
    document = {
        "ok": verdict["flat"],
        "scenario": {
            "name": scenario.name,
            "file": str(scenario.path),
            "seed": scenario.seed,
            "start": scenario.start.isoformat(),
            "market": sandbox.market,
            "request_latency_ms": scenario.latency_ms,
        },
        "simulated_time": True,
        "cancel_only": kill.cancel_only,
        "scope": {"segments": kill.scope_segments, "symbols": kill.scope_labels},
        "time_to_flat_seconds": round(kill.elapsed, 3) if verdict["flat"] else None,
        "elapsed_seconds": round(kill.elapsed, 3),
        "verdict": verdict,
        "legs": legs,
        "total_slippage_rupees": _money(total),
        "cancelled": kill.cancelled,
        "gtt_cancelled": kill.gtt_cancelled,
        "outside_scope": kill.outside_scope,
        "other_client_orders": theirs,
        "requests": requests,
        "calls": dict(sorted(Counter(r["route"] for r in requests).items())),
        "faults_armed": [dict(f) for f in scenario.faults],
        "faults_fired": dict(sorted(fired.items())),
        "errors": kill.errors[-20:],
    }
    return DrillReport(document=document, flat=bool(verdict["flat"]))
