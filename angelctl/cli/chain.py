"""chain UNDERLYING [--expiry E] [--strikes N] [--watch]: the option chain with greeks.

One-shot: quotes (FULL) of the spot and the shown options in as few 50-token requests as the
listing allows, one ``optionGreek`` call, and one SNAP_QUOTE of each shown option from the feed
for its OI change (the REST quote has none; at most ``SNAPSHOT_WAIT_S``).

``--watch``: REST first, then the market feed (SNAP_QUOTE, one subscription per shown option
plus the spot, at most 1,000) keeps the rows live; greeks are read again at most every
``--greeks-every`` seconds (the route allows one call a second). Repaints are driven by ticks,
coalesced to at most one per ``REPAINT_GAP_S``, so a tick is on screen within that gap plus one
paint. ``--watch --json`` prints NDJSON snapshots, at most one per ``NDJSON_GAP_S``.

``ANGELCTL_CHAIN_TRACE=FILE`` (benchmarks) appends ``<tick monotonic> <painted monotonic>``
for every repaint that a tick caused: the first unpainted tick's receive time and the time the
frame was drawn.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.common import (
    IterationsOpt,
    open_session,
    output,
    profile_settings,
    seconds,
    stopped_like_ctrl_c,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from decimal import Decimal

    from angelctl.broker.market import Quote
    from angelctl.broker.session import BrokerSession
    from angelctl.chain import Chain, Picked
    from angelctl.render.live import Wakeup
    from angelctl.render.output import Output

REPAINT_GAP_S = 0.1  # at most ten repaints a second, however fast ticks come
NDJSON_GAP_S = 1.0  # at most one NDJSON snapshot a second
SNAPSHOT_WAIT_S = 2.0  # a one-shot chain waits this long at most for the feed's OI changes


def chain(
    ctx: typer.Context,
    underlying: Annotated[
        str, typer.Argument(help="An NSE index or F&O stock: NIFTY, BANKNIFTY, RELIANCE.")
    ],
    expiry: Annotated[
        str | None,
        typer.Option(
            "--expiry",
            "-e",
            help="DEC, 24DEC, 24DEC2026 or 2026-12-24; default: the nearest listed expiry.",
            show_default=False,
        ),
    ] = None,
    strikes: Annotated[
        int,
        typer.Option("--strikes", "-n", min=0, max=500, help="Strikes each side of the ATM one."),
    ] = 10,
    watch: Annotated[
        bool, typer.Option("--watch", "-w", help="Keep it live over the market feed; Ctrl-C stops.")
    ] = False,
    greeks_every: Annotated[
        float,
        typer.Option(
            "--greeks-every",
            metavar="SECONDS",
            parser=seconds("--greeks-every", 1, 3600),
            help="With --watch: read the greeks again at most this often.",
        ),
    ] = 5.0,
    iterations: IterationsOpt = None,
) -> None:
    """The option chain around the ATM strike: LTP, change, OI, volume, IV and greeks."""
    from angelctl.chain import check_feed_limit, pick
    from angelctl.cli.common import clock
    from angelctl.cli.instruments import open_instruments
    from angelctl.clock import IST

    out = output(ctx)
    if watch:
        check_feed_limit(strikes)
    index = open_instruments(ctx, out)
    try:
        picked = pick(index, underlying, expiry, clock().now().astimezone(IST).date())
    finally:
        index.close()
    _, settings = profile_settings(ctx)
    session = open_session(settings)
    try:
        built = _load(out, session, picked, strikes)
        if not watch:
            _oi_changes(session, built)
            _show(out, built)
        else:
            _watch(out, session, built, float(greeks_every), iterations)
    finally:
        session.rest.close()


def _load(out: Output, session: BrokerSession, picked: Picked, each_side: int) -> Chain:
    """Quotes in the fewest 50-token requests, then the greeks (one call)."""
    from angelctl.broker.market import QUOTE_BATCH, fetch_quotes
    from angelctl.chain import Chain, atm_strike, shown_strikes

    listed = 2 * len(picked.strikes) + 1
    shown = 2 * (2 * each_side + 1) + 1
    every = -(-listed // QUOTE_BATCH) <= 1 + -(-shown // QUOTE_BATCH)
    if every:  # quoting every listed option costs no more requests than finding the ATM first
        quotes, _ = fetch_quotes(session, [picked.spot, *picked.options.values()], "FULL")
        spot = _spot(quotes, picked)
    else:
        spot = _spot(fetch_quotes(session, [picked.spot], "LTP")[0], picked)
        atm = atm_strike(picked.strikes, spot)
        wanted = set(shown_strikes(picked.strikes, atm, each_side))
        contracts = [c for (k, _), c in picked.options.items() if k in wanted]
        quotes, _ = fetch_quotes(session, [picked.spot, *contracts], "FULL")
    built = Chain.build(picked, spot, each_side)
    for quote in quotes:
        built.apply_quote(quote)
    built.at = session.clock.now()
    _greeks(out, session, built)
    return built


def _spot(quotes: list[Quote], picked: Picked) -> Decimal:
    """The spot's LTP among ``quotes``; the chain cannot be centred without it."""
    for quote in quotes:
        if (quote.exchange, quote.token) == (picked.spot.exchange, picked.spot.token):
            return quote.ltp
    from angelctl.errors import RequestRejected

    raise RequestRejected(
        f"the broker did not quote {picked.spot.exchange}:{picked.spot.symbol}, the spot the "
        "chain is centred on",
        route="quote",
    )


