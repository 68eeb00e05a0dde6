"""The ``stream --json`` records: one JSON object per tick (``tick_json``) or order update
(``order_update_json``). Pure functions: no I/O, no clock, no locks.

Invariants: ``tick_json`` has one key set per record type (keys a mode does not carry are
``null``); prices are strings of exact decimals with the segment's fixed places (2, or 7 for
cde_fo), like every other ``--json`` price in angelctl.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from angelctl.clock import IST
from angelctl.feed.ticks import (
    DepthLevel,
    DepthTick,
    ExchangeType,
    LtpTick,
    Mode,
    QuoteTick,
    SnapQuoteTick,
    Tick,
)
from angelctl.render.stream_model import OrderUpdateLike

SCHEMA = "stream/1"  # every record carries the envelope (docs/json.md): ok and schema first


def exact_price(raw: int, divisor: int) -> Decimal:
    """Rupees with the segment's fixed places (``80000`` paise → ``800.00``), exactly."""
    return Decimal(raw).scaleb(-(len(str(divisor)) - 1))


def _ist(epoch_ms: int) -> str | None:
    if not epoch_ms:
        return None
    moment = datetime.fromtimestamp(epoch_ms // 1000, IST) + timedelta(milliseconds=epoch_ms % 1000)
    return moment.isoformat(timespec="milliseconds")


def _levels(levels: Sequence[DepthLevel], divisor: int) -> list[dict[str, Any]]:
    return [
        {
            "price": format(exact_price(level.price_raw, divisor), "f"),
            "quantity": level.quantity,
            "orders": level.orders,
        }
        for level in levels
    ]


def tick_json(tick: Tick, symbol: str) -> dict[str, Any]:
    """One NDJSON record per tick; the same keys for every mode (``null`` where not carried).

    Prices are exact decimal strings with the segment's places (``"801.25"``,
    ``"83.2525000"`` on cde_fo); times are ISO-8601 in IST plus the epoch value they came from.
    """
    divisor = tick.divisor

    def rupees(raw: int) -> str:
        return format(exact_price(raw, divisor), "f")

    try:
        exchange_name = ExchangeType(tick.exchange_type).name.lower()
    except ValueError:
        exchange_name = str(tick.exchange_type)
    try:
        mode_name = Mode(tick.mode).name
    except ValueError:
        mode_name = str(tick.mode)
    quote = tick if isinstance(tick, QuoteTick) else None
    snap = tick if isinstance(tick, SnapQuoteTick) else None
    ltp = tick if isinstance(tick, LtpTick) else None
    depth: dict[str, Any] | None = None
    if isinstance(tick, SnapQuoteTick | DepthTick):
        depth = {"buy": _levels(tick.bids, divisor), "sell": _levels(tick.asks, divisor)}
    return {
        "ok": True,
        "schema": SCHEMA,
        "type": "tick",
        "mode": mode_name,
        "symbol": symbol,
        "exchange_type": exchange_name,
        "token": tick.token,
        "sequence": ltp.sequence if ltp else None,
        "exchange_time": _ist(tick.exchange_time_ms),
        "exchange_time_ms": tick.exchange_time_ms,
        "ltp": rupees(ltp.ltp_raw) if ltp else None,
        "last_traded_qty": quote.last_traded_qty if quote else None,
        "avg_price": rupees(quote.avg_price_raw) if quote else None,
        "volume": quote.volume if quote else None,
        "total_buy_qty": quote.total_buy_qty if quote else None,
        "total_sell_qty": quote.total_sell_qty if quote else None,
        "open": rupees(quote.open_raw) if quote else None,
        "high": rupees(quote.high_raw) if quote else None,
        "low": rupees(quote.low_raw) if quote else None,
        "close": rupees(quote.close_raw) if quote else None,
        "last_traded_time": _ist(snap.last_traded_time_s * 1000) if snap else None,
        "last_traded_time_s": snap.last_traded_time_s if snap else None,
        "open_interest": snap.open_interest if snap else None,
        "oi_change_pct": snap.oi_change_pct if snap else None,
        "upper_circuit": rupees(snap.upper_circuit_raw) if snap else None,
        "lower_circuit": rupees(snap.lower_circuit_raw) if snap else None,
        "high_52w": rupees(snap.high_52w_raw) if snap else None,
        "low_52w": rupees(snap.low_52w_raw) if snap else None,
        "depth": depth,
    }


def order_update_json(update: OrderUpdateLike) -> dict[str, Any]:
    """One NDJSON record per order update, prices as exact decimal strings."""
    return {
        "ok": True,
        "schema": SCHEMA,
        "type": "order_update",
        "order_id": update.order_id,
        "status_code": update.status_code,
        "status": update.status,
        "text": update.text,
        "exchange": update.exchange,
        "symbol": update.symbol,
        "side": update.side,
        "quantity": update.quantity,
        "filled": update.filled,
        "average_price": format(update.average_price, "f"),
        "updated_at": update.updated_at.astimezone(IST).isoformat() if update.updated_at else None,
    }
