"""Handler for ``marketData/v1/optionGreek`` (docs/protocol.md#route-table row 31): the greeks
and implied volatility of every listed strike of one NSE underlying and expiry, computed by
``engine.greeks`` from the paper market's option LTPs against the underlying's LTP at the moment
of the call.

Request ``{"name": "NIFTY", "expirydate": "25JAN2024"}``; reply ``data``: one object per option
(strike ascending, CE before PE) with the broker's keys, every value a string: ``name``,
``expiry`` (``25JAN2024``), ``strikePrice`` (six decimals, as the instrument master),
``optionType``,
``delta``/``gamma``/``theta``/``vega`` (six decimals), ``impliedVolatility`` (percent, two
decimals), ``tradeVolume`` (the day's volume in units, two decimals).

Refusals: an unknown underlying, an expiry it does not have, an unreadable expiry, or a
non-NSE underlying (BSE, MCX, CDS: the route is NSE only) → AB9019 "No Data Available", as the
live gateway answered for ``{"name":"DMART","expirydate":"25JAN2024"}`` (captured 2025-04). The
1-per-second limit is the gateway's (``config_defaults``: ``optionGreek``).

Invariant: deterministic for a seed and a clock reading — the market's tickers are.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from angelctl.sandbox.engine.greeks import greeks, years_to_expiry
from angelctl.sandbox.engine.instrument import Instrument
from angelctl.sandbox.engine.universe import Universe
from angelctl.sandbox.rest.state import BrokerState, Call, Handler
from angelctl.sandbox.rest.wire import EngineResponse, oms_error, success

NO_DATA = ("AB9019", "No Data Available")
_SIX = Decimal("0.000001")

# (universe, {(name, expiry): options}) of the last universe seen: a day's listing never changes
_index: list[Any] = [None, {}]


def _options(universe: Universe) -> dict[tuple[str, date], list[Instrument]]:
    if _index[0] is not universe:
        chains: dict[tuple[str, date], list[Instrument]] = {}
        for instrument in universe.instruments:
            if instrument.exch_seg == "NFO" and instrument.is_option and instrument.expiry:
                chains.setdefault((instrument.name, instrument.expiry), []).append(instrument)
        for options in chains.values():
            options.sort(key=lambda i: (i.strike or 0, i.option_type or ""))
        _index[0], _index[1] = universe, chains
    found: dict[tuple[str, date], list[Instrument]] = _index[1]
    return found


def _expiry(text: str) -> date | None:
    try:
        return datetime.strptime(text.strip().upper(), "%d%b%Y").date()
    except ValueError:
        return None


def _six(value: float) -> str:
    return str(Decimal(repr(value)).quantize(_SIX))


def option_greek(state: BrokerState, call: Call) -> EngineResponse:
    name = (call.text("name") or "").strip().upper()
    expiry = _expiry(call.text("expirydate") or "")
    options = _options(state.universe).get((name, expiry)) if expiry else None
    if not options:
        return oms_error(*NO_DATA)
    market = state.paper.market
    underlying = options[0].underlying
    spot_ticker = market.ticker(*underlying) if underlying else None
    if spot_ticker is None or expiry is None:
        return oms_error(*NO_DATA)
    spot = float(spot_ticker.ltp)
    years = years_to_expiry(expiry, call.now)
    rows: list[dict[str, str]] = []
    for option in options:
        ticker = market.ticker(*option.key)
        if ticker is None or option.strike is None or option.option_type is None:
            continue
        g = greeks(float(ticker.ltp), spot, float(option.strike), years, option.option_type)
        rows.append(
            {
                "name": option.name,
                "expiry": expiry.strftime("%d%b%Y").upper(),
                "strikePrice": str(option.strike.quantize(_SIX)),
                "optionType": option.option_type,
                "delta": _six(g.delta),
                "gamma": _six(g.gamma),
                "theta": _six(g.theta),
                "vega": _six(g.vega),
                "impliedVolatility": f"{g.iv * 100:.2f}",
                "tradeVolume": f"{ticker.volume}.00",
            }
        )
    return success(rows)


HANDLERS: dict[str, Handler] = {"optionGreek": option_greek}