def _greeks(out: Output | None, session: BrokerSession, built: Chain) -> str:
    """Read the greeks into the chain; a refusal is warned about (``out``) and returned, so a
    live screen can show it on its status line instead of writing over the frame."""
    from angelctl.broker.chain import option_greeks
    from angelctl.errors import ApiError, TransportError

    try:
        rows = option_greeks(session, built.picked.name, built.picked.expiry)
    except (ApiError, TransportError) as exc:
        if out is not None:
            out.warn(f"greeks unavailable: {exc.message}")
        return f"greeks unavailable: {exc.message}"
    built.apply_greeks(rows, session.clock.now())
    return ""


def _oi_changes(session: BrokerSession, built: Chain) -> None:
    """One SNAP_QUOTE of every shown option from the feed, for the OI change the REST quote
    lacks: waits until each has ticked once, at most ``SNAPSHOT_WAIT_S`` (a closed market may
    send none: the column then stays empty)."""
    wanted = {(c.exchange_type, c.token) for c in built.contracts()[1:]}
    done = threading.Event()
    seen: set[tuple[int, str]] = set()

    def on_tick(tick: Any) -> None:
        built.apply_tick(tick)
        seen.add((tick.exchange_type, tick.token))
        if wanted <= seen:
            done.set()

    with _feed(session, built, on_tick):
        done.wait(SNAPSHOT_WAIT_S)


def _show(out: Output, built: Chain) -> None:
    if out.json_mode:
        out.json(built.document())
        return
    from angelctl.render.chain import chain_view

    width = out.console.width if _is_terminal(out) else None
    out.show(chain_view(built.document(), width=width))


def _is_terminal(out: Output) -> bool:
    try:
        return bool(out.stdout.isatty())
    except (AttributeError, ValueError):
        return False


class _Ticks:
    """What the feed thread calls: the chain, the repaint event, the first unpainted tick."""

    def __init__(self, built: Chain, wake: Wakeup, clock: Any) -> None:
        self.built, self.wake, self.clock = built, wake, clock
        self.pending: float | None = None
        self.count = 0

    def on_tick(self, tick: Any) -> None:
        self.built.apply_tick(tick)
        self.count += 1
        if self.pending is None:
            self.pending = self.clock.monotonic()
        self.wake.set()


