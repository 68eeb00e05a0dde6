"""The option chain (``angelctl chain``): which contracts, and the chain assembled from quotes,
greeks and feed ticks (docs/chain.md).

- ``pick(index, name, expiry_text, today)``: the underlying's spot contract (the NSE index, else
  the NSE stock), its NFO options of one expiry (default: the nearest listed one not past; the
  expiry accepts the resolver's friendly forms ``DEC``, ``24DEC``, ``24DEC2026``, ``2026-12-24``).
- ``Chain``: the ATM strike (the listed strike nearest the spot, the lower one on a tie), ``N``
  strikes each side of it, and per strike the call and the put (``Side``). It is fed by REST
  quotes (``apply_quote``), the greeks route (``apply_greeks``) and SNAP_QUOTE ticks
  (``apply_tick``), from any thread under its lock; ``document()`` is the JSON of ``chain/1``.
- PCR is total put OI / total call OI over the **shown** strikes (labelled so everywhere).
- OI change is against the previous session's OI: the feed's SNAP_QUOTE carries it (as a
  percentage); the REST quote does not, so a one-shot chain has none (``null``).

Invariants: the core never imports Typer or rich; all money is ``Decimal``; the ATM strike is
chosen once, when the chain is built, so rows do not jump while watched.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.errors import UsageError

if TYPE_CHECKING:
    from angelctl.broker.chain import OptionGreek
    from angelctl.broker.market import Quote
    from angelctl.instruments.index import InstrumentIndex
    from angelctl.instruments.model import Contract

MAX_FEED_TOKENS = 1000  # the broker's limit per feed connection


@dataclass(frozen=True)
class Picked:
    name: str
    spot: Contract
    expiry: date
    expiries: tuple[date, ...]
    options: dict[tuple[Decimal, str], Contract]  # (strike, CE/PE) → contract

    @property
    def strikes(self) -> list[Decimal]:
        return sorted({strike for strike, _ in self.options})


def _expiry(name: str, text: str | None, expiries: list[date], today: date) -> date:
    if not text:
        return expiries[0]
    from angelctl.instruments.resolve import parse_words

    query = parse_words(f"{name} {text}", today)
    if query.expiry is not None:
        if query.expiry in expiries:
            return query.expiry
    elif query.month is not None:
        month = [e for e in expiries if (e.year, e.month) == query.month]
        if month:
            return month[-1]  # a month alone is its last expiry (the monthly contract)
    else:
        raise UsageError(f"cannot read the expiry {text!r}", hint="e.g. DEC, 24DEC, 2026-12-24")
    shown = ", ".join(e.strftime("%d%b%Y").upper() for e in expiries[:6])
    raise UsageError(f"{name} has no expiry {text!r}", hint=f"listed: {shown}")


def pick(index: InstrumentIndex, name: str, expiry_text: str | None, today: date) -> Picked:
    """The spot contract and the options of one expiry; ``UsageError`` if there is none."""
    name = name.strip().upper()
    options = index.underlying(name, kind="OPT", exchange="NFO", expiry_from=today, limit=20_000)
    expiries = sorted({o.expiry for o in options if o.expiry is not None})
    if not expiries:
        raise UsageError(
            f"{name} has no listed NFO options",
            hint="name an NSE index or F&O stock (NIFTY, BANKNIFTY, RELIANCE)",
        )
    spots = index.underlying(name, kind="INDEX", exchange="NSE") or index.underlying(
        name, kind="EQ", exchange="NSE"
    )
    if not spots:
        raise UsageError(f"no NSE index or stock named {name} to take the spot from")
    expiry = _expiry(name, expiry_text, expiries, today)
    chosen = {
        (o.strike.normalize(), o.option_type): o
        for o in options
        if o.expiry == expiry and o.strike is not None
    }
    return Picked(name, spots[0], expiry, tuple(expiries), chosen)


def atm_strike(strikes: list[Decimal], spot: Decimal) -> Decimal:
    return min(strikes, key=lambda k: (abs(k - spot), k))


def shown_strikes(strikes: list[Decimal], atm: Decimal, each_side: int) -> list[Decimal]:
    at = strikes.index(atm)
    return strikes[max(at - each_side, 0) : at + each_side + 1]


@dataclass
class Side:
    """One option of a row: what its quote, ticks and greeks said last."""

    contract: Contract
    ltp: Decimal | None = None
    close: Decimal | None = None
    oi: int | None = None
    oi_change: int | None = None
    volume: int | None = None
    iv: Decimal | None = None
    delta: Decimal | None = None
    gamma: Decimal | None = None
    theta: Decimal | None = None
    vega: Decimal | None = None

    @property
    def change(self) -> Decimal | None:
        if self.ltp is None or self.close is None or not self.close:
            return None
        return self.ltp - self.close

    def as_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.contract.symbol,
            "token": self.contract.token,
            "ltp": self.ltp,
            "change": self.change,
            "oi": self.oi,
            "oi_change": self.oi_change,
            "volume": self.volume,
            "iv": self.iv,
            "delta": self.delta,
            "gamma": self.gamma,
            "theta": self.theta,
            "vega": self.vega,
        }


@dataclass
class Chain:
    picked: Picked
    each_side: int
    spot: Decimal
    atm: Decimal
    strikes: list[Decimal]
    sides: dict[tuple[Decimal, str], Side]
    spot_close: Decimal | None = None
    at: datetime | None = None
    greeks_at: datetime | None = None
    version: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _by_feed: dict[tuple[int, str], Side] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_feed = {
            (s.contract.exchange_type, s.contract.token): s for s in self.sides.values()
        }

    @classmethod
    def build(cls, picked: Picked, spot: Decimal, each_side: int) -> Chain:
        atm = atm_strike(picked.strikes, spot)
        strikes = shown_strikes(picked.strikes, atm, each_side)
        sides = {
            (k, right): Side(picked.options[(k, right)])
            for k in strikes
            for right in ("CE", "PE")
            if (k, right) in picked.options
        }
        return cls(picked, each_side, spot, atm, strikes, sides)

    def contracts(self) -> list[Contract]:
        """The spot first, then every shown option (what is quoted and subscribed)."""
        return [self.picked.spot, *(side.contract for side in self.sides.values())]

    def _side(self, exchange: str, token: str) -> Side | None:
        for side in self.sides.values():  # ≤ 2 × (2N + 1) sides: a scan is cheap
            if side.contract.token == token and side.contract.exchange == exchange:
                return side
        return None

    def apply_quote(self, quote: Quote) -> None:
        with self.lock:
            if (quote.exchange, quote.token) == (self.picked.spot.exchange, self.picked.spot.token):
                self.spot, self.spot_close = quote.ltp, quote.close
            elif (side := self._side(quote.exchange, quote.token)) is not None:
                side.ltp, side.close = quote.ltp, quote.close
                side.oi, side.volume = quote.open_interest, quote.volume
            self.version += 1

    def apply_tick(self, tick: Any) -> None:
        """A SNAP_QUOTE (or QUOTE/LTP) tick of the spot or a shown option; O(1)."""
        key = (tick.exchange_type, tick.token)
        with self.lock:
            if key == (self.picked.spot.exchange_type, self.picked.spot.token):
                self.spot = tick.ltp
                self.version += 1
                return
            side = self._by_feed.get(key)
            if side is None:
                return
            side.ltp = tick.ltp
            close = getattr(tick, "close", None)
            if close:
                side.close = close
            volume = getattr(tick, "volume", None)
            if volume is not None:
                side.volume = volume
            oi = getattr(tick, "open_interest", None)
            if oi is not None:
                side.oi = oi
                side.oi_change = _oi_change(oi, tick.oi_change_pct)
            self.version += 1

    def apply_greeks(self, greeks: list[OptionGreek], at: datetime) -> None:
        with self.lock:
            for g in greeks:
                side = self.sides.get(g.key)
                if side is not None:
                    side.iv, side.delta, side.gamma = g.implied_volatility, g.delta, g.gamma
                    side.theta, side.vega = g.theta, g.vega
            self.greeks_at = at
            self.version += 1

    @property
    def pcr(self) -> Decimal | None:
        """Put OI / call OI over the shown strikes, two decimals; None without call OI."""
        calls = sum(s.oi or 0 for (_, r), s in self.sides.items() if r == "CE")
        puts = sum(s.oi or 0 for (_, r), s in self.sides.items() if r == "PE")
        return (Decimal(puts) / Decimal(calls)).quantize(Decimal("0.01")) if calls else None

    def document(self) -> dict[str, Any]:
        with self.lock:
            rows = [
                {
                    "strike": strike,
                    "atm": strike == self.atm,
                    "call": self._dict(strike, "CE"),
                    "put": self._dict(strike, "PE"),
                }
                for strike in self.strikes
            ]
            return {
                "underlying": self.picked.name,
                "spot": {
                    "exchange": self.picked.spot.exchange,
                    "symbol": self.picked.spot.symbol,
                    "token": self.picked.spot.token,
                    "ltp": self.spot,
                },
                "expiry": self.picked.expiry,
                "at": self.at,
                "greeks_at": self.greeks_at,
                "atm_strike": self.atm,
                "strikes_each_side": self.each_side,
                "pcr": self.pcr,
                "pcr_over": "shown_strikes",
                "rows": rows,
            }

    def _dict(self, strike: Decimal, right: str) -> dict[str, Any] | None:
        side = self.sides.get((strike, right))
        return None if side is None else side.as_dict()


def _oi_change(oi: int, percent: float) -> int | None:
    """OI minus the previous session's OI, from the feed's OI change % (``None`` if unusable)."""
    if percent <= -100 or percent != percent:  # NaN, or a previous OI that cannot be
        return None
    return round(oi - oi / (1 + percent / 100))


def feed_tokens_needed(each_side: int) -> int:
    """Subscriptions a watch of ``each_side`` strikes takes: two options a strike, plus the spot."""
    return 2 * (2 * each_side + 1) + 1


def check_feed_limit(each_side: int) -> None:
    needed = feed_tokens_needed(each_side)
    if needed > MAX_FEED_TOKENS:
        most = (MAX_FEED_TOKENS - 3) // 4
        raise UsageError(
            f"--strikes {each_side} would subscribe {needed} tokens; one feed connection takes "
            f"at most {MAX_FEED_TOKENS}",
            hint=f"use --strikes {most} or fewer with --watch",
        )
