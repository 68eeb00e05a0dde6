"""One run of ``angelctl killswitch``: confirmation, stop signals, the latch, the procedure with
its live view, and the report; plus the exposure read that the confirmation and ``status`` show.

Invariants: the signal handlers are installed before the latch is written (a signal never loses
the summary); the latch is written before the session, the index or anything that may touch the
network (the entry point has usually written it already: ``cli.fastlatch``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

from angelctl.cli.common import clock, confirm, open_session, output, profile_settings, stdin_is_tty
from angelctl.clock import ist_text

if TYPE_CHECKING:
    from types import FrameType

    from angelctl.broker.session import BrokerSession
    from angelctl.config import ProfileSettings
    from angelctl.instruments.index import InstrumentIndex
    from angelctl.render.output import Output
    from angelctl.risk.killswitch.report import KillOptions, KillReport, StopFlag
    from angelctl.risk.latch import Latch, LatchState


@dataclass(frozen=True)
class KillArgs:
    """``angelctl killswitch``'s arguments as given."""

    reason: str
    cancel_only: bool
    segments: tuple[str, ...]
    symbols: tuple[str, ...]
    dry_run: bool
    all_profiles: bool
    budget: float
    yes: bool

    def options(self) -> KillOptions:
        from angelctl.orders.scope import Scope
        from angelctl.orders.scope import segment as segment_name
        from angelctl.risk.killswitch import KillOptions

        return KillOptions(
            reason=self.reason,
            cancel_only=self.cancel_only,
            scope=Scope(exchanges=frozenset(segment_name(s) for s in self.segments)),
            dry_run=self.dry_run,
            all_profiles=self.all_profiles,
            budget_seconds=self.budget,
        )


def latch_of(settings: ProfileSettings) -> Latch:
    from angelctl.config import state_dir
    from angelctl.risk.latch import latch_for

    return latch_for(state_dir(), settings.client_code, settings.name)


def run_kill(ctx: typer.Context, args: KillArgs) -> None:
    """Confirm, latch, run the procedure and report; exit 15 (NOT_FLAT) unless verified flat."""
    from angelctl.cli import fastlatch
    from angelctl.status import ExitStatus

    out = output(ctx)
    _, settings = profile_settings(ctx)
    latch = latch_of(settings)
    options = args.options()
    if not args.dry_run:
        _confirm_kill(out, settings, options, args)
    with stop_on_signals(out) as stop:  # before the latch: a signal never loses the summary
        latched, latch_ms = None, None
        if not args.dry_run:
            # the latch first: before the session, the index or anything that may touch the
            # network (the entry point has usually written it already: cli.fastlatch)
            early = fastlatch.taken()
            if early is not None:
                latched, latch_ms = early
            else:
                at = clock().now().isoformat(timespec="milliseconds")
                latched = latch.engage(args.reason, at=at, all_profiles=args.all_profiles)
                latch_ms = fastlatch.process_age_ms()
            if not out.json_mode:
                out.notice(
                    f"Latch engaged at {ist_text(latched[0].at)} — "
                    "no angelctl process will add exposure."
                )
        report = _procedure(ctx, out, settings, latch, options, args, latched, stop)
    status = ExitStatus.OK if (report.done or args.dry_run) else ExitStatus.NOT_FLAT
    _report(out, report, status, None if args.dry_run else latch_ms)
    if status != ExitStatus.OK:
        raise typer.Exit(int(status))


def _confirm_kill(
    out: Output, settings: ProfileSettings, options: KillOptions, args: KillArgs
) -> None:
    where = " in scope" if (args.segments or args.symbols) else ""
    what = f"cancel every working order and GTT rule{where}" + (
        "" if args.cancel_only else f", then flatten every position{where}"
    )
    if not args.yes and stdin_is_tty():  # a person decides: show what it will touch, fresh
        what += f" — now {exposure_counts(exposure(settings))}"
    scope = _scope_text(options, list(args.symbols))
    confirm(
        out,
        f"Kill switch for profile {settings.name}{scope}: {what}.",
        yes=args.yes,
        question="Engage it now?",
        refusing="refusing to engage the kill switch without confirmation",
        script_hint="pass --yes in scripts (nothing was latched or sent)",
        declined="declined: nothing was latched or sent",
    )


def _procedure(
    ctx: typer.Context,
    out: Output,
    settings: ProfileSettings,
    latch: Latch,
    options: KillOptions,
    args: KillArgs,
    latched: tuple[LatchState, bool] | None,
    stop: StopFlag,
) -> KillReport:
    """The kill procedure with its live view, on a fresh journal, session and index."""
    from angelctl.config import state_dir
    from angelctl.orders.journal_files import open_journal_for_kill
    from angelctl.render.killswitch import KillView
    from angelctl.risk.killswitch import KillSwitch

    journal = open_journal_for_kill(out.warn, clock())  # whatever state the file is in
    session = open_session(settings)
    index = index_or_none(ctx, out)
    if args.symbols:
        options = _with_symbols(options, list(args.symbols), index, session, latched is not None)
    view = KillView(out, live=not out.json_mode and not out.quiet)
    try:
        kill = KillSwitch(
            session,
            journal,
            latch,
            contracts=(index.by_token if index is not None else None),
            lock_folder=state_dir() / "locks",
            on_progress=view.progress,
            stop=stop,
        )
        with view:
            return kill.run(options, latched=latched)
    finally:
        if index is not None:
            index.close()
        journal.close()
        session.rest.close()


