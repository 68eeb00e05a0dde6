"""``positions --watch SECONDS``: positions and the day's P&L, kept live for an operator.

Positions (getPosition) are re-read every SECONDS (at least 1: the broker allows one
getPosition a second); between reads the open positions are re-marked to LTPs from the market
feed (WebSocket 2.0, LTP mode: the cheapest packet, and no request budget spent), so the P&L
moves with the market. A position that appears after a fill is subscribed at the next read.

On a terminal: the alternate screen (``render.live``; left again on exit, Ctrl-C or an error),
redrawn at ``REPAINT_HZ`` and at once after a resize, the status line always whole. With
``--json``: one NDJSON snapshot per read (``type: "positions"``, the rows marked live and the
``day_pnl`` summary). Piped without ``--json``: one snapshot, like ``positions``. Ctrl-C is exit
0; a refresh that fails for a transient reason is shown and retried at the next interval.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.records import record

if TYPE_CHECKING:
    from angelctl.broker.portfolio import Position
    from angelctl.broker.session import BrokerSession
    from angelctl.feed.client import FeedClient
    from angelctl.render.output import Output

REPAINT_HZ = 2
MIN_INTERVAL_S = 1.0  # getPosition: 1 request per second
STOP_TIMEOUT_S = 3.0


class LtpBook:
    """The latest LTP per (exchange_type, token), written by the feed thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._prices: dict[tuple[int, str], tuple[int, int]] = {}
        self.last_tick_ms = 0

    def on_tick(self, tick: Any) -> None:
        with self._lock:
            self._prices[(tick.exchange_type, tick.token)] = (tick.ltp_raw, tick.divisor)
            self.last_tick_ms = tick.exchange_time_ms

    def prices(self, positions: list[Position]) -> dict[tuple[str, str], Decimal]:
        """The live LTP of each position the feed has priced, by (exchange, token)."""
        from angelctl.instruments.model import EXCHANGE_TYPES

        with self._lock:
            found = {
                (p.exchange, p.token): self._prices.get(
                    (EXCHANGE_TYPES.get(p.exchange, 0), p.token)
                )
                for p in positions
            }
        return {key: Decimal(raw) / div for key, (raw, div) in _priced(found)}

    def last_tick_at(self) -> datetime | None:
        return datetime.fromtimestamp(self.last_tick_ms / 1000, UTC) if self.last_tick_ms else None


def _priced(found: dict[Any, tuple[int, int] | None]) -> list[tuple[Any, tuple[int, int]]]:
    return [(key, value) for key, value in found.items() if value is not None]


@record
class Reading:
    """One getPosition read (or the failure of one)."""

    positions: list[Position]
    at: datetime | None
    error: str = ""


def watch_positions(
    out: Output,
    session: BrokerSession,
    profile: str,
    interval: float,
    *,
    show_flat: bool,
    iterations: int | None,
) -> None:
    """The watch; the caller has opened ``session`` and closes it."""
    from angelctl.feed.ticks import Mode

    if not out.json_mode and not _is_terminal(out):
        out.notice("stdout is not a terminal: one snapshot instead of a live view (--json streams)")
        iterations = 1
    session.ensure()  # no session and none can be made: exit 4 now, before the feed thread
    book = LtpBook()
    feed = _feed(out, session, book)
    subscribed: set[tuple[int, str]] = set()

    def read() -> Reading:
        reading = _read(session)
        wanted = _feed_keys(reading.positions) - subscribed
        for exchange_type, token in sorted(wanted):
            feed.subscribe(int(Mode.LTP), exchange_type, [token])
        subscribed.update(wanted)
        return reading

    from angelctl.cli.common import stopped_like_ctrl_c

    feed.start()
    try:
        with stopped_like_ctrl_c():
            if out.json_mode or not _is_terminal(out):
                _run_snapshots(out, session, book, read, profile, interval, show_flat, iterations)
            else:
                _run_live(out, session, book, feed, read, interval, show_flat, iterations)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # `positions --watch 5 --json | head -1`
        from angelctl.cli.failure import silence_stdout

        silence_stdout()
    finally:
        feed.stop(STOP_TIMEOUT_S)


def _feed(out: Output, session: BrokerSession, book: LtpBook) -> FeedClient:
    from angelctl.cli.common import open_session
    from angelctl.feed.client import FeedClient
    from angelctl.feed.connection import SessionAuth

    settings, clock = session.settings, session.clock
    return FeedClient(
        settings.ws_url,
        SessionAuth(lambda: open_session(settings, clock=clock)),
        clock=clock,
        on_tick=book.on_tick,
        on_error=lambda event: out.warn(f"feed: {event.code} {event.message}".rstrip()),
    )


