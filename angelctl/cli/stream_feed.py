"""The sockets behind ``angelctl stream``: the market feed (subscribed per exchange), the
order-update socket, and the sink their threads feed (the model always, NDJSON records when
piped). Built only when ``stream`` runs; the command itself is ``cli.stream``.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Any

from angelctl.cli.common import open_session

if TYPE_CHECKING:
    from collections.abc import Callable

    from angelctl.broker.session import BrokerSession
    from angelctl.cli.stream import StreamOptions
    from angelctl.feed.client import FeedClient
    from angelctl.feed.orderupdates import OrderUpdateClient
    from angelctl.feed.recording import RecordingWriter
    from angelctl.instruments.model import Contract
    from angelctl.render.output import Output
    from angelctl.render.stream import StreamModel

DATA_STALE_S = 30.0  # pongs but no tick this long while a subscribed market is open: reconnect
NDJSON_BACKLOG = 200_000  # records waiting for stdout; beyond it ticks are dropped and counted


def build_clients(
    out: Output,
    session: BrokerSession,
    contracts: list[Contract],
    opts: StreamOptions,
    sink: TickSink,
    ended: threading.Event,
    recorder: RecordingWriter | None = None,
) -> tuple[FeedClient, OrderUpdateClient | None]:
    """The market feed, subscribed, and (with ``--orders``) the order-update socket; a socket
    that fails for good ends the run."""
    from angelctl.feed.client import FeedClient
    from angelctl.feed.connection import FeedState, FeedStatus, Heartbeat, SessionAuth
    from angelctl.feed.orderupdates import OrderUpdateClient

    settings, clock = session.settings, session.clock
    auth = SessionAuth(lambda: open_session(settings, clock=clock))  # one per socket thread

    def on_status(status: FeedStatus) -> None:
        if status.state == FeedState.FAILED:
            ended.set()

    feed = FeedClient(
        settings.ws_url,
        auth,
        clock=clock,
        on_tick=sink.on_tick,
        on_status=on_status,
        on_error=lambda event: out.warn(f"feed: {event.code} {event.message}".rstrip()),
        heartbeat=Heartbeat(data_stale_after=DATA_STALE_S),
        market_open=market_open(session, contracts),
        recorder=recorder,
    )
    for exchange_type, tokens in tokens_by_exchange(contracts).items():
        feed.subscribe(opts.mode, exchange_type, tokens)
    if not opts.orders:
        return feed, None
    orders = OrderUpdateClient(
        settings.order_ws_url, auth, clock=clock, on_update=sink.on_order_update,
        on_status=on_status,
    )  # fmt: skip
    return feed, orders


class TickSink:
    """What the feed threads call: the model always, a bounded record queue for NDJSON."""

    def __init__(
        self,
        model: StreamModel,
        names: dict[tuple[int, str], str],
        count: int | None,
        ended: Any,
        *,
        keep_records: bool,
    ) -> None:
        self.model = model
        self.names = names
        self.count = count
        self.ended = ended
        self.keep_records = keep_records
        self.records: deque[Any] = deque()
        self.ticks = 0
        self.overflow = 0

    def on_tick(self, tick: Any) -> None:
        if self.count is not None and self.ticks >= self.count:
            return
        self.ticks += 1
        self.model.on_tick(tick)
        if self.keep_records:
            if len(self.records) < NDJSON_BACKLOG:
                self.records.append(tick)
            else:
                self.overflow += 1
        if self.count is not None and self.ticks >= self.count:
            self.ended.set()

    def on_order_update(self, update: Any) -> None:
        self.model.on_order_update(update)
        if self.keep_records:
            self.records.append(update)


def market_open(session: BrokerSession, contracts: list[Contract]) -> Callable[[], bool]:
    """True while any subscribed segment is in its normal session (the calendar, in IST). The
    sandbox's paper market ticks around the clock, so a sandbox profile counts as always open."""
    if session.settings.is_sandbox:
        return lambda: True
    from angelctl.config import holiday_file
    from angelctl.exchange.calendar import MarketCalendar
    from angelctl.exchange.sessions import Phase

    calendar = MarketCalendar.load(holiday_file())
    segments = sorted({c.exchange for c in contracts})
    clock = session.clock

    def is_open() -> bool:
        now = clock.now()
        return any(calendar.phase(segment, now) == Phase.OPEN for segment in segments)

    return is_open


def tokens_by_exchange(contracts: list[Contract]) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for contract in contracts:
        tokens = grouped.setdefault(contract.exchange_type, [])
        if contract.token not in tokens:
            tokens.append(contract.token)
    return grouped


def open_recorder(
    session: BrokerSession, contracts: list[Contract], path: str | None
) -> RecordingWriter | None:
    """The recording ``--record FILE`` asks for (None without it): its header names the
    profile, the URLs without secrets and each instrument, so a replaying sandbox can list it."""
    if path is None:
        return None
    from angelctl import __version__
    from angelctl.feed.recording import RecordingWriter, public_url

    settings = session.settings
    header = {
        "tool": f"angelctl {__version__}",
        "profile": settings.name,
        "environment": settings.environment,
        "rest_url": public_url(settings.api_url),
        "ws_url": public_url(settings.ws_url),
        "instruments": [instrument_meta(c) for c in contracts],
    }
    return RecordingWriter(path, header, clock=session.clock)


def instrument_meta(contract: Contract) -> dict[str, Any]:
    """One instrument as a recording's header lists it (the instrument master's field names)."""
    return {
        "exch_seg": contract.exchange,
        "token": contract.token,
        "symbol": contract.symbol,
        "name": contract.name,
        "instrumenttype": contract.instrument_type,
        "lotsize": contract.lot_size,
        "tick_size": str(contract.tick_size),
        "expiry": contract.expiry.isoformat() if contract.expiry else None,
        "strike": None if contract.strike is None else str(contract.strike),
        "option_type": contract.option_type or None,
    }