def _feed(session: BrokerSession, built: Chain, on_tick: Callable[[Any], None]) -> Any:
    from angelctl.cli.stream_feed import market_open, tokens_by_exchange
    from angelctl.feed.client import FeedClient
    from angelctl.feed.connection import SessionAuth
    from angelctl.feed.ticks import Mode

    settings, clock = session.settings, session.clock
    auth = SessionAuth(lambda: open_session(settings, clock=clock))
    contracts = built.contracts()
    feed = FeedClient(
        settings.ws_url, auth, clock=clock, on_tick=on_tick,
        market_open=market_open(session, contracts),
    )  # fmt: skip
    for exchange_type, tokens in tokens_by_exchange(contracts).items():
        feed.subscribe(Mode.SNAP_QUOTE, exchange_type, tokens)
    return feed


def _watch(
    out: Output, session: BrokerSession, built: Chain, every: float, iterations: int | None
) -> None:
    if not out.json_mode and not _is_terminal(out):
        out.notice("stdout is not a terminal: one snapshot instead of a live view (--json streams)")
        _oi_changes(session, built)
        _show(out, built)
        return
    from angelctl.render.live import Wakeup

    wake = Wakeup()  # set by the feed's thread on a tick and by SIGWINCH
    ticks = _Ticks(built, wake, session.clock)
    feed = _feed(session, built, ticks.on_tick)
    try:
        with stopped_like_ctrl_c(), feed:
            _loop(out, session, built, ticks, feed, every, iterations)
    except KeyboardInterrupt:
        out.notice("stopped")
    except BrokenPipeError:
        from angelctl.cli.failure import silence_stdout

        silence_stdout()
    finally:
        wake.close()


def _loop(
    out: Output,
    session: BrokerSession,
    built: Chain,
    ticks: _Ticks,
    feed: Any,
    every: float,
    iterations: int | None,
) -> None:
    """Paint on a tick (coalesced), a resize or a greeks refresh; the greeks at most every
    ``every`` seconds. Sixty lines: one loop, its two outputs side by side."""
    import functools
    import json

    from angelctl.render.contract import envelope
    from angelctl.render.live import LiveScreen
    from angelctl.render.output import to_jsonable

    clock, wake = session.clock, ticks.wake
    trace = os.environ.get("ANGELCTL_CHAIN_TRACE")
    gap = NDJSON_GAP_S if out.json_mode else REPAINT_GAP_S
    greeks_due = clock.monotonic() + every
    painted, number, problem = -1e9, 0, ""
    screen = None if out.json_mode else LiveScreen(out.console, wake=wake)
    with screen if screen is not None else _Null():
        while True:
            now = clock.monotonic()
            if now >= greeks_due:
                problem = _greeks(None if screen else out, session, built)
                greeks_due = now + every
            tick_at, ticks.pending = ticks.pending, None
            built.at = session.clock.now()
            document = built.document()
            if screen is not None:
                status = problem or _status(feed, ticks, every)
                screen.show(functools.partial(_frame, out.console, screen.memo, document, status))
            else:
                out.stdout.write(json.dumps(envelope(out.schema, to_jsonable(document))) + "\n")
                out.stdout.flush()
            painted = clock.monotonic()
            if trace and tick_at is not None:
                with open(trace, "a", encoding="utf-8") as handle:
                    handle.write(f"{tick_at:.6f} {painted:.6f}\n")
            number += 1
            if iterations is not None and number >= iterations:
                return
            wake.wait(max(greeks_due - clock.monotonic(), 0.0))
            rest = gap - (clock.monotonic() - painted)
            if rest > 0:  # coalesce a burst of ticks into one repaint
                threading.Event().wait(rest)


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: Any) -> None:
        return None


def _status(feed: Any, ticks: _Ticks, every: float) -> str:
    stats = feed.stats
    return (
        f"{stats.state.value} · {ticks.count:,} ticks · {stats.ticks_per_second:.0f}/s · "
        f"greeks every {every:g} s · Ctrl-C stops"
    )


def _frame(
    console: Any, memo: dict[str, int], document: Any, status: str, width: int, height: int
) -> Any:
    from angelctl.render.chain import ChainLines
    from angelctl.render.live import frame
    from angelctl.render.view import line

    return frame(
        console,
        width,
        height,
        lambda n: ChainLines(document, max_rows=n),
        len(document["rows"]),
        line(status, "dim"),
        memo,
    )
