"""Applying a replay's due frames to the paper market's tickers (``engine.replay``).

``replay_due(market)`` is called by ``PaperBroker.sync`` (every API request, admin read and
feed wakeup): it applies the pre-roll once, then each due recorded frame in order, yielding the
ticker it moved so the matching engine can run after every price — a price that crosses a limit
and comes back between two looks still fills. ``apply_tick`` sets what the frame's mode carries.

Circuits: a SNAP_QUOTE frame carries them; after a QUOTE or LTP frame (and no SNAP_QUOTE yet)
they are the sandbox's rule applied to the recorded close, or rebased on an LTP outside them.

Invariants: a replayed ticker is marked ``replayed`` (the walk leaves it alone from then on);
tokens the universe cannot list are skipped (the universe lists every recorded token when the
engine was built with the tape, see ``Universe.with_extras``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from angelctl.feed.ticks import DepthLevel as FeedLevel
from angelctl.feed.ticks import DepthTick, QuoteTick, SnapQuoteTick, Tick, scaled
from angelctl.sandbox.engine.market import DEPTH_LEVELS, DepthLevel, Market, Ticker


def replay_due(market: Market) -> Iterator[Ticker]:
    """Apply the recorded frames due now, one at a time, yielding each ticker moved."""
    replay = market.replay
    if replay is None:
        return
    if not replay.prerolled:
        replay.prerolled = True
        for (exch_seg, token), tick in replay.tape.preroll:
            ticker = market.ticker(exch_seg, token)
            if ticker is not None:
                _apply(market, ticker, tick)
    for frame in replay.due(market.clock.monotonic()):
        ticker = market.ticker(*frame.key)
        if ticker is not None:
            _apply(market, ticker, frame.tick)
            yield ticker


def _apply(market: Market, ticker: Ticker, tick: Tick) -> None:
    apply_tick(ticker, tick)
    if not isinstance(tick, SnapQuoteTick | DepthTick) and ticker.fixed_oi is None:
        market.replayed_bands(ticker, recorded_close=isinstance(tick, QuoteTick))


def apply_tick(ticker: Ticker, tick: Tick) -> None:
    """Make ``ticker`` what a recorded tick says (each mode sets what its packet carries)."""
    ticker.replayed = True
    div = tick.divisor
    if isinstance(tick, DepthTick):
        ticker.fixed_depth = _levels(tick.bids, div), _levels(tick.asks, div)
        ticker.version += 1
        return
    ticker.ltp = scaled(tick.ltp_raw, div)
    ticker.high, ticker.low = max(ticker.high, ticker.ltp), min(ticker.low, ticker.ltp)
    if isinstance(tick, QuoteTick):
        ticker.open, ticker.high = scaled(tick.open_raw, div), scaled(tick.high_raw, div)
        ticker.low, ticker.prev_close = scaled(tick.low_raw, div), scaled(tick.close_raw, div)
        ticker.last_qty, ticker.volume = tick.last_traded_qty, tick.volume
        ticker.turnover = scaled(tick.avg_price_raw, div) * tick.volume
        ticker.fixed_totals = int(tick.total_buy_qty), int(tick.total_sell_qty)
    if isinstance(tick, SnapQuoteTick):
        ticker.last_trade_at = datetime.fromtimestamp(tick.last_traded_time_s, UTC)
        ticker.fixed_oi = tick.open_interest, tick.oi_change_pct
        ticker.fixed_depth = _levels(tick.bids, div), _levels(tick.asks, div)
        ticker.upper_circuit = scaled(tick.upper_circuit_raw, div)
        ticker.lower_circuit = scaled(tick.lower_circuit_raw, div)
        ticker.week52_high = scaled(tick.high_52w_raw, div)
        ticker.week52_low = scaled(tick.low_52w_raw, div)
    ticker.version += 1


def _levels(levels: Sequence[FeedLevel], div: int) -> tuple[DepthLevel, ...]:
    return tuple(
        DepthLevel(scaled(level.price_raw, div), level.quantity, level.orders)
        for level in list(levels)[:DEPTH_LEVELS]
    )
