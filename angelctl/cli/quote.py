"""quote SYMBOL... [--mode ltp|ohlc|full] [--watch SECONDS].

Root help imports every command module, so this one imports the quote path (``broker.market``,
``render.quotes``: decimals, parsing, JSON) inside the functions that run ``quote``, once per
process; those modules import what they need at module level. The JSON document is encoded by
``render.quotes.quotes_json`` in one pass of the C encoder, not a Python walk of every field.
"""

from __future__ import annotations

from enum import StrEnum
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
from angelctl.cli.failure import silence_stdout
from angelctl.cli.instruments import complete_symbol, resolve_symbols
from angelctl.records import record

if TYPE_CHECKING:
    from angelctl.broker.market import Quote, Unfetched
    from angelctl.broker.session import BrokerSession
    from angelctl.instruments.model import Contract
    from angelctl.render.output import Output


class QuoteMode(StrEnum):
    ltp = "ltp"
    ohlc = "ohlc"
    full = "full"


@record
class QuoteOptions:
    symbols: tuple[str, ...]
    mode: str  # LTP, OHLC or FULL
    watch: float | None
    iterations: int | None


def quote(
    ctx: typer.Context,
    symbols: Annotated[
        list[str],
        typer.Argument(
            help="One or more symbols: SBIN, NSE:2885, 'NIFTY 25000 CE', 'BANKNIFTY FUT'.",
            autocompletion=complete_symbol,
            show_default=False,
        ),
    ],
    mode: Annotated[
        QuoteMode,
        typer.Option(
            "--mode",
            "-m",
            case_sensitive=False,
            help="ltp: last price; ohlc: + change and the day's range; full: + volume, OI, depth.",
        ),
    ] = QuoteMode.full,
    watch: Annotated[
        float | None,
        typer.Option(
            "--watch",
            "-w",
            metavar="SECONDS",
            parser=seconds("--watch", 0.1, 86_400),
            help="Refresh in place every SECONDS (NDJSON with --json); Ctrl-C stops.",
            show_default=False,
        ),
    ] = None,
    iterations: IterationsOpt = None,
) -> None:
    """Quotes for one or more symbols (market/v1/quote, 50 tokens per request)."""
    out = output(ctx)
    opts = QuoteOptions(tuple(symbols), mode.value.upper(), watch, iterations)
    contracts = resolve_symbols(ctx, out, opts.symbols)
    _, settings = profile_settings(ctx)
    session = open_session(settings)
    try:
        if opts.watch is None:
            _once(out, session, contracts, opts)
        else:
            _watch(out, session, contracts, opts)
    finally:
        session.rest.close()


def _document(
    session: BrokerSession, mode: str, quotes: list[Quote], unfetched: list[Unfetched]
) -> dict[str, Any]:
    return {
        "at": session.clock.now(),
        "mode": mode,
        "quotes": [q.as_dict() for q in quotes],
        "unfetched": [u.as_dict() for u in unfetched],
    }


def _write_json(out: Output, document: dict[str, Any]) -> None:
    from angelctl.render.contract import envelope
    from angelctl.render.quotes import quotes_json

    out.line(quotes_json(envelope(out.schema, document)))


def _warn_unfetched(out: Output, unfetched: list[Unfetched]) -> None:
    from angelctl.render.quotes import unfetched_lines

    for line in unfetched_lines(unfetched):
        out.warn(f"not quoted: {line}")


def _once(
    out: Output, session: BrokerSession, contracts: list[Contract], opts: QuoteOptions
) -> None:
    from angelctl.broker.market import fetch_quotes

    quotes, unfetched = fetch_quotes(session, contracts, opts.mode)
    if out.json_mode:
        _write_json(out, _document(session, opts.mode, quotes, unfetched))
    else:
        from angelctl.render.quote_view import quotes_screen

        out.show(quotes_screen(quotes, opts.mode))
    _warn_unfetched(out, unfetched)
    if not quotes:
        from angelctl.status import ExitStatus

        out.stderr.write(f"error: none of the {len(unfetched)} instruments could be quoted\n")
        raise typer.Exit(int(ExitStatus.REJECTED))


def _is_terminal(out: Output) -> bool:
    try:
        return bool(out.stdout.isatty())
    except (AttributeError, ValueError):
        return False


