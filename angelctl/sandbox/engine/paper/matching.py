"""Matching rules of the paper broker: when a stop triggers, whether an order is marketable, at
what price and for how much it fills in one pass.

A BUY limit fills when LTP ≤ limit (a SELL when LTP ≥ limit); the first pass after acceptance or
a trigger (``order.aggressive``) fills at the LTP if that is better than the limit, later passes
at the limit. Market orders fill at the LTP. ``fill_lots_per_step`` caps one pass at N lots and
``partial_fill_fraction`` at that fraction of the unfilled quantity (rounded down to lots, at
least one lot). Stop-loss orders wait until a BUY's LTP ≥ trigger (a SELL's ≤).

Invariant: these functions read the order and the config and change nothing; the broker applies
their answer (events, fills, IOC cancellation).
"""

from __future__ import annotations

from decimal import Decimal

from angelctl.sandbox.config import SandboxConfig
from angelctl.sandbox.engine.orders import Order


def trigger_hit(order: Order, ltp: Decimal) -> bool:
    """Whether a stop order's trigger is reached at ``ltp``."""
    return ltp >= order.triggerprice if order.is_buy else ltp <= order.triggerprice


def marketable_at(order: Order, ltp: Decimal) -> tuple[bool, Decimal]:
    """Whether the order fills at ``ltp`` now, and at what price."""
    if order.is_market:
        return True, ltp
    if order.is_buy:
        return ltp <= order.price, min(order.price, ltp) if order.aggressive else order.price
    return ltp >= order.price, max(order.price, ltp) if order.aggressive else order.price


def pass_quantity(order: Order, config: SandboxConfig) -> int:
    """How much of the unfilled quantity one matching pass fills."""
    quantity = order.unfilled
    lot = max(order.instrument.lotsize, 1)
    if config.fill_lots_per_step is not None:
        quantity = min(quantity, config.fill_lots_per_step * lot)
    if config.partial_fill_fraction is not None:
        fraction = Decimal(str(config.partial_fill_fraction))
        lots = int(Decimal(order.unfilled // lot) * fraction)
        quantity = min(quantity, max(lots, 1) * lot)
    return quantity