def _report(out: Output, report: KillReport, status: int, latch_ms: float | None) -> None:
    from angelctl.render.killswitch import render_report
    from angelctl.status import ExitStatus

    if out.json_mode:
        out.json(
            {
                "ok": status == ExitStatus.OK,
                "exit_status": int(status),
                **report.as_dict(),
                "latch_ms_after_process_start": latch_ms,
            }
        )
        return
    out.show(render_report(report))
    if status != ExitStatus.OK:
        out.warn(
            f"flat NOT verified: {report.unverified_reason}. The latch stays engaged; "
            "run `angelctl killswitch` again or act by hand."
        )


@contextlib.contextmanager
def stop_on_signals(out: Output) -> Iterator[StopFlag]:
    """SIGTERM, SIGHUP and the first Ctrl-C end the run after its current step, with the
    summary; a second Ctrl-C interrupts at once. Installed before the latch is written."""
    import signal

    from angelctl.cli.fastlatch import pending_signal
    from angelctl.risk.killswitch import StopFlag

    flag = StopFlag()
    flag.name = pending_signal()  # one that arrived while the command was loading
    if flag.name:
        out.warn(f"{flag.name}: finishing the current step, then the summary")

    def stop(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if flag.name and signum == signal.SIGINT:
            raise KeyboardInterrupt
        flag.name = name
        out.warn(f"{name}: finishing the current step, then the summary (Ctrl-C again to quit)")

    signals = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        yield flag
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _with_symbols(
    options: KillOptions,
    symbols: list[str],
    index: InstrumentIndex | None,
    session: BrokerSession,
    latched: bool,
) -> KillOptions:
    """``--symbol`` resolved like an order's symbol, before anything is sent (exit 2 when one
    names no instrument: nothing was cancelled or sent; the latch, if written, stays)."""
    from dataclasses import replace

    from angelctl.clock import IST
    from angelctl.errors import UsageError
    from angelctl.orders.scope import resolve_scope

    today = session.clock.now().astimezone(IST).date()
    try:
        scope = resolve_scope(sorted(options.scope.exchanges), symbols, index, today)
    except UsageError as exc:
        if latched:
            exc.hint = (exc.hint + "; " if exc.hint else "") + (
                "the latch is engaged; nothing was cancelled or sent"
            )
        raise
    return replace(options, scope=scope)


def _scope_text(options: KillOptions, symbols: list[str]) -> str:
    parts = []
    if options.scope.exchanges:
        parts.append("segments " + ",".join(sorted(options.scope.exchanges)))
    if symbols:
        parts.append("symbols " + ",".join(symbols))
    return f" ({'; '.join(parts)})" if parts else ""


def index_or_none(ctx: typer.Context, out: Output) -> InstrumentIndex | None:
    """The instrument index for tick sizes and freeze limits; the kill goes on without it."""
    from angelctl.errors import AngelctlError

    try:
        from angelctl.cli.instruments import open_instruments

        return open_instruments(ctx, out)
    except AngelctlError as exc:
        out.warn(
            f"instrument index unavailable ({exc.message}); using ₹0.05 ticks, no freeze split"
        )
        return None


def exposure_counts(seen: dict[str, Any]) -> str:
    if not seen.get("known"):
        return f"the books could not be read ({seen.get('error')})"
    return (
        f"{len(seen['working_orders'])} working order(s), "
        f"{len(seen['positions'])} open position(s), "
        f"{len(seen['gtt_rules'])} GTT rule(s) on the account"
    )


def exposure(settings: ProfileSettings) -> dict[str, Any]:
    """Open positions, working orders and working GTT rules now; an error is reported, not raised
    (the latch state is what ``killswitch status`` must always show)."""
    from angelctl.errors import AngelctlError

    try:
        from angelctl.broker import gtt
        from angelctl.broker.orders import order_book
        from angelctl.broker.portfolio import fetch_positions

        session = open_session(settings)
        try:
            positions = [p for p in fetch_positions(session) if p.net_qty != 0]
            working = [o for o in order_book(session) if o.is_working]
            rules = gtt.list_rules(session)
        finally:
            session.rest.close()
    except AngelctlError as exc:
        return {"known": False, "error": exc.message}
    return {
        "known": True,
        "positions": [
            {
                "exchange": p.exchange,
                "symbol": p.symbol,
                "product": p.product,
                "net_qty": p.net_qty,
                "pnl": format(p.pnl, "f"),
            }
            for p in positions
        ],
        "working_orders": [
            {
                "order_id": o.order_id,
                "exchange": o.exchange,
                "symbol": o.symbol,
                "side": o.side,
                "unfilled": o.unfilled or o.quantity,
                "status": o.status,
            }
            for o in working
        ],
        "gtt_rules": [{"id": r.rule_id, "symbol": r.symbol, "status": r.status} for r in rules],
    }
