"""Times on screen: always IST, always labelled by the caller (``(IST)`` in a header or cell).

The journal, the latch and GTT rules keep UTC or offset ISO strings; they are converted here
for display only. A naive ISO time is taken as UTC (how the journal writes them).
"""

from __future__ import annotations

from datetime import UTC, datetime


def ist_clock(iso: str, *, seconds: bool = True, millis: bool = False) -> str:
    """A UTC (or any aware) ISO time as ``07-Dec 14:02:11`` IST; the text itself if unparseable."""
    from angelctl.clock import IST

    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso or "-"
    if moment.tzinfo is None:  # the journal writes UTC
        moment = moment.replace(tzinfo=UTC)
    text = moment.astimezone(IST).strftime("%d-%b %H:%M:%S.%f" if millis else "%d-%b %H:%M:%S")
    return text[:-3] if millis else text if seconds else text[:-3]


def ist_stamp(iso: str) -> str:
    """``2026-12-07 19:32:11 IST`` for a full date and time (titles and key/value views)."""
    from angelctl.clock import ist_text

    return ist_text(iso)
