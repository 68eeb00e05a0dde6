"""calendar [status] | holidays | update: exchange sessions, holidays and the holiday file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from angelctl.cli.common import clock, done, output, profile_settings, whole
from angelctl.cli.completion import complete_path, complete_segment
from angelctl.cli.environment import environment

if TYPE_CHECKING:
    from datetime import datetime

    from angelctl.exchange.calendar import MarketCalendar

app = typer.Typer(
    help="Exchange sessions and holidays in IST: each segment's phase, the next open and close, "
    "the holiday list, and importing NSE's holiday file. Without a sub-command: status.",
    rich_markup_mode=None,
)

SegmentOpt = Annotated[
    str | None,
    typer.Option(
        "--segment",
        "-s",
        help="Only this segment (NSE, BSE, NFO, BFO, CDS, MCX, NCDEX).",
        show_default=False,
        autocompletion=complete_segment,
    ),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Evaluate at this ISO time instead of now (2026-11-24T09:15 is IST; "
        "an offset or Z is honoured).",
        show_default=False,
    ),
]


FIRST_YEAR, LAST_YEAR = 1970, 2999  # --at: far inside what datetime can hold


def parse_instant(text: str) -> datetime:
    """``--at``: an ISO date-time; one without an offset is IST."""
    from datetime import datetime

    from angelctl.errors import UsageError
    from angelctl.exchange.zones import ist

    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--at {text!r} is not an ISO date-time (e.g. 2026-11-24T09:15 or 2026-11-24T03:45Z)"
        ) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # the next open/close must stay in range
        raise UsageError(f"--at must be in the years {FIRST_YEAR} to {LAST_YEAR}, not {text!r}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ist())


def _calendar(ctx: typer.Context) -> tuple[MarketCalendar, str]:
    """The profile's AMO windows and policy over the holiday data in use (no profile needed)."""
    from angelctl.config import holiday_file
    from angelctl.exchange.amo import parse_market_hours
    from angelctl.exchange.calendar import MarketCalendar

    _, settings = profile_settings(ctx, require_existing=False)
    _, windows = parse_market_hours(settings.market_hours)
    # The policy the order checks apply (a sandbox profile without one allows: risk.controls).
    return MarketCalendar.load(holiday_file(), amo_windows=windows), settings.market_hours_policy


@app.callback(invoke_without_command=True)
def calendar_root(ctx: typer.Context) -> None:
    """Exchange sessions and holidays; without a sub-command, the same as `calendar status`."""
    if ctx.invoked_subcommand is None:
        _status(ctx, None, None)


@app.command("status")
def status(ctx: typer.Context, segment: SegmentOpt = None, at: AtOpt = None) -> None:
    """Each segment's phase now (or --at), the next open and close, and the holiday file used."""
    _status(ctx, segment, at)


def _status(ctx: typer.Context, segment: str | None, at: str | None) -> None:
    from angelctl.exchange.segments import SEGMENTS, check_segment

    out = output(ctx)
    calendar, policy = _calendar(ctx)
    moment = parse_instant(at) if at else clock().now()
    segments = [check_segment(segment)] if segment else list(SEGMENTS)
    report = calendar.report(moment, segments)
    if out.json_mode:
        out.json({"ok": True, "policy": policy, **report.as_dict()})
        return
    from angelctl.render.calendar import status_view

    out.show(status_view(report, policy))
    for warning in report.warnings:
        out.warn(warning)


@app.command("holidays")
def holidays(
    ctx: typer.Context,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            "-y",
            help="This year (default: the current year in IST).",
            metavar="INTEGER",
            parser=whole("--year", 1990, 9999),
        ),
    ] = None,
    segment: SegmentOpt = None,
) -> None:
    """List the exchange holidays of a year, with the segments each one closes."""
    from angelctl.exchange.segments import check_segment
    from angelctl.exchange.zones import to_ist

    out = output(ctx)
    calendar, _ = _calendar(ctx)
    wanted = year or to_ist(clock().now()).year
    only = check_segment(segment) if segment else None
    rows = [(h, segs) for h, segs in calendar.holidays(wanted) if only is None or only in segs]
    covered = wanted in calendar.data.years
    if out.json_mode:
        out.json(
            {
                "ok": True,
                "year": wanted,
                "covered": covered,
                "data_file": calendar.data.location,
                "data_origin": calendar.data.origin,
                "holidays": [
                    {**h.as_dict(), "closed": h.closed, "segments": list(segs)} for h, segs in rows
                ],
            }
        )
        return
    from angelctl.render.calendar import holidays_table

    caption = f"from {calendar.data.location} ({calendar.data.origin})"
    out.show(holidays_table(rows, f"Exchange holidays {wanted}", caption))
    if not covered:
        out.warn(
            f"the holiday data does not cover {wanted}: import NSE's list with "
            "`angelctl calendar update FILE`"
        )


@app.command("update")
def update(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            help="An NSE holiday-master JSON (nseindia.com/api/holiday-master?type=trading), "
            "or - for stdin.",
            show_default=False,
            autocompletion=complete_path,
        ),
    ],
) -> None:
    """Import NSE's holiday-master JSON into the user's holiday file (replaced atomically)."""
    import hashlib

    from angelctl.config import holiday_file
    from angelctl.errors import ConfigError, UsageError
    from angelctl.exchange.holidays import dump_holiday_data, load_holiday_data, shipped_data
    from angelctl.exchange.nse_import import merge_nse_import, parse_nse_holiday_master
    from angelctl.fsutil import atomic_write_private

    out = output(ctx)
    name = "stdin" if file == "-" else file
    try:
        raw = _read_stdin() if file == "-" else Path(file).expanduser().read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    imported = parse_nse_holiday_master(raw, name)
    target = holiday_file()
    try:
        current = load_holiday_data(target)
    except ConfigError as exc:
        out.warn(f"{exc.message}; replacing it, starting from the shipped data")
        current = shipped_data()
    source = {
        "file": name,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "imported_at": clock().now().isoformat(timespec="seconds"),
    }
    merged = merge_nse_import(current, imported, source)
    atomic_write_private(target, dump_holiday_data(merged))
    years = sorted({h.day.year for entries in imported.values() for h in entries})
    counts = {key: len(entries) for key, entries in imported.items()}
    if out.json_mode:
        out.json(
            {
                "ok": True,
                "path": str(target),
                "imported_years": years,
                "holidays": counts,
                "years": sorted(merged.years),
            }
        )
        return
    listed = ", ".join(f"{key} {n}" for key, n in counts.items())
    done(
        out,
        f"Imported {', '.join(map(str, years))} from {name} ({listed} holidays) into {target}; "
        f"years covered: {', '.join(map(str, sorted(merged.years)))}.",
    )


def _read_stdin() -> bytes:
    stdin = environment().stdin
    buffer = getattr(stdin, "buffer", None)
    return buffer.read() if buffer is not None else stdin.read().encode("utf-8")
