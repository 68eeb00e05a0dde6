"""The market-hours check of the order layer: refuse locally, before any order-route call, an
order the exchange would not take now, and say when it could go.

The calendar decides (``exchange.calendar``, ``exchange.decision``); this module turns a
refusal into a pre-trade rejection. Entry points: ``check_order_window(calendar, segment, at,
variety, amo=…, policy=…)`` (pure: the instant is given) and ``MarketHoursCheck`` (the same
with the time read from a ``Clock``), built for a profile by
``MarketHoursCheck.for_profile(settings.market_hours, clock)``. The profile's table is
``[profiles.NAME.market_hours]`` (``policy``, ``amo_windows``; see ``exchange.amo``).

Invariants: an order outside its window raises ``OutsideMarketHours`` (a ``PreTradeRejected``,
exit 2) whose one-line message names the phase and the next open, and suggests ``--amo`` when
an after-market order would be accepted; nothing here touches the network or the clock directly.

This module imports ``angelctl.orders.checks`` (for ``PreTradeRejected``), so ``checks`` must not
import it at module level: it is injected into ``OrderControls.hours`` by ``risk.controls``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from angelctl.clock import Clock
from angelctl.config import holiday_file
from angelctl.exchange.amo import parse_market_hours
from angelctl.exchange.calendar import MarketCalendar
from angelctl.exchange.decision import Decision, Verdict
from angelctl.orders.checks import PreTradeRejected, Violation
from angelctl.records import record


class OutsideMarketHours(PreTradeRejected):
    """The segment does not take this order now (closed, holiday, or only as an AMO)."""

    def __init__(self, decision: Decision) -> None:
        super().__init__([Violation("market_hours", decision.reason)])
        self.decision = decision
        self.hint = (
            "nothing was sent; `angelctl calendar status` shows every segment's hours, and "
            'policy = "allow" under [profiles.NAME.market_hours] turns this check off'
        )


def check_order_window(
    calendar: MarketCalendar,
    segment: str,
    at: datetime,
    variety: str = "NORMAL",
    *,
    amo: bool = False,
    policy: str = "refuse",
) -> Decision:
    """The decision for an order to ``segment`` at the aware instant ``at``; raises
    ``OutsideMarketHours`` when it is not allowed and ``policy`` is ``"refuse"``.

    ``amo`` (or the legacy variety ``"AMO"``) asks for an after-market order."""
    wants_amo = amo or variety.strip().upper() == "AMO"
    decision = calendar.order_decision(segment, at, amo=wants_amo)
    if decision.verdict is not Verdict.ALLOW and policy == "refuse":
        raise OutsideMarketHours(decision)
    return decision


@record
class MarketHoursCheck:
    """``check_order_window`` with the calendar, the policy and the clock bound once."""

    calendar: MarketCalendar
    clock: Clock
    policy: str = "refuse"

    @classmethod
    def for_profile(
        cls, market_hours: Mapping[str, Any] | None, clock: Clock, *, user_file: Path | None = None
    ) -> MarketHoursCheck:
        """The profile's policy and AMO windows over the user's holiday file (default
        ``config.holiday_file()``) or the shipped one; a bad holiday file raises ConfigError."""
        policy, windows = parse_market_hours(market_hours)
        path = holiday_file() if user_file is None else user_file
        return cls(MarketCalendar.load(path, amo_windows=windows), clock, policy)

    def check(self, segment: str, *, variety: str = "NORMAL", amo: bool = False) -> Decision:
        return check_order_window(
            self.calendar, segment, self.clock.now(), variety, amo=amo, policy=self.policy
        )
