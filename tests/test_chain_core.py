"""The chain's pure parts: the ATM choice (nearest, the lower on a tie), N strikes each side
clipped at the listing's ends, the feed's OI change turned back into lots, and the 1,000-token
limit of a watched chain at its boundary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from angelctl.chain import (
    _oi_change,
    atm_strike,
    check_feed_limit,
    feed_tokens_needed,
    shown_strikes,
)
from angelctl.errors import UsageError

STRIKES = [Decimal(k) for k in range(24000, 25050, 50)]  # 24,000 … 25,000


def test_atm_is_the_nearest_strike_and_the_lower_on_a_tie() -> None:
    assert atm_strike(STRIKES, Decimal("24612.30")) == Decimal(24600)
    assert atm_strike(STRIKES, Decimal("24626")) == Decimal(24650)
    assert atm_strike(STRIKES, Decimal("24625")) == Decimal(24600)
    assert atm_strike(STRIKES, Decimal("30000")) == Decimal(25000)


def test_n_strikes_each_side_clipped_at_the_ends() -> None:
    assert shown_strikes(STRIKES, Decimal(24600), 2) == [Decimal(k) for k in (24500, 24550,
                                                         24600, 24650, 24700)]  # fmt: skip
    assert shown_strikes(STRIKES, Decimal(24000), 2) == STRIKES[:3]
    assert shown_strikes(STRIKES, Decimal(24500), 0) == [Decimal(24500)]


def test_oi_change_from_the_feeds_percentage() -> None:
    assert _oi_change(1_300_000, 30.0) == 300_000  # previous 10,00,000
    assert _oi_change(800_000, -20.0) == -200_000
    assert _oi_change(5, -100.0) is None
    assert _oi_change(5, float("nan")) is None


def test_a_watched_chain_stays_within_one_feed_connection() -> None:
    assert feed_tokens_needed(20) == 83
    check_feed_limit(249)  # 999 tokens
    with pytest.raises(UsageError, match="1003 tokens") as refused:
        check_feed_limit(250)
    assert refused.value.hint == "use --strikes 249 or fewer with --watch"
