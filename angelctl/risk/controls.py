"""The order controls of one profile, wired: its limits, its kill-switch latch (the order
layer's injected ``OrderGate``) and its market-hours check.

This is where ``risk`` meets ``orders``: the order layer defines what it consults
(``orders.checks.OrderControls``) and never imports ``risk``; this module builds it.
"""

from __future__ import annotations

from angelctl.clock import Clock, SystemClock
from angelctl.config import ProfileSettings, state_dir
from angelctl.orders.checks import OrderControls, limits_from_config
from angelctl.risk.latch import latch_for


def order_controls(settings: ProfileSettings, clock: Clock | None = None) -> OrderControls:
    """Market hours: ``ProfileSettings.market_hours_policy`` decides (the profile's policy,
    else refuse for a live profile and allow for a sandbox one)."""
    table = {**settings.market_hours, "policy": settings.market_hours_policy}

    def hours(segment: str, variety: str, amo: bool) -> object:
        from angelctl.orders.market_hours import MarketHoursCheck

        market_hours = MarketHoursCheck.for_profile(table, clock or SystemClock())
        return market_hours.check(segment, variety=variety, amo=amo)

    return OrderControls(
        limits=limits_from_config(dict(settings.risk), settings.name),
        gate=latch_for(state_dir(), settings.client_code, settings.name),
        hours=None if table.get("policy") == "allow" else hours,
    )
