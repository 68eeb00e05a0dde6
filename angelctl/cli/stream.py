"""stream SYMBOL... [--mode ltp|quote|snap] [--orders] [--duration S] [--count N].

Live ticks over the WebSocket 2.0 feed (and, with ``--orders``, the order-update socket).
On a terminal: the alternate screen (left again on exit, Ctrl-C or an error), one table
repainted at ``REPAINT_HZ`` from ``render.stream.StreamModel`` (never once per tick) and at
once after a resize, with the status line always whole (``render.live``). With ``--json`` or
when stdout is not a terminal: NDJSON, one record per tick
(``render.stream.tick_json``) or order update, flushed per batch; a closed pipe ends it with
exit 0. Ctrl-C, ``--duration`` and ``--count`` end it with exit 0 and a summary on stderr; a
refused session ends it with exit 4 and a hint, like every other command.

The feed clients, the codec and rich are imported inside the command, so ``angelctl --help``
loads none of them.
"""

from __future__ import annotations

import threading
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.common import (
    open_session,
    output,
    profile_settings,
    seconds,
    stopped_like_ctrl_c,
    whole,
)
from angelctl.cli.failure import silence_stdout
from angelctl.cli.instruments import complete_symbol
from angelctl.cli.stream_feed import TickSink, build_clients, open_recorder
from angelctl.records import record

if TYPE_CHECKING:
    from collections.abc import Callable

    from angelctl.broker.session import BrokerSession
    from angelctl.feed.client import FeedClient
    from angelctl.feed.orderupdates import OrderUpdateClient
    from angelctl.feed.reconnect import ReconnectingSocket
    from angelctl.feed.recording import RecordingWriter
    from angelctl.instruments.model import Contract
    from angelctl.render.output import Output
    from angelctl.render.stream import StreamModel

REPAINT_HZ = 4
STOP_TIMEOUT_S = 3.0


class StreamMode(StrEnum):
    ltp = "ltp"
    quote = "quote"
    snap = "snap"


@record
class StreamOptions:
    symbols: tuple[str, ...]
    mode: int  # feed mode: 1 LTP, 2 QUOTE, 3 SNAP_QUOTE
    orders: bool
    duration: float | None
    count: int | None
    record: str | None = None  # --record FILE: the raw frames go there too (feed.recording)


def stream(
    ctx: typer.Context,
    symbols: Annotated[
        list[str],
        typer.Argument(
            help="Symbols to stream: SBIN, NSE:2885, 'NIFTY 25000 CE', 'BANKNIFTY FUT'.",
            autocompletion=complete_symbol,
            show_default=False,
        ),
    ],
    mode: Annotated[
        StreamMode,
        typer.Option(
            "--mode",
            "-m",
            case_sensitive=False,
            help=(
                "ltp: last price; quote: + change, volume; snap: + bid/ask and OI. The table "
                "shows only the columns the mode's packets carry."
            ),
        ),
    ] = StreamMode.quote,
    orders: Annotated[
        bool, typer.Option("--orders", help="Also show this account's order updates.")
    ] = False,
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration",
            metavar="SECONDS",
            parser=seconds("--duration", 0.1, 7 * 86_400),
            help="Stop after SECONDS.",
            show_default=False,
        ),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option(
            "--count",
            metavar="N",
            parser=whole("--count", 1, 1_000_000_000),
            help="Stop after N ticks.",
            show_default=False,
        ),
    ] = None,
    record_to: Annotated[
        str | None,
        typer.Option(
            "--record",
            metavar="FILE",
            help=(
                "Also record the raw feed frames with their receive times to FILE (a new file; "
                "replay it with `angelctl sandbox serve --replay FILE`)."
            ),
            show_default=False,
        ),
    ] = None,
) -> None:
    """Live ticks over the WebSocket feed: a table on a terminal, NDJSON with --json or piped."""
    # long: the Typer options are declared in the signature, one parameter each
    from angelctl.cli.instruments import resolve_symbols
    from angelctl.feed.ticks import Mode

    out = output(ctx)
    modes = {"ltp": Mode.LTP, "quote": Mode.QUOTE, "snap": Mode.SNAP_QUOTE}
    opts = StreamOptions(tuple(symbols), int(modes[mode.value]), orders, duration, count, record_to)
    contracts = resolve_symbols(ctx, out, opts.symbols)
    _, settings = profile_settings(ctx)
    session = open_session(settings)
    try:
        _stream(out, session, contracts, opts)
    finally:
        session.rest.close()


def _stream(
    out: Output, session: BrokerSession, contracts: list[Contract], opts: StreamOptions
) -> None:
    from angelctl.render.stream import StreamModel

    names = _display_names(contracts)
    model = StreamModel(names, clock=session.clock)
    session.ensure()  # no session and none can be made: exit 4 now, before any thread
    ended = threading.Event()
    live = not out.json_mode and _is_terminal(out)
    sink = TickSink(model, names, opts.count, ended, keep_records=not live)
    recorder = open_recorder(session, contracts, opts.record)
    try:
        feed, order_client = build_clients(out, session, contracts, opts, sink, ended, recorder)
        _run_clients(out, session, model, sink, feed, order_client, opts, ended, recorder)
    finally:
        if recorder is not None:
            recorder.close()
            out.notice(f"recorded {recorder.frames:,} frames to {recorder.path}")
    _summary(out, model)