def _watch(
    out: Output, session: BrokerSession, contracts: list[Contract], opts: QuoteOptions
) -> None:
    """NDJSON with --json; a Live screen on a terminal; one table when piped. Ctrl-C is exit 0."""
    if not out.json_mode and not _is_terminal(out):
        out.notice("stdout is not a terminal: one snapshot instead of a live view (--json streams)")
        _once(out, session, contracts, opts)
        return
    try:
        with stopped_like_ctrl_c():
            if out.json_mode:
                _watch_ndjson(out, session, contracts, opts)
            else:
                _watch_live(out, session, contracts, opts)
    except KeyboardInterrupt:
        out.notice("stopped")
    except BrokenPipeError:  # `quote --watch 5 --json | head -3`: the reader has had enough
        silence_stdout()


# A refresh that fails for one of these reasons is shown and retried at the next tick; anything
# else (an expired session that cannot be renewed, a rejected request) ends the watch.
def _transient_errors() -> tuple[type[Exception], ...]:
    from angelctl.errors import RateLimited, ServerError, TransportError

    return (TransportError, RateLimited, ServerError)


def _watch_ndjson(
    out: Output, session: BrokerSession, contracts: list[Contract], opts: QuoteOptions
) -> None:
    from angelctl.broker.market import fetch_quotes
    from angelctl.clock import refresh_schedule

    assert opts.watch is not None
    transient = _transient_errors()
    reported: set[str] = set()
    for _tick in refresh_schedule(session.clock, opts.watch, opts.iterations):
        try:
            quotes, unfetched = fetch_quotes(session, contracts, opts.mode)
        except transient as exc:
            out.warn(f"refresh failed, retrying at the next tick: {exc}")
            continue
        _write_json(out, _document(session, opts.mode, quotes, unfetched))
        fresh = [u for u in unfetched if u.key not in reported]
        _warn_unfetched(out, fresh)
        reported.update(u.key for u in fresh)


def _watch_live(
    out: Output, session: BrokerSession, contracts: list[Contract], opts: QuoteOptions
) -> None:
    """The alternate screen, refreshed every ``opts.watch`` seconds on the schedule of
    ``clock.refresh_schedule`` (missed slots are skipped and counted); a resize redraws the
    last quotes at once for the new size, without a request."""
    import functools
    import math

    from angelctl.broker.market import fetch_quotes
    from angelctl.render.live import LiveScreen
    from angelctl.render.quotes import LtpHistory

    assert opts.watch is not None
    interval, clock = opts.watch, session.clock
    transient = _transient_errors()
    history = LtpHistory()
    quotes: list[Quote] = []
    unfetched: list[Unfetched] = []
    error, skipped, number, slot = "", 0, 0, 0
    start = clock.monotonic()
    due, at = start, clock.now()
    with LiveScreen(out.console) as screen:
        while True:
            if clock.monotonic() >= due:
                error = ""
                try:
                    quotes, unfetched = fetch_quotes(session, contracts, opts.mode)
                    history.record(quotes)
                    at = clock.now()
                except transient as exc:
                    error = str(exc)
                number += 1
                now = clock.monotonic()
                next_slot = math.floor((now - start) / interval) + 1
                skipped = max(next_slot - slot - 1, 0)
                slot = max(next_slot, slot + 1)
                due = start + slot * interval

            view = _WatchFrame(quotes, unfetched, opts.mode, history, at, interval, skipped, error)
            screen.show(functools.partial(view.build, out.console, screen.memo))
            if opts.iterations is not None and number >= opts.iterations:
                return
            _pause(clock, screen.wake, max(due - clock.monotonic(), 0.0))


@record
class _WatchFrame:
    """What one ``quote --watch`` frame shows; ``build`` lays it out for a terminal size."""

    quotes: list[Quote]
    unfetched: list[Unfetched]
    mode: str
    history: Any
    at: Any
    interval: float
    skipped: int
    error: str

    def build(self, console: Any, memo: dict[str, int], width: int, height: int) -> Any:
        from angelctl.render.live import frame
        from angelctl.render.quotes import watch_body, watch_status

        return frame(
            console,
            width,
            height,
            lambda n: watch_body(
                self.quotes, self.unfetched, self.mode, self.history, width=width, max_rows=n
            ),
            len(self.quotes) + 1,  # one more than the rows: every row and the depth grid
            watch_status(
                self.at, self.interval, skipped=self.skipped, error=self.error, width=width
            ),
            memo,
        )


def _pause(clock: Any, wake: Any, seconds: float) -> None:
    """Until the next refresh, or a resize (``wake``) on the real clock; an injected clock
    (tests) is slept on, so it decides how time passes."""
    from angelctl.clock import SystemClock

    if isinstance(clock, SystemClock):
        wake.wait(seconds)
    else:
        clock.sleep(seconds)
