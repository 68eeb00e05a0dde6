"""``angelctl guard``: watch P&L and order flow; fire the kill switch on a breach.

The command checks its options and the profile's limits, then runs ``risk.watch.LimitWatch``
with two callbacks from here: ``_Firing`` (journal the breach, then latch — before any network
call — and, with ``--action kill``, run the kill procedure) and ``_show_check`` (one line per
check on stderr). Exit 0 when no breach; 14 (KILL_SWITCH) after firing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.common import clock, open_session, output, profile_settings, seconds
from angelctl.cli.completion import complete_guard_action
from angelctl.clock import ist_text

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession
    from angelctl.config import ProfileSettings
    from angelctl.orders.journal import Journal
    from angelctl.render.output import Output
    from angelctl.risk.latch import Latch
    from angelctl.risk.watch import GuardCheck, GuardOptions, GuardResult

ACTIONS = ("kill", "latch")  # what --action takes (its check and its completion)


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
        typer.Option(
            "--action",
            help="On a breach: 'kill' (latch, cancel, flatten) or 'latch'.",
            autocompletion=complete_guard_action,
        ),
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
    from angelctl.errors import UsageError
    from angelctl.risk.watch import GuardOptions

    if action not in ACTIONS:
        raise UsageError(f"--action must be 'kill' or 'latch', not {action!r}")
    options = GuardOptions(interval=interval, action=action, duration=duration, once=once)
    _run_guard(ctx, output(ctx), options)


def _run_guard(ctx: typer.Context, out: Output, options: GuardOptions) -> None:
    import uuid

    from angelctl.cli.kill_run import latch_of
    from angelctl.errors import UsageError
    from angelctl.orders.checks import limits_from_config
    from angelctl.orders.journal_files import open_journal
    from angelctl.risk.watch import LimitWatch

    _, settings = profile_settings(ctx)
    limits = limits_from_config(dict(settings.risk))
    if limits.max_daily_loss is None and limits.max_orders_per_minute is None:
        raise UsageError(
            "nothing to guard: the profile sets neither max_daily_loss nor max_orders_per_minute",
            hint=f"angelctl config set profiles.{settings.name}.risk.max_daily_loss 5000",
        )
    latch = latch_of(settings)
    session = open_session(settings)
    journal = open_journal(clock())
    run_id = uuid.uuid4().hex[:12]
    firing = _Firing(ctx, out, settings, latch, session, journal, options.action, run_id)
    try:
        result = LimitWatch(session, limits).run(
            options, fire=firing, on_check=lambda check: _show_check(out, check)
        )
    finally:
        journal.close()
        session.rest.close()
    _report(out, result, options.action)


@dataclass
class _Firing:
    """What a breach does: journal it, latch, and (``kill``) run the kill procedure."""

    ctx: typer.Context
    out: Output
    settings: ProfileSettings
    latch: Latch
    session: BrokerSession
    journal: Journal
    action: str
    run_id: str

    def __call__(self, check: GuardCheck) -> dict[str, Any]:
        self.journal.risk_event(self.settings.name, self.run_id, "guard_breach", check.as_dict())
        reason = f"guard: {check.message}"
        if self.action == "latch":
            state, _ = self.latch.engage(reason, at=check.at, source="guard")
            return {"latched": state.as_dict()}
        return self._kill(check, reason)

    def _kill(self, check: GuardCheck, reason: str) -> dict[str, Any]:
        from angelctl.cli.kill_run import index_or_none
        from angelctl.config import state_dir
        from angelctl.risk.killswitch import KillOptions, KillSwitch

        latched = self.latch.engage(reason, at=check.at, source="guard")  # before any network
        index = index_or_none(self.ctx, self.out)  # tick sizes and freeze limits for the exits
        try:
            kill = KillSwitch(
                self.session,
                self.journal,
                self.latch,
                contracts=index.by_token if index is not None else None,
                lock_folder=state_dir() / "locks",
            )
            options = KillOptions(reason=reason, source="guard")
            return kill.run(options, latched=latched).as_dict()
        finally:
            if index is not None:
                index.close()


def _show_check(out: Output, check: GuardCheck) -> None:
    if out.json_mode:
        return
    if check.error:
        out.warn(f"check failed ({check.error}); retrying at the next interval")
    elif not out.quiet:
        from angelctl.render.units import inr

        out.err_console.print(
            f"{ist_text(check.at)}  P&L {inr(check.pnl) if check.pnl is not None else '-'}  "
            f"working {check.working_orders}  "
            f"new orders/min {check.orders_last_minute}"
            + (f"  BREACH: {check.message}" if check.breach else ""),
            highlight=False,
            markup=False,
        )


def _report(out: Output, result: GuardResult, action: str) -> None:
    from angelctl.status import ExitStatus

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
