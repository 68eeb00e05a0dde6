"""The exchange segments angelctl knows and the holiday calendar each follows.

Segments use Angel's exchange names; calendars use the names of NSE's holiday master (CM cash,
FO derivatives, CD currency, COM commodity). BSE's and MCX's own holiday lists are not in the
reference data; they follow NSE's CM and COM lists, which match them in practice
[simplification].

Invariants: ``SEGMENTS`` is in display order and every segment has a calendar;
``check_segment`` returns the upper-case name or raises ``UsageError`` listing the known ones.
"""

from __future__ import annotations

from angelctl.errors import UsageError

SEGMENTS = ("NSE", "BSE", "NFO", "BFO", "CDS", "MCX", "NCDEX")
CALENDARS = ("CM", "FO", "CD", "COM")
CALENDAR_OF_SEGMENT: dict[str, str] = {
    "NSE": "CM",
    "BSE": "CM",
    "NFO": "FO",
    "BFO": "FO",
    "CDS": "CD",
    "MCX": "COM",
    "NCDEX": "COM",
}


def check_segment(segment: str) -> str:
    upper = segment.strip().upper()
    if upper not in SEGMENTS:
        raise UsageError(f"unknown segment {segment!r}: expected one of {', '.join(SEGMENTS)}")
    return upper
