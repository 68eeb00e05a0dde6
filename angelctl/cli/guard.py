"""``angelctl guard``: watch P&L and order flow; fire the kill switch on a breach."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from angelctl.cli.common import clock, open_session, output, profile_settings, seconds


def guard(
    ctx: typer.Context,
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            metavar="SECONDS",
            parser=seconds("--interval", 1, 3600),
            help="Seconds between checks.",
        ),
    ] = 5.0,
    action: Annotated[
        str,
        typer.Option("--action", help="On a breach: 'kill' (latch, cancel, flatten) or 'latch'."),
    ] = "kill",
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration",
            metavar="SECONDS",
            parser=seconds("--duration", 1, 7 * 86_400),
            help="Stop after this many seconds.",
            show_default=False,
        ),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Check once (for cron) and exit.")] = False,
) -> None:
    """Watch today's P&L and order rate against the profile's [risk] limits; on a breach engage
    the kill switch. Exit 0 when no breach; 14 (KILL_SWITCH) after firing."""
    import uuid

    from angelctl.config import state_dir
    from angelctl.errors import UsageError
    from angelctl.orders.checks import limits_from_config
    from angelctl.orders.journal import open_journal
    from angelctl.risk.killswitch import KillOptions, KillSwitch
    from angelctl.risk.latch import latch_for
    from angelctl.risk.watch import GuardCheck, GuardOptions, LimitWatch
    from angelctl.status import ExitStatus

    if action not in ("kill", "latch"):
        raise UsageError(f"--action must be 'kill' or 'latch', not {action!r}")
    out = output(ctx)
    _, settings = profile_settings(ctx)
    limits = limits_from_config(dict(settings.risk))
    if limits.max_daily_loss is None and limits.max_orders_per_minute is None:
        raise UsageError(
            "nothing to guard: the profile sets neither max_daily_loss nor max_orders_per_minute",
            hint=f"angelctl config set profiles.{settings.name}.risk.max_daily_loss 5000",
        )
    latch = latch_for(state_dir(), settings.client_code, settings.name)
    session = open_session(settings)
    journal = open_journal(clock())
    run_id = uuid.uuid4().hex[:12]

    def fire(check: GuardCheck) -> Any:
        journal.risk_event(settings.name, run_id, "guard_breach", check.as_dict())
        reason = f"guard: {check.message}"
        if action == "latch":
            state, _ = latch.engage(reason, at=check.at, source="guard")
            return {"latched": state.as_dict()}
        from angelctl.cli.killswitch import index_or_none

        latched = latch.engage(reason, at=check.at, source="guard")  # before any network call
        index = index_or_none(ctx, out)  # tick sizes and freeze limits for the exits
        try:
            kill = KillSwitch(
                session,
                journal,
                latch,
                contracts=index.by_token if index is not None else None,
                lock_folder=state_dir() / "locks",
            )
            options = KillOptions(reason=reason, source="guard")
            return kill.run(options, latched=latched).as_dict()
        finally:
            if index is not None:
                index.close()

    def show(check: GuardCheck) -> None:
        if out.json_mode:
            return
        if check.error:
            out.warn(f"check failed ({check.error}); retrying at the next interval")
        elif not out.quiet:
            out.err_console.print(
                f"{check.at}  P&L {check.pnl:,.2f}  working {check.working_orders}  "
                f"new orders/min {check.orders_last_minute}"
                + (f"  BREACH: {check.message}" if check.breach else ""),
                highlight=False,
                markup=False,
            )

    try:
        result = LimitWatch(session, limits).run(
            GuardOptions(interval=interval, action=action, duration=duration, once=once),
            fire=fire,
            on_check=show,
        )
    finally:
        journal.close()
        session.rest.close()
    fired = result.fired
    if out.json_mode:
        out.json(
            {
                "ok": fired is None,
                "checks": result.checks,
                "errors": result.errors,
                "last": result.last.as_dict() if result.last else None,
                "breach": fired.as_dict() if fired else None,
                "action": result.fire_result,
            }
        )
    elif fired is not None:
        out.warn(f"breach: {fired.message}; the kill switch was engaged ({action})")
    if fired is not None:
        raise typer.Exit(int(ExitStatus.KILL_SWITCH))
