"""The one clock: monotonic time for timeouts, backoff and rate limits; wall time for sessions.

Everything that waits or measures elapsed time goes through a ``Clock`` so that tests control
time without sleeping and a wall-clock step (NTP, DST, an operator's ``date -s``) never changes
a timeout, a backoff or a rate-limit decision. Wall time is only used where the broker's rules
are about the calendar (sessions end at midnight IST, TOTP steps are wall-clock based).

Monotonic time is trusted within one process only. A time another process stored on disk may
come from a clock that was stepped (a resumed VM, libfaketime, which shifts CLOCK_MONOTONIC
too): each ledger says in its module docstring which stored times it treats as impossible.

A wait that holds a command up (a rate-limit slot, the next TOTP step, a retry backoff) goes
through ``pause``: one longer than ``ANNOUNCE_AFTER_SECONDS`` first says on stderr, once, what
it waits for and for how long, so a slow command never looks hung. Short polls (order and
kill-switch loops) and a cadence the user chose (``--watch``, ``--interval``) are not such waits.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

from angelctl.records import record

IST = timezone(timedelta(hours=5, minutes=30), "IST")


def utc_stamp(moment: datetime) -> str:
    """``moment`` (any zone) as the journal stores times: UTC ISO text to the millisecond. Stored
    stamps are compared as text, so every bound a query compares them with must be made here
    (an IST midnight written with its own offset sorts after that evening's UTC stamps)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def ist_text(iso: str) -> str:
    """A stored ISO time (naive means UTC) as a person reads it: ``2026-12-07 19:32:11 IST``.
    Text that is not an ISO time comes back as it is (``unknown``)."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso or "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S IST")


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a system-wide monotonic clock (comparable across processes)."""
        ...

    def now(self) -> datetime:
        """The current wall time, timezone-aware (UTC)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that moves only when told: ``advance`` (both readings), ``sleep`` (the same,
    so a client that waits moves time instead of passing it) and ``set`` (a wall-clock step,
    either way). Thread-safe. Tests run the sandbox on it; a drill shares one between its
    private sandbox and the kill, so every poll, rate-limit wait and modelled latency moves the
    same simulated time (``angelctl.drill``)."""

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime(2026, 3, 10, 10, 0, 0, tzinfo=IST)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._lock = threading.Lock()
        self._now = start
        self._monotonic = 1000.0

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards; use set() for a wall-clock step")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._monotonic += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))

    def set(self, moment: datetime) -> None:
        """Step the wall clock to ``moment`` (either way); monotonic time is not touched."""
        if moment.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware time")
        with self._lock:
            self._now = moment


def next_midnight_ist(moment: datetime) -> datetime:
    """The first instant of the IST day after ``moment``: Angel's session end."""
    local = moment.astimezone(IST)
    midnight = datetime(local.year, local.month, local.day, tzinfo=IST) + timedelta(days=1)
    return midnight.astimezone(UTC)


def boot_id() -> str:
    """This boot's id ("" where the system has none): monotonic times are comparable across
    processes within one boot, so state stamped with them records the boot too."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""


ANNOUNCE_AFTER_SECONDS = 2.0


class _WaitNotices:
    enabled = True


def announce_waits(enabled: bool) -> None:
    """Turn the stderr notices of long waits on or off (``--quiet`` turns them off)."""
    _WaitNotices.enabled = enabled


def pause(clock: Clock, seconds: float, what: str) -> None:
    """Sleep ``seconds`` on ``clock``; a wait longer than two seconds first says so on stderr."""
    if seconds > ANNOUNCE_AFTER_SECONDS:
        announce_wait(what, seconds)
    clock.sleep(seconds)


def announce_wait(what: str, seconds: float, *, at_most: bool = False) -> None:
    """``waiting 3.2 s for <what>`` on stderr (``up to`` when the end is not known)."""
    if not _WaitNotices.enabled:
        return
    amount = f"{seconds:.1f}" if seconds < 10 else f"{seconds:.0f}"
    text = f"waiting {'up to ' if at_most else ''}{amount} s for {what}\n"
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken stderr must not stop the wait
        pass


# -- a steady cadence ------------------------------------------------------------------


@record
class Tick:
    """One refresh of a watched quote: its number and how many ticks were skipped before it."""

    number: int
    skipped: int


def refresh_schedule(
    clock: Clock, interval: float, iterations: int | None = None
) -> Iterator[Tick]:
    """Ticks at ``start + k × interval``; the caller refreshes between ``next()`` calls.

    When a refresh overruns, the ticks it missed are skipped (counted in ``Tick.skipped``), so
    a slow broker never builds a queue of stale refreshes.
    """
    if interval <= 0:
        from angelctl.errors import UsageError

        raise UsageError("the refresh interval must be positive")
    start = clock.monotonic()
    slot = 0
    number = 0
    skipped = 0
    while iterations is None or number < iterations:
        yield Tick(number, skipped)
        number += 1
        if iterations is not None and number >= iterations:
            return
        now = clock.monotonic()
        due = math.floor((now - start) / interval) + 1
        skipped = max(due - slot - 1, 0)
        slot = max(due, slot + 1)
        clock.sleep(start + slot * interval - now)
