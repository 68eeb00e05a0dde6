# long module: the ticker and the walk that moves it, now driven three ways (the walk, the option
# model, a replayed recording); the Ticker class is the part to move out next
"""The paper market: one seeded price process per instrument, advanced lazily, no threads.

Each instrument's log price follows a mean-reverting random walk (discrete Ornstein-Uhlenbeck)
around a *centre* that starts at the universe's reference price; an option's centre is its
model value at its underlying's LTP of the moment (``option_model``), so premiums follow the
index. Time is cut into steps of ``market_step_seconds`` of *market time* — the engine's
monotonic clock minus the time the market spent frozen — and a ``Ticker`` is brought up to
the current step only when something looks at it (``Market.ticker``): a quote, the matching
engine, later the WebSocket feed. A long gap is one exact OU jump, so a look after an hour costs
the same as a look after a second.

What a ``Ticker`` carries (rupees as ``Decimal``, quantities as ``int``): LTP rounded to the tick,
the day's open/high/low, previous close, volume and turnover (for the average price), last trade
quantity and time, open interest (derivatives: today's and the previous session's, options
shaped around the money — ``option_model.oi_shape``), circuit band, 52-week range and, on demand, a
five-level depth around the LTP (``depth``).

Rules:
- Circuits: cash and futures ±``circuit_percent`` of the previous close, rounded inward to the
  tick (ZOMATO capture: close 288.5 → 259.65 / 317.35 at 10 %); options [tick, 4 × close] (a real
  NFO SNAP_QUOTE: close 183.80, upper 731.65, lower 0.05); indices have none (0). The walk never
  leaves the band.
- ``set_ltp`` (admin) moves the price and re-centres the walk there. A price outside the band
  rebases the instrument's day (previous close = open = high = low = the new price) so a test
  can put any instrument anywhere; ``close=`` sets the previous close explicitly.
- ``version`` counts price steps; the matching engine runs an order again only after it moved.
- Every price set is also recorded on the ticker's ``tape`` (``engine.tape``): today's candles
  (``engine.history``) are built from it, so they agree with the quote's OHLC and LTP.

Replay (``engine.replay``): ``replay_market.replay_due`` applies each due recorded frame to its
token's ``Ticker`` (LTP, OHLC, volume, totals, OI, depth, circuits, times as recorded) and marks
it ``replayed``: the walk never moves it again, and its depth, totals and OI are the recorded
ones rather than drawn. Other tokens keep walking.

Invariants: deterministic for a given seed and sequence of clock readings (randomness is a hash
of seed, instrument and step — no shared RNG state); never reads the wall clock except to stamp
trade times; freezing stops market time, so thawing resumes the walk where it stood.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Protocol

from angelctl.sandbox.clock import IST, SandboxClock
from angelctl.sandbox.config import SandboxConfig
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.option_model import OptionModel, oi_shape
from angelctl.sandbox.engine.pricing import INDEX_LEVEL_TICK
from angelctl.sandbox.engine.replay import Replay
from angelctl.sandbox.engine.tape import Tape

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_STEP_MIX = 0xD1B54A32D192ED03
_LOOP_LIMIT = 16  # up to this many steps are walked one by one, beyond that one exact jump
DEPTH_LEVELS = 5


def _mix(x: int) -> int:
    """splitmix64: a well-spread 64-bit hash of ``x``."""
    x = (x + _GOLDEN) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _draw(seed: int, index: int) -> int:
    return _mix(seed ^ ((index * _STEP_MIX) & _M64))


def _uniform(seed: int, index: int) -> float:
    """A number in (0, 1) fixed by (seed, index)."""
    return ((_draw(seed, index) >> 11) + 0.5) * (1.0 / (1 << 53))


def _normal(seed: int, index: int) -> float:
    u1, u2 = _uniform(seed, 2 * index), _uniform(seed, 2 * index + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


class UniverseView(Protocol):
    def instrument(self, exch_seg: str, token: str) -> Instrument | None: ...

    def reference_price(self, exch_seg: str, token: str) -> Decimal: ...


def effective_tick(instrument: Instrument) -> Decimal:
    return instrument.tick_size if instrument.tick_size > 0 else INDEX_LEVEL_TICK


def to_tick(value: Decimal | float, tick: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """``value`` on the tick grid (at least one tick)."""
    steps = (Decimal(str(value)) / tick).to_integral_value(rounding=rounding)
    return (max(steps, Decimal(1)) * tick).quantize(tick)


@dataclass(slots=True)
class DepthLevel:
    price: Decimal
    quantity: int
    orders: int


@dataclass(slots=True)
class Ticker:
    instrument: Instrument
    tick: Decimal
    seed: int
    ltp: Decimal
    prev_close: Decimal
    open: Decimal
    high: Decimal
    low: Decimal
    lower_circuit: Decimal
    upper_circuit: Decimal
    week52_low: Decimal
    week52_high: Decimal
    last_trade_at: datetime
    step: int = 0
    version: int = 0
    volume: int = 0
    turnover: Decimal = Decimal(0)
    last_qty: int = 0
    oi_base: int = 0  # the previous session's open interest (derivatives)
    oi_today: int = 0  # today's level before the wobble
    model: OptionModel | None = None  # an option's price model on its underlying
    centre: float = 0.0  # log price the walk reverts to
    x: float = 0.0  # current log price, unrounded
    _depth: tuple[int, tuple[DepthLevel, ...], tuple[DepthLevel, ...]] | None = field(
        default=None, repr=False
    )
    tape: Tape = field(default_factory=Tape, repr=False)  # today's prices, for candles
    replayed: bool = False  # driven by a recording: no walk, recorded depth/totals/OI
    fixed_depth: tuple[tuple[DepthLevel, ...], tuple[DepthLevel, ...]] | None = None
    fixed_totals: tuple[int, int] | None = None
    fixed_oi: tuple[int, float] | None = None  # (open interest, change %) as recorded

    @property
    def key(self) -> tuple[str, str]:
        return self.instrument.key

    @property
    def has_circuits(self) -> bool:
        return self.upper_circuit > 0

    @property
    def avg_price(self) -> Decimal:
        if not self.volume:
            return self.ltp
        return (self.turnover / self.volume).quantize(Decimal("0.01"))

    @property
    def open_interest(self) -> int:
        """Today's OI (``oi_base`` is the previous session's): a level fixed for the day plus a
        small wobble that moves once a minute of market time."""
        if self.fixed_oi is not None:
            return self.fixed_oi[0]
        if not self.oi_base:
            return 0
        lot = self.instrument.lotsize
        wobble = _draw(self.seed ^ 0x0170, self.step // 60) % 2001 - 1000
        return max(self.oi_today + (wobble // 20) * lot, lot)

    def within_band(self, price: Decimal) -> bool:
        return not self.has_circuits or self.lower_circuit <= price <= self.upper_circuit

    def depth(self) -> tuple[tuple[DepthLevel, ...], tuple[DepthLevel, ...]]:
        """Five bids (best first, descending) and five offers (best first, ascending)."""
        if self.fixed_depth is not None:
            return self.fixed_depth
        cached = self._depth
        if cached is not None and cached[0] == self.version:
            return cached[1], cached[2]
        bids, asks = self._build_depth()
        self._depth = (self.version, bids, asks)
        return bids, asks

    def _build_depth(self) -> tuple[tuple[DepthLevel, ...], tuple[DepthLevel, ...]]:
        empty = DepthLevel(Decimal(0), 0, 0)
        if self.instrument.is_index:
            return (empty,) * DEPTH_LEVELS, (empty,) * DEPTH_LEVELS
        lot, tick = self.instrument.lotsize, self.tick
        seed = self.seed ^ (self.version * 0x5851F42D4C957F2D & _M64)
        bids: list[DepthLevel] = []
        asks: list[DepthLevel] = []
        bid = self.ltp - (tick if _draw(seed, 0) % 2 else 0)
        ask = self.ltp + tick
        for level in range(DEPTH_LEVELS):
            if level:
                bid -= tick * (1 + _draw(seed, 10 + level) % 3)
                ask += tick * (1 + _draw(seed, 20 + level) % 3)
            bids.append(self._level(bid, seed, 30 + level, lot) if bid > 0 else empty)
            asks.append(self._level(ask, seed, 40 + level, lot))
        return tuple(bids), tuple(asks)

    def _level(self, price: Decimal, seed: int, index: int, lot: int) -> DepthLevel:
        if not self.within_band(price):
            return DepthLevel(Decimal(0), 0, 0)
        lots = 1 + _draw(seed, index) % 400
        orders = 1 + _draw(seed, index + 100) % 40
        return DepthLevel(price, lots * lot, min(orders, lots))

    def total_quantities(self) -> tuple[int, int]:
        """(total buy, total sell) quantity pending on the exchange: a multiple of the depth."""
        if self.fixed_totals is not None:
            return self.fixed_totals
        bids, asks = self.depth()
        seed = self.seed ^ self.version
        buy = sum(level.quantity for level in bids) * (3 + _draw(seed, 50) % 25)
        sell = sum(level.quantity for level in asks) * (3 + _draw(seed, 51) % 25)
        return buy, sell


class Market:
    """Every instrument's ticker, created on first look and walked up to the current step."""

    def __init__(
        self,
        config: Callable[[], SandboxConfig],
        clock: SandboxClock,
        universe: Callable[[], UniverseView],
    ) -> None:
        self._config = config  # read on every use: run-time config changes apply at once
        self._clock = clock
        self._universe = universe  # a new IST day brings a new universe
        self._tickers: dict[tuple[str, str], Ticker] = {}
        self._origin = clock.monotonic()
        self._paused = 0.0
        self._frozen_at: float | None = self._origin if config().market_frozen else None
        self.replay: Replay | None = None  # set by the engine when it replays a recording

    # ------------------------------------------------------------------- time

    @property
    def clock(self) -> SandboxClock:
        return self._clock

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, frozen: bool) -> bool:
        """Stop (or restart) market time; returns the new state."""
        now = self._clock.monotonic()
        if frozen and self._frozen_at is None:
            self._frozen_at = now
        elif not frozen and self._frozen_at is not None:
            self._paused += now - self._frozen_at
            self._frozen_at = None
        return self.frozen

    def current_step(self) -> int:
        moment = self._frozen_at if self._frozen_at is not None else self._clock.monotonic()
        elapsed = max(moment - self._origin - self._paused, 0.0)
        return int(elapsed // self._config().market_step_seconds)

    # ---------------------------------------------------------------- tickers

    def ticker(self, exch_seg: str, token: str) -> Ticker | None:
        """The instrument's ticker at the current step, or None if the token is not listed."""
        key = (exch_seg.upper(), token)
        ticker = self._tickers.get(key)
        if ticker is None:
            ticker = self._create(key)
            if ticker is None:
                return None
            self._tickers[key] = ticker
        if not ticker.replayed:
            self._advance(ticker, self.current_step())
        return ticker

    def tracked(self) -> int:
        return len(self._tickers)

    def set_ltp(
        self, exch_seg: str, token: str, price: Decimal, close: Decimal | None = None
    ) -> Ticker | None:
        """Move an instrument to ``price`` (tick-rounded) now; the walk continues from there."""
        ticker = self.ticker(exch_seg, token)
        if ticker is None:
            return None
        price = to_tick(price, ticker.tick)
        if close is not None:
            self._rebase(ticker, to_tick(close, ticker.tick), keep_day=True)
        if not ticker.within_band(price):
            self._rebase(ticker, price, keep_day=False)
        self._trade(ticker, price, ticker.instrument.lotsize, self._clock.now())
        ticker.centre = ticker.x = math.log(float(price))
        if ticker.model is not None and (spot := self._spot(ticker)) is not None:
            ticker.model.refit(float(price), spot)  # the walk's centre follows from here
        ticker.version += 1
        return ticker

    def _spot(self, ticker: Ticker) -> float | None:
        underlying = ticker.instrument.underlying
        found = self.ticker(*underlying) if underlying is not None else None
        return None if found is None else float(found.ltp)

    def replayed_bands(self, ticker: Ticker, recorded_close: bool) -> None:
        """Circuits of a replayed ticker whose frame carried none: from its recorded close, or
        rebased on its price when that is outside the band (an LTP-only recording)."""
        if recorded_close:
            self._set_bands(ticker)
        elif not ticker.within_band(ticker.ltp):
            self._rebase(ticker, ticker.ltp, keep_day=True)

    # -------------------------------------------------------------- internals

    def _create(self, key: tuple[str, str]) -> Ticker | None:
        universe = self._universe()
        instrument = universe.instrument(*key)
        if instrument is None:
            return None
        reference = universe.reference_price(*key)
        tick = effective_tick(instrument)
        seed = _mix(self._config().market_seed ^ zlib.crc32(f"{key[0]}:{key[1]}".encode()))
        gap = (_uniform(seed, 1) - 0.5) * 0.02  # previous close within ±1 % of today's open
        open_price = to_tick(reference, tick)
        ticker = Ticker(
            instrument=instrument,
            tick=tick,
            seed=seed,
            ltp=open_price,
            prev_close=to_tick(float(reference) * (1 + gap), tick),
            open=open_price,
            high=open_price,
            low=open_price,
            lower_circuit=Decimal(0),
            upper_circuit=Decimal(0),
            week52_low=Decimal(0),
            week52_high=Decimal(0),
            last_trade_at=self._clock.now(),
        )
        if instrument.is_future or instrument.is_option:
            lots = (20_000 + _draw(seed, 2) % 20_000) * oi_shape(universe, instrument)
            ticker.oi_base = instrument.lotsize * max(int(lots), 1)
            today = 1 + (_uniform(seed, 5) - 0.4) * 0.5  # today's OI: −20 % … +30 % of the close
            ticker.oi_today = instrument.lotsize * max(int(lots * today), 1)
        self._set_bands(ticker)
        ticker.centre = ticker.x = math.log(float(open_price))
        ticker.model = OptionModel.fit(
            universe, instrument, self._clock.now().astimezone(IST).date()
        )
        ticker.tape.record(ticker.last_trade_at, open_price, 0)
        return ticker

    def _set_bands(self, ticker: Ticker) -> None:
        close, tick, instrument = ticker.prev_close, ticker.tick, ticker.instrument
        if instrument.is_index:
            ticker.lower_circuit = ticker.upper_circuit = Decimal(0)
        elif instrument.is_option:
            ticker.lower_circuit = tick
            ticker.upper_circuit = to_tick(close * 4, tick, ROUND_FLOOR)
        else:
            band = Decimal(str(self._config().circuit_percent)) / 100
            ticker.lower_circuit = to_tick(close * (1 - band), tick, ROUND_CEILING)
            ticker.upper_circuit = to_tick(close * (1 + band), tick, ROUND_FLOOR)
        low_factor = 0.6 + 0.3 * _uniform(ticker.seed, 3)
        high_factor = 1.05 + 0.25 * _uniform(ticker.seed, 4)
        ticker.week52_low = min(to_tick(float(close) * low_factor, tick), ticker.low)
        ticker.week52_high = max(to_tick(float(close) * high_factor, tick), ticker.high)

    def _rebase(self, ticker: Ticker, close: Decimal, *, keep_day: bool) -> None:
        ticker.prev_close = close
        if not keep_day:
            ticker.open = ticker.high = ticker.low = close
            ticker.volume, ticker.turnover = 0, Decimal(0)
            ticker.tape.reset()
        self._set_bands(ticker)

    def _advance(self, ticker: Ticker, step: int) -> None:
        steps = step - ticker.step
        if steps <= 0:
            return
        if ticker.model is not None and (spot := self._spot(ticker)) is not None:
            # an option's walk is centred on its model value at the underlying's price now
            centre = math.log(max(ticker.model.value(spot), 1e-6))
            ticker.x += centre - ticker.centre
            ticker.centre = centre
        config = self._config()
        sigma = config.market_step_bps / 10_000
        theta = math.log(2) * config.market_step_seconds / config.market_half_life_seconds
        keep = 1.0 - min(theta, 1.0)
        x, centre, seed = ticker.x, ticker.centre, ticker.seed
        if steps <= _LOOP_LIMIT:
            for index in range(ticker.step + 1, step + 1):
                x = centre + (x - centre) * keep + sigma * _normal(seed, index)
        else:
            decay = keep**steps
            spread = sigma * math.sqrt((1 - keep ** (2 * steps)) / max(1 - keep * keep, 1e-12))
            x = centre + (x - centre) * decay + spread * _normal(seed, step)
        price = to_tick(math.exp(x), ticker.tick)
        if ticker.has_circuits:
            price = min(max(price, ticker.lower_circuit), ticker.upper_circuit)
            x = min(
                max(x, math.log(float(ticker.lower_circuit))), math.log(float(ticker.upper_circuit))
            )
        ticker.x = x
        ticker.step = step
        ticker.version += 1
        lot = ticker.instrument.lotsize
        quantity = 0 if ticker.instrument.is_index else lot * (1 + _draw(seed, step) % 5)
        self._trade(ticker, price, quantity, self._clock.now(), count=min(steps, 10_000))

    def _trade(
        self, ticker: Ticker, price: Decimal, quantity: int, at: datetime, count: int = 1
    ) -> None:
        ticker.ltp = price
        ticker.high = max(ticker.high, price)
        ticker.low = min(ticker.low, price)
        ticker.week52_high = max(ticker.week52_high, price)
        ticker.week52_low = min(ticker.week52_low, price)
        if quantity and not ticker.instrument.is_index:
            ticker.volume += quantity * count
            ticker.turnover += price * quantity * count
            ticker.last_qty = quantity
        ticker.last_trade_at = at
        ticker.tape.record(at, price, ticker.volume)
