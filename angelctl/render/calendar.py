"""Views of the market calendar: every segment's phase at an instant, and the holiday list.

Times are IST and say so (``format_ist`` in the title, ``(IST)`` in the headers).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from angelctl.exchange.calendar import CalendarReport
from angelctl.exchange.holidays import Holiday
from angelctl.exchange.sessions import Phase
from angelctl.exchange.zones import MONTHS, WEEKDAYS, format_ist, to_ist
from angelctl.render.fit import ColumnSpec
from angelctl.render.view import Cell, Styled, TableView

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


def status_view(report: CalendarReport, policy: str) -> TableView:
    years = ", ".join(str(y) for y in report.years) or "none"
    columns = [
        ColumnSpec("Segment", "left"),
        ColumnSpec("Phase", "left"),
        ColumnSpec("Note", "left", drop=2),
        ColumnSpec("Next open (IST)", "left", kind="time"),
        ColumnSpec("Next close (IST)", "left", kind="time"),
        ColumnSpec("AMO window (IST)", "left", drop=1),
    ]
    rows: list[list[Cell]] = []
    for status in report.statuses:
        window = report.amo_windows.get(status.segment, "none")
        rows.append(
            [
                Styled(status.segment, "bold"),
                Styled(str(status.phase), PHASE_STYLE[status.phase]),
                status.note or "-",
                _when(status.next_open),
                _when(status.next_close),
                f"{window} {'open' if status.amo_window else 'closed'}",
            ]
        )
    return TableView(
        f"Market calendar at {format_ist(report.at)}",
        columns,
        [rows],
        caption=(
            f"holidays: {report.data_location} ({report.data_origin}; years {years}); "
            f"market-hours policy: {policy}"
        ),
    )


def holidays_table(
    rows: Iterable[tuple[Holiday, tuple[str, ...]]], title: str, caption: str = ""
) -> TableView:
    columns = [
        ColumnSpec("Date", "left", kind="time"),
        ColumnSpec("Day", "left", drop=1),
        ColumnSpec("Holiday", "left"),
        ColumnSpec("Segments", "left", drop=2),
        ColumnSpec("Closed", "left", drop=3),
    ]
    cells: list[list[Cell]] = [
        [
            holiday.day.isoformat(),
            WEEKDAYS[holiday.day.weekday()],
            holiday.description,
            " ".join(segments),
            "all day" if holiday.closed == "all" else f"{holiday.closed} session",
        ]
        for holiday, segments in rows
    ]
    return TableView(title, columns, [cells], caption=caption)