def _feed_keys(positions: list[Position]) -> set[tuple[int, str]]:
    from angelctl.instruments.model import EXCHANGE_TYPES

    return {
        (EXCHANGE_TYPES[p.exchange], p.token)
        for p in positions
        if p.is_open and p.token and p.exchange in EXCHANGE_TYPES
    }


def _read(session: BrokerSession) -> Reading:
    from angelctl.broker.portfolio import fetch_positions
    from angelctl.errors import RateLimited, ServerError, TransportError

    try:
        return Reading(fetch_positions(session), session.clock.now())
    except (TransportError, RateLimited, ServerError) as exc:
        return Reading([], None, str(exc))


def _run_snapshots(
    out: Output,
    session: BrokerSession,
    book: LtpBook,
    read: Any,
    profile: str,
    interval: float,
    show_flat: bool,
    iterations: int | None,
) -> None:
    """NDJSON (or, piped without --json, one table): one snapshot per read."""
    from angelctl.clock import IST, refresh_schedule
    from angelctl.portfolio_pnl import day_pnl, mark_all

    last: Reading | None = None
    for _tick in refresh_schedule(session.clock, interval, iterations):
        reading = read()
        if reading.error:
            out.warn(f"refresh failed, retrying at the next interval: {reading.error}")
            if last is None:
                continue
            reading = last
        last = reading
        ltps = book.prices(reading.positions)
        rows = mark_all(reading.positions, ltps)
        if not out.json_mode:
            _print_once(out, rows, show_flat)
            continue
        shown = [p for p in rows if show_flat or p.is_open]
        out.json(
            {
                "type": "positions",
                "profile": profile,
                "at": reading.at.astimezone(IST) if reading.at else None,
                "last_tick_at": _ist(book.last_tick_at()),
                "positions": [p.as_dict() for p in shown],
                "day_pnl": day_pnl(reading.positions, ltps).as_dict(),
            }
        )


def _ist(moment: datetime | None) -> datetime | None:
    from angelctl.clock import IST

    return moment.astimezone(IST) if moment else None


def _print_once(out: Output, rows: list[Position], show_flat: bool) -> None:
    from angelctl.broker.portfolio import position_totals
    from angelctl.portfolio_pnl import day_pnl
    from angelctl.render.pnl import pnl_line
    from angelctl.render.portfolio import positions_table

    out.show(positions_table(rows, position_totals(rows), show_flat=show_flat, width=None))
    if rows:
        out.show(pnl_line(day_pnl(rows)))


def _run_live(
    out: Output,
    session: BrokerSession,
    book: LtpBook,
    feed: FeedClient,
    read: Any,
    interval: float,
    show_flat: bool,
    iterations: int | None,
) -> None:
    import functools

    from angelctl.render.live import LiveScreen

    clock = session.clock
    reading = Reading([], None)
    error, number, due = "", 0, clock.monotonic()
    with LiveScreen(out.console) as screen:
        while True:
            if clock.monotonic() >= due:
                fresh = read()
                error = fresh.error
                if not fresh.error:
                    reading = fresh
                number += 1
                due = clock.monotonic() + interval
            view = _LiveFrame(
                reading, book.prices(reading.positions), interval, feed.stats.state.value,
                book.last_tick_at(), error, show_flat,
            )  # fmt: skip
            screen.show(functools.partial(view.build, out.console, screen.memo))
            if iterations is not None and number >= iterations:
                return
            screen.wake.wait(min(1.0 / REPAINT_HZ, max(due - clock.monotonic(), 0.0)))


@record
class _LiveFrame:
    reading: Reading
    ltps: dict[tuple[str, str], Decimal]
    interval: float
    feed_state: str
    last_tick_at: datetime | None
    error: str
    show_flat: bool

    def build(self, console: Any, memo: dict[str, int], width: int, height: int) -> Any:
        from angelctl.broker.portfolio import position_totals
        from angelctl.portfolio_pnl import day_pnl, mark_all
        from angelctl.render.live import frame
        from angelctl.render.pnl import watch_body, watch_status

        rows = mark_all(self.reading.positions, self.ltps)
        totals, day = position_totals(rows), day_pnl(self.reading.positions, self.ltps)
        shown = sum(1 for p in rows if self.show_flat or p.is_open)
        return frame(
            console,
            width,
            height,
            lambda n: watch_body(
                rows, totals, day, width=width, max_rows=n, show_flat=self.show_flat
            ),
            shown,
            watch_status(
                fetched_at=self.reading.at,
                interval=self.interval,
                feed_state=self.feed_state,
                last_tick_at=self.last_tick_at,
                error=self.error,
                width=width,
            ),
            memo,
        )


def _is_terminal(out: Output) -> bool:
    try:
        return bool(out.stdout.isatty())
    except (AttributeError, ValueError):
        return False
