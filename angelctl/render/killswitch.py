"""Kill-switch views: a live panel while it runs, the final report, and ``killswitch status``.

The live panel is a pure function of ``KillProgressModel`` repainted by one ``rich.Live`` at a
steady rate; progress events only update counters. Off a TTY (or under ``--json``/``--quiet``)
nothing live is drawn: each step is one plain line on stderr instead (unless quiet/json).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.live import Live

    from angelctl.render.output import Output
    from angelctl.risk.killswitch import KillReport
    from angelctl.risk.latch import LatchState

_COUNTED = {
    "cancelled": "orders cancelled",
    "gtt_cancelled": "GTT rules cancelled",
    "exit_sent": "exit orders sent",
    "repriced": "re-prices",
    "cancel_refused": "cancels refused (already terminal)",
    "exit_rejected": "exits rejected",
    "error": "errors (retried)",
}


@dataclass
class KillProgressModel:
    counts: dict[str, int] = field(default_factory=dict)
    last: list[str] = field(default_factory=list)
    state: str = "starting"
    remaining: dict[str, int] = field(default_factory=dict)  # position → quantity still open

    def apply(self, kind: str, detail: dict[str, Any]) -> str:
        if kind == "remaining":  # a live figure, not a step: no line, no count
            self.remaining = dict(detail)
            return ""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        line = _describe(kind, detail)
        self.last = [*self.last, line][-8:]
        self.state = {"latched": "cancelling", "exit_sent": "flattening"}.get(kind, self.state)
        if kind == "finished":
            self.state = "done" if detail.get("done") else "NOT verified"
        return line


def _describe(kind: str, d: dict[str, Any]) -> str:
    if kind == "cancelled":
        return f"cancelled {d.get('order_id')} {d.get('symbol')} ({d.get('status')})"
    if kind == "gtt_cancelled":
        return f"cancelled GTT rule {d.get('id')} {d.get('symbol')}"
    if kind == "exit_sent":
        return (
            f"exit {d.get('side')} {d.get('quantity')} {d.get('symbol')} @ {d.get('price')}"
            f" → {d.get('order_id')}"
        )
    if kind == "repriced":
        return f"re-priced {d.get('order_id')} to {d.get('price')}"
    if kind == "latched":
        return "latch engaged" if d.get("new") else "latch already engaged"
    if kind == "finished":
        if d.get("verified_flat"):
            return "verified flat"
        return "done (in scope)" if d.get("done") else f"not verified: {d.get('reason')}"
    return f"{kind.replace('_', ' ')}: " + ", ".join(f"{k}={v}" for k, v in d.items())


def render_progress(model: KillProgressModel) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    table.add_row(Text("Kill switch", style="bold red"), Text(model.state, style="bold"))
    for kind, label in _COUNTED.items():
        if model.counts.get(kind):
            table.add_row(label, str(model.counts[kind]))
    parts: list[RenderableType] = [table]
    if model.remaining:
        left = Table("position", "still open", title="Flattening", title_justify="left")
        for symbol, quantity in sorted(model.remaining.items()):
            left.add_row(symbol, str(quantity))
        parts.append(left)
    return Group(*parts, *(Text("  " + line, style="dim") for line in model.last))


class KillView:
    """Receives progress events (from the kill's thread) and shows them."""

    def __init__(self, out: Output, *, live: bool) -> None:
        self.out = out
        self.model = KillProgressModel()
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._want_live = live and _stderr_is_tty()

    def progress(self, kind: str, detail: dict[str, Any]) -> None:
        with self._lock:
            line = self.model.apply(kind, detail)
        if self._live is not None:
            self._live.update(render_progress(self.model))
        elif line and not (self.out.quiet or self.out.json_mode):
            self.out.err_console.print(f"killswitch: {line}", highlight=False, markup=False)

    def __enter__(self) -> KillView:
        if self._want_live:
            from rich.live import Live

            self._live = Live(
                render_progress(self.model),
                console=self.out.err_console,
                refresh_per_second=4,
                transient=True,
            )
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)
            self._live = None


def _stderr_is_tty() -> bool:
    import sys

    try:
        return sys.stderr.isatty()
    except (ValueError, OSError):
        return False


def verdict_text(report: KillReport) -> str:
    """What the run may claim, and no more: "VERIFIED FLAT" only for the whole account."""
    scope = ", ".join([*report.scope_segments, *report.scope_labels])
    if report.exposure_unknown:
        return "exposure UNKNOWN — check positions in the broker's app"
    if report.cancel_only:
        if not report.done:
            return "NOT DONE: orders may still be working"
        left = len(report.positions_left_open)
        return (
            f"CANCELLED: nothing working{f' in scope {scope}' if scope else ''}"
            f" — {left} position(s) left open (cancel-only: not flattened)"
        )
    if not report.done:
        return "NOT FLAT"
    if report.verified_flat:
        return "VERIFIED FLAT"
    outside = len(report.outside_scope)
    return f"FLAT IN SCOPE {scope} — {outside} position(s)/order(s) outside the scope left as is"


def render_report(report: KillReport, width: int | None = None) -> RenderableType:
    if report.dry_run:
        return _dry_run_plan(report)
    head = Text()
    verdict = verdict_text(report)
    head.append(verdict, style="bold green" if report.done else "bold red")
    head.append(
        f"  in {report.elapsed:.1f}s — {len(report.cancelled)} orders and "
        f"{len(report.gtt_cancelled)} GTT rules cancelled, {len(report.exits)} positions exited"
    )
    parts: list[RenderableType] = [head]
    if report.exits:
        parts.append(_exits_table(report, width))
    if report.residual_positions or report.residual_orders:
        parts.append(_residual_table(report))
    left = [("left open", p) for p in report.positions_left_open] + [
        ("outside scope", p) for p in report.outside_scope
    ]
    if left:
        parts.append(_left_table(left, width))
    calls = ", ".join(f"{route} {n}" for route, n in sorted(report.calls.items()))
    parts.append(Text(f"API calls: {calls}", style="dim"))
    return Group(*parts)


