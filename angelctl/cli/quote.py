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

from angelctl.cli.common import open_session, output, profile_settings, seconds, whole
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
    iterations: Annotated[
        int | None,
        typer.Option(
            "--iterations",
            hidden=True,
            metavar="N",
            parser=whole("--iterations", 1, 1_000_000),
            help="Stop after N refreshes.",
        ),
    ] = None,
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
    from angelctl.render.quotes import quotes_json

    out.line(quotes_json(document))


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
        if out.json_mode:
            _watch_ndjson(out, session, contracts, opts)
        else:
            _watch_live(out, session, contracts, opts)
    except KeyboardInterrupt:
        out.notice("stopped")
    except BrokenPipeError:  # `quote --watch 5 --json | head -3`: the reader has had enough
        _silence_stdout()


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush cannot fail on the closed pipe
    (click would otherwise turn the EPIPE into exit 1)."""
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


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
    from rich.live import Live

    from angelctl.broker.market import fetch_quotes
    from angelctl.clock import refresh_schedule
    from angelctl.render.quotes import LtpHistory, watch_view

    assert opts.watch is not None
    transient = _transient_errors()
    history = LtpHistory()
    quotes: list[Quote] = []
    unfetched: list[Unfetched] = []
    with Live(console=out.console, auto_refresh=False, transient=False) as live:
        for tick in refresh_schedule(session.clock, opts.watch, opts.iterations):
            error = ""
            try:
                quotes, unfetched = fetch_quotes(session, contracts, opts.mode)
                history.record(quotes)
            except transient as exc:
                error = str(exc)
            view = watch_view(
                quotes,
                unfetched,
                opts.mode,
                history,
                at=session.clock.now(),
                interval=opts.watch,
                skipped=tick.skipped,
                error=error,
                width=out.console.width,
            )
            live.update(view, refresh=True)
