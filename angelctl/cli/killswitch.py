"""``angelctl killswitch`` (alias ``kill``): latch, cancel, flatten, verify; ``status``; ``reset``.

The commands and their options; one kill run (signals, the latch, the live view, the report) is
``cli.kill_run``.

The latch is written before anything else — before the session is opened — so even a kill that
cannot reach the broker stops every other angelctl process from adding exposure.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from angelctl.cli.common import (
    YesOpt,
    app_ctx,
    clock,
    confirm,
    done,
    output,
    profile_settings,
    seconds,
)
from angelctl.cli.completion import complete_exchange, complete_symbol
from angelctl.cli.kill_run import KillArgs, exposure, latch_of, run_kill
from angelctl.clock import ist_text

if TYPE_CHECKING:
    from angelctl.render.output import Output
    from angelctl.risk.latch import LatchState

app = typer.Typer(
    help="Emergency stop: latch, cancel every working order and GTT rule, flatten, verify.",
    no_args_is_help=False,
    invoke_without_command=True,
)


ReasonOpt = Annotated[
    str, typer.Option("--reason", "-r", help="Why (kept in the latch and the journal).")
]
CancelOnlyOpt = Annotated[
    bool, typer.Option("--cancel-only", help="Cancel orders and GTT rules; do not flatten.")
]
SegmentOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--segment",
        help="Only this exchange (NSE, NFO, BSE, BFO, MCX, CDS).",
        show_default=False,
        autocompletion=complete_exchange,
    ),
]
SymbolOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--symbol",
        help="Only this trading symbol (repeatable).",
        show_default=False,
        autocompletion=complete_symbol,
    ),
]
KillDryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show exactly what would be sent; latch nothing.")
]
AllProfilesOpt = Annotated[
    bool, typer.Option("--all-profiles", help="Latch every profile, not only this one.")
]
BudgetOpt = Annotated[
    float,
    typer.Option(
        "--budget",
        metavar="SECONDS",
        parser=seconds("--budget", 1, 3600),
        help="Seconds to reach verified flat before giving up (1-3600).",
    ),
]


DrillOpt = Annotated[
    Path | None,
    typer.Option(
        "--drill",
        metavar="SCENARIO",
        help="Rehearse on a private sandbox with this scenario file (nothing real is touched).",
        dir_okay=False,
        show_default=False,
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed",
        help="With --drill: the market's seed (default: the scenario's).",
        show_default=False,
    ),
]
RecordingOpt = Annotated[
    Path | None,
    typer.Option(
        "--recording",
        metavar="FILE",
        help="With --drill: drive the market from a feed recording.",
        dir_okay=False,
        show_default=False,
    ),
]


@app.callback(invoke_without_command=True)
def killswitch(
    ctx: typer.Context,
    reason: ReasonOpt = "",
    cancel_only: CancelOnlyOpt = False,
    segment: SegmentOpt = None,
    symbol: SymbolOpt = None,
    dry_run: KillDryRunOpt = False,
    all_profiles: AllProfilesOpt = False,
    budget: BudgetOpt = 120.0,
    yes: YesOpt = False,
    drill: DrillOpt = None,
    seed: SeedOpt = None,
    recording: RecordingOpt = None,
) -> None:
    """Engage the kill switch: no new orders from any angelctl process, then cancel and flatten.

    Exit 0 only when fresh positions show flat and the order book shows no working order;
    15 (NOT_FLAT) with a residual-exposure report otherwise. The latch stays set until
    `angelctl killswitch reset`. With --drill SCENARIO it is a rehearsal on a private sandbox
    (simulated time, the scenario's book and faults): the operator's latch, journal and broker
    are never touched.
    """
    if ctx.invoked_subcommand is not None:
        return
    if drill is not None:
        from angelctl.cli.kill_drill import run_drill_command

        run_drill_command(ctx, drill, seed, recording)
        return
    if seed is not None or recording is not None:
        from angelctl.errors import UsageError

        raise UsageError("--seed and --recording go with --drill SCENARIO")
    args = KillArgs(
        reason=reason, cancel_only=cancel_only, segments=tuple(segment or ()),
        symbols=tuple(symbol or ()), dry_run=dry_run, all_profiles=all_profiles,
        budget=budget, yes=yes,
    )  # fmt: skip
    run_kill(ctx, args)


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
    from angelctl.orders.journal_files import open_journal
    from angelctl.render.killswitch import render_status

    out = output(ctx)
    _, settings = profile_settings(ctx)
    state = latch_of(settings).read()
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
    seen = None if offline else exposure(settings)
    if out.json_mode:
        out.json(
            {
                "ok": True,
                "profile": settings.name,
                "engaged": state is not None,
                "latch": state.as_dict() if state else None,
                "exposure": seen,
                "events": events,
            }
        )
        return
    out.show(render_status(settings.name, state, events, seen))


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
    from angelctl.errors import UsageError

    out = output(ctx)
    _, settings = profile_settings(ctx)
    latch = latch_of(settings)
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
        reason = _confirm_reset(out, state, reason)
    cleared = latch.reset(all_profiles=all_profiles)
    _journal_reset(settings.name, reason, cleared, debug=app_ctx(ctx).debug)
    _report_reset(out, settings.name, cleared, latch.read())


def _confirm_reset(out: Output, state: LatchState, reason: str) -> str:
    """Ask a person (never a script) and, if they gave none, the reason."""
    confirm(
        out,
        f"The kill switch was engaged by {state.by} on {state.host} at {ist_text(state.at)}"
        f" ({state.reason or 'no reason given'}).",
        yes=False,
        question="Allow orders again?",
        refusing="refusing to reset the kill switch without confirmation",
        script_hint="pass --yes --reason '...' in scripts",
        declined="declined: the kill switch stays engaged",
    )
    if not reason:
        reason = typer.prompt("Reason", err=True)
    return reason


def _journal_reset(profile: str, reason: str, cleared: list[LatchState], *, debug: bool) -> None:
    import uuid

    from angelctl.orders.journal_files import open_journal

    journal = open_journal(clock())
    try:
        journal.risk_event(
            profile,
            uuid.uuid4().hex[:12],
            "reset",
            {"reason": reason, "cleared": [c.as_dict() for c in cleared], "debug": debug},
        )
    finally:
        journal.close()


def _report_reset(
    out: Output, profile: str, cleared: list[LatchState], remaining: LatchState | None
) -> None:
    """What was cleared; exit 14 (KILL_SWITCH) while the every-profile latch still holds."""
    if out.json_mode:
        out.json(
            {
                "ok": remaining is None,
                "cleared": [c.as_dict() for c in cleared],
                "still_engaged": remaining.as_dict() if remaining else None,
            }
        )
    elif remaining is None:
        done(out, f"Kill switch reset for profile {profile}. Orders may be sent again.")
    else:
        out.warn(
            f"profile {profile} is still latched by the every-profile latch "
            f"({remaining.reason}); add --all-profiles to clear it"
        )
    if remaining is not None:
        from angelctl.status import ExitStatus

        raise typer.Exit(int(ExitStatus.KILL_SWITCH))