def _dry_run_plan(report: KillReport) -> RenderableType:
    head = Text()
    head.append("Dry run — nothing was latched or sent.\n", style="bold")
    plan = Table("route", "what", title="Would send", title_justify="left")
    for p in report.planned:
        what = " ".join(f"{k}={v}" for k, v in p.items() if k != "route")
        plan.add_row(p["route"], what)
    return Group(head, plan)


def _exits_table(report: KillReport, width: int | None) -> RenderableType:
    from angelctl.render.fit import ColumnSpec, fit_table

    columns = [
        ColumnSpec("symbol", "left"),
        ColumnSpec("product", "left", drop=3),
        ColumnSpec("start qty"),
        ColumnSpec("filled"),
        ColumnSpec("exit avg ₹"),
        ColumnSpec("realised ₹", drop=4),
        ColumnSpec("slices", drop=1),
        ColumnSpec("re-prices", drop=2),
    ]
    rows = [
        [
            f"{e.exchange}:{e.symbol}",
            e.product,
            str(e.start_qty),
            f"{e.filled}/{abs(e.start_qty)}",
            "-" if e.exit_price is None else f"{e.exit_price:.2f}",
            "-" if e.realised is None else f"{e.realised:.2f}",
            str(e.slices),
            str(e.reprices),
        ]
        for e in report.exits.values()
    ]
    return fit_table("Exits", columns, rows, width=width)


def _residual_table(report: KillReport) -> RenderableType:
    residual = Table("kind", "symbol", "quantity", "detail", title="Residual exposure")
    for p in report.residual_positions:
        residual.add_row(
            "position", f"{p['exchange']}:{p['symbol']}", str(p["net_qty"]), p["product"]
        )
    for o in report.residual_orders:
        residual.add_row(
            "order",
            f"{o['exchange']}:{o['symbol']}",
            str(o["quantity"]),
            f"{o['order_id']} {o['status']}",
        )
    return residual


def _left_table(left: list[tuple[str, dict[str, Any]]], width: int | None) -> RenderableType:
    """Positions the kill left as they are: by choice (cancel-only) or outside its scope."""
    from angelctl.render.fit import ColumnSpec, fit_table

    spec = [
        ColumnSpec("", "left"),
        ColumnSpec("symbol", "left"),
        ColumnSpec("quantity"),
        ColumnSpec("detail", "left", drop=1),
    ]
    rows_left = [
        [
            why,
            f"{row['exchange']}:{row['symbol']}",
            str(row.get("net_qty", row.get("quantity"))),
            str(row.get("product") if "net_qty" in row else row.get("status")),
        ]
        for why, row in left
    ]
    return fit_table("Left as it is", spec, rows_left, width=width)


def render_exposure(exposure: dict[str, Any]) -> RenderableType:
    if not exposure.get("known"):
        return Text(f"Open exposure unknown: {exposure.get('error')}", style="yellow")
    positions = exposure["positions"]
    orders = exposure["working_orders"]
    rules = exposure["gtt_rules"]
    if not (positions or orders or rules):
        return Text("Open exposure: none (flat, no working orders, no GTT rules).", style="green")
    table = Table("kind", "symbol", "quantity", "detail", title="Open exposure")
    for p in positions:
        table.add_row(
            "position", f"{p['exchange']}:{p['symbol']}", f"{p['net_qty']:+d}", p["product"]
        )
    for o in orders:
        table.add_row(
            "order", f"{o['exchange']}:{o['symbol']}", f"{o['side']} {o['unfilled']}", o["status"]
        )
    for r in rules:
        table.add_row("GTT rule", r["symbol"], "", f"{r['id']} {r['status']}")
    return table


def _ist(iso: str) -> str:
    from datetime import datetime

    from angelctl.clock import IST

    try:
        return datetime.fromisoformat(iso).astimezone(IST).strftime("%d-%b %H:%M:%S.%f")[:-3]
    except ValueError:
        return iso


def render_status(
    profile: str,
    state: LatchState | None,
    events: list[dict[str, Any]],
    exposure: dict[str, Any] | None = None,
) -> RenderableType:
    parts: list[RenderableType] = []
    if state is None:
        parts.append(Text(f"Kill switch for profile {profile}: not engaged.", style="green"))
    else:
        scope = "every profile" if state.profile == "ALL" else f"profile {profile}"
        parts.append(
            Text(
                f"Kill switch ENGAGED for {scope} by {state.by} on {state.host} at {state.at}"
                f" ({state.source}): {state.reason or 'no reason given'}",
                style="bold red",
            )
        )
        parts.append(Text("Reset with `angelctl killswitch reset` once it is safe.", style="dim"))
    if exposure is not None:
        parts.append(render_exposure(exposure))
    if events:
        table = Table("at (IST)", "run", "step", "detail", title="Recent steps")
        for e in events:
            detail = ", ".join(f"{k}={v}" for k, v in e["detail"].items())
            table.add_row(_ist(e["at"]), e["run_id"], e["kind"], Text(detail[:80]))  # a reason
        parts.append(table)
    return Group(*parts)