def _run_clients(
    out: Output,
    session: BrokerSession,
    model: StreamModel,
    sink: TickSink,
    feed: FeedClient,
    order_client: OrderUpdateClient | None,
    opts: StreamOptions,
    ended: threading.Event,
    recorder: RecordingWriter | None,
) -> None:
    live = not out.json_mode and _is_terminal(out)
    clients: list[ReconnectingSocket] = [feed] if order_client is None else [feed, order_client]
    if not live and not out.json_mode:
        out.notice("stdout is not a terminal: NDJSON ticks (pass --json to say so)")
    poll = recorder.poll if recorder is not None else None
    try:
        with stopped_like_ctrl_c():
            for client in clients:
                client.start()
            if live:
                _run_live(out, session, model, feed, order_client, opts, ended, poll)
            else:
                _run_ndjson(out, session, sink, feed, order_client, opts, ended, poll)
    except KeyboardInterrupt:
        pass
    finally:
        for client in clients:
            client.stop(STOP_TIMEOUT_S)
    for client in clients:
        if client.failure is not None:
            raise client.failure
    model.on_status(_status(feed, order_client, sink))


def _run_live(
    out: Output,
    session: BrokerSession,
    model: StreamModel,
    feed: FeedClient,
    order_client: OrderUpdateClient | None,
    opts: StreamOptions,
    ended: Any,
    poll: Callable[[], None] | None = None,
) -> None:
    import functools

    from angelctl.render.live import LiveScreen

    clock = session.clock
    deadline = None if opts.duration is None else clock.monotonic() + opts.duration
    console = out.console
    with LiveScreen(console) as screen:
        while True:
            model.on_status(_status(feed, order_client, None))
            snapshot = model.snapshot()
            now = clock.monotonic()

            screen.show(functools.partial(_frame, console, screen.memo, snapshot, now, opts))
            if poll is not None:
                poll()  # the recording is flushed at least every period
            if ended.is_set() or (deadline is not None and clock.monotonic() >= deadline):
                return
            # a resize sets screen.wake and is redrawn at once; ``ended`` is seen within a period
            screen.wake.wait(_next_wait(clock.monotonic(), deadline, 1.0 / REPAINT_HZ))


def _frame(
    console: Any,
    memo: dict[str, int],
    snapshot: Any,
    now: float,
    opts: StreamOptions,
    width: int,
    height: int,
) -> Any:
    """One live frame: as many rows as fit above the status line, which is always whole."""
    from angelctl.render.live import frame
    from angelctl.render.stream import status_line, stream_body

    return frame(
        console,
        width,
        height,
        lambda n: stream_body(
            snapshot,
            now_monotonic=now,
            show_orders=opts.orders,
            width=width,
            max_rows=n,
            mode=opts.mode,
        ),
        len(snapshot.rows),
        status_line(snapshot, width),
        memo,
    )


def _run_ndjson(
    out: Output,
    session: BrokerSession,
    sink: TickSink,
    feed: FeedClient,
    order_client: OrderUpdateClient | None,
    opts: StreamOptions,
    ended: Any,
    poll: Callable[[], None] | None = None,
) -> None:
    import json

    from angelctl.feed.orderupdates import OrderUpdate
    from angelctl.render.output import to_jsonable
    from angelctl.render.stream import order_update_json, tick_json

    clock = session.clock
    deadline = None if opts.duration is None else clock.monotonic() + opts.duration
    records, names = sink.records, sink.names
    stdout = out.stdout
    while True:
        stop = ended.is_set() or (deadline is not None and clock.monotonic() >= deadline)
        lines = []
        while records:
            item = records.popleft()
            if isinstance(item, OrderUpdate):
                document = to_jsonable(order_update_json(item))
            else:
                name = names.get((item.exchange_type, item.token), "")
                document = tick_json(item, name)
            lines.append(json.dumps(document))
        if lines:
            try:
                stdout.write("\n".join(lines) + "\n")
                stdout.flush()
            except BrokenPipeError:  # `angelctl stream … | head -3`: the reader has had enough
                silence_stdout()
                return
        if poll is not None:
            poll()
        if stop:
            return
        ended.wait(_next_wait(clock.monotonic(), deadline, 0.05))


def _next_wait(now: float, deadline: float | None, period: float) -> float:
    return period if deadline is None else max(0.0, min(period, deadline - now))


def _status(feed: FeedClient, order_client: OrderUpdateClient | None, sink: TickSink | None) -> Any:
    from angelctl.render.stream import StreamStatus

    stats = feed.stats
    dropped = {f"bad frame: {reason}": n for reason, n in stats.dropped.items()}
    if order_client is not None:
        dropped.update({f"order update: {r}": n for r, n in order_client.stats.dropped.items()})
    if sink is not None and sink.overflow:
        dropped["queue full"] = sink.overflow
    state = stats.state.value
    if order_client is not None and order_client.state != stats.state:
        state = f"{state} (orders {order_client.state.value})"
    return StreamStatus(
        state=state,
        reconnects=stats.reconnects,
        ticks_per_second=stats.ticks_per_second,
        dropped=dropped,
    )


def _summary(out: Output, model: StreamModel) -> None:
    if out.quiet:
        return
    summary = model.summary()
    if out.json_mode:
        import json

        out.stderr.write(json.dumps(summary.as_dict()) + "\n")
        out.stderr.flush()
        return
    from angelctl.render.stream import render_summary

    out.err_console.print(render_summary(summary))


def _display_names(contracts: list[Contract]) -> dict[tuple[int, str], str]:
    from angelctl.errors import UsageError

    names: dict[tuple[int, str], str] = {}
    for contract in contracts:
        if not contract.exchange_type:
            raise UsageError(f"{contract.exchange}:{contract.symbol} is not on the market feed")
        names[(contract.exchange_type, contract.token)] = contract.symbol
    return names


def _is_terminal(out: Output) -> bool:
    try:
        return bool(out.stdout.isatty())
    except (AttributeError, ValueError):
        return False
