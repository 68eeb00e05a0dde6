"""journal (the newest intents, or one intent's events) | journal prune.

``journal`` is a group whose callback is the listing, so ``angelctl journal``, ``-n`` and
``--intent`` keep working beside ``journal prune``. Listing and pruning end with the profile's
retention run (at most once a day, ``orders/retention.py``), as ``order place`` does.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from angelctl.cli.common import clock, output, profile_settings, stdin_is_tty, whole

app = typer.Typer(
    help="The order journal: every intent, its tag, state and outcome.",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)


@app.callback()
def journal_cmd(
    ctx: typer.Context,
    intent: Annotated[
        str | None,
        typer.Option(
            "--intent",
            help="Show one intent's events (its id, or the prefix shown).",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            "-n",
            help="Newest N intents (1-100000).",
            metavar="INTEGER",
            parser=whole("-n/--limit", 1, 100_000),
        ),
    ] = 30,
) -> None:
    """The order journal: every intent, its tag, state and outcome."""
    if ctx.invoked_subcommand is not None:
        return
    from angelctl.errors import UsageError
    from angelctl.orders.journal_files import open_journal
    from angelctl.orders.retention import retention_quietly

    out = output(ctx)
    _, settings = profile_settings(ctx)
    journal = open_journal(clock())
    try:
        if intent:
            found = journal.find(intent)
            if found is None:
                raise UsageError(f"no intent {intent!r} in the journal")
            events = journal.events(found.intent_id)
            if out.json_mode:
                out.json({"intent": found.__dict__, "events": events})
            else:
                from angelctl.render.orders import events_table

                out.show(events_table(found, events))
            return
        intents = journal.recent(limit, settings.name)
        retention_quietly(journal, settings.name, settings.journal_retention_days)
    finally:
        journal.close()
    if out.json_mode:
        out.json({"intents": [i.__dict__ for i in intents]})
        return
    from angelctl.render.orders import journal_table

    out.show(journal_table(intents))


@app.command("prune")
def prune_cmd(
    ctx: typer.Context,
    before: Annotated[
        str,
        typer.Option(
            "--before",
            help="Delete settled intents created before this IST date (YYYY-MM-DD); never "
            "unsettled ones, never today's.",
            metavar="DATE",
            show_default=False,
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete this profile's settled intents older than a date, then reclaim the space."""
    from datetime import date

    from angelctl.cli.common import confirm
    from angelctl.clock import IST
    from angelctl.errors import UsageError
    from angelctl.orders.journal_files import open_journal
    from angelctl.orders.retention import day_start, prune

    out = output(ctx)
    _, settings = profile_settings(ctx)
    try:
        day = date.fromisoformat(before) if len(before) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise UsageError(f"--before expects a date like 2026-09-30, got {before!r}")
    now = clock().now()
    today = now.astimezone(IST).date()
    if day > today:
        raise UsageError(f"--before {day} is after today ({today} IST): today is never pruned")
    if not dry_run and not yes and not stdin_is_tty():
        raise UsageError("refusing to prune the journal without --yes (stdin is not a terminal)")
    journal = open_journal(clock())
    try:
        args: dict[str, Any] = {"now": now}
        if not dry_run:
            preview = prune(journal, settings.name, day_start(day), dry_run=True, **args)
            confirm(
                out,
                _summary(preview, day, would=True),
                yes=yes,
                question="Delete them?",
                declined="declined: nothing was deleted",
            )
        report = prune(journal, settings.name, day_start(day), dry_run=dry_run, **args)
    finally:
        journal.close()
    if out.json_mode:
        out.json({**report.__dict__, "before": day.isoformat()})
    else:
        out.line(_summary(report, day, would=dry_run))


def _summary(report: Any, day: Any, *, would: bool) -> str:
    verb = "would delete" if would else "deleted"
    text = (
        f"{verb} {report.intents} settled intents of profile {report.profile} created before "
        f"{day} IST ({report.events} events, {report.tags} tags, "
        f"{report.risk_events} kill-switch steps, {report.gtt_events} GTT rule events, "
        f"{report.conversion_events} position-conversion steps)"
    )
    if report.kept_unsettled:
        text += f"; kept {report.kept_unsettled} older intents whose outcome is not settled"
    if report.kept_unsettled_conversions:
        text += (
            f"; kept {report.kept_unsettled_conversions} older position conversions whose "
            "outcome is not settled"
        )
    if not would:
        text += f"; file {_mb(report.bytes_before)} → {_mb(report.bytes_after)}"
    return text


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
