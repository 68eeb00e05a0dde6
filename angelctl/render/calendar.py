"""Views of the market calendar: every segment's phase at an instant, and the holiday list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from angelctl.exchange.calendar import CalendarReport
from angelctl.exchange.holidays import Holiday
from angelctl.exchange.sessions import Phase
from angelctl.exchange.zones import MONTHS, WEEKDAYS, format_ist, to_ist

PHASE_STYLE = {
    Phase.OPEN: "green",
    Phase.PRE_OPEN: "yellow",
    Phase.POST_CLOSE: "yellow",
    Phase.CLOSED_AMO: "cyan",
    Phase.CLOSED: "",
    Phase.HOLIDAY: "magenta",
}


def _when(moment: datetime | None) -> str:
    """``Thu 26-Nov 09:15`` (IST; the title carries the year)."""
    if moment is None:
        return "-"
    local = to_ist(moment)
    return f"{WEEKDAYS[local.weekday()]} {local:%d}-{MONTHS[local.month - 1]} {local:%H:%M}"


def status_view(report: CalendarReport, policy: str) -> Any:
    from rich.table import Table

    years = ", ".join(str(y) for y in report.years) or "none"
    table = Table(
        title=f"Market calendar at {format_ist(report.at)}",
        caption=(
            f"holidays: {report.data_location} ({report.data_origin}; years {years}); "
            f"market-hours policy: {policy}"
        ),
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("Segment", style="bold")
    table.add_column("Phase")
    table.add_column("Note", overflow="fold")
    table.add_column("Next open")
    table.add_column("Next close")
    table.add_column("AMO window")
    for status in report.statuses:
        window = report.amo_windows.get(status.segment, "none")
        table.add_row(
            status.segment,
            f"[{PHASE_STYLE[status.phase]}]{status.phase}[/]"
            if PHASE_STYLE[status.phase]
            else str(status.phase),
            status.note or "-",
            _when(status.next_open),
            _when(status.next_close),
            f"{window} {'open' if status.amo_window else 'closed'}",
        )
    return table


def holidays_table(
    rows: Iterable[tuple[Holiday, tuple[str, ...]]], title: str, caption: str = ""
) -> Any:
    from rich.table import Table

    table = Table(title=title, caption=caption or None, title_justify="left")
    table.add_column("Date")
    table.add_column("Day")
    table.add_column("Holiday", overflow="fold")
    table.add_column("Segments")
    table.add_column("Closed")
    for holiday, segments in rows:
        table.add_row(
            holiday.day.isoformat(),
            WEEKDAYS[holiday.day.weekday()],
            holiday.description,
            " ".join(segments),
            "all day" if holiday.closed == "all" else f"{holiday.closed} session",
        )
    return table
