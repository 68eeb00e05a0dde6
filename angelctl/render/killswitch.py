"""Kill-switch views: a live panel while it runs, the final report, and ``killswitch status``.

The live panel is a pure function of ``KillProgressModel`` repainted by one ``rich.Live`` at a
steady rate; progress events only update counters. Off a TTY (or under ``--json``/``--quiet``)
nothing live is drawn: each step is one plain line on stderr instead (unless quiet/json).
The report and ``killswitch status`` are rich-free ``render.view`` models (plain text when
piped); every time on them is IST and labelled; symbols, quantities and prices are never cut.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from angelctl.render.fit import ColumnSpec
from angelctl.render.times import ist_clock, ist_stamp
from angelctl.render.units import price, quantity
from angelctl.render.view import Cell, Stack, Styled, TableView

if TYPE_CHECKING:
    from rich.console import RenderableType
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
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

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


def render_report(report: KillReport, width: int | None = None) -> Stack:
    """The run's outcome (``width`` is accepted for callers: the tables fit themselves)."""
    if report.dry_run:
        return _dry_run_plan(report)
    verdict = verdict_text(report)
    parts: list[Any] = [
        Stack(
            [
                Styled(verdict, "bold green" if report.done else "bold red"),
                f"  in {report.elapsed:.1f}s — {len(report.cancelled)} orders and "
                f"{len(report.gtt_cancelled)} GTT rules cancelled, "
                f"{len(report.exits)} positions exited",
            ]
        )
    ]
    if report.exits:
        parts.append(_exits_table(report))
    if report.residual_positions or report.residual_orders:
        parts.append(_residual_table(report))
    left = [("left open", p) for p in report.positions_left_open] + [
        ("outside scope", p) for p in report.outside_scope
    ]
    if left:
        parts.append(_left_table(left))
    calls = ", ".join(f"{route} {n}" for route, n in sorted(report.calls.items()))
    parts.append(Styled(f"API calls: {calls}", "dim"))
    return Stack(parts)


def _dry_run_plan(report: KillReport) -> Stack:
    rows: list[list[Cell]] = [
        [p["route"], " ".join(f"{k}={v}" for k, v in p.items() if k != "route")]
        for p in report.planned
    ]
    columns = [ColumnSpec("route", "left"), ColumnSpec("what", "left", kind="symbol")]
    return Stack(
        [
            Styled("Dry run — nothing was latched or sent.", "bold"),
            TableView("Would send", columns, [rows]),
        ]
    )


EXIT_COLUMNS = (
    ColumnSpec("symbol", "left", kind="symbol"),
    ColumnSpec("product", "left", drop=3),
    ColumnSpec("start qty", kind="quantity"),
    ColumnSpec("filled", kind="quantity"),
    ColumnSpec("exit avg ₹", kind="price"),
    ColumnSpec("realised ₹", drop=4, kind="money"),
    ColumnSpec("slices", drop=1),
    ColumnSpec("re-prices", drop=2),
)


def _exits_table(report: KillReport) -> TableView:
    rows: list[list[Cell]] = [
        [
            f"{e.exchange}:{e.symbol}",
            e.product,
            quantity(e.start_qty),
            f"{quantity(e.filled)}/{quantity(abs(e.start_qty))}",
            "-" if e.exit_price is None else price(e.exit_price, e.exchange),
            "-" if e.realised is None else price(e.realised),
            str(e.slices),
            str(e.reprices),
        ]
        for e in report.exits.values()
    ]
    return TableView("Exits", EXIT_COLUMNS, [rows])


EXPOSURE_COLUMNS = (
    ColumnSpec("kind", "left"),
    ColumnSpec("symbol", "left", kind="symbol"),
    ColumnSpec("quantity", kind="quantity"),
    ColumnSpec("detail", "left"),
)


def _residual_table(report: KillReport) -> TableView:
    rows: list[list[Cell]] = [
        ["position", f"{p['exchange']}:{p['symbol']}", quantity(p["net_qty"]), p["product"]]
        for p in report.residual_positions
    ]
    rows += [
        [
            "order",
            f"{o['exchange']}:{o['symbol']}",
            quantity(o["quantity"]),
            f"{o['order_id']} {o['status']}",
        ]
        for o in report.residual_orders
    ]
    return TableView("Residual exposure", EXPOSURE_COLUMNS, [rows])


def _left_table(left: list[tuple[str, dict[str, Any]]]) -> TableView:
    """Positions the kill left as they are: by choice (cancel-only) or outside its scope."""
    spec = [
        ColumnSpec("", "left"),
        ColumnSpec("symbol", "left", kind="symbol"),
        ColumnSpec("quantity", kind="quantity"),
        ColumnSpec("detail", "left", drop=1),
    ]
    rows_left: list[list[Cell]] = [
        [
            why,
            f"{row['exchange']}:{row['symbol']}",
            quantity(row.get("net_qty", row.get("quantity"))),
            str(row.get("product") if "net_qty" in row else row.get("status")),
        ]
        for why, row in left
    ]
    return TableView("Left as it is", spec, [rows_left])


def _signed_qty(n: int) -> str:
    return ("+" if n > 0 else "") + quantity(n)


def render_exposure(exposure: dict[str, Any]) -> Styled | TableView:
    if not exposure.get("known"):
        return Styled(f"Open exposure unknown: {exposure.get('error')}", "yellow")
    positions = exposure["positions"]
    orders = exposure["working_orders"]
    rules = exposure["gtt_rules"]
    if not (positions or orders or rules):
        return Styled("Open exposure: none (flat, no working orders, no GTT rules).", "green")
    rows: list[list[Cell]] = [
        ["position", f"{p['exchange']}:{p['symbol']}", _signed_qty(p["net_qty"]), p["product"]]
        for p in positions
    ]
    rows += [
        [
            "order",
            f"{o['exchange']}:{o['symbol']}",
            f"{o['side']} {quantity(o['unfilled'])}",
            o["status"],
        ]
        for o in orders
    ]
    rows += [["GTT rule", r["symbol"], "", f"{r['id']} {r['status']}"] for r in rules]
    return TableView("Open exposure", EXPOSURE_COLUMNS, [rows])


STEP_COLUMNS = (
    ColumnSpec("at (IST)", "left", kind="time"),
    ColumnSpec("run", "left", drop=1, kind="id"),
    ColumnSpec("step", "left"),
    ColumnSpec("detail", "left"),
)


def render_status(
    profile: str,
    state: LatchState | None,
    events: list[dict[str, Any]],
    exposure: dict[str, Any] | None = None,
) -> Stack:
    parts: list[Any] = []
    if state is None:
        parts.append(Styled(f"Kill switch for profile {profile}: not engaged.", "green"))
    else:
        scope = "every profile" if state.profile == "ALL" else f"profile {profile}"
        parts.append(
            Styled(
                f"Kill switch ENGAGED for {scope} by {state.by} on {state.host} at "
                f"{ist_stamp(state.at)} ({state.source}): {state.reason or 'no reason given'}",
                "bold red",
            )
        )
        parts.append(Styled("Reset with `angelctl killswitch reset` once it is safe.", "dim"))
    if exposure is not None:
        parts.append(render_exposure(exposure))
    if events:
        rows: list[list[Cell]] = [
            [
                ist_clock(e["at"], millis=True),
                e["run_id"],
                e["kind"],
                ", ".join(f"{k}={v}" for k, v in e["detail"].items()),
            ]
            for e in events
        ]
        parts.append(TableView("Recent steps", STEP_COLUMNS, [rows]))
    return Stack(parts)
