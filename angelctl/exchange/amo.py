"""After-market-order (AMO) windows and a profile's market-hours policy.

AMO windows are Angel's, which it does not publish [GAP]: the defaults are the industry norm
(equity 15:45-08:57, F&O 15:45-09:10, currency 15:45-08:59, commodities any time) and every one
is configurable. A window ``START-END`` is open from START on a trading day to END on the next
trading day, all day on days without a session, and never while the normal market is open.

Config, per profile (validated by ``config``, applied by ``orders.market_hours``)::

    [profiles.main.market_hours]
    policy = "refuse"                  # or "allow": decide, but never refuse (the broker will)
    amo_windows = { NSE = "15:45-08:57", NFO = "15:45-09:10", MCX = "any", CDS = "none" }

Invariants: ``parse_market_hours`` raises ValueError whose text starts with the offending key
(``amo_windows.NSE: …``), so config validation can name it; ``str(AmoWindow.parse(t))``
round-trips every accepted ``t`` in its normal form.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from angelctl.exchange.segments import SEGMENTS
from angelctl.exchange.zones import hhmm, parse_time
from angelctl.records import record

POLICIES = ("refuse", "allow")  # [profiles.NAME.market_hours] policy


@record
class AmoWindow:
    """When after-market orders are accepted: ``15:45-08:57``, ``any`` (whenever the market is
    not open) or ``none``."""

    start: time | None = None
    end: time | None = None
    anytime: bool = False

    @classmethod
    def parse(cls, text: str) -> AmoWindow:
        word = text.strip().lower()
        if word == "any":
            return cls(anytime=True)
        if word == "none":
            return cls()
        parts = word.split("-")
        if len(parts) == 2:
            try:
                return cls(parse_time(parts[0]), parse_time(parts[1]))
            except ValueError:
                pass
        raise ValueError(f"expected 'HH:MM-HH:MM', 'any' or 'none', got {text!r}")

    def open_at(self, now: time, *, trading_day: bool, market_open: bool) -> bool:
        """Whether the window is open at the IST wall time ``now`` of a day that has a normal
        session (``trading_day``) or not, while the normal market is open or not."""
        if market_open:
            return False
        if self.anytime:
            return True
        if self.start is None or self.end is None:
            return False
        if not trading_day:
            return True
        return now >= self.start or now < self.end

    def __str__(self) -> str:
        if self.anytime:
            return "any"
        if self.start is None or self.end is None:
            return "none"
        return f"{hhmm(self.start)}-{hhmm(self.end)}"


DEFAULT_AMO_WINDOWS: dict[str, AmoWindow] = {
    "NSE": AmoWindow(time(15, 45), time(8, 57)),
    "BSE": AmoWindow(time(15, 45), time(8, 57)),
    "NFO": AmoWindow(time(15, 45), time(9, 10)),
    "BFO": AmoWindow(time(15, 45), time(9, 10)),
    "CDS": AmoWindow(time(15, 45), time(8, 59)),
    "MCX": AmoWindow(anytime=True),
    "NCDEX": AmoWindow(anytime=True),
}


def parse_market_hours(table: Mapping[str, Any] | None) -> tuple[str, dict[str, AmoWindow]]:
    """``[profiles.NAME.market_hours]`` → (policy, AMO window overrides). Raises ValueError
    naming the key; config validation calls it, so a loaded profile never fails here."""
    table = table or {}
    unknown = sorted(set(table) - {"policy", "amo_windows"})
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown key (expected policy, amo_windows)")
    policy = table.get("policy", "refuse")
    if policy not in POLICIES:
        raise ValueError(f"policy: expected 'refuse' or 'allow', got {policy!r}")
    windows_table = table.get("amo_windows", {})
    if not isinstance(windows_table, Mapping):
        raise ValueError(
            "amo_windows: expected a table of SEGMENT = 'HH:MM-HH:MM' | 'any' | 'none'"
        )
    windows: dict[str, AmoWindow] = {}
    for segment, text in windows_table.items():
        if not isinstance(text, str):
            raise ValueError(f"amo_windows.{segment}: expected a string, got {text!r}")
        if segment not in SEGMENTS:
            raise ValueError(f"amo_windows.{segment}: unknown segment ({', '.join(SEGMENTS)})")
        try:
            windows[segment] = AmoWindow.parse(text)
        except ValueError as exc:
            raise ValueError(f"amo_windows.{segment}: {exc}") from None
    return str(policy), windows
