"""Whether an order may be sent to a segment now (``Verdict.ALLOW``), only as an after-market
order (``AMO_ONLY``), or not at all (``REFUSE``), with one line for a person saying why and
when it could go.

The rules: a regular order goes while the normal market is open or during pre-open order
entry; outside them it may be queued as an AMO when the segment's AMO window is open. An AMO
goes only inside its window, never while the normal market is open.

Invariants: a pure function of a ``SegmentStatus`` (``exchange.calendar``), that day's
sessions and the segment's AMO window; ``reason`` is one line (no newline) naming the phase in
parentheses and, unless allowed, the next open; ``suggest_amo`` is set exactly when ``--amo``
would make the order acceptable. Turning a refusal into an error is the order layer's job
(``orders.market_hours``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from angelctl.exchange.amo import AmoWindow
from angelctl.exchange.sessions import Phase, Session
from angelctl.exchange.zones import format_ist, hhmm
from angelctl.records import record

if TYPE_CHECKING:
    from angelctl.exchange.calendar import SegmentStatus


class Verdict(StrEnum):
    ALLOW = "allow"  # send it now (as a regular order, or as the AMO that was asked for)
    AMO_ONLY = "amo_only"  # only as an after-market order
    REFUSE = "refuse"


@record
class Decision:
    """Whether an order may go now. ``reason`` is one line for a person."""

    segment: str
    at: datetime  # IST
    phase: Phase
    verdict: Verdict
    amo: bool  # an after-market order was asked for
    reason: str
    next_open: datetime | None
    suggest_amo: bool = False  # "use --amo" would make it acceptable

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW

    def as_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "at": self.at.isoformat(),
            "phase": str(self.phase),
            "verdict": str(self.verdict),
            "amo": self.amo,
            "reason": self.reason,
            "next_open": self.next_open.isoformat() if self.next_open else None,
        }


def order_decision(
    status: SegmentStatus, sessions: tuple[Session, ...], window: AmoWindow, *, amo: bool
) -> Decision:
    """The decision for an order (an AMO when ``amo``) at ``status.at``, given the day's
    ``sessions`` and the segment's AMO ``window``."""
    local, segment = status.at, status.segment
    session = next((s for s in sessions if s.start <= local < s.end), None)
    entry_open = (
        session is not None
        and session.phase is Phase.PRE_OPEN
        and session.entry_end is not None
        and local < session.entry_end
    )
    where = _describe(status, session)
    nxt = f"next open {format_ist(status.next_open)}" if status.next_open else "no open known"

    def decide(verdict: Verdict, reason: str, suggest: bool = False) -> Decision:
        return Decision(
            segment, local, status.phase, verdict, amo, reason, status.next_open, suggest
        )

    if amo:
        if status.amo_window:
            opens = format_ist(status.next_open) if status.next_open else "next open"
            return decide(Verdict.ALLOW, f"{where}; accepted as an after-market order for {opens}")
        if status.phase is Phase.OPEN:
            return decide(
                Verdict.REFUSE,
                f"{where}: an after-market order is accepted only outside market hours; "
                "place it without --amo",
            )
        return decide(Verdict.REFUSE, f"{where}; {nxt}; {_amo_when(segment, window)}")
    if status.phase is Phase.OPEN or entry_open:
        return decide(Verdict.ALLOW, where)
    if status.amo_window:
        return decide(
            Verdict.AMO_ONLY,
            f"{where}; {nxt}; use --amo to queue it as an after-market order",
            suggest=True,
        )
    return decide(Verdict.REFUSE, f"{where}; {nxt}; {_amo_when(segment, window)}")


def _describe(status: SegmentStatus, session: Session | None) -> str:
    seg, phase = status.segment, status.phase
    if phase is Phase.OPEN and status.next_close is not None:
        extra = f", {status.note}" if status.note else ""
        return f"{seg} is open until {hhmm(status.next_close.time())} IST ({phase}{extra})"
    if phase is Phase.PRE_OPEN and session is not None and session.entry_end is not None:
        if status.at < session.entry_end:
            return (
                f"{seg} is in pre-open, order entry until {hhmm(session.entry_end.time())} IST "
                f"({phase})"
            )
        return (
            f"{seg} is in the pre-open matching period, order entry closed at "
            f"{hhmm(session.entry_end.time())} IST ({phase})"
        )
    if phase is Phase.POST_CLOSE:
        return f"{seg} is in the post-close session ({phase})"
    if phase is Phase.HOLIDAY:
        return f"{seg} is closed for a holiday, {status.note} ({phase})"
    if status.note == "weekend":
        return f"{seg} is closed for the weekend ({phase})"
    return f"{seg} is closed ({phase})"


def _amo_when(segment: str, window: AmoWindow) -> str:
    if window.start is None and not window.anytime:
        return f"after-market orders for {segment} are off in this profile"
    if window.start is not None:
        return f"after-market orders are accepted from {hhmm(window.start)} IST"
    return "after-market orders are accepted when the market is closed"
