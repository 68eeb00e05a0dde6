"""``angelctl killswitch`` (alias ``kill``): latch, cancel, flatten, verify; ``status``; ``reset``.

The latch is written before anything else — before the session is opened — so even a kill that
cannot reach the broker stops every other angelctl process from adding exposure.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.common import (
    YesOpt,
    app_ctx,
    clock,
    confirm,
    open_session,
    output,
    profile_settings,
    seconds,
    stdin_is_tty,
)

if TYPE_CHECKING:
    from angelctl.config import ProfileSettings
    from angelctl.risk.latch import Latch

app = typer.Typer(
    help="Emergency stop: latch, cancel every working order and GTT rule, flatten, verify.",
    no_args_is_help=False,
    invoke_without_command=True,
)


def _latch(settings: ProfileSettings) -> Latch:
    from angelctl.config import state_dir
    from angelctl.risk.latch import latch_for

    return latch_for(state_dir(), settings.client_code, settings.name)


@app.callback(invoke_without_command=True)
def killswitch(
    ctx: typer.Context,
    reason: Annotated[
        str, typer.Option("--reason", "-r", help="Why (kept in the latch and the journal).")
    ] = "",
    cancel_only: Annotated[
        bool, typer.Option("--cancel-only", help="Cancel orders and GTT rules; do not flatten.")
    ] = False,
    segment: Annotated[
        list[str] | None,
        typer.Option(
            "--segment",
            help="Only this exchange (NSE, NFO, BSE, BFO, MCX, CDS).",
            show_default=False,
        ),
    ] = None,
    symbol: Annotated[
        list[str] | None,
        typer.Option("--symbol", help="Only this trading symbol (repeatable).", show_default=False),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show exactly what would be sent; latch nothing.")
    ] = False,
    all_profiles: Annotated[
        bool, typer.Option("--all-profiles", help="Latch every profile, not only this one.")
    ] = False,
    budget: Annotated[
        float,
        typer.Option(
            "--budget",
            metavar="SECONDS",
            parser=seconds("--budget", 1, 3600),
            help="Seconds to reach verified flat before giving up (1-3600).",
        ),
    ] = 120.0,
    yes: YesOpt = False,
) -> None:
    """Engage the kill switch: no new orders from any angelctl process, then cancel and flatten.

    Exit 0 only when fresh positions show flat and the order book shows no working order;
    15 (NOT_FLAT) with a residual-exposure report otherwise. The latch stays set until
    `angelctl killswitch reset`.
    """
    if ctx.invoked_subcommand is not None:
        return
    from angelctl.cli import fastlatch
    from angelctl.config import state_dir
    from angelctl.orders.journal import open_journal_for_kill
    from angelctl.orders.scope import Scope
    from angelctl.orders.scope import segment as segment_name
    from angelctl.render.killswitch import KillView, render_report
    from angelctl.risk.killswitch import KillOptions, KillSwitch
    from angelctl.status import ExitStatus

    out = output(ctx)
    _, settings = profile_settings(ctx)
    latch = _latch(settings)
    options = KillOptions(
        reason=reason,
        cancel_only=cancel_only,
        scope=Scope(exchanges=frozenset(segment_name(s) for s in segment or ())),
        dry_run=dry_run,
        all_profiles=all_profiles,
        budget_seconds=budget,
    )
    if not dry_run:
        where = " in scope" if (segment or symbol) else ""
        what = f"cancel every working order and GTT rule{where}" + (
            "" if cancel_only else f", then flatten every position{where}"
        )
        if not yes and stdin_is_tty():  # a person decides: show what it will touch, fresh
            what += f" — now {_exposure_counts(_exposure(settings))}"
        confirm(
            out,
            f"Kill switch for profile {settings.name}{_scope_text(options, symbol or [])}: {what}.",
            yes=yes,
            question="Engage it now?",
            refusing="refusing to engage the kill switch without confirmation",
            script_hint="pass --yes in scripts (nothing was latched or sent)",
            declined="declined: nothing was latched or sent",
        )
    with _stop_on_signals(out) as stop:  # before the latch: a signal never loses the summary
        latched, latch_ms = None, None
        if not dry_run:
            # the latch first: before the session, the index or anything that may touch the
            # network (the entry point has usually written it already: cli.fastlatch)
            early = fastlatch.taken()
            if early is not None:
                latched, latch_ms = early
            else:
                latched = latch.engage(
                    reason,
                    at=clock().now().isoformat(timespec="milliseconds"),
                    all_profiles=all_profiles,
                )
                latch_ms = fastlatch.process_age_ms()
            state = latched[0]
            if not out.json_mode:
                out.notice(f"Latch engaged at {state.at} — no angelctl process will add exposure.")
        journal = open_journal_for_kill(out.warn, clock())  # whatever state the file is in
        session = open_session(settings)
        index = index_or_none(ctx, out)
        if symbol:
            options = _with_symbols(options, symbol, index, session, latched is not None)
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
                report = kill.run(options, latched=latched)
        finally:
            if index is not None:
                index.close()
            journal.close()
            session.rest.close()
    status = ExitStatus.OK if (report.done or dry_run) else ExitStatus.NOT_FLAT
    if out.json_mode:
        out.json(
            {
                "ok": status == ExitStatus.OK,
                "exit_status": int(status),
                **report.as_dict(),
                "latch_ms_after_process_start": None if dry_run else latch_ms,
            }
        )
    else:
        out.show(render_report(report, width=out.console.width))
        if status != ExitStatus.OK:
            out.warn(
                f"flat NOT verified: {report.unverified_reason}. The latch stays engaged; "
                "run `angelctl killswitch` again or act by hand."
            )
    if status != ExitStatus.OK:
        raise typer.Exit(int(status))


@contextlib.contextmanager
def _stop_on_signals(out: Any) -> Iterator[Any]:
    """SIGTERM, SIGHUP and the first Ctrl-C end the run after its current step, with the
    summary; a second Ctrl-C interrupts at once. Installed before the latch is written."""
    import signal

    from angelctl.cli.fastlatch import pending_signal
    from angelctl.risk.killswitch import StopFlag

    flag = StopFlag()
    flag.name = pending_signal()  # one that arrived while the command was loading
    if flag.name:
        out.warn(f"{flag.name}: finishing the current step, then the summary")

    def stop(signum: int, _frame: Any) -> None:
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


def _with_symbols(options: Any, symbols: list[str], index: Any, session: Any, latched: bool) -> Any:
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


def _scope_text(options: Any, symbols: list[str]) -> str:
    parts = []
    if options.scope.exchanges:
        parts.append("segments " + ",".join(sorted(options.scope.exchanges)))
    if symbols:
        parts.append("symbols " + ",".join(symbols))
    return f" ({'; '.join(parts)})" if parts else ""


def index_or_none(ctx: typer.Context, out: Any) -> Any:
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


@app.command("status")
def status(
    ctx: typer.Context,
    offline: Annotated[
        bool, typer.Option("--offline", help="Only the latch and the journal; no broker call.")
    ] = False,
) -> None:
    """Latch state (who, when, why), open exposure (positions, working orders, GTT rules) and the
    recent kill-switch steps of this profile."""
    from angelctl.errors import LocalStateError
    from angelctl.orders.journal import open_journal
    from angelctl.render.killswitch import render_status

    out = output(ctx)
    _, settings = profile_settings(ctx)
    state = _latch(settings).read()
    try:
        journal = open_journal(clock())
    except LocalStateError as exc:  # the latch and the broker still answer
        out.warn(f"{exc.message}; the kill-switch steps cannot be shown")
        events = []
    else:
        try:
            events = journal.risk_events(settings.name, limit=20)
        finally:
            journal.close()
    exposure = None if offline else _exposure(settings)
    if out.json_mode:
        out.json(
            {
                "ok": True,
                "profile": settings.name,
                "engaged": state is not None,
                "latch": state.as_dict() if state else None,
                "exposure": exposure,
                "events": events,
            }
        )
        return
    out.show(render_status(settings.name, state, events, exposure))


def _exposure_counts(seen: dict[str, Any]) -> str:
    if not seen.get("known"):
        return f"the books could not be read ({seen.get('error')})"
    return (
        f"{len(seen['working_orders'])} working order(s), "
        f"{len(seen['positions'])} open position(s), "
        f"{len(seen['gtt_rules'])} GTT rule(s) on the account"
    )


def _exposure(settings: ProfileSettings) -> dict[str, Any]:
    """Open positions, working orders and working GTT rules now; an error is reported, not raised
    (the latch state is what this command must always show)."""
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


@app.command("reset")
def reset(
    ctx: typer.Context,
    reason: Annotated[
        str,
        typer.Option("--reason", "-r", help="Why it is safe to trade again (required with --yes)."),
    ] = "",
    all_profiles: Annotated[
        bool, typer.Option("--all-profiles", help="Also clear the every-profile latch.")
    ] = False,
    yes: YesOpt = False,
) -> None:
    """Clear the latch so orders may be sent again (asks, or --yes with --reason)."""
    import uuid

    from angelctl.errors import UsageError
    from angelctl.orders.journal import open_journal

    out = output(ctx)
    _, settings = profile_settings(ctx)
    latch = _latch(settings)
    state = latch.read()
    if state is None:
        if out.json_mode:
            out.json({"ok": True, "cleared": [], "notice": "the kill switch was not engaged"})
        else:
            out.notice(
                f"The kill switch is not engaged for profile {settings.name}; nothing to do."
            )
        return
    if yes and not reason:
        raise UsageError(
            "--yes needs --reason: say why it is safe to trade again",
            hint="angelctl killswitch reset --yes --reason 'checked positions'",
        )
    if not yes:
        confirm(
            out,
            f"The kill switch was engaged by {state.by} on {state.host} at {state.at}"
            f" ({state.reason or 'no reason given'}).",
            yes=False,
            question="Allow orders again?",
            refusing="refusing to reset the kill switch without confirmation",
            script_hint="pass --yes --reason '...' in scripts",
            declined="declined: the kill switch stays engaged",
        )
        if not reason:
            reason = typer.prompt("Reason", err=True)
    cleared = latch.reset(all_profiles=all_profiles)
    journal = open_journal(clock())
    try:
        journal.risk_event(
            settings.name,
            uuid.uuid4().hex[:12],
            "reset",
            {
                "reason": reason,
                "cleared": [c.as_dict() for c in cleared],
                "debug": app_ctx(ctx).debug,
            },
        )
    finally:
        journal.close()
    remaining = latch.read()
    if out.json_mode:
        out.json(
            {
                "ok": remaining is None,
                "cleared": [c.as_dict() for c in cleared],
                "still_engaged": remaining.as_dict() if remaining else None,
            }
        )
    elif remaining is None:
        out.line(f"Kill switch reset for profile {settings.name}. Orders may be sent again.")
    else:
        out.warn(
            f"profile {settings.name} is still latched by the every-profile latch "
            f"({remaining.reason}); add --all-profiles to clear it"
        )
    if remaining is not None:
        from angelctl.status import ExitStatus

        raise typer.Exit(int(ExitStatus.KILL_SWITCH))
